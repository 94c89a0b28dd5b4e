#!/usr/bin/env bash
# The project's test command: installs what is missing, starts a throwaway PostgreSQL on loopback,
# runs every Bazel test against it, prints `N passed, N failed, N skipped`, stops what it started,
# and exits non-zero on any failure.
#
#   bash tests/run.sh                 # everything
#   bash tests/run.sh //common/...    # a subset
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

bash deploy/local/install_deps.sh || { echo "dependency install failed"; exit 1; }

# The shared protocol folder sits beside the repository in the team's layout; tests that use it
# (the Helm chart tools) find it through ONEM2M_SHARED_DIR and report skipped without it.
if [ -z "${ONEM2M_SHARED_DIR:-}" ] && [ -d "$ROOT/../shared" ]; then
  export ONEM2M_SHARED_DIR="$(cd "$ROOT/../shared" && pwd)"
fi
if [ -n "${ONEM2M_SHARED_DIR:-}" ] && [ -f "$ONEM2M_SHARED_DIR/vectors/derivation.json" ]; then
  if ! cmp -s "$ONEM2M_SHARED_DIR/vectors/derivation.json" tests/vectors/derivation.json; then
    echo "tests/vectors/derivation.json differs from the shared vectors; copy the new ones in" >&2
    exit 1
  fi
fi

PG_ENV=$(bash tests/pg/start_pg.sh) || { echo "could not start PostgreSQL"; exit 1; }
eval "$PG_ENV"
cleanup() { bash tests/pg/stop_pg.sh >/dev/null 2>&1 || true; bazel shutdown >/dev/null 2>&1 || true; }
trap cleanup EXIT

MARKER=$(mktemp)
sleep 1  # mtime granularity: results written in this run are strictly newer than the marker.
TARGETS=("$@")
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=(//...)
bazel test --test_env=ONEM2M_TEST_PG="$ONEM2M_TEST_PG" --test_env=ONEM2M_SHARED_DIR="${ONEM2M_SHARED_DIR:-}" \
  "${TARGETS[@]}"
RC=$?
python3 tests/ci/count_results.py "$(bazel info bazel-testlogs 2>/dev/null)" "$MARKER"
COUNT_RC=$?
rm -f "$MARKER"
if [ "$RC" -eq 0 ] && [ "$COUNT_RC" -ne 0 ]; then RC=$COUNT_RC; fi
exit "$RC"
