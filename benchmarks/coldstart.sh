#!/usr/bin/env bash
# B8, cold start: a fresh JVM's first Go.go plus first channel handoff, against a bare virtual thread
# handing one value over a SynchronousQueue (io.gochan.benchmarks.ColdStart). Each run is a new JVM;
# the variants alternate so that machine noise hits both alike. Reports, per variant, the time inside
# main (start of main until the value arrived), the process's CPU time by then, and the whole
# process's wall time; min/median/max.
# Usage: benchmarks/coldstart.sh [runs per variant, default 31]
# Env: GOCHAN_JAR  the channels jar to measure (default: channels/target, built if missing); set it to
#                  an older build for a before/after comparison
#      BEFORE_JAR  another channels jar (e.g. built from an older commit): adds the variant gochan-before,
#                  alternated with the others in the same session
#      JVM_ARGS    extra JVM flags for every variant (e.g. -XX:StartFlightRecording)
#      MODULE=1    gochan on the module path (--add-modules io.gochan) instead of the class path
#      OUT=dir     where to write (default benchmarks/results/<UTC date>-coldstart[-N]/)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-31}"
. benchmarks/lib.sh  # JAVA: a JDK 21+
JAVAC="$(dirname "$JAVA")/javac"
jar="${GOCHAN_JAR:-}"
if [ -z "$jar" ]; then
  jar=$(ls channels/target/channels-*.jar 2>/dev/null | grep -v -e sources -e javadoc -e tests | head -1 || true)
  if [ -z "$jar" ]; then
    mvn -B -q -ntp -DskipTests package -pl channels
    jar=$(ls channels/target/channels-*.jar | grep -v -e sources -e javadoc -e tests | head -1)
  fi
fi
tmp=$(mktemp -d /tmp/gochan-coldstart.XXXXXX); trap 'rm -rf "$tmp"' EXIT
# Compiled alone against the jar and packed into its own jar: the class path a small user program has
# (app.jar:channels.jar). The program is a jar for both variants because the JVM's first jar costs
# ~8 ms of zip and manifest machinery that any packaged application pays, gochan or not.
"$JAVAC" -d "$tmp/classes" -cp "$jar" benchmarks/src/main/java/io/gochan/benchmarks/ColdStart.java
"$(dirname "$JAVA")/jar" --create --file "$tmp/app.jar" -C "$tmp/classes" .
app="$tmp/app.jar"
read -r -a extra <<< "${JVM_ARGS:-}"
command_for() { # jar -> the java command line running ColdStart against it
  if [ "${MODULE:-}" = 1 ]; then echo "$JAVA ${extra[*]} -p $1 --add-modules io.gochan -cp $app io.gochan.benchmarks.ColdStart"
  else echo "$JAVA ${extra[*]} -cp $app:$1 io.gochan.benchmarks.ColdStart"; fi
}
read -r -a cmd <<< "$(command_for "$jar")"
variants=(gochan bare)
if [ -n "${BEFORE_JAR:-}" ]; then read -r -a before_cmd <<< "$(command_for "$BEFORE_JAR")"; variants+=(gochan-before); fi

out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-coldstart")}"; mkdir -p "$out"
csv="$out/runs.csv"; echo "run,variant,main_ns,cpu_ns,process_ns" > "$csv"
for ((i = 1; i <= runs; i++)); do
  for variant in "${variants[@]}"; do
    t0=$(date +%s%N)
    if [ "$variant" = gochan-before ]; then line=$("${before_cmd[@]}" gochan); else line=$("${cmd[@]}" "$variant"); fi
    t1=$(date +%s%N)
    read -r _ main_ns cpu_ns <<< "$line"
    echo "$i,$variant,$main_ns,$cpu_ns,$((t1 - t0))" >> "$csv"
  done
done
python3 - "$csv" > "$out/table.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def stats(variant, col):
    xs = sorted(int(r[col]) / 1e6 for r in rows if r["variant"] == variant)
    return xs[0], statistics.median(xs), xs[-1]
print("| variant | runs | in main: min / median / max (ms) | process CPU by then: min / median (ms) | whole process: min / median / max (ms) |")
print("|---|---|---|---|---|")
med = {}
for v in ("gochan", "bare", "gochan-before"):
    if not any(r["variant"] == v for r in rows):
        continue
    m, c, p = stats(v, "main_ns"), stats(v, "cpu_ns"), stats(v, "process_ns")
    med[v] = (m[1], c[1], p[1])
    n = sum(1 for r in rows if r["variant"] == v)
    print(f"| {v} | {n} | {m[0]:.1f} / {m[1]:.1f} / {m[2]:.1f} | {c[0]:.0f} / {c[1]:.0f} | {p[0]:.0f} / {p[1]:.0f} / {p[2]:.0f} |")
print()
for v in ("gochan", "gochan-before"):
    if v in med:
        print(f"{v} minus bare, medians: {med[v][0] - med['bare'][0]:+.1f} ms in main, "
              f"{med[v][1] - med['bare'][1]:+.0f} ms process CPU, {med[v][2] - med['bare'][2]:+.0f} ms whole process  ")
PY
{ echo "# Cold start (B8) $(date -u +%Y-%m-%dT%H:%MZ)"; echo
  echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | head -1)"; echo
  echo "Reproduce: \`benchmarks/coldstart.sh $runs\`$([ -n "${GOCHAN_JAR:-}" ] && echo " with GOCHAN_JAR=$GOCHAN_JAR")$([ -n "${BEFORE_JAR:-}" ] && echo " BEFORE_JAR=$BEFORE_JAR")$([ -n "${JVM_ARGS:-}" ] && echo " JVM_ARGS='$JVM_ARGS'")$([ "${MODULE:-}" = 1 ] && echo " MODULE=1"), which runs each variant $runs times, alternating:"; echo
  echo "    ${cmd[*]} gochan|bare"
  [ -z "${BEFORE_JAR:-}" ] || echo "    ${before_cmd[*]} gochan    # gochan-before"
  echo
  echo "Per-run numbers: \`runs.csv\`."; echo; cat "$out/table.md"; } > "$out/README.md"
cat "$out/table.md"
