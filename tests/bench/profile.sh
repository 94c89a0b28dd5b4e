#!/usr/bin/env bash
# Profiles the server side of one load generator run with perf (Debian linux-perf): starts the
# generator, finds the server process it forks (the line "MEF child pid N" / "MAF child pid N";
# fetch_benchmark serves in its own process, so that one), records it with call graphs until it
# exits, and writes the top symbols by self time, by shared object, and the call paths into them.
# docs/performance.md explains what the profiles showed.
#
#   bazel build -c opt //tests/bench:mef_load //tests/bench:maf_load //mef/credential:fetch_benchmark
#   eval "$(bash tests/pg/start_pg.sh)"
#   bash tests/bench/profile.sh /tmp/prof-mef MEF bazel-bin/tests/bench/mef_load \
#       --pg="$ONEM2M_TEST_PG" --enrolees=3000 --transport=tls --baseline=false \
#       --concurrency=64 --duration=10s
#   bash tests/bench/profile.sh /tmp/prof-maf MAF bazel-bin/tests/bench/maf_load \
#       --pg="$ONEM2M_TEST_PG" --devices=20000 --phases=first --concurrency=64 --duration=10s
#   bash tests/bench/profile.sh /tmp/prof-base BASE bazel-bin/tests/bench/maf_load \
#       --pg="$ONEM2M_TEST_PG" --devices=8000 --phases=baseline --concurrency=64 --duration=10s
#   bash tests/bench/profile.sh /tmp/prof-fetch SELF bazel-bin/mef/credential/fetch_benchmark \
#       --cases=pg --callers=64 --seconds=8
#
# WHO is MEF, MAF or BASE (maf_load's bare OpenSSL server: the forked child named so in the
# generator's output) or SELF (the
# generator's own process). Output in OUT: run.log (the generator's output), perf.data,
# top.txt (symbols by self time), dso.txt (by shared object), callers.txt (call graph).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OUT MEF|MAF|SELF generator [generator args...]" >&2
  exit 2
fi
out=$1 who=$2
shift 2
mkdir -p "$out"
command -v perf >/dev/null || {
  echo "perf missing: bash deploy/local/install_deps.sh (linux-perf)" >&2
  exit 1
}

"$@" >"$out/run.log" 2>&1 &
gen=$!
pid=""
if [ "$who" = SELF ]; then
  pid=$gen
else
  for _ in $(seq 1 600); do
    pid=$(sed -n "s/.*$who child pid \([0-9]\+\).*/\1/p" "$out/run.log" | head -n 1)
    [ -n "$pid" ] && break
    kill -0 "$gen" 2>/dev/null || break
    sleep 0.2
  done
fi
if [ -z "$pid" ]; then
  echo "no '$who child pid' line; see $out/run.log" >&2
  wait "$gen" || true
  exit 1
fi
# DWARF unwinding: the project is built without frame pointers and so are Debian's libssl,
# libgrpc and libpq; their .eh_frame is enough to walk the stack.
perf record -q -F 999 --call-graph dwarf,32768 -p "$pid" -o "$out/perf.data" 2>"$out/perf.err" &
rec=$!
wait "$gen" || echo "generator exited with $?" >&2
# The generator kills its children when done, which ends the recording; SELF ends with it.
kill -INT "$rec" 2>/dev/null || true
wait "$rec" 2>/dev/null || true
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.5 \
  2>/dev/null >"$out/top.txt"
perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null >"$out/dso.txt"
perf report -i "$out/perf.data" --children --sort symbol --stdio -g caller,0.5,callee,function,percent \
  --percent-limit 3 2>/dev/null >"$out/callers.txt"
grep -E '^ +[0-9]' "$out/top.txt" | head -n 40
echo "profile of pid $pid in $out (top.txt, dso.txt, callers.txt)"
