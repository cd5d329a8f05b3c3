// SPDX-License-Identifier: GPL-3.0-or-later
//
// The backed-up short messages of one card: search, sort, delete.

import { _, ngettext, format } from './i18n.js';
import { h, replace, icon, uniqueId } from './dom.js';
import { api } from './api.js';
import { toast, confirmDialog, statusPage } from './ui.js';
import { compareText, formatTime, matches, messageStatusLabel } from './format.js';

const view = {
  query: '',
  sort: 'newest',
};

function timeOf (m) {
  const t = Date.parse(m.time || m.stored_at || '');
  return Number.isNaN(t) ? 0 : t;
}

function sortMessages (list, sort) {
  const sorted = list.slice();
  if (sort === 'oldest')
    sorted.sort((a, b) => timeOf(a) - timeOf(b));
  else if (sort === 'number')
    sorted.sort((a, b) => compareText(a.number, b.number) || timeOf(b) - timeOf(a));
  else
    sorted.sort((a, b) => timeOf(b) - timeOf(a));
  return sorted;
}

export async function renderMessages (container, ctx, stillCurrent) {
  const iccid = ctx.state.iccid;
  const answer = await api.messages(iccid);
  if (!stillCurrent())
    return;
  const messages = Array.isArray(answer.messages) ? answer.messages : [];

  const searchId = uniqueId('message-search');
  const sortId = uniqueId('message-sort');
  const countLine = h('p', { class: 'count dim', 'aria-live': 'polite' });
  const capacity = Number(answer.capacity) || 0;
  const capacityLine = capacity > 0
    ? h('p', { class: 'count dim' }, format(ngettext(
      'The backup keeps the newest %d message of this card; when it is full, the oldest is dropped.',
      'The backup keeps the newest %d messages of this card; when it is full, the oldest is dropped.',
      capacity), capacity))
    : null;
  const list = h('ul', { class: 'boxed-list message-list', 'aria-label': _('Messages') });

  const search = h('input', {
    id: searchId,
    type: 'search',
    placeholder: _('Search number or text'),
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
  h('option', { value: 'newest', selected: view.sort === 'newest' }, _('Newest first')),
  h('option', { value: 'oldest', selected: view.sort === 'oldest' }, _('Oldest first')),
  h('option', { value: 'number', selected: view.sort === 'number' }, _('Number')));

  const empty = statusPage('messages', _('No Messages'),
    _('No short message of this card has been backed up.'));

  function fill () {
    const shown = sortMessages(messages.filter((m) => matches(view.query, m.number, m.text)), view.sort);
    countLine.textContent = view.query
      ? format(ngettext('%d of %d message', '%d of %d messages', messages.length), shown.length, messages.length)
      : format(ngettext('%d message', '%d messages', messages.length), messages.length);
    list.hidden = messages.length === 0;
    empty.hidden = messages.length !== 0;
    if (messages.length === 0) {
      replace(list);
      return;
    }
    if (shown.length === 0) {
      replace(list, h('li', { class: 'row placeholder' }, format(_('No message matches “%s”.'), view.query)));
      return;
    }
    replace(list, shown.map(messageRow));
  }

  function messageRow (m) {
    const who = m.number || _('Unknown sender');
    const status = messageStatusLabel(m.status);
    return h('li', { class: 'row message-row', 'data-id': m.id },
      h('div', { class: 'row-text' },
        h('div', { class: 'message-meta' },
          h('span', { class: 'row-title' }, who),
          status ? h('span', { class: ['badge', `status-${m.status}`] }, status) : null,
          h('time', { class: 'dim', datetime: m.time || '' }, formatTime(m.time || m.stored_at))),
        m.decode_error
          ? h('p', { class: 'message-text dim' }, format(_('This message cannot be shown: %s'), m.decode_error))
          : h('p', { class: 'message-text' }, m.text || ''),
        m.parts > 1 ? h('span', { class: 'row-subtitle' },
          format(ngettext('%d part', 'joined from %d parts', m.parts), m.parts)) : null),
      h('div', { class: 'row-actions' },
        h('button', {
          type: 'button',
          class: 'flat circular delete',
          'aria-label': format(_('Delete the message from %s'), who),
          title: _('Delete'),
          onclick: () => deleteMessage(m, who),
        }, icon('delete'))));
  }

  async function deleteMessage (m, who) {
    const excerpt = Array.from(m.text || '').slice(0, 60).join('');
    const ok = await confirmDialog({
      title: _('Delete Message?'),
      body: [format(_('The message from %s is deleted from the backup. It stays on the card until the next restore.'), who),
             excerpt ? `“${excerpt}${excerpt.length < (m.text || '').length ? '…' : ''}”` : null].filter(Boolean),
      confirmLabel: _('Delete'),
      destructive: true,
    });
    if (!ok)
      return;
    try {
      await api.deleteMessage(iccid, m.id);
      toast(_('Message deleted'));
      ctx.navigate('messages');
    } catch (e) {
      ctx.handleError(e);
    }
  }

  replace(container,
    h('div', { class: 'page' },
      h('div', { class: 'page-header' },
        h('h1', { class: 'title-2', tabindex: '-1' }, _('Messages'))),
      h('div', { class: 'toolbar', role: 'search' },
        h('label', { for: searchId, class: 'visually-hidden' }, _('Search messages')),
        h('span', { class: 'search-entry' }, icon('search'), search),
        h('label', { for: sortId, class: 'sort-label' }, _('Sort by')),
        sort),
      countLine,
      list,
      empty,
      capacityLine));
  fill();
}
