// DOM helpers: every piece of text becomes a text node (or textContent); no HTML is ever parsed from data.

/** Creates an element: el('a', {href: '#/'}, 'text', child, …). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces the children of the element with id `id`. */
export function show(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

/** Shows the red error banner (or hides it with no message). */
export function banner(message, kind = 'error') {
  const node = document.getElementById('banner');
  node.textContent = message || '';
  node.className = kind === 'error' ? 'banner' : 'banner info';
  node.hidden = !message;
}

/** Shows an error: ARM errors as "Code: message", others by their message. */
export function showError(error) {
  banner(error && error.code ? `${error.code}: ${error.message}` : String(error && error.message || error));
}

/** A confirmation pane with Yes/No; resolves true on Yes. */
export function confirmPane(title, text) {
  const backdrop = document.getElementById('dialog');
  return new Promise((resolve) => {
    const close = (answer) => { backdrop.hidden = true; backdrop.replaceChildren(); resolve(answer); };
    backdrop.replaceChildren(el('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      el('h2', {}, title),
      el('p', {}, text),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'primary', onclick: () => close(true) }, 'Yes'),
        el('button', { type: 'button', onclick: () => close(false) }, 'No'))));
    backdrop.hidden = false;
  });
}

let fieldCount = 0;

/** A labelled control: the label names the control by `for` (not by wrapping it, so a select's
 * options never become part of the label). */
export function field(label, control, ...after) {
  fieldCount += 1;
  control.id = control.id || `field-${fieldCount}`;
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), ' ', control, ...after);
}

/** A side pane (dialog) titled `title`; returns the function that closes it. */
export function openPane(title, ...children) {
  const backdrop = document.getElementById('dialog');
  const close = () => { backdrop.hidden = true; backdrop.replaceChildren(); };
  backdrop.replaceChildren(el('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
    el('h2', {}, title), ...children));
  backdrop.hidden = false;
  return close;
}

/** A table with these column headings, or the `empty` text when there are no rows. */
export function dataTable(headings, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el('table', {}, el('thead', {}, el('tr', {}, headings.map((heading) => el('th', {}, heading)))), el('tbody', {}, rows));
}

/** A definition list of [term, value] pairs (empty values as an em dash). */
export function details(pairs) {
  return el('dl', {}, pairs.flatMap(([term, value]) => [el('dt', {}, term),
    el('dd', {}, value === undefined || value === null || value === '' ? '—' : value)]));
}

let notice = null;

/** Goes to `hash` and shows `message` in the banner (green, or red for kind 'error') once that page is rendered. */
export function navigate(hash, message, kind = 'info') {
  notice = message ? { message, kind } : null;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** The `{ message, kind }` `navigate` left for the page being rendered (then forgotten), or null. */
export function takeNotice() {
  const message = notice;
  notice = null;
  return message;
}

/** The tab strip of a wizard (Basics, …, Review + create): `select(name)` is called on a click;
 * `mark(name)` shows which tab is current. */
export function wizardTabs(names, select) {
  const buttons = names.map((name) => el('button', { type: 'button', role: 'tab', 'aria-selected': 'false', onclick: () => select(name) }, name));
  const mark = (current) => buttons.forEach((button, index) => button.setAttribute('aria-selected', String(names[index] === current)));
  return { node: el('div', { class: 'tabs', role: 'tablist' }, buttons), mark };
}
