#!/usr/bin/env bash
# The main job, on one machine: installs what is missing, builds, creates a local CA and the
# service certificates, starts a throwaway PostgreSQL, the MEF and the MAF, provisions a batch of
# enrolees through the MEF admin API (mutual TLS), and runs every enrolee (half over TLS, half over
# DTLS) through bootstrap at the MEF -> first contact at the MAF with its KeID (the MAF fetches Km
# from the MEF over gRPC) -> client registration -> key registration -> a KmID handshake; then a
# backend Target fetches each key from the MAF over gRPC, and the key fingerprints must agree.
# It checks every answered enrolment is durable, prints a summary (no key bytes) and stops
# everything it started.
#
#   bash deploy/local/demo.sh            # 20 enrolees
#   DEVICES=200 bash deploy/local/demo.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DEVICES=${DEVICES:-20}

say() { printf '\n== %s\n' "$*"; }

say "installing missing Debian packages (if any)"
bash deploy/local/install_deps.sh || exit 1

say "building (bazel, offline)"
bazel build --ui_event_filters=-info --noshow_progress //services:mef_server //services:maf_server \
  //services:rsp_admin //services:enrolee //services:rsp_target || exit 1
BIN=$(bazel info bazel-bin 2>/dev/null)

WORK=$(mktemp -d /tmp/onem2m-demo.XXXXXX)
chmod 755 "$WORK"
MEF_PID=""
MAF_PID=""
cleanup() {
  [ -n "$MAF_PID" ] && kill -TERM "$MAF_PID" 2>/dev/null && wait "$MAF_PID" 2>/dev/null
  [ -n "$MEF_PID" ] && kill -TERM "$MEF_PID" 2>/dev/null && wait "$MEF_PID" 2>/dev/null
  [ -n "${ONEM2M_TEST_PG_DIR:-}" ] && bash "$ROOT/tests/pg/stop_pg.sh" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# A port free for both TCP and UDP (the DTLS listeners use UDP; a held port makes a server refuse
# to start rather than share it).
free_port() { python3 -c '
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
'; }
http_get() { python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1],timeout=2).read().decode())' "$1"; }
wait_ready() {  # ops-port log-file name
  for _ in $(seq 1 150); do
    http_get "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$3 did not become ready:"; cat "$2"; return 1
}
metric_lines() { http_get "http://127.0.0.1:$1/metrics" | grep -E "^($2)" | grep -vE " 0$" | tr '\n' ';'; }

say "local CA and certificates in $WORK/certs"
bash deploy/local/make_certs.sh "$WORK/certs" || exit 1

say "throwaway PostgreSQL on loopback (databases: postgres for the MEF, maf for the MAF)"
eval "$(bash tests/pg/start_pg.sh)" || exit 1
echo "$ONEM2M_TEST_PG"
MAF_PG="${ONEM2M_TEST_PG/dbname=postgres/dbname=maf}"
psql "$ONEM2M_TEST_PG" -qc "create database maf" || exit 1

say "key-encryption keyrings (one per service)"
( umask 077
  printf '1:%s\n' "$(openssl rand -hex 32)" > "$WORK/mef-kek"
  printf '1:%s\n' "$(openssl rand -hex 32)" > "$WORK/maf-kek" )

TLS_PORT=$(free_port); DTLS_PORT=$(free_port); CRED_PORT=$(free_port); ADMIN_PORT=$(free_port); OPS_PORT=$(free_port)
MAF_TLS=$(free_port); MAF_DTLS=$(free_port); MAF_KEYS=$(free_port); MAF_OPS=$(free_port)
CERTS=(--tls_ca="$WORK/certs/ca.crt")

say "starting the MEF (TLS :$TLS_PORT, DTLS :$DTLS_PORT, credential gRPC :$CRED_PORT, admin gRPC :$ADMIN_PORT, ops :$OPS_PORT)"
"$BIN/services/mef/mef_server" \
  --mef_fqdn=mef.local --store=pg --pg="$ONEM2M_TEST_PG" --kek_file="$WORK/mef-kek" \
  --tls_listen=127.0.0.1:$TLS_PORT --dtls_listen=127.0.0.1:$DTLS_PORT \
  --credential_grpc_listen=127.0.0.1:$CRED_PORT --admin_grpc_listen=127.0.0.1:$ADMIN_PORT \
  --ops_listen=127.0.0.1:$OPS_PORT "${CERTS[@]}" \
  --tls_cert="$WORK/certs/mef.crt" --tls_key="$WORK/certs/mef.key" \
  --admin_identities=admin.local --audit_log="$WORK/mef-audit.log" --log_format=text \
  2> "$WORK/mef.log" &
MEF_PID=$!
wait_ready $OPS_PORT "$WORK/mef.log" MEF || exit 1
grep mef_started "$WORK/mef.log"

say "starting the MAF (TLS :$MAF_TLS, DTLS :$MAF_DTLS, key gRPC :$MAF_KEYS, ops :$MAF_OPS; MEF mef.local at localhost:$CRED_PORT)"
"$BIN/services/maf/maf_server" \
  --maf_fqdn=maf.local --store=pg --pg="$MAF_PG" --kek_file="$WORK/maf-kek" \
  --tls_listen=127.0.0.1:$MAF_TLS --dtls_listen=127.0.0.1:$MAF_DTLS \
  --key_grpc_listen=127.0.0.1:$MAF_KEYS --ops_listen=127.0.0.1:$MAF_OPS \
  --mef_endpoints=mef.local=localhost:$CRED_PORT "${CERTS[@]}" \
  --tls_cert="$WORK/certs/maf.crt" --tls_key="$WORK/certs/maf.key" \
  --audit_log="$WORK/maf-audit.log" --log_format=text \
  2> "$WORK/maf.log" &
MAF_PID=$!
wait_ready $MAF_OPS "$WORK/maf.log" MAF || exit 1
grep maf_started "$WORK/maf.log"

ADMIN=("$BIN/services/admin/rsp_admin" --mef=127.0.0.1:$ADMIN_PORT --server_name=mef.local "${CERTS[@]}"
       --tls_cert="$WORK/certs/admin.crt" --tls_key="$WORK/certs/admin.key")
target() {  # cert-name key-id
  "$BIN/services/target/rsp_target" --maf=127.0.0.1:$MAF_KEYS --server_name=maf.local "${CERTS[@]}" \
    --tls_cert="$WORK/certs/$1.crt" --tls_key="$WORK/certs/$1.key" --key_id="$2"
}

say "provisioning $DEVICES enrolees through the MEF admin API (bulk import; MAF-ID maf.local)"
"${ADMIN[@]}" import gen --count="$DEVICES" --out="$WORK/enrolees.csv" --maf-id=maf.local --prefix=demo-dev- || exit 1
"${ADMIN[@]}" import --file="$WORK/enrolees.csv" || exit 1

say "every enrolee: bootstrap at the MEF -> KeID handshake, registration, key registration, KmID handshake at the MAF -> the Target fetches the key"
ok=0; failed=0; n=0
START=$(date +%s.%N)
while IFS=, read -r kpm_id kpm_hex enrolee_id _rest; do
  [ "$kpm_id" = "kpm_id" ] && continue
  n=$((n + 1))
  ( umask 077; printf '%s\n' "$kpm_hex" > "$WORK/kpm" )
  if [ $((n % 2)) -eq 1 ]; then transport=tls; port=$TLS_PORT; maf_port=$MAF_TLS
  else transport=dtls; port=$DTLS_PORT; maf_port=$MAF_DTLS; fi
  if ! out=$("$BIN/services/enrolee/enrolee" --mef=127.0.0.1:$port --mef_fqdn=mef.local \
        --transport=$transport --kpm_id="$kpm_id" --kpm_file="$WORK/kpm" --enrolee_id="$enrolee_id" \
        --maf=127.0.0.1:$maf_port --register_key_for=target.local 2>&1); then
    failed=$((failed + 1)); echo "  [$kpm_id] FAILED: $out"; continue
  fi
  echo "$out" | awk '/KeID/ {print $2}' >> "$WORK/ke_ids"
  key_id=$(echo "$out" | awk '/KeyID/ {print $2}')
  device_fp=$(echo "$out" | awk '/fingerprint/ {print $2}')
  if ! tout=$(target target "$key_id" 2>&1); then
    failed=$((failed + 1)); echo "  [$kpm_id] TARGET FETCH FAILED: $tout"; continue
  fi
  target_fp=$(echo "$tout" | awk '/fingerprint/ {print $2}')
  if [ -z "$device_fp" ] || [ "$device_fp" != "$target_fp" ]; then
    failed=$((failed + 1)); echo "  [$kpm_id] KEY MISMATCH: device $device_fp, Target $target_fp"; continue
  fi
  ok=$((ok + 1))
  last_key=$key_id
  if [ $n -le 2 ]; then
    echo "$out" | sed "s/^/  [$kpm_id] /"
    echo "$tout" | sed "s/^/  [Target target.local] /"
  fi
done < "$WORK/enrolees.csv"
END=$(date +%s.%N)
rm -f "$WORK/kpm"
[ $n -gt 2 ] && echo "  ... ($((n - 2)) more)"

say "negative checks"
refused=$(target admin "${last_key:-none}" 2>&1 | tail -1)
echo "  a Target not among targetIDs (admin.local): $refused"
printf '%s' "$(openssl rand -hex 32)" > "$WORK/wrong"
wrong=$("$BIN/services/enrolee/enrolee" --mef=127.0.0.1:$TLS_PORT --mef_fqdn=mef.local \
  --kpm_id=demo-dev-01 --kpm_file="$WORK/wrong" --attempts=1 2>&1 | tail -1)
echo "  a wrong Kpm: $wrong"

say "checking every answered enrolment is durable in PostgreSQL"
matched=0
if [ -f "$WORK/ke_ids" ]; then
  while read -r k; do
    c=$(psql "$ONEM2M_TEST_PG" -Atc "select count(*) from enrolments where ke_id = '$k'" 2>/dev/null)
    [ "$c" = "1" ] && matched=$((matched + 1))
  done < "$WORK/ke_ids"
fi
answered=$(wc -l < "$WORK/ke_ids" 2>/dev/null || echo 0)
echo "  $matched of $answered answered KeIDs have their row"

say "summary"
printf '  enrolees provisioned           %s\n' "$DEVICES"
printf '  full flows ok / failed         %s / %s  (%.1f s; one device and one Target process each)\n' \
  "$ok" "$failed" "$(python3 -c "print($END - $START)")"
printf '  keys agreeing (device, Target) %s of %s\n' "$ok" "$n"
printf '  durable enrolments             %s of %s answered\n' "$matched" "$answered"
printf '  audit records                  MEF %s, MAF %s\n' "$(wc -l < "$WORK/mef-audit.log")" "$(wc -l < "$WORK/maf-audit.log")"
printf '  MEF metrics                    %s\n' "$(metric_lines $OPS_PORT 'onem2m_mef_enrolments_total|onem2m_mef_credential_fetches_total')"
printf '  MAF metrics                    %s\n' "$(metric_lines $MAF_OPS 'onem2m_maf_requests_total|onem2m_maf_credential_fetches_total|onem2m_maf_handshake_notes_total')"
if [ "$failed" -eq 0 ] && [ "$ok" -eq "$DEVICES" ] && [ "$matched" -eq "$answered" ]; then
  echo "  RESULT: every enrolee bootstrapped, registered at its MAF and shared a key its Target fetched"
  exit 0
fi
echo "  RESULT: FAILED"
exit 1
