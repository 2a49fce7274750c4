#!/usr/bin/env bash
# Extract the UI strings (msgids are the Chinese text), merge them into the English
# catalog, and compile it. Run after changing UI strings; commit the .po and .mo.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
$PYBABEL extract -F babel.cfg -k _l -k lazy_gettext -k _ -o core/translations/messages.pot --no-location --sort-output .
if [ -f core/translations/en/LC_MESSAGES/messages.po ]; then
  $PYBABEL update -i core/translations/messages.pot -d core/translations -l en --no-fuzzy-matching
else
  $PYBABEL init -i core/translations/messages.pot -d core/translations -l en
fi
$PYBABEL compile -d core/translations
