// mimic portal: sign-in, then resource groups → a group's resources → a VM (Overview, Identity,
// Access control (IAM), Token inspector); Managed Identities; Access control (IAM) of a subscription;
// Key vaults (key-vaults.js, key-vault.js); Microsoft Entra ID (entra.js). Routes live in the URL
// fragment: #/, #/identities[/{sub}/{group}/{name}/…] (managed-identity.js),
// #/keyvaults[/new|/{sub}/{group}/{name}/…], #/sub/{sub}/iam,
// #/rg/{sub}/{group}[/iam], #/vm/{sub}/{group}/{name}/{blade}, #/entra/….

import { completeSignIn, session, signIn, signOut } from './auth.js';
import { list, arm, vmPath, COMPUTE, RESOURCES } from './arm.js';
import { el, show, banner, showError, takeNotice } from './dom.js';
import { identityBlade } from './identity.js';
import { identitiesBlade } from './identities.js';
import { managedIdentityRoute } from './managed-identity.js';
import { iamBlade } from './iam.js';
import { tokenBlade } from './tokens.js';
import { entraRoute } from './entra.js';
import { keyVaultsBlade, createVaultForm } from './key-vaults.js';
import { keyVaultRoute } from './key-vault.js';

function link(href, text, current) {
  // A click on the page already shown reloads it (no hashchange event then).
  const reload = () => { if (location.hash === href) route(); };
  return el('a', { href, 'aria-current': current ? 'page' : undefined, onclick: reload }, text);
}

let subscriptionsSeen = [];

/** The top-level menu: Resource groups, Managed Identities, Key vaults, Microsoft Entra ID, and each subscription's IAM. */
function homeMenu(current) {
  show('menu', link('#/', 'Resource groups', current === 'groups'), link('#/identities', 'Managed Identities', current === 'identities'),
    link('#/keyvaults', 'Key vaults', current === 'keyvaults'),
    link('#/entra', 'Microsoft Entra ID'),
    subscriptionsSeen.flatMap((subscription) => [el('div', { class: 'heading' }, subscription.displayName),
      link(`#/sub/${subscription.subscriptionId}/iam`, 'Access control (IAM)', current === subscription.subscriptionId)]));
}

async function loadSubscriptions() {
  subscriptionsSeen = await list('/subscriptions?api-version=2022-12-01');
  return subscriptionsSeen;
}

async function resourceGroups() {
  homeMenu('groups');
  const subscriptions = await loadSubscriptions();
  homeMenu('groups');
  const rows = [];
  for (const subscription of subscriptions) {
    const groups = await list(`/subscriptions/${subscription.subscriptionId}/resourcegroups?api-version=${RESOURCES}`);
    for (const group of groups) {
      rows.push(el('tr', {}, el('td', {}, link(`#/rg/${subscription.subscriptionId}/${encodeURIComponent(group.name)}`, group.name)),
        el('td', {}, subscription.displayName), el('td', {}, group.location)));
    }
  }
  show('content', el('h1', {}, 'Resource groups'),
    rows.length === 0
      ? el('p', {}, 'No resource groups to display. You may not have access to any subscription.')
      : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Subscription'), el('th', {}, 'Location'))),
        el('tbody', {}, rows)));
}

async function identities() {
  homeMenu('identities');
  await loadSubscriptions().catch(() => []);
  homeMenu('identities');
  await identitiesBlade();
}

async function keyVaults(parts) {
  if (parts.length >= 3) return keyVaultRoute(parts);
  homeMenu('keyvaults');
  await loadSubscriptions().catch(() => []);
  homeMenu('keyvaults');
  return parts[0] === 'new' ? createVaultForm() : keyVaultsBlade();
}

async function subscriptionIam(subscription) {
  homeMenu(subscription);
  const found = await loadSubscriptions().catch(() => []);
  homeMenu(subscription);
  const known = found.find((s) => s.subscriptionId === subscription);
  await iamBlade(`/subscriptions/${subscription}`, known ? known.displayName : subscription, 'Subscription');
}

async function group(subscription, name, blade) {
  const base = `#/rg/${subscription}/${encodeURIComponent(name)}`;
  show('menu', link('#/', 'Resource groups'), el('div', { class: 'heading' }, name), link(base, 'Overview', blade !== 'iam'),
    link(`${base}/iam`, 'Access control (IAM)', blade === 'iam'));
  if (blade === 'iam') return iamBlade(`/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(name)}`, name, 'Resource group');
  const resources = await list(`/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(name)}/resources?api-version=${RESOURCES}`);
  const rows = resources.map((resource) => {
    const isVm = resource.type.toLowerCase() === 'microsoft.compute/virtualmachines';
    const title = isVm ? link(`#/vm/${subscription}/${encodeURIComponent(name)}/${encodeURIComponent(resource.name)}/overview`, resource.name) : resource.name;
    return el('tr', {}, el('td', {}, title), el('td', {}, resource.type), el('td', {}, resource.location));
  });
  show('content', el('h1', {}, name), el('p', { class: 'subtitle' }, 'Resource group'),
    rows.length === 0 ? el('p', {}, 'No resources to display.')
      : el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Type'), el('th', {}, 'Location'))),
        el('tbody', {}, rows)));
}

async function vm(subscription, groupName, name, blade) {
  const base = `#/vm/${subscription}/${encodeURIComponent(groupName)}/${encodeURIComponent(name)}`;
  show('menu', link(`#/rg/${subscription}/${encodeURIComponent(groupName)}`, groupName), el('div', { class: 'heading' }, name),
    link(`${base}/overview`, 'Overview', blade === 'overview'), link(`${base}/identity`, 'Identity', blade === 'identity'),
    link(`${base}/iam`, 'Access control (IAM)', blade === 'iam'), link(`${base}/tokens`, 'Token inspector', blade === 'tokens'));
  const path = vmPath(subscription, groupName, name);
  if (blade === 'tokens') return tokenBlade(path, subscription, groupName, name);
  if (blade === 'identity') return identityBlade(path);
  if (blade === 'iam') return iamBlade(path, name, 'Virtual machine');
  const machine = await arm('GET', `${path}?api-version=${COMPUTE}`);
  const profile = machine.properties || {};
  const rows = [
    ['Name', machine.name], ['Resource group', groupName], ['Location', machine.location],
    ['Size', (profile.hardwareProfile || {}).vmSize], ['Operating system', ((profile.storageProfile || {}).osDisk || {}).osType],
    ['VM ID', profile.vmId], ['Identity', (machine.identity || {}).type || 'None'],
  ];
  let imds = '—';
  try {
    imds = (await arm('GET', `/portal/api/vm-imds?vmId=${encodeURIComponent(path)}`)).imds;
  } catch (error) {
    imds = `— (${error.code})`;
  }
  show('content', el('h1', {}, name), el('p', { class: 'subtitle' }, 'Virtual machine'),
    el('dl', {}, rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value || '—')])),
    el('h2', {}, 'Instance Metadata Service'),
    el('dl', {}, [el('dt', {}, 'IMDS address'), el('dd', { 'data-testid': 'imds-address' }, imds)]),
    el('p', {}, 'Each VM has its own IMDS address. To act as this VM from a shell: ', el('code', {}, `mimic vm env ${name}`),
      ' (prints the environment to export), or ', el('code', {}, `mimic vm exec ${name} -- COMMAND`), '.'));
}

async function route() {
  banner('');
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (parts[0] === 'rg' && parts.length >= 3) await group(parts[1], parts[2], parts[3] || 'overview');
    else if (parts[0] === 'identities' && parts.length >= 4) await managedIdentityRoute(parts.slice(1));
    else if (parts[0] === 'identities') await identities();
    else if (parts[0] === 'keyvaults') await keyVaults(parts.slice(1));
    else if (parts[0] === 'sub' && parts.length >= 3) await subscriptionIam(parts[1]);
    else if (parts[0] === 'vm' && parts.length >= 4) await vm(parts[1], parts[2], parts[3], parts[4] || 'overview');
    else if (parts[0] === 'entra') await entraRoute(parts.slice(1));
    else await resourceGroups();
    const notice = takeNotice();
    if (notice) banner(notice.message, notice.kind);
  } catch (error) {
    takeNotice();
    show('content');
    showError(error);
  }
}

async function start() {
  const config = await (await fetch('/portal/config.json')).json();
  try {
    await completeSignIn(config);
  } catch (error) {
    showError(error);
    show('content', el('button', { type: 'button', onclick: () => signIn(config) }, 'Sign in'));
    return;
  }
  const current = session();
  if (!current) return signIn(config);
  document.getElementById('user').textContent = current.user.name || current.user.username;
  const out = document.getElementById('sign-out');
  out.hidden = false;
  out.addEventListener('click', () => { signOut(); location.assign('/portal/'); });
  window.addEventListener('hashchange', route);
  await route();
}

start().catch(showError);
