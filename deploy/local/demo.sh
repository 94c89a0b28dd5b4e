#!/usr/bin/env bash
# The main job, on one machine: installs what is missing, builds, creates a local CA and the
# service certificates, starts a throwaway PostgreSQL and the MEF, provisions a batch of
# enrolees through the admin API (mutual TLS), bootstraps every one of them (half over TLS, half
# over DTLS), checks each enrolment is in the database, prints a summary (no key bytes) and stops
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
bazel build --ui_event_filters=-info --noshow_progress //services:mef_server //services:rsp_admin //services:enrolee || exit 1
BIN=$(bazel info bazel-bin 2>/dev/null)

WORK=$(mktemp -d /tmp/onem2m-demo.XXXXXX)
chmod 755 "$WORK"
MEF_PID=""
cleanup() {
  [ -n "$MEF_PID" ] && kill -TERM "$MEF_PID" 2>/dev/null && wait "$MEF_PID" 2>/dev/null
  [ -n "${ONEM2M_TEST_PG_DIR:-}" ] && bash "$ROOT/tests/pg/stop_pg.sh" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

say "local CA and certificates in $WORK/certs"
bash deploy/local/make_certs.sh "$WORK/certs" || exit 1

say "throwaway PostgreSQL on loopback"
eval "$(bash tests/pg/start_pg.sh)" || exit 1
echo "$ONEM2M_TEST_PG"

say "key-encryption keyring"
( umask 077; printf '1:%s\n' "$(openssl rand -hex 32)" > "$WORK/kek" )

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
TLS_PORT=$(free_port); DTLS_PORT=$(free_port); CRED_PORT=$(free_port); ADMIN_PORT=$(free_port); OPS_PORT=$(free_port)

say "starting the MEF (TLS :$TLS_PORT, DTLS :$DTLS_PORT, admin gRPC :$ADMIN_PORT, ops :$OPS_PORT)"
"$BIN/services/mef/mef_server" \
  --mef_fqdn=mef.local --store=pg --pg="$ONEM2M_TEST_PG" --kek_file="$WORK/kek" \
  --tls_listen=127.0.0.1:$TLS_PORT --dtls_listen=127.0.0.1:$DTLS_PORT \
  --credential_grpc_listen=127.0.0.1:$CRED_PORT --admin_grpc_listen=127.0.0.1:$ADMIN_PORT \
  --ops_listen=127.0.0.1:$OPS_PORT \
  --tls_cert="$WORK/certs/mef.crt" --tls_key="$WORK/certs/mef.key" --tls_ca="$WORK/certs/ca.crt" \
  --admin_identities=admin.local --audit_log="$WORK/audit.log" --log_format=text \
  2> "$WORK/mef.log" &
MEF_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$OPS_PORT/readyz" >/dev/null 2>&1 && break
  python3 - "$OPS_PORT" <<'PY' 2>/dev/null && break
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=1)
PY
  sleep 0.1
done
grep mef_started "$WORK/mef.log" || { echo "MEF did not start:"; cat "$WORK/mef.log"; exit 1; }

ADMIN=("$BIN/services/admin/rsp_admin" --mef=127.0.0.1:$ADMIN_PORT --server_name=mef.local
       --tls_cert="$WORK/certs/admin.crt" --tls_key="$WORK/certs/admin.key" --tls_ca="$WORK/certs/ca.crt")

say "provisioning $DEVICES enrolees through the admin API (bulk import)"
"${ADMIN[@]}" import gen --count="$DEVICES" --out="$WORK/enrolees.csv" --maf-id=maf.local --prefix=demo-dev- || exit 1
"${ADMIN[@]}" import --file="$WORK/enrolees.csv" || exit 1

say "bootstrapping every enrolee (odd: TLS 1.2-PSK over TCP, even: DTLS 1.2-PSK over UDP)"
ok=0; failed=0; n=0
START=$(date +%s.%N)
while IFS=, read -r kpm_id kpm_hex enrolee_id maf_id _rest; do
  [ "$kpm_id" = "kpm_id" ] && continue
  n=$((n + 1))
  ( umask 077; printf '%s\n' "$kpm_hex" > "$WORK/kpm" )
  if [ $((n % 2)) -eq 1 ]; then transport=tls; port=$TLS_PORT; else transport=dtls; port=$DTLS_PORT; fi
  if out=$("$BIN/services/enrolee/enrolee" --mef=127.0.0.1:$port --mef_fqdn=mef.local \
        --transport=$transport --kpm_id="$kpm_id" --kpm_file="$WORK/kpm" --enrolee_id="$enrolee_id" 2>&1); then
    ok=$((ok + 1))
    ke_id=$(echo "$out" | awk '/KeID/ {print $2}')
    [ $n -le 4 ] && echo "$out" | sed "s/^/  [$kpm_id] /"
    echo "$ke_id" >> "$WORK/ke_ids"
  else
    failed=$((failed + 1))
    echo "  [$kpm_id] FAILED: $out"
  fi
done < "$WORK/enrolees.csv"
END=$(date +%s.%N)
rm -f "$WORK/kpm"
[ $n -gt 4 ] && echo "  ... ($((n - 4)) more)"

say "checking the enrolments are durable in PostgreSQL"
stored=$(psql "$ONEM2M_TEST_PG" -Atc "select count(*) from enrolments" 2>/dev/null || echo "?")
matched=0
if [ -f "$WORK/ke_ids" ]; then
  while read -r k; do
    c=$(psql "$ONEM2M_TEST_PG" -Atc "select count(*) from enrolments where ke_id = '$k'" 2>/dev/null)
    [ "$c" = "1" ] && matched=$((matched + 1))
  done < "$WORK/ke_ids"
fi
wrong=$(printf '%s' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$WORK/wrong"; \
  "$BIN/services/enrolee/enrolee" --mef=127.0.0.1:$TLS_PORT --mef_fqdn=mef.local --kpm_id=demo-dev-000001 \
  --kpm_file="$WORK/wrong" --attempts=1 2>&1 | tail -1)

say "summary"
printf '  enrolees provisioned      %s\n' "$DEVICES"
printf '  bootstraps ok / failed    %s / %s  (%.2f s in all, one process per device)\n' "$ok" "$failed" "$(echo "$END - $START" | bc 2>/dev/null || echo 0)"
printf '  answered KeIDs in the DB  %s of %s (rows in enrolments: %s)\n' "$matched" "$ok" "$stored"
printf '  wrong Kpm (expected fail) %s\n' "$wrong"
printf '  audit records             %s\n' "$(wc -l < "$WORK/audit.log")"
printf '  MEF metrics               %s\n' "$(python3 - "$OPS_PORT" <<'PY'
import sys, urllib.request
t = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
print("; ".join(l for l in t.splitlines() if l.startswith("onem2m_mef_enrolments_total")))
PY
)"
if [ "$failed" -eq 0 ] && [ "$matched" -eq "$ok" ] && [ "$ok" -eq "$DEVICES" ]; then
  echo "  RESULT: every enrolee bootstrapped and every answered enrolment is durable"
  exit 0
fi
echo "  RESULT: FAILED"
exit 1
