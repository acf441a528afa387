#!/bin/sh
# The writable directories of the Parley image, owned by the unprivileged user that runs
# every service. Used by the Dockerfile (ROOT=/, as root) and by the ops tests (a
# temporary ROOT) so that both create the same layout:
#   /data          the gateway's DATA_DIR (its generated development certificate)
#   /data/uploads  the upload service's UPLOAD_DIR (filesystem store)
#   /tmp           scratch space (a tmpfs in Kubernetes, where the root filesystem is read-only)
# A named volume mounted on one of these starts with the image's ownership (Docker copies
# it), so a fresh `docker compose up` can write there.
# Usage: image-layout.sh ROOT UID GID
set -eu
root=${1:?ROOT}; uid=${2:?UID}; gid=${3:?GID}
for d in data data/uploads; do
  mkdir -p "$root/$d"
  chown "$uid:$gid" "$root/$d"
  chmod 0750 "$root/$d"
done
