// SPDX-License-Identifier: GPL-3.0-or-later
//
// Widgets of the portal in the spirit of libadwaita: toasts, a banner for
// persistent problems, modal dialogs (the native <dialog>: focus stays
// inside, Escape cancels), boxed lists, status pages.

import { _ } from './i18n.js';
import { h, clear, replace, icon } from './dom.js';

let toastTimer = null;

/* A short result message ("Contact deleted"), with an optional action
 * (Undo). Announced politely to screen readers. */
export function toast (message, action) {
  const overlay = document.getElementById('toasts');
  if (toastTimer)
    clearTimeout(toastTimer);
  const children = [h('span', { class: 'toast-title' }, message)];
  if (action) {
    children.push(h('button', {
      class: 'toast-action',
      type: 'button',
      onclick: () => {
        dismissToast();
        action.run();
      },
    }, action.label));
  }
  children.push(h('button', {
    class: 'toast-close flat circular',
    type: 'button',
    'aria-label': _('Close'),
    title: _('Close'),
    onclick: dismissToast,
  }, icon('close')));
  replace(overlay, h('div', { class: 'toast', role: 'status' }, children));
  toastTimer = setTimeout(dismissToast, action ? 8000 : 4000);
}

export function dismissToast () {
  const overlay = document.getElementById('toasts');
  if (toastTimer)
    clearTimeout(toastTimer);
  toastTimer = null;
  clear(overlay);
}

/* A persistent problem (server unreachable), shown until it is solved. */
export function showBanner (message, action) {
  const banner = document.getElementById('banner');
  const children = [h('span', { class: 'banner-title' }, message)];
  if (action) {
    children.push(h('button', {
      type: 'button',
      class: 'pill',
      onclick: () => action.run(),
    }, action.label));
  }
  replace(banner, children);
  banner.hidden = false;
}

export function hideBanner () {
  const banner = document.getElementById('banner');
  banner.hidden = true;
  clear(banner);
}

/* A modal dialog. `build(close)` returns the dialog's body; the returned
 * promise resolves with the value passed to close() (undefined when the
 * dialog was cancelled with Escape). */
export function openDialog ({ title, className, build, labelledBy }) {
  return new Promise((resolve) => {
    const titleId = labelledBy || `dialog-title-${Math.random().toString(36).slice(2)}`;
    const dialog = h('dialog', {
      class: ['dialog', className],
      'aria-labelledby': titleId,
    });
    let result;
    const close = (value) => {
      result = value;
      dialog.close();
    };
    dialog.appendChild(h('h2', { id: titleId, class: 'dialog-title' }, title));
    dialog.appendChild(build(close));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/* A message dialog with two responses, like AdwMessageDialog. */
export function confirmDialog ({ title, body, confirmLabel, destructive }) {
  return openDialog({
    title,
    className: 'message-dialog',
    build: (close) => h('div', { class: 'dialog-content' },
      (Array.isArray(body) ? body : [body]).map((p) => h('p', { class: 'dialog-body' }, p)),
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', autofocus: true, onclick: () => close(false) }, _('Cancel')),
        h('button', {
          type: 'button',
          class: destructive ? 'destructive' : 'suggested',
          onclick: () => close(true),
        }, confirmLabel))),
  }).then((v) => v === true);
}

/* An empty state, like AdwStatusPage. */
export function statusPage (iconName, title, description, ...extra) {
  return h('div', { class: 'status-page' },
    h('span', { class: `status-icon icon icon-${iconName}`, 'aria-hidden': 'true' }),
    h('h2', { class: 'status-title' }, title),
    description ? h('p', { class: 'status-description' }, description) : null,
    extra);
}

export function spinnerPage (label) {
  return h('div', { class: 'status-page loading', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('p', { class: 'status-description' }, label));
}

/* A labelled property row in a boxed list (AdwActionRow with a subtitle). */
export function propertyRow (label, value, extraClass) {
  return h('li', { class: ['row', 'property', extraClass] },
    h('span', { class: 'row-title' }, label),
    h('span', { class: 'row-value' }, value));
}
