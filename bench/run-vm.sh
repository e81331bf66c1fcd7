#!/usr/bin/env bash
# bench/run-vm.sh: the VM start and density benchmark (io.jvirt.bench.VmStartBench). Builds the distribution and
# the bench module when needed, builds (or reuses) the test guest, then runs `jvirt up` in a fresh data directory
# and measures, in the same run:
#   - VM create → VMI Running and → login prompt through jvirt (fabric8 create + watch, console subresource),
#   - `virsh create` of the same domain XML against the platform's own libvirtd, to running and to the prompt,
#   - a direct `qemu-system-x86_64` start of the same guest, to the prompt,
#   - host memory with 20 guests running (platform JVM, libvirtd, virtlogd, QEMU minus guest RAM).
# Prints a Markdown report on stdout (progress on stderr). Must run as root (the platform runs a private libvirtd).
# Takes about 10–15 minutes on 2 cores under TCG. Options go to VmStartBench, e.g.
#   bench/run-vm.sh --out /tmp/vm-bench.md --runs 10 --density 20 --density-memory 128Mi
#   bench/run-vm.sh --runs 3 --density 0          # quick latency-only run
#   bench/run-vm.sh --keep --work /tmp/vmb        # keep the data directory for a look afterwards
# BENCH_MVN_FLAGS adds Maven flags (e.g. -o); BENCH_NO_BUILD=1 runs what is already built (useful when other
# modules of the checkout are mid-edit). Every process the bench starts is stopped by PID at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
jvirt_find_jdk

if [ "$(id -u)" != 0 ]; then
  echo "bench/run-vm.sh: run as root (jvirt's node agent starts its own libvirtd and QEMU guests)" >&2
  exit 1
fi
for tool in virsh qemu-system-x86_64 qemu-img xorrisofs /usr/sbin/libvirtd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/run-vm.sh: $tool is missing (scripts/prereqs.sh)" >&2; exit 1; }
done

classes="$ROOT/bench/target/classes/io/jvirt/bench/VmStartBench.class"
need_build=0
if [ "${BENCH_NO_BUILD:-0}" = 1 ] && [ -f "$classes" ] && [ -f "$ROOT/cli/target/jvirt.jar" ]; then
  :
elif [ ! -f "$classes" ] || ! ls "$ROOT"/bench/target/lib/jvirt-cli-*.jar >/dev/null 2>&1 \
    || [ ! -f "$ROOT/cli/target/jvirt.jar" ]; then
  need_build=1
else
  newer=$(find "$ROOT" -path "$ROOT/.git" -prune -o -path '*/target' -prune -o -path '*/src/test' -prune -o \
    \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$classes" -print -quit)
  [ -n "$newer" ] && need_build=1
fi
if [ "$need_build" = 1 ]; then
  echo "bench: building (mvn -pl cli,bench -am package)..." >&2
  # shellcheck disable=SC2086
  (cd "$ROOT" && ./mvnw -q -B ${BENCH_MVN_FLAGS:-} -Dmaven.test.skip=true -pl cli,bench -am package) >&2
  touch "$classes"
fi

guest=$("$ROOT/scripts/build-test-guest.sh" | tail -n 1)

exec "$JAVA_HOME/bin/java" -Xmx512m -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" \
  io.jvirt.bench.VmStartBench --repo "$ROOT" --guest-dir "$guest" "$@"
