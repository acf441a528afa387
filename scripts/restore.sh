#!/usr/bin/env bash
# Restore of one backup: k8s/base/backup/restore.sh (read it first: stop the services, then sweep).
exec sh "$(dirname "$0")/../k8s/base/backup/restore.sh" "$@"
