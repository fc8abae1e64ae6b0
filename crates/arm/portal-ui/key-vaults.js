// Key vaults, as in the Azure portal ("Quickstart: Create a key vault using the Azure portal"): the
// subscriptions' vaults (Name, Type, Resource group, Location, Subscription); "+ Create" — tabs
// Basics (the name checked with checkNameAvailability as you type, as the portal does), Access
// configuration (permission model, resource access) and Review + create; and "Manage deleted
// vaults", the pane of a subscription's soft-deleted vaults (Recover, Purge).
// Routes: #/keyvaults, #/keyvaults/new.

import { arm, armOperation, list, vaultPath, groupOf, KEY_VAULT, RESOURCES } from './arm.js';
import { session } from './auth.js';
import { el, show, banner, showError, confirmPane, field, dataTable, details, navigate, openPane, wizardTabs } from './dom.js';
import { vaultHash, RBAC_MODEL, POLICY_MODEL, RESOURCE_ACCESS } from './key-vault.js';
import { creatorPolicy } from './access-policies.js';

const SUBSCRIPTIONS = '/subscriptions?api-version=2022-12-01';

/** The Key vaults list. */
export async function keyVaultsBlade() {
  const subscriptions = await list(SUBSCRIPTIONS);
  const rows = [];
  for (const subscription of subscriptions) {
    const vaults = await list(`/subscriptions/${subscription.subscriptionId}/providers/Microsoft.KeyVault/vaults?api-version=${KEY_VAULT}`);
    for (const vault of vaults) {
      const group = groupOf(vault.id);
      rows.push(el('tr', {}, el('td', {}, el('a', { href: vaultHash(subscription.subscriptionId, group, vault.name) }, vault.name)),
        el('td', {}, 'Key vault'), el('td', {}, group), el('td', {}, vault.location), el('td', {}, subscription.displayName)));
    }
  }
  show('content', el('h1', {}, 'Key vaults'),
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: () => navigate('#/keyvaults/new') }, '+ Create'),
      el('button', { type: 'button', onclick: () => navigate('#/keyvaults') }, 'Refresh'),
      el('button', { type: 'button', onclick: () => deletedVaultsPane(subscriptions).catch(showError) }, 'Manage deleted vaults')),
    dataTable(['Name', 'Type', 'Resource group', 'Location', 'Subscription'], rows, 'No key vaults to display.'));
}

// ---- + Create ------------------------------------------------------------------------------------

/** Asks ARM whether `name` can be a vault's: `{ available, message }` (ARM's reason text). */
async function checkName(subscription, name) {
  const answer = await arm('POST', `/subscriptions/${subscription}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=${KEY_VAULT}`,
    { name, type: 'Microsoft.KeyVault/vaults' });
  return { available: answer.nameAvailable, message: answer.message || '' };
}

function select(options, selected) {
  return el('select', {}, options.map(([value, label]) => el('option', { value, selected: value === selected }, label)));
}

function choice(name, label, checked) {
  const input = el('input', { type: 'radio', name, checked });
  return [input, el('label', { class: 'choice' }, input, ` ${label}`)];
}

/** The "Create a key vault" wizard. */
export async function createVaultForm() {
  const subscriptions = await list(SUBSCRIPTIONS);
  if (subscriptions.length === 0) throw new Error('No subscription to create the key vault in.');
  const subscriptionSelect = select(subscriptions.map((s) => [s.subscriptionId, s.displayName]));
  const groupSelect = el('select', {});
  const regionSelect = el('select', {});
  const name = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const nameStatus = el('div', { class: 'muted', 'data-testid': 'name-status', 'aria-live': 'polite' });
  const tier = select([['standard', 'Standard'], ['premium', 'Premium']], 'standard');
  const retention = el('input', { type: 'number', min: '7', max: '90', value: '90' });
  const [purgeOff, purgeOffLabel] = choice('purge-protection', 'Disable purge protection (allow key vault and objects to be purged during retention period)', true);
  const [purgeOn, purgeOnLabel] = choice('purge-protection', 'Enable purge protection (enforce a mandatory retention period for deleted vaults and vault objects)', false);
  const [rbac, rbacLabel] = choice('permission-model', `${RBAC_MODEL} (recommended)`, true);
  const [, policyLabel] = choice('permission-model', POLICY_MODEL, false);
  const access = RESOURCE_ACCESS.map(([property, label]) => {
    const box = el('input', { type: 'checkbox' });
    return [property, box, el('label', { class: 'member' }, box, ` ${label}`)];
  });
  const user = session().user;
  const policySection = el('section', {}, el('h2', {}, 'Access policies'),
    el('p', { class: 'muted' }, 'The vault starts with an access policy for you (Key, Secret, & Certificate Management); add others in the vault\'s Access policies.'),
    dataTable(['Name', 'Email', 'Key permissions', 'Secret permissions', 'Certificate permissions'],
      [el('tr', {}, el('td', {}, user.name || user.username), el('td', {}, user.username || ''), el('td', {}, '12 selected'),
        el('td', {}, '7 selected'), el('td', {}, '15 selected'))], ''));

  const loadGroups = async () => {
    const subscription = subscriptionSelect.value;
    const groups = await list(`/subscriptions/${subscription}/resourcegroups?api-version=${RESOURCES}`);
    const locations = await list(`/subscriptions/${subscription}/locations?api-version=2022-12-01`);
    groupSelect.replaceChildren(...groups.map((group) => el('option', { value: group.name, 'data-location': group.location }, group.name)));
    regionSelect.replaceChildren(...locations.map((location) => el('option', { value: location.name }, location.displayName)));
    syncRegion();
  };
  const syncRegion = () => {
    const option = groupSelect.selectedOptions[0];
    if (option) regionSelect.value = option.dataset.location;
  };
  // The name check as the portal does it: as you type, the latest answer wins.
  let checks = 0;
  let lastCheck = Promise.resolve(null);
  const runCheck = () => {
    const value = name.value.trim();
    const ticket = ++checks;
    nameStatus.textContent = '';
    if (!value) { lastCheck = Promise.resolve(null); return lastCheck; }
    lastCheck = checkName(subscriptionSelect.value, value).then((result) => {
      if (ticket === checks) {
        nameStatus.textContent = result.available ? `'${value}' is available.` : result.message;
        nameStatus.className = result.available ? 'muted' : 'error-text';
      }
      return result;
    });
    return lastCheck;
  };
  let timer = null;
  name.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => runCheck().catch(showError), 300); });
  subscriptionSelect.addEventListener('change', () => loadGroups().catch(showError));
  groupSelect.addEventListener('change', syncRegion);
  await loadGroups();
  const policyModel = () => !rbac.checked;
  const syncPolicies = () => { policySection.hidden = !policyModel(); };
  for (const input of [rbacLabel, policyLabel]) input.addEventListener('change', syncPolicies);
  syncPolicies();

  /** Basics' errors, in the portal's order: the first empty field, then the name check. */
  const basicsError = async () => {
    if (!groupSelect.value) return 'The value must not be empty: Resource group.';
    if (!name.value.trim()) return 'The value must not be empty: Key vault name.';
    clearTimeout(timer);
    const result = await runCheck();
    return result && !result.available ? result.message : null;
  };
  const request = () => {
    const subscription = subscriptions.find((s) => s.subscriptionId === subscriptionSelect.value);
    const properties = {
      tenantId: subscription.tenantId,
      sku: { family: 'A', name: tier.value },
      enableRbacAuthorization: !policyModel(),
      softDeleteRetentionInDays: Number(retention.value),
      ...(purgeOn.checked ? { enablePurgeProtection: true } : {}),
      accessPolicies: policyModel() ? [creatorPolicy(subscription.tenantId, user.oid)] : [],
      ...Object.fromEntries(access.map(([property, box]) => [property, box.checked])),
    };
    return { subscription, location: regionSelect.value, properties };
  };

  const review = el('div', {});
  const create = el('button', { type: 'button', class: 'primary' }, 'Create');
  const panels = {
    Basics: el('div', {},
      el('h2', {}, 'Project details'), field('Subscription', subscriptionSelect), field('Resource group', groupSelect),
      el('h2', {}, 'Instance details'), field('Key vault name', name, nameStatus), field('Region', regionSelect), field('Pricing tier', tier),
      el('h2', {}, 'Recovery options'),
      el('div', { class: 'field' }, el('span', {}, 'Soft-delete'), el('span', {}, 'Enabled'),
        el('div', { class: 'muted' }, 'Soft delete protection will automatically be enabled on this key vault.')),
      field('Days to retain deleted vaults', retention),
      el('fieldset', { class: 'field' }, el('legend', {}, 'Purge protection'), purgeOffLabel, el('br'), purgeOnLabel)),
    'Access configuration': el('div', {},
      el('fieldset', { class: 'field' }, el('legend', {}, 'Permission model'),
        el('p', { class: 'muted' }, 'Grant data plane access by using Azure RBAC or a Key Vault access policy.'), rbacLabel, el('br'), policyLabel),
      el('fieldset', { class: 'field' }, el('legend', {}, 'Resource access'), access.map(([, , label]) => label)),
      policySection),
    'Review + create': review,
  };
  const names = Object.keys(panels);
  const tabs = wizardTabs(names, (tab) => go(tab).catch(showError));
  const current = () => names.find((tab) => !panels[tab].hidden);
  const go = async (tab) => {
    if (tab === 'Review + create') {
      const error = await basicsError();
      if (error) { banner(error); return go('Basics'); }
      banner('');
      const { subscription, location, properties } = request();
      review.replaceChildren(el('h2', {}, 'Basics'), details([['Subscription', subscription.displayName], ['Resource group', groupSelect.value],
        ['Key vault name', name.value.trim()], ['Region', regionSelect.selectedOptions[0].textContent || location],
        ['Pricing tier', tier.selectedOptions[0].textContent], ['Soft-delete', 'Enabled'],
        ['Purge protection during retention period', properties.enablePurgeProtection ? 'Enabled' : 'Disabled'],
        ['Days to retain deleted vaults', `${properties.softDeleteRetentionInDays} days`]]),
      el('h2', {}, 'Access configuration'), details([['Permission model', properties.enableRbacAuthorization ? RBAC_MODEL : POLICY_MODEL],
        ...RESOURCE_ACCESS.map(([property, label]) => [label, properties[property] ? 'Enabled' : 'Disabled'])]));
    }
    tabs.mark(tab);
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== tab;
    // As in Azure's wizard, Review + create turns into Create on the last tab.
    create.hidden = tab !== 'Review + create';
    reviewButton.hidden = !create.hidden;
    nextButton.hidden = !create.hidden;
  };
  create.addEventListener('click', async () => {
    const { subscription, location, properties } = request();
    const vaultName = name.value.trim();
    create.disabled = true;
    try {
      await arm('PUT', `${vaultPath(subscription.subscriptionId, groupSelect.value, vaultName)}?api-version=${KEY_VAULT}`, { location, properties });
      navigate(vaultHash(subscription.subscriptionId, groupSelect.value, vaultName), `Created key vault '${vaultName}'.`);
    } catch (error) {
      create.disabled = false;
      showError(error);
    }
  });
  const step = (delta) => go(names[Math.max(0, Math.min(names.indexOf(current()) + delta, names.length - 1))]).catch(showError);
  const reviewButton = el('button', { type: 'button', class: 'primary', onclick: () => go('Review + create').catch(showError) }, 'Review + create');
  const nextButton = el('button', { type: 'button', onclick: () => step(1) }, 'Next');
  show('content', el('div', { class: 'form-page' }, el('h1', {}, 'Create a key vault'), tabs.node, Object.values(panels),
    el('div', { class: 'toolbar' }, create, reviewButton,
      el('button', { type: 'button', onclick: () => step(-1) }, 'Previous'), nextButton,
      el('button', { type: 'button', onclick: () => navigate('#/keyvaults') }, 'Cancel'))));
  await go('Basics');
}

// ---- Manage deleted vaults -----------------------------------------------------------------------

/** The "Manage deleted key vaults" pane: a subscription's soft-deleted vaults; Recover or Purge the one ticked. */
async function deletedVaultsPane(subscriptions) {
  const subscriptionSelect = select(subscriptions.map((s) => [s.subscriptionId, s.displayName]));
  const body = el('div', {});
  const recover = el('button', { type: 'button', class: 'primary', disabled: true }, 'Recover');
  const purge = el('button', { type: 'button', disabled: true }, 'Purge');
  let vaults = [];
  const chosen = () => vaults.filter((vault, index) => body.querySelector(`input[data-index="${index}"]`).checked);
  const sync = () => { const none = chosen().length === 0; recover.disabled = none; purge.disabled = none; };
  const load = async () => {
    vaults = await list(`/subscriptions/${subscriptionSelect.value}/providers/Microsoft.KeyVault/deletedVaults?api-version=${KEY_VAULT}`);
    body.replaceChildren(dataTable(['', 'Name', 'Location', 'Deletion date', 'Scheduled purge date'], vaults.map((vault, index) => {
      const properties = vault.properties;
      return el('tr', {}, el('td', {}, el('input', { type: 'checkbox', 'data-index': String(index), 'aria-label': vault.name, onchange: sync })),
        el('td', {}, vault.name), el('td', {}, properties.location),
        el('td', {}, new Date(properties.deletionDate).toLocaleString()), el('td', {}, new Date(properties.scheduledPurgeDate).toLocaleString()));
    }), 'No deleted key vaults in this subscription.'));
    sync();
  };
  const subscription = () => subscriptions.find((s) => s.subscriptionId === subscriptionSelect.value);
  recover.addEventListener('click', async () => {
    const picked = chosen();
    try {
      for (const vault of picked) {
        // Recovery is a PUT of the vault with createMode "recover", in its group and location.
        await arm('PUT', `${vault.properties.vaultId}?api-version=${KEY_VAULT}`, { location: vault.properties.location,
          properties: { tenantId: subscription().tenantId, sku: { family: 'A', name: 'standard' }, createMode: 'recover' } });
      }
      close();
      navigate('#/keyvaults', `Recovered ${picked.map((vault) => `'${vault.name}'`).join(', ')}.`);
    } catch (error) {
      showError(error);
    }
  });
  purge.addEventListener('click', async () => {
    const picked = chosen();
    const names = picked.map((vault) => `'${vault.name}'`).join(', ');
    close();
    if (!(await confirmPane('Purge key vault',
      `Are you sure you want to purge ${names}? Purging permanently deletes the key vault and its keys, secrets and certificates; this cannot be undone. Its name becomes free.`))) return;
    try {
      for (const vault of picked) await armOperation('POST', `${vault.id}/purge?api-version=${KEY_VAULT}`);
      navigate('#/keyvaults', `Purged ${names}.`);
    } catch (error) {
      showError(error);
    }
  });
  subscriptionSelect.addEventListener('change', () => load().catch(showError));
  await load();
  const close = openPane('Manage deleted key vaults', field('Subscription', subscriptionSelect), body,
    el('div', { class: 'actions' }, recover, purge, el('button', { type: 'button', onclick: () => close() }, 'Close')));
  document.querySelector('#dialog .dialog').classList.add('wide');
}
