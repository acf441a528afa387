#!/bin/sh
# Parley backup: a pg_dump (custom format) of every service database and an archive of the
# upload directory, into $BACKUP_DIR/<UTC time>/ with a SHA256SUMS manifest; backups older
# than BACKUP_KEEP_DAYS are deleted. Runs in the CronJob (k8s/base/backup.yaml) and by hand
# (`bash scripts/backup.sh`). Restore: restore.sh.
# Retention: a backup keeps what the services have deleted since (expired files, messages,
# deleted accounts) until the backup itself goes, so it is kept only a few days (default 3,
# at most 7) and a restore runs the retention sweep at once (README, "Backups").
# Environment:
#   BACKUP_DIR         where backups go (required)
#   BACKUP_KEEP_DAYS   days a backup is kept (default 3, 1..7)
#   BACKUP_SERVICES    services to dump (default: every service)
#   <SERVICE>_DATABASE_URL, else DATABASE_URL (database parley_<service>)
#   UPLOAD_DIR         the upload service's directory (fs storage); unset or absent: skipped
set -eu
: "${BACKUP_DIR:?BACKUP_DIR is required}"
KEEP=${BACKUP_KEEP_DAYS:-3}
case "$KEEP" in ''|*[!0-9]*) echo "backup: BACKUP_KEEP_DAYS must be a number of days" >&2; exit 2 ;; esac
if [ "$KEEP" -lt 1 ] || [ "$KEEP" -gt 7 ]; then
  echo "backup: BACKUP_KEEP_DAYS=$KEEP: keep backups 1 to 7 days (the privacy policy's retention must not be extended by more)" >&2
  exit 2
fi
SERVICES=${BACKUP_SERVICES:-gateway roster offline archive janitor upload profile}

db_url() { # the URL a service uses (libs/platform/persistence: serviceDatabaseUrl)
  up=$(echo "$1" | tr 'a-z' 'A-Z')
  eval "own=\${${up}_DATABASE_URL:-}"
  if [ -n "$own" ]; then echo "$own"; return; fi
  base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  # Replace the database (path) of the URL, keeping any ?query.
  case "$base" in *\?*) q="?${base#*\?}"; base=${base%%\?*} ;; *) q= ;; esac
  echo "${base%/*}/${DATABASE_PREFIX:-parley}_$1$q"
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$BACKUP_DIR/.partial-$stamp"
mkdir -p "$work"
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
umask 077
for s in $SERVICES; do
  printf 'backup: %s database ... ' "$s"
  pg_dump --format=custom --no-owner --no-privileges --file="$work/$s.dump" "$(db_url "$s")"
  echo "$(wc -c < "$work/$s.dump" | tr -d ' ') bytes"
done
if [ -n "${UPLOAD_DIR:-}" ] && [ -d "$UPLOAD_DIR" ]; then
  printf 'backup: upload files in %s ... ' "$UPLOAD_DIR"
  tar -C "$UPLOAD_DIR" -czf "$work/uploads.tar.gz" .
  echo "$(wc -c < "$work/uploads.tar.gz" | tr -d ' ') bytes"
fi
(cd "$work" && sha256sum -- * > SHA256SUMS)
mv "$work" "$BACKUP_DIR/$stamp"
trap - EXIT
echo "backup: complete: $BACKUP_DIR/$stamp"

# Expiry by the time in the name (not the file times, which a copy may change).
cutoff=$(( $(date -u +%s) - KEEP * 86400 ))
for d in "$BACKUP_DIR"/*T*Z; do
  [ -d "$d" ] || continue
  n=$(basename "$d")
  t=$(echo "$n" | sed -n 's/^\([0-9]\{4\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)T\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)Z$/\1-\2-\3 \4:\5:\6/p')
  [ -n "$t" ] || continue
  secs=$(date -u -d "$t" +%s 2>/dev/null || date -u -D '%Y-%m-%d %H:%M:%S' -d "$t" +%s)
  if [ "$secs" -lt "$cutoff" ]; then rm -rf "$d"; echo "backup: expired $n"; fi
done
# Leftovers of an interrupted run.
find "$BACKUP_DIR" -maxdepth 1 -name '.partial-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
