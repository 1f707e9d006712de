#!/usr/bin/env bash
# Runs gochan's jcstress suites.
#   stress-tests/run.sh fast     cheap settings, every suite (CI; a few minutes on 2 cores)
#   stress-tests/run.sh deep     1 iteration x 1 s per configuration: every JVM-flag combination jcstress
#                                tries (interpreter, C1, C2, stress options), each actor in the same
#                                compilation mode (-sc false: splitting modes per actor quadruples the
#                                configurations, ~100 min here); ~25 min on 2 cores; HTML report in
#                                stress-tests/target/jcstress-report. -m tough would take ~14 h.
#   stress-tests/run.sh broken   the deliberately broken twins: succeeds only if jcstress catches them
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-fast}"

java_ok() { "$1" -version 2>&1 | head -1 | grep -Eq '"(2[1-9]|[3-9][0-9])'; }
JAVA=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_ok "$JAVA_HOME/bin/java"; then JAVA="$JAVA_HOME/bin/java"; fi
if [ -z "$JAVA" ]; then
  for j in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -V -r); do if java_ok "$j"; then JAVA="$j"; break; fi; done
fi
[ -n "$JAVA" ] || { echo "no JDK 21+ found (set JAVA_HOME)" >&2; exit 1; }

mvn -B -q -ntp -DskipTests package -pl stress-tests -am
jar="$(pwd)/stress-tests/target/jcstress.jar"
work="$(pwd)/stress-tests/target/jcstress-$mode"
rm -rf "$work"; mkdir -p "$work"; cd "$work"

cheap=(-sc false -time 200 -iters 1 -jvmArgs "-XX:+UseSerialGC --enable-native-access=ALL-UNNAMED")
suites='io\.gochan\.(stress|http\.internal\.[a-z]+)\.[A-Z][A-Za-z]*Stress.*'
case "$mode" in
  fast)   args=("${cheap[@]}" -t "$suites" -r "$work/report") ;;
  # -hs 1024: jcstress sizes its batches of states from a state's own footprint (256 MB per fork by
  # default); ErrGroupStress's states each start a goroutine after construction, which that estimate
  # cannot see, and ran out of heap in the deep configurations (C1 only, stress flags).
  deep)   args=(-sc false -iters 1 -time 1000 -hs 1024 -t "$suites" -r "$(dirname "$work")/jcstress-report") ;;
  broken) args=(-sc false -time 500 -iters 1 -jvmArgs "-XX:+UseSerialGC --enable-native-access=ALL-UNNAMED" -t 'io\.gochan\.stress\.broken\..*' -r "$work/report") ;;
  *) echo "mode must be fast, deep or broken" >&2; exit 2 ;;
esac

set +e
"$JAVA" --enable-native-access=ALL-UNNAMED -jar "$jar" "${args[@]}" 2>&1 | tee "$work/output.txt"
status=${PIPESTATUS[0]}
set -e

if grep -q "No matching tests" "$work/output.txt"; then
  echo "jcstress: the filter matched no test" >&2; exit 1
fi
if grep -q "these tests would not run" "$work/output.txt" && grep -qE '^\s*[3-9] actors:' "$work/output.txt"; then
  echo "jcstress: a suite needs more actors than this machine has CPUs and would not run" >&2; exit 1
fi
# jcstress's summary: "Failed tests: N matching test results", "Error tests: No matches.", "All remaining tests: N ..."
tests=$(grep -E '^\s*(Failed tests|Error tests|All remaining tests):' "$work/output.txt" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
echo "jcstress $mode: exit $status, $tests test results"
if [ "$mode" = broken ]; then
  failed=$(grep -E '^\s*Failed tests:' "$work/output.txt" | grep -oE '[0-9]+' | head -1)
  if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq "$tests" ] && [ "$tests" -gt 0 ]; then
    echo "all $tests broken twins were caught, as they must be"; exit 0
  fi
  echo "broken twins NOT all caught (${failed:-0} of $tests failed): the suites could not fail" >&2; exit 1
fi
[ "$tests" -gt 0 ] || { echo "jcstress ran no test" >&2; exit 1; }
exit "$status"
