// Microsoft Entra ID → Enterprise applications: the directory's service principals, managed
// identities included, filtered by Application type as in the Azure portal; a service principal's
// Overview and Permissions (the app roles granted to it: app-role assignments with admin consent).

import { el, show, dataTable, details, field, navigate } from './dom.js';
import { graph, graphList, shortDate } from './graph.js';
import { entraMenu, objectMenu } from './entra.js';

/** Microsoft's own tenant: first-party service principals belong to it. */
const MICROSOFT_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

const TYPES = [
  ['EnterpriseApplications', 'Enterprise Applications'],
  ['MicrosoftApplications', 'Microsoft Applications'],
  ['ManagedIdentities', 'Managed Identities'],
  ['AllApplications', 'All Applications'],
];

function applicationType(principal) {
  if (principal.servicePrincipalType === 'ManagedIdentity') return 'Managed Identity';
  if (principal.appOwnerOrganizationId === MICROSOFT_TENANT) return 'Microsoft Application';
  return 'Enterprise Application';
}

function matches(type, principal) {
  if (type === 'AllApplications') return true;
  const kind = applicationType(principal);
  if (type === 'ManagedIdentities') return kind === 'Managed Identity';
  if (type === 'MicrosoftApplications') return kind === 'Microsoft Application';
  return kind === 'Enterprise Application';
}

/** The "All applications" list with its Application type filter (default: Enterprise Applications). */
export async function enterpriseBlade(type = 'EnterpriseApplications') {
  entraMenu('enterprise');
  const chosen = TYPES.some(([key]) => key === type) ? type : 'EnterpriseApplications';
  const principals = (await graphList('/servicePrincipals?$top=100')).filter((principal) => matches(chosen, principal));
  principals.sort((a, b) => a.displayName.localeCompare(b.displayName));
  const filter = el('select', {}, TYPES.map(([key, label]) => el('option', { value: key, selected: key === chosen }, label)));
  filter.addEventListener('change', () => navigate(`#/entra/enterprise/type/${filter.value}`));
  const rows = principals.map((principal) => el('tr', {},
    el('td', {}, el('a', { href: `#/entra/sp/${principal.id}` }, principal.displayName)), el('td', {}, principal.id),
    el('td', {}, principal.appId), el('td', {}, applicationType(principal)), el('td', {}, shortDate(principal.createdDateTime))));
  show('content', el('h1', {}, 'Enterprise applications'), el('p', { class: 'subtitle' }, 'All applications'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    field('Application type', filter),
    dataTable(['Name', 'Object ID', 'Application ID', 'Application type', 'Created on'], rows, 'No applications found.'));
}

/** A service principal's blades: 'overview' or 'permissions'. */
export async function servicePrincipalBlade(id, blade) {
  const principal = await graph('GET', `/servicePrincipals/${encodeURIComponent(id)}`);
  objectMenu('#/entra/enterprise', 'Enterprise applications', principal.displayName, `#/entra/sp/${principal.id}`,
    [['overview', 'Overview'], ['permissions', 'Permissions']], blade);
  if (blade === 'permissions') return permissionsBlade(principal);
  const resource = principal.servicePrincipalType === 'ManagedIdentity' ? (principal.alternativeNames || []).find((name) => name.startsWith('/')) : null;
  show('content', el('h1', {}, principal.displayName), el('p', { class: 'subtitle' }, applicationType(principal)),
    el('h2', {}, 'Properties'),
    details([['Name', principal.displayName], ['Application ID', el('code', {}, principal.appId)],
      ['Object ID', el('code', {}, principal.id)], ['Application type', applicationType(principal)],
      ...(resource ? [['Managed identity resource', resource]] : []),
      ['Created on', shortDate(principal.createdDateTime)]]));
}

/** The "Permissions" blade: the app roles granted to this principal (admin consent). */
async function permissionsBlade(principal) {
  const assignments = await graphList(`/servicePrincipals/${principal.id}/appRoleAssignments`);
  const resources = new Map();
  for (const assignment of assignments) {
    if (!resources.has(assignment.resourceId)) {
      resources.set(assignment.resourceId, await graph('GET', `/servicePrincipals/${assignment.resourceId}?$select=id,displayName,appRoles`).catch(() => null));
    }
  }
  const rows = assignments.map((assignment) => {
    const resource = resources.get(assignment.resourceId);
    const role = ((resource && resource.appRoles) || []).find((r) => r.id === assignment.appRoleId) || {};
    return el('tr', {}, el('td', {}, assignment.resourceDisplayName || (resource && resource.displayName) || assignment.resourceId),
      el('td', {}, role.value || assignment.appRoleId), el('td', {}, role.displayName || '—'), el('td', {}, 'Application'),
      el('td', {}, 'Admin consent'), el('td', {}, shortDate(assignment.createdDateTime)));
  });
  show('content', el('h1', {}, `${principal.displayName} | Permissions`), el('p', { class: 'subtitle' }, applicationType(principal)),
    el('p', { class: 'muted' }, 'The application permissions (app roles) this principal has been granted on other applications\' APIs, such as Microsoft Graph. Grant them with Graph\'s appRoleAssignments (e.g. az rest, or New-MgServicePrincipalAppRoleAssignment).'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    el('h2', {}, 'Admin consent'),
    dataTable(['API Name', 'Claim value', 'Permission', 'Type', 'Granted through', 'Granted on'], rows, 'No permissions have been granted to this application.'));
}
