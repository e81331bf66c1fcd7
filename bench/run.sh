#!/usr/bin/env bash
# bench/run.sh: builds the bench module if needed and runs the API server benchmark with the newest JDK >= 21.
# Prints a Markdown report (progress goes to stderr). Options are passed to io.jvirt.bench.ApiServerBench, e.g.
#   bench/run.sh --out /tmp/bench.md --creates1 2000 --creates32 8000 --threads 32 --lists 20 --watch-writes 1000
#   bench/run.sh --server-flags "-XX:StartFlightRecording=filename=/tmp/server.jfr,settings=profile"
# JVIRT_JAVA_OPTS overrides the server's JVM flags exactly as it does for ./jvirt. BENCH_MVN_FLAGS adds Maven
# flags for the build (e.g. -o when offline); BENCH_NO_BUILD=1 runs what is already built (useful when other
# modules of the checkout are mid-edit). One run takes about a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
jvirt_find_jdk

classes="$ROOT/bench/target/classes/io/jvirt/bench/ApiServerBench.class"
need_build=0
if [ "${BENCH_NO_BUILD:-0}" = 1 ] && [ -f "$classes" ]; then
  :
elif [ ! -f "$classes" ] || [ ! -d "$ROOT/bench/target/lib" ]; then
  need_build=1
else
  newer=$(find "$ROOT" -path "$ROOT/.git" -prune -o -path '*/target' -prune -o \
    \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$classes" -print -quit)
  [ -n "$newer" ] && need_build=1
fi
if [ "$need_build" = 1 ]; then
  echo "bench: building (mvn -pl bench -am package)..." >&2
  # shellcheck disable=SC2086
  (cd "$ROOT" && ./mvnw -q -B ${BENCH_MVN_FLAGS:-} -DskipTests -pl bench -am package) >&2
  touch "$classes"
fi

exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" \
  io.jvirt.bench.ApiServerBench --repo "$ROOT" "$@"
