// One user-assigned managed identity's blades, as in the Azure portal: Overview, and under Settings
// "Federated credentials" (the list; "+ Add credential" with the Kubernetes, GitHub Actions and
// Other scenarios building the subject as Azure does; Delete with a Yes/No confirmation).
// Routes: #/identities/{sub}/{group}/{name}[/federated[/add]].

import { arm, list, IDENTITY, FEDERATED } from './arm.js';
import { el, show, banner, showError, confirmPane, field, dataTable, details, navigate } from './dom.js';

/** The audience Azure proposes for a federated credential (Entra's token exchange). */
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange';
/** The issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The "Federated credential scenario" choices, in the Azure portal's words. */
const SCENARIOS = [
  ['kubernetes', 'Kubernetes accessing Azure resources'],
  ['github', 'GitHub Actions deploying Azure resources'],
  ['other', 'Other'],
];

/** GitHub's "Entity type" choices: label, the label of the value's field (none for pull requests). */
const ENTITIES = [
  ['environment', 'Environment', 'GitHub environment name'],
  ['branch', 'Branch', 'GitHub branch name'],
  ['pull_request', 'Pull request', null],
  ['tag', 'Tag', 'GitHub tag name'],
];

/** The subject a Kubernetes service account's tokens carry. */
export function kubernetesSubject(namespace, serviceAccount) {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** The subject of a GitHub Actions job's token for `entity` (an ENTITIES key) and its value. */
export function githubSubject(organization, repository, entity, value) {
  const repo = `repo:${organization}/${repository}`;
  if (entity === 'environment') return `${repo}:environment:${value}`;
  if (entity === 'branch') return `${repo}:ref:refs/heads/${value}`;
  if (entity === 'tag') return `${repo}:ref:refs/tags/${value}`;
  return `${repo}:pull_request`;
}

function identityPath(subscription, group, name) {
  return `/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${encodeURIComponent(name)}`;
}

/** The fragment of an identity's blade (`blade` 'overview' or e.g. 'federated'). */
export function identityHash(subscription, group, name, blade = 'overview') {
  const base = `#/identities/${subscription}/${encodeURIComponent(group)}/${encodeURIComponent(name)}`;
  return blade === 'overview' ? base : `${base}/${blade}`;
}

function link(href, text, current) {
  const reload = () => { if (location.hash === href) window.dispatchEvent(new HashChangeEvent('hashchange')); };
  return el('a', { href, 'aria-current': current ? 'page' : undefined, onclick: reload }, text);
}

function menu(subscription, group, name, current) {
  show('menu', link('#/identities', 'Managed Identities'), el('div', { class: 'heading' }, name),
    link(identityHash(subscription, group, name), 'Overview', current === 'overview'),
    el('div', { class: 'heading' }, 'Settings'),
    link(identityHash(subscription, group, name, 'federated'), 'Federated credentials', current === 'federated'));
}

/** Renders the identity's blade for the fragment's parts after `identities`: sub, group, name, blade. */
export async function managedIdentityRoute([subscription, group, name, blade, action]) {
  const current = blade === 'federated' ? 'federated' : 'overview';
  menu(subscription, group, name, current);
  const path = identityPath(subscription, group, name);
  const identity = await arm('GET', `${path}?api-version=${IDENTITY}`);
  menu(subscription, group, identity.name, current);
  const context = { subscription, group, path, identity };
  if (current === 'overview') return overview(context);
  const credentials = await list(`${path}/federatedIdentityCredentials?api-version=${FEDERATED}`);
  if (action === 'add') return addForm(context, credentials);
  return credentialsBlade(context, credentials);
}

function overview({ subscription, group, identity }) {
  const properties = identity.properties || {};
  show('content', el('h1', {}, identity.name), el('p', { class: 'subtitle' }, 'Managed Identity'),
    el('h2', {}, 'Essentials'),
    details([['Resource group', group], ['Location', identity.location], ['Subscription ID', subscription],
      ['Client ID', el('code', { 'data-testid': 'client-id' }, properties.clientId)],
      ['Object (principal) ID', el('code', { 'data-testid': 'principal-id' }, properties.principalId)],
      ['Tenant ID', properties.tenantId]]));
}

function credentialsBlade({ subscription, group, identity }, credentials) {
  const rows = credentials.map((credential) => {
    const properties = credential.properties || {};
    const remove = el('button', { type: 'button', 'aria-label': `Delete ${credential.name}` }, 'Delete');
    remove.addEventListener('click', async () => {
      if (!(await confirmPane('Delete federated credential',
        `Are you sure you want to delete the federated credential '${credential.name}'? Workloads using it can no longer get tokens for '${identity.name}'.`))) return;
      try {
        await arm('DELETE', `${credential.id}?api-version=${FEDERATED}`);
        navigate(location.hash, `Deleted federated credential '${credential.name}'.`);
      } catch (error) {
        showError(error);
      }
    });
    const subject = properties.subject
      || (properties.claimsMatchingExpression ? `Claims matching expression: ${properties.claimsMatchingExpression.value}` : '');
    return el('tr', {}, el('td', {}, credential.name), el('td', {}, properties.issuer),
      el('td', {}, subject), el('td', {}, remove));
  });
  const add = el('button', { type: 'button', onclick: () => navigate(identityHash(subscription, group, identity.name, 'federated/add')) }, '+ Add credential');
  show('content', el('h1', {}, `${identity.name} | Federated credentials`), el('p', { class: 'subtitle' }, 'Managed Identity'),
    el('p', { class: 'muted' }, 'Federated credentials allow this managed identity to be used by workloads outside Azure — a Kubernetes pod, a GitHub Actions job, any OpenID Connect issuer — that exchange their own token for an access token of this identity, with no secret to manage. At most 20 per identity.'),
    el('div', { class: 'toolbar' }, add, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    dataTable(['Name', 'Issuer', 'Subject identifier', ''], rows, 'No federated credentials configured for this managed identity.'));
}

function text(value = '', readonly = false) {
  return el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', value, readonly });
}

/** The "Add Federated Credential" page: scenario, its connection fields, then credential details. */
function addForm({ subscription, group, path, identity }, credentials) {
  const scenario = el('select', {}, el('option', { value: '' }, 'Select scenario'),
    SCENARIOS.map(([value, label]) => el('option', { value }, label)));
  // Kubernetes accessing Azure resources.
  const clusterIssuer = text();
  const namespace = text();
  const serviceAccount = text();
  const kubernetesSubjectField = text('', true);
  // GitHub Actions deploying Azure resources.
  const githubIssuer = text(GITHUB_ISSUER, true);
  const organization = text();
  const repository = text();
  const entity = el('select', {}, ENTITIES.map(([value, label]) => el('option', { value }, label)));
  const entityValue = text();
  const entityValueLabel = el('label', {}, '');
  const entityValueField = el('div', { class: 'field' }, entityValueLabel, ' ', entityValue);
  const githubSubjectField = text('', true);
  // Other.
  const otherIssuer = text();
  const otherSubject = text();
  // Credential details.
  const name = text();
  const audience = text(DEFAULT_AUDIENCE);

  entityValue.id = 'federated-entity-value';
  entityValueLabel.setAttribute('for', entityValue.id);
  // Only the chosen scenario's fields are on the page (each scenario has its "Subject identifier").
  const sections = {
    kubernetes: el('section', {}, el('h2', {}, 'Connect your Kubernetes cluster'),
      field('Cluster issuer URL', clusterIssuer), field('Namespace', namespace),
      field('Service account name', serviceAccount), field('Subject identifier', kubernetesSubjectField)),
    github: el('section', {}, el('h2', {}, 'Connect your GitHub account'),
      field('Issuer', githubIssuer), field('Organization', organization), field('Repository', repository),
      field('Entity type', entity), entityValueField, field('Subject identifier', githubSubjectField)),
    other: el('section', {}, el('h2', {}, 'Connect your account'),
      field('Issuer URL', otherIssuer), field('Subject identifier', otherSubject)),
  };
  const credentialDetails = el('section', {}, el('h2', {}, 'Credential details'),
    field('Name', name, el('div', { class: 'muted' }, '3 to 120 letters, digits, hyphens and underscores, starting with a letter or digit; it cannot be changed later.')),
    field('Audience', audience, el('div', { class: 'muted' }, `The audience that must appear in the external token: ${DEFAULT_AUDIENCE} unless your issuer uses another.`)));

  const sync = () => {
    const chosen = sections[scenario.value];
    if (slot.firstChild !== chosen) slot.replaceChildren(...(chosen ? [chosen, credentialDetails] : []));
    const [, , valueLabel] = ENTITIES.find(([value]) => value === entity.value);
    entityValueField.hidden = !valueLabel;
    entityValueLabel.textContent = valueLabel || '';
    kubernetesSubjectField.value = kubernetesSubject(namespace.value.trim(), serviceAccount.value.trim());
    githubSubjectField.value = githubSubject(organization.value.trim(), repository.value.trim(), entity.value, entityValue.value.trim());
    add.disabled = !scenario.value;
  };

  /** The credential's issuer and subject, or the label of the first empty required field. */
  const connection = () => {
    const required = (pairs) => pairs.find(([, input]) => !input.value.trim());
    let missing;
    if (scenario.value === 'kubernetes') {
      missing = required([['Cluster issuer URL', clusterIssuer], ['Namespace', namespace], ['Service account name', serviceAccount]]);
      return missing ? { missing: missing[0] } : { issuer: clusterIssuer.value.trim(), subject: kubernetesSubjectField.value };
    }
    if (scenario.value === 'github') {
      const [, , valueLabel] = ENTITIES.find(([value]) => value === entity.value);
      missing = required([['Organization', organization], ['Repository', repository], ...(valueLabel ? [[valueLabel, entityValue]] : [])]);
      return missing ? { missing: missing[0] } : { issuer: GITHUB_ISSUER, subject: githubSubjectField.value };
    }
    missing = required([['Issuer URL', otherIssuer], ['Subject identifier', otherSubject]]);
    return missing ? { missing: missing[0] } : { issuer: otherIssuer.value.trim(), subject: otherSubject.value.trim() };
  };

  const slot = el('div', {});
  const add = el('button', { type: 'button', class: 'primary', disabled: true }, 'Add');
  add.addEventListener('click', async () => {
    const found = connection();
    const credentialName = name.value.trim();
    const missing = found.missing || (!credentialName && 'Name') || (!audience.value.trim() && 'Audience');
    if (missing) { banner(`The value must not be empty: ${missing}.`); return; }
    // "+ Add" never replaces: the API's PUT would overwrite a credential of the same name.
    if (credentials.some((credential) => credential.name.toLowerCase() === credentialName.toLowerCase())) {
      banner(`A federated credential named '${credentialName}' already exists on this managed identity.`);
      return;
    }
    add.disabled = true;
    try {
      await arm('PUT', `${path}/federatedIdentityCredentials/${encodeURIComponent(credentialName)}?api-version=${FEDERATED}`,
        { properties: { issuer: found.issuer, subject: found.subject, audiences: [audience.value.trim()] } });
      navigate(identityHash(subscription, group, identity.name, 'federated'), `Added federated credential '${credentialName}'.`);
    } catch (error) {
      add.disabled = false;
      showError(error);
    }
  });
  for (const control of [scenario, entity]) control.addEventListener('change', sync);
  for (const input of [namespace, serviceAccount, organization, repository, entityValue]) input.addEventListener('input', sync);
  sync();
  show('content', el('div', { class: 'form-page' }, el('h1', {}, 'Add Federated Credential'), el('p', { class: 'subtitle' }, identity.name),
    el('p', { class: 'muted' }, 'Connect a workload outside Azure to this managed identity: tokens from the issuer below with this subject (and audience) can be exchanged for tokens of this identity.'),
    field('Federated credential scenario', scenario),
    slot,
    el('div', { class: 'toolbar' }, add,
      el('button', { type: 'button', onclick: () => navigate(identityHash(subscription, group, identity.name, 'federated')) }, 'Cancel'))));
}
