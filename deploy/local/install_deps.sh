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
  libcoap3-dev libhttp-parser-dev nlohmann-json3-dev prometheus-cpp-dev
  postgresql-15 postgresql-client-15
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
