"""Chart test checks of the Deployments and their flagfiles: labels and selectors, command,
ports, probes, security contexts, mounts, grace period, anti-affinity, database and secret
volumes, the flags the chart writes and the TLS/DTLS suites (docs/protocol.md list)."""
from chart_harness import COMPONENTS, KNOWN_FLAGS, NAMESPACE, container, eq, flagfile, sel


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
