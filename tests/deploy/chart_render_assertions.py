"""The chart test's assertion lists on the two main renders: the default values and
ci/prod-values.yaml (one JUnit testcase each, named after what it checks)."""
from chart_harness import COMPONENTS, NAMESPACE, PREFIX, container, eq, flagfile, rule_for_port
from chart_workload_checks import (
    all_labelled,
    anti_affinity_ok,
    command_ok,
    container_ports_ok,
    container_sc_ok,
    flagfile_ok,
    grace_ok,
    mounts_ok,
    only_known_flags,
    pg_env_ok,
    pod_sc_ok,
    probes_ok,
    secret_volumes_ok,
    selector_matches,
    suites_ok,
)
from chart_network_checks import (
    dtls_service_ok,
    headless_ok,
    internal_service_ok,
    netpol,
    netpol_admin_ok,
    netpol_base_ok,
    netpol_bootstrap_ok,
    netpol_credential_ok,
    netpol_maf_key_ok,
    netpol_ops_ok,
    netpol_ports_everywhere,
    pdb_ok,
    services_select,
    tls_service_ok,
)
from chart_feature_checks import (
    admin_ids_ok,
    cert_ok,
    helm_test_pod_ok,
    hpa_ok,
    lb_ok,
    limits_ok,
    prometheusrule_ok,
    servicemonitor_ok,
)


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
