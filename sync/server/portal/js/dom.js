// SPDX-License-Identifier: GPL-3.0-or-later
//
// Building the page from data without ever parsing HTML: every node is made
// with createElement, every piece of text goes through a text node. Names
// and messages come from SIM cards, so `<script>` in a contact's name must
// stay text.

let idCounter = 0;

export function uniqueId (prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/* h('button', {class: 'suggested', onclick: fn, 'aria-label': x}, 'Text', node)
 * Attributes are set with setAttribute (never a `style` or inline handler
 * attribute: the CSP forbids them); on* keys become event listeners. */
export function h (tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false)
        continue;
      if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else if (key === 'class') {
        node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      } else if (key === 'text') {
        node.textContent = value;
      } else if (key === 'value') {
        node.value = value;
      } else if (key === 'checked' || key === 'disabled' || key === 'hidden' ||
                 key === 'required' || key === 'selected') {
        node[key] = Boolean(value);
      } else if (key === 'style' || key === 'innerHTML') {
        throw new Error(`refusing to set ${key}`);
      } else {
        node.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(node, children);
  return node;
}

function append (node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false)
      continue;
    if (Array.isArray(child))
      append(node, child);
    else if (child instanceof Node)
      node.appendChild(child);
    else
      node.appendChild(document.createTextNode(String(child)));
  }
}

export function clear (node) {
  while (node.firstChild)
    node.removeChild(node.firstChild);
}

export function replace (node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

/* A symbolic icon: a span painted with the SVG as a CSS mask, so it takes
 * the text colour (light and dark). Decorative: the button carries the label. */
export function icon (name) {
  return h('span', { class: `icon icon-${name}`, 'aria-hidden': 'true' });
}
