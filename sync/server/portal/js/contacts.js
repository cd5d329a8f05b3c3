// SPDX-License-Identifier: GPL-3.0-or-later
//
// The backed-up phonebook of one card: search, sort, add, edit, delete.
// The server checks every edit with the desktop's phonebook rules for this
// card; when a contact does not fit, its answer (422 does-not-fit, with the
// field and by how much) is shown beside that field.

import { _, ngettext, format, currentLanguage } from './i18n.js';
import { h, replace, icon, uniqueId } from './dom.js';
import { api, ApiError, NetworkError } from './api.js';
import { toast, openDialog, statusPage } from './ui.js';
import { compareText, matches } from './format.js';
import { networkMessage } from './login.js';

const view = {
  query: '',
  sort: 'name',
  // Where the keyboard focus goes after the list is drawn again: the edit
  // button of a row ({set, index}) or the Add button ('add').
  focus: null,
};

function sortContacts (list, sort) {
  const byPosition = (a, b) => compareText(a.set, b.set) || (a.index - b.index);
  const sorted = list.slice();
  if (sort === 'number')
    sorted.sort((a, b) => compareText(a.number, b.number) || byPosition(a, b));
  else if (sort === 'position')
    sorted.sort(byPosition);
  else
    sorted.sort((a, b) => compareText(a.name, b.name) || byPosition(a, b));
  return sorted;
}

/* Which optional USIM fields this card has (EF_ANR, EF_EMAIL, EF_SNE): from
 * the server's phonebook limits per set, else from the file layout. */
function cardFeatures (card, contacts, sets) {
  if (Array.isArray(sets) && sets.length > 0) {
    return {
      anr: sets.some((l) => l.n_anr > 0),
      email: sets.some((l) => l.n_email > 0),
      sne: sets.some((l) => l.sne_len > 0),
    };
  }
  const keys = (card && Array.isArray(card.files) ? card.files : []).map((f) => String(f.key || ''));
  const has = (re, prop) => keys.some((k) => re.test(k)) ||
    contacts.some((c) => Array.isArray(c[prop]) ? c[prop].length > 0 : Boolean(c[prop]));
  return {
    anr: has(/anr/, 'additional_numbers'),
    email: has(/email/, 'emails'),
    sne: has(/sne/, 'second_name'),
  };
}

/* The limits of the set a contact is in (or goes to). */
function limitsFor (sets, set) {
  if (!Array.isArray(sets) || sets.length === 0)
    return null;
  return sets.find((l) => String(l.set) === String(set)) || sets[0];
}

function contactTitle (c) {
  return c.name ? c.name : (c.number || _('Unnamed contact'));
}

export async function renderContacts (container, ctx, stillCurrent) {
  const iccid = ctx.state.iccid;
  const [answer, cardInfo] = await Promise.all([
    api.contacts(iccid),
    api.card(iccid).catch(() => ctx.card()),
  ]);
  if (!stillCurrent())
    return;
  const contacts = Array.isArray(answer.contacts) ? answer.contacts : [];
  const sets = Array.isArray(answer.sets) ? answer.sets : [];
  const features = cardFeatures(cardInfo || ctx.card(), contacts, sets);

  const searchId = uniqueId('contact-search');
  const sortId = uniqueId('contact-sort');
  const countLine = h('p', { class: 'count dim', 'aria-live': 'polite' });
  const list = h('ul', { class: 'boxed-list contact-list', 'aria-label': _('Contacts') });

  const search = h('input', {
    id: searchId,
    type: 'search',
    placeholder: _('Search name, number or e-mail'),
    'aria-keyshortcuts': '/',
    value: view.query,
    autocomplete: 'off',
    oninput: (e) => {
      view.query = e.target.value;
      fill();
    },
  });
  const sort = h('select', {
    id: sortId,
    onchange: (e) => {
      view.sort = e.target.value;
      fill();
    },
  },
  h('option', { value: 'name', selected: view.sort === 'name' }, _('Name')),
  h('option', { value: 'number', selected: view.sort === 'number' }, _('Number')),
  h('option', { value: 'position', selected: view.sort === 'position' }, _('Position on the card')));

  const reload = () => ctx.navigate('contacts');

  function fill () {
    const shown = sortContacts(contacts.filter((c) =>
      matches(view.query, c.name, c.number, c.second_name, c.additional_numbers || [], c.emails || [])), view.sort);
    countLine.textContent = view.query
      ? format(ngettext('%d of %d contact', '%d of %d contacts', contacts.length), shown.length, contacts.length)
      : format(ngettext('%d contact', '%d contacts', contacts.length), contacts.length);
    if (contacts.length === 0) {
      replace(list);
      list.hidden = true;
      empty.hidden = false;
      return;
    }
    list.hidden = false;
    empty.hidden = true;
    if (shown.length === 0) {
      replace(list, h('li', { class: 'row placeholder' }, format(_('No contact matches “%s”.'), view.query)));
      return;
    }
    replace(list, shown.map((c) => contactRow(c)));
  }

  function contactRow (c) {
    const title = contactTitle(c);
    const details = [];
    if (c.name && c.number)
      details.push(c.number);
    for (const n of c.additional_numbers || [])
      if (n) details.push(n);
    for (const m of c.emails || [])
      if (m) details.push(m);
    if (c.second_name)
      details.push(c.second_name);
    const initial = Array.from(String(c.name || '#').trim())[0] || '#';
    return h('li', { class: 'row contact-row', 'data-set': c.set, 'data-index': c.index },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial.toLocaleUpperCase()),
      h('div', { class: 'row-text' },
        h('span', { class: ['row-title', c.name ? null : 'dim'] }, title),
        details.length ? h('span', { class: 'row-subtitle' }, details.join(' · ')) : null),
      h('span', { class: 'row-index dim', title: _('Position on the card') }, format(_('No. %d'), c.index)),
      h('div', { class: 'row-actions' },
        h('button', {
          type: 'button',
          class: 'flat circular edit',
          'aria-label': format(_('Edit %s'), title),
          title: _('Edit'),
          onclick: () => editContact(c),
        }, icon('edit')),
        h('button', {
          type: 'button',
          class: 'flat circular delete',
          'aria-label': format(_('Delete %s'), title),
          title: _('Delete'),
          onclick: () => deleteContact(c),
        }, icon('delete'))));
  }

  async function editContact (c) {
    const saved = await contactDialog({ iccid, contact: c, features, limits: limitsFor(sets, c.set) });
    view.focus = { set: c.set, index: c.index };
    if (!saved)
      restoreFocus();
    if (saved) {
      toast(_('Contact saved'));
      reload();
    }
  }

  async function addContact () {
    const saved = await contactDialog({ iccid, contact: null, features, limits: limitsFor(sets, sets.length ? sets[0].set : null) });
    view.focus = 'add';
    if (!saved)
      restoreFocus();
    if (saved) {
      toast(_('Contact added'));
      reload();
    }
  }

  async function deleteContact (c) {
    try {
      await api.deleteContact(iccid, c.set, c.index);
    } catch (e) {
      ctx.handleError(e);
      return;
    }
    view.focus = 'add';
    reload();
    toast(format(_('“%s” deleted'), contactTitle(c)), {
      label: _('Undo'),
      run: async () => {
        try {
          // Back into its own record; if the server refuses that record
          // (409: it changed since), into the first free one.
          try {
            await api.editContact(iccid, c.set, c.index, contactBody(c));
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 'conflict'))
              throw e;
            await api.addContact(iccid, Object.assign({ set: c.set }, contactBody(c)));
          }
          toast(_('Contact restored'));
          reload();
        } catch (e) {
          ctx.handleError(e);
        }
      },
    });
  }

  const empty = statusPage('contacts', _('No Contacts'),
    _('This card’s backup has no contacts. Add one, and it is written to the card at the next restore.'));
  empty.hidden = true;

  function restoreFocus () {
    const target = view.focus;
    view.focus = null;
    let button = null;
    if (target === 'add')
      button = container.querySelector('#add-contact');
    else if (target)
      button = container.querySelector(
        `.contact-row[data-set="${CSS.escape(String(target.set))}"][data-index="${CSS.escape(String(target.index))}"] button.edit`);
    if (button)
      button.focus();
  }

  replace(container,
    h('div', { class: 'page' },
      h('div', { class: 'page-header' },
        h('h1', { class: 'title-2', tabindex: '-1' }, _('Contacts')),
        h('button', { type: 'button', class: 'suggested', id: 'add-contact', 'aria-label': _('Add Contact'), title: _('Add Contact'), onclick: addContact },
          icon('add'), h('span', null, _('Add Contact')))),
      h('div', { class: 'toolbar', role: 'search' },
        h('label', { for: searchId, class: 'visually-hidden' }, _('Search contacts')),
        h('span', { class: 'search-entry' }, icon('search'), search),
        h('label', { for: sortId, class: 'sort-label' }, _('Sort by')),
        sort),
      countLine,
      list,
      empty));
  fill();
  if (view.focus)
    setTimeout(restoreFocus, 0);
}

/* Why an edit does not fit, in the owner's words and language. The server
 * explains it with the desktop's phonebook rules (in English, with the
 * bytes and the coding); the two common cases are said again here, short
 * and translated; anything else is shown as the server says it. */
export function fitMessage (error) {
  const text = String(error.message || '');
  let m = /(\d+) characters?(?:\(s\))? too long for this card(?:: (\d+) of (\d+) fit)?/.exec(text);
  if (m && m[2] !== undefined) {
    const over = Number(m[1]);
    return format(ngettext('%d character too long for this card: %d of %d fit.',
                           '%d characters too long for this card: %d of %d fit.', over),
                  over, Number(m[2]), Number(m[3]));
  }
  if (m) {
    const over = Number(m[1]);
    return format(ngettext('%d character too long for this card.',
                           '%d characters too long for this card.', over), over);
  }
  m = /has (\d+) digits;.*at most (\d+).*?(\d+) too many/.exec(text);
  if (m) {
    const over = Number(m[3]);
    return format(ngettext('%d digit too many: this card holds at most %d.',
                           '%d digits too many: this card holds at most %d.', over), over, Number(m[2]));
  }
  if (error.code === 'does-not-fit' && currentLanguage() !== 'en')
    return format(_('Does not fit on this card: %s'), text);
  return text || _('This value does not fit on the card.');
}

function contactBody (c) {
  const body = { name: c.name || '', number: c.number || '' };
  if (c.additional_numbers !== undefined)
    body.additional_numbers = c.additional_numbers || [];
  if (c.emails !== undefined)
    body.emails = c.emails || [];
  if (c.second_name !== undefined)
    body.second_name = c.second_name || '';
  return body;
}

/* The contact editor. Resolves true when the server stored the contact. */
function contactDialog ({ iccid, contact, features, limits }) {
  const editing = Boolean(contact);
  const c = contact || {};
  const ids = {
    name: uniqueId('name'),
    number: uniqueId('number'),
    additional_numbers: uniqueId('anr'),
    emails: uniqueId('email'),
    second_name: uniqueId('sne'),
  };
  const inputs = {};
  const errors = {};

  const hints = {};
  if (limits && limits.alpha_len > 0)
    hints.name = format(_('Up to %d characters, or %d in Chinese and other scripts'),
                        limits.alpha_len, Math.floor((limits.alpha_len - 1) / 2));
  if (limits && limits.email_len > 0)
    hints.emails = format(_('Up to %d characters'), limits.email_len);
  if (limits && limits.sne_len > 0)
    hints.second_name = format(_('Up to %d characters, or %d in Chinese and other scripts'),
                               limits.sne_len, Math.floor((limits.sne_len - 1) / 2));

  function field (key, label, attrs, value) {
    const errorId = `${ids[key]}-error`;
    const hintId = `${ids[key]}-hint`;
    inputs[key] = h('input', Object.assign({
      id: ids[key], name: key, value: value || '', 'aria-describedby': hints[key] ? hintId : null,
    }, attrs));
    errors[key] = h('p', { class: 'field-error', id: errorId, hidden: true });
    return h('div', { class: 'field' },
      h('label', { for: ids[key] }, label),
      inputs[key],
      errors[key],
      hints[key] ? h('p', { class: 'field-hint', id: hintId }, hints[key]) : null);
  }

  return openDialog({
    title: editing ? _('Edit Contact') : _('New Contact'),
    className: 'contact-dialog',
    build: (close) => {
      const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
      const save = h('button', { type: 'submit', class: 'suggested' }, editing ? _('Save') : _('Add'));
      const anr = (c.additional_numbers || []).filter(Boolean);
      const mails = (c.emails || []).filter(Boolean);

      const form = h('form', { class: 'dialog-content', novalidate: true },
        field('name', _('Name'), { type: 'text', autocomplete: 'off' }, c.name),
        field('number', _('Number'), { type: 'tel', inputmode: 'tel', autocomplete: 'off' }, c.number),
        features.anr ? field('additional_numbers', _('Additional number'), { type: 'tel', inputmode: 'tel', autocomplete: 'off' }, anr[0]) : null,
        features.email ? field('emails', _('E-mail'), { type: 'email', autocomplete: 'off' }, mails[0]) : null,
        features.sne ? field('second_name', _('Second name'), { type: 'text', autocomplete: 'off' }, c.second_name) : null,
        formError,
        h('div', { class: 'dialog-buttons' },
          h('button', { type: 'button', onclick: () => close(false) }, _('Cancel')),
          save));

      const clearErrors = () => {
        formError.hidden = true;
        for (const key of Object.keys(inputs)) {
          errors[key].hidden = true;
          inputs[key].removeAttribute('aria-invalid');
          if (hints[key])
            inputs[key].setAttribute('aria-describedby', `${ids[key]}-hint`);
          else
            inputs[key].removeAttribute('aria-describedby');
        }
      };

      const showFieldError = (key, message) => {
        const input = inputs[key];
        if (!input) {
          formError.textContent = message;
          formError.hidden = false;
          return;
        }
        errors[key].textContent = message;
        errors[key].hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby',
          hints[key] ? `${errors[key].id} ${ids[key]}-hint` : errors[key].id);
        input.focus();
      };

      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearErrors();
        const body = {
          name: inputs.name.value.trim(),
          number: inputs.number.value.replace(/[\s()-]/g, ''),
        };
        // Keep the values the editor does not show (a second e-mail...).
        if (inputs.additional_numbers) {
          const rest = anr.slice(1);
          const v = inputs.additional_numbers.value.replace(/[\s()-]/g, '');
          body.additional_numbers = v ? [v, ...rest] : rest;
        }
        if (inputs.emails) {
          const rest = mails.slice(1);
          const v = inputs.emails.value.trim();
          body.emails = v ? [v, ...rest] : rest;
        }
        if (inputs.second_name)
          body.second_name = inputs.second_name.value.trim();
        if (body.name === '' && body.number === '') {
          showFieldError('name', _('Enter a name or a number.'));
          return;
        }
        if (body.number !== '' && !/^\+?[0-9*#pPwW]+$/.test(body.number)) {
          showFieldError('number', _('A number may hold only digits, *, # and a leading +.'));
          return;
        }
        save.disabled = true;
        try {
          if (editing)
            await api.editContact(iccid, c.set, c.index, body);
          else
            await api.addContact(iccid, body);
          close(true);
        } catch (e) {
          if (e instanceof ApiError && (e.code === 'does-not-fit' || e.code === 'invalid') && e.field) {
            const key = String(e.field).replace(/\[.*$/, '');
            showFieldError(key, fitMessage(e));
          } else if (e instanceof ApiError && e.code === 'does-not-fit') {
            showFieldError(null, e.message || _('The card has no room for this contact.'));
          } else if (e instanceof NetworkError) {
            showFieldError(null, networkMessage());
          } else if (e instanceof ApiError && e.status === 401) {
            close(false);
          } else {
            showFieldError(null, e.message || _('Something went wrong on the server. Try again later.'));
          }
        } finally {
          save.disabled = false;
        }
      });
      setTimeout(() => inputs.name.focus(), 0);
      return form;
    },
  }).then((v) => v === true);
}
