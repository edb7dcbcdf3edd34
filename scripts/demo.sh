#!/usr/bin/env bash
# Quick start: install into ./.venv, then run the demo (the emulator, 90 days, into ./demo.db).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
exec .venv/bin/fitbit-sync demo "$@"
