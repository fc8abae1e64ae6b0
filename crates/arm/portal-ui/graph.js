// Microsoft Graph (mimic's AAD, called across origins with CORS) with a Graph token for the
// signed-in user. Graph's errors become GraphError { status, code, message }, so the red banner
// shows them as "Code: message", as it shows ARM's.

import { claimsOf, graphToken } from './auth.js';

let configLoaded = null;
let tokenCache = { token: null, expiresAt: 0 };

/** The portal's /portal/config.json (fetched once). */
export function portalConfig() {
  configLoaded = configLoaded || fetch('/portal/config.json').then((response) => response.json());
  return configLoaded;
}

/** A Graph error: `code` and `message` from Graph's error envelope. */
export class GraphError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function token(config) {
  if (tokenCache.token && tokenCache.expiresAt > Date.now() / 1000 + 60) return tokenCache.token;
  const fresh = await graphToken(config);
  tokenCache = { token: fresh, expiresAt: claimsOf(fresh).exp };
  return fresh;
}

/** Calls Graph v1.0: `path` below `/v1.0` (or a full `@odata.nextLink`); returns the JSON body (null if empty). */
export async function graph(method, path, body) {
  const config = await portalConfig();
  const url = path.startsWith('https://') ? path : `${config.aadUrl}/v1.0${path}`;
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${await token(config)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new GraphError(response.status, error.code || `HTTP ${response.status}`, error.message || text);
  }
  return json;
}

/** GET of every page of a Graph list (`value` + `@odata.nextLink`, at most 20 pages). */
export async function graphList(path) {
  const items = [];
  let next = path;
  for (let page = 0; next && page < 20; page += 1) {
    const body = await graph('GET', next);
    items.push(...(body.value || []));
    next = body['@odata.nextLink'];
  }
  return items;
}

/** The `@odata.id` Graph's `$ref` writes take for a directory object. */
export async function directoryObjectRef(id) {
  const config = await portalConfig();
  return { '@odata.id': `${config.aadUrl}/v1.0/directoryObjects/${id}` };
}

/** A directory object's kind in the portal's words, from its `@odata.type`. */
export function objectType(object) {
  const type = (object['@odata.type'] || '').replace('#microsoft.graph.', '');
  if (type === 'servicePrincipal') return object.servicePrincipalType === 'ManagedIdentity' ? 'Managed identity' : 'Service principal';
  return { user: 'User', group: 'Group', application: 'Application' }[type] || type;
}

/** A date-time as the portal shows it (the browser's locale), or an em dash. */
export function shortDate(value) {
  return value ? new Date(value).toLocaleDateString() : '—';
}
