#!/usr/bin/env bash
# Long fuzzing campaign over every target in //tests/fuzz (libFuzzer, clang 14, ASan + UBSan).
# Builds with --config=fuzz, runs each target for SECONDS at the lowest CPU priority, then prints
# per target: executions, coverage (cov: edges, ft: features), corpus size and crashes, and the
# total executions.
#
#   bash tests/fuzz/campaign.sh [-s SECONDS] [-j PARALLEL] [-w WORKDIR] [-u] [TARGET...]
#     -s  seconds per target (default 600)
#     -j  targets fuzzed at the same time (default 1)
#     -w  work directory: grown corpora, logs, crash reproducers (default /tmp/onem2m-fuzz)
#     -u  afterwards, minimise each grown corpus into tests/fuzz/corpus/<target> (-merge=1)
#   BAZEL_ARGS (env) is passed to bazel first, e.g. BAZEL_ARGS=--output_base=/tmp/ob_x.
#   FUZZ_BIN (env): use the fuzz binaries already built in this directory, do not build.
#
# Exit status 1 if any target crashed; reproducers are WORKDIR/<target>/crash-* etc. Turn each
# into a regression: fix the code, add a unit test beside it, and copy the reproducer into
# tests/fuzz/corpus/<target>/ so the normal build replays it.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=600 parallel=1 work=/tmp/onem2m-fuzz update=0
while getopts "s:j:w:u" o; do
  case $o in
    s) seconds=$OPTARG ;;
    j) parallel=$OPTARG ;;
    w) work=$OPTARG ;;
    u) update=1 ;;
    *) sed -n 2,18p "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=($(sed -n 's/^ *name = "\([a-z_]*_fuzzer\)",$/\1/p' tests/fuzz/BUILD))
fi
bin=${FUZZ_BIN:-}
if [ -z "$bin" ]; then
  # shellcheck disable=SC2086
  bazel ${BAZEL_ARGS:-} build --config=fuzz "${targets[@]/#/\/\/tests\/fuzz:}" || exit 1
  bin=$(bazel ${BAZEL_ARGS:-} info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz
fi
mkdir -p "$work"

run_one() {
  local t=$1 dir=$work/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -rn tests/fuzz/corpus/"$t"/. "$dir/corpus"/ 2>/dev/null
  nice -n 19 "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
done
wait

total=0 crashed=0
printf '%-24s %12s %8s %8s %8s %8s\n' target executions cov ft corpus crashes
for t in "${targets[@]}"; do
  dir=$work/$t
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE).*cov:' "$dir/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  [ "$(cat "$dir/rc")" != 0 ] && [ "$crashes" = 0 ] && crashes="rc=$(cat "$dir/rc")"
  [ "$crashes" != 0 ] && crashed=1
  printf '%-24s %12s %8s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
  total=$((total + ${execs:-0}))
  if [ "$update" = 1 ] && [ "$crashes" = 0 ]; then
    mkdir -p "$dir/merged"
    "$bin/$t" -merge=1 -max_len=4096 "$dir/merged" tests/fuzz/corpus/"$t" "$dir/corpus" >/dev/null 2>&1 &&
      cp -n "$dir/merged"/* tests/fuzz/corpus/"$t"/ 2>/dev/null
  fi
done
printf '%-24s %12s\n' total "$total"
exit "$crashed"
