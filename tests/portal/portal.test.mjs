// Real-browser test of mimic's portal: seed 000's four procedures in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), by their visible labels, each checked through the
// ARM REST API; then the Managed Identities blade (create, an identity's Federated credentials: add
// with the Kubernetes and GitHub Actions scenarios, a duplicate's and a 21st's errors, delete; delete) and Access control (IAM) on a
// resource group (add, remove a role assignment); the Token inspector on vm2 (IMDS token claims, then
// a resource-group read with it: 403, then 200 after granting Reader); Key vaults (create with Azure
// RBAC and with access policies, the name check and ARM's conflict, an access policy added and
// deleted, Access configuration, Key Vault Secrets User in the vault's IAM, Secrets on the data plane:
// Key Vault's ForbiddenByRbac, then + Generate/Import and Show Secret Value, delete, recover, purge);
// then a learner without rights gets ARM's error banners.
//
// Run by scripts/portal.sh (inside a loopback-only network namespace, with mimic started there):
//   MIMIC_DATA_DIR=<data dir of a running `mimic up`> NODE_EXTRA_CA_CERTS=<data dir>/ca.pem \
//   MIMIC_ARTIFACTS=<dir for screenshots> node tests/portal/portal.test.mjs
// Prints a closing line "N passed, M failed" and exits non-zero on any failure.

import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const dataDir = process.env.MIMIC_DATA_DIR;
if (!dataDir) throw new Error('MIMIC_DATA_DIR must name the data dir of a running `mimic up`');
const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8'));
const artifacts = process.env.MIMIC_ARTIFACTS || 'target/portal-artifacts';
mkdirSync(artifacts, { recursive: true });

const ARM = endpoints.arm;
const SUB = endpoints.subscription_id;
const GROUP = endpoints.resource_group;
const VM_ID = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.Compute/virtualMachines/vm1`;
const IDENTITY_NAME = `portal-id-${Date.now().toString(36)}`;
const IDENTITY_ID = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${IDENTITY_NAME}`;
const NEW_NAME = `portal-new-${Date.now().toString(36)}`;
const NEW_ID = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${NEW_NAME}`;
const GROUP_SCOPE = `/subscriptions/${SUB}/resourceGroups/${GROUP}`;
// Federated credentials of NEW_NAME: the subjects the Azure portal builds for its scenarios.
const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const K8S_SUBJECT = 'system:serviceaccount:workloads:api-sa';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const GITHUB_SUBJECT = 'repo:contoso/deploy-app:ref:refs/heads/main';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
let newPrincipalId;
const LEARNER_OID = '1ea40000-0000-4000-8000-00000000b002';
const VM2_ID = `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.Compute/virtualMachines/vm2`;
const VM2_READER = crypto.randomUUID();
const ORPHAN = crypto.randomUUID();
const ADMIN = ['admin@mimic.onmicrosoft.com', 'Mimic-Admin-1!', 'Mimic Admin'];
const PORTAL_CLIENT = '6d696d69-6370-4f72-8c74-616c00000001';
const SUFFIX = Date.now().toString(36);
const ENTRA_USER = `portal-user-${SUFFIX}`;
const ENTRA_UPN = `${ENTRA_USER}@mimic.onmicrosoft.com`;
const ENTRA_GROUP = `portal-group-${SUFFIX}`;
const ENTRA_APP = `portal-app-${SUFFIX}`;
const ENTRA_API = `portal-api-${SUFFIX}`;
const entra = {};
const LEARNER = ['learner@mimic.onmicrosoft.com', 'Mimic-Learner-1!', 'Mimic Learner'];
// Key vaults: names are global, so each run makes its own.
const KV = '2026-02-01';
const KV_RBAC = `kv-rbac-${SUFFIX}`;
const KV_POLICY = `kv-ap-${SUFFIX}`;
const KV_RACE = `kv-race-${SUFFIX}`;
const KV_OTHER_GROUP = `kv-other-${SUFFIX}`;
const vaultId = (name, group = GROUP) => `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`;
const getVault = (name) => arm('GET', `${vaultId(name)}?api-version=${KV}`);
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
const SECRETS_OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7';
const SECRET_VALUE = `portal-value-${SUFFIX}`;
const ADMIN_OID = 'ad000000-0000-4000-8000-00000000a001';
const OPERATOR_OID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SECRET_MANAGEMENT = ['backup', 'delete', 'get', 'list', 'recover', 'restore', 'set'];
const sorted = (list) => JSON.stringify([...(list || [])].sort());

// ---- the ARM API, as the fixture operator (client credentials from endpoints.json) ----------------

let operatorToken;
async function operator() {
  if (operatorToken) return operatorToken;
  const response = await fetch(`${endpoints.aad}/${endpoints.tenant_id}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: endpoints.operator.client_id,
      client_secret: endpoints.operator.client_secret,
      scope: 'https://management.azure.com/.default',
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`operator token: ${JSON.stringify(body)}`);
  operatorToken = body.access_token;
  return operatorToken;
}

async function arm(method, path, body) {
  const response = await fetch(`${ARM}${path}`, {
    method,
    headers: { authorization: `Bearer ${await operator()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function armStatus(method, path) {
  const response = await fetch(`${ARM}${path}`, { method, headers: { authorization: `Bearer ${await operator()}` } });
  return response.status;
}

// ---- Microsoft Graph and the token endpoint, as the fixture operator and as plain clients -------

let graphToken;
async function graphApi(method, path, body) {
  if (!graphToken) {
    const response = await fetch(`${endpoints.aad}/${endpoints.tenant_id}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: endpoints.operator.client_id,
        client_secret: endpoints.operator.client_secret,
        scope: `${endpoints.aad}//.default`,
      }),
    });
    const token = await response.json();
    if (!response.ok) throw new Error(`operator Graph token: ${JSON.stringify(token)}`);
    graphToken = token.access_token;
  }
  const response = await fetch(`${endpoints.aad}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${graphToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function graphOk(method, path, body) {
  const answer = await graphApi(method, path, body);
  if (answer.status >= 300) throw new Error(`Graph ${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The token endpoint's answer to a form (v2), status and JSON. */
async function tokenRequest(form) {
  const response = await fetch(`${endpoints.aad}/${endpoints.tenant_id}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, body: await response.json() };
}

/** A password sign-in (ROPC, the portal's public client): the token endpoint's answer. */
const passwordSignIn = (username, password) => tokenRequest({
  grant_type: 'password', client_id: PORTAL_CLIENT, username, password, scope: 'https://management.azure.com/.default',
});

const groupAssignments = async () => (await arm('GET',
  `${GROUP_SCOPE}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`)).value;

const vm1 = () => arm('GET', `${VM_ID}?api-version=2024-11-01`);

const federatedCredentials = async () => (await arm('GET',
  `${NEW_ID}/federatedIdentityCredentials?api-version=2025-01-31-preview`)).value;

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

// ---- Key Vault's data plane, as the fixture operator: the vault's name in Host and SNI, the
// connection to ARM's listener (what `mimic hosts` entries make a client do) --------------------

let vaultTokenValue;
async function keyVault(method, vault, path) {
  if (!vaultTokenValue) {
    const response = await fetch(`${endpoints.aad}/${endpoints.tenant_id}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: endpoints.operator.client_id,
        client_secret: endpoints.operator.client_secret, scope: 'https://vault.azure.net/.default' }),
    });
    vaultTokenValue = (await response.json()).access_token;
  }
  const port = new URL(ARM).port;
  const name = `${vault}.vault.mimic.test`;
  return new Promise((resolve, reject) => {
    const request = httpsRequest({ host: '127.0.0.1', port, method, servername: name,
      path: `${path}?api-version=7.5`, ca: readFileSync(join(dataDir, 'ca.pem')),
      headers: { host: `${name}:${port}`, authorization: `Bearer ${vaultTokenValue}` } }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body: text ? JSON.parse(text) : null }));
    });
    request.on('error', reject);
    request.end();
  });
}

// ---- the browser ------------------------------------------------------------------------------------

// Chromium trusts mimic's server certificate by its public key (no NSS DB to edit, no blanket
// ignoreHTTPSErrors): base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo.
function spkiHash() {
  const certificate = new X509Certificate(readFileSync(join(dataDir, 'tls', 'server.pem')));
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

const userDataDir = mkdtempSync(join(tmpdir(), 'mimic-portal-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.MIMIC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: false,
  viewport: { width: 1100, height: 640 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--ignore-certificate-errors-spki-list=${spkiHash()}`,
    // Vault URIs (`{vault}.vault.mimic.test`) reach mimic, as the hosts entries `mimic hosts`
    // prints make them do for a user's browser (docs/key-vault.md).
    '--host-resolver-rules=MAP *.vault.mimic.test 127.0.0.1',
  ],
}).catch((error) => {
  console.log(`FAIL launching ${process.env.MIMIC_CHROMIUM || '/usr/bin/chromium'}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || (await context.newPage());

async function signIn([username, password, displayName]) {
  await page.getByLabel('Email, phone, or Skype').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#user').filter({ hasText: displayName }).waitFor();
}

async function openIdentityBlade() {
  await page.goto(`${ARM}/portal/`);
  await page.getByRole('link', { name: GROUP, exact: true }).click();
  await page.getByRole('link', { name: 'vm1', exact: true }).click();
  await page.getByRole('heading', { name: 'vm1' }).waitFor();
  await page.getByRole('link', { name: 'Identity', exact: true }).click();
  await page.getByRole('tab', { name: 'System assigned' }).waitFor();
}

const principalField = () => page.locator('.field').filter({ hasText: 'Object (principal) ID' });

/** Key vaults → + Create: Basics filled, then the Access configuration tab. */
async function createVaultBasics(name, tier, days) {
  await page.getByRole('button', { name: '+ Create', exact: true }).click();
  await page.getByRole('heading', { name: 'Create a key vault' }).waitFor();
  await page.getByLabel('Resource group').selectOption({ label: GROUP });
  await page.getByLabel('Key vault name').fill(name);
  await page.getByTestId('name-status').getByText(`'${name}' is available.`, { exact: true }).waitFor();
  await page.getByLabel('Region').selectOption({ label: 'East US' });
  await page.getByLabel('Pricing tier').selectOption({ label: tier });
  await page.getByLabel('Days to retain deleted vaults').fill(String(days));
}

/** The subscription's soft-deleted vaults, as ARM lists them. */
const deletedVaults = async () => (await arm('GET', `/subscriptions/${SUB}/providers/Microsoft.KeyVault/deletedVaults?api-version=${KV}`)).value;

// ---- the steps (each depends on the previous ones) --------------------------------------------------

const steps = [
  ['admin signs in through the AAD sign-in page', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert(page.url().startsWith(endpoints.aad), `redirected to AAD, at ${page.url()}`);
    await signIn(ADMIN);
    await page.getByRole('heading', { name: 'Resource groups' }).waitFor();
  }],
  ['resource group lists its resources and the VM overview shows the IMDS hint', async () => {
    await openIdentityBlade();
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByText('mimic vm env vm1').waitFor();
    const vm1Imds = endpoints.vms.find((vm) => vm.name === 'vm1').imds;
    await page.getByTestId('imds-address').getByText(vm1Imds, { exact: true }).waitFor();
    await page.getByText('Standard_B1s').waitFor();
  }],
  ['System assigned: On, Save shows the Object (principal) ID and ARM has it', async () => {
    await page.getByRole('link', { name: 'Identity', exact: true }).click();
    await page.getByRole('tab', { name: 'System assigned' }).click();
    await page.getByRole('button', { name: 'On', exact: true }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const principalId = (await principalField().locator('code').textContent()).trim();
    const vm = await vm1();
    assert(vm.identity && vm.identity.type === 'SystemAssigned', `ARM identity ${JSON.stringify(vm.identity)}`);
    assert(vm.identity.principalId === principalId, `page ${principalId} vs ARM ${vm.identity.principalId}`);
    await page.screenshot({ path: join(artifacts, 'identity-system-assigned.png') });
  }],
  ['System assigned: Off, Save, Yes removes the identity in ARM', async () => {
    await page.getByRole('button', { name: 'Off', exact: true }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Disable system assigned managed identity' });
    await dialog.waitFor();
    await page.screenshot({ path: join(artifacts, 'identity-system-assigned-disable.png') });
    await dialog.getByRole('button', { name: 'Yes', exact: true }).click();
    await principalField().waitFor({ state: 'detached' });
    const vm = await vm1();
    assert(!vm.identity || vm.identity.type === 'None', `ARM identity ${JSON.stringify(vm.identity)}`);
  }],
  ['User assigned: + Add, pick the identity, Add assigns it in ARM', async () => {
    await arm('PUT', `${IDENTITY_ID}?api-version=2024-11-30`, { location: 'eastus' });
    await page.getByRole('tab', { name: 'User assigned' }).click();
    await page.getByRole('button', { name: '+ Add', exact: true }).click();
    const picker = page.getByRole('dialog', { name: 'Add user assigned managed identity' });
    await picker.getByRole('checkbox', { name: IDENTITY_NAME }).check();
    await picker.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('tbody').getByText(IDENTITY_NAME, { exact: true }).waitFor();
    const vm = await vm1();
    const assigned = Object.keys((vm.identity && vm.identity.userAssignedIdentities) || {});
    assert(vm.identity.type === 'UserAssigned', `ARM identity type ${vm.identity.type}`);
    assert(assigned.length === 1 && assigned[0].toLowerCase() === IDENTITY_ID.toLowerCase(), `ARM has ${assigned}`);
    await page.screenshot({ path: join(artifacts, 'identity-user-assigned.png') });
  }],
  ['User assigned: select it, Remove, Yes removes it in ARM', async () => {
    await page.getByRole('checkbox', { name: IDENTITY_NAME }).check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove user assigned managed identity' });
    await dialog.getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByText('No user assigned managed identities found on this resource.').waitFor();
    const vm = await vm1();
    assert(!vm.identity || vm.identity.type === 'None', `ARM identity ${JSON.stringify(vm.identity)}`);
  }],
  ['Managed Identities: a bad name shows ARM\'s error in the red banner', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: 'Managed Identities', exact: true }).click();
    await page.getByRole('heading', { name: 'Managed Identities' }).waitFor();
    await page.getByRole('button', { name: '+ Create', exact: true }).click();
    await page.getByLabel('Resource group').selectOption({ label: GROUP });
    await page.getByLabel('Region').selectOption({ label: 'East US' });
    await page.getByLabel('Name').fill('bad name!');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: 'InvalidResourceName' }).textContent();
    assert(text.startsWith('InvalidResourceName: '), `banner: ${text}`);
    assert(await armStatus('GET', `/subscriptions/${SUB}/resourceGroups/${GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bad%20name!?api-version=2024-11-30`) !== 200,
      'ARM has the bad name');
  }],
  ['Managed Identities: + Create in the group, Review + create, Create; ARM has it', async () => {
    await page.getByRole('link', { name: 'Managed Identities', exact: true }).click();
    await page.getByRole('button', { name: '+ Create', exact: true }).click();
    await page.getByLabel('Resource group').selectOption({ label: GROUP });
    await page.getByLabel('Region').selectOption({ label: 'East US' });
    await page.getByLabel('Name').fill(NEW_NAME);
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('tbody').getByText(NEW_NAME, { exact: true }).waitFor();
    const identity = await arm('GET', `${NEW_ID}?api-version=2024-11-30`);
    assert(identity.location === 'eastus', `ARM location ${identity.location}`);
    newPrincipalId = identity.properties.principalId;
    const row = page.locator('tr').filter({ hasText: NEW_NAME });
    await row.getByText(newPrincipalId).waitFor();
    await row.getByText(identity.properties.clientId).waitFor();
    await page.screenshot({ path: join(artifacts, 'managed-identities.png') });
  }],
  ['Federated credentials: + Add credential, Kubernetes accessing Azure resources; ARM lists the subject Azure builds', async () => {
    await page.getByRole('link', { name: NEW_NAME, exact: true }).click();
    await page.getByRole('heading', { name: NEW_NAME, exact: true }).waitFor();
    const identity = await arm('GET', `${NEW_ID}?api-version=2024-11-30`);
    assert((await page.getByTestId('client-id').textContent()) === identity.properties.clientId, 'Client ID');
    await page.getByRole('link', { name: 'Federated credentials', exact: true }).click();
    await page.getByText('No federated credentials configured for this managed identity.').waitFor();
    await page.getByRole('button', { name: '+ Add credential', exact: true }).click();
    await page.getByRole('heading', { name: 'Add Federated Credential' }).waitFor();
    await page.getByLabel('Federated credential scenario').selectOption({ label: 'Kubernetes accessing Azure resources' });
    await page.getByLabel('Cluster issuer URL').fill(K8S_ISSUER);
    await page.getByLabel('Namespace').fill('workloads');
    await page.getByLabel('Service account name').fill('api-sa');
    const subject = await page.getByLabel('Subject identifier').inputValue();
    assert(subject === K8S_SUBJECT, `Subject identifier ${subject}`);
    assert(await page.getByLabel('Audience').inputValue() === 'api://AzureADTokenExchange', 'default Audience');
    await page.getByLabel('Name', { exact: true }).fill('kubernetes-api');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Added federated credential \'kubernetes-api\'.' }).waitFor();
    await page.locator('tbody tr').filter({ hasText: K8S_SUBJECT }).getByText('kubernetes-api', { exact: true }).waitFor();
    const found = await federatedCredentials();
    assert(found.length === 1 && found[0].name === 'kubernetes-api' && found[0].properties.issuer === K8S_ISSUER
      && found[0].properties.subject === K8S_SUBJECT
      && JSON.stringify(found[0].properties.audiences) === '["api://AzureADTokenExchange"]', `ARM has ${JSON.stringify(found)}`);
  }],
  ['Federated credentials: + Add credential, GitHub Actions deploying Azure resources, Entity type Branch; ARM lists exactly both subjects', async () => {
    await page.getByRole('button', { name: '+ Add credential', exact: true }).click();
    await page.getByLabel('Federated credential scenario').selectOption({ label: 'GitHub Actions deploying Azure resources' });
    assert(await page.getByLabel('Issuer', { exact: true }).inputValue() === GITHUB_ISSUER, 'GitHub issuer');
    await page.getByLabel('Organization').fill('contoso');
    await page.getByLabel('Repository').fill('deploy-app');
    await page.getByLabel('Entity type').selectOption({ label: 'Branch' });
    await page.getByLabel('GitHub branch name').fill('main');
    const subject = await page.getByLabel('Subject identifier').inputValue();
    assert(subject === GITHUB_SUBJECT, `Subject identifier ${subject}`);
    await page.getByLabel('Name', { exact: true }).fill('github-main');
    await page.screenshot({ path: join(artifacts, 'identity-federated-credential-add.png') });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('tbody tr').filter({ hasText: GITHUB_SUBJECT }).getByText('github-main', { exact: true }).waitFor();
    const found = (await federatedCredentials()).map((c) => [c.name, c.properties.issuer, c.properties.subject, c.properties.audiences.join()]).sort();
    const expected = [['github-main', GITHUB_ISSUER, GITHUB_SUBJECT, 'api://AzureADTokenExchange'],
      ['kubernetes-api', K8S_ISSUER, K8S_SUBJECT, 'api://AzureADTokenExchange']];
    assert(JSON.stringify(found) === JSON.stringify(expected), `ARM has ${JSON.stringify(found)}`);
    await page.screenshot({ path: join(artifacts, 'identity-federated-credentials.png') });
  }],
  ['Federated credentials: Other with the Kubernetes issuer and subject again shows ARM\'s error in the red banner; ARM still has two', async () => {
    await page.getByRole('button', { name: '+ Add credential', exact: true }).click();
    await page.getByLabel('Federated credential scenario').selectOption({ label: 'Other' });
    await page.getByLabel('Issuer URL').fill(K8S_ISSUER);
    await page.getByLabel('Subject identifier').fill(K8S_SUBJECT);
    await page.getByLabel('Name', { exact: true }).fill('duplicate-api');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: 'Issuer and subject' }).textContent();
    assert(text === 'BadRequest: Issuer and subject combination already exists for this Managed Identity.', `banner: ${text}`);
    await page.screenshot({ path: join(artifacts, 'identity-federated-credential-duplicate.png') });
    const names = (await federatedCredentials()).map((c) => c.name).sort();
    assert(JSON.stringify(names) === '["github-main","kubernetes-api"]', `ARM has ${names}`);
  }],
  ['Federated credentials: Delete github-main, Yes; ARM lists only the Kubernetes credential and answers 404 for it', async () => {
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('button', { name: 'Delete github-main', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete federated credential' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Deleted federated credential \'github-main\'.' }).waitFor();
    await page.getByRole('button', { name: 'Delete github-main', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete kubernetes-api', exact: true }).waitFor();
    const names = (await federatedCredentials()).map((c) => c.name);
    assert(JSON.stringify(names) === '["kubernetes-api"]', `ARM has ${names}`);
    const status = await armStatus('GET', `${NEW_ID}/federatedIdentityCredentials/github-main?api-version=2025-01-31-preview`);
    assert(status === 404, `ARM answered ${status}`);
  }],
  ['Federated credentials: GitHub Actions builds Azure\'s subject for each Entity type; a 21st credential shows ARM\'s limit in the red banner', async () => {
    for (let index = 1; index <= 19; index += 1) {
      await arm('PUT', `${NEW_ID}/federatedIdentityCredentials/filler-${index}?api-version=2025-01-31-preview`,
        { properties: { issuer: K8S_ISSUER, subject: `system:serviceaccount:filler:sa-${index}`, audiences: ['api://AzureADTokenExchange'] } });
    }
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('button', { name: 'Delete filler-19', exact: true }).waitFor();
    await page.getByRole('button', { name: '+ Add credential', exact: true }).click();
    await page.getByLabel('Federated credential scenario').selectOption({ label: 'GitHub Actions deploying Azure resources' });
    await page.getByLabel('Organization').fill('contoso');
    await page.getByLabel('Repository').fill('deploy-app');
    const subjects = [['Environment', 'GitHub environment name', 'production', 'repo:contoso/deploy-app:environment:production'],
      ['Tag', 'GitHub tag name', 'v2', 'repo:contoso/deploy-app:ref:refs/tags/v2'],
      ['Pull request', null, null, 'repo:contoso/deploy-app:pull_request']];
    for (const [entity, label, value, expected] of subjects) {
      await page.getByLabel('Entity type').selectOption({ label: entity });
      if (label) await page.getByLabel(label).fill(value);
      else assert(await page.getByLabel(/^GitHub .* name$/).count() === 0, `a value field for ${entity}`);
      const subject = await page.getByLabel('Subject identifier').inputValue();
      assert(subject === expected, `${entity}: Subject identifier ${subject}`);
    }
    await page.getByLabel('Name', { exact: true }).fill('github-pull-requests');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: 'maximum number' }).textContent();
    assert(text === 'BadRequest: The managed identity already has the maximum number of federated identity credentials (20).', `banner: ${text}`);
    const found = await federatedCredentials();
    assert(found.length === 20 && found.every((c) => c.name !== 'github-pull-requests'), `ARM has ${found.map((c) => c.name)}`);
  }],
  ['Access control (IAM) on the group: + Add, Reader, Managed identity, Review + assign; ARM has it', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: GROUP, exact: true }).click();
    await page.getByRole('link', { name: 'Access control (IAM)', exact: true }).click();
    await page.getByRole('heading', { name: 'Role assignments' }).waitFor();
    await page.getByRole('button', { name: '+ Add', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add role assignment' });
    await pane.getByLabel('Role').selectOption({ label: 'Reader' });
    await pane.getByRole('radio', { name: 'Managed identity' }).check();
    await pane.getByLabel('Member').selectOption({ label: `${NEW_NAME} (${newPrincipalId})` });
    await pane.getByRole('button', { name: 'Review + assign', exact: true }).click();
    const row = page.locator('tr').filter({ has: page.getByRole('checkbox', { name: `Reader ${newPrincipalId}` }) });
    await row.getByText('This resource').waitFor();
    await row.getByText(NEW_NAME, { exact: true }).waitFor();
    const found = (await groupAssignments()).filter((a) => a.properties.principalId === newPrincipalId);
    assert(found.length === 1, `ARM has ${JSON.stringify(found)}`);
    const properties = found[0].properties;
    assert(properties.scope.toLowerCase() === GROUP_SCOPE.toLowerCase(), `scope ${properties.scope}`);
    assert(properties.roleDefinitionId.toLowerCase().endsWith(READER), `role ${properties.roleDefinitionId}`);
    assert(properties.principalType === 'ServicePrincipal', `principalType ${properties.principalType}`);
    await page.screenshot({ path: join(artifacts, 'access-control-iam.png') });
  }],
  ['Access control (IAM): select it, Remove, Yes; ARM no longer has it', async () => {
    await page.getByRole('checkbox', { name: `Reader ${newPrincipalId}` }).check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove role assignments' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('checkbox', { name: `Reader ${newPrincipalId}` }).waitFor({ state: 'detached' });
    const found = (await groupAssignments()).filter((a) => a.properties.principalId === newPrincipalId);
    assert(found.length === 0, `ARM still has ${JSON.stringify(found)}`);
  }],
  ['Managed Identities: select it, Delete, Yes; ARM answers 404', async () => {
    // A grant made before the delete stays behind, orphaned, as in Azure (next step).
    await arm('PUT', `${GROUP_SCOPE}/providers/Microsoft.Authorization/roleAssignments/${ORPHAN}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
        principalId: newPrincipalId, principalType: 'ServicePrincipal' },
    });
    await page.goto(`${ARM}/portal/#/identities`);
    await page.getByRole('checkbox', { name: NEW_NAME }).check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete managed identity' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('checkbox', { name: NEW_NAME }).waitFor({ state: 'detached' });
    const status = await armStatus('GET', `${NEW_ID}?api-version=2024-11-30`);
    assert(status === 404, `ARM answered ${status}`);
  }],
  ['Access control (IAM) on the group shows the deleted identity\'s assignment as "Identity not found"; Remove deletes it', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: GROUP, exact: true }).click();
    await page.getByRole('link', { name: 'Access control (IAM)', exact: true }).click();
    const box = page.getByRole('checkbox', { name: `Reader ${newPrincipalId}` });
    const row = page.locator('tr').filter({ has: box });
    await row.getByText('Identity not found', { exact: true }).waitFor();
    await page.screenshot({ path: join(artifacts, 'access-control-orphan.png') });
    await box.check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove role assignments' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await box.waitFor({ state: 'detached' });
    const found = (await groupAssignments()).filter((a) => a.properties.principalId === newPrincipalId);
    assert(found.length === 0, `ARM still has ${JSON.stringify(found)}`);
  }],
  ['Access control (IAM) on the subscription lists the admin\'s Owner assignment', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: 'Access control (IAM)', exact: true }).click();
    await page.getByRole('heading', { name: 'Role assignments' }).waitFor();
    await page.locator('tbody tr').filter({ hasText: 'Owner' }).filter({ hasText: 'This resource' }).first().waitFor();
  }],
  ['Access control (IAM) on the VM: + Add Reader for the learner chosen in Select members (Graph), then Remove; ARM follows', async () => {
    await openIdentityBlade();
    await page.getByRole('link', { name: 'Access control (IAM)', exact: true }).click();
    await page.getByRole('heading', { name: 'Role assignments' }).waitFor();
    await page.getByRole('button', { name: '+ Add', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add role assignment' });
    await pane.getByLabel('Role').selectOption({ label: 'Reader' });
    await pane.getByRole('radio', { name: 'User, group, or service principal' }).check();
    await pane.getByRole('group', { name: 'Select members' }).getByRole('radio', { name: `${LEARNER[2]} ${LEARNER[0]}` }).check();
    await pane.getByRole('button', { name: 'Review + assign', exact: true }).click();
    const box = page.getByRole('checkbox', { name: `Reader ${LEARNER_OID}` });
    await box.waitFor();
    const atVm = async () => (await arm('GET', `${VM_ID}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`))
      .value.filter((a) => a.properties.principalId === LEARNER_OID);
    const found = await atVm();
    assert(found.length === 1 && found[0].properties.principalType === 'User'
      && found[0].properties.scope.toLowerCase() === VM_ID.toLowerCase(), `ARM has ${JSON.stringify(found)}`);
    await box.check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove role assignments' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await box.waitFor({ state: 'detached' });
    assert((await atVm()).length === 0, 'ARM still has the learner\'s assignment on vm1');
  }],
  ['Access control (IAM) on the group, Check access: you hold Owner from the subscription and ARM\'s permissions say *; the learner has Reader here, then none', async () => {
    const learnerReader = `${GROUP_SCOPE}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`;
    await arm('PUT', learnerReader, { properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      principalId: LEARNER_OID, principalType: 'User' } });
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: GROUP, exact: true }).click();
    await page.getByRole('link', { name: 'Access control (IAM)', exact: true }).click();
    await page.getByRole('tab', { name: 'Check access', exact: true }).click();
    await page.getByLabel('Principal').selectOption({ label: `${ADMIN[2]} (you) — User` });
    await page.getByRole('button', { name: 'Check access', exact: true }).click();
    const mine = page.getByRole('region', { name: `Access of ${ADMIN[2]} (you)` });
    await mine.locator('tr').filter({ hasText: 'Owner' }).filter({ hasText: `Inherited (/subscriptions/${SUB})` }).first().waitFor();
    await mine.getByText('What you can do here (ARM permissions)').waitFor();
    await mine.locator('code').filter({ hasText: /^\*$/ }).first().waitFor();
    await page.getByLabel('Principal').selectOption({ label: `${LEARNER[2]} — User` });
    await page.getByRole('button', { name: 'Check access', exact: true }).click();
    const learner = page.getByRole('region', { name: `Access of ${LEARNER[2]}` });
    await learner.locator('tr').filter({ hasText: 'Reader' }).filter({ hasText: 'This resource' }).filter({ hasText: 'Direct' }).waitFor();
    await learner.locator('code').filter({ hasText: '*/read' }).waitFor();
    await page.screenshot({ path: join(artifacts, 'access-control-check-access.png') });
    await arm('DELETE', learnerReader);
    await page.getByRole('button', { name: 'Check access', exact: true }).click();
    await learner.getByText('No role assignments of this principal or its groups at or above this scope: it has no access here.').waitFor();
  }],
  ['Token inspector: vm1 without an identity shows IMDS\'s "Identity not found" in the red banner', async () => {
    await page.goto(`${ARM}/portal/#/vm/${SUB}/${GROUP}/vm1/tokens`);
    await page.getByRole('button', { name: 'Get token', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: 'Identity not found' }).textContent();
    assert(text === 'invalid_request: Identity not found', `banner: ${text}`);
  }],
  ['Token inspector: vm2\'s IMDS token has its xms_mirid; reading the group with it answers 403', async () => {
    await arm('PATCH', `${VM2_ID}?api-version=2024-11-01`, { identity: { type: 'SystemAssigned' } });
    await page.goto(`${ARM}/portal/#/vm/${SUB}/${GROUP}/vm2/overview`);
    await page.getByRole('heading', { name: 'vm2' }).waitFor();
    await page.getByRole('link', { name: 'Token inspector', exact: true }).click();
    await page.getByRole('button', { name: 'Get token', exact: true }).click();
    const mirid = (await page.locator('tr').filter({ hasText: 'xms_mirid' }).locator('td').nth(1).textContent()).trim();
    assert(mirid.toLowerCase() === VM2_ID.toLowerCase(), `xms_mirid ${mirid}`);
    const vm = await arm('GET', `${VM2_ID}?api-version=2024-11-01`);
    await page.locator('tr').filter({ hasText: 'oid' }).getByText(vm.identity.principalId, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Read resource group with this token', exact: true }).click();
    const result = await page.locator('#read-result').textContent();
    assert(result.startsWith('403 AuthorizationFailed'), `result: ${result}`);
    await page.screenshot({ path: join(artifacts, 'token-inspector-403.png') });
  }],
  ['Token inspector: after granting vm2\'s identity Reader on the group, the same token reads it (200)', async () => {
    const vm = await arm('GET', `${VM2_ID}?api-version=2024-11-01`);
    await arm('PUT', `${GROUP_SCOPE}/providers/Microsoft.Authorization/roleAssignments/${VM2_READER}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
        principalId: vm.identity.principalId, principalType: 'ServicePrincipal' },
    });
    await page.getByRole('button', { name: 'Read resource group with this token', exact: true }).click();
    await page.locator('#read-result').filter({ hasText: '200 OK' }).waitFor();
    await page.locator('pre').filter({ hasText: `"name": "${GROUP}"` }).waitFor();
    await page.screenshot({ path: join(artifacts, 'token-inspector-200.png') });
  }],
  ['Microsoft Entra ID: Users, + New user (auto-generated password), Review + create, Create; Graph has the user, AAD its password', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: 'Microsoft Entra ID', exact: true }).click();
    await page.getByRole('heading', { name: 'Microsoft Entra ID' }).waitFor();
    await page.getByText(endpoints.tenant_id, { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('link', { name: LEARNER[2], exact: true }).waitFor();
    await page.getByRole('button', { name: '+ New user', exact: true }).click();
    await page.getByLabel('User principal name', { exact: true }).fill(ENTRA_USER);
    await page.getByLabel('Display name', { exact: true }).fill('Portal User');
    entra.firstPassword = await page.getByLabel('Password', { exact: true }).inputValue();
    assert(entra.firstPassword.length >= 8, `generated password ${entra.firstPassword}`);
    await page.screenshot({ path: join(artifacts, 'entra-new-user.png') });
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Portal User' }).waitFor();
    const user = await graphOk('GET', `/users/${ENTRA_UPN}?$select=id,displayName,accountEnabled`);
    assert(user.displayName === 'Portal User' && user.accountEnabled === true, `Graph has ${JSON.stringify(user)}`);
    entra.userId = user.id;
    await page.locator('dd code').getByText(user.id, { exact: true }).waitFor();
    const answer = await passwordSignIn(ENTRA_UPN, entra.firstPassword);
    assert(answer.status === 400 && answer.body.error_description.startsWith('AADSTS50055'), `sign-in: ${JSON.stringify(answer.body)}`);
  }],
  ['Users: Reset password shows a temporary password once; AAD takes it (to be changed) instead of the old one', async () => {
    await page.getByRole('button', { name: 'Reset password', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Reset password' });
    await pane.getByRole('button', { name: 'Reset password', exact: true }).click();
    const temporary = await pane.getByLabel('Temporary password').inputValue();
    assert(temporary && temporary !== entra.firstPassword, `temporary password ${temporary}`);
    entra.temporary = temporary;
    await page.screenshot({ path: join(artifacts, 'entra-reset-password.png') });
    const withNew = await passwordSignIn(ENTRA_UPN, temporary);
    assert(withNew.status === 400 && withNew.body.error_description.startsWith('AADSTS50055'), `new password: ${JSON.stringify(withNew.body)}`);
    const withOld = await passwordSignIn(ENTRA_UPN, entra.firstPassword);
    assert(withOld.status === 400 && withOld.body.error_description.startsWith('AADSTS50126'), `old password: ${JSON.stringify(withOld.body)}`);
    await pane.getByRole('button', { name: 'Close', exact: true }).click();
  }],
  ['the new user signs in to the portal with the temporary password, updates it (Update your password), and is signed in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email, phone, or Skype').fill(ENTRA_UPN);
    await page.getByLabel('Password').fill(entra.temporary);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Update your password' }).waitFor();
    const chosen = `Portal-${SUFFIX}-Pass1!`;
    await page.getByLabel('Current password').fill(entra.temporary);
    await page.getByLabel('New password').fill(chosen);
    await page.getByLabel('Confirm password').fill(chosen);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#user').filter({ hasText: 'Portal User' }).waitFor();
    await page.getByRole('heading', { name: 'Resource groups' }).waitFor();
    const answer = await passwordSignIn(ENTRA_UPN, chosen);
    assert(answer.status === 200, `sign-in with the new password: ${JSON.stringify(answer.body)}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(ADMIN);
  }],
  ['Users: a user principal name outside the verified domains shows Graph\'s error in the red banner', async () => {
    await page.goto(`${ARM}/portal/#/entra/users/new`);
    await page.getByLabel('User principal name', { exact: true }).fill('bad name');
    await page.getByLabel('Display name', { exact: true }).fill('Bad Name');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: 'Request_BadRequest' }).textContent();
    assert(text.startsWith('Request_BadRequest: '), `banner: ${text}`);
    const found = await graphOk('GET', `/users?$filter=displayName eq 'Bad Name'`);
    assert(found.value.length === 0, `Graph has ${JSON.stringify(found.value)}`);
  }],
  ['Users: Delete, Yes; Graph answers 404 and keeps the user in deleted items', async () => {
    await page.goto(`${ARM}/portal/#/entra/users/${entra.userId}`);
    await page.getByRole('heading', { name: 'Portal User' }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete user' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted user '${ENTRA_UPN}'.` }).waitFor();
    await page.getByRole('link', { name: LEARNER[2], exact: true }).waitFor();
    assert(await page.getByText(ENTRA_UPN, { exact: true }).count() === 0, 'the list still shows the user');
    assert((await graphApi('GET', `/users/${entra.userId}`)).status === 404, 'Graph still has the user');
    assert((await graphApi('GET', `/directory/deletedItems/${entra.userId}`)).status === 200, 'not in deleted items');
  }],
  ['Groups: + New group (Security), Create; Graph has the security group', async () => {
    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.getByRole('button', { name: '+ New group', exact: true }).click();
    await page.getByLabel('Group type').selectOption({ label: 'Security' });
    await page.getByLabel('Group name').fill(ENTRA_GROUP);
    await page.getByLabel('Group description').fill('Readers of mimic-rg');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: ENTRA_GROUP }).waitFor();
    const found = (await graphOk('GET', `/groups?$filter=displayName eq '${ENTRA_GROUP}'`)).value;
    assert(found.length === 1 && found[0].securityEnabled === true && found[0].mailEnabled === false
      && found[0].description === 'Readers of mimic-rg', `Graph has ${JSON.stringify(found)}`);
    entra.groupId = found[0].id;
    await page.locator('dd code').getByText(entra.groupId, { exact: true }).waitFor();
  }],
  ['Group Members: + Add members, the learner, Select; Graph lists the learner as a member', async () => {
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByText('No members found.').waitFor();
    await page.getByRole('button', { name: '+ Add members', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add members' });
    await pane.getByLabel('Search').fill('learner');
    await pane.getByRole('checkbox', { name: `${LEARNER[2]} ${LEARNER[0]}` }).check();
    await pane.getByRole('button', { name: 'Select', exact: true }).click();
    await page.getByRole('checkbox', { name: LEARNER[2], exact: true }).waitFor();
    const members = (await graphOk('GET', `/groups/${entra.groupId}/members`)).value;
    assert(members.length === 1 && members[0].id === LEARNER_OID, `Graph has ${JSON.stringify(members)}`);
    await page.screenshot({ path: join(artifacts, 'entra-group-members.png') });
  }],
  ['Group Members: select the learner, Remove, Yes; Graph lists no member', async () => {
    await page.getByRole('checkbox', { name: LEARNER[2], exact: true }).check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove member' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByText('No members found.').waitFor();
    const members = (await graphOk('GET', `/groups/${entra.groupId}/members`)).value;
    assert(members.length === 0, `Graph has ${JSON.stringify(members)}`);
  }],
  ['Group Owners: + Add owners, the learner, Select; Graph lists the owner; Remove, Yes; Graph lists none', async () => {
    await page.getByRole('link', { name: 'Owners', exact: true }).click();
    await page.getByText('No owners found.').waitFor();
    await page.getByRole('button', { name: '+ Add owners', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add owners' });
    await pane.getByRole('checkbox', { name: `${LEARNER[2]} ${LEARNER[0]}` }).check();
    await pane.getByRole('button', { name: 'Select', exact: true }).click();
    await page.getByRole('checkbox', { name: LEARNER[2], exact: true }).waitFor();
    const owners = (await graphOk('GET', `/groups/${entra.groupId}/owners`)).value;
    assert(owners.length === 1 && owners[0].id === LEARNER_OID, `Graph has ${JSON.stringify(owners)}`);
    await page.getByRole('checkbox', { name: LEARNER[2], exact: true }).check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove owner' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByText('No owners found.').waitFor();
    assert((await graphOk('GET', `/groups/${entra.groupId}/owners`)).value.length === 0, 'Graph still lists an owner');
  }],
  ['App registrations: + New registration, Register; Overview shows Graph\'s ids; the service principal exists', async () => {
    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('link', { name: 'App registrations', exact: true }).click();
    await page.getByRole('heading', { name: 'App registrations' }).waitFor();
    await page.getByRole('button', { name: '+ New registration', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill(ENTRA_APP);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('heading', { name: ENTRA_APP }).waitFor();
    const found = (await graphOk('GET', `/applications?$filter=displayName eq '${ENTRA_APP}'`)).value;
    assert(found.length === 1 && found[0].signInAudience === 'AzureADMyOrg', `Graph has ${JSON.stringify(found)}`);
    entra.app = found[0];
    assert((await page.getByTestId('client-id').textContent()) === entra.app.appId, 'Application (client) ID');
    assert((await page.getByTestId('object-id').textContent()) === entra.app.id, 'Object ID');
    assert((await page.getByTestId('tenant-id').textContent()) === endpoints.tenant_id, 'Directory (tenant) ID');
    const principals = (await graphOk('GET', `/servicePrincipals?$filter=appId eq '${entra.app.appId}'`)).value;
    assert(principals.length === 1, `service principals ${JSON.stringify(principals)}`);
    await page.screenshot({ path: join(artifacts, 'entra-app-overview.png') });
  }],
  ['Certificates & secrets: + New client secret shows its value once; a client-credentials token with it works', async () => {
    await page.getByRole('link', { name: 'Certificates & secrets', exact: true }).click();
    await page.getByRole('tab', { name: 'Client secrets (0)' }).waitFor();
    await page.getByRole('button', { name: '+ New client secret', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add a client secret' });
    await pane.getByLabel('Description').fill('portal test');
    await pane.getByLabel('Expires').selectOption({ label: '90 days (3 months)' });
    await pane.getByRole('button', { name: 'Add', exact: true }).click();
    const value = (await page.getByTestId('secret-value').textContent()).trim();
    await page.screenshot({ path: join(artifacts, 'entra-client-secret.png') });
    const secrets = (await graphOk('GET', `/applications/${entra.app.id}`)).passwordCredentials;
    assert(secrets.length === 1 && secrets[0].displayName === 'portal test' && secrets[0].secretText === null, `Graph has ${JSON.stringify(secrets)}`);
    const days = (Date.parse(secrets[0].endDateTime) - Date.now()) / 86400000;
    assert(days > 88 && days < 91, `expires in ${days} days`);
    const token = await tokenRequest({ grant_type: 'client_credentials', client_id: entra.app.appId, client_secret: value, scope: 'https://management.azure.com/.default' });
    assert(token.status === 200 && token.body.access_token, `token: ${JSON.stringify(token.body)}`);
    entra.secret = value;
    await page.getByRole('link', { name: 'Certificates & secrets', exact: true }).click();
    await page.getByRole('tab', { name: 'Client secrets (1)' }).waitFor();
    await page.locator('tbody tr').filter({ hasText: 'portal test' }).waitFor();
    assert(await page.getByTestId('secret-value').count() === 0, 'the value is still shown after a reload');
  }],
  ['Certificates & secrets: Delete the secret, Yes; Graph has none and the token endpoint refuses it', async () => {
    await page.getByRole('button', { name: 'Delete portal test', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete client secret' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('tab', { name: 'Client secrets (0)' }).waitFor();
    const secrets = (await graphOk('GET', `/applications/${entra.app.id}`)).passwordCredentials;
    assert(secrets.length === 0, `Graph has ${JSON.stringify(secrets)}`);
    const token = await tokenRequest({ grant_type: 'client_credentials', client_id: entra.app.appId, client_secret: entra.secret, scope: 'https://management.azure.com/.default' });
    assert(token.status === 401 && token.body.error === 'invalid_client', `token: ${token.status} ${JSON.stringify(token.body)}`);
  }],
  ['App registrations: Delete, Yes; Graph answers 404 for the application and has no service principal for it', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete app registration' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted application '${ENTRA_APP}'.` }).waitFor();
    assert((await graphApi('GET', `/applications/${entra.app.id}`)).status === 404, 'Graph still has the application');
    const principals = (await graphOk('GET', `/servicePrincipals?$filter=appId eq '${entra.app.appId}'`)).value;
    assert(principals.length === 0, `service principals ${JSON.stringify(principals)}`);
  }],
  ['Enterprise applications: Managed Identities lists vm2\'s identity; its Permissions show an app role granted through Graph', async () => {
    const vm = await arm('GET', `${VM2_ID}?api-version=2024-11-01`);
    const roleId = crypto.randomUUID();
    const api = await graphOk('POST', '/applications', { displayName: ENTRA_API,
      appRoles: [{ id: roleId, allowedMemberTypes: ['Application'], displayName: 'Read all portal data', description: 'Read', value: 'Portal.Read.All', isEnabled: true }] });
    entra.apiAppId = api.id;
    const resource = await graphOk('POST', '/servicePrincipals', { appId: api.appId });
    await graphOk('POST', `/servicePrincipals/${vm.identity.principalId}/appRoleAssignments`,
      { principalId: vm.identity.principalId, resourceId: resource.id, appRoleId: roleId });
    await page.getByRole('link', { name: 'Enterprise applications', exact: true }).click();
    await page.getByRole('heading', { name: 'Enterprise applications' }).waitFor();
    await page.getByRole('link', { name: ENTRA_API, exact: true }).waitFor();
    assert(await page.getByRole('link', { name: 'vm2', exact: true }).count() === 0, 'Enterprise Applications lists a managed identity');
    await page.getByLabel('Application type').selectOption({ label: 'Managed Identities' });
    const row = page.locator('tr').filter({ has: page.getByRole('link', { name: 'vm2', exact: true }) });
    await row.getByText(vm.identity.principalId, { exact: true }).waitFor();
    await row.getByText('Managed Identity', { exact: true }).waitFor();
    assert(await page.getByRole('link', { name: ENTRA_API, exact: true }).count() === 0, 'Managed Identities lists an application');
    await page.screenshot({ path: join(artifacts, 'entra-enterprise-applications.png') });
    await row.getByRole('link', { name: 'vm2', exact: true }).click();
    await page.getByRole('link', { name: 'Permissions', exact: true }).click();
    const granted = page.locator('tbody tr').filter({ hasText: ENTRA_API });
    await granted.getByText('Portal.Read.All', { exact: true }).waitFor();
    await granted.getByText('Read all portal data', { exact: true }).waitFor();
    await page.screenshot({ path: join(artifacts, 'entra-permissions.png') });
  }],
  ['Access control (IAM) on the group: + Add Reader for the Entra group chosen in Select members; ARM has principalType Group; Remove', async () => {
    await page.goto(`${ARM}/portal/#/rg/${SUB}/${GROUP}/iam`);
    await page.getByRole('heading', { name: 'Role assignments' }).waitFor();
    await page.getByRole('button', { name: '+ Add', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add role assignment' });
    await pane.getByLabel('Role').selectOption({ label: 'Reader' });
    await pane.getByRole('radio', { name: 'User, group, or service principal' }).check();
    await pane.getByRole('group', { name: 'Select members' }).getByRole('radio', { name: `${ENTRA_GROUP} Readers of mimic-rg (Group)` }).check();
    await pane.getByRole('button', { name: 'Review + assign', exact: true }).click();
    const box = page.getByRole('checkbox', { name: `Reader ${entra.groupId}` });
    const row = page.locator('tr').filter({ has: box });
    await row.getByText(ENTRA_GROUP, { exact: true }).waitFor();
    await row.getByText('Group', { exact: true }).waitFor();
    const found = (await groupAssignments()).filter((a) => a.properties.principalId === entra.groupId);
    assert(found.length === 1 && found[0].properties.principalType === 'Group'
      && found[0].properties.roleDefinitionId.toLowerCase().endsWith(READER), `ARM has ${JSON.stringify(found)}`);
    await page.screenshot({ path: join(artifacts, 'access-control-iam-group.png') });
    await box.check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove role assignments' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await box.waitFor({ state: 'detached' });
    assert((await groupAssignments()).every((a) => a.properties.principalId !== entra.groupId), 'ARM still has the group\'s assignment');
  }],
  ['Groups: Delete, Yes; Graph answers 404', async () => {
    await page.goto(`${ARM}/portal/#/entra/groups/${entra.groupId}`);
    await page.getByRole('heading', { name: ENTRA_GROUP }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete group' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted group '${ENTRA_GROUP}'.` }).waitFor();
    assert((await graphApi('GET', `/groups/${entra.groupId}`)).status === 404, 'Graph still has the group');
  }],
  ['Key vaults: + Create with Azure RBAC (Standard, 7 days); ARM has the vault as chosen; the Overview copies its Vault URI', async () => {
    await page.goto(`${ARM}/portal/`);
    await page.getByRole('link', { name: 'Key vaults', exact: true }).click();
    await page.getByRole('heading', { name: 'Key vaults' }).waitFor();
    await createVaultBasics(KV_RBAC, 'Standard', 7);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    assert(await page.getByRole('radio', { name: 'Azure role-based access control (recommended)' }).isChecked(), 'RBAC is not the default');
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: KV_RBAC, exact: true }).waitFor();
    const vault = await getVault(KV_RBAC);
    const properties = vault.properties;
    assert(vault.location === 'eastus' && properties.sku.name === 'standard' && properties.enableRbacAuthorization === true
      && properties.softDeleteRetentionInDays === 7 && !properties.enablePurgeProtection && properties.accessPolicies.length === 0
      && properties.tenantId === endpoints.tenant_id, `ARM has ${JSON.stringify(vault)}`);
    assert(await page.getByTestId('vault-uri').textContent() === properties.vaultUri, 'Vault URI');
    await page.getByText('Azure role-based access control', { exact: true }).waitFor();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ARM });
    await page.getByRole('button', { name: 'Copy Vault URI to clipboard' }).click();
    await page.getByRole('button', { name: 'Copy Vault URI to clipboard' }).getByText('Copied').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert(copied === properties.vaultUri, `clipboard ${copied}`);
    await page.screenshot({ path: join(artifacts, 'key-vault-overview.png') });
  }],
  ['Key vaults: + Create with a taken name shows ARM\'s name check; a name taken before Create shows ARM\'s VaultAlreadyExists in the red banner; ARM unchanged', async () => {
    await page.getByRole('link', { name: 'Key vaults', exact: true }).click();
    await page.getByRole('button', { name: '+ Create', exact: true }).click();
    await page.getByLabel('Resource group').selectOption({ label: GROUP });
    await page.getByLabel('Key vault name').fill(KV_RBAC);
    const inUse = `The vault name '${KV_RBAC}' is already in use.`;
    await page.getByTestId('name-status').getByText(inUse, { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    const text = await page.getByRole('alert').filter({ hasText: inUse }).textContent();
    assert(text.startsWith(inUse), `banner: ${text}`);
    assert(await page.getByRole('button', { name: 'Create', exact: true }).isHidden(), 'Review + create opened with a taken name');
    await page.getByLabel('Key vault name').fill(KV_RACE);
    await page.getByTestId('name-status').getByText(`'${KV_RACE}' is available.`, { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).waitFor();
    // Someone else takes the name, in another group, before Create.
    await arm('PUT', `/subscriptions/${SUB}/resourcegroups/${KV_OTHER_GROUP}?api-version=2021-04-01`, { location: 'eastus' });
    await arm('PUT', `${vaultId(KV_RACE, KV_OTHER_GROUP)}?api-version=${KV}`,
      { location: 'eastus', properties: { tenantId: endpoints.tenant_id, sku: { family: 'A', name: 'standard' } } });
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const conflict = await page.getByRole('alert').filter({ hasText: 'VaultAlreadyExists' }).textContent();
    assert(conflict.startsWith(`VaultAlreadyExists: The vault name '${KV_RACE}' is already in use.`), `banner: ${conflict}`);
    await page.screenshot({ path: join(artifacts, 'key-vault-create-conflict.png') });
    assert(await armStatus('GET', `${vaultId(KV_RACE)}?api-version=${KV}`) === 404, 'ARM has the vault in the form\'s group');
  }],
  ['Key vaults: + Create with Vault access policy (Premium, 30 days, purge protection, template deployment); ARM has it with the creator\'s policy', async () => {
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('heading', { name: 'Key vaults' }).waitFor();
    await createVaultBasics(KV_POLICY, 'Premium', 30);
    await page.getByRole('radio', { name: /^Enable purge protection/ }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('radio', { name: 'Vault access policy' }).check();
    await page.getByRole('checkbox', { name: 'Azure Resource Manager for template deployment' }).check();
    await page.locator('tbody tr').filter({ hasText: ADMIN[2] }).waitFor();
    await page.getByRole('button', { name: 'Review + create', exact: true }).click();
    await page.screenshot({ path: join(artifacts, 'key-vault-create-review.png') });
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: KV_POLICY, exact: true }).waitFor();
    const properties = (await getVault(KV_POLICY)).properties;
    const signedIn = await passwordSignIn(ADMIN[0], ADMIN[1]);
    const admin = JSON.parse(Buffer.from(signedIn.body.access_token.split('.')[1], 'base64url')).oid;
    const policies = properties.accessPolicies;
    assert(properties.sku.name === 'premium' && properties.enableRbacAuthorization === false && properties.enablePurgeProtection === true
      && properties.softDeleteRetentionInDays === 30 && properties.enabledForTemplateDeployment === true
      && properties.enabledForDeployment === false, `ARM has ${JSON.stringify(properties)}`);
    assert(policies.length === 1 && policies[0].objectId === admin && sorted(policies[0].permissions.secrets) === sorted(SECRET_MANAGEMENT)
      && policies[0].permissions.keys.length === 12 && policies[0].permissions.certificates.length === 15, `policies ${JSON.stringify(policies)}`);
    await page.getByText('Vault access policy', { exact: true }).waitFor();
  }],
  ['Access policies: + Create, template Secret Management, the learner; ARM has exactly that policy', async () => {
    await page.getByRole('link', { name: 'Access policies', exact: true }).click();
    await page.locator('tbody tr').filter({ hasText: ADMIN[2] }).getByText('12 selected').waitFor();
    await page.getByRole('button', { name: '+ Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Create an access policy' }).waitFor();
    await page.getByLabel('Configure from a template').selectOption({ label: 'Secret Management' });
    const secrets = page.getByRole('group', { name: 'Secret permissions' });
    assert(await secrets.getByRole('checkbox', { name: 'Set', exact: true }).isChecked(), 'the template did not tick Set');
    assert(!(await secrets.getByRole('checkbox', { name: 'Purge', exact: true }).isChecked()), 'the template ticked Purge');
    await page.screenshot({ path: join(artifacts, 'key-vault-access-policy-create.png') });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('group', { name: 'Select a principal' }).getByRole('radio', { name: `${LEARNER[2]} ${LEARNER[0]}` }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Created the access policy of '${LEARNER[2]}'.` }).waitFor();
    await page.locator('tbody tr').filter({ hasText: LEARNER[2] }).getByText('7 selected').waitFor();
    await page.screenshot({ path: join(artifacts, 'key-vault-access-policies.png') });
    const policies = (await getVault(KV_POLICY)).properties.accessPolicies.filter((p) => p.objectId === LEARNER_OID);
    assert(policies.length === 1 && sorted(policies[0].permissions.secrets) === sorted(SECRET_MANAGEMENT)
      && sorted(policies[0].permissions.keys) === '[]' && sorted(policies[0].permissions.certificates) === '[]'
      && policies[0].tenantId === endpoints.tenant_id, `ARM has ${JSON.stringify(policies)}`);
  }],
  ['Access policies: select the learner\'s, Delete, Yes; ARM keeps only the creator\'s', async () => {
    await page.getByRole('radio', { name: `${LEARNER[2]} ${LEARNER_OID}` }).check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete access policy' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted the access policy of '${LEARNER[2]}'.` }).waitFor();
    const policies = (await getVault(KV_POLICY)).properties.accessPolicies;
    assert(policies.length === 1 && policies[0].objectId !== LEARNER_OID, `ARM has ${JSON.stringify(policies)}`);
  }],
  ['Access configuration: Azure RBAC, Apply, Yes PATCHes the vault; Access policies then shows Azure\'s message and links back', async () => {
    await page.getByRole('link', { name: 'Access configuration', exact: true }).click();
    await page.getByRole('radio', { name: 'Azure role-based access control (recommended)' }).check();
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByRole('dialog', { name: 'Change the permission model' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Updated the access configuration of '${KV_POLICY}'.` }).waitFor();
    const properties = (await getVault(KV_POLICY)).properties;
    assert(properties.enableRbacAuthorization === true && properties.accessPolicies.length === 1, `ARM has ${JSON.stringify(properties)}`);
    await page.getByRole('link', { name: 'Access policies', exact: true }).click();
    const notice = page.getByTestId('rbac-notice');
    await notice.waitFor();
    assert(await page.getByRole('button', { name: '+ Create', exact: true }).count() === 0, 'Access policies offers + Create on an RBAC vault');
    await notice.getByRole('link', { name: 'Access configuration' }).click();
    await page.getByRole('heading', { name: `${KV_POLICY} | Access configuration` }).waitFor();
  }],
  ['Access control (IAM) on a vault: + Add Key Vault Secrets User for the learner; ARM has it at the vault\'s scope', async () => {
    await page.goto(`${ARM}/portal/#/keyvaults/${SUB}/${GROUP}/${KV_RBAC}/iam`);
    await page.getByRole('heading', { name: 'Role assignments' }).waitFor();
    await page.getByRole('button', { name: '+ Add', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Add role assignment' });
    const roles = await pane.getByLabel('Role').evaluate((select) => [...select.options].map((option) => option.textContent));
    for (const role of ['Key Vault Secrets Officer', 'Key Vault Administrator', 'Key Vault Crypto User', 'Key Vault Reader']) {
      assert(roles.includes(role), `no ${role} in the role picker`);
    }
    await pane.getByLabel('Role').selectOption({ label: 'Key Vault Secrets User' });
    await pane.getByRole('radio', { name: 'User, group, or service principal' }).check();
    await pane.getByRole('group', { name: 'Select members' }).getByRole('radio', { name: `${LEARNER[2]} ${LEARNER[0]}` }).check();
    await pane.getByRole('button', { name: 'Review + assign', exact: true }).click();
    const row = page.locator('tr').filter({ has: page.getByRole('checkbox', { name: `Key Vault Secrets User ${LEARNER_OID}` }) });
    await row.getByText('This resource').waitFor();
    await page.screenshot({ path: join(artifacts, 'key-vault-access-control-iam.png') });
    const found = (await arm('GET', `${vaultId(KV_RBAC)}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`))
      .value.filter((a) => a.properties.principalId === LEARNER_OID);
    assert(found.length === 1 && found[0].properties.roleDefinitionId.toLowerCase().endsWith(SECRETS_USER)
      && found[0].properties.scope.toLowerCase() === vaultId(KV_RBAC).toLowerCase() && found[0].properties.principalType === 'User',
    `ARM has ${JSON.stringify(found)}`);
  }],
  ['Key vault Secrets as the admin (Owner, no Key Vault data role): Key Vault\'s ForbiddenByRbac in the red banner', async () => {
    await page.goto(`${ARM}/portal/#/keyvaults/${SUB}/${GROUP}/${KV_RBAC}/secrets`);
    const banner = page.getByRole('alert').filter({ hasText: 'Forbidden: Caller is not authorized to perform action on resource.' });
    await banner.waitFor();
    const text = await banner.textContent();
    assert(text.includes(`oid=${ADMIN_OID}`) && text.includes("Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'")
      && text.includes(`Vault: ${KV_RBAC};location=`), `banner: ${text}`);
    await page.getByText('You are unauthorized to view these contents.').waitFor();
  }],
  ['Key vault Secrets: with Key Vault Secrets Officer, + Generate/Import creates a secret; Key Vault has it; its version shows the value', async () => {
    await arm('PUT', `${vaultId(KV_RBAC)}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`,
      { properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_OFFICER}`,
        principalId: ADMIN_OID, principalType: 'User' } });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByText('There are no secrets available.').waitFor();
    await page.getByRole('button', { name: '+ Generate/Import', exact: true }).click();
    await page.getByLabel('Name').fill('portal-secret');
    await page.getByLabel('Secret value').fill(SECRET_VALUE);
    await page.getByLabel('Content type (optional)').fill('text/plain');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: "The secret 'portal-secret' has been successfully created." }).waitFor();
    await page.getByRole('link', { name: 'portal-secret', exact: true }).click();
    await page.getByRole('heading', { name: 'Current version' }).waitFor();
    await page.locator('tbody tr a').first().click();
    await page.getByRole('button', { name: 'Show Secret Value', exact: true }).click();
    await page.getByTestId('secret-value').filter({ hasText: SECRET_VALUE }).waitFor();
    await page.screenshot({ path: join(artifacts, 'key-vault-secret.png') });
    // Key Vault itself, as the operator once granted Secrets User: the secret as the form set it.
    await arm('PUT', `${vaultId(KV_RBAC)}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`,
      { properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`,
        principalId: endpoints.operator.object_id || OPERATOR_OID, principalType: 'ServicePrincipal' } });
    const secret = await keyVault('GET', KV_RBAC, '/secrets/portal-secret');
    assert(secret.status === 200 && secret.body.value === SECRET_VALUE && secret.body.contentType === 'text/plain'
      && secret.body.attributes.enabled === true, `Key Vault has ${JSON.stringify(secret)}`);
  }],
  ['Key vault: Delete, Yes soft-deletes it; Manage deleted vaults lists it; Recover brings it back in ARM', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { name: KV_RBAC, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete key vault' });
    await dialog.getByText('for 7 days').waitFor();
    await dialog.getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted key vault '${KV_RBAC}'.` }).waitFor();
    assert(await armStatus('GET', `${vaultId(KV_RBAC)}?api-version=${KV}`) === 404, 'ARM still has the vault');
    assert((await deletedVaults()).some((vault) => vault.name === KV_RBAC), 'ARM does not list the deleted vault');
    await page.getByRole('button', { name: 'Manage deleted vaults', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Manage deleted key vaults' });
    await pane.getByRole('checkbox', { name: KV_RBAC }).check();
    await page.screenshot({ path: join(artifacts, 'key-vault-deleted-vaults.png') });
    await pane.getByRole('button', { name: 'Recover', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Recovered '${KV_RBAC}'.` }).waitFor();
    await page.getByRole('link', { name: KV_RBAC, exact: true }).waitFor();
    const vault = await getVault(KV_RBAC);
    assert(vault.properties.softDeleteRetentionInDays === 7 && vault.properties.enableRbacAuthorization === true, `ARM has ${JSON.stringify(vault)}`);
    assert((await deletedVaults()).every((deleted) => deleted.name !== KV_RBAC), 'ARM still lists it as deleted');
  }],
  ['Key vault: Delete again, then Manage deleted vaults, Purge, Yes; ARM no longer has it and its name is free', async () => {
    await page.getByRole('link', { name: KV_RBAC, exact: true }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete key vault' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Deleted key vault '${KV_RBAC}'.` }).waitFor();
    await page.getByRole('button', { name: 'Manage deleted vaults', exact: true }).click();
    const pane = page.getByRole('dialog', { name: 'Manage deleted key vaults' });
    await pane.getByRole('checkbox', { name: KV_RBAC }).check();
    await pane.getByRole('button', { name: 'Purge', exact: true }).click();
    await page.getByRole('dialog', { name: 'Purge key vault' }).getByRole('button', { name: 'Yes', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Purged '${KV_RBAC}'.` }).waitFor();
    assert((await deletedVaults()).every((vault) => vault.name !== KV_RBAC), 'ARM still lists it as deleted');
    const check = await arm('POST', `/subscriptions/${SUB}/providers/Microsoft.KeyVault/checkNameAvailability?api-version=${KV}`,
      { name: KV_RBAC, type: 'Microsoft.KeyVault/vaults' });
    assert(check.nameAvailable === true, `checkNameAvailability ${JSON.stringify(check)}`);
  }],
  ['learner without a role sees ARM\'s AuthorizationFailed in the red banner', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(LEARNER);
    await page.goto(`${ARM}/portal/#/vm/${SUB}/${GROUP}/vm1/identity`);
    const banner = page.getByRole('alert');
    await banner.filter({ hasText: 'AuthorizationFailed' }).waitFor();
    const text = await banner.textContent();
    assert(text.includes('does not have authorization to perform action'), `banner: ${text}`);
    await page.screenshot({ path: join(artifacts, 'learner-authorization-failed.png') });
  }],
  ['learner: Access control (IAM) on the group shows AuthorizationFailed in the red banner', async () => {
    await page.goto(`${ARM}/portal/#/rg/${SUB}/${GROUP}/iam`);
    const banner = page.getByRole('alert').filter({ hasText: 'Microsoft.Authorization/roleAssignments/read' });
    await banner.waitFor();
    const text = await banner.textContent();
    assert(text.startsWith('AuthorizationFailed: '), `banner: ${text}`);
  }],
  ['learner: Token inspector, Get token shows AuthorizationFailed (runCommand) in the red banner', async () => {
    await page.goto(`${ARM}/portal/#/vm/${SUB}/${GROUP}/vm2/tokens`);
    await page.getByRole('button', { name: 'Get token', exact: true }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Microsoft.Compute/virtualMachines/runCommand/action' });
    await banner.waitFor();
    const text = await banner.textContent();
    assert(text.startsWith('AuthorizationFailed: '), `banner: ${text}`);
    await page.locator('#read-result').waitFor({ state: 'detached' });
  }],
];

let passed = 0;
let failed = 0;
for (const [name, step] of steps) {
  const started = Date.now();
  try {
    await step();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
    await page.screenshot({ path: join(artifacts, `failure-${failed}.png`) }).catch(() => {});
  }
}
await context.close();
rmSync(userDataDir, { recursive: true, force: true });
await fetch(`${ARM}${IDENTITY_ID}?api-version=2024-11-30`, {
  method: 'DELETE', headers: { authorization: `Bearer ${await operator()}` },
}).catch(() => {});
await fetch(`${ARM}${NEW_ID}?api-version=2024-11-30`, {
  method: 'DELETE', headers: { authorization: `Bearer ${await operator()}` },
}).catch(() => {});
await fetch(`${ARM}${GROUP_SCOPE}/providers/Microsoft.Authorization/roleAssignments/${VM2_READER}?api-version=2022-04-01`, {
  method: 'DELETE', headers: { authorization: `Bearer ${await operator()}` },
}).catch(() => {});
await fetch(`${ARM}${VM2_ID}?api-version=2024-11-01`, {
  method: 'PATCH', headers: { authorization: `Bearer ${await operator()}`, 'content-type': 'application/json' },
  body: JSON.stringify({ identity: { type: 'None' } }),
}).catch(() => {});
for (const path of [entra.groupId && `/groups/${entra.groupId}`, entra.app && `/applications/${entra.app.id}`,
  entra.apiAppId && `/applications/${entra.apiAppId}`, entra.userId && `/users/${entra.userId}`,
  entra.userId && `/directory/deletedItems/${entra.userId}`]) {
  if (path) await graphApi('DELETE', path).catch(() => {});
}
for (const [method, path] of [['DELETE', `${vaultId(KV_RACE, KV_OTHER_GROUP)}?api-version=${KV}`],
  ['POST', `/subscriptions/${SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/${KV_RACE}/purge?api-version=${KV}`],
  ['DELETE', `/subscriptions/${SUB}/resourcegroups/${KV_OTHER_GROUP}?api-version=2021-04-01`]]) {
  await fetch(`${ARM}${path}`, { method, headers: { authorization: `Bearer ${await operator()}` } }).catch(() => {});
}
console.log(`screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
