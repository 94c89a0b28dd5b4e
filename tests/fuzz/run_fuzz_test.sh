#!/usr/bin/env bash
# Test wrapper for one fuzz target: run_fuzz_test.sh BINARY CORPUS_DIR SECONDS
#   SECONDS == 0: replay every corpus file once (normal build, replay_main.cc).
#   SECONDS  > 0: libFuzzer for SECONDS from a writable copy of the corpus (--config=fuzz);
#                 any crash, leak, timeout or sanitizer report fails the test and the reproducer
#                 is kept in the test's undeclared outputs.
set -euo pipefail
bin=$1 corpus=$2 seconds=$3
if [ "$seconds" = 0 ]; then
  exec "$bin" "$corpus"
fi
work=${TEST_TMPDIR:-$(mktemp -d)}/corpus
mkdir -p "$work"
cp -r "$corpus"/. "$work"/
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$work/..}
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$out/" "$work"
