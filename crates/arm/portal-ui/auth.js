// Sign-in through mimic's AAD: authorization code + PKCE (S256) for the public portal client.
// Tokens live in sessionStorage only; signing out forgets them.

const KEY = 'mimic.portal.session';
const PENDING = 'mimic.portal.pending';
const SCOPE = 'https://management.azure.com/user_impersonation openid profile offline_access';

function base64url(bytes) {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

/** The claims of a JWT (no verification: the SPA only displays them). */
export function claimsOf(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function redirectUri() {
  return `${location.origin}/portal/`;
}

function authority(config) {
  return `${config.aadUrl}/${config.tenantId}/oauth2/v2.0`;
}

/** The current session ({accessToken, user, expiresAt}) or null when absent or expired. */
export function session() {
  const stored = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  if (!stored || stored.expiresAt < Date.now() / 1000 + 60) return null;
  return stored;
}

/** Forgets the tokens. */
export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** Sends the browser to AAD's sign-in page. */
export async function signIn(config) {
  const pending = { verifier: randomString(), state: randomString(), nonce: randomString(), hash: location.hash };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const query = new URLSearchParams({
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: SCOPE,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  location.assign(`${authority(config)}/authorize?${query}`);
}

/**
 * Finishes a sign-in when the URL carries `?code=` (or `?error=`): redeems the code and stores
 * the session. Returns true when the URL was a sign-in response.
 */
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `/portal/${pending ? pending.hash : ''}`);
  if (params.has('error')) throw new Error(`${params.get('error')}: ${params.get('error_description') || ''}`);
  if (!pending || params.get('state') !== pending.state) throw new Error('Sign-in failed: the state does not match.');
  const response = await fetch(`${authority(config)}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code: params.get('code'),
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
      scope: SCOPE,
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.error}: ${body.error_description}`);
  const id = claimsOf(body.id_token);
  if (id.nonce !== pending.nonce) throw new Error('Sign-in failed: the nonce does not match.');
  const access = claimsOf(body.access_token);
  sessionStorage.setItem(KEY, JSON.stringify({
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: access.exp,
    user: { name: id.name, username: id.preferred_username, oid: id.oid },
  }));
  return true;
}

/**
 * A Microsoft Graph access token for the signed-in user: the refresh-token grant at AAD's token
 * endpoint for `{graphResourceId}/.default`, as MSAL.js does for a second resource.
 */
export async function graphToken(config) {
  return tokenFor(config, `${config.graphResourceId}/.default`);
}

/** A Key Vault access token for the signed-in user (`https://vault.azure.net/.default`). */
export async function vaultToken(config) {
  return tokenFor(config, 'https://vault.azure.net/.default');
}

async function tokenFor(config, scope) {
  const current = session();
  if (!current || !current.refreshToken) throw new Error('No refresh token in this session: sign out and sign in again.');
  const response = await fetch(`${authority(config)}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: config.clientId,
      refresh_token: current.refreshToken,
      scope,
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.error}: ${body.error_description}`);
  return body.access_token;
}
