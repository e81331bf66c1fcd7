#!/usr/bin/env bash
# Checks, and where it can installs, what jvirt needs on Debian 12.
#   prereqs.sh run   what `jvirt up` needs
#   prereqs.sh test  what the test suite needs besides that (python3-kubernetes; kubectl 1.27-1.33 are checked)
set -euo pipefail
what="${1:-run}"
missing=()
if [ "$what" = test ]; then
  python3 -c 'import kubernetes' 2>/dev/null || /usr/bin/python3 -c 'import kubernetes' 2>/dev/null || missing+=(python3-kubernetes)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "prereqs: installing ${missing[*]}" >&2
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "prereqs: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
if [ "$what" = test ]; then
  kubectl_dir="$(dirname "$(readlink -f "$(command -v kubectl 2>/dev/null || echo /nonexistent)")")"
  for v in 27 28 29 30 31 32 33; do
    if [ ! -x "$kubectl_dir/kubectl.1.$v" ]; then
      echo "prereqs: kubectl.1.$v not found beside kubectl ($kubectl_dir); the kubectl matrix test will skip it" >&2
    fi
  done
fi
