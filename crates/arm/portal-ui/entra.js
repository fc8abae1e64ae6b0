// Microsoft Entra ID: the tenant's Overview and the Users, Groups, App registrations and Enterprise
// applications blades, as in the Azure portal. Every call goes to Microsoft Graph (mimic's AAD)
// with the signed-in user's Graph token; Graph's errors show in the red banner.
// Routes: #/entra, #/entra/users[/new|/{id}], #/entra/groups[/new|/{id}[/members|/owners]],
// #/entra/apps[/new|/{id}[/credentials]], #/entra/enterprise[/type/{type}], #/entra/sp/{id}[/permissions].

import { el, show, details } from './dom.js';
import { graph } from './graph.js';
import { usersBlade, newUserForm, userBlade } from './users.js';
import { groupsBlade, newGroupForm, groupBlade } from './groups.js';
import { appsBlade, newRegistrationForm, appBlade } from './apps.js';
import { enterpriseBlade, servicePrincipalBlade } from './enterprise.js';

/** A menu link (a click on the page already shown reloads it). */
export function menuLink(href, text, current) {
  const reload = () => { if (location.hash === href) window.dispatchEvent(new HashChangeEvent('hashchange')); };
  return el('a', { href, 'aria-current': current ? 'page' : undefined, onclick: reload }, text);
}

/** The Microsoft Entra ID menu, `current` naming the blade shown. */
export function entraMenu(current) {
  show('menu', menuLink('#/', 'Resource groups'), el('div', { class: 'heading' }, 'Microsoft Entra ID'),
    menuLink('#/entra', 'Overview', current === 'overview'),
    menuLink('#/entra/users', 'Users', current === 'users'),
    menuLink('#/entra/groups', 'Groups', current === 'groups'),
    menuLink('#/entra/apps', 'App registrations', current === 'apps'),
    menuLink('#/entra/enterprise', 'Enterprise applications', current === 'enterprise'));
}

/** The menu of one object's blades: back to its list, its name, then its blades. */
export function objectMenu(back, backText, name, base, blades, current) {
  show('menu', menuLink(back, backText), el('div', { class: 'heading' }, name),
    blades.map(([blade, text]) => menuLink(blade === 'overview' ? base : `${base}/${blade}`, text, current === blade)));
}

async function overview() {
  entraMenu('overview');
  const organization = ((await graph('GET', '/organization')).value || [])[0] || {};
  const primary = (organization.verifiedDomains || []).find((domain) => domain.isDefault) || {};
  show('content', el('h1', {}, 'Microsoft Entra ID'), el('p', { class: 'subtitle' }, 'Overview'),
    el('h2', {}, 'Basic information'),
    details([['Name', organization.displayName], ['Tenant ID', organization.id], ['Primary domain', primary.name]]),
    el('p', { class: 'muted' }, 'Manage the directory\'s users, groups, app registrations and enterprise applications from the menu.'));
}

/** Renders the Entra page for the fragment's parts after `entra`. */
export async function entraRoute(parts) {
  const [blade, id, sub] = parts;
  if (blade === 'users') return id === 'new' ? newUserForm() : id ? userBlade(id) : usersBlade();
  if (blade === 'groups') return id === 'new' ? newGroupForm() : id ? groupBlade(id, sub || 'overview') : groupsBlade();
  if (blade === 'apps') return id === 'new' ? newRegistrationForm() : id ? appBlade(id, sub || 'overview') : appsBlade();
  if (blade === 'enterprise') return enterpriseBlade(id === 'type' ? sub : undefined);
  if (blade === 'sp' && id) return servicePrincipalBlade(id, sub || 'overview');
  return overview();
}
