#!/usr/bin/env bash
# Ensures NATS (with JetStream) and PostgreSQL are reachable for Parley.
# - NATS_URL / DATABASE_URL set: used as they are, nothing is started.
# - Something already answers on 127.0.0.1:4222 / :5432: used.
# - Otherwise Debian's nats-server / postgresql are installed when missing (apt-get,
#   as root) and private instances are started with data under $PARLEY_STATE.
# - nats-server is installed in any case (as root): tests of the authenticated bus
#   start their own instances.
set -euo pipefail
STATE=${PARLEY_STATE:-/var/lib/parley}

log() { echo "[services] $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&- ; }
wait_port() { for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.2; done; return 1; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "cannot install $* without root: install it, or set NATS_URL / DATABASE_URL"; exit 1
  fi
  log "installing $* (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_nats_server() { command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || [ -n "${NATS_SERVER_BIN:-}" ]; }

ensure_nats() {
  # The binary is needed even when a NATS answers: the bus-permission tests and the e2e
  # suites run their own nats-server with Parley's authorization.
  if ! have_nats_server && [ "$(id -u)" = 0 ]; then apt_install nats-server; fi
  if [ -n "${NATS_URL:-}" ]; then log "NATS: using NATS_URL"; return; fi
  if port_open 4222; then log "NATS: 127.0.0.1:4222 answers"; return; fi
  have_nats_server || apt_install nats-server
  local bin; bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  mkdir -p "$STATE/nats"
  log "NATS: starting $bin with JetStream on 127.0.0.1:4222"
  nohup "$bin" -a 127.0.0.1 -p 4222 -js -sd "$STATE/nats" >"$STATE/nats.log" 2>&1 &
  wait_port 4222 || { log "NATS did not start; see $STATE/nats.log"; exit 1; }
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then log "Postgres: using DATABASE_URL"; return; fi
  if port_open 5432; then log "Postgres: 127.0.0.1:5432 answers"; return; fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$bindir" ]; then apt_install postgresql; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
  # A private cluster with trust auth on loopback only, owned by the postgres user.
  id postgres >/dev/null 2>&1 || useradd --system --home "$STATE" postgres
  local data="$STATE/pg"
  mkdir -p "$data" && chown -R postgres "$STATE" 2>/dev/null || true
  if [ ! -f "$data/PG_VERSION" ]; then
    log "Postgres: initialising a private cluster in $data"
    runuser -u postgres -- "$bindir/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  log "Postgres: starting on 127.0.0.1:5432"
  runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -l "$STATE/postgres.log" -o "-p 5432 -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
  wait_port 5432 || { log "Postgres did not start; see $STATE/postgres.log"; exit 1; }
}

ensure_nats
ensure_postgres
