#!/usr/bin/env bash
# Installs wuguan and its test extras into .venv, then runs the suite on SQLite and
# again on PostgreSQL, each time followed by the example plugin's own tests
# (examples/wuguan-grid). The example is installed into .venv/examples, a virtual
# environment layered on .venv (it sees .venv's packages through a .pth file): installed
# into .venv itself it would load in every app of the main suite, whose tests count the
# plugins and categories of a plain installation. Under CI=true the PostgreSQL run always
# happens and its service tests fail rather than skip when a server is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# PDFs embed a CJK font from Debian's fonts-wqy-microhei (see core/bulletins.py).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ -z "${WUGUAN_PDF_FONT:-}" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null
fi
# The browser tests drive Debian's Chromium (Playwright's own browser download is not used);
# Chinese text needs a CJK font. Installed here when missing and we may.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium and fonts-noto-cjk for the browser tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
fi
EXAMPLES=.venv/examples
if [ ! -x "$EXAMPLES/bin/python" ]; then
  .venv/bin/python -m venv --without-pip "$EXAMPLES"
  echo "import site; site.addsitedir('$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")')" \
    > "$("$EXAMPLES/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/wuguan-base.pth"
fi
"$EXAMPLES/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e examples/wuguan-grid
example_tests() { (cd examples/wuguan-grid && "../../$EXAMPLES/bin/python" -m pytest -q); }
export WUGUAN_STRICT_PLUGINS=1
PG_URL=${WUGUAN_POSTGRES_URL:-postgresql://127.0.0.1:5432/test}

# Plugins import wuguan only through core.plugin_api, and core never imports a plugin ([tool.importlinter]
# in pyproject.toml); the example holds itself to the same in its own pyproject.toml, its package found
# on PYTHONPATH, installed or not.
echo "== import contracts"
.venv/bin/lint-imports --no-cache
(cd examples/wuguan-grid && PYTHONPATH=. ../../.venv/bin/lint-imports --no-cache)

echo "== tests on SQLite"
env -u WUGUAN_TEST_DATABASE_URL .venv/bin/python -m pytest "$@"
echo "== examples/wuguan-grid on SQLite"
(unset WUGUAN_TEST_DATABASE_URL; example_tests)

if [ "${CI:-}" = "true" ] || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "== tests on PostgreSQL ($PG_URL)"
  WUGUAN_TEST_DATABASE_URL=$PG_URL .venv/bin/python -m pytest "$@"
  echo "== examples/wuguan-grid on PostgreSQL"
  WUGUAN_TEST_DATABASE_URL=$PG_URL example_tests
else
  echo "== PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run is skipped"
fi
