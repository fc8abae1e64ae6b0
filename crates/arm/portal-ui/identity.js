// The VM's Identity blade: "System assigned" and "User assigned" tabs, as in the Azure portal.
// Every change is a PATCH of the VM's `identity` block (merge semantics, so the other kind of
// identity is preserved).

import { arm, armOperation, list, COMPUTE, IDENTITY } from './arm.js';
import { el, show, banner, showError, confirmPane } from './dom.js';

function userIds(vm) {
  return Object.keys((vm.identity && vm.identity.userAssignedIdentities) || {});
}

function hasSystem(vm) {
  return /SystemAssigned/i.test((vm.identity && vm.identity.type) || '');
}

function nameOf(id) {
  return id.split('/').pop();
}

function groupOf(id) {
  const parts = id.split('/');
  return parts[parts.findIndex((p) => p.toLowerCase() === 'resourcegroups') + 1] || '';
}

function typeOf(system, users) {
  if (system && users) return 'SystemAssigned, UserAssigned';
  if (system) return 'SystemAssigned';
  return users ? 'UserAssigned' : 'None';
}

/** Renders the blade for the VM at `path` (tab: 'system' or 'user'). */
export async function identityBlade(path, tab = 'system') {
  const vm = await arm('GET', `${path}?api-version=${COMPUTE}`);
  const state = { path, vm, tab };
  render(state);
}

async function patch(state, identity, done) {
  try {
    // A VM PATCH is a long-running operation: follow it, then show the VM as it ended.
    state.vm = await armOperation('PATCH', `${state.path}?api-version=${COMPUTE}`, { identity });
    render(state);
    banner(done, 'info');
  } catch (error) {
    showError(error);
  }
}

function render(state) {
  const select = (tab) => { state.tab = tab; banner(''); render(state); };
  const tabs = el('div', { class: 'tabs', role: 'tablist' },
    el('button', { type: 'button', role: 'tab', 'aria-selected': String(state.tab === 'system'), onclick: () => select('system') }, 'System assigned'),
    el('button', { type: 'button', role: 'tab', 'aria-selected': String(state.tab === 'user'), onclick: () => select('user') }, 'User assigned'));
  const body = state.tab === 'system' ? systemTab(state) : userTab(state);
  show('content', el('h1', {}, `${state.vm.name} | Identity`), el('p', { class: 'subtitle' }, 'Virtual machine'), tabs,
    el('div', { role: 'tabpanel' }, body));
}

function systemTab(state) {
  const current = hasSystem(state.vm);
  let desired = current;
  const off = el('button', { type: 'button', 'aria-pressed': String(!current) }, 'Off');
  const on = el('button', { type: 'button', 'aria-pressed': String(current) }, 'On');
  const save = el('button', { type: 'button', class: 'primary', disabled: true }, 'Save');
  const set = (value) => {
    desired = value;
    on.setAttribute('aria-pressed', String(value));
    off.setAttribute('aria-pressed', String(!value));
    save.disabled = value === current;
  };
  off.addEventListener('click', () => set(false));
  on.addEventListener('click', () => set(true));
  save.addEventListener('click', async () => {
    if (!desired && !(await confirmPane('Disable system assigned managed identity',
      'Disabling the system assigned managed identity will remove it from the directory, and its role assignments will be deleted. Do you want to continue?'))) return;
    const users = userIds(state.vm).length > 0;
    await patch(state, { type: typeOf(desired, users) }, `Updated the system assigned identity of '${state.vm.name}'.`);
  });
  const refresh = el('button', { type: 'button', onclick: () => identityBlade(state.path, 'system').catch(showError) }, 'Refresh');
  const fields = [
    el('p', { class: 'muted' }, 'A system assigned managed identity is restricted to one per resource and is tied to the lifecycle of this resource.'),
    el('div', { class: 'toolbar' }, save, refresh),
    el('div', { class: 'field' }, el('span', { id: 'status-label' }, 'Status'),
      el('span', { class: 'toggle', role: 'group', 'aria-labelledby': 'status-label' }, off, on)),
  ];
  if (current) {
    fields.push(el('div', { class: 'field' }, el('span', {}, 'Object (principal) ID'),
      el('code', { 'data-testid': 'principal-id' }, state.vm.identity.principalId)));
  }
  return fields;
}

function userTab(state) {
  const ids = userIds(state.vm);
  const selected = new Set();
  const remove = el('button', { type: 'button', disabled: true }, 'Remove');
  const rows = ids.map((id) => {
    const entry = state.vm.identity.userAssignedIdentities[id] || {};
    const box = el('input', { type: 'checkbox', 'aria-label': nameOf(id) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(id); else selected.delete(id);
      remove.disabled = selected.size === 0;
    });
    return el('tr', {}, el('td', {}, box), el('td', {}, nameOf(id)), el('td', {}, groupOf(id)),
      el('td', {}, entry.clientId || ''), el('td', {}, entry.principalId || ''));
  });
  remove.addEventListener('click', async () => {
    if (!(await confirmPane('Remove user assigned managed identity',
      `Do you want to remove ${[...selected].map(nameOf).join(', ')} from '${state.vm.name}'? Its role assignments stay, but this resource can no longer use it.`))) return;
    const remaining = ids.filter((id) => !selected.has(id));
    const identity = remaining.length === 0
      ? { type: typeOf(hasSystem(state.vm), false) }
      : { type: typeOf(hasSystem(state.vm), true), userAssignedIdentities: Object.fromEntries([...selected].map((id) => [id, null])) };
    await patch(state, identity, `Removed user assigned identities from '${state.vm.name}'.`);
  });
  const add = el('button', { type: 'button', onclick: () => picker(state).catch(showError) }, '+ Add');
  const refresh = el('button', { type: 'button', onclick: () => identityBlade(state.path, 'user').catch(showError) }, 'Refresh');
  const table = ids.length === 0
    ? el('p', { class: 'muted' }, 'No user assigned managed identities found on this resource.')
    : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Name'), el('th', {}, 'Resource group'),
      el('th', {}, 'Client ID'), el('th', {}, 'Object (principal) ID'))), el('tbody', {}, rows));
  return [
    el('p', { class: 'muted' }, 'User assigned managed identities enable Azure resources to authenticate to cloud services without storing credentials in code.'),
    el('div', { class: 'toolbar' }, add, remove, refresh),
    table,
  ];
}

async function picker(state) {
  const subscription = state.path.split('/')[2];
  const assigned = new Set(userIds(state.vm).map((id) => id.toLowerCase()));
  const all = await list(`/subscriptions/${subscription}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=${IDENTITY}`);
  const choices = all.filter((identity) => !assigned.has(identity.id.toLowerCase()));
  const chosen = new Set();
  const backdrop = document.getElementById('dialog');
  const close = () => { backdrop.hidden = true; backdrop.replaceChildren(); };
  const addButton = el('button', { type: 'button', class: 'primary', disabled: true }, 'Add');
  const items = choices.map((identity) => {
    const box = el('input', { type: 'checkbox', 'aria-label': identity.name });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(identity.id); else chosen.delete(identity.id);
      addButton.disabled = chosen.size === 0;
    });
    return el('tr', {}, el('td', {}, box), el('td', {}, identity.name), el('td', {}, groupOf(identity.id)));
  });
  addButton.addEventListener('click', async () => {
    close();
    await patch(state, {
      type: typeOf(hasSystem(state.vm), true),
      userAssignedIdentities: Object.fromEntries([...chosen].map((id) => [id, {}])),
    }, `Added user assigned identities to '${state.vm.name}'.`);
  });
  backdrop.replaceChildren(el('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Add user assigned managed identity' },
    el('h2', {}, 'Add user assigned managed identity'),
    el('p', { class: 'muted' }, `Subscription ${subscription}`),
    choices.length === 0
      ? el('p', {}, 'No user assigned managed identities to add.')
      : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Name'), el('th', {}, 'Resource group'))), el('tbody', {}, items)),
    el('div', { class: 'actions' }, addButton, el('button', { type: 'button', onclick: close }, 'Cancel'))));
  backdrop.hidden = false;
}
