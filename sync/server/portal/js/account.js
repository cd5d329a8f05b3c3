// SPDX-License-Identifier: GPL-3.0-or-later
//
// The account: a one-time restore code for a shop, the audit log of what
// shops did with the backup, and the password.

import { _, format } from './i18n.js';
import { h, replace, icon, uniqueId } from './dom.js';
import { api, ApiError, NetworkError } from './api.js';
import { toast } from './ui.js';
import { formatTime } from './format.js';
import { networkMessage, rateLimitMessage } from './login.js';

/* What a shop did, from the audit entry's action: "consent" (the shop
 * opened the account with a restore code or the password), the restore
 * steps, or the method and route of a request made with the shop's
 * delegated token. */
function auditAction (entry) {
  const action = String(entry.action || '');
  const detail = String(entry.detail || '');
  if (action === 'consent')
    return detail === 'restore code' ? _('opened your backup with a restore code')
      : detail === 'password' ? _('opened your backup with your password')
        : _('opened your backup');
  if (action === 'restore-start' || /^POST \S*\/restores$/.test(action))
    return _('started a restore onto a card');
  if (action === 'restore' || /^POST \S*\/ack$/.test(action))
    return _('restored your backup onto a card');
  if (/^POST \S*\/cards\/register$/.test(action))
    return _('registered a replacement card');
  if (/^GET /.test(action))
    return _('read your backup');
  return action;
}

/* The detail worth showing: not the consent kind (said above), not a bare
 * HTTP status, but "failed" when the request failed. */
function auditDetail (entry) {
  const detail = String(entry.detail || '');
  if (entry.action === 'consent' || detail === '')
    return null;
  if (/^\d{3}$/.test(detail))
    return Number(detail) >= 400 ? _('refused') : null;
  return detail;
}

export async function renderAccount (container, ctx, stillCurrent) {
  const audit = await api.audit();
  if (!stillCurrent())
    return;
  const entries = Array.isArray(audit.entries) ? audit.entries
    : Array.isArray(audit.events) ? audit.events : [];

  // Restore code
  const codeArea = h('div', { class: 'restore-code', 'aria-live': 'polite' });
  const createCode = h('button', { type: 'button', class: 'suggested', id: 'create-restore-code' },
    icon('key'), h('span', null, _('Create Restore Code')));
  createCode.addEventListener('click', async () => {
    createCode.disabled = true;
    try {
      const answer = await api.createRestoreCode();
      const code = String(answer.code || '');
      replace(codeArea,
        h('p', { class: 'dim' }, _('Give this code to the shop, with your phone number. It works once.')),
        h('p', { class: 'code-value', id: 'restore-code-value' }, code),
        answer.expires ? h('p', { class: 'dim' }, format(_('Valid until %s'), formatTime(answer.expires))) : null,
        h('button', { type: 'button', class: 'flat', onclick: async () => {
          try {
            await navigator.clipboard.writeText(code);
            toast(_('Code copied'));
          } catch (e) {
            toast(_('Select the code to copy it.'));
          }
        } }, icon('copy'), h('span', null, _('Copy'))));
    } catch (e) {
      ctx.handleError(e);
    } finally {
      createCode.disabled = false;
    }
  });

  // Audit log
  const auditList = entries.length === 0
    ? h('ul', { class: 'boxed-list audit-list' },
      h('li', { class: 'row placeholder' }, _('No shop has opened your backup.')))
    : h('ul', { class: 'boxed-list audit-list' }, entries.map((e) =>
      h('li', { class: 'row' },
        h('div', { class: 'row-text' },
          h('span', { class: 'row-title' },
            format(_('%s %s'), e.actor || e.staff || _('A shop'), auditAction(e))),
          h('span', { class: 'row-subtitle' },
            [formatTime(e.time), e.iccid ? format(_('card ending %s'), String(e.iccid).slice(-4)) : null,
             auditDetail(e)].filter(Boolean).join(' · '))))));

  // Password
  const ids = { current: uniqueId('current'), next: uniqueId('new'), repeat: uniqueId('repeat') };
  const pwError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const pwField = (id, label, autocomplete) => h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, type: 'password', autocomplete, required: true }));
  const pwForm = h('form', { class: 'boxed', novalidate: true },
    pwField(ids.current, _('Current password'), 'current-password'),
    pwField(ids.next, _('New password'), 'new-password'),
    pwField(ids.repeat, _('Repeat new password'), 'new-password'),
    pwError,
    h('button', { type: 'submit', class: 'suggested' }, _('Change Password')));
  pwForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    pwError.hidden = true;
    const current = pwForm.querySelector(`#${ids.current}`);
    const next = pwForm.querySelector(`#${ids.next}`);
    const repeat = pwForm.querySelector(`#${ids.repeat}`);
    const fail = (message, input) => {
      pwError.textContent = message;
      pwError.hidden = false;
      input.focus();
    };
    if (next.value.length < 8)
      return fail(_('The password must have at least 8 characters.'), next);
    if (next.value !== repeat.value)
      return fail(_('The passwords do not match.'), repeat);
    try {
      await api.changePassword(current.value, next.value);
      current.value = next.value = repeat.value = '';
      toast(_('Password changed. Use the new password in the desktop app too.'));
    } catch (e) {
      if (e instanceof NetworkError)
        fail(networkMessage(), current);
      else if (e instanceof ApiError && e.status === 429)
        fail(rateLimitMessage(e), current);
      else if (e instanceof ApiError && (e.code === 'login-failed' || e.code === 'forbidden'))
        fail(_('The current password is not correct.'), current);
      else if (e instanceof ApiError && e.status === 400)
        fail(_('This password is not accepted. Choose a longer one.'), next);
      else if (!(e instanceof ApiError && e.status === 401))
        fail(e.message || _('Something went wrong on the server. Try again later.'), current);
    }
  });

  replace(container,
    h('div', { class: 'page' },
      h('div', { class: 'page-header' },
        h('h1', { class: 'title-2', tabindex: '-1' }, _('Account'))),
      h('p', { class: 'dim' }, format(_('Logged in as %s'), ctx.state.phone || '')),

      h('section', { class: 'group', 'aria-labelledby': 'restore-title' },
        h('h2', { class: 'heading', id: 'restore-title' }, _('Restore at a Shop')),
        h('p', { class: 'dim group-description' },
          _('A shop can put your backup onto a new SIM card with your phone number and a one-time restore code. You do not need to tell them your password.')),
        createCode,
        codeArea),

      h('section', { class: 'group', 'aria-labelledby': 'audit-title' },
        h('h2', { class: 'heading', id: 'audit-title' }, _('What Shops Did')),
        auditList),

      h('section', { class: 'group', 'aria-labelledby': 'password-title' },
        h('h2', { class: 'heading', id: 'password-title' }, _('Change Password')),
        pwForm),

      h('section', { class: 'group' },
        h('button', { type: 'button', onclick: () => ctx.logOut() },
          icon('logout'), h('span', null, _('Log Out'))))));
}
