// The Managed Identities blade: the subscriptions' user-assigned identities (list, + Create with
// Review + create, Delete with a Yes/No confirmation), as in the Azure portal.

import { arm, list, IDENTITY, RESOURCES } from './arm.js';
import { el, show, banner, showError, confirmPane } from './dom.js';
import { identityHash } from './managed-identity.js';

function groupOf(id) {
  const parts = id.split('/');
  return parts[parts.findIndex((p) => p.toLowerCase() === 'resourcegroups') + 1] || '';
}

function identityPath(subscription, group, name) {
  return `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${encodeURIComponent(name)}`;
}

/** The user-assigned identities of every subscription the user can list. */
export async function allIdentities() {
  const subscriptions = await list('/subscriptions?api-version=2022-12-01');
  const identities = [];
  for (const subscription of subscriptions) {
    identities.push(...await list(`/subscriptions/${subscription.subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=${IDENTITY}`));
  }
  return identities;
}

/** Renders the list of managed identities. */
export async function identitiesBlade() {
  const identities = await allIdentities();
  const selected = new Set();
  const remove = el('button', { type: 'button', disabled: true }, 'Delete');
  const rows = identities.map((identity) => {
    const box = el('input', { type: 'checkbox', 'aria-label': identity.name });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(identity.id); else selected.delete(identity.id);
      remove.disabled = selected.size === 0;
    });
    const properties = identity.properties || {};
    const name = el('a', { href: identityHash(identity.id.split('/')[2], groupOf(identity.id), identity.name) }, identity.name);
    return el('tr', {}, el('td', {}, box), el('td', {}, name), el('td', {}, groupOf(identity.id)),
      el('td', {}, identity.location), el('td', {}, properties.clientId || ''), el('td', {}, properties.principalId || ''));
  });
  remove.addEventListener('click', async () => {
    const chosen = identities.filter((identity) => selected.has(identity.id));
    if (!(await confirmPane('Delete managed identity',
      `Are you sure you want to delete ${chosen.map((i) => i.name).join(', ')}? Resources using it can no longer get tokens for it, and its role assignments are deleted.`))) return;
    try {
      for (const identity of chosen) await arm('DELETE', `${identity.id}?api-version=${IDENTITY}`);
      await identitiesBlade();
      banner(`Deleted ${chosen.map((i) => i.name).join(', ')}.`, 'info');
    } catch (error) {
      showError(error);
    }
  });
  const create = el('button', { type: 'button', onclick: () => createForm().catch(showError) }, '+ Create');
  const refresh = el('button', { type: 'button', onclick: () => { banner(''); identitiesBlade().catch(showError); } }, 'Refresh');
  show('content', el('h1', {}, 'Managed Identities'),
    el('div', { class: 'toolbar' }, create, remove, refresh),
    identities.length === 0
      ? el('p', { class: 'muted' }, 'No managed identities to display.')
      : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Name'), el('th', {}, 'Resource group'),
        el('th', {}, 'Location'), el('th', {}, 'Client ID'), el('th', {}, 'Object (principal) ID'))), el('tbody', {}, rows)));
}

function field(label, control) {
  return el('label', { class: 'field' }, el('span', {}, label), control);
}

/** The "Create User Assigned Managed Identity" form, then its review. */
async function createForm() {
  const subscriptions = await list('/subscriptions?api-version=2022-12-01');
  const groups = [];
  for (const subscription of subscriptions) {
    const found = await list(`/subscriptions/${subscription.subscriptionId}/resourcegroups?api-version=${RESOURCES}`);
    groups.push(...found.map((group) => ({ subscription: subscription.subscriptionId, name: group.name, location: group.location })));
  }
  if (groups.length === 0) throw new Error('No resource group to create the identity in: create one first.');
  const locations = await list(`/subscriptions/${groups[0].subscription}/locations?api-version=2022-12-01`);
  const groupSelect = el('select', {}, groups.map((group, index) => el('option', { value: String(index) }, group.name)));
  const regionSelect = el('select', {}, locations.map((location) => el('option', { value: location.name }, location.displayName)));
  const nameInput = el('input', { type: 'text', autocomplete: 'off' });
  const syncRegion = () => { regionSelect.value = groups[Number(groupSelect.value)].location; };
  groupSelect.addEventListener('change', syncRegion);
  syncRegion();
  const review = el('button', { type: 'button', class: 'primary' }, 'Review + create');
  review.addEventListener('click', () => {
    const group = groups[Number(groupSelect.value)];
    const name = nameInput.value.trim();
    if (!name) { banner('The value must not be empty: Name.'); return; }
    banner('');
    reviewPage(group, regionSelect.value, regionSelect.selectedOptions[0].textContent, name);
  });
  banner('');
  show('content', el('h1', {}, 'Create User Assigned Managed Identity'),
    el('h2', {}, 'Project details'),
    field('Resource group', groupSelect),
    el('h2', {}, 'Instance details'),
    field('Region', regionSelect),
    field('Name', nameInput),
    el('div', { class: 'toolbar' }, review,
      el('button', { type: 'button', onclick: () => identitiesBlade().catch(showError) }, 'Cancel')));
}

function reviewPage(group, location, locationName, name) {
  const createButton = el('button', { type: 'button', class: 'primary' }, 'Create');
  createButton.addEventListener('click', async () => {
    createButton.disabled = true;
    try {
      await arm('PUT', `${identityPath(group.subscription, group.name, name)}?api-version=${IDENTITY}`, { location });
      await identitiesBlade();
      banner(`Created managed identity '${name}'.`, 'info');
    } catch (error) {
      createButton.disabled = false;
      showError(error);
    }
  });
  const rows = [['Subscription', group.subscription], ['Resource group', group.name], ['Region', locationName], ['Name', name]];
  show('content', el('h1', {}, 'Create User Assigned Managed Identity'), el('p', { class: 'subtitle' }, 'Review + create'),
    el('dl', {}, rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)])),
    el('div', { class: 'toolbar' }, createButton,
      el('button', { type: 'button', onclick: () => createForm().catch(showError) }, 'Previous')));
}
