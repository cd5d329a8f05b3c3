// SPDX-License-Identifier: GPL-3.0-or-later
//
// Log in and sign up. The errors are generic ("login failed"), never saying
// whether the number or the password was wrong; the server's rate limit is
// shown as such, with the time to wait from Retry-After.

import { _, ngettext, format } from './i18n.js';
import { h, uniqueId } from './dom.js';
import { api, ApiError, NetworkError } from './api.js';

export function rateLimitMessage (error) {
  const seconds = error.retryAfter && error.retryAfter > 0 ? error.retryAfter : 15 * 60;
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return format(ngettext('Too many attempts. Try again in %d minute.',
                         'Too many attempts. Try again in %d minutes.', minutes), minutes);
}

export function networkMessage () {
  return _('Cannot reach the SimVault server. Check your connection and try again.');
}

function field ({ id, label, type, autocomplete, inputmode, hint }) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('input', {
      id,
      name: id,
      type,
      autocomplete,
      inputmode,
      required: true,
      'aria-describedby': hintId,
    }),
    hint ? h('p', { class: 'field-hint', id: hintId }, hint) : null);
}

const PHONE_RE = /^\+?[0-9]{3,20}$/;

export function normalisePhone (text) {
  return text.replace(/[\s-]/g, '');
}

/* Renders the login (or sign-up) page into `main`. `onLoggedIn(session)` is
 * called with the server's session answer. */
export function renderLogin (main, { mode, notice, noticeKind, onLoggedIn }) {
  const signUp = mode === 'signup';
  const phoneId = uniqueId('phone');
  const passwordId = uniqueId('password');
  const confirmId = uniqueId('confirm');
  const errorId = uniqueId('login-error');

  const error = h('p', { id: errorId, class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'suggested pill' },
    signUp ? _('Create Account') : _('Log In'));

  const form = h('form', {
    class: 'login-form boxed',
    novalidate: true,
    'aria-describedby': errorId,
  },
  field({ id: phoneId, label: _('Phone number'), type: 'tel', autocomplete: 'username',
          inputmode: 'tel', hint: signUp ? _('The number of your SIM card, e.g. +8613800138000') : null }),
  field({ id: passwordId, label: _('Password'), type: 'password',
          autocomplete: signUp ? 'new-password' : 'current-password',
          hint: signUp ? _('At least 8 characters. The desktop app asks for the same password when it backs up your card.') : null }),
  signUp ? field({ id: confirmId, label: _('Repeat password'), type: 'password',
                   autocomplete: 'new-password' }) : null,
  error,
  submit);

  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const phone = normalisePhone(form.querySelector(`#${phoneId}`).value);
    const password = form.querySelector(`#${passwordId}`).value;
    if (!PHONE_RE.test(phone)) {
      showError(_('Enter a phone number of 3 to 20 digits, optionally starting with +.'));
      form.querySelector(`#${phoneId}`).focus();
      return;
    }
    if (password === '') {
      showError(_('Enter your password.'));
      form.querySelector(`#${passwordId}`).focus();
      return;
    }
    if (signUp) {
      if (password.length < 8) {
        showError(_('The password must have at least 8 characters.'));
        form.querySelector(`#${passwordId}`).focus();
        return;
      }
      if (password !== form.querySelector(`#${confirmId}`).value) {
        showError(_('The passwords do not match.'));
        form.querySelector(`#${confirmId}`).focus();
        return;
      }
    }
    submit.disabled = true;
    try {
      if (signUp)
        await api.signUp(phone, password);
      const session = await api.logIn(phone, password);
      onLoggedIn(Object.assign({ phone }, session));
    } catch (e) {
      if (e instanceof NetworkError)
        showError(networkMessage());
      else if (e instanceof ApiError && e.status === 429)
        showError(rateLimitMessage(e));
      else if (e instanceof ApiError && e.code === 'login-failed')
        showError(_('Login failed. Check the phone number and the password.'));
      else if (signUp && e instanceof ApiError && e.code === 'conflict')
        showError(_('This phone number already has an account. Log in instead.'));
      else if (signUp && e instanceof ApiError && e.status === 400)
        showError(e.field === 'password'
          ? _('This password is not accepted. Choose a longer one.')
          : _('Enter a phone number of 3 to 20 digits, optionally starting with +.'));
      else
        showError(_('Something went wrong on the server. Try again later.'));
      const pw = form.querySelector(`#${passwordId}`);
      pw.value = '';
      pw.focus();
    } finally {
      submit.disabled = false;
    }
  });

  const switcher = h('p', { class: 'login-switch' },
    signUp ? _('Already have an account?') : _('No account yet?'),
    ' ',
    h('button', {
      type: 'button',
      class: 'link',
      onclick: () => renderLogin(main, { mode: signUp ? 'login' : 'signup', onLoggedIn }),
    }, signUp ? _('Log In') : _('Create Account')));

  const page = h('div', { class: 'login-page' },
    h('div', { class: 'login-header' },
      h('img', { class: 'login-logo', src: 'icons/simvault.svg', alt: '', width: 96, height: 96 }),
      h('h1', { class: 'title-1', tabindex: '-1' }, signUp ? _('Create Your SimVault Account') : _('Your SIM Card Backup')),
      h('p', { class: 'dim' }, signUp
        ? _('Sign up with the phone number of your SIM card. When the SimVault desktop app backs up that card with the same number and password, the card joins this account.')
        : _('Log in with the phone number of your SIM card to see and edit its backed-up contacts and messages.'))),
    notice ? h('p', { class: ['notice', noticeKind === 'warning' ? 'warning' : null], role: 'status' }, notice) : null,
    form,
    switcher);

  main.replaceChildren(page);
  document.title = signUp ? `${_('Create Account')} – SimVault` : `${_('Log In')} – SimVault`;
  main.querySelector(`#${phoneId}`).focus();
}
