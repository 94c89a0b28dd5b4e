"""Harness of the chart test (chart_test.py): the release's names, the services' flag contract,
one JUnit testcase per assertion (Results), rendering with helm or helm-template and validating
with k8s-validate (Renderer), and lookups in the rendered objects (Rendered, flagfile, ports)."""
import os
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import yaml


RELEASE = "rsp"
NAMESPACE = "onem2m"
# Set by chart_test.py from its flags before any check runs.
README_TOOL = ""
OPERATIONS_DOC = ""
PREFIX = "rsp-onem2m-rsp"
COMPONENTS = ("mef", "maf")
TLS_SUITES_OK = "TLS_PSK_WITH_AES_128_CBC_SHA256"

# Flags of the services' runtime contract that the chart may write into the flagfiles.
KNOWN_FLAGS = {
    "mef": {"tls_listen", "dtls_listen", "credential_grpc_listen", "admin_grpc_listen", "ops_listen",
            "kek_file", "tls_cert", "tls_key", "tls_ca", "mef_fqdn", "grace_period", "log_format",
            "tls_suites", "dtls_suites", "admin_identities", "fetch_https_listen", "max_sessions",
            "memory_budget_bytes", "kek_backend", "pkcs11_module", "pkcs11_token_label",
            "pkcs11_pin_file", "pkcs11_sessions", "kek_active_version"},
    "maf": {"tls_listen", "dtls_listen", "key_grpc_listen", "admin_grpc_listen", "ops_listen",
            "kek_file", "tls_cert", "tls_key", "tls_ca", "maf_fqdn", "mef_endpoints", "grace_period",
            "log_format", "tls_suites", "dtls_suites", "admin_identities", "max_sessions",
            "memory_budget_bytes", "kek_backend", "pkcs11_module", "pkcs11_token_label",
            "pkcs11_pin_file", "pkcs11_sessions", "kek_active_version", "cache_ttl",
            "negative_ttl"},
}


class Results:
    def __init__(self):
        self.cases = []  # (classname, name, status, message, seconds)

    def check(self, classname, name, fn):
        t0 = time.time()
        try:
            r = fn()
            if r is False:
                raise AssertionError("condition is false")
            status, msg = "passed", ""
        except SkipCase as e:
            status, msg = "skipped", str(e)
        except AssertionError as e:
            status, msg = "failed", str(e) or "assertion failed"
        except Exception as e:  # a crash in an assertion is a failure of that assertion
            status, msg = "failed", "%s: %s" % (type(e).__name__, e)
        self.cases.append((classname, name, status, msg, time.time() - t0))
        mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[status]
        print("%s %s.%s%s" % (mark, classname, name, (": " + msg) if msg else ""))

    def count(self, status):
        return sum(1 for c in self.cases if c[2] == status)

    def write_junit(self, path):
        suite = ET.Element("testsuite", name="deploy.chart_test", tests=str(len(self.cases)),
                           failures=str(self.count("failed")), errors="0",
                           skipped=str(self.count("skipped")),
                           time="%.3f" % sum(c[4] for c in self.cases))
        for classname, name, status, msg, secs in self.cases:
            tc = ET.SubElement(suite, "testcase", classname=classname, name=name, time="%.3f" % secs)
            if status == "failed":
                ET.SubElement(tc, "failure", message=msg[:500]).text = msg
            elif status == "skipped":
                ET.SubElement(tc, "skipped", message=msg[:500])
        root = ET.Element("testsuites")
        root.append(suite)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


class SkipCase(Exception):
    pass


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


class Renderer:
    def __init__(self, chart, helm, helm_template, validator):
        self.chart, self.helm, self.helm_template, self.validator = chart, helm, helm_template, validator

    def render(self, args):
        if self.helm:
            cmd = [self.helm, "template", RELEASE, self.chart, "-n", NAMESPACE] + args
        else:
            cmd = [self.helm_template, RELEASE, self.chart, "-n", NAMESPACE] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return p.returncode, p.stdout, p.stderr

    def lint(self, args):
        p = subprocess.run([self.helm, "lint", "--strict", self.chart, "-n", NAMESPACE] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return p.returncode, p.stdout

    def validate(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            p = subprocess.run([self.validator, f.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        finally:
            os.unlink(f.name)
        return p.returncode, p.stdout


class Rendered:
    def __init__(self, text):
        self.objs = [d for d in yaml.safe_load_all(text) if d]

    def all(self, kind):
        return [o for o in self.objs if o.get("kind") == kind]

    def get(self, kind, name):
        for o in self.objs:
            if o.get("kind") == kind and o["metadata"]["name"] == name:
                return o
        raise AssertionError("no %s/%s rendered" % (kind, name))

    def has(self, kind, name):
        return any(o.get("kind") == kind and o["metadata"]["name"] == name for o in self.objs)


def sel(component):
    return {"app.kubernetes.io/name": "onem2m-rsp", "app.kubernetes.io/instance": RELEASE,
            "app.kubernetes.io/component": component}


def container(dep):
    cs = dep["spec"]["template"]["spec"]["containers"]
    eq(len(cs), 1, "containers")
    return cs[0]


def flagfile(r, comp):
    cm = r.get("ConfigMap", "%s-%s-config" % (PREFIX, comp))
    flags = {}
    for line in cm["data"]["%s.conf" % comp].splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert line.startswith("--") and "=" in line, "not a --flag=value line: %r" % line
        k, v = line[2:].split("=", 1)
        flags[k] = v
    return flags


def port_of(svc, name):
    for p in svc["spec"]["ports"]:
        if p["name"] == name:
            return p
    raise AssertionError("%s has no port %s" % (svc["metadata"]["name"], name))


def rule_for_port(np, port, protocol="TCP"):
    rules = [ru for ru in np["spec"]["ingress"]
             if any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ru.get("ports", []))]
    assert rules, "no ingress rule for %s/%d" % (protocol, port)
    return rules
