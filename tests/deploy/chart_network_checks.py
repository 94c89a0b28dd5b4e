"""Chart test checks of how the services are reached: Services (DTLS over UDP with client IP
kept, TLS, internal gRPC/admin/ops, the MEF's headless credential Service), PodDisruptionBudgets
and the NetworkPolicies of each port."""
from chart_harness import PREFIX, eq, rule_for_port, sel
from chart_workload_checks import MEF_FETCH_HTTPS


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
