#!/usr/bin/env bash
# Builds, once, and caches the jvirt test guest: a tiny cirros-like guest made only of Debian packages (the
# linux-image-amd64 kernel, its modules, busybox-static, syslinux, shim-signed, grub-efi-amd64-signed). See
# docs/test-guest.md.
#
#   scripts/build-test-guest.sh [--out DIR] [--force]     (--force: rebuild even when the stamp matches)
#
# Artifacts in DIR (default ${JVIRT_CACHE:-$HOME/.cache/jvirt}/test-guest):
#   vmlinuz      the Debian kernel, for kernelBoot
#   initrd.img   our initramfs (busybox + modules + /init), for kernelBoot
#   cmdline      the kernel command line to use with them
#   disk.qcow2   a bootable disk (MBR + FAT; BIOS: syslinux, UEFI with or without secure boot: Debian's signed
#                shim + GRUB) with the same kernel, initramfs and command line
#   stamp        hash of the inputs; the build is skipped while it matches
# Progress goes to stderr; the last line on stdout is DIR. As root, missing Debian packages are installed.
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
SRC="$ROOT/scripts/test-guest"
SELF="$ROOT/scripts/build-test-guest.sh"
OUT="${JVIRT_CACHE:-$HOME/.cache/jvirt}/test-guest"
FORCE=0
# /dev/console is the last console= : the serial port, so whatever the guest writes to its console (busybox init
# included) lands in the serial log; the VGA console gets everything as well. no_timer_check: under emulation on a
# loaded host the kernel's IO-APIC timer check can miss its window and panic ("IO-APIC + timer doesn't work"); the
# check only guards against broken hardware, which QEMU's is not.
APPEND="console=tty0 console=ttyS0 quiet no_timer_check"

usage() { sed -n '2,14p' "$SELF" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "build-test-guest: --out needs a directory" >&2; exit 2; }; OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-test-guest: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

log() { echo "build-test-guest: $*" >&2; }
die() { echo "build-test-guest: error: $*" >&2; exit 1; }

# --- packages -----------------------------------------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
APT_UPDATED=0
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $*"
    if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >&2 || true; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
      die "apt-get install $* failed"
  else
    die "missing Debian packages: $* (run as root, or: apt-get install $*)"
  fi
}
ensure_pkgs() {
  local p missing=()
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  apt_install "${missing[@]}"
}

# The kernel: the one linux-image-amd64 depends on (else the newest /boot/vmlinuz-* that has its modules).
command -v dpkg-query >/dev/null || die "this script needs a Debian system (dpkg)"
ensure_pkgs linux-image-amd64
KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[0-9][^ ,|]*' | head -n 1 |
  sed 's/^linux-image-//; s/-unsigned$//')
if [ -z "$KVER" ] || [ ! -e "/boot/vmlinuz-$KVER" ] || [ ! -d "/lib/modules/$KVER" ]; then
  KVER=""
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
    [ -d "/lib/modules/$k" ] && { KVER=$k; break; }
  done
fi
[ -n "$KVER" ] || die "no kernel found (/boot/vmlinuz-* with /lib/modules/*)"
KERNEL="/boot/vmlinuz-$KVER"
[ -r "$KERNEL" ] || die "$KERNEL is not readable"
KPKG=$(dpkg-query -S "$KERNEL" 2>/dev/null | head -n 1 | cut -d: -f1)
KPKG_VERSION=$(dpkg-query -W -f='${Version}' "${KPKG:-linux-image-$KVER}" 2>/dev/null || echo unknown)

# --- cache --------------------------------------------------------------------------------------------------------
# Inputs: this script, every file of scripts/test-guest but the smoke test, the kernel version and the versions of
# the installed busybox-static, shim-signed and grub-efi-amd64-signed.
input_hash() {
  {
    echo "kernel $KVER $KPKG_VERSION"
    for p in busybox-static shim-signed grub-efi-amd64-signed; do
      echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)"
    done
    sha256sum "$SELF" | cut -d' ' -f1
    (cd "$SRC" && find . -type f ! -name smoke.sh -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    (cd "$SRC" && find . -type f ! -name smoke.sh -perm -u+x -print | LC_ALL=C sort)
  } | sha256sum | cut -d' ' -f1
}

if command -v flock >/dev/null; then
  exec 9>"$OUT/.lock"
  flock 9 || die "cannot lock $OUT/.lock"
fi
HASH=$(input_hash)
if [ "$FORCE" = 0 ] && [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$HASH" ] &&
   [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/disk.qcow2" ]; then
  log "up to date in $OUT"
  echo "$OUT"
  exit 0
fi

START=$(date +%s)
log "building the test guest (kernel $KVER, package $KPKG_VERSION) into $OUT"
ensure_pkgs mtools syslinux syslinux-common qemu-utils cpio gzip

WORK=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/initramfs"
mkdir -p "$STAGE"

# deb_file PKG PATH: PATH from package PKG, installed or else fetched with `apt-get download` and unpacked in $WORK
# (never installed: busybox-static would replace busybox, and the boot loader packages' scripts touch /boot).
deb_file() {
  local pkg=$1 path=$2 dl
  if pkg_installed "$pkg" && [ -f "$path" ]; then echo "$path"; return 0; fi
  if [ ! -d "$WORK/deb/$pkg" ]; then
    log "fetching $pkg (apt-get download)"
    mkdir -p "$WORK/deb/$pkg"
    if ! dl=$(cd "$WORK/deb" && apt-get download "$pkg" 2>&1); then
      if [ "$(id -u)" = 0 ] && [ "$APT_UPDATED" = 0 ] && [ ! -e "$WORK/deb/.updated" ]; then
        apt-get update -qq >&2 || true; touch "$WORK/deb/.updated"
        dl=$(cd "$WORK/deb" && apt-get download "$pkg" 2>&1) || { echo "$dl" >&2; return 1; }
      else
        echo "$dl" >&2; return 1
      fi
    fi
    dpkg-deb -x "$WORK/deb/${pkg}"_*.deb "$WORK/deb/$pkg"
  fi
  [ -f "$WORK/deb/$pkg$path" ] || return 1
  echo "$WORK/deb/$pkg$path"
}

# --- busybox: the static binary of busybox-static ----------------------------------------------------------------
BUSYBOX=$(deb_file busybox-static /bin/busybox) || die "cannot get busybox-static"
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  die "$BUSYBOX is not statically linked (need busybox-static)"
fi
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,mnt,media,var/log,lib/modules}
chmod 1777 "$STAGE/tmp"
chmod 0700 "$STAGE/root"
install -m 0755 "$BUSYBOX" "$STAGE/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
  case "$applet" in linuxrc|*/busybox) continue ;; esac
  mkdir -p "$STAGE/$(dirname "$applet")"
  ln -sf /bin/busybox "$STAGE/$applet"
done

# --- our files ----------------------------------------------------------------------------------------------------
cp -a "$SRC/rootfs/." "$STAGE/"
chmod 0755 "$STAGE/init" "$STAGE/sbin/jvirt-console" "$STAGE/sbin/jvirt-qga" "$STAGE/lib/jvirt/halt" \
  "$STAGE/lib/jvirt/shutdown" \
  "$STAGE/etc/acpi/PWRF/00000080" "$STAGE/etc/udhcpc/default.script"
chmod 0600 "$STAGE/etc/shadow"
for cmd in poweroff reboot halt; do
  rm -f "$STAGE/sbin/$cmd" "$STAGE/bin/$cmd" "$STAGE/usr/sbin/$cmd" "$STAGE/usr/bin/$cmd"
  ln -s /lib/jvirt/halt "$STAGE/sbin/$cmd"
done
echo "$KVER $KPKG_VERSION" >"$STAGE/etc/jvirt-kernel"

# --- kernel modules: the listed ones and their dependencies (modules.dep), uncompressed, in load order ------------
MODDIR="/lib/modules/$KVER"
[ -f "$MODDIR/modules.dep" ] || die "$MODDIR/modules.dep missing"
declare -A MOD_PATH=() MOD_DEPS=() MOD_DONE=()
while IFS= read -r line; do
  path=${line%%:*}
  name=${path##*/}; name=${name%%.ko*}; name=${name//-/_}
  MOD_PATH[$name]=$path
  MOD_DEPS[$path]=${line#*:}
done <"$MODDIR/modules.dep"

LOAD_ORDER=()
add_module() { # PATH [ARGS]: dependencies first
  local path=$1 args=${2:-} dep deps=()
  [ -z "${MOD_DONE[$path]:-}" ] || return 0
  MOD_DONE[$path]=1
  read -r -a deps <<<"${MOD_DEPS[$path]}"
  for dep in "${deps[@]}"; do add_module "$dep"; done
  LOAD_ORDER+=("$path${args:+ $args}")
}
while read -r name args; do
  name=${name%%#*}
  [ -n "$name" ] || continue
  key=${name//-/_}
  if [ -n "${MOD_PATH[$key]:-}" ]; then
    add_module "${MOD_PATH[$key]}" "${args%%#*}"
  elif grep -q "/${name}.ko\$\|/${name//_/-}.ko\$\|/${name//-/_}.ko\$" "$MODDIR/modules.builtin" 2>/dev/null; then
    : # built into this kernel
  else
    log "warning: kernel $KVER has no module $name; skipped"
  fi
done <"$SRC/modules.list"

case "${LOAD_ORDER[*]}" in *.ko.xz*) ensure_pkgs xz-utils ;; esac
case "${LOAD_ORDER[*]}" in *.ko.zst*) ensure_pkgs zstd ;; esac
DEST="$STAGE/lib/modules/$KVER"
mkdir -p "$DEST"
: >"$DEST/jvirt-load.order"
: >"$DEST/modules.dep"
plain() { local p=$1; p=${p%.xz}; p=${p%.zst}; p=${p%.gz}; echo "$p"; }
for entry in "${LOAD_ORDER[@]}"; do
  path=${entry%% *}
  args=""; [ "$entry" = "$path" ] || args=${entry#* }
  out=$(plain "$path")
  mkdir -p "$DEST/$(dirname "$out")"
  case "$path" in
    *.ko) cp "$MODDIR/$path" "$DEST/$out" ;;
    *.ko.xz) xz -dc "$MODDIR/$path" >"$DEST/$out" ;;
    *.ko.zst) zstd -q -dc "$MODDIR/$path" >"$DEST/$out" ;;
    *.ko.gz) gzip -dc "$MODDIR/$path" >"$DEST/$out" ;;
    *) die "unknown module format $path" ;;
  esac
  echo "$out${args:+ $args}" | sed 's/ *$//' >>"$DEST/jvirt-load.order"
  deps=""
  for d in ${MOD_DEPS[$path]}; do deps="$deps $(plain "$d")"; done
  echo "$out:$deps" >>"$DEST/modules.dep"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
  [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$DEST/$f"
done
log "${#LOAD_ORDER[@]} kernel modules"

# --- initramfs (fixed timestamps: the same inputs give the same bytes) ---------------------------------------------
find "$STAGE" -exec touch -h -d @0 {} +
CPIO_REPRO=""
cpio --help 2>/dev/null | grep -q -- --reproducible && CPIO_REPRO=--reproducible
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 $CPIO_REPRO --quiet) |
  gzip -9 -n >"$WORK/initrd.img"
cp "$KERNEL" "$WORK/vmlinuz"
echo "$APPEND" >"$WORK/cmdline"

# --- disk: MBR (syslinux mbr.bin) + one active FAT16 partition at 1 MiB (syslinux, syslinux.efi), no mounting -----
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=1
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR_BIN" ] || die "$MBR_BIN missing (syslinux-common)"
MIB=$((1024 * 1024))
payload=$(( $(stat -c %s "$WORK/vmlinuz") + $(stat -c %s "$WORK/initrd.img") ))
PART_MIB=$(( (payload + MIB - 1) / MIB + 16 )) # + boot loaders (~6 MiB) and slack
[ "$PART_MIB" -ge 32 ] || PART_MIB=32
FAT="$WORK/fat.img"
truncate -s $((PART_MIB * MIB)) "$FAT"
# 64 heads x 32 sectors: one cylinder per MiB; hidden sectors = the partition's start (LBA 2048).
mformat -i "$FAT" -t "$PART_MIB" -h 64 -n 32 -H 2048 -v JVIRT-BOOT -N 4a564952 :: >&2
sed "s|@APPEND@|$APPEND|" "$SRC/syslinux.cfg" >"$WORK/syslinux.cfg"
mcopy -i "$FAT" "$WORK/vmlinuz" ::/vmlinuz
mcopy -i "$FAT" "$WORK/initrd.img" ::/initrd.img
mcopy -i "$FAT" "$WORK/syslinux.cfg" ::/syslinux.cfg
# UEFI: the removable-media path runs Debian's shim (signed by Microsoft's UEFI CA), which runs Debian's GRUB, which
# verifies and boots the Debian kernel: boots with secure boot (Microsoft keys enrolled) and without. The signed
# GRUB reads its configuration from /EFI/debian/grub.cfg (its built-in prefix).
UEFI=no
if SHIM=$(deb_file shim-signed /usr/lib/shim/shimx64.efi.signed) &&
   GRUB_EFI=$(deb_file grub-efi-amd64-signed /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed); then
  sed "s|@APPEND@|$APPEND|" "$SRC/grub.cfg" >"$WORK/grub.cfg"
  mmd -i "$FAT" ::/EFI ::/EFI/BOOT ::/EFI/debian
  mcopy -i "$FAT" "$SHIM" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$FAT" "$GRUB_EFI" ::/EFI/BOOT/grubx64.efi
  mcopy -i "$FAT" "$WORK/grub.cfg" ::/EFI/debian/grub.cfg
  UEFI=yes
else
  log "warning: shim-signed or grub-efi-amd64-signed unavailable; the disk boots with BIOS only"
fi
syslinux --install "$FAT" >&2

RAW="$WORK/disk.raw"
DISK_SECTORS=$(( (PART_MIB + 1) * 2048 ))
truncate -s $((DISK_SECTORS * 512)) "$RAW"
dd if="$MBR_BIN" of="$RAW" bs=440 count=1 conv=notrunc status=none
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
chs() { # LBA -> 3 CHS bytes (255 heads, 63 sectors; 1023/254/63 past the CHS limit)
  local c=$(($1 / (255 * 63))) h=$(($1 / 63 % 255)) s=$(($1 % 63 + 1))
  if [ "$c" -gt 1023 ]; then c=1023 h=254 s=63; fi
  printf '\\x%02x\\x%02x\\x%02x' "$h" $((s | (c >> 2 & 0xc0))) $((c & 255))
}
PART_START=2048
PART_SECTORS=$((PART_MIB * 2048))
# Disk signature, then entry 1: active, FAT16 LBA (0x0e), start, size; boot signature.
printf "$(le32 0x4a564952)"'\x00\x00' | dd of="$RAW" bs=1 seek=440 conv=notrunc status=none
printf '\x80'"$(chs $PART_START)"'\x0e'"$(chs $((PART_START + PART_SECTORS - 1)))$(le32 $PART_START)$(le32 $PART_SECTORS)" |
  dd of="$RAW" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$RAW" bs=1 seek=510 conv=notrunc status=none
dd if="$FAT" of="$RAW" bs=1M seek=1 conv=notrunc status=none
qemu-img convert -f raw -O qcow2 "$RAW" "$WORK/disk.qcow2"

# --- publish: stamp last, so an interrupted build is never taken for a complete one -------------------------------
rm -f "$OUT/stamp"
for f in vmlinuz initrd.img cmdline disk.qcow2; do mv -f "$WORK/$f" "$OUT/$f"; done
echo "$HASH" >"$OUT/stamp"
log "done in $(( $(date +%s) - START ))s: kernel $KVER, ${#LOAD_ORDER[@]} modules, UEFI boot: $UEFI"
for f in vmlinuz initrd.img disk.qcow2; do log "  $OUT/$f $(du -h --apparent-size "$OUT/$f" | cut -f1)"; done
echo "$OUT"
