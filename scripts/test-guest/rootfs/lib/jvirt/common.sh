# Shared helpers of the jvirt test guest (busybox sh). Source, don't run.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

# jv_consoles: the device nodes of every active kernel console (e.g. "/dev/tty0 /dev/ttyS0"), /dev/console if unknown.
jv_consoles() {
  local c out=""
  for c in $(cat /sys/class/tty/console/active 2>/dev/null); do
    [ -c "/dev/$c" ] && out="$out /dev/$c"
  done
  echo "${out:-/dev/console}"
}

# jv_say MESSAGE...: prints one line on every active console (serial and VGA alike).
jv_say() {
  local c
  for c in $(jv_consoles); do
    echo "$*" >"$c" 2>/dev/null
  done
}

# jv_qga_disabled: true when the guest agent is turned off (jvirt.qga=0, or the file /run/jvirt/no-guest-agent).
jv_qga_disabled() {
  [ "$(jv_cmdline_opt jvirt.qga 1)" = 0 ] || [ -e /run/jvirt/no-guest-agent ]
}

# jv_cmdline_opt NAME DEFAULT: the value of NAME=VALUE on the kernel command line, else DEFAULT.
jv_cmdline_opt() {
  local w
  for w in $(cat /proc/cmdline 2>/dev/null); do
    case "$w" in "$1="*) echo "${w#*=}"; return ;; esac
  done
  echo "$2"
}
