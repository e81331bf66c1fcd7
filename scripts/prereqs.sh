#!/usr/bin/env bash
# Checks, and where it can installs, what jvirt needs on Debian 12.
#   prereqs.sh run   what `jvirt up` needs: QEMU, libvirt (daemon + clients), OVMF, xorriso, qemu-img
#   prereqs.sh test  the above plus what the test suite needs (python3-kubernetes; docker-registry and apache2-utils
#                    for the registry pull tests: a real registry and bcrypt htpasswd); kubectl 1.27-1.33 are checked
set -euo pipefail
what="${1:-run}"
pkgs=(qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients ovmf xorriso)
[ "$what" = test ] && pkgs+=(python3-kubernetes libxml2-utils docker-registry apache2-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "prereqs: installing ${missing[*]}" >&2
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    # the tests start their own registries on free loopback ports; the package's system service (:5000) is not wanted
    if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null \
        && [ -d /run/systemd/system ]; then
      systemctl disable --now docker-registry.service >&2 2>/dev/null || true
    fi
  else
    echo "prereqs: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]})" >&2
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
