// SPDX-License-Identifier: GPL-3.0-or-later
//
// Translations for the portal. The strings are marked with _() and
// ngettext() so that xgettext (po/POTFILES.in) extracts them into the
// project's catalogue; build-aux/po-to-json.py turns po/zh_CN.po into
// i18n/zh_CN.json at build time, and that file is compiled into the
// server's GResource next to this one.

const SUPPORTED = ['zh_CN'];

let catalog = null;
let language = 'en';

/* Picks the first language of the browser that the portal has: English
 * or Simplified Chinese. Traditional Chinese variants fall through to the
 * next language of the list (English by default). */
export function chooseLanguage (languages) {
  for (const tag of languages || []) {
    const lower = String(tag).toLowerCase();
    if (lower === 'en' || lower.startsWith('en-'))
      return 'en';
    if (lower === 'zh' || lower.startsWith('zh-')) {
      if (/^zh-(hant|tw|hk|mo)\b/.test(lower))
        continue;
      return 'zh_CN';
    }
  }
  return 'en';
}

export async function initI18n () {
  const wanted = chooseLanguage(navigator.languages && navigator.languages.length
                                ? navigator.languages : [navigator.language]);
  if (SUPPORTED.includes(wanted)) {
    try {
      const response = await fetch(`i18n/${wanted}.json`, { credentials: 'same-origin' });
      if (response.ok) {
        catalog = await response.json();
        language = wanted;
      }
    } catch (e) {
      catalog = null;   // stay in English: better than no page at all
    }
  }
  document.documentElement.lang = language === 'zh_CN' ? 'zh-CN' : 'en';
  return language;
}

export function currentLanguage () {
  return language;
}

/* The BCP 47 tag for Intl formatting. */
export function locale () {
  return language === 'zh_CN' ? 'zh-CN' : 'en';
}

export function _ (msgid) {
  if (catalog && Object.prototype.hasOwnProperty.call(catalog, msgid)) {
    const t = catalog[msgid];
    if (typeof t === 'string' && t !== '')
      return t;
  }
  return msgid;
}

export function ngettext (singular, plural, n) {
  if (catalog && Object.prototype.hasOwnProperty.call(catalog, singular)) {
    const t = catalog[singular];
    // zh_CN has one plural form; the JSON stores the list of forms.
    if (Array.isArray(t) && t.length > 0 && t[0] !== '')
      return t[0];
  }
  return n === 1 ? singular : plural;
}

/* Replaces %s / %d in order, like printf for the cases the portal uses.
 * The arguments are inserted as text: callers put the result into
 * textContent, never into HTML. */
export function format (template, ...args) {
  let i = 0;
  return template.replace(/%[sd%]/g, (m) => {
    if (m === '%%')
      return '%';
    const v = args[i++];
    return v === undefined ? '' : String(v);
  });
}
