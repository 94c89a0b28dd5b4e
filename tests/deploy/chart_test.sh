#!/usr/bin/env bash
# Chart test for deploy/helm/onem2m-rsp. Runs under `bazel test //tests/deploy:chart_test` or directly:
#   ONEM2M_SHARED_DIR=/work/shared tests/deploy/chart_test.sh
# Tools, in order: `helm` on PATH (helm lint + helm template); else the offline
# ${ONEM2M_SHARED_DIR:-<repo>/../shared}/tools/helm-template/helm-template (+ k8s-validate).
# With neither it records a skipped JUnit testcase in $XML_OUTPUT_FILE and exits 0 (Bazel has no skip
# status; CI totals the XML). The assertions live in chart_test.py (Python 3 + PyYAML).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name=chart_test

skip() {
  echo "SKIP $name: $*" >&2
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    msg="$(printf '%s' "$*" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')"
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="deploy.chart_test" tests="1" failures="0" errors="0" skipped="1">
<testcase classname="deploy.chart" name="chart_test"><skipped message="$msg"/></testcase>
</testsuite></testsuites>
XML
  fi
  echo "$name: 0 passed, 0 failed, 1 skipped"
  exit 0
}

# --- the chart: Bazel runfiles, else the source tree next to this script
chart_src=""
for d in "${TEST_SRCDIR:-}/${TEST_WORKSPACE:-onem2m_rsp}/deploy/helm/onem2m-rsp" "$here/../../deploy/helm/onem2m-rsp"; do
  if [ -f "$d/Chart.yaml" ]; then chart_src="$d"; break; fi
done
[ -n "$chart_src" ] || { echo "FAIL: chart not found (runfiles or source tree)" >&2; exit 1; }

# The repository root: follow the runfiles symlink back to the source file.
repo="$(cd "$(dirname "$(readlink -f "$chart_src/Chart.yaml")")/../../.." && pwd)"
shared="${ONEM2M_SHARED_DIR:-$repo/../shared}"

# A stable, writable cache for helm-template's compiled binary and k8s-validate's npm packages, so the
# first-run build is reused across runs (in Bazel's test environment HOME may be a throwaway dir).
export XDG_CACHE_HOME="${ONEM2M_HELM_CACHE:-/tmp/onem2m-helm-cache}"
mkdir -p "$XDG_CACHE_HOME" 2>/dev/null || export XDG_CACHE_HOME="${TEST_TMPDIR:-/tmp}/onem2m-helm-cache"

# Bazel's test environment drops most of the caller's variables. Node (npm, k8s-validate's first-run
# install) uses its bundled CA list unless told otherwise; make it trust the system store as apt does,
# so the npm registry is reachable wherever the machine's CA setup is in /etc/ssl/certs.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ]; then
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--use-openssl-ca"
fi

helm_bin="" ht="" kv=""
if command -v helm >/dev/null 2>&1; then
  helm_bin="$(command -v helm)"
fi
if [ -x "$shared/tools/helm-template/helm-template" ]; then
  ht="$shared/tools/helm-template/helm-template"
fi
if [ -x "$shared/tools/helm-template/k8s-validate" ]; then
  kv="$shared/tools/helm-template/k8s-validate"
fi
if [ -z "$helm_bin" ] && [ -z "$ht" ]; then
  skip "neither helm on PATH nor helm-template under ${shared}/tools/helm-template (set ONEM2M_SHARED_DIR)"
fi

# --- Python 3 with PyYAML (Debian: python3-yaml)
py=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then py="$(command -v "$p")"; break; fi
done
# Tests install nothing: deploy/local/install_deps.sh installs python3-yaml and warms the chart tools.
[ -n "$py" ] || { echo "FAIL: python3 with PyYAML missing (run deploy/local/install_deps.sh)" >&2; exit 1; }

# --- check the tools run (install_deps.sh has already built and installed them into the cache)
if [ -z "$helm_bin" ]; then
  probe="$(mktemp -d)"; trap 'rm -rf "$probe" "${work:-}"' EXIT
  printf 'apiVersion: v2\nname: probe\nversion: 0.1.0\n' >"$probe/Chart.yaml"
  mkdir "$probe/templates"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n' >"$probe/templates/cm.yaml"
  if ! timeout 240 "$ht" "$probe" >"$probe/out.yaml" 2>"$probe/err"; then
    cat "$probe/err" >&2
    skip "helm-template could not be built or run (see log above)"
  fi
  if [ -n "$kv" ] && ! timeout 150 "$kv" "$probe/out.yaml" >"$probe/kv.log" 2>&1; then
    cat "$probe/kv.log" >&2
    echo "$name: k8s-validate unusable (first-run npm install failed or timed out); validation cases will be skipped" >&2
    kv=""
  fi
fi

# Copy the chart out of the runfiles tree (symlinks) into a plain directory.
work="$(mktemp -d)"; trap 'rm -rf "${probe:-}" "$work"' EXIT
cp -rL "$chart_src" "$work/onem2m-rsp"

keep="${TEST_UNDECLARED_OUTPUTS_DIR:-}"
"$py" "$here/chart_test.py" --chart "$work/onem2m-rsp" \
  --helm "$helm_bin" --helm-template "$ht" --k8s-validate "$kv" \
  --readme-tool "$repo/deploy/helm/tools/chart_readme.py" \
  --operations-doc "$repo/docs/operations.md" \
  --junit "${XML_OUTPUT_FILE:-}" ${keep:+--keep "$keep"}
exit $?
