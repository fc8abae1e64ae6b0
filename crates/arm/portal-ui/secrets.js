// A vault's Secrets, as in the Azure portal: the list (Name, Type, Status, Expiration date),
// "+ Generate/Import" (Name, Secret value, Content type, Enabled), a secret's versions (Current
// version, Older versions) and a version's page with "Show Secret Value". The browser calls the
// vault's data plane at its Vault URI with a Key Vault token for the signed-in user (mimic's data
// plane admits the portal's origin by CORS), so Key Vault's RBAC or access policies decide what
// the user sees; its errors show in the red banner as "Forbidden: …".
// Routes: #/keyvaults/{sub}/{group}/{name}/secrets[/create|/{secret}[/{version}]].

import { vaultToken, claimsOf } from './auth.js';
import { portalConfig } from './graph.js';
import { el, show, showError, dataTable, details, field, navigate } from './dom.js';

/** The data-plane api-version the portal sends. */
const KV_API = '7.5';

/** A Key Vault error: its code, inner code and message. */
export class VaultError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let cache = { token: null, expiresAt: 0 };

async function token() {
  if (cache.token && cache.expiresAt > Date.now() / 1000 + 60) return cache.token;
  const fresh = await vaultToken(await portalConfig());
  cache = { token: fresh, expiresAt: claimsOf(fresh).exp };
  return fresh;
}

/** Calls the vault at `vaultUri` (with its trailing slash): `path` below it, without the api-version. */
async function kv(vaultUri, method, path, body) {
  const separator = path.includes('?') ? '&' : '?';
  const bearer = await token();
  let response;
  try {
    response = await fetch(`${vaultUri}${path}${separator}api-version=${KV_API}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new VaultError(0, 'VaultUnreachable',
      `The browser cannot reach ${vaultUri}: its name must resolve to mimic (add the lines \`mimic hosts\` prints to /etc/hosts; see docs/key-vault.md).`);
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new VaultError(response.status, error.code || `HTTP ${response.status}`, error.message || text);
  }
  return json;
}

/** Every page of a data-plane list. */
async function all(vaultUri, path) {
  const items = [];
  let page = await kv(vaultUri, 'GET', path);
  items.push(...page.value);
  while (page.nextLink) {
    const next = new URL(page.nextLink);
    next.searchParams.delete('api-version');
    page = await kv(vaultUri, 'GET', `${next.pathname.slice(1)}${next.search}`);
    items.push(...page.value);
  }
  return items;
}

const nameOf = (id) => id.split('/secrets/')[1].split('/')[0];
const versionOf = (id) => id.split('/').pop();
const date = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '');

/** Renders the Secrets blade of `vault` (the ARM resource) for the route's remaining parts. */
export async function secretsBlade(vault, hash, [action, version]) {
  const uri = vault.properties.vaultUri;
  if (action === 'create') return createForm(vault, hash);
  if (action) return secretPage(vault, hash, action, version);
  const title = [el('h1', {}, `${vault.name} | Secrets`), el('p', { class: 'subtitle' }, 'Key vault')];
  const toolbar = el('div', { class: 'toolbar' },
    el('button', { type: 'button', onclick: () => navigate(`${hash}/create`) }, '+ Generate/Import'),
    el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh'));
  show('content', title, toolbar, el('p', { class: 'muted' }, 'Loading…'));
  let items;
  try {
    items = await all(uri, 'secrets');
  } catch (error) {
    show('content', title, toolbar, el('p', { class: 'muted' }, 'You are unauthorized to view these contents.'));
    showError(error);
    return;
  }
  const rows = items.map((item) => el('tr', {},
    el('td', {}, el('a', { href: `${hash}/${encodeURIComponent(nameOf(item.id))}` }, nameOf(item.id))),
    el('td', {}, item.contentType || ''),
    el('td', {}, item.attributes.enabled ? 'Enabled' : 'Disabled'),
    el('td', {}, date(item.attributes.exp))));
  show('content', title, toolbar,
    dataTable(['Name', 'Type', 'Status', 'Expiration date'], rows, 'There are no secrets available.'));
}

function createForm(vault, hash) {
  const name = el('input', { type: 'text', required: true });
  const value = el('input', { type: 'password', required: true, autocomplete: 'off' });
  const contentType = el('input', { type: 'text' });
  const enabled = el('select', {}, el('option', { value: 'true' }, 'Yes'), el('option', { value: 'false' }, 'No'));
  const create = el('button', { type: 'button', class: 'primary' }, 'Create');
  create.addEventListener('click', async () => {
    create.disabled = true;
    try {
      const body = { value: value.value, attributes: { enabled: enabled.value === 'true' } };
      if (contentType.value) body.contentType = contentType.value;
      await kv(vault.properties.vaultUri, 'PUT', `secrets/${encodeURIComponent(name.value)}`, body);
      navigate(hash, `The secret '${name.value}' has been successfully created.`);
    } catch (error) {
      create.disabled = false;
      showError(error);
    }
  });
  show('content', el('h1', {}, 'Create a secret'), el('p', { class: 'subtitle' }, vault.name),
    field('Upload options', el('select', {}, el('option', {}, 'Manual'))),
    field('Name', name), field('Secret value', value), field('Content type (optional)', contentType),
    field('Enabled', enabled),
    el('div', { class: 'toolbar' }, create, el('button', { type: 'button', onclick: () => navigate(hash) }, 'Cancel')));
}

async function secretPage(vault, hash, secret, version) {
  const uri = vault.properties.vaultUri;
  if (version) return versionPage(vault, hash, secret, version);
  const versions = await all(uri, `secrets/${encodeURIComponent(secret)}/versions`);
  versions.sort((a, b) => b.attributes.created - a.attributes.created);
  const row = (item) => el('tr', {},
    el('td', {}, el('a', { href: `${hash}/${encodeURIComponent(secret)}/${versionOf(item.id)}` }, versionOf(item.id))),
    el('td', {}, item.attributes.enabled ? 'Enabled' : 'Disabled'),
    el('td', {}, date(item.attributes.created)));
  const [current, ...older] = versions;
  show('content', el('h1', {}, secret), el('p', { class: 'subtitle' }, 'Secret'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => navigate(hash) }, 'Secrets')),
    el('h2', {}, 'Current version'), dataTable(['Version', 'Status', 'Created'], current ? [row(current)] : [], 'No versions.'),
    el('h2', {}, 'Older versions'), dataTable(['Version', 'Status', 'Created'], older.map(row), 'No older versions.'));
}

async function versionPage(vault, hash, secret, version) {
  const uri = vault.properties.vaultUri;
  const versions = await all(uri, `secrets/${encodeURIComponent(secret)}/versions`);
  const item = versions.find((v) => versionOf(v.id) === version);
  if (!item) throw new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${secret}/${version} was not found in this key vault.`);
  const shown = el('code', { 'data-testid': 'secret-value' }, '••••••••');
  const reveal = el('button', { type: 'button' }, 'Show Secret Value');
  reveal.addEventListener('click', async () => {
    try {
      const bundle = await kv(uri, 'GET', `secrets/${encodeURIComponent(secret)}/${version}`);
      shown.textContent = bundle.value;
      reveal.hidden = true;
    } catch (error) {
      showError(error);
    }
  });
  show('content', el('h1', {}, version), el('p', { class: 'subtitle' }, `Secret version · ${secret}`),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => navigate(`${hash}/${encodeURIComponent(secret)}`) }, secret)),
    details([['Secret Identifier', el('code', {}, item.id)], ['Enabled', item.attributes.enabled ? 'Yes' : 'No'],
      ['Created', date(item.attributes.created)], ['Updated', date(item.attributes.updated)],
      ['Expiration date', date(item.attributes.exp)], ['Content type', item.contentType || ''],
      ['Secret value', el('span', {}, shown, ' ', reveal)]]));
}
