#!/usr/bin/env bash
# The benchmark report: installs what is missing, builds the load generators (-c opt), starts a
# throwaway PostgreSQL, runs mef_load, maf_load and fetch_benchmark at several concurrency levels
# and writes bench-report/README.md with SVG charts. Options: see tests/bench/report.py --help.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/install_deps.sh
exec /usr/bin/python3 tests/bench/report.py "$@"
