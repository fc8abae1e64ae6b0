// Microsoft Entra ID → Users: the list, + New user (Create new user, Review + create), and a user's
// Overview with Reset password (a temporary password, shown once) and Delete, as in the Azure portal.

import { el, show, banner, showError, confirmPane, field, openPane, dataTable, details, navigate } from './dom.js';
import { graph, graphList, shortDate } from './graph.js';
import { entraMenu } from './entra.js';

const USER_FIELDS = 'id,displayName,userPrincipalName,userType,accountEnabled,createdDateTime,mailNickname';

/** A random password meeting Entra's complexity rules (upper, lower, digits, a symbol; 16 characters). */
export function temporaryPassword() {
  const pick = (set, count) => Array.from(crypto.getRandomValues(new Uint32Array(count)), (n) => set[n % set.length]).join('');
  return pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 2) + pick('abcdefghijkmnopqrstuvwxyz', 8) + pick('23456789', 5) + pick('!#%+-=?@', 1);
}

/** The Users list. */
export async function usersBlade() {
  entraMenu('users');
  const users = await graphList(`/users?$select=${USER_FIELDS}&$top=100`);
  users.sort((a, b) => (a.displayName || '').localeCompare(b.displayName || ''));
  const rows = users.map((user) => el('tr', {},
    el('td', {}, el('a', { href: `#/entra/users/${user.id}` }, user.displayName || user.userPrincipalName)),
    el('td', {}, user.userPrincipalName), el('td', {}, user.userType || 'Member'),
    el('td', {}, user.accountEnabled === false ? 'No' : 'Yes'), el('td', {}, user.id)));
  show('content', el('h1', {}, 'Users'), el('p', { class: 'subtitle' }, 'Microsoft Entra ID'),
    el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: () => navigate('#/entra/users/new') }, '+ New user'),
      el('button', { type: 'button', onclick: () => navigate('#/entra/users') }, 'Refresh')),
    dataTable(['Display name', 'User principal name', 'User type', 'Account enabled', 'Object ID'], rows, 'No users found.'));
}

/** The "Create new user" form (Basics), then its review. */
export async function newUserForm() {
  entraMenu('users');
  const organization = ((await graph('GET', '/organization')).value || [])[0] || {};
  const domains = (organization.verifiedDomains || []).map((domain) => domain.name);
  const name = el('input', { type: 'text', autocomplete: 'off' });
  const domain = el('select', { 'aria-label': 'Domain' }, domains.map((d) => el('option', { value: d }, d)));
  const displayName = el('input', { type: 'text', autocomplete: 'off' });
  const generated = temporaryPassword();
  const auto = el('input', { type: 'radio', name: 'password-choice', checked: true });
  const mine = el('input', { type: 'radio', name: 'password-choice' });
  const password = el('input', { type: 'text', autocomplete: 'off', readonly: true, value: generated });
  const choose = () => {
    password.readOnly = auto.checked;
    password.value = auto.checked ? generated : '';
  };
  auto.addEventListener('change', choose);
  mine.addEventListener('change', choose);
  const enabled = el('input', { type: 'checkbox', checked: true });
  const review = el('button', { type: 'button', class: 'primary' }, 'Review + create');
  review.addEventListener('click', () => {
    const user = {
      accountEnabled: enabled.checked,
      displayName: displayName.value.trim(),
      // The portal derives the mail nickname from the user principal name, as Azure's does by default.
      mailNickname: name.value.trim(),
      userPrincipalName: `${name.value.trim()}@${domain.value}`,
      passwordProfile: { forceChangePasswordNextSignIn: true, password: password.value },
    };
    if (!name.value.trim()) return banner('The value must not be empty: User principal name.');
    if (!user.displayName) return banner('The value must not be empty: Display name.');
    if (!user.passwordProfile.password) return banner('The value must not be empty: Password.');
    banner('');
    reviewUser(user);
  });
  show('content', el('h1', {}, 'Create new user'), el('p', { class: 'subtitle' }, 'Create a new internal user in your organization'),
    el('h2', {}, 'Identity'),
    field('User principal name', name, ' @ ', domain),
    field('Display name', displayName),
    el('fieldset', { class: 'field' }, el('legend', {}, 'Password'),
      el('label', { class: 'choice' }, auto, ' Auto-generate password'), el('label', { class: 'choice' }, mine, ' Let me create the password')),
    field('Password', password),
    el('p', { class: 'muted' }, 'The user must change this password at the next sign-in.'),
    field('Account enabled', enabled),
    el('div', { class: 'toolbar' }, review, el('button', { type: 'button', onclick: () => navigate('#/entra/users') }, 'Cancel')));
}

function reviewUser(user) {
  const create = el('button', { type: 'button', class: 'primary' }, 'Create');
  create.addEventListener('click', async () => {
    create.disabled = true;
    try {
      const created = await graph('POST', '/users', user);
      navigate(`#/entra/users/${created.id}`, `Created user '${user.userPrincipalName}'.`);
    } catch (error) {
      create.disabled = false;
      showError(error);
    }
  });
  show('content', el('h1', {}, 'Create new user'), el('p', { class: 'subtitle' }, 'Review + create'),
    details([['User principal name', user.userPrincipalName], ['Display name', user.displayName],
      ['Mail nickname', user.mailNickname], ['Password', user.passwordProfile.password],
      ['Account enabled', user.accountEnabled ? 'Yes' : 'No']]),
    el('div', { class: 'toolbar' }, create, el('button', { type: 'button', onclick: () => newUserForm().catch(showError) }, 'Previous')));
}

/** A user's Overview: properties, Reset password, Delete. */
export async function userBlade(id) {
  entraMenu('users');
  const user = await graph('GET', `/users/${encodeURIComponent(id)}?$select=${USER_FIELDS}`);
  const reset = el('button', { type: 'button', onclick: () => resetPane(user) }, 'Reset password');
  const remove = el('button', { type: 'button' }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!(await confirmPane('Delete user', `Are you sure you want to delete '${user.userPrincipalName}'? The user can no longer sign in; Graph keeps the user in deleted items, where it can be restored.`))) return;
    try {
      await graph('DELETE', `/users/${user.id}`);
      navigate('#/entra/users', `Deleted user '${user.userPrincipalName}'.`);
    } catch (error) {
      showError(error);
    }
  });
  show('content', el('h1', {}, user.displayName || user.userPrincipalName), el('p', { class: 'subtitle' }, 'User'),
    el('div', { class: 'toolbar' }, reset, remove, el('button', { type: 'button', onclick: () => navigate(location.hash) }, 'Refresh')),
    el('h2', {}, 'Basic info'),
    details([['User principal name', user.userPrincipalName], ['Object ID', el('code', {}, user.id)],
      ['User type', user.userType], ['Account enabled', user.accountEnabled === false ? 'No' : 'Yes'],
      ['Created date time', shortDate(user.createdDateTime)]]));
}

/** The "Reset password" pane: a temporary password the user must change, shown once. */
function resetPane(user) {
  const button = el('button', { type: 'button', class: 'primary' }, 'Reset password');
  const result = el('div', {});
  const close = openPane('Reset password',
    el('p', {}, `${user.displayName || user.userPrincipalName} will be assigned a temporary password that must be changed on the next sign in. To display the temporary password, click 'Reset password'.`),
    result,
    el('div', { class: 'actions' }, button, el('button', { type: 'button', onclick: () => close() }, 'Close')));
  button.addEventListener('click', async () => {
    const password = temporaryPassword();
    button.disabled = true;
    try {
      await graph('PATCH', `/users/${user.id}`, { passwordProfile: { forceChangePasswordNextSignIn: true, password } });
    } catch (error) {
      close();
      showError(error);
      return;
    }
    button.hidden = true;
    result.replaceChildren(field('Temporary password', el('input', { type: 'text', readonly: true, value: password })),
      el('p', { class: 'muted' }, 'Copy the temporary password now: it is not shown again.'));
  });
}
