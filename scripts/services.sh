# Shared by scripts/run and .ci/run: make sure PostgreSQL and Redis answer
# on 127.0.0.1, starting them, or installing them with apt, when they don't.

reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_postgres() {
  reachable 5432 && return
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "installing PostgreSQL (apt)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 50); do reachable 5432 && return; sleep 0.2; done
  echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1
}

ensure_redis() {
  reachable 6379 && return
  if ! command -v redis-server >/dev/null; then
    echo "installing Redis (apt)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do reachable 6379 && return; sleep 0.2; done
  echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1
}

