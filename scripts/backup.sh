#!/usr/bin/env bash
# Backup of every service database and the upload files: k8s/base/backup/backup.sh (the CronJob runs the same).
exec sh "$(dirname "$0")/../k8s/base/backup/backup.sh" "$@"
