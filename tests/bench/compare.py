#!/usr/bin/python3
"""Before/after comparison of two builds of the load generators, in the same run.

  git worktree add /tmp/before <base commit>
  (cd /tmp/before && bazel build -c opt //tests/bench:mef_load //tests/bench:maf_load \\
       //mef/credential:fetch_benchmark)   # copy the three binaries into BEFORE_DIR
  bazel build -c opt ... (this tree)       # copy them into AFTER_DIR
  eval "$(bash tests/pg/start_pg.sh)"
  python3 tests/bench/compare.py --before=BEFORE_DIR --after=AFTER_DIR --rounds=3 \\
      --tools=mef,maf,fetch --concurrency=64 --seconds=5 --out=compare.md

Each round runs every tool once with the "before" binaries and once with the "after" ones, the
order alternating between rounds (before first in even rounds), so both builds see the same
machine load on average; the table gives each figure's median over the rounds and the 1-minute
load average seen at the start of each run and the highest share of CPU time the hypervisor
stole from a phase (the machines are shared: a ratio is only worth comparing with the other ratios
of its run). Every generator measures its own baseline (bare
OpenSSL, or the fastest empty gRPC call) in the same run, and those in-run ratios are what the
targets of issue 14 are about; the absolute rates are shown to make the ratios' causes visible.
docs/performance.md has the figures this produced.

--tools=mefsrv drives each build's real mef_server binary (BEFORE_DIR/mef_server,
AFTER_DIR/mef_server) with one load generator, --mef_load (default AFTER_DIR/mef_load --mef_server),
so both builds meet the same raw TLS and DTLS clients and the same bare TLS and DTLS baselines
even when the older mef_load had no DTLS baseline. Each build's server gets its own database
(--mefsrv_pg_before/--mefsrv_pg_after). An older mef_server that lacks flags mef_load passes is
wrapped with tests/bench/compat_wrap.sh (docs/performance.md, "Issue 13 refactor: before/after").
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

BINARIES = {"mef": "mef_load", "maf": "maf_load", "fetch": "fetch_benchmark",
            "mefsrv": "mef_server"}

# (label, how to pull the figure out of one run's JSON)
def case(needle, field):
    def get(run):
        for c in run["cases"]:
            if needle in c["name"]:
                return c.get(field)
        return None
    return get


def little(needle):
    """clients / rate of the case, in ms: the mean latency its rate implies (Little's law)."""
    clients, rate = case(needle, "concurrency"), case(needle, "rate")
    def get(run):
        seconds = _div(clients(run), rate(run))
        return None if seconds is None else 1e3 * seconds
    return get


def ratio(name):
    return lambda run: run["ratios"].get(name)


FIGURES = {
    "mef": [
        ("MEF TLS / bare TLS (ratio)", ratio("mef_tls_over_baseline")),
        ("MEF DTLS / bare DTLS (ratio)", ratio("mef_dtls_over_baseline")),
        ("MEF TLS enrolments/s", case("MEF TLS (raw client)", "rate")),
        ("MEF TLS p50 ms", case("MEF TLS (raw client)", "p50_ms")),
        ("MEF TLS p99 ms", case("MEF TLS (raw client)", "p99_ms")),
        ("MEF TLS server CPU us/op", case("MEF TLS (raw client)", "server_cpu_us_per_op")),
        ("MEF DTLS (raw client) enrolments/s", case("MEF DTLS (raw", "rate")),
        ("MEF DTLS (raw client) p50 ms", case("MEF DTLS (raw", "p50_ms")),
        ("MEF DTLS (raw client) p99 ms", case("MEF DTLS (raw", "p99_ms")),
        ("MEF DTLS (raw client) server CPU us/op", case("MEF DTLS (raw", "server_cpu_us_per_op")),
        ("MEF DTLS (enrolee::Bootstrap) enrolments/s", case("MEF DTLS (enrolee", "rate")),
        ("MEF DTLS (enrolee::Bootstrap) p50 ms", case("MEF DTLS (enrolee", "p50_ms")),
        ("MEF DTLS (enrolee::Bootstrap) p99 ms", case("MEF DTLS (enrolee", "p99_ms")),
        # Builds older than the bare DTLS baseline have only the bare TLS one: this ratio exists
        # in both, so a DTLS figure of an old build can still be set against its own run.
        ("MEF DTLS (enrolee::Bootstrap) / bare TLS (ratio)",
         lambda r: _div(case("MEF DTLS (enrolee", "rate")(r),
                        case("bare OpenSSL TLS-PSK baseline", "rate")(r))),
        ("MEF DTLS (enrolee::Bootstrap) server CPU us/op",
         case("MEF DTLS (enrolee", "server_cpu_us_per_op")),
        ("bare TLS enrolments/s", case("bare OpenSSL TLS-PSK baseline", "rate")),
        # Little's law for closed-loop clients: no server can answer these clients with a mean
        # latency below clients / rate at the bare server's rate (tests/bench/report.py).
        ("bare TLS clients/rate ms (lowest mean latency at its rate)",
         little("bare OpenSSL TLS-PSK baseline")),
        ("MEF TLS clients/rate ms", little("MEF TLS (raw client)")),
        ("bare TLS server CPU us/op", case("bare OpenSSL TLS-PSK baseline", "server_cpu_us_per_op")),
        ("bare DTLS enrolments/s", case("bare OpenSSL DTLS-PSK baseline", "rate")),
        ("bare DTLS server CPU us/op",
         case("bare OpenSSL DTLS-PSK baseline", "server_cpu_us_per_op")),
    ],
    "maf": [
        ("first contact / KmID (ratio)", lambda r: _div(case("phase 1", "rate")(r),
                                                         case("phase 2", "rate")(r))),
        ("KmID / bare (ratio)", ratio("kmid_over_baseline")),
        ("first contact / bare (ratio)", ratio("first_contact_over_baseline")),
        ("first contact /s", case("phase 1", "rate")),
        ("first contact p50 ms", case("phase 1", "p50_ms")),
        ("first contact p99 ms", case("phase 1", "p99_ms")),
        ("first contact MAF CPU us/op", case("phase 1", "server_cpu_us_per_op")),
        ("KmID handshakes/s", case("phase 2", "rate")),
        ("KmID p50 ms", case("phase 2", "p50_ms")),
        ("KmID p99 ms", case("phase 2", "p99_ms")),
        ("KmID MAF CPU us/op", case("phase 2", "server_cpu_us_per_op")),
        ("bare handshakes/s", case("phase 3", "rate")),
    ],
    "fetch": [
        ("fetch (pg) / fastest empty (ratio)", ratio("fetch (pg store) / fastest empty call")),
        ("fetch (memory) / fastest empty (ratio)",
         ratio("fetch (memory store) / fastest empty call")),
        ("fetch (pg) calls/s", case("fetch (pg store)", "rate")),
        ("fetch (pg) p50 ms", case("fetch (pg store)", "p50_ms")),
        ("fetch (pg) p99 ms", case("fetch (pg store)", "p99_ms")),
        ("fetch (memory) calls/s", case("fetch (memory store)", "rate")),
        ("fastest empty call/s", lambda r: max((c["rate"] for c in r["cases"]
                                                if c["name"].startswith("empty call")),
                                               default=None)),
    ],
}


def steal_pct(run):
    """The highest share of the machine's CPU time the hypervisor gave to other guests during one
    of the run's phases, in percent (None for builds whose generators do not record it): a round
    with a high figure was slowed by the host, not by the build."""
    shares = [c["steal_share"] for c in run["cases"] if "steal_share" in c]
    return 100 * max(shares) if shares else None


# mefsrv: one load generator (--mef_load, this tree's) against each build's real mef_server
# binary, so both builds meet the same clients and the same bare TLS and DTLS baselines.
FIGURES["mefsrv"] = FIGURES["mef"]


def _div(a, b):
    return a / b if a is not None and b else None


def args_for(tool, a, pg):
    c, s = a.concurrency, a.seconds
    if tool in ("mef", "mefsrv"):
        return ["--pg=" + pg, "--enrolees=%d" % a.devices, "--transport=both", "--baseline",
                "--concurrency=%d" % c, "--duration=%ds" % s]
    if tool == "maf":
        return ["--pg=" + pg, "--devices=%d" % a.devices, "--phases=first,kmid,baseline",
                "--concurrency=%d" % c, "--duration=%ds" % s]
    return ["--callers=%d" % c, "--seconds=%d" % s, "--rounds=1", "--enrolments=%d" % a.devices]


def run_one(binary, tool, a, pg, work):
    if tool == "mefsrv":
        # The server binary is the build under test; the load generator is always --mef_load.
        # mef_server serves from its database's default schema: one database per build.
        return _run(a.mef_load, tool, a, pg, work, ["--mef_server=" + str(binary)])
    return _run(binary, tool, a, pg, work, [])


def _run(binary, tool, a, pg, work, extra):
    # Every run keeps its JSON and log in the work folder (printed at the end).
    n = len(list(work.glob("%s-*.json" % tool)))
    out = work / ("%s-%03d.json" % (tool, n))
    load = os.getloadavg()[0]
    env = dict(os.environ, ONEM2M_TEST_PG=pg)
    cmd = [str(binary)] + args_for(tool, a, pg) + extra + ["--json_out=" + str(out)]
    print("+ " + " ".join(cmd), flush=True)
    log = subprocess.run(cmd, env=env, capture_output=True, text=True)
    out.with_suffix(".log").write_text(" ".join(cmd) + "\n" + log.stdout + log.stderr)
    if log.returncode != 0 or not out.exists():
        sys.stderr.write(log.stdout[-3000:] + log.stderr[-3000:])
        raise SystemExit("%s failed" % cmd[0])
    run = json.loads(out.read_text())
    run["load"] = load
    return run


def fmt(v):
    if v is None:
        return "-"
    return "%.2f" % v if abs(v) < 10 else "%.0f" % v


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tools", default="mef,maf,fetch")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--devices", type=int, default=8000)
    p.add_argument("--pg", default=os.environ.get("ONEM2M_TEST_PG", ""))
    p.add_argument("--out", default="")
    p.add_argument("--mef_load", default="",
                   help="mefsrv: the load generator (default: AFTER/mef_load)")
    p.add_argument("--mefsrv_pg_before", default="",
                   help="mefsrv: database of the before mef_server (default: --pg)")
    p.add_argument("--mefsrv_pg_after", default="",
                   help="mefsrv: database of the after mef_server (default: --pg)")
    a = p.parse_args()
    if not a.pg:
        raise SystemExit("--pg or ONEM2M_TEST_PG required")
    tools = [t for t in a.tools.split(",") if t]
    if not a.mef_load:
        a.mef_load = str(pathlib.Path(a.after) / "mef_load")
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-compare-"))
    runs = {t: {"before": [], "after": []} for t in tools}
    for r in range(a.rounds):
        for t in tools:
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for which in order:
                binary = pathlib.Path(getattr(a, which)) / BINARIES[t]
                pg = a.pg
                if t == "mefsrv":
                    pg = getattr(a, "mefsrv_pg_" + which) or a.pg
                runs[t][which].append(run_one(binary, t, a, pg, work))
    lines = ["# Before/after, same run", "",
             "Medians over %d interleaved rounds, %d concurrent clients, %d s per phase; "
             "`--before=%s --after=%s`." % (a.rounds, a.concurrency, a.seconds, a.before, a.after),
             ""]
    for t in tools:
        b, f = runs[t]["before"], runs[t]["after"]
        title = BINARIES[t] if t != "mefsrv" else "mef_server (driven by %s)" % a.mef_load
        lines += ["## %s" % title, "",
                  "| figure | before (median) | after (median) | after / before | before rounds | after rounds |",
                  "|---|---|---|---|---|---|"]
        for label, get in FIGURES[t] + [("highest steal of a phase (%)", steal_pct)]:
            bv = [get(x) for x in b if get(x) is not None]
            av = [get(x) for x in f if get(x) is not None]
            if not bv and not av:
                continue
            bm = statistics.median(bv) if bv else None
            am = statistics.median(av) if av else None
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                label, fmt(bm), fmt(am), fmt(_div(am, bm)),
                " ".join(fmt(v) for v in bv), " ".join(fmt(v) for v in av)))
        lines.append("| load average (1 min) at start | %s | %s | | %s | %s |" % (
            fmt(statistics.median(x["load"] for x in b)), fmt(statistics.median(x["load"] for x in f)),
            " ".join(fmt(x["load"]) for x in b), " ".join(fmt(x["load"]) for x in f)))
        lines.append("")
    text = "\n".join(lines) + "\n"
    print(text)
    print("raw JSON and logs: %s" % work)
    if a.out:
        pathlib.Path(a.out).write_text(text)


if __name__ == "__main__":
    main()
