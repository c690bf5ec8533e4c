#!/usr/bin/env bash
# Install everything the tests need and run lint, types, import contracts and the test suite.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
# The calendar's browser tests drive Debian's Chromium (Playwright cannot download one here).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  else
    echo "Chromium is missing: run 'sudo apt-get install -y chromium' for the browser tests." >&2
  fi
fi
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check .
echo "== mypy"; mypy
echo "== import contracts"; lint-imports
echo "== pytest"
pytest -q -p no:cacheprovider "$@"
