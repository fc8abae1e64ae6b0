// The Check access tab of Access control (IAM), as in the Azure portal: pick a principal (yourself,
// a managed identity, or a user, group or service principal from Graph) and see its role
// assignments at and above this scope — ARM's `roleAssignments?$filter=assignedTo('{id}')`, which
// counts the groups it is in — and what they let it do here: for the signed-in user, ARM's own
// answer (`GET {scope}/providers/Microsoft.Authorization/permissions`); for others, the permissions
// of the roles those assignments name. Only ARM's and Graph's public APIs: nothing internal.

import { arm, list } from './arm.js';
import { session } from './auth.js';
import { el, banner, showError } from './dom.js';
import { managedIdentities, directoryMembers, MEMBER_KINDS } from './iam.js';

const AUTHORIZATION = '2022-04-01';

/** Whether an assignment at `assigned` applies at `scope` (at it or above it). */
function encloses(assigned, scope) {
  const outer = (assigned || '').toLowerCase().replace(/\/+$/, '');
  const inner = scope.toLowerCase();
  return outer === '' || inner === outer || inner.startsWith(`${outer}/`);
}

/** The principals to choose from: the signed-in user, managed identities, then the directory. */
async function candidates(state) {
  const me = (session() || {}).user || {};
  const found = [{ id: me.oid, name: `${me.name || me.username} (you)`, kind: 'User', me: true }];
  for (const identity of await managedIdentities(state.subscription).catch(() => [])) {
    found.push({ id: identity.principalId, name: identity.name, kind: identity.kind });
  }
  const members = await directoryMembers().catch((error) => {
    banner(`Could not list the directory's users, groups and service principals. ${error.code ? `${error.code}: ` : ''}${error.message}`);
    return [];
  });
  for (const member of members) {
    if (member.id !== me.oid) found.push({ id: member.id, name: member.name, kind: MEMBER_KINDS[member.principalType] });
  }
  return found.filter((principal) => principal.id);
}

/** The Check access tab's content for the IAM blade's `state` (scope, definitions, names). */
export async function checkAccessTab(state) {
  const principals = await candidates(state);
  const select = el('select', { id: 'check-access-principal' },
    principals.map((principal, index) => el('option', { value: String(index) }, `${principal.name} — ${principal.kind}`)));
  const result = el('div', {});
  const check = el('button', { type: 'button', class: 'primary' }, 'Check access');
  check.addEventListener('click', async () => {
    banner('');
    const principal = principals[Number(select.value)];
    try {
      result.replaceChildren(...(await explain(state, principal)));
    } catch (error) {
      result.replaceChildren();
      showError(error);
    }
  });
  return [
    el('h2', {}, 'Check access'),
    el('p', { class: 'muted' }, 'Review the access a user, group, service principal or managed identity has to this resource, and why.'),
    el('div', { class: 'field' }, el('label', { for: 'check-access-principal' }, 'Principal'), ' ', select, ' ', check),
    result,
  ];
}

function roleOf(state, roleDefinitionId) {
  const guid = (roleDefinitionId || '').split('/').pop().toLowerCase();
  return state.definitions.find((definition) => definition.name.toLowerCase() === guid);
}

/** What `principal` may do at the scope, and the assignments that say so. */
async function explain(state, principal) {
  const assigned = await list(`${state.scope}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHORIZATION}&$filter=${encodeURIComponent(`assignedTo('${principal.id}')`)}`);
  const here = assigned.filter((assignment) => encloses((assignment.properties || {}).scope, state.scope));
  const blocks = principal.me
    ? (await arm('GET', `${state.scope}/providers/Microsoft.Authorization/permissions?api-version=${AUTHORIZATION}`)).value || []
    : here.flatMap((assignment) => ((roleOf(state, assignment.properties.roleDefinitionId) || {}).properties || {}).permissions || []);
  const title = el('h3', {}, `Access of ${principal.name}`);
  if (here.length === 0) {
    return [el('section', { 'aria-label': `Access of ${principal.name}` }, title,
      el('p', {}, 'No role assignments of this principal or its groups at or above this scope: it has no access here.'))];
  }
  const rows = here.map((assignment) => {
    const properties = assignment.properties;
    const role = roleOf(state, properties.roleDefinitionId);
    const via = properties.principalId === principal.id ? 'Direct' : `Group ${state.names && state.names.get(properties.principalId) || properties.principalId}`;
    const scope = (properties.scope || '').toLowerCase() === state.scope.toLowerCase() ? 'This resource' : `Inherited (${properties.scope})`;
    return el('tr', {}, el('td', {}, role ? role.properties.roleName : properties.roleDefinitionId), el('td', {}, scope), el('td', {}, via));
  });
  const listCell = (values) => el('td', {}, (values || []).length === 0 ? el('span', { class: 'muted' }, 'none') : values.map((value) => el('div', {}, el('code', {}, value))));
  const permissionRows = blocks.map((block) => el('tr', {}, listCell(block.actions), listCell(block.notActions), listCell(block.dataActions), listCell(block.notDataActions)));
  return [el('section', { 'aria-label': `Access of ${principal.name}` }, title,
    el('h4', {}, 'Role assignments'),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Role'), el('th', {}, 'Scope'), el('th', {}, 'Assigned'))), el('tbody', {}, rows)),
    el('h4', {}, principal.me ? 'What you can do here (ARM permissions)' : 'What its roles allow'),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Actions'), el('th', {}, 'Not actions'), el('th', {}, 'Data actions'), el('th', {}, 'Not data actions'))),
      el('tbody', {}, permissionRows)))];
}
