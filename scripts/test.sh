#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (unit, datapath, lab end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> benchmarks, smoke size (they still build, run, and agree with their baselines)"
npx tsc -p bench
CAIRN_BENCH_SMOKE=1 node dist-bench/bench/run.js
echo "==> running tests"
mapfile -t specs < <(find dist -name '*.spec.js' | sort)
[ ${#specs[@]} -gt 0 ] || { echo "no test files found under dist/" >&2; exit 1; }
# One file at a time: the lab tests share the machine's namespaces and the lab state directory.
exec node --test --test-concurrency=1 "${specs[@]}"
