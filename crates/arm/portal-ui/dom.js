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
