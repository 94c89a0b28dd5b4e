#!/usr/bin/env python3
"""Store outage under load: devices are told to retry, the MEF counts it, the chart's alert fires.

Issue 11 item 2. Starts its own throwaway PostgreSQL (tests/pg/start_pg.sh: it is stopped during
the test, so it cannot be the shared one), runs tests/e2e/store_outage_probe (the real MEF bootstrap
path with its real metrics, devices bootstrapping over TLS), which stops that PostgreSQL halfway and
writes four scrapes of the MEF's metrics (two with PostgreSQL up, two after it was stopped) and the
devices' outcomes.

How the alert is evaluated (there is no Prometheus here): the OneM2MStoreErrors rule's `expr` is
read from deploy/helm/onem2m-rsp/templates/prometheusrule.yaml, its Helm selector `{{- $sel }}` is
replaced with the namespace matcher the chart renders (namespace="test"), and the expression, which
must have the form  sum(rate(<selector>[<window>])) > <threshold> , is evaluated over a pair of
scrapes as Prometheus would over those two samples: every scraped series gets the target label
namespace="test", the series matching the selector (=, !=, =~, !~ on labels, __name__ included)
and present in both scrapes contribute (v2 - v1) / (t2 - t1), the sum is compared with the
threshold; no matching series means no result (the alert does not fire). The rule's `for:` is not
exercised (a few seconds of data).

Asserts: with PostgreSQL up the expression is empty or false; after the stop it is true; the
handshakes counter has store_unavailable samples and bad_key did not grow during the outage; the
devices saw UNAVAILABLE (retryable), never UNAUTHENTICATED, during the outage.
"""
import os
import re
import subprocess
import sys
import tempfile


def runfile(rel):
    for base in (os.path.join(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", "onem2m_rsp")),
                 os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")):
        p = os.path.join(base, rel)
        if os.path.exists(p):
            return p
    sys.exit("missing runfile " + rel)


def parse_scrape(path):
    """Returns (time, {(name, frozenset(labels)): value}) from a Prometheus text exposition."""
    series, t = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# time_unix "):
                t = float(line.split()[2])
                continue
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)', line)
            if not m:
                continue
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            labels["namespace"] = "test"  # the target label Prometheus adds when it scrapes the pod
            labels["__name__"] = m.group(1)
            series[frozenset(labels.items())] = float(m.group(4))
    return t, series


def rule_expr(template_path, alert):
    text = open(template_path).read()
    i = text.index("- alert: " + alert)
    m = re.search(r"expr:\s*(.+)", text[i:])
    return m.group(1).strip().replace("{{- $sel }}", 'namespace="test"')


def parse_expr(expr):
    m = re.fullmatch(r'sum\(rate\((\w*)\{(.*)\}\[(\w+)\]\)\)\s*>\s*([0-9.eE+-]+)', expr)
    assert m, "OneM2MStoreErrors expr has an unexpected form: " + expr
    matchers = re.findall(r'\s*([a-zA-Z_]+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?', m.group(2))
    if m.group(1):
        matchers.append(("__name__", "=", m.group(1)))
    assert matchers, "no matchers in " + expr
    return matchers, float(m.group(4))


def matches(labels, matchers):
    d = dict(labels)
    for name, op, value in matchers:
        v = d.get(name, "")
        ok = {"=": v == value, "!=": v != value,
              "=~": re.fullmatch(value, v) is not None, "!~": re.fullmatch(value, v) is None}[op]
        if not ok:
            return False
    return True


def evaluate(matchers, threshold, a, b):
    """The expression over scrapes a and b: None (empty result) or (value, fired)."""
    (t1, s1), (t2, s2) = a, b
    rates = [(s2[k] - s1[k]) / (t2 - t1) for k in s2 if k in s1 and matches(k, matchers)]
    if not rates:
        return None
    total = sum(rates)
    return total, total > threshold


def counter(scrape, name, outcome):
    return sum(v for k, v in scrape[1].items()
               if dict(k)["__name__"] == name and dict(k).get("outcome") == outcome)


def main():
    results = []

    def check(name, cond, detail=""):
        results.append((name, bool(cond)))
        print(("PASS " if cond else "FAIL ") + name + (": " + detail if detail else ""))

    start = subprocess.run(["bash", runfile("tests/pg/start_pg.sh")], capture_output=True, text=True)
    if start.returncode != 0:
        print(start.stderr)
        sys.exit("could not start a throwaway PostgreSQL")
    env = dict(re.findall(r"^export (\w+)='(.*)'$", start.stdout, re.M))
    pg, pg_dir = env["ONEM2M_TEST_PG"], env["ONEM2M_TEST_PG_DIR"]
    out = tempfile.mkdtemp(prefix="store-outage-")
    try:
        probe = subprocess.run(
            [runfile("tests/e2e/store_outage_probe"), "--pg=" + pg, "--out_dir=" + out,
             "--stop_pg=bash %s %s" % (runfile("tests/pg/stop_pg.sh"), pg_dir)],
            capture_output=True, text=True, timeout=300)
        sys.stderr.write(probe.stderr[-4000:])
        check("probe ran", probe.returncode == 0, "exit %d" % probe.returncode)
    finally:
        if os.path.isdir(pg_dir):
            subprocess.run(["bash", runfile("tests/pg/stop_pg.sh"), pg_dir])
    scrapes = {n: parse_scrape(os.path.join(out, n + ".prom")) for n in ("up1", "up2", "down1", "down2")}
    expr = rule_expr(runfile("deploy/helm/onem2m-rsp/templates/prometheusrule.yaml"), "OneM2MStoreErrors")
    print("OneM2MStoreErrors expr: " + expr)
    matchers, threshold = parse_expr(expr)

    up = evaluate(matchers, threshold, scrapes["up1"], scrapes["up2"])
    down = evaluate(matchers, threshold, scrapes["down1"], scrapes["down2"])
    check("alert expression silent while PostgreSQL is up", up is None or not up[1], str(up))
    check("alert expression fires after PostgreSQL was stopped", down is not None and down[1], str(down))

    hs = "onem2m_mef_handshakes_total"
    su1, su2 = counter(scrapes["down1"], hs, "store_unavailable"), counter(scrapes["down2"], hs, "store_unavailable")
    bk1, bk2 = counter(scrapes["down1"], hs, "bad_key"), counter(scrapes["down2"], hs, "bad_key")
    check("handshakes counted store_unavailable during the outage", su2 > su1, "%g -> %g" % (su1, su2))
    check("bad_key did not grow during the outage", bk2 == bk1, "%g -> %g" % (bk1, bk2))
    ok_up = counter(scrapes["up2"], hs, "ok")
    check("handshakes succeeded while PostgreSQL was up", ok_up > 0, "%g" % ok_up)

    devices = {}
    for line in open(os.path.join(out, "devices.txt")):
        phase, code, n = line.split()
        devices[(phase, code)] = int(n)
    print("device outcomes: " + str(devices))
    check("devices were told UNAVAILABLE (retry) during the outage", devices.get(("down", "UNAVAILABLE"), 0) > 0)
    check("no device was told its key is wrong", all(c != "UNAUTHENTICATED" for (_, c) in devices))

    failed = [n for n, ok in results if not ok]
    print("store_outage_alert_test: %d passed, %d failed" % (len(results) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
