#!/bin/sh
# The image's entry point: one image for every service, the first argument picks what runs.
#   gateway | roster | offline | archive | janitor | upload | profile   a service
#   migrate [service ...]   every service's pending database migrations (scripts/migrate.mjs)
#   ctl ...                 the admin CLI (`ctl help`)
# Anything else is run as given (e.g. `sh`). Run outside a container (from the repository,
# after a build) by the ops tests as an unprivileged user: keep it free of image-only paths.
set -eu
cd "$(dirname "$0")/.."
cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  gateway|roster|offline|archive|janitor|upload|profile)
    exec node --enable-source-maps "dist/services/$cmd/src/main.js" "$@" ;;
  migrate)
    exec node --enable-source-maps scripts/migrate.mjs "$@" ;;
  ctl)
    exec node --enable-source-maps dist/services/gateway/src/cli/ctl.js "$@" ;;
  help|--help|-h)
    echo "usage: <gateway|roster|offline|archive|janitor|upload|profile|migrate [service...]|ctl ...>"
    [ "$cmd" = help ] && exit 2 || exit 0 ;;
  *)
    exec "$cmd" "$@" ;;
esac
