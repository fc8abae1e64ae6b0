// Microsoft Entra ID → Groups: the list, + New group (security groups), and a group's Overview,
// Members (+ Add members: users, groups, service principals; Remove) and Owners (+ Add owners;
// Remove), as in the Azure portal.

import { el, show, banner, showError, confirmPane, field, openPane, dataTable, details, navigate } from './dom.js';
import { graph, graphList, directoryObjectRef, objectType, shortDate } from './graph.js';
import { entraMenu, objectMenu } from './entra.js';

const GROUP_FIELDS = 'id,displayName,description,securityEnabled,mailEnabled,groupTypes,mail,createdDateTime';

function groupType(group) {
  if ((group.groupTypes || []).includes('Unified')) return 'Microsoft 365';
  return group.mailEnabled ? 'Mail-enabled security' : 'Security';
}

function membershipType(group) {
  return (group.groupTypes || []).includes('DynamicMembership') ? 'Dynamic' : 'Assigned';
}

/** The Groups list ("All groups"). */
export async function groupsBlade() {
  entraMenu('groups');
  const groups = await graphList(`/groups?$select=${GROUP_FIELDS}&$top=100`);
  groups.sort((a, b) => a.displayName.localeCompare(b.displayName));
  const rows = groups.map((group) => el('tr', {},
    el('td', {}, el('a', { href: `#/entra/groups/${group.id}` }, group.displayName)), el('td', {}, group.id),
    el('td', {}, groupType(group)), el('td', {}, membershipType(group)), el('td', {}, group.mail || '')));
  show('content', el('h1', {}, 'Groups'), el('p', { class: 'subtitle' }, 'All groups'),
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: () => navigate('#/entra/groups/new') }, '+ New group'),
      el('button', { type: 'button', onclick: () => navigate('#/entra/groups') }, 'Refresh')),
    dataTable(['Name', 'Object Id', 'Group type', 'Membership type', 'Email'], rows, 'No groups found.'));
}

/** A mail nickname from the name (Graph requires one even for security groups; Azure's portal makes one up). */
function mailNickname(name) {
  const derived = name.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 56);
  return derived || `group-${Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The "New Group" form. */
export async function newGroupForm() {
  entraMenu('groups');
  const type = el('select', {}, el('option', { value: 'Security' }, 'Security'));
  const name = el('input', { type: 'text', autocomplete: 'off' });
  const description = el('input', { type: 'text', autocomplete: 'off' });
  const membership = el('select', {}, el('option', { value: 'Assigned' }, 'Assigned'));
  const create = el('button', { type: 'button', class: 'primary' }, 'Create');
  create.addEventListener('click', async () => {
    const displayName = name.value.trim();
    if (!displayName) return banner('The value must not be empty: Group name.');
    create.disabled = true;
    try {
      const group = await graph('POST', '/groups', {
        displayName, mailNickname: mailNickname(displayName), mailEnabled: false, securityEnabled: true,
        ...(description.value.trim() ? { description: description.value.trim() } : {}),
      });
      navigate(`#/entra/groups/${group.id}`, `Created group '${displayName}'.`);
    } catch (error) {
      create.disabled = false;
      showError(error);
    }
  });
  show('content', el('h1', {}, 'New Group'), el('p', { class: 'subtitle' }, 'Groups'),
    field('Group type', type), field('Group name', name), field('Group description', description),
    field('Membership type', membership),
    el('p', { class: 'muted' }, 'Add members and owners on the group\'s Members and Owners blades once it exists.'),
    el('div', { class: 'toolbar' }, create, el('button', { type: 'button', onclick: () => navigate('#/entra/groups') }, 'Cancel')));
}

/** A group's blades: 'overview', 'members' or 'owners'. */
export async function groupBlade(id, blade) {
  const group = await graph('GET', `/groups/${encodeURIComponent(id)}?$select=${GROUP_FIELDS}`);
  objectMenu('#/entra/groups', 'Groups', group.displayName, `#/entra/groups/${group.id}`,
    [['overview', 'Overview'], ['members', 'Members'], ['owners', 'Owners']], blade);
  if (blade === 'members' || blade === 'owners') return relationBlade(group, blade);
  const members = await graphList(`/groups/${group.id}/members?$top=100`);
  const owners = await graphList(`/groups/${group.id}/owners?$top=100`);
  const remove = el('button', { type: 'button' }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!(await confirmPane('Delete group', `Are you sure you want to delete the group '${group.displayName}'? Its members lose what the group gave them; security groups cannot be restored.`))) return;
    try {
      await graph('DELETE', `/groups/${group.id}`);
      navigate('#/entra/groups', `Deleted group '${group.displayName}'.`);
    } catch (error) {
      showError(error);
    }
  });
  show('content', el('h1', {}, group.displayName), el('p', { class: 'subtitle' }, 'Group'),
    el('div', { class: 'toolbar' }, remove, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    details([['Group type', groupType(group)], ['Membership type', membershipType(group)], ['Object Id', el('code', {}, group.id)],
      ['Description', group.description], ['Created on', shortDate(group.createdDateTime)],
      ['Direct members', String(members.length)], ['Owners', String(owners.length)]]));
}

function detailOf(object) {
  return object.userPrincipalName || (object.appId ? `App ${object.appId}` : object.description || '');
}

/** Members or Owners of a group: the list, + Add, Remove. */
async function relationBlade(group, relation) {
  const title = relation === 'members' ? 'Members' : 'Owners';
  const objects = await graphList(`/groups/${group.id}/${relation}?$top=100`);
  objects.sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
  const selected = new Set();
  const remove = el('button', { type: 'button', disabled: true }, 'Remove');
  const rows = objects.map((object) => {
    const box = el('input', { type: 'checkbox', 'aria-label': object.displayName || object.id });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(object.id); else selected.delete(object.id);
      remove.disabled = selected.size === 0;
    });
    return el('tr', {}, el('td', {}, box), el('td', {}, object.displayName || object.id), el('td', {}, objectType(object)),
      el('td', {}, detailOf(object)), el('td', {}, object.id));
  });
  remove.addEventListener('click', async () => {
    const names = objects.filter((o) => selected.has(o.id)).map((o) => o.displayName || o.id).join(', ');
    const what = relation === 'members' ? 'member' : 'owner';
    if (!(await confirmPane(`Remove ${what}`, `Do you want to remove ${names} from the group '${group.displayName}'?`))) return;
    try {
      for (const id of selected) await graph('DELETE', `/groups/${group.id}/${relation}/${id}/$ref`);
      navigate(location.hash, `Removed ${names} from ${title.toLowerCase()}.`);
    } catch (error) {
      showError(error);
    }
  });
  const add = el('button', { type: 'button', onclick: () => addPane(group, relation, objects).catch(showError) },
    relation === 'members' ? '+ Add members' : '+ Add owners');
  show('content', el('h1', {}, `${group.displayName} | ${title}`), el('p', { class: 'subtitle' }, 'Group'),
    el('div', { class: 'toolbar' }, add, remove, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    el('p', { class: 'muted' }, relation === 'members' ? 'Direct members' : 'Owners can manage the group and its members.'),
    dataTable(['', 'Name', 'Type', 'User principal name or application', 'Object ID'], rows,
      relation === 'members' ? 'No members found.' : 'No owners found.'));
}

/** The directory objects that may join: users and service principals; groups too for members. */
async function candidates(group, relation, present) {
  const taken = new Set([group.id, ...present.map((object) => object.id)]);
  const users = await graphList('/users?$select=id,displayName,userPrincipalName&$top=100');
  const groups = relation === 'members' ? await graphList('/groups?$select=id,displayName,description&$top=100') : [];
  const principals = await graphList('/servicePrincipals?$select=id,displayName,appId,servicePrincipalType&$top=100');
  const byName = (a, b) => (a.displayName || '').localeCompare(b.displayName || '');
  return [
    ...users.map((user) => ({ ...user, '@odata.type': '#microsoft.graph.user' })).sort(byName),
    ...groups.map((other) => ({ ...other, '@odata.type': '#microsoft.graph.group' })).sort(byName),
    ...principals.map((principal) => ({ ...principal, '@odata.type': '#microsoft.graph.servicePrincipal' })).sort(byName),
  ].filter((object) => !taken.has(object.id));
}

async function addPane(group, relation, present) {
  const found = await candidates(group, relation, present);
  const chosen = new Set();
  const select = el('button', { type: 'button', class: 'primary', disabled: true }, 'Select');
  const search = el('input', { type: 'search', autocomplete: 'off', placeholder: 'Search' });
  const items = found.map((object) => {
    const box = el('input', { type: 'checkbox', value: object.id });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(object.id); else chosen.delete(object.id);
      select.disabled = chosen.size === 0;
    });
    return el('label', { class: 'member' }, box, ` ${object.displayName || object.id} `,
      el('span', { class: 'muted' }, `${detailOf(object)} (${objectType(object)})`));
  });
  search.addEventListener('input', () => {
    const text = search.value.trim().toLowerCase();
    for (const item of items) item.hidden = text !== '' && !item.textContent.toLowerCase().includes(text);
  });
  const title = relation === 'members' ? 'Add members' : 'Add owners';
  const close = openPane(title, el('p', { class: 'muted' }, `Group ${group.displayName}`), field('Search', search),
    el('fieldset', { class: 'field members' }, el('legend', {}, relation === 'members' ? 'Users, groups and service principals' : 'Users and service principals'),
      items.length === 0 ? el('p', { class: 'muted' }, 'Nobody left to add.') : items),
    el('div', { class: 'actions' }, select, el('button', { type: 'button', onclick: () => close() }, 'Cancel')));
  select.addEventListener('click', async () => {
    close();
    try {
      for (const id of chosen) await graph('POST', `/groups/${group.id}/${relation}/$ref`, await directoryObjectRef(id));
      navigate(location.hash, `Added ${chosen.size === 1 ? 'one' : chosen.size} ${relation === 'members' ? 'member' : 'owner'}${chosen.size === 1 ? '' : 's'} to '${group.displayName}'.`);
    } catch (error) {
      showError(error);
    }
  });
}
