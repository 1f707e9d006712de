#!/usr/bin/env bash
# Runs the JMH comparison and writes results/<UTC date>/ (JSON, the commands, and a Markdown table).
# Usage: benchmarks/run.sh [quick|full|smoke] [extra JMH args, e.g. a benchmark regex]
# Channel workloads B1-B6 (B7, footprint: footprint.sh; HTTP H1-H4: http.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"; shift || true

. benchmarks/lib.sh  # JAVA: a JDK 21+

mvn -B -q -DskipTests package -pl benchmarks -am
JAR=benchmarks/target/benchmarks.jar

case "$mode" in
  smoke) opts=(-f 1 -wi 1 -w 200ms -i 1 -r 200ms) ;;
  quick) opts=(-f 1 -wi 1 -w 1s -i 3 -r 1s) ;;
  full)  opts=(-f 3 -wi 3 -w 2s -i 5 -r 2s) ;;
  *) echo "mode must be smoke, quick or full" >&2; exit 2 ;;
esac

# (An "$(... && echo)" that fails inside an assignment would end the script under set -e.)
suffix=""; if [ $# -gt 0 ]; then suffix=-subset; fi
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-$mode$suffix")}"  # OUT: set by compare.sh
mkdir -p "$out"
{
  echo "# JMH run $(date -u +%Y-%m-%dT%H:%MZ), mode $mode"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA" -version 2>&1 | head -1)"
  echo
  echo "Reproduce: \`benchmarks/run.sh $mode $*\`, which runs:"
  echo
} > "$out/README.md"

run() { # name, extra args...
  local name="$1"; shift
  echo "    $JAVA -jar $JAR ${opts[*]} -prof gc -rf json -rff $out/$name.json $*" >> "$out/README.md"
  "$JAVA" -jar "$JAR" "${opts[@]}" -prof gc -rf json -rff "$out/$name.json" "$@"
}

filter=("$@")
# The HTTP workloads need a server on loopback: benchmarks/http.sh starts nginx and runs them.
[ $# -gt 0 ] || filter=(-e HttpClientBenchmark)
# Default virtual-thread scheduler (parallelism = cores), then parallelism 1 (both sides on one carrier).
run default "${filter[@]}"
run parallelism1 -jvmArgsAppend -Djdk.virtualThreadScheduler.parallelism=1 -p threads=VIRTUAL "${filter[@]}"

python3 benchmarks/render.py "$out" > "$out/table.md"
echo >> "$out/README.md"; cat "$out/table.md" >> "$out/README.md"
cat "$out/table.md"
