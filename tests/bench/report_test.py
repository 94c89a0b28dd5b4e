"""Checks tests/bench/report.py's Markdown from fixed generator JSON (--from-json): the CPU split
table divides by the cores of the machine that ran each generator (its JSON's meta), not of the
machine drawing the report, and shows each phase's steal; runs without a split get no section; each
series row gives the mean latency its rate implies for its clients (Little's law); the MEF over its
memory store (the ceiling) is a series of its own, never counted as the durable MEF; issue 14's
targets are judged from the run, each with the bound the machine sets."""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

# Beside this file in the source tree and in Bazel's runfiles (a data dependency).
REPORT = pathlib.Path(os.path.abspath(__file__)).parent / "report.py"
# As tests/bench/report.sh runs it: Debian's interpreter has Debian's matplotlib, whichever python3
# runs this test.
PYTHON = "/usr/bin/python3"


def maf_run(cores, steal):
    case = {"name": "phase 2: KmID handshake", "unit": "handshakes", "concurrency": 64, "ok": 40000,
            "seconds": 5.0, "rate": 8000.0, "p50_ms": 7.5, "p99_ms": 19.0, "max_ms": 30.0,
            "failures": 0, "server_cpu_us_per_op": 110.0, "load_average": 1.0,
            "machine_cpu_us_per_op": 250.0,
            "cpu_split_us_per_op": {"MAF": 115.0, "generator": 131.0, "PostgreSQL": 1.0,
                                    "rest": 3.0}}
    if steal is not None:
        case["steal_share"] = steal
    meta = {"concurrency": "64"}
    if cores is not None:
        meta["cores"] = str(cores)
    return {"tool": "maf_load", "meta": meta, "cases": [case], "ratios": {}}


def mef_case(name, rate):
    return {"name": name, "unit": "enrolments", "concurrency": 64, "ok": int(rate * 5),
            "seconds": 5.0, "rate": rate, "p50_ms": 30.0, "p99_ms": 90.0, "max_ms": 120.0,
            "failures": 0, "server_cpu_us_per_op": 500.0, "load_average": 1.0}


def mef_runs():
    durable = {"tool": "mef_load", "meta": {"concurrency": "64", "mef_store": "pg"},
               "cases": [mef_case("MEF TLS (raw client)", 1500.0),
                         mef_case("bare OpenSSL TLS-PSK baseline (raw client)", 2400.0)],
               "ratios": {"TLS MEF / bare": 0.625}}
    memory = {"tool": "mef_load", "meta": {"concurrency": "64", "mef_store": "memory"},
              "cases": [mef_case("MEF TLS (raw client, memory store)", 1920.0)], "ratios": {}}
    return [durable, memory]


def render(runs, env=None):
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "raw"
        raw.mkdir()
        for i, run in enumerate(runs):
            (raw / ("run-%d.json" % i)).write_text(json.dumps(run))
        if env is not None:
            (raw / "environment.json").write_text(json.dumps(env))
        out = pathlib.Path(tmp) / "out"
        env = dict(os.environ, MPLCONFIGDIR=tmp)
        done = subprocess.run([PYTHON, str(REPORT), "--from-json=" + str(raw), "--out=" + str(out)],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError("report.py failed:\n" + done.stdout + done.stderr)
        return (out / "README.md").read_text(), (out / "cpu_split.svg").exists()


def split_row(text):
    rows = [l for l in text.splitlines() if l.startswith("| maf_load: phase 2")]
    assert len(rows) == 1, text
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


class ReportTest(unittest.TestCase):
    def test_cap_uses_the_generators_cores_and_shows_steal(self):
        text, svg = render([maf_run(cores=16, steal=0.25)])
        self.assertTrue(svg)
        row = split_row(text)
        # 16 cores at 250 us of machine CPU per handshake: at most 64,000 handshakes/s.
        self.assertEqual(row[4], "64000")
        self.assertEqual(row[5], "25 %")
        self.assertIn("(x86_64, 16 CPUs)", text.replace(os.uname().machine, "x86_64"))
        self.assertIn("share the 16 cores", text)

    def test_older_json_without_cores_or_steal(self):
        text, _ = render([maf_run(cores=None, steal=None)])
        row = split_row(text)
        cores = os.cpu_count() or 1
        self.assertEqual(row[4], "%.0f" % (cores * 1e6 / 250.0))
        self.assertEqual(row[5], "-")

    def test_header_names_the_build_and_machine_that_ran(self):
        env = {"commit": "abc1234", "host": "bench-host", "machine": "x86_64", "cpu": "Some CPU",
               "cores": 16, "kernel": "6.1.0", "openssl": "OpenSSL 3.0.19",
               "postgresql": "15.18", "started": "2026-12-07 10:00"}
        text, _ = render([maf_run(cores=16, steal=0.0)], env)
        self.assertIn("from commit abc1234 on bench-host (x86_64, Some CPU, 16 CPUs, Linux 6.1.0, "
                      "OpenSSL 3.0.19, PostgreSQL 15.18), 2026-12-07 10:00 UTC.", text)
        # environment.json is not read as a generator's run.
        self.assertEqual(text.count("| maf_load: phase 2"), 1)

    def test_series_rows_give_the_mean_latency_the_rate_implies(self):
        text, _ = render([maf_run(cores=2, steal=0.0)])
        rows = [l for l in text.splitlines() if l.startswith("| KmID handshake |")]
        self.assertEqual(len(rows), 1, text)
        cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
        # 64 clients in closed loops at 8,000 handshakes/s: a mean of 64 / 8000 s = 8.0 ms.
        self.assertEqual(cells[1:6], ["64", "8000", "7.50", "19.00", "8.0"])
        self.assertIn("Little's law", text)

    def test_memory_store_is_the_ceiling_not_the_product(self):
        text, _ = render(mef_runs())
        durable = [l for l in text.splitlines() if l.startswith("| MEF (PostgreSQL, durable) |")]
        ceiling = [l for l in text.splitlines() if l.startswith("| MEF, no database")]
        self.assertEqual(len(durable), 1, text)
        self.assertIn("| 1500 |", durable[0])
        self.assertEqual(len(ceiling), 1, text)
        self.assertIn("| 1920 |", ceiling[0])
        # 1,920 against the bare server's 2,400 at the same concurrency.
        rows = [l for l in text.splitlines() if "no database (memory store) / bare" in l]
        self.assertEqual(len(rows), 1, text)
        self.assertTrue(rows[0].endswith("| 0.80 |"), rows[0])

    def test_targets_judge_the_run_and_name_the_machine_bound(self):
        bare = mef_case("bare OpenSSL TLS-PSK baseline (raw client)", 2000.0)
        bare["cpu_split_us_per_op"] = {"bare": 400.0, "generator": 580.0}
        mef = {"tool": "mef_load", "meta": {"concurrency": "64", "cores": "2"},
               "cases": [mef_case("MEF TLS (raw client)", 1500.0), bare],
               "ratios": {"mef_tls_over_baseline": 0.75}}
        split = {"generator": 700.0}
        maf = {"tool": "maf_load", "meta": {"concurrency": "64", "cores": "2"},
               "cases": [dict(mef_case("phase 1: first contact", 800.0), cpu_split_us_per_op=split),
                         mef_case("phase 2: KmID handshake", 2000.0),
                         dict(mef_case("phase 3: bare", 2400.0),
                              cpu_split_us_per_op={"bare": 340.0})],
                 "ratios": {"kmid_over_baseline": 0.89}}
        fetch = {"tool": "fetch_benchmark", "meta": {"callers": "64", "cores": "2"},
                 "cases": [dict(mef_case("empty call (sync API)", 9000.0),
                                machine_cpu_us_per_op=160.0),
                           dict(mef_case("empty call (async API)", 9500.0),
                                machine_cpu_us_per_op=150.0)],
                 "ratios": {}}
        # The memory store's run (the ceiling) has the same tool name and no bare server; listed
        # first, it must not stand in for the product's run.
        ceiling = {"tool": "mef_load", "meta": {"concurrency": "64", "mef_store": "memory"},
                   "cases": [mef_case("MEF TLS (raw client, memory store)", 1900.0)],
                   "ratios": {}}
        text, _ = render([ceiling, mef, maf, fetch])
        rows = {l.split("|")[1].strip(): [c.strip() for c in l.strip("|").split("|")]
                for l in text.splitlines() if l.startswith("| ") and "|" in l[2:]}
        # A ratio exactly at its floor meets it; just under does not.
        self.assertEqual(rows["MEF TLS >= 0.75 of the bare server"][1:3], ["0.75", "met"])
        self.assertEqual(rows["KmID handshakes >= 0.9 of the bare server"][1:3], ["0.89", "not met"])
        # p99 at 64 clients needs 2,560/s; 2 cores at 580 + 400 us allow 2,041/s.
        p99 = rows["MEF TLS p99 <= 25 ms at 64 clients"]
        self.assertEqual(p99[1:3], ["90.0 ms", "not met"])
        self.assertIn("needs >= 2560/s; bare 2000/s; machine allows 2041/s: beyond this machine",
                      p99[3])
        # First contact: 700 (generator) + 340 (bare handshake) + 150 (cheapest empty call) us.
        first = rows["first contacts >= 2,500/s (best level: 64 clients)"]
        self.assertEqual(first[1:3], ["800/s", "not met"])
        self.assertIn("machine allows 1681/s (generator 700 + bare handshake 340 + empty gRPC call "
                      "150 us): beyond this machine", first[3])
        self.assertEqual(rows["first contact >= 0.3 of KmID (64 clients)"][1:3], ["0.40", "met"])

    def test_no_split_no_section(self):
        run = maf_run(cores=2, steal=0.0)
        del run["cases"][0]["cpu_split_us_per_op"]
        text, svg = render([run])
        self.assertNotIn("Where the machine's CPU goes", text)
        self.assertFalse(svg)


if __name__ == "__main__":
    unittest.main()
