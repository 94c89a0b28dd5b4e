#!/usr/bin/env bash
# File: tests/pg/stop_pg.sh
#
# Stops a cluster started by tests/pg/start_pg.sh and deletes its folder.
#
# Usage:
#   bash tests/pg/stop_pg.sh [DIR]     # DIR defaults to $ONEM2M_TEST_PG_DIR
#
# Refuses folders that start_pg.sh did not make (no conninfo file), so a wrong argument cannot delete
# an unrelated directory.

dir=${1:-$ONEM2M_TEST_PG_DIR}
if [ -z "$dir" ]; then
  echo "stop_pg.sh: no folder given and ONEM2M_TEST_PG_DIR is unset" >&2
  exit 2
fi
if [ ! -f "$dir/conninfo" ] || [ ! -d "$dir/data" ]; then
  echo "stop_pg.sh: $dir does not look like a start_pg.sh cluster" >&2
  exit 2
fi
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
as_user=()
if [ "$(id -u)" = 0 ]; then
  as_user=(runuser -u postgres --)
fi
"${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 || \
  echo "stop_pg.sh: pg_ctl stop failed (already stopped?)" >&2
rm -rf -- "$dir"
