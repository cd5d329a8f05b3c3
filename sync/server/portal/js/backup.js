// SPDX-License-Identifier: GPL-3.0-or-later
//
// The backup's state: the selected card, the cards of this phone number
// (card changes), downloads, and deleting the backup (deregistration, seed
// flow 12) after a confirmation that names what is deleted.

import { _, ngettext, format } from './i18n.js';
import { h, replace, icon } from './dom.js';
import { api } from './api.js';
import { toast, confirmDialog, statusPage, propertyRow } from './ui.js';
import { cardLabel, cardTypeLabel, formatTime } from './format.js';

function count (list) {
  return Array.isArray(list) ? list.length : 0;
}

export async function renderBackup (container, ctx, stillCurrent) {
  const iccid = ctx.state.iccid;
  if (!iccid) {
    replace(container, h('div', { class: 'page' },
      h('div', { class: 'page-header' }, h('h1', { class: 'title-2', tabindex: '-1' }, _('Backup'))),
      statusPage('sim', _('No Card Backed Up Yet'),
        _('Back up your SIM card with the SimVault desktop app, using this phone number and password. Its contacts and messages then appear here.'))));
    return;
  }
  const [card, contacts, messages] = await Promise.all([
    api.card(iccid),
    api.contacts(iccid).catch(() => null),
    api.messages(iccid).catch(() => null),
  ]);
  if (!stillCurrent())
    return;
  const info = Object.assign({}, ctx.card() || {}, card || {});
  const nContacts = contacts ? count(contacts.contacts) : null;
  const nMessages = messages ? count(messages.messages) : null;

  const cards = ctx.state.cards.slice().sort((a, b) =>
    String(b.registered || '').localeCompare(String(a.registered || '')));

  const cardRows = cards.map((c) => {
    let status;
    if (c.replaced_by) {
      const by = cards.find((o) => o.iccid === c.replaced_by);
      status = format(_('Replaced by %s'), by ? cardLabel(by) : c.replaced_by);
    } else {
      status = _('Current card');
    }
    return h('li', { class: ['row', c.iccid === iccid ? 'selected' : null] },
      h('span', { class: 'avatar sim', 'aria-hidden': 'true' }, icon('sim')),
      h('div', { class: 'row-text' },
        h('span', { class: 'row-title' }, cardLabel(c)),
        h('span', { class: 'row-subtitle' },
          [status, c.last_backup ? format(_('last backup %s'), formatTime(c.last_backup))
            : format(_('last changed %s'), formatTime(c.updated))].join(' · '))),
      c.iccid === iccid
        ? h('span', { class: 'badge' }, _('Shown'))
        : h('button', { type: 'button', class: 'flat', onclick: () => {
          ctx.state.iccid = c.iccid;
          ctx.navigate('backup');
        } }, _('Show')));
  });

  async function deregister () {
    const what = [];
    if (nContacts !== null)
      what.push(format(ngettext('%d contact', '%d contacts', nContacts), nContacts));
    if (nMessages !== null)
      what.push(format(ngettext('%d message', '%d messages', nMessages), nMessages));
    const ok = await confirmDialog({
      title: _('Delete This Backup?'),
      body: [
        format(_('The backup of card %s (ICCID %s) is deleted from the server: %s, its restore history and its sync state.'),
               cardLabel(info), iccid, what.length ? what.join(_(', ')) : _('all its contacts and messages')),
        _('The SIM card itself and the backups of your other cards are not changed. This cannot be undone.'),
      ],
      confirmLabel: _('Delete Backup'),
      destructive: true,
    });
    if (!ok)
      return;
    try {
      await api.deregister(iccid);
    } catch (e) {
      ctx.handleError(e);
      return;
    }
    ctx.state.iccid = null;
    try {
      sessionStorage.removeItem('sv-portal-card');
    } catch (e) {
      // nothing stored
    }
    toast(format(_('The backup of %s was deleted'), cardLabel(info)));
    try {
      await ctx.reloadCards();
    } catch (e) {
      ctx.handleError(e);
    }
    ctx.navigate('backup');
  }

  replace(container,
    h('div', { class: 'page' },
      h('div', { class: 'page-header' },
        h('h1', { class: 'title-2', tabindex: '-1' }, _('Backup'))),

      h('section', { class: 'group', 'aria-labelledby': 'backup-card-title' },
        h('h2', { class: 'heading', id: 'backup-card-title' }, cardLabel(info)),
        h('ul', { class: 'boxed-list' },
          // The server's `updated` moves with every backup and every portal
          // edit; `last_backup`, when the server sends it, only with backups.
          info.last_backup ? propertyRow(_('Last backup'), formatTime(info.last_backup))
            : propertyRow(_('Last change'), formatTime(info.updated)),
          propertyRow(_('Card type'), cardTypeLabel(info.card_type)),
          propertyRow(_('ICCID'), iccid, 'monospace'),
          nContacts !== null ? propertyRow(_('Contacts'), String(nContacts)) : null,
          nMessages !== null ? propertyRow(_('Messages'), String(nMessages)) : null,
          info.registered ? propertyRow(_('Registered'), formatTime(info.registered)) : null,
          info.counter_a !== undefined ? propertyRow(_('Card sync counter'), String(info.counter_a)) : null,
          info.counter_b !== undefined ? propertyRow(_('Card changes of this number'), String(info.counter_b)) : null)),

      h('section', { class: 'group', 'aria-labelledby': 'backup-cards-title' },
        h('h2', { class: 'heading', id: 'backup-cards-title' }, _('Cards of This Number')),
        h('p', { class: 'dim group-description' },
          _('When you move to a new SIM card, the backup of the old one is kept here.')),
        h('ul', { class: 'boxed-list' }, cardRows)),

      h('section', { class: 'group', 'aria-labelledby': 'backup-download-title' },
        h('h2', { class: 'heading', id: 'backup-download-title' }, _('Download')),
        h('div', { class: 'button-row' },
          h('a', { class: 'button', id: 'download-vcard', href: api.exportUrl(iccid, 'vcf'),
                   download: `contacts-${iccid}.vcf` }, icon('download'), h('span', null, _('Contacts as vCard'))),
          h('a', { class: 'button', id: 'download-csv', href: api.exportUrl(iccid, 'csv'),
                   download: `contacts-${iccid}.csv` }, icon('download'), h('span', null, _('Contacts as CSV'))))),

      h('section', { class: 'group danger', 'aria-labelledby': 'backup-delete-title' },
        h('h2', { class: 'heading', id: 'backup-delete-title' }, _('Delete Backup')),
        h('p', { class: 'dim group-description' },
          _('Removes this card’s contacts and messages from the server. Your SIM card is not changed.')),
        h('button', { type: 'button', class: 'destructive', id: 'deregister', onclick: deregister },
          icon('delete'), h('span', null, _('Delete Backup…'))))));
}
