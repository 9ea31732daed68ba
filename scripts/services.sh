# Shared by scripts/test, scripts/run and scripts/stop: make sure PostgreSQL,
# Redis and Chromium are there. A server already answering on its usual
# port of 127.0.0.1 is used as it is; otherwise a private one starts from
# the installed binaries in a temporary directory on a free port (and stops
# with stop_services); the binaries are installed with apt only when
# missing. Nothing outside that directory is written: no system pid file,
# no system cluster.
#
# Overrides: SX_PG_BINDIR (the directory of initdb and pg_ctl),
# SX_REDIS_SERVER (redis-server), SX_CHROMIUM (Chromium), SX_PG_PORT and
# SX_REDIS_PORT (the ports to try first, default 5432 and 6379).
#
# After ensure_postgres, PG_ADMIN_URL names a database to connect to as
# the superuser postgres; after ensure_redis, REDIS_SERVER_URL names Redis.

SX_SERVICES_PREFIX="${TMPDIR:-/tmp}/sxhost-services."
SX_SERVICES_DIR=""

reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints a port of 127.0.0.1 nobody listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    reachable "$p" || { echo "$p"; return; }
  done
}

# services_dir makes (once) the temporary directory of the private servers.
services_dir() {
  if [ -z "$SX_SERVICES_DIR" ]; then
    SX_SERVICES_DIR=$(mktemp -d "${SX_SERVICES_PREFIX}XXXXXX")
    chmod 755 "$SX_SERVICES_DIR"
  fi
}

# apt_install installs Debian packages, as root or through sudo.
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "cannot install $* (not root, no sudo): install it and run again" >&2
      return 1
    fi
  fi
  command -v apt-get >/dev/null || { echo "cannot install $*: no apt-get" >&2; return 1; }
  echo "installing $* (apt)..." >&2
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# pg_bindir prints the directory holding initdb and pg_ctl.
pg_bindir() {
  if [ -n "${SX_PG_BINDIR:-}" ]; then echo "$SX_PG_BINDIR"; return; fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"; return
  fi
  # Debian keeps them out of PATH, one directory per major version.
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# as_pg_user runs a command as a user PostgreSQL accepts: initdb and
# postgres refuse root, so root runs them as postgres (or nobody).
as_pg_user() {
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  local user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown -R "$user" "$SX_SERVICES_DIR"
  runuser -u "$user" -- "$@"
}

ensure_postgres() {
  local port="${SX_PG_PORT:-5432}"
  if reachable "$port"; then
    PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    return
  fi
  local bin
  bin=$(pg_bindir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt_install postgresql || exit 1
    bin=$(pg_bindir)
  fi
  services_dir
  port=$(free_port)
  local data="$SX_SERVICES_DIR/postgres"
  echo "starting a private PostgreSQL on 127.0.0.1:$port ($data)" >&2
  mkdir -p "$data"
  as_pg_user "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$SX_SERVICES_DIR/initdb.log" 2>&1 ||
    { cat "$SX_SERVICES_DIR/initdb.log" >&2; echo "initdb failed" >&2; exit 1; }
  # Its own process group (setsid), so a Ctrl-C meant for the platform does
  # not stop the database under it; stop_services stops it.
  as_pg_user setsid "$bin/pg_ctl" -D "$data" -l "$SX_SERVICES_DIR/postgres.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $SX_SERVICES_DIR -c fsync=off" start >/dev/null ||
    { cat "$SX_SERVICES_DIR/postgres.log" >&2; echo "PostgreSQL did not start on 127.0.0.1:$port" >&2; exit 1; }
  echo "$bin" >"$SX_SERVICES_DIR/pg_bindir"
  PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

ensure_redis() {
  local port="${SX_REDIS_PORT:-6379}"
  if reachable "$port"; then
    REDIS_SERVER_URL="redis://127.0.0.1:$port/0"
    return
  fi
  local bin="${SX_REDIS_SERVER:-$(command -v redis-server || true)}"
  if [ -z "$bin" ]; then
    apt_install redis-server || exit 1
    bin=$(command -v redis-server)
  fi
  services_dir
  port=$(free_port)
  echo "starting a private Redis on 127.0.0.1:$port" >&2
  "$bin" --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$SX_SERVICES_DIR" --pidfile "$SX_SERVICES_DIR/redis.pid" --logfile "$SX_SERVICES_DIR/redis.log"
  for _ in $(seq 100); do reachable "$port" && break; sleep 0.1; done
  reachable "$port" || { cat "$SX_SERVICES_DIR/redis.log" >&2; echo "Redis did not start on 127.0.0.1:$port" >&2; exit 1; }
  REDIS_SERVER_URL="redis://127.0.0.1:$port/0"
}

# ensure_chromium installs Chromium when the browser tests would find none.
# Without it they skip (CI: they fail), so a failed install is only a warning.
ensure_chromium() {
  if [ -n "${SX_CHROMIUM:-}" ]; then return; fi
  local name
  for name in chromium chromium-browser google-chrome google-chrome-stable headless-shell; do
    command -v "$name" >/dev/null && return
  done
  apt_install chromium || echo "no Chromium: the browser tests will skip" >&2
}

# ensure_dockerd makes sure a Docker daemon answers (make image,
# make deploy-smoke). When none does, a private one starts as root with
# its data, exec root, pid file and socket in the services directory
# (DOCKER_HOST points at it; it stops with stop_services, its images
# with it); docker.io is installed with apt when dockerd is missing.
ensure_dockerd() {
  docker info >/dev/null 2>&1 && return 0
  command -v dockerd >/dev/null || apt_install docker.io || return 1
  [ "$(id -u)" = 0 ] || { echo "no Docker daemon answers, and starting one needs root" >&2; return 1; }
  services_dir
  local d="$SX_SERVICES_DIR/docker"
  mkdir -p "$d"
  export DOCKER_HOST="unix://$d/docker.sock"
  dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    -H "$DOCKER_HOST" >"$d/dockerd.log" 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && { echo "started a private dockerd ($d)" >&2; return 0; }
    sleep 0.5
  done
  echo "dockerd did not start; its log:" >&2
  tail -20 "$d/dockerd.log" >&2
  return 1
}

# stop_private stops the servers of one private directory and removes it.
stop_private() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/postgres/postmaster.pid" ]; then
    local bin
    bin=$(cat "$dir/pg_bindir" 2>/dev/null || pg_bindir)
    SX_SERVICES_DIR="$dir" as_pg_user "$bin/pg_ctl" -D "$dir/postgres" -m fast -w stop >/dev/null 2>&1 ||
      kill "$(head -1 "$dir/postgres/postmaster.pid")" 2>/dev/null || true
  fi
  if [ -f "$dir/redis.pid" ]; then
    local pid
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ -f "$dir/docker/docker.pid" ]; then
    local dpid
    dpid=$(cat "$dir/docker/docker.pid")
    kill "$dpid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
    # Overlay mounts of a stopped daemon would keep rm from removing them.
    grep -o " $dir/docker/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi
  rm -rf "$dir"
}

# stop_services stops what this shell started.
stop_services() {
  [ -n "$SX_SERVICES_DIR" ] && stop_private "$SX_SERVICES_DIR"
  SX_SERVICES_DIR=""
}

# stop_all_private stops every private server left by an earlier run of
# this user (make stop).
stop_all_private() {
  local dir
  for dir in "$SX_SERVICES_PREFIX"*; do
    [ -d "$dir" ] || continue
    [ "$(id -u)" = 0 ] || [ -O "$dir" ] || continue
    echo "stopping the private servers in $dir" >&2
    stop_private "$dir"
  done
}
