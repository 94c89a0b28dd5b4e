#!/usr/bin/env python3
"""Chart test for deploy/helm/onem2m-rsp.

Renders the chart with default values and with ci/prod-values.yaml (helm if present, else the offline
helm-template), validates every object with k8s-validate, asserts on the rendered objects, and checks
that values.schema.json (and the templates' own checks) reject bad values.

One JUnit testcase per assertion goes to --junit (Bazel's $XML_OUTPUT_FILE). Exit status: 0 when all
ran assertions passed, 1 otherwise. Invoked by chart_test.sh, which finds the tools.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import yaml

RELEASE = "rsp"
NAMESPACE = "onem2m"
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


# ------------------------------------------------------------------ assertions on rendered objects

def default_assertions(res, r, cls):
    res.check(cls, "no_secrets_created_by_chart", lambda: eq(r.all("Secret"), [], "Secret objects"))
    res.check(cls, "no_hpa_when_disabled", lambda: eq(r.all("HorizontalPodAutoscaler"), [], "HPAs"))
    res.check(cls, "no_monitoring_objects_by_default", lambda: eq(
        r.all("ServiceMonitor") + r.all("PrometheusRule"), [], "monitoring objects"))
    res.check(cls, "helm_test_pod_checks_both_services", lambda: helm_test_pod_ok(r))
    res.check(cls, "no_certificate_without_certmanager", lambda: eq(r.all("Certificate"), [], "Certificates"))
    res.check(cls, "all_objects_namespaced_and_labelled", lambda: all_labelled(r))
    for comp in COMPONENTS:
        name = "%s-%s" % (PREFIX, comp)

        def dep():
            return r.get("Deployment", name)

        res.check(cls, comp + "_deployment_replicas_2", lambda: eq(dep()["spec"].get("replicas"), 2, "replicas"))
        res.check(cls, comp + "_selector_matches_pod_labels", lambda: selector_matches(dep(), comp))
        res.check(cls, comp + "_rolling_update_max_unavailable_0",
                  lambda: eq(dep()["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0, "maxUnavailable"))
        res.check(cls, comp + "_command_and_config_flag", lambda: command_ok(dep(), comp))
        res.check(cls, comp + "_container_ports", lambda: container_ports_ok(dep()))
        res.check(cls, comp + "_probes_http_on_ops", lambda: probes_ok(dep()))
        res.check(cls, comp + "_pod_security_context", lambda: pod_sc_ok(dep()))
        res.check(cls, comp + "_container_security_context", lambda: container_sc_ok(dep()))
        res.check(cls, comp + "_tmp_emptydir_only_writable_mount", lambda: mounts_ok(dep()))
        res.check(cls, comp + "_no_service_account_token", lambda: eq(
            dep()["spec"]["template"]["spec"].get("automountServiceAccountToken"), False, "automount"))
        res.check(cls, comp + "_termination_grace_exceeds_grace_period", lambda: grace_ok(r, dep(), comp))
        res.check(cls, comp + "_prestop_sleep", lambda: eq(
            container(dep())["lifecycle"]["preStop"]["exec"]["command"][0], "/bin/sleep", "preStop"))
        res.check(cls, comp + "_anti_affinity_preferred_hostname", lambda: anti_affinity_ok(dep(), comp))
        res.check(cls, comp + "_pg_from_secret_env", lambda: pg_env_ok(dep(), "onem2m-%s-db" % comp, "uri"))
        res.check(cls, comp + "_kek_and_tls_volumes", lambda: secret_volumes_ok(
            dep(), "onem2m-%s-kek" % comp, "onem2m-%s-tls" % comp))
        res.check(cls, comp + "_flagfile_listeners_and_paths", lambda: flagfile_ok(r, comp))
        res.check(cls, comp + "_flagfile_only_contract_flags", lambda: only_known_flags(r, comp))
        res.check(cls, comp + "_service_dtls_udp_clientip", lambda: dtls_service_ok(r, comp, 5684))
        res.check(cls, comp + "_service_tls_tcp_8443", lambda: tls_service_ok(r, comp, 8443))
        res.check(cls, comp + "_service_internal_grpc_admin_ops", lambda: internal_service_ok(r, comp))
        res.check(cls, comp + "_services_select_component_pods", lambda: services_select(r, comp))
        res.check(cls, comp + "_pdb_selects_pods", lambda: pdb_ok(r, comp, "maxUnavailable", 1))
        res.check(cls, comp + "_netpol_pod_selector_and_ingress_only", lambda: netpol_base_ok(r, comp))
        res.check(cls, comp + "_netpol_every_rule_has_ports", lambda: netpol_ports_everywhere(r, comp))
        res.check(cls, comp + "_netpol_bootstrap_open_to_devices", lambda: netpol_bootstrap_ok(r, comp))
        res.check(cls, comp + "_netpol_admin_only_admin_labels", lambda: netpol_admin_ok(r, comp))
        res.check(cls, comp + "_netpol_ops_only_prometheus", lambda: netpol_ops_ok(r, comp))
    res.check(cls, "mef_headless_credential_service", lambda: headless_ok(r))
    res.check(cls, "mef_netpol_credential_only_from_maf_pods", lambda: netpol_credential_ok(r))
    res.check(cls, "maf_netpol_key_port_only_from_targets", lambda: netpol_maf_key_ok(r))
    res.check(cls, "maf_flagfile_mef_endpoints_default", lambda: eq(
        flagfile(r, "maf")["mef_endpoints"],
        "mef.example.com=dns:///%s-mef-credential.%s.svc.cluster.local:9443" % (PREFIX, NAMESPACE),
        "--mef_endpoints"))
    res.check(cls, "maf_flagfile_km_cache_ttls_default", lambda: eq(
        (flagfile(r, "maf")["cache_ttl"], flagfile(r, "maf")["negative_ttl"]), ("30s", "0s"),
        "--cache_ttl/--negative_ttl"))
    res.check(cls, "suites_only_protocol_md_list", lambda: suites_ok(r))


def all_labelled(r):
    for o in r.objs:
        md = o["metadata"]
        assert md.get("namespace") == NAMESPACE, "%s/%s namespace" % (o["kind"], md["name"])
        for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by"):
            assert k in md.get("labels", {}), "%s/%s lacks label %s" % (o["kind"], md["name"], k)


def selector_matches(dep, comp):
    eq(dep["spec"]["selector"]["matchLabels"], sel(comp), "selector")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    for k, v in sel(comp).items():
        eq(labels.get(k), v, "pod label " + k)


def command_ok(dep, comp):
    c = container(dep)
    eq(c["command"], ["/usr/local/bin/%s_server" % comp], "command")
    eq(c["args"], ["--config=/etc/onem2m/%s.conf" % comp], "args")
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    eq(mounts["config"]["mountPath"], "/etc/onem2m", "config mount")


# The MEF also serves the HTTPS credential fetch for Enrolment Targets (mef.ports.fetchHttps).
MEF_FETCH_HTTPS = ("fetch-https", 9445, "TCP")


def container_ports_ok(dep):
    ports = {(p["name"], p["containerPort"], p.get("protocol", "TCP")) for p in container(dep)["ports"]}
    want = {("tls", 8443, "TCP"), ("dtls", 5684, "UDP"), ("grpc", 9443, "TCP"), ("admin", 9444, "TCP"),
            ("ops", 9090, "TCP")}
    if dep["metadata"]["name"].endswith("-mef"):
        want.add(MEF_FETCH_HTTPS)
    eq(ports, want, "container ports")


def probes_ok(dep):
    c = container(dep)
    ops_names = {p["name"] for p in c["ports"] if p["containerPort"] == 9090}
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        assert probe in c, "missing " + probe
        g = c[probe]["httpGet"]
        eq(g["path"], path, probe + " path")
        assert g["port"] == 9090 or g["port"] in ops_names, "%s port %r is not the ops port" % (probe, g["port"])


def pod_sc_ok(dep):
    sc = dep["spec"]["template"]["spec"]["securityContext"]
    eq(sc.get("runAsNonRoot"), True, "runAsNonRoot")
    eq(sc.get("runAsUser"), 65532, "runAsUser")
    eq(sc.get("seccompProfile", {}).get("type"), "RuntimeDefault", "seccompProfile")


def container_sc_ok(dep):
    sc = container(dep)["securityContext"]
    eq(sc.get("readOnlyRootFilesystem"), True, "readOnlyRootFilesystem")
    eq(sc.get("allowPrivilegeEscalation"), False, "allowPrivilegeEscalation")
    eq(sc.get("capabilities", {}).get("drop"), ["ALL"], "capabilities.drop")
    assert not sc.get("capabilities", {}).get("add"), "capabilities added"
    eq(sc.get("runAsNonRoot"), True, "runAsNonRoot")
    eq(sc.get("runAsUser"), 65532, "runAsUser")
    eq(sc.get("seccompProfile", {}).get("type"), "RuntimeDefault", "seccompProfile")


def mounts_ok(dep):
    spec = dep["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in spec["volumes"]}
    writable = [m for m in container(dep)["volumeMounts"] if not m.get("readOnly")]
    eq([m["mountPath"] for m in writable], ["/tmp"], "writable mounts")
    assert "emptyDir" in vols[writable[0]["name"]], "/tmp is not an emptyDir"


def grace_ok(r, dep, comp):
    tgps = dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    gp = flagfile(r, comp)["grace_period"]
    assert gp.endswith("s"), gp
    sleep = int(container(dep)["lifecycle"]["preStop"]["exec"]["command"][1])
    assert tgps > int(gp[:-1]) + sleep, "terminationGracePeriodSeconds %d <= %s + preStop %d" % (tgps, gp, sleep)


def anti_affinity_ok(dep, comp):
    pref = dep["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    t = pref[0]["podAffinityTerm"]
    eq(t["topologyKey"], "kubernetes.io/hostname", "topologyKey")
    eq(t["labelSelector"]["matchLabels"], sel(comp), "anti-affinity selector")


def pg_env_ok(dep, secret, key):
    env = {e["name"]: e for e in container(dep).get("env", [])}
    ref = env["ONEM2M_PG"]["valueFrom"]["secretKeyRef"]
    eq((ref["name"], ref["key"]), (secret, key), "ONEM2M_PG secretKeyRef")
    assert "value" not in env["ONEM2M_PG"], "ONEM2M_PG has a literal value"


def secret_volumes_ok(dep, kek_secret, tls_secret):
    spec = dep["spec"]["template"]["spec"]
    vols = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["name"]: m for m in container(dep)["volumeMounts"]}
    eq(vols["kek"]["secret"]["secretName"], kek_secret, "kek secret")
    eq([i["path"] for i in vols["kek"]["secret"]["items"]], ["keyring"], "kek items")
    eq(mounts["kek"]["mountPath"], "/var/run/secrets/onem2m/kek", "kek mount")
    eq(vols["tls"]["secret"]["secretName"], tls_secret, "tls secret")
    eq(sorted(i["path"] for i in vols["tls"]["secret"]["items"]), ["ca.crt", "tls.crt", "tls.key"], "tls items")
    eq(mounts["tls"]["mountPath"], "/var/run/secrets/onem2m/tls", "tls mount")
    assert mounts["kek"].get("readOnly") and mounts["tls"].get("readOnly"), "secret mounts not read-only"


def flagfile_ok(r, comp):
    f = flagfile(r, comp)
    grpc_flag = "credential_grpc_listen" if comp == "mef" else "key_grpc_listen"
    expect = {"tls_listen": "[::]:8443", "dtls_listen": "[::]:5684", grpc_flag: "[::]:9443",
              "admin_grpc_listen": "[::]:9444", "ops_listen": "[::]:9090",
              "kek_file": "/var/run/secrets/onem2m/kek/keyring",
              "tls_cert": "/var/run/secrets/onem2m/tls/tls.crt", "tls_key": "/var/run/secrets/onem2m/tls/tls.key",
              "tls_ca": "/var/run/secrets/onem2m/tls/ca.crt", "%s_fqdn" % comp: "%s.example.com" % comp,
              "grace_period": "20s", "log_format": "json"}
    if comp == "mef":
        expect["fetch_https_listen"] = "[::]:9445"
    for k, v in expect.items():
        eq(f.get(k), v, "--" + k)
    assert "pg" not in f, "the connection string must not be in the ConfigMap"


def only_known_flags(r, comp):
    unknown = set(flagfile(r, comp)) - KNOWN_FLAGS[comp]
    eq(unknown, set(), "flags outside the runtime contract")


def dtls_service_ok(r, comp, port):
    s = r.get("Service", "%s-%s-dtls" % (PREFIX, comp))
    eq(s["spec"].get("sessionAffinity"), "ClientIP", "sessionAffinity")
    assert s["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] > 0
    eq([(p["port"], p["protocol"], p["targetPort"]) for p in s["spec"]["ports"]], [(port, "UDP", "dtls")], "ports")


def tls_service_ok(r, comp, port):
    s = r.get("Service", "%s-%s-tls" % (PREFIX, comp))
    eq([(p["port"], p["protocol"], p["targetPort"]) for p in s["spec"]["ports"]], [(port, "TCP", "tls")], "ports")
    assert s["spec"].get("sessionAffinity", "None") == "None", "TLS service needs no affinity"


def internal_service_ok(r, comp):
    s = r.get("Service", "%s-%s" % (PREFIX, comp))
    eq(s["spec"]["type"], "ClusterIP", "type")
    want = {("grpc", 9443, "TCP"), ("admin", 9444, "TCP"), ("ops", 9090, "TCP")}
    if comp == "mef":
        want.add(MEF_FETCH_HTTPS)
    eq({(p["name"], p["port"], p["protocol"]) for p in s["spec"]["ports"]}, want, "ports")


def services_select(r, comp):
    svcs = [s for s in r.all("Service") if s["metadata"]["labels"].get("app.kubernetes.io/component") == comp]
    assert len(svcs) >= 3, "expected >= 3 services for " + comp
    for s in svcs:
        eq(s["spec"]["selector"], sel(comp), s["metadata"]["name"] + " selector")
        assert all(p.get("protocol") in ("TCP", "UDP") for p in s["spec"]["ports"])
        protos = {p["protocol"] for p in s["spec"]["ports"]}
        assert len(protos) == 1, "%s mixes protocols %s" % (s["metadata"]["name"], protos)


def headless_ok(r):
    s = r.get("Service", PREFIX + "-mef-credential")
    eq(s["spec"].get("clusterIP"), "None", "clusterIP")
    eq([(p["port"], p["protocol"]) for p in s["spec"]["ports"]], [(9443, "TCP")], "ports")


def pdb_ok(r, comp, field, value):
    p = r.get("PodDisruptionBudget", "%s-%s" % (PREFIX, comp))
    eq(p["spec"]["selector"]["matchLabels"], sel(comp), "PDB selector")
    eq(p["spec"].get(field), value, field)


def netpol(r, comp):
    return r.get("NetworkPolicy", "%s-%s" % (PREFIX, comp))


def netpol_base_ok(r, comp):
    np = netpol(r, comp)
    eq(np["spec"]["podSelector"]["matchLabels"], sel(comp), "podSelector")
    eq(np["spec"]["policyTypes"], ["Ingress"], "policyTypes")


def netpol_ports_everywhere(r, comp):
    for ru in netpol(r, comp)["spec"]["ingress"]:
        assert ru.get("ports"), "a rule without ports opens every port: %r" % ru


def netpol_bootstrap_ok(r, comp):
    np = netpol(r, comp)
    tcp = rule_for_port(np, 8443, "TCP")
    udp = rule_for_port(np, 5684, "UDP")
    for ru in tcp + udp:
        assert "from" not in ru, "bootstrap rule restricted by default: %r" % ru.get("from")
        ports = {p["port"] for p in ru["ports"]}
        assert ports <= {8443, 5684}, "bootstrap rule also opens %s" % ports


def netpol_admin_ok(r, comp):
    rules = rule_for_port(netpol(r, comp), 9444)
    for ru in rules:
        eq({p["port"] for p in ru["ports"]}, {9444}, "admin rule ports")
        peers = ru.get("from")
        assert peers, "admin port open to everyone"
        for peer in peers:
            labels = (peer.get("podSelector") or peer.get("namespaceSelector"))["matchLabels"]
            eq(labels, {"onem2m-rsp/admin": "true"}, "admin peer labels")
            assert "ipBlock" not in peer


def netpol_ops_ok(r, comp):
    rules = rule_for_port(netpol(r, comp), 9090)
    for ru in rules:
        eq({p["port"] for p in ru["ports"]}, {9090}, "ops rule ports")
        eq(ru["from"], [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                         "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}], "ops peers")


def netpol_credential_ok(r):
    rules = rule_for_port(netpol(r, "mef"), 9443)
    eq(len(rules), 1, "rules for credential port")
    ru = rules[0]
    eq({p["port"] for p in ru["ports"]}, {9443}, "credential rule ports")
    eq(ru["from"], [{"podSelector": {"matchLabels": sel("maf")}}], "credential-port peers")


def netpol_maf_key_ok(r):
    rules = rule_for_port(netpol(r, "maf"), 9443)
    eq(len(rules), 1, "rules for key port")
    eq(rules[0]["from"], [{"podSelector": {"matchLabels": {"onem2m-rsp/maf-target": "true"}}}], "key-port peers")


def suites_ok(r):
    allowed_tls = {"TLS_PSK_WITH_AES_128_CBC_SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256",
                   "TLS_PSK_WITH_AES_128_CCM_8", "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256"}
    allowed_dtls = allowed_tls - {"TLS_PSK_WITH_AES_128_CBC_SHA256"}
    for comp in COMPONENTS:
        f = flagfile(r, comp)
        tls = f["tls_suites"].split(",")
        dtls = f["dtls_suites"].split(",")
        assert set(tls) <= allowed_tls and tls[0] == "TLS_PSK_WITH_AES_128_CBC_SHA256", tls
        assert set(dtls) <= allowed_dtls and dtls[0] == "TLS_PSK_WITH_AES_128_CCM_8", dtls


def prod_assertions(res, r, r_nocap, cls):
    for comp in COMPONENTS:
        name = "%s-%s" % (PREFIX, comp)

        def dep():
            return r.get("Deployment", name)

        res.check(cls, comp + "_hpa_targets_deployment", lambda: hpa_ok(r, comp))
        res.check(cls, comp + "_no_replicas_field_with_hpa", lambda: eq("replicas" in dep()["spec"], False,
                                                                          "replicas set although HPA is on"))
        res.check(cls, comp + "_resource_limits", lambda: limits_ok(dep()))
        res.check(cls, comp + "_certificate_secret_mounted", lambda: cert_ok(r, comp))
        res.check(cls, comp + "_existing_secrets", lambda: (
            pg_env_ok(dep(), "pg-%s-app" % comp, "uri"),
            secret_volumes_ok(dep(), "onem2m-%s-kek-prod" % comp, name + "-tls")))
        res.check(cls, comp + "_loadbalancers_keep_client_ip", lambda: lb_ok(r, comp))
        res.check(cls, comp + "_dtls_still_udp_clientip", lambda: dtls_service_ok(r, comp, 5684))
        res.check(cls, comp + "_tls_service_port_443", lambda: tls_service_ok(r, comp, 443))
        res.check(cls, comp + "_pdb_min_available_2", lambda: pdb_ok(r, comp, "minAvailable", 2))
        res.check(cls, comp + "_servicemonitor_scrapes_ops", lambda: servicemonitor_ok(r, comp))
        res.check(cls, comp + "_security_context_unchanged", lambda: (pod_sc_ok(dep()), container_sc_ok(dep())))
    res.check(cls, "admin_client_certificate", lambda: eq(
        r.get("Certificate", PREFIX + "-admin-client")["spec"]["usages"][-1], "client auth", "usage"))
    res.check(cls, "prometheusrule_alerts", lambda: prometheusrule_ok(r))
    res.check(cls, "admin_identities_flag_matches_admin_certificate", lambda: admin_ids_ok(r))
    res.check(cls, "maf_mef_endpoints_override", lambda: eq(
        flagfile(r, "maf")["mef_endpoints"],
        "mef.iot.example.net=dns:///rsp-onem2m-rsp-mef-credential.onem2m.svc.cluster.local:9443", "--mef_endpoints"))
    res.check(cls, "maf_targets_netpol_override", lambda: eq(
        rule_for_port(netpol(r, "maf"), 9443)[0]["from"][0]["namespaceSelector"]["matchLabels"],
        {"onem2m-rsp/maf-targets": "true"}, "namespaceSelector"))
    # Rendered on explicit values alone: helm-template GitOps without the cluster's API list gets them too.
    res.check(cls, "monitoring_objects_without_api_discovery", lambda: eq(
        (len(r_nocap.all("ServiceMonitor")), len(r_nocap.all("PrometheusRule"))), (2, 1), "monitoring objects"))


def helm_test_pod_ok(r):
    pods = [o for o in r.all("Pod") if o["metadata"]["annotations"].get("helm.sh/hook") == "test"]
    eq(len(pods), 1, "helm test Pods")
    pod = pods[0]
    eq(pod["metadata"]["labels"].get("onem2m-rsp/admin"), "true", "admin NetworkPolicy label")
    targets = sorted(a for c in pod["spec"]["containers"] for a in c["command"] if a.startswith("--target="))
    eq(targets, ["--target=%s-maf.%s.svc.cluster.local:9444" % (PREFIX, NAMESPACE),
                 "--target=%s-mef.%s.svc.cluster.local:9444" % (PREFIX, NAMESPACE)], "health targets")
    eq(pod["spec"]["volumes"][0]["secret"]["secretName"], PREFIX + "-admin-client", "client certificate Secret")


def extras_ok(r):
    d = r.get("Deployment", "%s-mef" % PREFIX)
    spec = d["spec"]["template"]["spec"]
    main = spec["containers"][0]
    eq([c["name"] for c in spec["containers"]], ["mef", "audit-shipper"], "containers")
    eq([c["name"] for c in spec["initContainers"]], ["wait"], "initContainers")
    assert {"name": "pgca", "secret": {"secretName": "pg-ca"}} in spec["volumes"], spec["volumes"]
    assert {"name": "pgca", "mountPath": "/etc/pgca"} in main["volumeMounts"], main["volumeMounts"]
    eq(main["envFrom"], [{"configMapRef": {"name": "extra"}}], "envFrom")
    assert {"name": "PGSSLROOTCERT", "value": "/etc/pgca/ca.crt"} in main["env"], main["env"]
    eq(d["spec"]["template"]["metadata"]["annotations"].get("example.com/a"), "b", "podAnnotations")


def cluster_domain_ok(r):
    eq(flagfile(r, "maf")["mef_endpoints"],
       "mef.example.com=dns:///%s-mef-credential.%s.svc.corp.internal:9443" % (PREFIX, NAMESPACE), "--mef_endpoints")
    names = r.get("Certificate", "%s-mef" % PREFIX)["spec"]["dnsNames"]
    assert "%s-mef.%s.svc.corp.internal" % (PREFIX, NAMESPACE) in names, names
    assert not [n for n in names if "cluster.local" in n], names


def admin_ids_ok(r):
    cert = r.get("Certificate", PREFIX + "-admin-client")
    eq(cert["spec"]["dnsNames"], ["rsp-admin.iot.example.net"], "admin client dnsNames")
    for comp in COMPONENTS:
        eq(flagfile(r, comp).get("admin_identities"), "rsp-admin.iot.example.net", comp + " --admin_identities")


def hpa_ok(r, comp):
    h = r.get("HorizontalPodAutoscaler", "%s-%s" % (PREFIX, comp))
    eq(h["apiVersion"], "autoscaling/v2", "apiVersion")
    eq(h["spec"]["scaleTargetRef"], {"apiVersion": "apps/v1", "kind": "Deployment", "name": "%s-%s" % (PREFIX, comp)},
       "scaleTargetRef")
    eq((h["spec"]["minReplicas"], h["spec"]["maxReplicas"]), (3, 12), "min/max")


def limits_ok(dep):
    lim = container(dep)["resources"]["limits"]
    assert "cpu" in lim and "memory" in lim, lim
    assert "cpu" in container(dep)["resources"]["requests"], "HPA needs cpu requests"


def cert_ok(r, comp):
    name = "%s-%s" % (PREFIX, comp)
    c = r.get("Certificate", name)
    eq(c["spec"]["secretName"], name + "-tls", "secretName")
    assert "%s.iot.example.net" % comp in c["spec"]["dnsNames"], c["spec"]["dnsNames"]
    assert {"server auth", "client auth"} <= set(c["spec"]["usages"]), c["spec"]["usages"]
    eq(c["spec"]["issuerRef"]["name"], "onem2m-internal-ca", "issuer")


def lb_ok(r, comp):
    for kind in ("tls", "dtls"):
        s = r.get("Service", "%s-%s-%s" % (PREFIX, comp, kind))
        eq(s["spec"]["type"], "LoadBalancer", kind + " type")
        eq(s["spec"].get("externalTrafficPolicy"), "Local", kind + " externalTrafficPolicy")


def servicemonitor_ok(r, comp):
    sm = r.get("ServiceMonitor", "%s-%s" % (PREFIX, comp))
    eq(sm["spec"]["endpoints"][0]["port"], "ops", "endpoint port")
    eq(sm["spec"]["endpoints"][0]["path"], "/metrics", "path")
    eq(sm["metadata"]["labels"].get("release"), "kube-prometheus-stack", "labels")
    svc = r.get("Service", "%s-%s" % (PREFIX, comp))
    for k, v in sm["spec"]["selector"]["matchLabels"].items():
        eq(svc["metadata"]["labels"].get(k), v, "internal Service label " + k)


def prometheusrule_ok(r):
    pr = r.get("PrometheusRule", PREFIX)
    alerts = {ru["alert"] for g in pr["spec"]["groups"] for ru in g["rules"]}
    for a in ("OneM2MServiceDown", "OneM2MStoreErrors", "OneM2MHandshakeFailureRatioHigh",
              "OneM2MMefUnreachableFromMaf", "OneM2MCertificateReloadFailing", "OneM2MGrpcServerErrors"):
        assert a in alerts, "missing alert " + a
    # Every shipped alert has its row in the alert table and its runbook section in the guide.
    with open(OPERATIONS_DOC) as fh:
        doc = fh.read()
    for a in sorted(alerts):
        assert ("\n### %s (" % a) in doc, "no runbook section '### %s (...)' in docs/operations.md" % a
        assert ("\n| %s |" % a) in doc, "no row for %s in docs/operations.md's alert table" % a
    # A full store outage refuses handshakes (aborted with internal_error, counted
    # onem2m_mef_handshakes_total{outcome="store_unavailable"}) before any enrolment reaches the
    # store, so the store alert must watch both series. It is evaluated against a real MEF whose
    # PostgreSQL is stopped under load by tests/e2e/store_outage_alert_test.py.
    store = [ru for g in pr["spec"]["groups"] for ru in g["rules"] if ru["alert"] == "OneM2MStoreErrors"][0]
    for part in ("onem2m_mef_handshakes_total", "onem2m_mef_enrolments_total", 'outcome="store_unavailable"'):
        assert part in store["expr"], "OneM2MStoreErrors does not watch " + part


# ------------------------------------------------------------------ schema / template rejections

BAD_VALUES = [
    ("mef_tls13_importer_unknown", ["--set", "mef.tls13.importer=maybe"]),
    ("maf_tls13_psk_mode_unknown", ["--set", "maf.tls13.pskMode=psk_ke"]),
    ("mef_replicas_0", ["--set", "mef.replicas=0"]),
    ("maf_replicas_0", ["--set", "maf.replicas=0"]),
    ("mef_replicas_string", ["--set-string", "mef.replicas=three"]),
    ("mef_forbidden_tls_suite_dhe_psk", ["--set", "mef.tlsSuites={%s,TLS_DHE_PSK_WITH_AES_128_CBC_SHA256}" % TLS_SUITES_OK]),
    ("maf_forbidden_dtls_suite_null", ["--set", "maf.dtlsSuites={TLS_PSK_WITH_AES_128_CCM_8,TLS_PSK_WITH_NULL_SHA256}"]),
    ("mef_cbc_suite_not_allowed_for_dtls", ["--set", "mef.dtlsSuites={TLS_PSK_WITH_AES_128_CCM_8,TLS_PSK_WITH_AES_128_CBC_SHA256}"]),
    ("mef_tls_suites_without_mandatory", ["--set", "mef.tlsSuites={TLS_PSK_WITH_AES_128_GCM_SHA256}"]),
    ("mef_duplicate_suites", ["--set", "mef.tlsSuites={%s,%s}" % (TLS_SUITES_OK, TLS_SUITES_OK)]),
    ("mef_port_70000", ["--set", "mef.ports.tls=70000"]),
    ("maf_port_0", ["--set", "maf.ports.dtls=0"]),
    ("mef_privileged_port_443_in_container", ["--set", "mef.ports.grpc=443"]),
    ("mef_service_port_65536", ["--set", "mef.service.dtls.port=65536"]),
    ("mef_service_type_bogus", ["--set", "mef.service.tls.type=Ingress"]),
    ("image_tag_empty", ["--set", "image.tag="]),
    ("mef_fqdn_upper_case", ["--set", "mef.fqdn=MEF.Example.com"]),
    ("admin_identity_not_fqdn", ["--set", "mef.adminIdentities={Admin User}"]),
    ("logging_format_xml", ["--set", "logging.format=xml"]),
    ("unknown_top_level_key", ["--set", "replicas=3"]),
    ("fullname_override_too_long", ["--set", "fullnameOverride=" + "x" * 41]),
    ("node_port_out_of_range", ["--set", "mef.service.tls.type=NodePort,mef.service.tls.nodePort=8443"]),
    ("extra_flags_cannot_override_pg", ["--set", "mef.extraFlags.pg=postgres://x"]),
    ("database_secret_required", ["--set", "mef.database.existingSecret=null"]),
    ("kek_secret_required", ["--set", "maf.kek.existingSecret=null"]),
    ("hpa_min_above_max", ["--set", "mef.autoscaling.enabled=true,mef.autoscaling.minReplicas=5,mef.autoscaling.maxReplicas=2"]),
    ("grace_period_zero", ["--set", "gracePeriodSeconds=0"]),
    ("maf_without_mef_needs_endpoints", ["--set", "mef.enabled=false"]),
    ("mef_grpc_and_admin_same_port", ["--set", "mef.ports.admin=9443"]),
    ("maf_ops_on_tls_port", ["--set", "maf.ports.ops=8443"]),
    ("mef_fetch_https_on_admin_port", ["--set", "mef.ports.fetchHttps=9444"]),
    ("extra_flag_value_with_newline", ["--set-string", "mef.extraFlags.log_format=json\n--pg=postgres://evil"]),
    ("mef_endpoint_target_with_newline", ["--set", "mef.enabled=false,maf.mefEndpoints[0].fqdn=mef.example.org",
                                          "--set-string", "maf.mefEndpoints[0].target=dns:///a:1\n--pg=x"]),
    ("sidecar_without_image", ["--set", "mef.sidecars[0].name=x"]),
    ("kek_backend_bogus", ["--set", "mef.kek.backend=vault"]),
    ("pkcs11_without_token_label", ["--set", "mef.kek.backend=pkcs11,mef.kek.pkcs11.pinSecret=pin"]),
    ("pkcs11_without_pin_secret", ["--set", "mef.kek.backend=pkcs11,mef.kek.pkcs11.tokenLabel=t"]),
    ("pkcs11_sessions_0", ["--set", "mef.kek.pkcs11.sessions=0"]),
]

GOOD_VALUES = [
    ("tls13_enabled", ["--set", "mef.tls13.enabled=true,maf.tls13.enabled=true,maf.tls13.importer=off"]),
    ("only_mandatory_suites", ["--set", "mef.tlsSuites={%s},mef.dtlsSuites={TLS_PSK_WITH_AES_128_CCM_8}" % TLS_SUITES_OK]),
    ("empty_suites_service_default", ["--set", "maf.tlsSuites=null,maf.dtlsSuites=null"]),
    ("maf_only_with_endpoints", ["--set", "mef.enabled=false,maf.mefEndpoints[0].fqdn=mef.example.org,"
                                 "maf.mefEndpoints[0].target=dns:///mef.example.org:9443"]),
    ("network_policy_off", ["--set", "networkPolicy.enabled=false"]),
    ("dtls_may_share_a_tcp_port_number", ["--set", "mef.ports.dtls=8443"]),
    ("nodeport_loadbalancer_source_ranges", ["--set", "mef.service.tls.type=NodePort,mef.service.tls.nodePort=30443,"
                                             "maf.service.dtls.type=LoadBalancer,"
                                             "maf.service.dtls.loadBalancerSourceRanges={10.0.0.0/8},"
                                             "networkPolicy.devices[0].ipBlock.cidr=10.0.0.0/8"]),
]


def schema_cases(res, rd):
    for name, args in BAD_VALUES:
        def bad(args=args):
            rc, out, err = rd.render(args)
            assert rc != 0, "accepted bad values %s" % " ".join(args)
            assert "rror" in err, "no error message: %r" % err[:300]
        res.check("deploy.chart.schema_rejects", name, bad)
    for name, args in GOOD_VALUES:
        def good(args=args):
            rc, out, err = rd.render(args)
            assert rc == 0, "rejected good values %s: %s" % (" ".join(args), err[:500])
            Rendered(out)
        res.check("deploy.chart.schema_accepts", name, good)


def readme_ok(chart):
    tool = README_TOOL
    p = subprocess.run([sys.executable, tool, "--check", chart], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chart", required=True)
    ap.add_argument("--helm", default="")
    ap.add_argument("--helm-template", default="")
    ap.add_argument("--k8s-validate", default="")
    ap.add_argument("--junit", default="")
    ap.add_argument("--keep", default="", help="directory to keep rendered manifests in")
    ap.add_argument("--readme-tool", required=True, help="deploy/helm/tools/chart_readme.py")
    ap.add_argument("--operations-doc", required=True, help="docs/operations.md (alert runbook)")
    a = ap.parse_args()
    global README_TOOL, OPERATIONS_DOC
    README_TOOL = a.readme_tool
    OPERATIONS_DOC = a.operations_doc

    res = Results()
    rd = Renderer(a.chart, a.helm, a.helm_template, a.k8s_validate)
    prod_values = os.path.join(a.chart, "ci", "prod-values.yaml")
    renders = {}

    def render_case(key, args):
        def f():
            rc, out, err = rd.render(args)
            assert rc == 0, "render failed (%d): %s" % (rc, err[-2000:])
            renders[key] = (out, Rendered(out))
            if a.keep:
                with open(os.path.join(a.keep, key + ".yaml"), "w") as fh:
                    fh.write(out)
        res.check("deploy.chart.render", key, f)

    render_case("default", [])
    render_case("prod", ["-f", prod_values, "-a", "monitoring.coreos.com/v1"])
    render_case("prod_without_monitoring_api", ["-f", prod_values])
    extras = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extras-values.yaml")
    render_case("extras", ["-f", extras])
    render_case("cluster_domain", ["--set", "clusterDomain=corp.internal,certManager.enabled=true"])
    # KEKs in an HSM: the MEF keeps its keyring for older rows, the MAF uses the token alone.
    render_case("pkcs11", ["--set", "mef.kek.backend=pkcs11,mef.kek.pkcs11.tokenLabel=onem2m-mef,"
                           "mef.kek.pkcs11.pinSecret=mef-hsm-pin,mef.kek.activeVersion=2,"
                           "maf.kek.backend=pkcs11,maf.kek.existingSecret=,"
                           "maf.kek.pkcs11.tokenLabel=onem2m-maf,maf.kek.pkcs11.pinSecret=maf-hsm-pin"])

    def pkcs11_ok():
        r = renders["pkcs11"][1]
        for comp in COMPONENTS:
            f = flagfile(r, comp)
            eq(f.get("kek_backend"), "pkcs11", comp + " --kek_backend")
            eq(f.get("pkcs11_token_label"), "onem2m-" + comp, comp + " --pkcs11_token_label")
            eq(f.get("pkcs11_pin_file"), "/var/run/secrets/onem2m/hsm/pin", comp + " --pkcs11_pin_file")
            eq(f.get("pkcs11_module"), "/usr/lib/softhsm/libsofthsm2.so", comp + " --pkcs11_module")
            eq(f.get("pkcs11_sessions"), "8", comp + " --pkcs11_sessions")
            dep = r.get("Deployment", "%s-%s" % (PREFIX, comp))
            vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
            eq(vols["hsm-pin"]["secret"]["secretName"], comp + "-hsm-pin", comp + " pin secret")
            eq(vols["hsm-pin"]["secret"]["defaultMode"], 0o440, comp + " pin mode")
            eq(("kek" in vols), comp == "mef", comp + " keyring volume")
            eq(("kek_file" in f), comp == "mef", comp + " --kek_file")
        eq(flagfile(r, "mef").get("kek_active_version"), "2", "--kek_active_version")
        for comp in COMPONENTS:
            assert "kek_backend" not in flagfile(renders["default"][1], comp), "file is the default"
    res.check("deploy.chart.kek", "pkcs11_backend", pkcs11_ok)

    if a.helm:
        for key, args in (("default", []), ("prod", ["-f", prod_values])):
            def lint(args=args):
                rc, out = rd.lint(args)
                assert rc == 0, out[-2000:]
            res.check("deploy.chart.lint", key, lint)

    for key in ("default", "prod"):
        def validate(key=key):
            if not a.k8s_validate:
                raise SkipCase("k8s-validate not available")
            if key not in renders:
                raise AssertionError("not rendered")
            rc, out = rd.validate(renders[key][0])
            assert rc == 0 and "ERROR" not in out, out[-3000:]
            assert out.count("OK ") >= 17, "too few objects validated:\n" + out
        res.check("deploy.chart.k8s_validate", key, validate)

    if "default" in renders:
        default_assertions(res, renders["default"][1], "deploy.chart.default")
    if "prod" in renders and "prod_without_monitoring_api" in renders:
        prod_assertions(res, renders["prod"][1], renders["prod_without_monitoring_api"][1], "deploy.chart.prod")
    if "extras" in renders:
        res.check("deploy.chart.extras", "volumes_env_sidecars_init_annotations", lambda: extras_ok(renders["extras"][1]))
    if "cluster_domain" in renders:
        res.check("deploy.chart.cluster_domain", "names_use_cluster_domain",
                  lambda: cluster_domain_ok(renders["cluster_domain"][1]))
    res.check("deploy.chart.readme", "parameters_table_up_to_date", lambda: readme_ok(a.chart))
    schema_cases(res, rd)

    if a.junit:
        res.write_junit(a.junit)
    p, f, s = res.count("passed"), res.count("failed"), res.count("skipped")
    print("chart_test: %d passed, %d failed, %d skipped" % (p, f, s))
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
