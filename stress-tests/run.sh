#!/usr/bin/env bash
# Runs gochan's jcstress suites.
#   stress-tests/run.sh fast     cheap settings, every suite (CI; a few minutes on 2 cores)
#   stress-tests/run.sh deep     1 iteration x 1 s per configuration: every JVM-flag combination jcstress
#                                tries (interpreter, C1, C2, stress options), each actor in the same
#                                compilation mode (-sc false: splitting modes per actor quadruples the
#                                configurations, ~100 min here); ~25 min on 2 cores; HTML report in
#                                stress-tests/target/jcstress-report. -m tough would take ~14 h.
#   stress-tests/run.sh broken   the toy broken twins (jcstress self-tests, see README): succeeds only if
#                                jcstress catches every one
#   stress-tests/run.sh mutants  the mutants of the real core (stress-tests/mutants/*.patch): for each, a scratch
#                                git worktree of HEAD with the patch applied, the stress jar built there, and the
#                                suites named in mutants/SUITES run with short settings; succeeds only if every
#                                mutant is caught. Commit first: it tests HEAD, not the working tree.
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

cheap_jvm="-XX:+UseSerialGC --enable-native-access=ALL-UNNAMED"

# jcstress's summary lines ("Failed tests: 2 matching test results", "Error tests: No matches."): the number,
# or 0. Never fails (set -e): "No matches." has no digits.
summary_count() { { grep -E "^\s*$1:" "$2" | grep -oE '[0-9]+' | head -1; } || true; }

# Each mutant is a deliberate bug in the real core (ChannelCore, Ring, Waiter); its suites must report it.
# The patches are applied in one scratch worktree of HEAD, reset between mutants, and removed at the end
# whatever happens, so this tree and its target/ are never touched (only the results are written here).
mutants_scratch=""
mutants_cleanup() {
  if [ -n "$mutants_scratch" ]; then
    git worktree remove --force "$mutants_scratch/wt" >/dev/null 2>&1 || true
    rm -rf "$mutants_scratch"
    git worktree prune
  fi
}
run_mutants() {
  local repo dir results wt m regex out failed errors i
  repo="$(pwd)"
  dir="$repo/stress-tests/mutants"
  results="$repo/stress-tests/target/jcstress-mutants"
  rm -rf "$results"; mkdir -p "$results"
  if [ -n "$(git status --porcelain -- channels channels-select stress-tests)" ]; then
    echo "note: uncommitted changes are not tested; the mutants run against HEAD ($(git rev-parse --short HEAD))" >&2
  fi
  local -a names=() regexes=() configs=() caught=() caught_as_error=() survivors=() broken=()
  # Read the table first: the builds and jcstress below must not read the loop's stdin.
  while read -r m regex config; do
    case "$m" in ''|'#'*) continue ;; esac
    case "${config:-}" in ''|all-configs) ;; *) broken+=("$m (mutants/SUITES: unknown third column '$config')") ;; esac
    names+=("$m"); regexes+=("$regex"); configs+=("${config:-}")
    [ -f "$dir/$m.patch" ] || broken+=("$m (mutants/SUITES names it, no patch)")
  done <"$dir/SUITES"
  # A patch nobody checks is an error too.
  for p in "$dir"/*.patch; do
    m="$(basename "$p" .patch)"
    grep -qE "^$m " "$dir/SUITES" || broken+=("$m (no line in mutants/SUITES)")
  done

  mutants_scratch="$(mktemp -d "${TMPDIR:-/tmp}/gochan-mutants.XXXXXX")"
  trap mutants_cleanup EXIT
  wt="$mutants_scratch/wt"
  git worktree add -q --detach "$wt" HEAD

  for i in "${!names[@]}"; do
    m="${names[$i]}"; regex="${regexes[$i]}"; out="$results/$m.txt"
    # The mode's one cheap JVM configuration, or, for a mutant whose race that configuration's compiled code
    # never opens (MUT9), jcstress's own set of configurations (SUITES' third column "all-configs").
    local -a jvm=(-jvmArgs "$cheap_jvm")
    [ "${configs[$i]}" = all-configs ] && jvm=()
    [ -f "$dir/$m.patch" ] || continue
    echo "=== mutant $m: suites $regex"
    git -C "$wt" reset -q --hard HEAD
    if ! git -C "$wt" apply --check "$dir/$m.patch" >"$out" 2>&1; then
      broken+=("$m (no longer applies to HEAD: update the patch)"); continue
    fi
    git -C "$wt" apply "$dir/$m.patch"
    # Only the stress jar and what it needs; no javadoc or sources jar, and nothing installed, so the
    # mutant never reaches ~/.m2 or another build.
    if ! (cd "$wt" && mvn -B -q -ntp -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
        clean package -pl stress-tests -am) </dev/null >>"$out" 2>&1; then
      broken+=("$m (did not build: $out)"); continue
    fi
    mkdir -p "$mutants_scratch/run-$m"
    (cd "$mutants_scratch/run-$m" && "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$wt/stress-tests/target/jcstress.jar" \
        -sc false -time 500 -iters 1 "${jvm[@]}" -t "$regex" -r "$mutants_scratch/run-$m/report") \
        </dev/null >>"$out" 2>&1 || true
    if grep -q "No matching tests" "$out"; then
      broken+=("$m (the filter matched no suite: fix mutants/SUITES)"); continue
    fi
    failed=$(summary_count "Failed tests" "$out")
    errors=$(summary_count "Error tests" "$out")
    if [ "${failed:-0}" -gt 0 ]; then
      echo "caught: $m (FORBIDDEN in $failed test result(s))"; caught+=("$m")
    elif [ "${errors:-0}" -gt 0 ]; then
      echo "caught only as an error (a hang or crash, not a FORBIDDEN outcome): $m"; caught_as_error+=("$m")
    else
      echo "SURVIVED: $m"; survivors+=("$m")
    fi
  done

  {
    echo "mutants run at $(git rev-parse --short HEAD):"
    echo "  caught (FORBIDDEN): ${caught[*]:-none}"
    echo "  caught only as an error: ${caught_as_error[*]:-none}"
    echo "  SURVIVED: ${survivors[*]:-none}"
    echo "  not run: ${broken[*]:-none}"
  } | tee "$results/summary.txt"
  if [ ${#survivors[@]} -gt 0 ] || [ ${#broken[@]} -gt 0 ]; then
    echo "jcstress mutants: not every mutant was caught by its suites (per-mutant output in $results)" >&2
    return 1
  fi
  echo "every mutant was caught"
}

if [ "$mode" = mutants ]; then
  run_mutants
  exit
fi

mvn -B -q -ntp -DskipTests package -pl stress-tests -am
jar="$(pwd)/stress-tests/target/jcstress.jar"
work="$(pwd)/stress-tests/target/jcstress-$mode"
rm -rf "$work"; mkdir -p "$work"; cd "$work"

cheap=(-sc false -time 200 -iters 1 -jvmArgs "$cheap_jvm")
suites='io\.gochan\.(stress|http\.internal\.[a-z]+)\.[A-Z][A-Za-z]*Stress.*'
case "$mode" in
  fast)   args=("${cheap[@]}" -t "$suites" -r "$work/report") ;;
  # -hs 1024: jcstress sizes its batches of states from a state's own footprint (256 MB per fork by
  # default); ErrGroupStress's states each start a goroutine after construction, which that estimate
  # cannot see, and ran out of heap in the deep configurations (C1 only, stress flags).
  deep)   args=(-sc false -iters 1 -time 1000 -hs 1024 -t "$suites" -r "$(dirname "$work")/jcstress-report") ;;
  broken) args=(-sc false -time 500 -iters 1 -jvmArgs "$cheap_jvm" -t 'io\.gochan\.stress\.broken\..*' -r "$work/report") ;;
  *) echo "mode must be fast, deep, broken or mutants" >&2; exit 2 ;;
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
  failed=$(summary_count "Failed tests" "$work/output.txt")
  if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq "$tests" ] && [ "$tests" -gt 0 ]; then
    echo "all $tests broken twins were caught, as they must be"; exit 0
  fi
  echo "broken twins NOT all caught (${failed:-0} of $tests failed): the suites could not fail" >&2; exit 1
fi
[ "$tests" -gt 0 ] || { echo "jcstress ran no test" >&2; exit 1; }
exit "$status"
