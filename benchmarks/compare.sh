#!/usr/bin/env bash
# The whole side-by-side comparison in one command (issue 8): every channel workload against the Java
# peers (run.sh), the HTTP workloads against nginx (http.sh), Go as a peer (go.sh), the footprint (B7)
# and the JFR cost, then one summary table and chart of ratios.
#   benchmarks/compare.sh quick   ~35 min on 2 cores
#   benchmarks/compare.sh full    several hours (more forks and iterations everywhere)
# Raw results go to benchmarks/results/<UTC date>-*/; the summary to benchmarks/results/summary.md and
# summary.svg (embedded by the README), overwritten by each run; the dated directories keep the history.
set -euo pipefail
cd "$(dirname "$0")/.."
#   benchmarks/compare.sh quick --render-only   only re-render the summary from today's results (e.g. after
#                                               `run.sh quick REGEX` added a same-day -subset directory)
mode="${1:-quick}"
case "$mode" in quick|full) ;; *) echo "mode must be quick or full" >&2; exit 2 ;; esac
day=$(date -u +%Y-%m-%d)
start=$(date -u +%Y-%m-%dT%H:%MZ)

if [ "${2:-}" != --render-only ]; then
  mvn -B -q -ntp -DskipTests package -pl benchmarks -am
  bash benchmarks/run.sh "$mode"
  bash benchmarks/http.sh "$mode"
  SKIP_BUILD=1 bash benchmarks/footprint.sh
  bash benchmarks/jfr-cost.sh "$mode"
  bash benchmarks/go.sh "$mode"   # last: it also renders Go beside the same-day JMH runs
fi

go_dir="benchmarks/results/$day-go-$mode"
# The full channel run first, then same-day partial runs (their rows win), then HTTP.
jmh=($(ls -d "benchmarks/results/$day-$mode" "benchmarks/results/$day-$mode"-* 2>/dev/null) "benchmarks/results/$day-http-$mode")
python3 benchmarks/peers.py --svg benchmarks/results/summary.svg "${jmh[@]}" "$go_dir" > benchmarks/results/summary.tmp
{
  echo "# Comparison $start ($mode)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Reproduce: \`benchmarks/compare.sh $mode\`. Raw results: \`${jmh[*]} $go_dir\`,"
  echo "\`benchmarks/results/$day-footprint\` (B7) and \`benchmarks/results/$day-jfr-$mode\` (JFR cost)."
  echo
  cat benchmarks/results/summary.tmp
  echo
  echo "## B7 footprint"
  echo
  sed -n '/^|/,$p' "benchmarks/results/$day-footprint/README.md" 2>/dev/null || true
  echo
  echo "## JFR events: cost when off, when recording, when on"
  echo
  cat "benchmarks/results/$day-jfr-$mode/table.md"
} > benchmarks/results/summary.md
rm -f benchmarks/results/summary.tmp
echo "Wrote benchmarks/results/summary.md and summary.svg"
