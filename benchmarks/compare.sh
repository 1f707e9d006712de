#!/usr/bin/env bash
# The whole side-by-side comparison in one command (issue 8): every channel workload against the Java
# peers (run.sh), the HTTP workloads against nginx (http.sh), Go as a peer (go.sh), the footprint (B7),
# the cold start (B8) and the JFR cost, then one summary table and chart of ratios.
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

. benchmarks/results-dir.sh  # fresh_dir
r=benchmarks/results
if [ "${2:-}" != --render-only ]; then
  # Fresh directories for this run (a second run on the same day gets -2, ...), and exactly these are
  # summarized: earlier same-day runs never mix into the chart.
  jmh_dir=$(fresh_dir "$r/$day-$mode"); http_dir=$(fresh_dir "$r/$day-http-$mode")
  fp_dir=$(fresh_dir "$r/$day-footprint"); cs_dir=$(fresh_dir "$r/$day-coldstart"); jfr_dir=$(fresh_dir "$r/$day-jfr-$mode"); go_dir=$(fresh_dir "$r/$day-go-$mode")
  mvn -B -q -ntp -DskipTests package -pl benchmarks -am
  OUT="$jmh_dir" bash benchmarks/run.sh "$mode"
  OUT="$http_dir" bash benchmarks/http.sh "$mode"
  OUT="$fp_dir" SKIP_BUILD=1 bash benchmarks/footprint.sh
  OUT="$cs_dir" bash benchmarks/coldstart.sh "$([ "$mode" = full ] && echo 61 || echo 21)"
  OUT="$jfr_dir" bash benchmarks/jfr-cost.sh "$mode"
  OUT="$go_dir" bash benchmarks/go.sh "$mode"
  jmh=("$jmh_dir" "$http_dir")
else
  # Today's first runs; then same-day partial runs and reruns (their rows win), then HTTP.
  go_dir="$r/$day-go-$mode"; fp_dir="$r/$day-footprint"; cs_dir="$r/$day-coldstart"; jfr_dir="$r/$day-jfr-$mode"
  jmh=($(ls -d "$r/$day-$mode" "$r/$day-$mode"-* 2>/dev/null) "$r/$day-http-$mode")
fi
python3 benchmarks/peers.py --svg benchmarks/results/summary.svg "${jmh[@]}" "$go_dir" > benchmarks/results/summary.tmp
{
  echo "# Comparison $start ($mode)"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Reproduce: \`benchmarks/compare.sh $mode\`. Raw results: \`${jmh[*]} $go_dir\`,"
  echo "\`$fp_dir\` (B7), \`$cs_dir\` (B8) and \`$jfr_dir\` (JFR cost)."
  echo
  cat benchmarks/results/summary.tmp
  echo
  echo "## B7 footprint"
  echo
  sed -n '/^|/,$p' "$fp_dir/README.md" 2>/dev/null || true
  echo
  echo "## B8 cold start: a fresh JVM's first Go.go and handoff, against a bare virtual thread"
  echo
  cat "$cs_dir/table.md" 2>/dev/null || true
  echo
  echo "## JFR events: cost when off, when recording, when on"
  echo
  cat "$jfr_dir/table.md"
} > benchmarks/results/summary.md
rm -f benchmarks/results/summary.tmp
echo "Wrote benchmarks/results/summary.md and summary.svg"
