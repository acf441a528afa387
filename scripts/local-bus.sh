# Sourced by start.sh: an authenticated NATS for this machine's Parley. Each process
# connects as its bus role with its own password; permissions come from the bus roles
# in libs/contracts (`npm run ctl -- bus-config`). With NATS_URL set, nothing is
# started: the operator's NATS is used, with passwords from PARLEY_NATS_<ROLE>_PASSWORD.
# Passwords are generated once into $PARLEY_STATE/bus/credentials.env (mode 600).
if [ -z "${NATS_URL:-}" ]; then
  _state=${PARLEY_STATE:-/var/lib/parley}/bus
  _port=${PARLEY_NATS_PORT:-4223}
  _ctl="node dist/services/gateway/src/cli/ctl.js"
  mkdir -p "$_state/js"
  _added=
  if [ ! -s "$_state/credentials.env" ]; then
    (umask 077 && $_ctl bus-credentials --format env > "$_state/credentials.env")
    echo "[bus] generated bus credentials in $_state/credentials.env" >&2
  else
    # Roles added since the file was written (a new service) get a password of their own.
    while IFS= read -r _line; do
      case "$_line" in
        PARLEY_NATS_*=*)
          if ! grep -q "^${_line%%=*}=" "$_state/credentials.env"; then
            (umask 077 && printf '%s\n' "$_line" >> "$_state/credentials.env")
            echo "[bus] added ${_line%%=*} to $_state/credentials.env" >&2
            _added=1
          fi ;;
      esac
    done < <($_ctl bus-credentials --format env)
  fi
  $_ctl bus-config > "$_state/auth.conf"
  printf 'listen: "127.0.0.1:%s"\njetstream { store_dir: "%s" }\ninclude "auth.conf"\n' "$_port" "$_state/js" > "$_state/nats.conf"
  set -a; . "$_state/credentials.env"; set +a
  _bin=$(command -v nats-server || { [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server; } || true)
  if [ -z "$_bin" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "[bus] installing nats-server (Debian package)" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null; }
      _bin=$(command -v nats-server || echo /usr/sbin/nats-server)
    else
      echo "[bus] nats-server is not installed: install it (Debian: nats-server) or set NATS_URL" >&2; exit 1
    fi
  fi
  if [ -n "$_added" ] && [ -f "$_state/nats.pid" ] && kill -0 "$(cat "$_state/nats.pid")" 2>/dev/null; then
    # nats-server reads the passwords from its environment at start: a new role needs a restart, not a reload.
    _old=$(cat "$_state/nats.pid")
    kill "$_old"
    for _ in $(seq 1 100); do kill -0 "$_old" 2>/dev/null || break; sleep 0.1; done
    echo "[bus] NATS restarted for the new bus role(s)" >&2
  fi
  if [ -f "$_state/nats.pid" ] && kill -0 "$(cat "$_state/nats.pid")" 2>/dev/null; then
    kill -HUP "$(cat "$_state/nats.pid")"   # reload the permissions of this version
    echo "[bus] NATS already running on 127.0.0.1:$_port (configuration reloaded)" >&2
  else
    nohup "$_bin" -c "$_state/nats.conf" -l "$_state/nats.log" -P "$_state/nats.pid" >/dev/null 2>&1 &
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$_port") 2>/dev/null && break; sleep 0.1; done
    (exec 3<>"/dev/tcp/127.0.0.1/$_port") 2>/dev/null || { echo "[bus] NATS did not start; see $_state/nats.log" >&2; exit 1; }
    echo "[bus] NATS with bus authentication on 127.0.0.1:$_port (JetStream in $_state/js)" >&2
  fi
  export NATS_URL="nats://127.0.0.1:$_port"
fi
