#!/usr/bin/env bash
# Rebuild the message catalogs: extract every string the app shows, merge them into each
# language's catalog (ui/locales/<code>/LC_MESSAGES/messages.po), compile the .mo files.
# A new language: `bash scripts/i18n.sh init CODE` (e.g. fr), translate its messages.po, run
# `bash scripts/i18n.sh` again, commit the .po and the .mo. tests/test_i18n.py checks the result.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
POT="$(mktemp --suffix=.pot)"
trap 'rm -f "$POT"' EXIT
export PYTHONPATH=.
# Babel warns about every f-string inside a _() call, also the ones that only format a
# placeholder's value (_("MSE {mse}", mse=f"{x:.5f}")); tests/test_i18n.py fails on an f-string
# message itself, so those warnings are left out here.
"$PYBABEL" --quiet extract -F babel.cfg --no-location --sort-output -c TRANSLATORS: \
  --project "Latent Lab" --copyright-holder "Latent Lab" -o "$POT" . 2>&1 | { grep -v "Skipping f-string" || true; } >&2
if [[ "${1:-}" == "init" ]]; then
  "$PYBABEL" init -i "$POT" -d ui/locales -l "$2"
fi
"$PYBABEL" update -i "$POT" -d ui/locales --no-fuzzy-matching --ignore-obsolete
"$PYBABEL" compile -d ui/locales --statistics
