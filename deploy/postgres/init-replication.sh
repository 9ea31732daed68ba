#!/bin/bash
# Runs once, when the primary's data directory is first created (the
# postgres image runs /docker-entrypoint-initdb.d/*): the role the read
# replica streams as, its physical slot (the primary keeps the WAL the
# replica has not received, capped by max_slot_wal_keep_size), and the
# pg_hba line that lets it connect for replication with a password.
set -euo pipefail
pw=$(cat "$PG_REPLICATION_PASSWORD_FILE")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v pw="$pw" <<'SQL'
create role replicator with replication login password :'pw';
select pg_create_physical_replication_slot('replica1');
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
