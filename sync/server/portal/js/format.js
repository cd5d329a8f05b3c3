// SPDX-License-Identifier: GPL-3.0-or-later
//
// How values of the protocol are shown to people.

import { _, format, locale } from './i18n.js';

export function cardTypeLabel (type) {
  switch (String(type || '').toLowerCase()) {
  case 'usim':
    return _('USIM');
  case 'sim':
  case '2g':
  case 'gsm':
    return _('SIM');
  default:
    return type ? String(type).toUpperCase() : _('SIM');
  }
}

/* "USIM ···2345": the type and the last digits of the ICCID, enough to tell
 * the cards of one number apart. */
export function cardLabel (card) {
  const iccid = String(card.iccid || '');
  const label = format(_('%s ending %s'), cardTypeLabel(card.card_type), iccid.slice(-4));
  return card.replaced_by ? format(_('%s (replaced)'), label) : label;
}

export function formatTime (text) {
  if (!text)
    return _('Never');
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    return String(text);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function messageStatusLabel (status) {
  switch (status) {
  case 'read':
    return _('Read');
  case 'unread':
    return _('Unread');
  case 'sent':
    return _('Sent');
  case 'unsent':
  case 'not-sent':
    return _('Not sent');
  default:
    return status ? String(status) : '';
  }
}

export function compareText (a, b) {
  return String(a || '').localeCompare(String(b || ''), locale(), { sensitivity: 'base', numeric: true });
}

/* Case- and accent-insensitive substring search over several fields. */
export function matches (query, ...fields) {
  if (!query)
    return true;
  const q = query.toLocaleLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return fields.flat().some((f) => f !== undefined && f !== null &&
    String(f).toLocaleLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').includes(q));
}
