#!/usr/bin/env bash
# Runs the JMH comparison and writes results/<UTC date>/ (JSON, the commands, and a Markdown table).
# Usage: benchmarks/run.sh [quick|full|smoke] [extra JMH args, e.g. a benchmark regex]
# Channel workloads B1-B6 (B7, footprint: footprint.sh; HTTP H1-H4: http.sh).
# Without a regex the run is split into units (one benchmark class under one scheduler setting, one JSON
# file each), so that a run longer than the time one has can be spread over several sittings:
#   OUT=<an unfinished run's directory> benchmarks/run.sh full      resumes it: finished units are kept
#   DEADLINE=<epoch seconds> benchmarks/run.sh full                  starts no unit that would end later
# Exit status 3: units are left (the resume command is printed); 0: the run is complete.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"; shift || true

. benchmarks/lib.sh  # JAVA: a JDK 21+

[ "${SKIP_BUILD:-}" = 1 ] || mvn -B -q -DskipTests package -pl benchmarks -am  # SKIP_BUILD=1: compare.sh built it
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
if [ -e "$out/README.md" ]; then
  echo "Resumed $(date -u +%Y-%m-%dT%H:%MZ) (load $(cut -d' ' -f1-3 /proc/loadavg)):" >> "$out/README.md"; echo >> "$out/README.md"
else
  {
    echo "# JMH run $(date -u +%Y-%m-%dT%H:%MZ), mode $mode"
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA" -version 2>&1 | head -1)"
    echo
    echo "Reproduce: \`benchmarks/run.sh $mode $*\`, which runs:"
    echo
  } > "$out/README.md"
fi

run() { # name, extra args...
  local name="$1"; shift
  echo "    $JAVA -jar $JAR ${opts[*]} -prof gc -rf json -rff $out/$name.json $*" >> "$out/README.md"
  # JMH creates its result file when it starts: written under another name and renamed once complete,
  # so a unit cut short (a sitting's end) leaves no file a resumed run would take for a finished unit.
  "$JAVA" -jar "$JAR" "${opts[@]}" -prof gc -rf json -rff "$out/$name.json.part" "$@"
  mv "$out/$name.json.part" "$out/$name.json"
}
# Both scheduler settings: the default virtual-thread scheduler (parallelism = cores), then
# parallelism 1 (both sides on one carrier).
p1=(-jvmArgsAppend -Djdk.virtualThreadScheduler.parallelism=1 -p threads=VIRTUAL)

left=0
if [ $# -gt 0 ]; then
  run default "$@"
  run parallelism1 "${p1[@]}" "$@"
else
  # The issue-17 headline workloads first, so that a partial run has them. The HTTP workloads need a
  # server on loopback: benchmarks/http.sh starts nginx and runs them.
  units=(PingPongBenchmark ProducerConsumerBenchmark SelectBenchmark ContendedBenchmark DaisyChainBenchmark
         PrimeSieveBenchmark TryOpsBenchmark TimerBenchmark ContextOpBenchmark)
  listing=$("$JAVA" -jar "$JAR" -lp)
  # A benchmark class missing from the list would silently never run: refuse instead. A spike (Spike*: a one-off
  # A/B kept beside the results directory that used it, run by that directory's script) is no comparison workload.
  for c in $(grep -o '^io\.gochan\.benchmarks\.[A-Za-z0-9]*' <<< "$listing" | sed 's/.*\.//' | sort -u); do
    [ "$c" = HttpClientBenchmark ] || [[ "$c" == Spike* ]] || [[ " ${units[*]} " == *" $c "* ]] \
      || { echo "run.sh: benchmark class $c is in no unit: add it to units" >&2; exit 2; }
  done
  for c in "${units[@]}"; do
    for sched in default parallelism1; do
      name="$sched-$c"
      [ ! -s "$out/$name.json" ] || continue  # finished in an earlier sitting
      # Seconds the unit takes: its parameter combinations x forks x (warm-up + measurement + ~3 s).
      secs=$(python3 benchmarks/unit_seconds.py "$c" "$sched" "${opts[@]}" <<< "$listing")
      if [ -n "${DEADLINE:-}" ] && [ $(( $(date +%s) + secs )) -gt "$DEADLINE" ]; then
        left=$((left + 1)); continue
      fi
      if [ "$sched" = default ]; then run "$name" "$c\."; else run "$name" "${p1[@]}" "$c\."; fi
    done
  done
fi

python3 benchmarks/render.py "$out" > "$out/table.md"
if [ "$left" -gt 0 ]; then
  echo "run.sh: $left units left (past DEADLINE); resume with: OUT=$out benchmarks/run.sh $mode" | tee -a "$out/README.md" >&2
  exit 3
fi
echo >> "$out/README.md"; cat "$out/table.md" >> "$out/README.md"
cat "$out/table.md"
