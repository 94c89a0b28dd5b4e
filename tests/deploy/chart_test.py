#!/usr/bin/env python3
"""Chart test for deploy/helm/onem2m-rsp.

Renders the chart with default values and with ci/prod-values.yaml (helm if present, else the offline
helm-template), validates every object with k8s-validate, asserts on the rendered objects, and checks
that values.schema.json (and the templates' own checks) reject bad values.

One JUnit testcase per assertion goes to --junit (Bazel's $XML_OUTPUT_FILE). Exit status: 0 when all
ran assertions passed, 1 otherwise. Invoked by chart_test.sh, which finds the tools.

The checks live beside this file by chart concern: chart_harness (rendering, results, lookups),
chart_workload_checks (Deployments, flagfiles), chart_network_checks (Services, PDBs,
NetworkPolicies), chart_feature_checks (optional features, alerts), chart_render_assertions (the
lists run on the default and prod renders) and chart_values_cases (schema rejections, README).
"""
import argparse
import os
import sys

# The check modules sit beside this file, which Bazel runs from the source tree (local = True):
# keep their bytecode out of it.
sys.dont_write_bytecode = True

import chart_harness  # noqa: E402 (after the bytecode switch)
from chart_feature_checks import cluster_domain_ok, extras_ok  # noqa: E402
from chart_harness import (COMPONENTS, PREFIX, Renderer, Rendered, Results,  # noqa: E402
                           SkipCase, eq, flagfile)
from chart_render_assertions import default_assertions, prod_assertions  # noqa: E402
from chart_values_cases import readme_ok, schema_cases  # noqa: E402


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
    chart_harness.README_TOOL = a.readme_tool
    chart_harness.OPERATIONS_DOC = a.operations_doc

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