#!/usr/bin/env bash
# Create .venv and install Outpost into it. Usage: scripts/setup.sh [extra], e.g. "dev".
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
target="."
[ -n "${1:-}" ] && target=".[$1]"
stamp=".venv/.installed-${1:-base}"
# Reinstall only when pyproject.toml changed since the last install.
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
  touch "$stamp"
fi
