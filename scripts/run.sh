#!/usr/bin/env bash
# Install what Outpost needs and run it (web + worker) against local Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/outpost run "$@"
