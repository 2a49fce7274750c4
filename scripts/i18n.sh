#!/usr/bin/env bash
# Extract the UI strings (msgids are the Chinese text) of core and of each built-in
# plugin, merge them into that package's English catalog, and compile it.
# Run after changing UI strings; commit the .po and .mo files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=$(realpath "${PYBABEL:-.venv/bin/pybabel}")
KEYWORDS=(-k _l -k lazy_gettext -k _)

catalog() {  # catalog <source dir> <mapping file> <translations dir>
  local src=$1 cfg=$2 out=$3
  mkdir -p "$out"
  (cd "$src" && "$PYBABEL" extract -F "$cfg" "${KEYWORDS[@]}" -o "$out/messages.pot" --no-location --sort-output .)
  if [ -f "$out/en/LC_MESSAGES/messages.po" ]; then
    "$PYBABEL" update -i "$out/messages.pot" -d "$out" -l en --no-fuzzy-matching
  else
    "$PYBABEL" init -i "$out/messages.pot" -d "$out" -l en
  fi
  "$PYBABEL" compile -d "$out"
}

catalog . "$PWD/babel.cfg" "$PWD/core/translations"
for plugin in plugins/*/; do
  catalog "$plugin" "$PWD/babel-plugin.cfg" "$PWD/${plugin}translations"
done
