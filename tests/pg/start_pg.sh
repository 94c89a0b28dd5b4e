#!/usr/bin/env bash
# File: tests/pg/start_pg.sh
#
# Starts a throwaway PostgreSQL 15 cluster for tests: a new data directory under a temporary folder,
# listening on 127.0.0.1 only on a free port, trust authentication for the superuser `postgres`,
# fsync=on and synchronous_commit=on (the store's durability tests and benchmark mean something only
# with both on). Works as root (initdb refuses root, so the cluster runs as the `postgres` system user
# and the folder is chowned to it) and as a normal user (the cluster runs as that user).
#
# Usage, either:
#   eval "$(bash tests/pg/start_pg.sh)"      # or: source tests/pg/start_pg.sh
#   bazel test //mef/store/... //common/pg/...
#   bash tests/pg/stop_pg.sh                 # uses $ONEM2M_TEST_PG_DIR
#
# On success stdout carries exactly these lines (everything else goes to stderr), each eval-able:
#   export ONEM2M_TEST_PG='host=127.0.0.1 port=NNNN user=postgres dbname=postgres'
#   export ONEM2M_TEST_PG_DIR='/tmp/onem2m-pg.XXXXXX'
# To parse instead of eval:  sed -n "s/^export ONEM2M_TEST_PG='\(.*\)'$/\1/p"
# ONEM2M_TEST_PG_DIR is the folder to hand to stop_pg.sh (which deletes it); the server log is
# $ONEM2M_TEST_PG_DIR/log. When sourced, both variables are also exported into the caller's shell.
# Exit status (or return status when sourced) is non-zero if the server did not come up.

_onem2m_pg_start() {
  local bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
  if [ ! -x "$bindir/initdb" ]; then
    echo "start_pg.sh: $bindir/initdb not found (install postgresql-15 or set PG_BINDIR)" >&2
    return 1
  fi

  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/onem2m-pg.XXXXXX") || return 1
  chmod 0755 "$dir"

  # Run the server binaries as `postgres` when we are root, as ourselves otherwise.
  local -a as_user=()
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "start_pg.sh: running as root but there is no 'postgres' user" >&2
      return 1
    fi
    chown postgres: "$dir"
    as_user=(runuser -u postgres --)
  fi

  # A free port: bind port 0 and read what the kernel chose. Small race until postgres binds it;
  # the retry loop below covers it.
  local attempt port started=0
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null)
    if [ -z "$port" ]; then
      port=$(( 20000 + (RANDOM % 30000) ))
    fi
    if [ "$attempt" = 1 ]; then
      if ! "${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
           --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
        echo "start_pg.sh: initdb failed, see $dir/initdb.log:" >&2
        tail -n 20 "$dir/initdb.log" >&2
        return 1
      fi
      cat >>"$dir/data/postgresql.conf" <<CONF
# Added by tests/pg/start_pg.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 200
shared_buffers = 64MB
CONF
    fi
    if "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
         -o "-p $port" start >&2; then
      started=1
      break
    fi
    echo "start_pg.sh: start on port $port failed, retrying" >&2
  done
  if [ "$started" != 1 ]; then
    echo "start_pg.sh: could not start PostgreSQL, log in $dir/log" >&2
    tail -n 20 "$dir/log" >&2 2>/dev/null
    return 1
  fi

  ONEM2M_TEST_PG="host=127.0.0.1 port=$port user=postgres dbname=postgres"
  ONEM2M_TEST_PG_DIR="$dir"
  export ONEM2M_TEST_PG ONEM2M_TEST_PG_DIR
  echo "$ONEM2M_TEST_PG" >"$dir/conninfo"
  echo "export ONEM2M_TEST_PG='$ONEM2M_TEST_PG'"
  echo "export ONEM2M_TEST_PG_DIR='$ONEM2M_TEST_PG_DIR'"
  return 0
}

_onem2m_pg_start
_onem2m_pg_rc=$?
unset -f _onem2m_pg_start
# `return` works when sourced; `exit` when executed.
return $_onem2m_pg_rc 2>/dev/null || exit $_onem2m_pg_rc
