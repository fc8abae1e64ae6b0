// One key vault's blades, as in the Azure portal: Overview (Essentials with the copyable Vault URI;
// Delete — a soft delete — with a Yes/No confirmation), Access control (IAM) (iam.js at the vault's
// scope), Access policies (access-policies.js) and, under Settings, Access configuration (the
// permission model and resource access, a PATCH of the vault).
// Secrets (secrets.js).
// Routes: #/keyvaults/{sub}/{group}/{name}[/iam|/access-policies[/create]|/secrets[/…]|/access-configuration].

import { arm, list, vaultPath, KEY_VAULT } from './arm.js';
import { el, show, banner, showError, confirmPane, details, navigate } from './dom.js';
import { iamBlade } from './iam.js';
import { accessPoliciesBlade, createPolicyForm } from './access-policies.js';
import { secretsBlade } from './secrets.js';

/** The permission models, in the Azure portal's words. */
export const RBAC_MODEL = 'Azure role-based access control';
export const POLICY_MODEL = 'Vault access policy';

/** "Resource access" of Access configuration: the property and Azure's label. */
export const RESOURCE_ACCESS = [
  ['enabledForDeployment', 'Azure Virtual Machines for deployment'],
  ['enabledForTemplateDeployment', 'Azure Resource Manager for template deployment'],
  ['enabledForDiskEncryption', 'Azure Disk Encryption for volume encryption'],
];

/** The fragment of a vault's blade. */
export function vaultHash(subscription, group, name, blade = 'overview') {
  const base = `#/keyvaults/${subscription}/${encodeURIComponent(group)}/${encodeURIComponent(name)}`;
  return blade === 'overview' ? base : `${base}/${blade}`;
}

function link(href, text, current) {
  const reload = () => { if (location.hash === href) window.dispatchEvent(new HashChangeEvent('hashchange')); };
  return el('a', { href, 'aria-current': current ? 'page' : undefined, onclick: reload }, text);
}

/**
 * The vault's menu. Azure's "Objects" heading (Keys, Secrets, Certificates) comes after Access
 * policies; mimic's portal has Secrets (secrets.js, on the vault's data plane).
 */
const OBJECTS = [['secrets', 'Secrets']];

function menu(subscription, group, name, current) {
  const item = (blade, text) => link(vaultHash(subscription, group, name, blade), text, current === blade);
  show('menu', link('#/keyvaults', 'Key vaults'), el('div', { class: 'heading' }, name),
    item('overview', 'Overview'), item('iam', 'Access control (IAM)'), item('access-policies', 'Access policies'),
    OBJECTS.length ? [el('div', { class: 'heading' }, 'Objects'), ...OBJECTS.map(([blade, text]) => item(blade, text))] : [],
    el('div', { class: 'heading' }, 'Settings'), item('access-configuration', 'Access configuration'));
}

/** Renders the vault's blade for the fragment's parts after `keyvaults`: sub, group, name, blade, action. */
export async function keyVaultRoute([subscription, group, name, blade = 'overview', action, ...rest]) {
  menu(subscription, group, name, blade);
  const path = vaultPath(subscription, group, name);
  if (blade === 'iam') return iamBlade(path, name, 'Key vault');
  const vault = await arm('GET', `${path}?api-version=${KEY_VAULT}`);
  const hash = vaultHash(subscription, group, vault.name);
  if (blade === 'secrets') return secretsBlade(vault, `${hash}/secrets`, [action, ...rest].map((part) => part && decodeURIComponent(part)));
  if (blade === 'access-policies' && action === 'create') return createPolicyForm(vault, hash);
  if (blade === 'access-policies') return accessPoliciesBlade(vault, hash);
  if (blade === 'access-configuration') return accessConfiguration(vault);
  return overview(subscription, group, vault);
}

/** The Vault URI with a copy button, as Azure shows it. */
function vaultUri(uri) {
  const copy = el('button', { type: 'button', class: 'copy', 'aria-label': 'Copy Vault URI to clipboard' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(uri);
      copy.textContent = 'Copied';
    } catch {
      getSelection().selectAllChildren(code);
    }
  });
  const code = el('code', { 'data-testid': 'vault-uri' }, uri);
  return el('span', {}, code, ' ', copy);
}

async function overview(subscription, group, vault) {
  const properties = vault.properties;
  const subscriptions = await list('/subscriptions?api-version=2022-12-01').catch(() => []);
  const known = subscriptions.find((s) => s.subscriptionId === subscription);
  const remove = el('button', { type: 'button' }, 'Delete');
  remove.addEventListener('click', () => deleteVault(vault).catch(showError));
  show('content', el('h1', {}, vault.name), el('p', { class: 'subtitle' }, 'Key vault'),
    el('div', { class: 'toolbar' }, remove, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    el('h2', {}, 'Essentials'),
    details([['Resource group', group], ['Location', vault.location], ['Subscription', known ? known.displayName : subscription],
      ['Subscription ID', subscription], ['Vault URI', vaultUri(properties.vaultUri)],
      ['Sku (Pricing tier)', properties.sku.name === 'premium' ? 'Premium' : 'Standard'],
      ['Directory ID', properties.tenantId],
      ['Soft-delete', properties.enableSoftDelete === false ? 'Disabled' : 'Enabled'],
      ['Days to retain deleted vaults', String(properties.softDeleteRetentionInDays)],
      ['Purge protection', properties.enablePurgeProtection ? 'Enabled' : 'Disabled'],
      ['Permission model', properties.enableRbacAuthorization ? RBAC_MODEL : POLICY_MODEL]]),
    el('p', { class: 'muted' }, 'Applications reach the vault\'s keys, secrets and certificates at its Vault URI.'));
}

async function deleteVault(vault) {
  const properties = vault.properties;
  const days = properties.softDeleteRetentionInDays;
  const purge = properties.enablePurgeProtection
    ? ` Purge protection is enabled: it cannot be purged before the ${days} days have passed.`
    : ' Until it is purged, its name stays taken.';
  if (!(await confirmPane('Delete key vault',
    `Are you sure you want to delete the key vault '${vault.name}'? It will be soft-deleted with its keys, secrets and certificates: you can recover it from "Manage deleted vaults" for ${days} days.${purge}`))) return;
  await arm('DELETE', `${vault.id}?api-version=${KEY_VAULT}`);
  navigate('#/keyvaults', `Deleted key vault '${vault.name}'. It can be recovered from "Manage deleted vaults".`);
}

function radio(name, label, checked) {
  const input = el('input', { type: 'radio', name, checked });
  return [input, el('label', { class: 'choice' }, input, ` ${label}`)];
}

/** Access configuration: the permission model and resource access; Apply PATCHes what changed. */
function accessConfiguration(vault) {
  const properties = vault.properties;
  const [rbac, rbacLabel] = radio('permission-model', `${RBAC_MODEL} (recommended)`, properties.enableRbacAuthorization);
  const [policy, policyLabel] = radio('permission-model', POLICY_MODEL, !properties.enableRbacAuthorization);
  const access = RESOURCE_ACCESS.map(([property, label]) => {
    const box = el('input', { type: 'checkbox', checked: Boolean(properties[property]) });
    return [property, box, el('label', { class: 'member' }, box, ` ${label}`)];
  });
  const apply = el('button', { type: 'button', class: 'primary' }, 'Apply');
  apply.addEventListener('click', async () => {
    const changes = {};
    if (rbac.checked !== Boolean(properties.enableRbacAuthorization)) changes.enableRbacAuthorization = rbac.checked;
    for (const [property, box] of access) if (box.checked !== Boolean(properties[property])) changes[property] = box.checked;
    if (Object.keys(changes).length === 0) { banner('No changes to apply.', 'info'); return; }
    if ('enableRbacAuthorization' in changes && !(await confirmPane('Change the permission model', changes.enableRbacAuthorization
      ? 'Switching to Azure role-based access control makes the vault\'s access policies ineffective (they are kept): only role assignments grant access to its keys, secrets and certificates. Make sure the needed roles are assigned. Do you want to continue?'
      : 'Switching to Vault access policy makes role assignments ineffective for the vault\'s keys, secrets and certificates: only its access policies grant access. Do you want to continue?'))) return;
    apply.disabled = true;
    try {
      await arm('PATCH', `${vault.id}?api-version=${KEY_VAULT}`, { properties: changes });
      navigate(location.hash, `Updated the access configuration of '${vault.name}'.`);
    } catch (error) {
      apply.disabled = false;
      showError(error);
    }
  });
  show('content', el('h1', {}, `${vault.name} | Access configuration`), el('p', { class: 'subtitle' }, 'Key vault'),
    el('fieldset', { class: 'field' }, el('legend', {}, 'Permission model'),
      el('p', { class: 'muted' }, 'Grant data plane access by using Azure RBAC or a Key Vault access policy.'), rbacLabel, el('br'), policyLabel),
    el('fieldset', { class: 'field' }, el('legend', {}, 'Resource access'), access.map(([, , label]) => label)),
    el('div', { class: 'toolbar' }, apply, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Discard changes')));
}
