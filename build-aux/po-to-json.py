#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turns a gettext catalogue (po/zh_CN.po) into the JSON catalogue of the web
portal: {"msgid": "translation", "singular": ["form 0", ...]} for exactly the
strings that the portal's JavaScript marks with _('...') or
ngettext('...', '...', n). Fuzzy and untranslated entries are left out (the
page then shows English); tests/data/check-translations.sh is what fails on
them.

Usage: po-to-json.py OUTPUT.json CATALOGUE.po FILE.js...
"""

import json
import re
import sys

JS_STRING = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
CALL_RE = re.compile(r"(?<![\w$.])(_|ngettext)\s*\(\s*(" + JS_STRING + r")")
JS_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', 'v': '\v', '0': '\0'}


def js_unquote(literal):
    body = literal[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == 'u':
            if body[i + 2] == '{':
                end = body.index('}', i)
                out.append(chr(int(body[i + 3:end], 16)))
                i = end + 1
            else:
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
            continue
        if n == 'x':
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
            continue
        out.append(JS_ESCAPES.get(n, n))
        i += 2
    return ''.join(out)


def js_msgids(paths):
    ids = set()
    for path in paths:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for m in CALL_RE.finditer(text):
            ids.add(js_unquote(m.group(2)))
    return ids


PO_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'a': '\a', 'b': '\b',
              'f': '\f', 'v': '\v'}


def po_unquote(s):
    s = s.strip()
    if not (s.startswith('"') and s.endswith('"')):
        raise ValueError(f'not a PO string: {s!r}')
    body = s[1:-1]
    out = []
    i = 0
    while i < len(body):
        if body[i] == '\\' and i + 1 < len(body):
            out.append(PO_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return ''.join(out)


def parse_po(path):
    """Yields (msgid, msgid_plural, [msgstr...], fuzzy) for every live entry."""
    entries = []
    entry = None
    current = None

    def finish():
        if entry is not None and 'msgid' in entry:
            entries.append(entry)

    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if line.startswith('#~'):
                continue
            if line.startswith('#,'):
                finish()
                entry = {'fuzzy': 'fuzzy' in line, 'msgstr': {}}
                current = None
                continue
            if line.startswith('#') or line.strip() == '':
                continue
            m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
            if m:
                key, idx, value = m.group(1), m.group(2), m.group(3)
                # An entry starts at its msgctxt or msgid, unless a flags
                # line (#,) or its msgctxt already started it.
                if key in ('msgid', 'msgctxt') and (entry is None or 'msgid' in entry):
                    finish()
                    entry = {'fuzzy': False, 'msgstr': {}}
                if key.startswith('msgstr'):
                    current = ('msgstr', int(idx) if idx else 0)
                    entry['msgstr'][current[1]] = po_unquote(value)
                else:
                    current = (key, None)
                    entry[key] = po_unquote(value)
                continue
            if line.startswith('"') and current is not None:
                if current[0] == 'msgstr':
                    entry['msgstr'][current[1]] += po_unquote(line)
                else:
                    entry[current[0]] += po_unquote(line)
                continue
            raise ValueError(f'{path}: cannot parse line {line!r}')
    finish()
    return entries


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_path, po_path, js_paths = argv[0], argv[1], argv[2:]
    wanted = js_msgids(js_paths)
    catalog = {}
    for e in parse_po(po_path):
        msgid = e['msgid']
        if msgid == '' or e['fuzzy'] or 'msgctxt' in e or msgid not in wanted:
            continue
        forms = [e['msgstr'][k] for k in sorted(e['msgstr'])]
        if not forms or any(f == '' for f in forms):
            continue
        catalog[msgid] = forms if 'msgid_plural' in e else forms[0]
    missing = sorted(wanted - set(catalog))
    for msgid in missing:
        print(f'po-to-json: warning: no translation for {msgid!r}', file=sys.stderr)
    with open(out_path, 'w', encoding='utf-8') as f:
        json.dump(catalog, f, ensure_ascii=False, sort_keys=True, indent=0)
        f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
