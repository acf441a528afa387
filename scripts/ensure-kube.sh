#!/usr/bin/env bash
# Ensures kubectl (with its built-in kustomize) for the ops tests, which render every
# Kubernetes overlay: Debian's kubernetes-client when no kubectl is installed (as root).
# The manifests are written for kustomize 2.0 (kubectl 1.20, Debian 12) and later.
set -euo pipefail
if [ -n "${KUBECTL:-}" ] || command -v kubectl >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "[kube] kubectl is missing: install it (Debian: kubernetes-client) or set KUBECTL" >&2; exit 1
fi
echo "[kube] installing kubectl (Debian: kubernetes-client)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null 2>&1 || {
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
}
