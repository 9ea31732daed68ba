#!/bin/bash
# The read replica: on first start (an empty volume) it copies the primary
# with pg_basebackup (-R writes primary_conninfo and standby.signal, so it
# starts as a hot standby streaming from the slot replica1); afterwards it
# just starts. To rebuild it, remove its volume and let Swarm restart it.
set -euo pipefail
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -q -h "$PRIMARY_HOST" -p 5432; do sleep 1; done
  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  PGPASSWORD=$(cat "$PG_REPLICATION_PASSWORD_FILE") gosu postgres \
    pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" -R -X stream -S replica1 -c fast
fi
exec gosu postgres postgres -c hot_standby=on -c max_standby_streaming_delay=30s -c hot_standby_feedback=on
