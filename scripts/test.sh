#!/usr/bin/env bash
# Runs every test of the repo: unit (*Test), integration against a real server with real clients (*IT), and
# end-to-end (*E2E). Installs the test prerequisites it can (Debian packages) when they are missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
. "$ROOT/scripts/lib.sh"
"$ROOT/scripts/prereqs.sh" test
jvirt_find_jdk
cd "$ROOT"
exec ./mvnw -B -ntp --fail-at-end verify "$@"
