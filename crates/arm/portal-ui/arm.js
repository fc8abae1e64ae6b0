// ARM REST calls with the signed-in user's token (same origin: the portal is served by ARM).

import { session } from './auth.js';

export const COMPUTE = '2024-11-01';
export const IDENTITY = '2024-11-30';
/** Federated identity credentials: the version az 2.91 sends (it shows `claimsMatchingExpression`). */
export const FEDERATED = '2025-01-31-preview';
export const RESOURCES = '2021-04-01';
/** Key vaults: the version az 2.91 sends (RBAC is the permission model a create defaults to). */
export const KEY_VAULT = '2026-02-01';

/** An ARM error: `code` and `message` from ARM's error envelope. */
export class ArmError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls ARM: `path` is an id or path with its query; returns the JSON body (null if empty). */
export async function arm(method, path, body) {
  return (await send(method, path, body)).json;
}

/** The path and query of a URL ARM gave out (the portal is served from ARM's origin). */
function localPath(url) {
  const parsed = new URL(url, window.location.origin);
  return parsed.pathname + parsed.search;
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * A long-running write (VM PUT/PATCH/DELETE, resource-group DELETE, Key Vault purge), followed as Azure's SDKs do:
 * poll `Azure-AsyncOperation` until its status is terminal (else `Location` until it stops
 * answering 202), waiting `Retry-After` seconds between polls; then a PUT or PATCH returns the
 * resource as a GET shows it, a DELETE null. A failed operation throws its error.
 */
export async function armOperation(method, path, body) {
  const initial = await send(method, path, body);
  const status = initial.response.headers.get('azure-asyncoperation');
  const location = initial.response.headers.get('location');
  if (!status && !location) return initial.json;
  let reply = initial;
  for (let polls = 0; polls < 600; polls += 1) {
    reply = await send('GET', localPath(status || location));
    const running = status ? reply.json && reply.json.status === 'InProgress' : reply.response.status === 202;
    if (!running) break;
    await sleep(Number(reply.response.headers.get('retry-after')) || 1);
  }
  if (status && reply.json && reply.json.status !== 'Succeeded') {
    const error = reply.json.error || {};
    throw new ArmError(500, error.code || reply.json.status, error.message || `The operation ${reply.json.status}.`);
  }
  return method === 'PUT' || method === 'PATCH' ? arm('GET', path) : null;
}

async function send(method, path, body) {
  const current = session();
  if (!current) throw new ArmError(401, 'AuthenticationFailed', 'You are signed out. Reload the page to sign in.');
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${current.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (json && json.error) || {};
    throw new ArmError(response.status, error.code || `HTTP ${response.status}`, error.message || text);
  }
  return { response, json };
}

/** GET of every page of a list (`value` + `nextLink`). */
export async function list(path) {
  const items = [];
  let next = path;
  while (next) {
    const page = await arm('GET', next);
    items.push(...(page.value || []));
    next = page.nextLink ? new URL(page.nextLink).pathname + new URL(page.nextLink).search : null;
  }
  return items;
}

/** The path of a VM. */
export function vmPath(subscription, group, name) {
  return `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.Compute/virtualMachines/${encodeURIComponent(name)}`;
}

/** The path of a key vault. */
export function vaultPath(subscription, group, name) {
  return `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.KeyVault/vaults/${encodeURIComponent(name)}`;
}

/** The resource group named in a resource id. */
export function groupOf(id) {
  const parts = id.split('/');
  return parts[parts.findIndex((part) => part.toLowerCase() === 'resourcegroups') + 1] || '';
}
