#!/usr/bin/env bash
# Creates a throwaway local CA and the certificates the gRPC ports need (EC P-256, 30 days):
#   ca.crt; mef.crt/key (DNS mef.local, localhost); maf.crt/key (DNS maf.local);
#   admin.crt/key (DNS admin.local); target.crt/key (DNS target.local).
# Usage: make_certs.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=onem2m local ca" -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
issue() {
  local name=$1 dns=$2
  openssl ecparam -name prime256v1 -genkey -noout -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "/CN=${dns%%,*}" -out "$name.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$(echo "$dns" | sed 's/\([^,]*\)/DNS:\1/g')" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}
issue mef "mef.local,localhost"
issue maf "maf.local,localhost"
issue admin "admin.local"
issue target "target.local"
chmod 0644 ./*.crt
