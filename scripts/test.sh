#!/usr/bin/env bash
# Install everything the tests need and run lint, types, import contracts and the test suite.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check .
echo "== mypy"; mypy
echo "== import contracts"; lint-imports
echo "== pytest"
pytest -q -p no:cacheprovider "$@"
