#!/usr/bin/env bash
# Consumer smoke test (CI runs it after `mvn -B -ntp verify`): installs the library modules and the
# BOM into the local repository (tests skipped: verify ran them), then builds examples/ as a user
# would — BOM plus dependencies, tests with @NoGoroutineLeaks, the program on the module path and on
# the class path — with the oldest JUnit Jupiter the README promises (5.13), the newest 5.x and 6.x.
# Extra Maven arguments (e.g. -Dmaven.repo.local=...) come from MAVEN_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a extra <<< "${MAVEN_ARGS:-}"
mvn() { command mvn -B -ntp "${extra[@]}" "$@"; }

version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -1)
echo "== installing gochan $version (library modules and BOM)"
mvn -q install -pl bom,channels,channels-select,http-transport,leak-check -am \
    -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The first version is the oldest README and leak-check's pom promise: ReleasePomsTest (leak-check) fails if the
# promise names one this loop does not run. ConstructorOwnerTest fails below 5.12 (LK14).
for junit in 5.13.4 5.14.1 6.1.3; do
    echo "== examples with JUnit $junit"
    if ! mvn -f examples/pom.xml clean verify -Dgochan.version="$version" -Djunit.version="$junit" > "$log" 2>&1; then
        cat "$log"
        echo "examples FAILED with JUnit $junit"
        exit 1
    fi
    grep -E 'Tests run:|examples on the|BUILD' "$log"
done
