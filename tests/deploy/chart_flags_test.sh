#!/usr/bin/env bash
# Renders the Helm chart (default, ci/prod-values.yaml, and TLS 1.3 enabled), takes the MEF and MAF config files out of
# its ConfigMaps and starts each binary on them: every option the chart writes must be one the
# binary knows (an unknown option stops start-up). The binaries then stop at the first missing
# mounted file (the keyring), which shows the whole file parsed.
# Usage: chart_flags_test.sh MEF_BINARY MAF_BINARY
set -uo pipefail
mef_bin=$(readlink -f "$1"); maf_bin=$(readlink -f "$2")
here="$(cd "$(dirname "$0")" && pwd)"
chart=""
for d in "${TEST_SRCDIR:-}/${TEST_WORKSPACE:-onem2m_rsp}/deploy/helm/onem2m-rsp" "$here/../../deploy/helm/onem2m-rsp"; do
  [ -f "$d/Chart.yaml" ] && { chart="$d"; break; }
done
repo="$(cd "$(dirname "$(readlink -f "$chart/Chart.yaml")")/../../.." && pwd)"
# helm on PATH first, else the shared offline renderer (never a copy in this repository).
ht=""
if command -v helm >/dev/null 2>&1; then
  ht="$(command -v helm) template"
elif [ -x "${ONEM2M_SHARED_DIR:-/nonexistent}/tools/helm-template/helm-template" ]; then
  ht="$ONEM2M_SHARED_DIR/tools/helm-template/helm-template"
fi
if [ -z "$ht" ]; then
  echo "SKIP: neither helm on PATH nor \$ONEM2M_SHARED_DIR/tools/helm-template" >&2
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
      '<testsuites><testsuite name="deploy.chart_flags" tests="1" failures="0" errors="0" skipped="1">' \
      '<testcase classname="deploy.chart_flags" name="chart_flags_test"><skipped message="no chart renderer"/></testcase>' \
      '</testsuite></testsuites>' >"$XML_OUTPUT_FILE"
  fi
  exit 0
fi
export XDG_CACHE_HOME="${ONEM2M_HELM_CACHE:-/tmp/onem2m-helm-cache}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
for values in "" "$chart/ci/prod-values.yaml" "tls13"; do
  args=("$chart")
  if [ "$values" = "tls13" ]; then
    # The TLS 1.3 options (docs/protocol.md 2a) are written only when enabled.
    args+=(--set "mef.tls13.enabled=true,mef.tls13.importer=both,maf.tls13.enabled=true,maf.tls13.pskMode=ke")
  elif [ -n "$values" ]; then
    args+=(-f "$values")
  fi
  $ht "${args[@]}" > "$tmp/out.yaml" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  python3 -c '
import sys, yaml
out = sys.argv[1]
for d in yaml.safe_load_all(open(sys.argv[2])):
    if d and d.get("kind") == "ConfigMap":
        for name, text in (d.get("data") or {}).items():
            if name.endswith(".conf"):
                open(out + "/" + name, "w").write(text)
' "$tmp" "$tmp/out.yaml"
  for svc in mef maf; do
    conf="$tmp/$svc.conf"
    [ -f "$conf" ] || { echo "FAIL: no $svc.conf rendered (${values:-defaults})"; failed=1; continue; }
    bin=$mef_bin; [ "$svc" = maf ] && bin=$maf_bin
    msg=$(ONEM2M_STORE=memory timeout 10 "$bin" --config="$conf" 2>&1)
    if echo "$msg" | grep -q "Unknown command line flag\|Illegal value\|ERROR:"; then
      echo "FAIL: $svc (${values:-defaults}): $msg"; failed=1
    elif echo "$msg" | grep -q -- "--kek_file"; then
      echo "PASS: $svc (${values:-defaults}): every option parsed"
    else
      echo "FAIL: $svc (${values:-defaults}): unexpected: $msg"; failed=1
    fi
  done
done
exit $failed
