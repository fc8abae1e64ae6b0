// mimic portal: sign-in, then resource groups → a group's resources → a VM (Overview, Identity).
// Routes live in the URL fragment: #/, #/rg/{sub}/{group}, #/vm/{sub}/{group}/{name}/{blade}.

import { completeSignIn, session, signIn, signOut } from './auth.js';
import { list, arm, vmPath, COMPUTE, RESOURCES } from './arm.js';
import { el, show, banner, showError } from './dom.js';
import { identityBlade } from './identity.js';

function link(href, text, current) {
  return el('a', { href, 'aria-current': current ? 'page' : undefined }, text);
}

async function resourceGroups() {
  show('menu', link('#/', 'Resource groups', true));
  const subscriptions = await list('/subscriptions?api-version=2022-12-01');
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

async function group(subscription, name) {
  show('menu', link('#/', 'Resource groups'), el('div', { class: 'heading' }, name), link(`#/rg/${subscription}/${encodeURIComponent(name)}`, 'Overview', true));
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
    link(`${base}/overview`, 'Overview', blade === 'overview'), link(`${base}/identity`, 'Identity', blade === 'identity'));
  const path = vmPath(subscription, groupName, name);
  if (blade === 'identity') return identityBlade(path);
  const machine = await arm('GET', `${path}?api-version=${COMPUTE}`);
  const profile = machine.properties || {};
  const rows = [
    ['Name', machine.name], ['Resource group', groupName], ['Location', machine.location],
    ['Size', (profile.hardwareProfile || {}).vmSize], ['Operating system', ((profile.storageProfile || {}).osDisk || {}).osType],
    ['VM ID', profile.vmId], ['Identity', (machine.identity || {}).type || 'None'],
  ];
  show('content', el('h1', {}, name), el('p', { class: 'subtitle' }, 'Virtual machine'),
    el('dl', {}, rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value || '—')])),
    el('h2', {}, 'Instance Metadata Service'),
    el('p', {}, 'Each VM has its own IMDS address. To act as this VM from a shell: ', el('code', {}, `mimic vm env ${name}`),
      ' (prints the environment to export), or ', el('code', {}, `mimic vm exec ${name} -- COMMAND`), '.'));
}

async function route() {
  banner('');
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (parts[0] === 'rg' && parts.length >= 3) await group(parts[1], parts[2]);
    else if (parts[0] === 'vm' && parts.length >= 4) await vm(parts[1], parts[2], parts[3], parts[4] || 'overview');
    else await resourceGroups();
  } catch (error) {
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
