#!/usr/bin/python3
"""Runs every load generator and writes a benchmark report: Markdown plus SVG charts.

  bash tests/bench/report.sh              # short run (about 4 minutes on 2 cores)
  bash tests/bench/report.sh --long       # more concurrency levels, longer phases, more rounds
  bash tests/bench/report.sh --out=DIR    # default: bench-report/ (the README links an example)

Each load generator measures its own baseline in the same run (a bare OpenSSL PSK server, or the
fastest empty gRPC call), because the machines are shared and noisy: the report's ratios compare
figures taken minutes apart at most, never across runs. Figures come from the JSON each generator
writes with --json_out (tests/bench/load_kit.h WriteJsonReport, mef/credential/fetch_benchmark_report.cc).
raw/environment.json records the commit, the machine (CPU model, cores, kernel) and the OpenSSL and
PostgreSQL versions, and the report's first line names them, also when redrawn with --from-json.
Charts are drawn by matplotlib (Debian python3-matplotlib, installed by deploy/local/install_deps.sh).
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGETS = ["//tests/bench:mef_load", "//tests/bench:maf_load", "//mef/credential:fetch_benchmark"]

# The same MEF over its memory store (mef_load --mef_store=memory): what the MEF's own code allows
# on this machine with no database at all, so a reader sees how much of the gap to the bare server
# is the durable store's. Never a product figure.
MEMORY_LABEL = "MEF, no database (memory store: the ceiling)"

# Series drawn in each chart: (label, tool, substring of the case name, dashed = a baseline).
CHARTS = {
    "mef_tls": ("MEF enrolment over TLS 1.2-PSK", [
        ("MEF (PostgreSQL, durable)", "mef_load", "MEF TLS (raw client)", False),
        (MEMORY_LABEL, "mef_load", "MEF TLS (raw client, memory store)", False),
        ("bare OpenSSL, no store", "mef_load", "bare OpenSSL TLS-PSK baseline", True)]),
    "mef_dtls": ("MEF enrolment over DTLS 1.2-PSK", [
        ("MEF (PostgreSQL, durable)", "mef_load", "MEF DTLS (raw client)", False),
        (MEMORY_LABEL, "mef_load", "MEF DTLS (raw client, memory store)", False),
        ("bare OpenSSL, no store", "mef_load", "bare OpenSSL DTLS-PSK baseline", True)]),
    "maf_first_contact": ("MAF first contact and KmID handshakes", [
        ("first contact (KeID + MEF fetch + registration)", "maf_load", "phase 1", False),
        ("KmID handshake", "maf_load", "phase 2", False),
        ("bare OpenSSL handshake + export", "maf_load", "phase 3", True)]),
    "fetch": ("Credential fetch (gRPC, mutual TLS)", [
        ("fetch, PostgreSQL store", "fetch_benchmark", "fetch (pg store)", False),
        ("fetch, memory store", "fetch_benchmark", "fetch (memory store)", False),
        ("empty call (sync API)", "fetch_benchmark", "empty call (sync", True),
        ("empty call (completion queue)", "fetch_benchmark", "empty call (async", True)]),
}


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def start_pg():
    out = subprocess.run(["bash", str(ROOT / "tests/pg/start_pg.sh")], check=True,
                         capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            env[k] = v.strip("'")
    return env["ONEM2M_TEST_PG"], env["ONEM2M_TEST_PG_DIR"]


def run_generators(a, pg, raw):
    bin_dir = ROOT / "bazel-bin"
    levels = [1, 4, 16, 64, 128] if a.long else [4, 16, 64]
    seconds = 10 if a.long else 3
    rounds = 3 if a.long else 1
    runs = []
    for c in levels:
        mef_args = [str(bin_dir / "tests/bench/mef_load"), "--pg=" + pg,
                    "--enrolees=%d" % (20000 if a.long else 3000), "--transport=both",
                    "--concurrency=%d" % c, "--duration=%ds" % seconds, "--rounds=%d" % rounds]
        for name, args in (
                ("mef_load", mef_args + ["--baseline"]),
                ("mef_load-memory", mef_args + ["--baseline=false", "--mef_store=memory"]),
                ("maf_load", [str(bin_dir / "tests/bench/maf_load"), "--pg=" + pg,
                              "--devices=%d" % (20000 if a.long else 4000),
                              "--phases=first,kmid,baseline", "--concurrency=%d" % c,
                              "--duration=%ds" % seconds, "--rounds=%d" % rounds]),
                ("fetch_benchmark", [str(bin_dir / "mef/credential/fetch_benchmark"),
                                     "--callers=%d" % c, "--seconds=%d" % seconds,
                                     "--rounds=%d" % rounds,
                                     "--enrolments=%d" % (20000 if a.long else 5000)])):
            out = raw / ("%s-c%d.json" % (name, c))
            log = raw / ("%s-c%d.log" % (name, c))
            env = dict(os.environ, ONEM2M_TEST_PG=pg)
            with open(log, "w") as fh:
                sh(args + ["--json_out=" + str(out)], stdout=fh, stderr=subprocess.STDOUT, env=env)
            runs.append(json.loads(out.read_text()))
    return runs


def series(runs, tool, needle):
    """(concurrency, case) pairs of one series, by concurrency."""
    pts = []
    for r in runs:
        if r["tool"] != tool:
            continue
        for case in r["cases"]:
            if needle in case["name"]:
                pts.append((case["concurrency"], case))
    return sorted(pts, key=lambda p: p[0])


def draw(runs, out):
    for key, (title, lines) in CHARTS.items():
        fig, (ax_rate, ax_lat) = plt.subplots(1, 2, figsize=(11, 4))
        for label, tool, needle, dashed in lines:
            pts = series(runs, tool, needle)
            if not pts:
                continue
            xs = [c for c, _ in pts]
            style = "--" if dashed else "-"
            ax_rate.plot(xs, [p["rate"] for _, p in pts], style, marker="o", label=label)
            ax_lat.plot(xs, [p["p50_ms"] for _, p in pts], style, marker="o", label=label + " p50")
            ax_lat.plot(xs, [p["p99_ms"] for _, p in pts], style, marker="x", label=label + " p99")
        for ax in (ax_rate, ax_lat):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("concurrent clients")
            ax.grid(True, alpha=0.3)
        ax_rate.set_ylabel("operations / s")
        ax_rate.set_ylim(bottom=0)
        ax_lat.set_ylabel("latency (ms)")
        ax_lat.set_yscale("log")
        ax_rate.legend(fontsize=7)
        ax_lat.legend(fontsize=6)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(out / (key + ".svg"))
        plt.close(fig)


# The parts of a case's machine CPU, in the order they are stacked (load_kit.h RunLoad): the
# server under test first, whatever its name in that tool ("MEF", "MAF", "bare"), then its peers.
SPLIT_ORDER = ["MAF", "MEF", "bare", "server", "fetch process (MEF + callers)", "generator",
               "PostgreSQL", "rest"]
SPLIT_COLOURS = {"MAF": "tab:blue", "MEF": "tab:orange", "bare": "tab:gray",
                 "server": "tab:blue", "fetch process (MEF + callers)": "tab:cyan",
                 "generator": "tab:green", "PostgreSQL": "tab:purple",
                 "rest": "tab:olive"}


def run_cores(run):
    """The cores of the machine that ran the generator (its JSON's meta), else this machine's."""
    return int(run.get("meta", {}).get("cores") or os.cpu_count() or 1)


def cores_text(counts):
    """"2", or "2 or 16" when the runs came from machines of different sizes."""
    return " or ".join(str(n) for n in sorted(set(counts)))


def split_cases(runs):
    """(label, case) of every case that has a machine CPU split, at its tool's highest level; each
    case carries "cores" from its run."""
    top = {}
    for r in runs:
        for case in r["cases"]:
            if not case.get("cpu_split_us_per_op"):
                continue
            key = (r["tool"], case["name"])
            if key not in top or case["concurrency"] > top[key]["concurrency"]:
                top[key] = dict(case, cores=run_cores(r))
    return [("%s: %s" % (tool, name), c) for (tool, name), c in sorted(top.items())]


def split_parts(case):
    parts = case["cpu_split_us_per_op"]
    names = [n for n in SPLIT_ORDER if n in parts] + sorted(n for n in parts if n not in SPLIT_ORDER)
    return [(n, parts[n]) for n in names]


def draw_cpu_split(runs, out):
    """cpu_split.svg: one stacked bar per case, the machine's CPU per operation by process (none
    when no case has a split; cpu_split_markdown then writes no section that would link it)."""
    cases = split_cases(runs)
    if not cases:
        return
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(cases) + 1.6))
    seen = set()
    for y, (label, case) in enumerate(cases):
        left = 0.0
        for name, us in split_parts(case):
            ax.barh(y, us, left=left, color=SPLIT_COLOURS.get(name),
                    label=None if name in seen else name)
            seen.add(name)
            left += us
    ax.set_yticks(range(len(cases)))
    ax.set_yticklabels(["%s (%d clients)" % (l[:70], c["concurrency"]) for l, c in cases],
                       fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("machine CPU per operation (us), by process")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Where the machine's CPU goes (server, generator, PostgreSQL, rest)")
    fig.tight_layout()
    fig.savefig(out / "cpu_split.svg")
    plt.close(fig)


def cpu_split_markdown(runs):
    cases = split_cases(runs)
    if not cases:
        return []
    lines = ["## Where the machine's CPU goes", "",
             "The whole machine's busy CPU during each phase (`/proc/stat`), per operation, split "
             "by process: the server under test, its peers (the MEF behind the MAF), the load "
             "generator itself (the simulated devices), every PostgreSQL process, and the rest "
             "(for the credential fetch the MEF and its callers are one process, and PostgreSQL "
             "is part of the rest). "
             "The server, the generator and PostgreSQL share the %s cores of the machine that "
             "ran them, so the rate a cost allows is at most cores / cost. Steal is the share of "
             "the machine's CPU time the hypervisor gave to other guests during the phase: it is "
             "in no process's figure, and shows as a lower rate at the same cost." % (
                 cores_text(c["cores"] for _, c in cases)), "",
             "![machine CPU per operation](cpu_split.svg)", "",
             "| case | clients | machine us/op | parts (us/op) | at most ops/s at this cost "
             "| steal |",
             "|---|---|---|---|---|---|"]
    for label, c in cases:
        total = c.get("machine_cpu_us_per_op", 0)
        parts = " + ".join("%s %.0f" % (n, us) for n, us in split_parts(c))
        cap = "%.0f" % (c["cores"] * 1e6 / total) if total else "-"
        steal = "%.0f %%" % (100 * c["steal_share"]) if "steal_share" in c else "-"
        lines.append("| %s | %d | %.0f | %s | %s | %s |" % (
            label, c["concurrency"], total, parts, cap, steal))
    return lines + [""]


def _output(cmd, cwd=None):
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def environment(pg, started):
    """What the figures ran on and with, kept beside the raw JSON (raw/environment.json) so that
    a redraw (--from-json) still says which build and which machine produced them."""
    commit = _output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT)
    if commit and _output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT):
        commit += " with uncommitted changes"
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {"commit": commit, "host": platform.node(), "machine": platform.machine(), "cpu": cpu,
            "cores": os.cpu_count(), "kernel": platform.release(),
            "openssl": _output(["openssl", "version"]),
            "postgresql": _output(["psql", pg, "-Atc", "SHOW server_version"]) if pg else "",
            "started": started.strftime("%Y-%m-%d %H:%M")}


def environment_line(env, runs, a, started):
    if not env:  # a redraw of runs from before environment.json was written
        cores = [run_cores(r) for r in runs] or [os.cpu_count() or 1]
        return "Drawn by `tests/bench/report.py` on %s (%s, %s CPUs), %s UTC." % (
            platform.node(), platform.machine(), cores_text(cores),
            started.strftime("%Y-%m-%d %H:%M"))
    parts = [env.get("machine", ""), env.get("cpu", ""), "%s CPUs" % env.get("cores", "?"),
             "Linux " + env["kernel"] if env.get("kernel") else "", env.get("openssl", ""),
             "PostgreSQL " + env["postgresql"] if env.get("postgresql") else ""]
    return "Generated by `bash tests/bench/report.sh%s` from commit %s on %s (%s), %s UTC." % (
        " --long" if a.long else "", env.get("commit") or "unknown", env.get("host", "?"),
        ", ".join(p for p in parts if p), env.get("started", "?"))


# Every generator runs closed loops: each client sends its next request when the last is answered.
# Little's law then ties the mean latency to the rate: mean = clients / rate. A latency target at a
# given concurrency is reachable only at a rate of at least clients / target, on this machine.
LITTLE_NOTE = ("clients/rate: the mean latency that rate implies for that many clients in closed "
               "loops (Little's law: mean = clients / rate). A server no faster than the bare "
               "baseline cannot give these clients a mean below the baseline's figure; a latency "
               "target under it needs a faster machine.")


def little_ms(clients, rate):
    return "%.1f" % (clients * 1e3 / rate) if rate else "-"


def ceiling_ratios(runs):
    """(clients, transport, ratio) of the MEF over its memory store to the bare server at the same
    concurrency: two runs of mef_load a minute apart, not one phase after the other."""
    rows = []
    for transport, mem, bare in (("TLS", "MEF TLS (raw client, memory store)",
                                  "bare OpenSSL TLS-PSK baseline"),
                                 ("DTLS", "MEF DTLS (raw client, memory store)",
                                  "bare OpenSSL DTLS-PSK baseline")):
        bare_at = dict(series(runs, "mef_load", bare))
        for c, p in series(runs, "mef_load", mem):
            if c in bare_at and bare_at[c]["rate"]:
                rows.append((c, transport, p["rate"] / bare_at[c]["rate"]))
    return rows


# Issue 14's targets: (what, tool, the ratio's name in the generator's JSON, at least).
RATIO_TARGETS = [
    ("MEF TLS >= 0.75 of the bare server", "mef_load", "mef_tls_over_baseline", 0.75),
    ("MEF DTLS >= 0.75 of the bare server", "mef_load", "mef_dtls_over_baseline", 0.75),
    ("KmID handshakes >= 0.9 of the bare server", "maf_load", "kmid_over_baseline", 0.9),
    ("credential fetch (pg) >= 0.6 of the fastest empty call", "fetch_benchmark",
     "fetch (pg store) / fastest empty call", 0.6),
]
P99_TARGET_MS, P99_CLIENTS, FIRST_CONTACT_TARGET = 25.0, 64, 2500.0
TARGETS_NOTE = ("Machine bound: what these cores allow whatever the service adds, from the same "
                "run's figures. Every operation costs at least the generator's own CPU for it plus "
                "the bare server's for the handshake, so the cores allow at most cores x 1e6 / "
                "(generator + bare) us per second (a first contact also needs the MAF's gRPC "
                "call to the MEF: the cheapest empty call's CPU is added); a p99 of %.0f ms at %d "
                "clients in closed loops needs a mean at most that, so at least %d / %.0f ms = "
                "%s operations/s (Little's law). A target above the bound is beyond this machine, "
                "not the code (tests/bench/machine_bounds.h)." % (
                    P99_TARGET_MS, P99_CLIENTS, P99_CLIENTS, P99_TARGET_MS,
                    "{:,.0f}".format(P99_CLIENTS * 1e3 / P99_TARGET_MS)))


def run_at(runs, tool, clients):
    """The product's run of `tool` at `clients`: never mef_load's memory-store run (the ceiling),
    which has the same tool name and, with --from-json, may come first."""
    for r in runs:
        if (r["tool"] == tool and r["cases"] and r["cases"][0]["concurrency"] == clients
                and r.get("meta", {}).get("mef_store") != "memory"):
            return r
    return None


def case_named(run, needle):
    for case in run["cases"] if run else []:
        if needle in case["name"]:
            return case
    return None


def part_us(case, part):
    return (case or {}).get("cpu_split_us_per_op", {}).get(part)


def allowed_rate(run, *us_per_op):
    """Operations/s the run's cores allow at the sum of these CPU costs per operation; None when
    one is missing."""
    if not all(us_per_op):
        return None
    return run_cores(run) * 1e6 / sum(us_per_op)


def empty_call_us(runs, clients):
    """Machine CPU per call of the cheapest empty gRPC call (caller and server, mutual TLS) that
    fetch_benchmark measured at `clients` callers; None without one."""
    costs = [c.get("machine_cpu_us_per_op") for c in (run_at(runs, "fetch_benchmark", clients)
                                                     or {"cases": []})["cases"]
             if c["name"].startswith("empty call") and c.get("machine_cpu_us_per_op")]
    return min(costs) if costs else None


def verdict(ok):
    return "met" if ok else "not met"


def targets_markdown(runs):
    """Issue 14's targets at 64 clients (first contacts: the best level), each with the machine's
    bound where one applies."""
    rows = []
    for what, tool, name, least in RATIO_TARGETS:
        run = run_at(runs, tool, P99_CLIENTS)
        v = run.get("ratios", {}).get(name) if run else None
        if v is not None:
            rows.append((what, "%.2f" % v, verdict(v >= least), "-"))
    mef = run_at(runs, "mef_load", P99_CLIENTS)
    for transport in ("TLS", "DTLS"):
        ours = case_named(mef, "MEF %s (raw client)" % transport)
        bare = case_named(mef, "bare OpenSSL %s-PSK baseline" % transport)
        if not ours or not bare:
            continue
        needed = P99_CLIENTS * 1e3 / P99_TARGET_MS
        most = allowed_rate(mef, part_us(bare, "generator"), part_us(bare, "bare"))
        bound = "needs >= %.0f/s; bare %.0f/s; machine allows %s" % (
            needed, bare["rate"], "%.0f/s" % most if most else "-")
        if most and needed > most:
            bound += ": beyond this machine"
        rows.append(("MEF %s p99 <= %.0f ms at %d clients" % (transport, P99_TARGET_MS,
                                                                P99_CLIENTS),
                     "%.1f ms" % ours["p99_ms"], verdict(ours["p99_ms"] <= P99_TARGET_MS), bound))
    best = None
    for r in runs:
        if r["tool"] != "maf_load":
            continue
        first = case_named(r, "phase 1")
        if first and (best is None or first["rate"] > best[1]["rate"]):
            best = (r, first)
    if best:
        run, first = best
        # A first contact takes at least a handshake and the MAF's gRPC call to the MEF for Km
        # (docs/protocol.md): the generator's CPU for it, the bare server's handshake, and the
        # cheapest empty gRPC call at the same concurrency.
        parts = (part_us(first, "generator"), part_us(case_named(run, "phase 3"), "bare"),
                 empty_call_us(runs, first["concurrency"]))
        most = allowed_rate(run, *parts)
        bound = ("machine allows %.0f/s (generator %.0f + bare handshake %.0f + empty gRPC call "
                 "%.0f us)" % ((most,) + parts) if most else "-")
        if most and FIRST_CONTACT_TARGET > most:
            bound += ": beyond this machine"
        rows.append(("first contacts >= {:,.0f}/s (best level: {} clients)".format(
                         FIRST_CONTACT_TARGET, first["concurrency"]),
                     "%.0f/s" % first["rate"], verdict(first["rate"] >= FIRST_CONTACT_TARGET),
                     bound))
        kmid = case_named(run, "phase 2")
        if kmid and kmid["rate"]:
            v = first["rate"] / kmid["rate"]
            rows.append(("first contact >= 0.3 of KmID (%d clients)" % first["concurrency"],
                         "%.2f" % v, verdict(v >= 0.3), "-"))
    if not rows:
        return []
    lines = ["## Targets (issue 14)", "", "| target | this run | verdict | machine bound |",
             "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % row for row in rows]
    return lines + ["", TARGETS_NOTE, ""]


def markdown(runs, out, a, started, env):
    lines = ["# Benchmark report", "",
             environment_line(env, runs, a, started),
             "Every ratio compares two figures of the same run (ours against a baseline measured "
             "minutes apart at most); absolute rates depend on the machine and what else it runs.", ""]
    for key, (title, chart_lines) in CHARTS.items():
        lines += ["## " + title, "", "![%s](%s.svg)" % (title, key), "",
                  "| series | clients | ops/s | p50 ms | p99 ms | clients/rate ms | failures "
                  "| server CPU us/op | machine CPU us/op |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for label, tool, needle, _ in chart_lines:
            for c, p in series(runs, tool, needle):
                machine = p.get("machine_cpu_us_per_op")
                lines.append("| %s | %d | %.0f | %.2f | %.2f | %s | %d | %.0f | %s |" % (
                    label, c, p["rate"], p["p50_ms"], p["p99_ms"], little_ms(c, p["rate"]),
                    p.get("failures", 0), p.get("server_cpu_us_per_op", 0),
                    "%.0f" % machine if machine else "-"))
        lines += ["", LITTLE_NOTE, ""]
    lines += targets_markdown(runs)
    lines += cpu_split_markdown(runs)
    lines += ["## Ratios (same run)", "", "| tool | clients | ratio | value |", "|---|---|---|---|"]
    for r in runs:
        c = r["cases"][0]["concurrency"] if r["cases"] else 0
        for name, v in sorted(r.get("ratios", {}).items()):
            lines.append("| %s | %d | %s | %.2f |" % (r["tool"], c, name, v))
    for c, transport, v in ceiling_ratios(runs):
        lines.append("| mef_load | %d | %s no database (memory store) / bare, runs a minute apart "
                     "| %.2f |" % (c, transport, v))
    lines += ["", "Raw JSON and each generator's full log: `raw/`.", ""]
    (out / "README.md").write_text("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long", action="store_true", help="more levels, 10 s phases, 3 rounds per ratio")
    ap.add_argument("--out", default=str(ROOT / "bench-report"))
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--from-json", default="", help="only redraw from a previous run's raw/ folder")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.utcnow()
    if a.from_json:
        folder = pathlib.Path(a.from_json)
        env_file = folder / "environment.json"
        env = json.loads(env_file.read_text()) if env_file.exists() else {}
        runs = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json")) if p != env_file]
    else:
        if not a.skip_build:
            sh(["bazel", "build", "-c", "opt"] + TARGETS, cwd=ROOT)
        pg = os.environ.get("ONEM2M_TEST_PG", "")
        pg_dir = ""
        if not pg:
            pg, pg_dir = start_pg()
        env = environment(pg, started)
        (raw / "environment.json").write_text(json.dumps(env, indent=2) + "\n")
        try:
            runs = run_generators(a, pg, raw)
        finally:
            if pg_dir:
                subprocess.run(["bash", str(ROOT / "tests/pg/stop_pg.sh")],
                               env=dict(os.environ, ONEM2M_TEST_PG_DIR=pg_dir), check=False)
    draw(runs, out)
    draw_cpu_split(runs, out)
    markdown(runs, out, a, started, env)
    print("report: %s" % (out / "README.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
