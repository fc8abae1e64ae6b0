// The Access control (IAM) blade of a scope (subscription, resource group or VM): "Role
// assignments" at the scope and inherited from above (`$filter=atScope()`), + Add (Add role
// assignment) and Remove with a Yes/No confirmation, as in the Azure portal. Users, groups and
// service principals to assign come from Microsoft Graph (mimic's AAD), with a Graph token for the user.
// The Check access tab (check-access.js) shows what a principal may do here and why.

import { arm, list, COMPUTE, IDENTITY } from './arm.js';
import { graph, graphList } from './graph.js';
import { el, show, banner, showError, confirmPane } from './dom.js';
import { checkAccessTab } from './check-access.js';

const AUTHORIZATION = '2022-04-01';

/** The managed identities a role can be assigned to: UAMIs and VMs with a system-assigned identity. */
export async function managedIdentities(subscription) {
  const identities = await list(`/subscriptions/${subscription}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=${IDENTITY}`);
  const machines = await list(`/subscriptions/${subscription}/providers/Microsoft.Compute/virtualMachines?api-version=${COMPUTE}`);
  return [
    ...identities.map((identity) => ({ name: identity.name, kind: 'User-assigned managed identity', principalId: (identity.properties || {}).principalId })),
    ...machines.filter((vm) => vm.identity && vm.identity.principalId)
      .map((vm) => ({ name: vm.name, kind: 'Virtual machine (system assigned)', principalId: vm.identity.principalId })),
  ].filter((identity) => identity.principalId);
}

/**
 * The directory's users, groups and service principals (managed identities left out: they have
 * their own picker), from Graph: `[{ id, name, detail, principalType }]`, users first.
 */
export async function directoryMembers() {
  const users = await graphList('/users?$select=id,displayName,userPrincipalName&$top=100');
  const groups = await graphList('/groups?$select=id,displayName,description&$top=100');
  const principals = await graphList('/servicePrincipals?$top=100');
  const byName = (a, b) => a.name.localeCompare(b.name);
  return [
    ...users.map((user) => ({ id: user.id, name: user.displayName || user.userPrincipalName, detail: user.userPrincipalName, principalType: 'User' })).sort(byName),
    ...groups.map((group) => ({ id: group.id, name: group.displayName, detail: group.description || 'Security group', principalType: 'Group' })).sort(byName),
    ...principals.filter((principal) => principal.servicePrincipalType !== 'ManagedIdentity')
      .map((principal) => ({ id: principal.id, name: principal.displayName || principal.appId, detail: `App ${principal.appId}`, principalType: 'ServicePrincipal' })).sort(byName),
  ];
}

export const MEMBER_KINDS = { User: 'User', Group: 'Group', ServicePrincipal: 'Service principal' };

/**
 * Directory objects by id, from Graph's `getByIds` (users, groups, service principals): a `Map`.
 * An id Graph does not return is a deleted principal: the portal shows "Identity not found".
 */
export async function directoryObjects(ids) {
  const unique = [...new Set(ids.filter(Boolean))];
  const objects = new Map();
  for (let start = 0; start < unique.length; start += 1000) {
    const found = await graph('POST', '/directoryObjects/getByIds', { ids: unique.slice(start, start + 1000) });
    for (const object of found.value || []) objects.set(object.id, object);
  }
  return objects;
}

/** Display names of directory objects by id (see `directoryObjects`). */
async function directoryNames(ids) {
  const objects = await directoryObjects(ids);
  return new Map([...objects].map(([id, object]) => [id, object.displayName || object.userPrincipalName || object.appId || object.id]));
}

/** Renders the blade for `scope` (e.g. `/subscriptions/{s}/resourceGroups/{g}`), titled `title`;
 * `tab` is 'assignments' (Role assignments) or 'check' (Check access). */
export async function iamBlade(scope, title, kind, tab = 'assignments') {
  const subscription = scope.split('/')[2];
  const assignments = await list(`${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHORIZATION}&$filter=atScope()`);
  const definitions = await list(`${scope}/providers/Microsoft.Authorization/roleDefinitions?api-version=${AUTHORIZATION}`);
  // Names of managed identities, where the user may read them (principal ids otherwise).
  const known = await managedIdentities(subscription).catch(() => []);
  const names = await directoryNames(assignments.map((a) => (a.properties || {}).principalId)).catch(() => null);
  const state = { scope, title, kind, subscription, assignments, definitions, known, names };
  if (tab === 'check') return renderCheckAccess(state);
  render(state);
}

function tabs(state, current) {
  const tab = (name, key) => el('button', { type: 'button', role: 'tab', 'aria-selected': String(current === key),
    onclick: () => { banner(''); iamBlade(state.scope, state.title, state.kind, key).catch(showError); } }, name);
  return el('div', { class: 'tabs', role: 'tablist' }, tab('Check access', 'check'), tab('Role assignments', 'assignments'));
}

async function renderCheckAccess(state) {
  const content = await checkAccessTab(state);
  show('content', el('h1', {}, `${state.title} | Access control (IAM)`), el('p', { class: 'subtitle' }, state.kind),
    tabs(state, 'check'), el('div', { role: 'tabpanel' }, content));
}

function roleName(state, roleDefinitionId) {
  const guid = (roleDefinitionId || '').split('/').pop().toLowerCase();
  const definition = state.definitions.find((d) => d.name.toLowerCase() === guid);
  return definition ? definition.properties.roleName : guid;
}

function reload(state, message) {
  return iamBlade(state.scope, state.title, state.kind).then(() => { if (message) banner(message, 'info'); });
}

function render(state) {
  const selected = new Set();
  const remove = el('button', { type: 'button', disabled: true }, 'Remove');
  const rows = state.assignments.map((assignment) => {
    const properties = assignment.properties || {};
    const role = roleName(state, properties.roleDefinitionId);
    const here = (properties.scope || '').toLowerCase() === state.scope.toLowerCase();
    const who = state.known.find((identity) => identity.principalId === properties.principalId);
    const box = el('input', { type: 'checkbox', 'aria-label': `${role} ${properties.principalId}`, disabled: !here });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(assignment.id); else selected.delete(assignment.id);
      remove.disabled = selected.size === 0;
    });
    // Managed identities by their ARM name; other principals by their directory name; a principal
    // the directory no longer has (its assignments stay, as in Azure) as "Identity not found".
    const directoryName = state.names && state.names.get(properties.principalId);
    const name = who ? who.name : directoryName || (state.names ? 'Identity not found' : null);
    return el('tr', {}, el('td', {}, box), el('td', {}, role),
      el('td', {}, name ? [el('span', {}, name), el('div', { class: 'muted' }, properties.principalId)] : properties.principalId),
      el('td', {}, properties.principalType || ''),
      el('td', {}, here ? 'This resource' : `Inherited (${properties.scope})`));
  });
  remove.addEventListener('click', async () => {
    if (!(await confirmPane('Remove role assignments',
      `Do you want to remove ${selected.size === 1 ? 'this role assignment' : `these ${selected.size} role assignments`}? The principals lose the access at this scope.`))) return;
    try {
      for (const id of selected) await arm('DELETE', `${id}?api-version=${AUTHORIZATION}`);
      await reload(state, 'Removed role assignments.');
    } catch (error) {
      showError(error);
    }
  });
  const add = el('button', { type: 'button', onclick: () => addPane(state).catch(showError) }, '+ Add');
  const refresh = el('button', { type: 'button', onclick: () => { banner(''); reload(state).catch(showError); } }, 'Refresh');
  show('content', el('h1', {}, `${state.title} | Access control (IAM)`), el('p', { class: 'subtitle' }, state.kind),
    tabs(state, 'assignments'),
    el('div', { class: 'toolbar' }, add, remove, refresh),
    el('h2', {}, 'Role assignments'),
    state.assignments.length === 0
      ? el('p', { class: 'muted' }, 'No role assignments at this scope.')
      : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Role'), el('th', {}, 'Name'),
        el('th', {}, 'Type'), el('th', {}, 'Scope'))), el('tbody', {}, rows)));
}

let fieldCount = 0;

/** A labelled control. The label names the control by `for`, not by wrapping it: a wrapping label's
 * text would include every option of a select (the role list has 900+), so "Member" would also name
 * the role select ("… for Member Clusters"). */
function field(label, control) {
  fieldCount += 1;
  const id = control.id || `iam-field-${fieldCount}`;
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id }, label), ' ', control);
}

async function addPane(state) {
  const identities = await managedIdentities(state.subscription);
  const roles = [...state.definitions].sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName));
  const roleSelect = el('select', {}, roles.map((role) => el('option', { value: role.id }, role.properties.roleName)));
  const identitySelect = el('select', {}, identities.map((identity, index) =>
    el('option', { value: String(index) }, `${identity.name} (${identity.principalId})`)));
  const objectId = el('input', { type: 'text', autocomplete: 'off', placeholder: '00000000-0000-0000-0000-000000000000' });
  const objectType = el('select', {}, ['User', 'Group', 'ServicePrincipal'].map((type) => el('option', { value: type }, type)));
  const managed = el('input', { type: 'radio', name: 'assign-to', checked: true });
  const directory = el('input', { type: 'radio', name: 'assign-to' });
  const identityFields = el('div', {}, identities.length === 0
    ? el('p', { class: 'muted' }, 'No managed identities in this subscription.')
    : field('Member', identitySelect));
  // "Select members": users, groups and service principals from Graph; the object id only if Graph fails.
  const members = { loaded: null, list: [], fallback: false };
  const memberList = el('fieldset', { class: 'field members' }, el('legend', {}, 'Select members'), el('p', { class: 'muted' }, 'Loading the directory…'));
  const fallbackFields = el('div', { hidden: true }, field('Object ID', objectId), field('Principal type', objectType));
  const directoryFields = el('div', { hidden: true }, memberList, fallbackFields);
  const loadMembers = () => {
    members.loaded = members.loaded || directoryMembers().then((found) => {
      members.list = found;
      memberList.replaceChildren(el('legend', {}, 'Select members'), ...(found.length === 0
        ? [el('p', { class: 'muted' }, 'No users, groups or service principals in the directory.')]
        : found.map((member, index) => el('label', { class: 'member' },
          el('input', { type: 'radio', name: 'member', value: String(index) }), ` ${member.name} `,
          el('span', { class: 'muted' }, `${member.detail} (${MEMBER_KINDS[member.principalType]})`)))));
    }).catch((error) => {
      members.fallback = true;
      memberList.hidden = true;
      fallbackFields.hidden = false;
      banner(`Could not list the directory's users, groups and service principals; enter an object id instead. ${error.code ? `${error.code}: ` : ''}${error.message}`);
    });
  };
  const sync = () => {
    identityFields.hidden = !managed.checked;
    directoryFields.hidden = managed.checked;
    if (!managed.checked) loadMembers();
  };
  managed.addEventListener('change', sync);
  directory.addEventListener('change', sync);
  const backdrop = document.getElementById('dialog');
  const close = () => { backdrop.hidden = true; backdrop.replaceChildren(); };
  const directoryMember = () => {
    if (members.fallback) return { principalId: objectId.value.trim(), principalType: objectType.value };
    const chosen = memberList.querySelector('input[name="member"]:checked');
    const picked = chosen && members.list[Number(chosen.value)];
    return picked && { principalId: picked.id, principalType: picked.principalType };
  };
  const assign = el('button', { type: 'button', class: 'primary' }, 'Review + assign');
  assign.addEventListener('click', async () => {
    const member = managed.checked
      ? identities[Number(identitySelect.value)] && { principalId: identities[Number(identitySelect.value)].principalId, principalType: 'ServicePrincipal' }
      : directoryMember();
    if (!member || !member.principalId) { banner('Select a member.'); return; }
    close();
    try {
      await arm('PUT', `${state.scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=${AUTHORIZATION}`,
        { properties: { roleDefinitionId: roleSelect.value, ...member } });
      await reload(state, `Added the role assignment: ${roleSelect.selectedOptions[0].textContent} for ${member.principalId}.`);
    } catch (error) {
      showError(error);
    }
  });
  backdrop.replaceChildren(el('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Add role assignment' },
    el('h2', {}, 'Add role assignment'),
    el('p', { class: 'muted' }, `Scope ${state.scope}`),
    field('Role', roleSelect),
    el('fieldset', { class: 'field' }, el('legend', {}, 'Assign access to'),
      el('label', {}, managed, ' Managed identity'), ' ',
      el('label', {}, directory, ' User, group, or service principal')),
    identityFields, directoryFields,
    el('div', { class: 'actions' }, assign, el('button', { type: 'button', onclick: close }, 'Cancel'))));
  sync();
  backdrop.hidden = false;
}
