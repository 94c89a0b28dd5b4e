"""Chart test cases on values: values.schema.json and the templates' own checks must reject the
bad values and accept the good ones; the README's parameter table must be up to date."""
import subprocess
import sys

import chart_harness
from chart_harness import Rendered, TLS_SUITES_OK


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
    tool = chart_harness.README_TOOL
    p = subprocess.run([sys.executable, tool, "--check", chart], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
