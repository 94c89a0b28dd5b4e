"""Chart test checks of the optional features: the helm test Pod, extra volumes/env/sidecars,
the cluster domain, admin identities, autoscaling, resource limits, cert-manager Certificates,
LoadBalancers, ServiceMonitors and the PrometheusRule alerts with their runbook in
docs/operations.md."""
import chart_harness
from chart_harness import COMPONENTS, NAMESPACE, PREFIX, container, eq, flagfile


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
    with open(chart_harness.OPERATIONS_DOC) as fh:
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
