# Shared shell helpers for ./jvirt and the test entry point. Source, don't run.

# jvirt_find_jdk: sets JAVA_HOME to the newest JDK >= 21 found (JAVA_HOME, /usr/lib/jvm/*, java on PATH).
jvirt_find_jdk() {
  local best="" best_ver=0 cand ver
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for cand in /usr/lib/jvm/*; do [ -d "$cand" ] && candidates+=("$cand"); done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for cand in "${candidates[@]}"; do
    [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    ver=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
    ver=${ver%%.*}
    [[ "$ver" =~ ^[0-9]+$ ]] || continue
    if [ "$ver" -ge 21 ] && [ "$ver" -gt "$best_ver" ]; then best="$cand"; best_ver=$ver; fi
  done
  if [ -z "$best" ]; then
    echo "jvirt: no JDK 21 or newer found (looked at JAVA_HOME, /usr/lib/jvm/*, java on PATH)." >&2
    echo "       Install one (e.g. a Temurin 21+ JDK under /usr/lib/jvm) and try again." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

# jvirt_build_if_needed ROOT: builds the distribution when it is missing or older than any source or pom.
jvirt_build_if_needed() {
  local root="$1" stamp="$1/cli/target/.build-stamp"
  if [ -f "$stamp" ] && [ -f "$root/cli/target/jvirt.jar" ]; then
    local newer
    # only what goes into the distribution: main sources, resources and poms (tests do not)
    newer=$(find "$root" -path "$root/.git" -prune -o -path '*/target' -prune -o -path '*/src/test' -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$stamp" -print -quit)
    [ -z "$newer" ] && return 0
    echo "jvirt: sources changed ($newer); rebuilding..." >&2
  else
    echo "jvirt: building the distribution (first run)..." >&2
  fi
  (cd "$root" && ./mvnw -q -B -Dmaven.test.skip=true -pl cli -am package) >&2 || {
    echo "jvirt: build failed; see the Maven output above." >&2
    return 1
  }
  touch "$stamp"
}
