#!/usr/bin/env bash
# Fails when a string of po/POTFILES.in has no translation in the given
# catalogue, or a translation is fuzzy or does not compile.
# Usage: check-translations.sh SOURCE_ROOT LANG
set -euo pipefail
root=$1
lang=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
grep -v '^#' po/POTFILES.in | sed '/^$/d' > "$work/files"
xgettext --files-from="$work/files" --directory="$root" --output="$work/simvault.pot" \
  --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
  --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --flag=g_strdup_printf:1:c-format \
  --package-name=simvault
msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$work/simvault.pot" --output-file="$work/$lang.po"
msgfmt --check --output-file=/dev/null "po/$lang.po"

untranslated=$(msgattrib --untranslated --no-obsolete "$work/$lang.po" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "po/$lang.po" | grep -c '^msgid ' || true)
# msgattrib prints the header entry (msgid "") whenever it prints anything.
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
total=$(grep -c '^msgid ' "$work/simvault.pot")
total=$((total - 1))

echo "1..1"
if [ "$untranslated" -eq 0 ] && [ "$fuzzy" -eq 0 ]; then
  echo "ok 1 - $lang translates all $total strings"
  exit 0
fi
echo "not ok 1 - $lang: $untranslated of $total strings untranslated, $fuzzy fuzzy"
msgattrib --untranslated --no-obsolete "$work/$lang.po" | grep '^msgid ' | sed 's/^/# /'
exit 1
