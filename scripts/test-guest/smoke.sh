#!/usr/bin/env bash
# Smoke test of the jvirt test guest: builds it (scripts/build-test-guest.sh, cached), then boots it under QEMU with
# software emulation (TCG) in both forms and checks what the platform relies on:
#   - kernel boot (-kernel/-initrd/-append) and disk boot (disk.qcow2 on virtio, BIOS; also UEFI/OVMF, with and
#     without secure boot, if OVMF is installed)
#   - NoCloud (cidata) and ConfigDrive (config-2) seeds: hostname set, #! user-data run with output on the console
#   - the "jvirt-guest login:" prompt, then an interactive root shell on the serial console
#   - ACPI shutdown (monitor system_powerdown): the guest powers off and QEMU exits by itself
#   - poweroff and reboot typed on the console; a boot without any seed
#
#   scripts/test-guest/smoke.sh [--out DIR] [--no-uefi] [--keep]
#     --out DIR   guest directory (as for build-test-guest.sh)
#     --no-uefi   skip the OVMF cases
#     --keep      keep the work directory (serial logs) even when everything passes
# Needs qemu-system-x86, xorriso and python3 (or socat) - installed when missing and run as root.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}         # seconds to the login prompt (TCG)
POWEROFF_TIMEOUT=${POWEROFF_TIMEOUT:-120} # seconds from the request to QEMU's exit
UEFI=1 KEEP=0 OUT_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_ARGS=(--out "$2"); shift 2 ;;
    --no-uefi) UEFI=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "smoke: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

log() { echo "smoke: $*" >&2; }

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v xorrisofs >/dev/null || missing+=(xorriso)
command -v python3 >/dev/null || command -v socat >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    log "missing: ${missing[*]}"; exit 1
  fi
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
GUEST=$("$ROOT/scripts/build-test-guest.sh" "${OUT_ARGS[@]}" | tail -n 1)
BUILD_S=$(elapsed "$t0")
log "guest in $GUEST (build step took ${BUILD_S}s)"

WORK=$(mktemp -d /tmp/jvirt-smoke.XXXXXX)
QEMU_PID=""
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID" 2>/dev/null || true; fi
  [ "$KEEP" = 1 ] || [ "${FAILED:-0}" != 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# --- seeds --------------------------------------------------------------------------------------------------------
mkdir -p "$WORK/nocloud" "$WORK/configdrive/openstack/latest"
printf '#!/bin/sh\necho '\''printed from cloud-init userdata'\''\n' >"$WORK/nocloud/user-data"
printf 'instance-id: smoke-nocloud\nlocal-hostname: smoke-nocloud\n' >"$WORK/nocloud/meta-data"
printf 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n' >"$WORK/nocloud/network-config"
(cd "$WORK/nocloud" && xorrisofs -quiet -output "$WORK/nocloud.iso" -volid cidata -joliet -rock \
  user-data meta-data network-config) 2>/dev/null
cp "$WORK/nocloud/user-data" "$WORK/configdrive/openstack/latest/user_data"
printf '{"uuid": "5d5a4f64-5b1b-4a5e-9d9b-000000000001", "hostname": "smoke-configdrive", "name": "smoke"}\n' \
  >"$WORK/configdrive/openstack/latest/meta_data.json"
xorrisofs -quiet -output "$WORK/configdrive.iso" -volid config-2 -joliet -rock "$WORK/configdrive" 2>/dev/null

monitor() { # SOCKET COMMAND
  if command -v python3 >/dev/null; then
    python3 - "$1" "$2" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.5)
s.close()
EOF
  else
    printf '%s\n' "$2" | socat - "UNIX-CONNECT:$1" >/dev/null
  fi
}

wait_log() { # LOG PATTERN TIMEOUT: 0 once LOG contains PATTERN (fixed string)
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$QEMU_PID" 2>/dev/null || { grep -qF -- "$2" "$1" 2>/dev/null; return; }
    sleep 0.2
  done
  return 1
}

RESULTS=()
FAILED=0
# run_case NAME FORM SEED[:BUS] STOP HOST [COMMAND EXPECTED]
#   FORM kernel|disk|uefi|uefi-sb, SEED nocloud|configdrive|none, BUS cdrom|virtio, STOP acpi|poweroff|reboot;
#   COMMAND is typed on the console shell and must print EXPECTED.
run_case() {
  local name=$1 form=$2 seed=${3%%:*} bus=cdrom stop=$4 host=$5 check_cmd=${6:-} check_out=${7:-} mem=256
  case "$3" in *:virtio) bus=virtio ;; esac
  local dir="$WORK/$name" args=() why="" boot_s="-" stop_s="-" start stop_start fd rc
  mkdir -p "$dir"
  case "$form" in
    kernel) args=(-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.img" -append "$(cat "$GUEST/cmdline")") ;;
    disk) qemu-img create -q -f qcow2 -F qcow2 -b "$GUEST/disk.qcow2" "$dir/disk.qcow2"
          args=(-machine q35 -drive "file=$dir/disk.qcow2,if=virtio") ;;
    # UEFI: GRUB needs more than 256 MiB to place the kernel (init_size 64 MiB) in OVMF's memory map.
    uefi) qemu-img create -q -f qcow2 -F qcow2 -b "$GUEST/disk.qcow2" "$dir/disk.qcow2"
          cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd"
          mem=512
          args=(-machine q35 -drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
                -drive "if=pflash,format=raw,file=$dir/vars.fd" -drive "file=$dir/disk.qcow2,if=virtio") ;;
    # Secure boot enforced, Microsoft keys enrolled (what KubeVirt's default EFI uses).
    uefi-sb) qemu-img create -q -f qcow2 -F qcow2 -b "$GUEST/disk.qcow2" "$dir/disk.qcow2"
          cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$dir/vars.fd"
          mem=512
          args=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
                -drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
                -drive "if=pflash,format=raw,file=$dir/vars.fd" -drive "file=$dir/disk.qcow2,if=virtio") ;;
  esac
  if [ "$seed" != none ]; then
    # cdrom: IDE on the pc machine, SATA (AHCI) on q35; virtio: a virtio disk, as KubeVirt's `disk: {bus: virtio}`.
    if [ "$bus" = virtio ]; then args+=(-drive "file=$WORK/$seed.iso,format=raw,if=virtio,readonly=on")
    else args+=(-drive "file=$WORK/$seed.iso,format=raw,media=cdrom,readonly=on"); fi
  fi
  [ "$stop" = reboot ] && args+=(-no-reboot)
  mkfifo "$dir/console.in"
  exec {fd}<>"$dir/console.in"
  start=$(now)
  qemu-system-x86_64 -accel tcg -m "$mem" -nographic -nic user,model=virtio-net-pci \
    -monitor "unix:$dir/monitor.sock,server,nowait" "${args[@]}" <"$dir/console.in" >"$dir/console.log" 2>&1 &
  QEMU_PID=$!
  if ! wait_log "$dir/console.log" "jvirt-guest login:" "$BOOT_TIMEOUT"; then
    why="no login prompt within ${BOOT_TIMEOUT}s"
  else
    boot_s=$(elapsed "$start")
    if [ "$seed" != none ] && ! grep -qF "printed from cloud-init userdata" "$dir/console.log"; then
      why="user-data output missing"
    elif ! grep -qF "jvirt-guest: hostname $host" "$dir/console.log"; then
      why="hostname $host not set"
    else
      # The console is an interactive root shell.
      printf 'echo "shell-says-$((6 * 7)) $(id -u) $(hostname)"\n' >&"$fd"
      wait_log "$dir/console.log" "shell-says-42 0 $host" 60 || why="console shell did not answer"
      if [ -z "$why" ] && [ -n "$check_cmd" ]; then
        printf '%s\n' "$check_cmd" >&"$fd"
        wait_log "$dir/console.log" "$check_out" 60 || why="'$check_cmd' did not print '$check_out'"
      fi
    fi
  fi
  if [ -z "$why" ]; then
    stop_start=$(now)
    case "$stop" in
      acpi) monitor "$dir/monitor.sock" system_powerdown ;;
      poweroff) printf 'poweroff\n' >&"$fd" ;;
      reboot) printf 'reboot\n' >&"$fd" ;;
    esac
    local deadline=$(( $(date +%s) + POWEROFF_TIMEOUT ))
    while kill -0 "$QEMU_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$QEMU_PID" 2>/dev/null; then
      why="QEMU still running ${POWEROFF_TIMEOUT}s after $stop"
    else
      stop_s=$(elapsed "$stop_start")
      rc=0; wait "$QEMU_PID" || rc=$?
      if [ "$rc" != 0 ]; then why="QEMU exited with $rc"
      elif [ "$stop" = reboot ]; then
        grep -qF "jvirt-guest: rebooting" "$dir/console.log" || why="no reboot message"
      else
        grep -qF "jvirt-guest: powering off" "$dir/console.log" || why="no powering off message"
      fi
    fi
  fi
  if kill -0 "$QEMU_PID" 2>/dev/null; then kill "$QEMU_PID" 2>/dev/null || true; wait "$QEMU_PID" 2>/dev/null || true; fi
  QEMU_PID=""
  exec {fd}>&-
  if [ -z "$why" ]; then
    RESULTS+=("$(printf '%-28s PASS  login after %6ss  %-8s -> exit after %5ss' "$name" "$boot_s" "$stop" "$stop_s")")
  else
    FAILED=1
    RESULTS+=("$(printf '%-28s FAIL  %s (log: %s)' "$name" "$why" "$dir/console.log")")
    log "$name failed: $why; last lines of the serial console:"
    tail -n 25 "$dir/console.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^/    /' >&2
  fi
  log "${RESULTS[-1]}"
}

# kernel cases: machine pc (i440fx); disk and uefi cases: q35, like KubeVirt.
run_case kernel-nocloud-cdrom kernel nocloud:cdrom acpi smoke-nocloud
run_case kernel-configdrive-cdrom kernel configdrive:cdrom acpi smoke-configdrive
run_case disk-nocloud-virtio disk nocloud:virtio acpi smoke-nocloud
run_case disk-configdrive-sata disk configdrive:cdrom acpi smoke-configdrive
run_case kernel-typed-poweroff kernel nocloud:virtio poweroff smoke-nocloud
run_case disk-noseed-typed-reboot disk none reboot jvirt-guest
if [ "$UEFI" = 1 ]; then
  if [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -f /usr/share/OVMF/OVMF_CODE_4M.secboot.fd ]; then
    run_case uefi-disk-nocloud-virtio uefi nocloud:virtio acpi smoke-nocloud
    run_case uefi-sb-disk-configdrive uefi-sb configdrive:cdrom acpi smoke-configdrive \
      'dmesg | grep -q "Secure boot enabled" && echo "secure-boot-$((2 * 21))"' secure-boot-42
  else
    log "OVMF not installed; UEFI case skipped"
  fi
fi

echo "jvirt test guest smoke test ($GUEST)"
for f in vmlinuz initrd.img disk.qcow2; do
  printf '  %-11s %s\n' "$f" "$(du -h --apparent-size "$GUEST/$f" | cut -f1)"
done
printf '  %s\n' "${RESULTS[@]}"
if [ "$FAILED" != 0 ]; then
  echo "FAILED (work directory kept: $WORK)"
  exit 1
fi
echo "PASSED"
