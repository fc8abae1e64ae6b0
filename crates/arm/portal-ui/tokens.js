// The VM's Token inspector: ask the VM's IMDS for a token (ARM relays the request, authorized like
// Run Command), decode its claims, then read the VM's resource group with it — 403 until the
// VM's identity has a role there, 200 after (ARM checks roles on every request).

import { session } from './auth.js';
import { el, show, banner, showError } from './dom.js';

const RESOURCE = 'https://management.azure.com/';
const GROUP_READ_VERSION = '2016-09-01';

/** Decodes a JWT's payload (no signature check: this is a viewer, ARM checks tokens). */
function claimsOf(token) {
  const part = (token.split('.')[1] || '').replace(/-/g, '+').replace(/_/g, '/');
  const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function call(url, token, init = {}) {
  const response = await fetch(url, { ...init, headers: { ...(init.headers || {}), authorization: `Bearer ${token}` } });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: response.status, statusText: response.statusText, json, text };
}

function table(rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Field'), el('th', {}, 'Value'))),
    el('tbody', {}, rows.map(([name, value]) => el('tr', {}, el('td', {}, el('code', {}, name)), el('td', {}, value === undefined ? '—' : String(value))))));
}

async function getToken(state) {
  banner('');
  const user = session();
  if (!user) return showError({ code: 'AuthenticationFailed', message: 'You are signed out. Reload the page to sign in.' });
  const answer = await call('/portal/api/vm-token', user.accessToken, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vmId: state.path, resource: RESOURCE }),
  });
  if (answer.status !== 200) {
    state.token = null;
    render(state);
    const error = (answer.json && answer.json.error) || {};
    if (typeof error === 'string') return showError({ code: error, message: answer.json.error_description || answer.text });
    return showError({ code: error.code || `HTTP ${answer.status}`, message: error.message || answer.text });
  }
  state.token = answer.json;
  state.claims = claimsOf(answer.json.access_token);
  state.read = null;
  render(state);
}

async function readGroup(state) {
  banner('');
  const answer = await call(`${state.groupPath}?api-version=${GROUP_READ_VERSION}`, state.token.access_token);
  state.read = answer;
  render(state);
}

function readResult(read) {
  const error = (read.json && read.json.error) || {};
  const line = read.status === 200 ? '200 OK' : `${read.status} ${error.code || read.statusText} ${error.message || ''}`.trim();
  return [el('p', { id: 'read-result', class: read.status === 200 ? 'ok' : 'denied' }, line),
    ...(read.status === 200 ? [el('pre', {}, JSON.stringify(read.json, null, 2))] : [])];
}

function render(state) {
  const actions = el('div', { class: 'toolbar' },
    el('button', { type: 'button', class: 'primary', onclick: () => getToken(state).catch(showError) }, 'Get token'),
    el('button', { type: 'button', disabled: !state.token, onclick: () => readGroup(state).catch(showError) }, 'Read resource group with this token'));
  const parts = [];
  if (state.token) {
    const claims = state.claims || {};
    const exp = typeof claims.exp === 'number' ? `${new Date(claims.exp * 1000).toISOString()} (${claims.exp})` : claims.exp;
    parts.push(el('h2', {}, 'Token claims'),
      table([['oid', claims.oid], ['xms_mirid', claims.xms_mirid], ['aud', claims.aud], ['exp', exp]]),
      el('h2', {}, 'ARM read with this token'), el('p', {}, el('code', {}, `GET ${state.groupPath}?api-version=${GROUP_READ_VERSION}`)),
      ...(state.read ? readResult(state.read) : [el('p', { class: 'muted' }, 'Not read yet.')]),
      el('h2', {}, 'IMDS answer'),
      table([['token_type', state.token.token_type], ['resource', state.token.resource], ['client_id', state.token.client_id],
        ['expires_in', state.token.expires_in], ['expires_on', state.token.expires_on],
        ['access_token', `${String(state.token.access_token).slice(0, 32)}…`], ['appid (claim)', claims.appid], ['tid (claim)', claims.tid]]));
  }
  show('content', el('h1', {}, `${state.name} | Token inspector`), el('p', { class: 'subtitle' }, 'Virtual machine'),
    el('p', {}, 'Ask this VM\'s Instance Metadata Service for a token for ', el('code', {}, RESOURCE),
      ' (mimic asks it as the VM; you need permission to run commands on the VM), see its claims, then call ARM with it.'),
    actions, parts);
}

/** Renders the blade for the VM at `path` in `group` of `subscription`. */
export function tokenBlade(path, subscription, group, name) {
  const groupPath = `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}`;
  render({ path, groupPath, name, token: null, claims: null, read: null });
}
