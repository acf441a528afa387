#!/bin/sh
# Parley restore: puts one backup (backup.sh) back. Stop the services first (they must not
# write meanwhile: `kubectl -n parley scale deployment --all --replicas=0`, or
# `docker compose stop`), restore, start them, then run the retention sweep at once
# (`ctl sweep`): whatever expired since the backup is deleted again. Accounts deleted after
# the backup come back: delete them again (`ctl erasures` before restoring lists them).
#   restore.sh BACKUP   (a directory $BACKUP_DIR/<UTC time>)
# Environment as backup.sh (database URLs, UPLOAD_DIR, BACKUP_SERVICES). Each database is
# replaced whole (created when absent); the upload directory's content is replaced.
set -eu
src=${1:?usage: restore.sh BACKUP_DIRECTORY}
[ -f "$src/SHA256SUMS" ] || { echo "restore: $src is not a complete backup (no SHA256SUMS)" >&2; exit 2; }
(cd "$src" && sha256sum -c -s SHA256SUMS 2>/dev/null || sha256sum -c --quiet SHA256SUMS) || { echo "restore: $src is damaged (checksums differ)" >&2; exit 1; }
SERVICES=${BACKUP_SERVICES:-gateway roster offline archive janitor upload profile}

db_url() {
  up=$(echo "$1" | tr 'a-z' 'A-Z')
  eval "own=\${${up}_DATABASE_URL:-}"
  if [ -n "$own" ]; then echo "$own"; return; fi
  base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  case "$base" in *\?*) q="?${base#*\?}"; base=${base%%\?*} ;; *) q= ;; esac
  echo "${base%/*}/${DATABASE_PREFIX:-parley}_$1$q"
}
# The maintenance database of the same server, to create a missing database.
admin_url() {
  u=$1
  case "$u" in *\?*) q="?${u#*\?}"; u=${u%%\?*} ;; *) q= ;; esac
  echo "${u%/*}/postgres$q"
}

for s in $SERVICES; do
  [ -f "$src/$s.dump" ] || { echo "restore: $src has no $s.dump" >&2; exit 1; }
done
for s in $SERVICES; do
  url=$(db_url "$s")
  name=$(echo "${url%%\?*}" | sed 's|.*/||')
  printf 'restore: %s database %s ... ' "$s" "$name"
  if ! psql -X -q -d "$url" -c 'SELECT 1' >/dev/null 2>&1; then
    psql -X -q -v ON_ERROR_STOP=1 -d "$(admin_url "$url")" -c "CREATE DATABASE \"$name\"" >/dev/null
  fi
  # Everything of the dump's schema goes first, then comes back as it was.
  psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;' >/dev/null 2>&1
  pg_restore --no-owner --no-privileges --single-transaction --exit-on-error -d "$url" "$src/$s.dump"
  echo done
done
if [ -f "$src/uploads.tar.gz" ]; then
  : "${UPLOAD_DIR:?UPLOAD_DIR is required to restore the upload files}"
  printf 'restore: upload files into %s ... ' "$UPLOAD_DIR"
  mkdir -p "$UPLOAD_DIR"
  find "$UPLOAD_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  tar -C "$UPLOAD_DIR" -xzf "$src/uploads.tar.gz"
  echo done
fi
echo "restore: complete. Start the services, then run the retention sweep now: ctl sweep"
