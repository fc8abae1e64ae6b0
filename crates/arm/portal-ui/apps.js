// Microsoft Entra ID → App registrations: the list, + New registration (Register an application;
// its service principal is created with it, as the Azure portal does), and an application's
// Overview (Essentials, Delete) and Certificates & secrets (client secrets: + New client secret,
// the value shown once, Delete; certificates listed).

import { el, show, banner, showError, confirmPane, field, openPane, dataTable, details, navigate } from './dom.js';
import { graph, graphList, portalConfig, shortDate } from './graph.js';
import { entraMenu, objectMenu } from './entra.js';

const AUDIENCES = [
  ['AzureADMyOrg', 'Accounts in this organizational directory only (Single tenant)'],
  ['AzureADMultipleOrgs', 'Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant)'],
  ['AzureADandPersonalMicrosoftAccount', 'Accounts in any organizational directory and personal Microsoft accounts'],
];

const EXPIRIES = [
  [180, 'Recommended: 180 days (6 months)'], [90, '90 days (3 months)'], [365, '365 days (12 months)'],
  [545, '545 days (18 months)'], [730, '730 days (24 months)'],
];

/** Secret values Graph just returned, by keyId, until the next render of the blade (Graph never
 * returns them again; the Azure portal shows them only right after creation, too). */
const justCreated = new Map();

function audienceLabel(value) {
  const known = AUDIENCES.find(([key]) => key === value);
  return known ? known[1] : value;
}

/** The App registrations list ("All applications"). */
export async function appsBlade() {
  entraMenu('apps');
  const apps = await graphList('/applications?$select=id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials&$top=100');
  apps.sort((a, b) => a.displayName.localeCompare(b.displayName));
  const now = Date.now();
  const rows = apps.map((app) => {
    const credentials = [...(app.passwordCredentials || []), ...(app.keyCredentials || [])];
    const status = credentials.length === 0 ? '—' : credentials.some((c) => Date.parse(c.endDateTime) > now) ? 'Current' : 'Expired';
    return el('tr', {}, el('td', {}, el('a', { href: `#/entra/apps/${app.id}` }, app.displayName)),
      el('td', {}, app.appId), el('td', {}, shortDate(app.createdDateTime)), el('td', {}, status));
  });
  show('content', el('h1', {}, 'App registrations'), el('p', { class: 'subtitle' }, 'All applications'),
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: () => navigate('#/entra/apps/new') }, '+ New registration'),
      el('button', { type: 'button', onclick: () => navigate('#/entra/apps') }, 'Refresh')),
    dataTable(['Display name', 'Application (client) ID', 'Created on', 'Certificates & secrets'], rows, 'No applications found.'));
}

/** "Register an application": name and supported account types; Register creates the app and its service principal. */
export async function newRegistrationForm() {
  entraMenu('apps');
  const name = el('input', { type: 'text', autocomplete: 'off' });
  const radios = AUDIENCES.map(([value], index) => el('input', { type: 'radio', name: 'audience', value, checked: index === 0 }));
  const register = el('button', { type: 'button', class: 'primary' }, 'Register');
  register.addEventListener('click', async () => {
    const displayName = name.value.trim();
    if (!displayName) return banner('The value must not be empty: Name.');
    register.disabled = true;
    let app;
    try {
      app = await graph('POST', '/applications', { displayName, signInAudience: radios.find((r) => r.checked).value });
    } catch (error) {
      register.disabled = false;
      return showError(error);
    }
    try {
      await graph('POST', '/servicePrincipals', { appId: app.appId });
    } catch (error) {
      return navigate(`#/entra/apps/${app.id}`, `Created the application, but not its service principal: ${error.code}: ${error.message}`, 'error');
    }
    navigate(`#/entra/apps/${app.id}`, `Successfully created application '${displayName}'.`);
  });
  show('content', el('h1', {}, 'Register an application'), el('p', { class: 'subtitle' }, 'App registrations'),
    field('Name', name, el('div', { class: 'muted' }, 'The user-facing display name for this application (this can be changed later).')),
    el('fieldset', { class: 'field' }, el('legend', {}, 'Supported account types'),
      AUDIENCES.map(([, label], index) => el('label', { class: 'member' }, radios[index], ` ${label}`))),
    el('p', { class: 'muted' }, 'Registering the application also creates its service principal (its enterprise application) in this directory.'),
    el('div', { class: 'toolbar' }, register, el('button', { type: 'button', onclick: () => navigate('#/entra/apps') }, 'Cancel')));
}

/** An application's blades: 'overview' or 'credentials'. */
export async function appBlade(id, blade) {
  const app = await graph('GET', `/applications/${encodeURIComponent(id)}`);
  objectMenu('#/entra/apps', 'App registrations', app.displayName, `#/entra/apps/${app.id}`,
    [['overview', 'Overview'], ['credentials', 'Certificates & secrets']], blade);
  if (blade === 'credentials') {
    const values = new Map(justCreated);
    justCreated.clear();
    return credentialsBlade(app, values);
  }
  const config = await portalConfig();
  const remove = el('button', { type: 'button' }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!(await confirmPane('Delete app registration', `Do you want to delete '${app.displayName}'? Its service principal and credentials are deleted with it; clients using its application (client) ID can no longer sign in.`))) return;
    try {
      await graph('DELETE', `/applications/${app.id}`);
      navigate('#/entra/apps', `Deleted application '${app.displayName}'.`);
    } catch (error) {
      showError(error);
    }
  });
  const secrets = (app.passwordCredentials || []).length;
  const certificates = (app.keyCredentials || []).length;
  show('content', el('h1', {}, app.displayName), el('p', { class: 'subtitle' }, 'App registration'),
    el('div', { class: 'toolbar' }, remove, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    el('h2', {}, 'Essentials'),
    details([['Display name', app.displayName],
      ['Application (client) ID', el('code', { 'data-testid': 'client-id' }, app.appId)],
      ['Object ID', el('code', { 'data-testid': 'object-id' }, app.id)],
      ['Directory (tenant) ID', el('code', { 'data-testid': 'tenant-id' }, config.tenantId)],
      ['Supported account types', audienceLabel(app.signInAudience)],
      ['Client credentials', el('a', { href: `#/entra/apps/${app.id}/credentials` },
        `${certificates} certificate${certificates === 1 ? '' : 's'}, ${secrets} secret${secrets === 1 ? '' : 's'}`)],
      ['Application ID URI', (app.identifierUris || []).join(', ')]]));
}

function credentialsBlade(app, values, tab = 'secrets') {
  const secrets = app.passwordCredentials || [];
  const certificates = app.keyCredentials || [];
  const select = (name) => { banner(''); credentialsBlade(app, values, name); };
  const tabs = el('div', { class: 'tabs', role: 'tablist' },
    el('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === 'certificates'), onclick: () => select('certificates') }, `Certificates (${certificates.length})`),
    el('button', { type: 'button', role: 'tab', 'aria-selected': String(tab === 'secrets'), onclick: () => select('secrets') }, `Client secrets (${secrets.length})`));
  show('content', el('h1', {}, `${app.displayName} | Certificates & secrets`), el('p', { class: 'subtitle' }, 'App registration'),
    el('p', { class: 'muted' }, 'Credentials enable confidential applications to identify themselves to the authentication service when receiving tokens. For a higher level of assurance, we recommend using a certificate (instead of a client secret) as a credential.'),
    tabs, el('div', { role: 'tabpanel' }, tab === 'secrets' ? secretsTab(app, secrets, values) : certificatesTab(certificates)));
}

function secretsTab(app, secrets, values) {
  const rows = secrets.map((secret) => {
    const value = values.get(secret.keyId);
    const remove = el('button', { type: 'button', 'aria-label': `Delete ${secret.displayName || secret.keyId}` }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!(await confirmPane('Delete client secret', `Are you sure you want to delete the client secret '${secret.displayName || secret.keyId}'? Applications using it can no longer sign in with it.`))) return;
      try {
        await graph('POST', `/applications/${app.id}/removePassword`, { keyId: secret.keyId });
        navigate(location.hash, `Deleted client secret '${secret.displayName || secret.keyId}'.`);
      } catch (error) {
        showError(error);
      }
    });
    const valueCell = value
      ? [el('code', { 'data-testid': 'secret-value' }, value), ' ',
        el('button', { type: 'button', onclick: () => navigator.clipboard.writeText(value).catch(() => {}) }, 'Copy to clipboard')]
      : `${secret.hint || ''}${'*'.repeat(12)}`;
    return el('tr', {}, el('td', {}, secret.displayName || ''), el('td', {}, shortDate(secret.endDateTime)),
      el('td', {}, valueCell), el('td', {}, secret.keyId), el('td', {}, remove));
  });
  return [
    el('p', { class: 'muted' }, 'A secret string that the application uses to prove its identity when requesting a token. Also can be referred to as application password.'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', onclick: () => newSecretPane(app) }, '+ New client secret')),
    el('p', { class: 'notice' }, 'Client secret values cannot be viewed, except for immediately after creation. Be sure to save the secret when created before leaving the page.'),
    dataTable(['Description', 'Expires', 'Value', 'Secret ID', ''], rows, 'No client secrets have been created for this application.'),
  ];
}

function certificatesTab(certificates) {
  const rows = certificates.map((certificate) => el('tr', {}, el('td', {}, certificate.customKeyIdentifier || ''),
    el('td', {}, certificate.displayName || ''), el('td', {}, shortDate(certificate.startDateTime)),
    el('td', {}, shortDate(certificate.endDateTime)), el('td', {}, certificate.keyId)));
  return [
    el('p', { class: 'muted' }, 'Certificates can be used as secrets to prove the application\'s identity when requesting a token. Also can be referred to as public keys. Add them with az ad app credential reset --cert, or Graph\'s keyCredentials.'),
    dataTable(['Thumbprint', 'Description', 'Start date', 'Expires', 'Certificate ID'], rows, 'No certificates have been added for this application.'),
  ];
}

/** The "Add a client secret" pane: Description and Expires; Add calls addPassword. */
function newSecretPane(app) {
  const description = el('input', { type: 'text', autocomplete: 'off' });
  const expires = el('select', {}, EXPIRIES.map(([days, label]) => el('option', { value: String(days) }, label)));
  const add = el('button', { type: 'button', class: 'primary' }, 'Add');
  const close = openPane('Add a client secret', field('Description', description), field('Expires', expires),
    el('div', { class: 'actions' }, add, el('button', { type: 'button', onclick: () => close() }, 'Cancel')));
  add.addEventListener('click', async () => {
    close();
    const end = new Date(Date.now() + Number(expires.value) * 86400000).toISOString();
    try {
      const created = await graph('POST', `/applications/${app.id}/addPassword`, {
        passwordCredential: { displayName: description.value.trim() || null, endDateTime: end },
      });
      justCreated.set(created.keyId, created.secretText);
      navigate(location.hash, `Added client secret '${created.displayName || created.keyId}'. Copy its value now: it is not shown again.`);
    } catch (error) {
      showError(error);
    }
  });
}
