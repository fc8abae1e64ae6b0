// A key vault's Access policies (the legacy permission model), as in the Azure portal: the list
// (Application / User / Group, Email, Key / Secret / Certificate permissions), "+ Create" (tabs
// Permissions — the checklists under Azure's headings, "Configure from a template" — Principal and
// Review + create) and Delete with a Yes/No confirmation. Every change is a PUT of
// `{vault}/accessPolicies/{add|remove}`. On a vault whose permission model is Azure RBAC the blade
// shows Azure's message instead, with a link to Access configuration.
// See learn.microsoft.com "Assign a Key Vault access policy (legacy)".

import { arm, KEY_VAULT } from './arm.js';
import { el, show, banner, showError, confirmPane, dataTable, navigate, wizardTabs, details } from './dom.js';
import { directoryMembers, directoryObjects, managedIdentities, MEMBER_KINDS } from './iam.js';

/**
 * The permission checklists: kind (the `permissions` key), title, and Azure's groups of
 * [API value, label]. The values are the spec's enum spellings.
 */
export const PERMISSIONS = [
  ['keys', 'Key permissions', [
    ['Key Management Operations', [['get', 'Get'], ['list', 'List'], ['update', 'Update'], ['create', 'Create'], ['import', 'Import'],
      ['delete', 'Delete'], ['recover', 'Recover'], ['backup', 'Backup'], ['restore', 'Restore']]],
    ['Cryptographic Operations', [['decrypt', 'Decrypt'], ['encrypt', 'Encrypt'], ['unwrapKey', 'Unwrap Key'], ['wrapKey', 'Wrap Key'],
      ['verify', 'Verify'], ['sign', 'Sign']]],
    ['Privileged Key Operations', [['purge', 'Purge'], ['release', 'Release']]],
    ['Rotation Policy Operations', [['rotate', 'Rotate'], ['getrotationpolicy', 'Get Rotation Policy'], ['setrotationpolicy', 'Set Rotation Policy']]],
  ]],
  ['secrets', 'Secret permissions', [
    ['Secret Management Operations', [['get', 'Get'], ['list', 'List'], ['set', 'Set'], ['delete', 'Delete'], ['recover', 'Recover'],
      ['backup', 'Backup'], ['restore', 'Restore']]],
    ['Privileged Secret Operations', [['purge', 'Purge']]],
  ]],
  ['certificates', 'Certificate permissions', [
    ['Certificate Management Operations', [['get', 'Get'], ['list', 'List'], ['update', 'Update'], ['create', 'Create'], ['import', 'Import'],
      ['delete', 'Delete'], ['recover', 'Recover'], ['backup', 'Backup'], ['restore', 'Restore'], ['managecontacts', 'Manage Contacts'],
      ['manageissuers', 'Manage Certificate Authorities'], ['getissuers', 'Get Certificate Authorities'],
      ['listissuers', 'List Certificate Authorities'], ['setissuers', 'Set Certificate Authorities'],
      ['deleteissuers', 'Delete Certificate Authorities']]],
    ['Privileged Certificate Operations', [['purge', 'Purge']]],
  ]],
];

const KEY_MANAGEMENT = ['get', 'list', 'update', 'create', 'import', 'delete', 'recover', 'backup', 'restore',
  'getrotationpolicy', 'setrotationpolicy', 'rotate'];
const SECRET_MANAGEMENT = ['get', 'list', 'set', 'delete', 'recover', 'backup', 'restore'];
const CERTIFICATE_MANAGEMENT = ['get', 'list', 'update', 'create', 'import', 'delete', 'recover', 'backup', 'restore',
  'managecontacts', 'manageissuers', 'getissuers', 'listissuers', 'setissuers', 'deleteissuers'];

/** "Configure from a template": Azure's templates (the list of "Migrate to Azure RBAC") and their permissions. */
export const TEMPLATES = [
  ['Key, Secret, & Certificate Management', { keys: KEY_MANAGEMENT, secrets: SECRET_MANAGEMENT, certificates: CERTIFICATE_MANAGEMENT }],
  ['Key & Secret Management', { keys: KEY_MANAGEMENT, secrets: SECRET_MANAGEMENT }],
  ['Secret & Certificate Management', { secrets: SECRET_MANAGEMENT, certificates: CERTIFICATE_MANAGEMENT }],
  ['Key Management', { keys: KEY_MANAGEMENT }],
  ['Secret Management', { secrets: SECRET_MANAGEMENT }],
  ['Certificate Management', { certificates: CERTIFICATE_MANAGEMENT }],
  ['SQL Server Connector', { keys: ['get', 'list', 'wrapKey', 'unwrapKey'] }],
  ['Azure Data Lake Storage or Azure Storage', { keys: ['get', 'list', 'unwrapKey'] }],
  ['Azure Backup', { keys: ['get', 'list', 'backup'], secrets: ['get', 'list', 'backup'] }],
  ['Exchange Online Customer Key', { keys: ['get', 'list', 'wrapKey', 'unwrapKey'] }],
  ['SharePoint Online Customer Key', { keys: ['get', 'list', 'wrapKey', 'unwrapKey'] }],
  ['Azure Information BYOK', { keys: ['get', 'decrypt', 'sign'] }],
];

/** The policy the Azure portal proposes for the user creating a vault with access policies. */
export function creatorPolicy(tenantId, objectId) {
  return { tenantId, objectId, permissions: { keys: KEY_MANAGEMENT, secrets: SECRET_MANAGEMENT, certificates: CERTIFICATE_MANAGEMENT } };
}

/** A permission list as the list shows it: "N selected" (Azure's words), or nothing. */
function summary(values) {
  return values && values.length ? `${values.length} selected` : '';
}

function labelOf(kind, value) {
  const [, , groups] = PERMISSIONS.find(([k]) => k === kind);
  const found = groups.flatMap(([, items]) => items).find(([v]) => v.toLowerCase() === value.toLowerCase());
  return found ? found[1] : value;
}

/** The blade: the message on an RBAC vault, else the policies. `hash` is the vault's fragment. */
export async function accessPoliciesBlade(vault, hash) {
  const properties = vault.properties;
  const title = [el('h1', {}, `${vault.name} | Access policies`), el('p', { class: 'subtitle' }, 'Key vault')];
  if (properties.enableRbacAuthorization) {
    return show('content', title, el('p', { class: 'notice', 'data-testid': 'rbac-notice' },
      'Access policies are not available because this key vault uses the Azure role-based access control permission model. ',
      'Grant access with role assignments in Access control (IAM), or switch the permission model to Vault access policy in ',
      el('a', { href: `${hash}/access-configuration` }, 'Access configuration'), '.'));
  }
  const policies = properties.accessPolicies || [];
  const objects = await directoryObjects(policies.map((policy) => policy.objectId)).catch(() => null);
  let chosen = null;
  const remove = el('button', { type: 'button', disabled: true }, 'Delete');
  const rows = policies.map((policy, index) => {
    const object = objects && objects.get(policy.objectId);
    const name = object ? object.displayName || object.appId : objects ? 'Identity not found' : policy.objectId;
    const box = el('input', { type: 'radio', name: 'policy', 'aria-label': `${name} ${policy.objectId}` });
    box.addEventListener('change', () => { chosen = index; remove.disabled = false; });
    const permissions = policy.permissions || {};
    return el('tr', {}, el('td', {}, box),
      el('td', {}, el('span', {}, name), el('div', { class: 'muted' }, policy.objectId)),
      el('td', {}, object && object.userPrincipalName || ''),
      el('td', {}, object ? typeOf(object) : ''),
      ...['keys', 'secrets', 'certificates'].map((kind) => el('td', { title: (permissions[kind] || []).map((v) => labelOf(kind, v)).join(', ') },
        summary(permissions[kind]))));
  });
  remove.addEventListener('click', async () => {
    const policy = policies[chosen];
    const object = objects && objects.get(policy.objectId);
    const name = object ? object.displayName : policy.objectId;
    if (!(await confirmPane('Delete access policy',
      `Are you sure you want to delete the access policy of '${name}'? It loses the access to this key vault's keys, secrets and certificates that the policy grants.`))) return;
    try {
      await arm('PUT', `${vault.id}/accessPolicies/remove?api-version=${KEY_VAULT}`, { properties: { accessPolicies: [policy] } });
      navigate(location.hash, `Deleted the access policy of '${name}'.`);
    } catch (error) {
      showError(error);
    }
  });
  show('content', title,
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: () => navigate(`${hash}/access-policies/create`) }, '+ Create'), remove,
      el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    dataTable(['', 'Name', 'Email', 'Type', 'Key permissions', 'Secret permissions', 'Certificate permissions'], rows,
      'No access policies. Nobody can use this key vault\'s keys, secrets and certificates until a policy grants it.'));
}

function typeOf(object) {
  const type = (object['@odata.type'] || '').replace('#microsoft.graph.', '');
  return { user: 'User', group: 'Group', servicePrincipal: 'Application' }[type] || type;
}

/** The principals a policy can name: the directory's users, groups and service principals, and the subscription's managed identities. */
async function principals(subscription) {
  const members = await directoryMembers();
  const identities = await managedIdentities(subscription).catch(() => []);
  return [...members.map((member) => ({ ...member, kind: MEMBER_KINDS[member.principalType] })),
    ...identities.map((identity) => ({ id: identity.principalId, name: identity.name, detail: identity.kind, kind: 'Managed identity' }))];
}

/** "Create an access policy": Permissions, Principal, Review + create. */
export async function createPolicyForm(vault, hash) {
  const subscription = vault.id.split('/')[2];
  const boxes = {};
  const columns = PERMISSIONS.map(([kind, title, groups]) => {
    boxes[kind] = [];
    const all = el('input', { type: 'checkbox' });
    const items = groups.map(([heading, entries]) => el('div', { class: 'permission-group' }, el('div', { class: 'heading' }, heading),
      entries.map(([value, label]) => {
        const box = el('input', { type: 'checkbox', value });
        boxes[kind].push(box);
        return el('label', { class: 'member' }, box, ` ${label}`);
      })));
    all.addEventListener('change', () => boxes[kind].forEach((box) => { box.checked = all.checked; }));
    return el('fieldset', { class: 'permissions', 'aria-label': title }, el('legend', {}, title),
      el('label', { class: 'member' }, all, ' Select all'), items);
  });
  const template = el('select', {}, el('option', { value: '' }, 'Select a template'),
    TEMPLATES.map(([name], index) => el('option', { value: String(index) }, name)));
  template.id = 'policy-template';
  template.addEventListener('change', () => {
    if (template.value === '') return;
    const [, chosen] = TEMPLATES[Number(template.value)];
    for (const [kind, list] of Object.entries(boxes)) for (const box of list) box.checked = (chosen[kind] || []).includes(box.value);
  });
  const selected = () => Object.fromEntries(Object.entries(boxes).map(([kind, list]) => [kind, list.filter((box) => box.checked).map((box) => box.value)]));

  const principalList = el('fieldset', { class: 'field members' }, el('legend', {}, 'Select a principal'), el('p', { class: 'muted' }, 'Loading the directory…'));
  const objectId = el('input', { type: 'text', autocomplete: 'off', placeholder: '00000000-0000-0000-0000-000000000000', 'aria-label': 'Object ID' });
  const fallback = el('div', { hidden: true }, el('label', { for: 'policy-object-id' }, 'Object ID'), ' ', objectId);
  objectId.id = 'policy-object-id';
  const found = { list: [], fallback: false };
  principals(subscription).then((list) => {
    found.list = list;
    principalList.replaceChildren(el('legend', {}, 'Select a principal'), ...(list.length === 0 ? [el('p', { class: 'muted' }, 'The directory has no principals.')]
      : list.map((principal, index) => el('label', { class: 'member' }, el('input', { type: 'radio', name: 'principal', value: String(index) }),
        ` ${principal.name} `, el('span', { class: 'muted' }, `${principal.detail} (${principal.kind})`)))));
  }).catch((error) => {
    found.fallback = true;
    principalList.hidden = true;
    fallback.hidden = false;
    banner(`Could not list the directory's principals; enter an object id instead. ${error.code ? `${error.code}: ` : ''}${error.message}`);
  });
  const principal = () => {
    if (found.fallback) return objectId.value.trim() ? { id: objectId.value.trim(), name: objectId.value.trim() } : null;
    const checked = principalList.querySelector('input[name="principal"]:checked');
    return checked ? found.list[Number(checked.value)] : null;
  };

  const review = el('div', {});
  const create = el('button', { type: 'button', class: 'primary' }, 'Create');
  const panels = {
    Permissions: el('div', {}, el('div', { class: 'field' }, el('label', { for: template.id }, 'Configure from a template'), ' ', template),
      el('div', { class: 'permission-columns' }, columns)),
    Principal: el('div', {}, el('p', { class: 'muted' }, 'Only one principal can be assigned per access policy.'), principalList, fallback),
    'Review + create': review,
  };
  const names = Object.keys(panels);
  const tabs = wizardTabs(names, (name) => go(name));
  const go = (name) => {
    if (name === 'Review + create') {
      const who = principal();
      if (!who) { banner('Select a principal.'); return go('Principal'); }
      const permissions = selected();
      if (Object.values(permissions).every((list) => list.length === 0)) { banner('Select at least one permission.'); return go('Permissions'); }
      banner('');
      review.replaceChildren(details([['Principal', `${who.name} (${who.id})`],
        ...PERMISSIONS.map(([kind, title]) => [title, permissions[kind].map((value) => labelOf(kind, value)).join(', ')])]));
    }
    tabs.mark(name);
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
    create.hidden = name !== 'Review + create';
    next.hidden = !create.hidden;
  };
  create.addEventListener('click', async () => {
    const who = principal();
    const permissions = selected();
    create.disabled = true;
    try {
      await arm('PUT', `${vault.id}/accessPolicies/add?api-version=${KEY_VAULT}`, {
        properties: { accessPolicies: [{ tenantId: vault.properties.tenantId, objectId: who.id, permissions }] },
      });
      navigate(`${hash}/access-policies`, `Created the access policy of '${who.name}'.`);
    } catch (error) {
      create.disabled = false;
      showError(error);
    }
  });
  const current = () => names.find((name) => !panels[name].hidden);
  const step = (delta) => go(names[Math.max(0, Math.min(names.indexOf(current()) + delta, names.length - 1))]);
  const next = el('button', { type: 'button', class: 'primary', onclick: () => step(1) }, 'Next');
  show('content', el('div', { class: 'form-page' }, el('h1', {}, 'Create an access policy'), el('p', { class: 'subtitle' }, vault.name),
    tabs.node, Object.values(panels),
    el('div', { class: 'toolbar' }, create, next, el('button', { type: 'button', onclick: () => step(-1) }, 'Previous'),
      el('button', { type: 'button', onclick: () => navigate(`${hash}/access-policies`) }, 'Cancel'))));
  go('Permissions');
}
