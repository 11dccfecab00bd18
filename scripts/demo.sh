#!/usr/bin/env bash
# Installs and builds what the demo needs, then runs it: `scripts/demo.sh --once` tears down afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/cli/main.js demo "$@"
