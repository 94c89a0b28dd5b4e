#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds, tests and runs with, if any is missing.
# Everything comes from Debian's archive; Bazel downloads nothing (see WORKSPACE).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java
  g++ python3 python3-yaml openssl ca-certificates procps iproute2 curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev libpqxx-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcoap3-dev libcoap3-bin libhttp-parser-dev nlohmann-json3-dev prometheus-cpp-dev
  libcli11-dev
  postgresql-15 postgresql-client-15
  # KEKs in a PKCS#11 token (--kek_backend=pkcs11): the API header, and SoftHSM2 for the tests.
  libp11-kit-dev softhsm2
  # The benchmark report's charts (tests/bench/report.sh).
  python3-matplotlib
  # Profiling the servers under load (tests/bench/profile.sh, docs/performance.md).
  linux-perf strace
  # jemalloc: the MAF's malloc (linked, //common/allocator:jemalloc); with tcmalloc, the allocator
  # comparison of docs/operations.md "Memory per session" (mef_load --mef_preload).
  libjemalloc2 libtcmalloc-minimal4
  # Independent peers of the interop tests.
  curl gnutls-bin libcoap3-bin
  # libFuzzer targets (tests/fuzz, --config=fuzz): clang 14 with its sanitizer/fuzzer runtimes.
  clang-14 libclang-rt-14-dev llvm-14
  # The shared chart tools (../shared/tools/helm-template): Go toolchain and libraries for
  # helm-template, Node.js and npm for k8s-validate. Installed here, never by a test.
  golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev
)
# Node.js and npm (k8s-validate): these machines may carry a Node.js build that bundles npm and
# conflicts with Debian's npm package, so ask for Debian's only when there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -ne 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# First use of the shared chart tools compiles helm-template and npm-installs k8s-validate's
# schemas into a cache. Do it here, once, before any test runs: two chart tests starting at the
# same time must find both ready (they share this cache through ONEM2M_HELM_CACHE's default).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shared="${ONEM2M_SHARED_DIR:-$here/../../../shared}"
tools="$shared/tools/helm-template"
if [ -x "$tools/helm-template" ] && ! command -v helm >/dev/null 2>&1; then
  export XDG_CACHE_HOME="${ONEM2M_HELM_CACHE:-/tmp/onem2m-helm-cache}"
  mkdir -p "$XDG_CACHE_HOME"
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' EXIT
  mkdir "$probe/templates"
  printf 'apiVersion: v2\nname: probe\nversion: 0.1.0\n' >"$probe/Chart.yaml"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n' >"$probe/templates/cm.yaml"
  if ! "$tools/helm-template" "$probe" >"$probe/out.yaml"; then
    echo "install_deps: helm-template could not be built (see above)" >&2
    exit 1
  fi
  if ! "$tools/k8s-validate" "$probe/out.yaml" >/dev/null; then
    echo "install_deps: k8s-validate could not be installed (see above)" >&2
    exit 1
  fi
fi
