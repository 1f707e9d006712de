#!/usr/bin/env bash
# The whole side-by-side comparison in one command (issue 8): every channel workload against the Java
# peers (run.sh), the HTTP workloads against nginx (http.sh), Go as a peer (go.sh), the footprint (B7),
# the cold start (B8) and the JFR cost, then one summary table and chart of ratios.
#   benchmarks/compare.sh quick   ~35 min on 2 cores
#   benchmarks/compare.sh full    ~3.5 h on 2 cores (3 forks and longer iterations everywhere)
# A run can be spread over several sittings (a full run is longer than most):
#   BUDGET_MIN=50 benchmarks/compare.sh full      starts no step or JMH unit that would end after 50 min
#   RESUME=benchmarks/results/2026-12-02-full benchmarks/compare.sh full
#                                   continues that unfinished run (its JMH directory): finished steps and
#                                   JMH units are kept, the rest runs (BUDGET_MIN applies again)
# The summary is written only once every step is complete.
# Raw results go to benchmarks/results/<UTC date>-*/; the summary to benchmarks/results/summary.md and
# summary.svg (embedded by the README), overwritten by each run; the dated directories keep the history.
set -euo pipefail
cd "$(dirname "$0")/.."
#   benchmarks/compare.sh quick --render-only   only re-render the summary from today's results (e.g. after
#                                               `run.sh quick REGEX` added a same-day -subset directory)
mode="${1:-quick}"
case "$mode" in quick|full) ;; *) echo "mode must be quick or full" >&2; exit 2 ;; esac
day=${DAY:-$(date -u +%Y-%m-%d)}  # DAY=YYYY-MM-DD with --render-only re-renders that day's results
start=$(date -u +%Y-%m-%dT%H:%MZ)

. benchmarks/results-dir.sh  # fresh_dir
r=benchmarks/results
deadline=""; [ -z "${BUDGET_MIN:-}" ] || deadline=$(( $(date +%s) + BUDGET_MIN * 60 ))
# step DIR MINUTES COMMAND...: runs COMMAND unless DIR holds a finished step (its .complete marker) or
# the step (about MINUTES long in this mode) would end after the deadline; marks DIR complete when it
# succeeds. Status 3 means "not complete yet" (skipped for time, or a JMH run with units left).
step() {
  local dir="$1" minutes="$2"; shift 2
  if [ -e "$dir/.complete" ]; then echo "compare.sh: $dir is complete (kept)"; return 0; fi
  if [ -n "$deadline" ] && [ $(( $(date +%s) + minutes * 60 )) -gt "$deadline" ]; then return 3; fi
  local rc=0; OUT="$dir" DEADLINE="$deadline" SKIP_BUILD=1 "$@" || rc=$?
  if [ "$rc" = 0 ]; then touch "$dir/.complete"; fi
  return "$rc"
}
if [ "${2:-}" != --render-only ]; then
  if [ -n "${RESUME:-}" ]; then
    # The unfinished run's directories, as its first sitting recorded them (a typo must not start anew).
    [ -f "$RESUME/.run" ] || { echo "compare.sh: $RESUME is not an unfinished compare.sh run (no .run)" >&2; exit 2; }
    . "$RESUME/.run"
  else
    # Fresh directories for this run (a second run on the same day gets -2, ...), and exactly these are
    # summarized: earlier same-day runs never mix into the chart.
    jmh_dir=$(fresh_dir "$r/$day-$mode"); http_dir=$(fresh_dir "$r/$day-http-$mode")
    fp_dir=$(fresh_dir "$r/$day-footprint-$mode"); cs_dir=$(fresh_dir "$r/$day-coldstart-$mode"); jfr_dir=$(fresh_dir "$r/$day-jfr-$mode"); go_dir=$(fresh_dir "$r/$day-go-$mode")
    mkdir -p "$jmh_dir"
    printf 'jmh_dir=%s\nhttp_dir=%s\nfp_dir=%s\ncs_dir=%s\njfr_dir=%s\ngo_dir=%s\nstarted=%s\n' \
      "$jmh_dir" "$http_dir" "$fp_dir" "$cs_dir" "$jfr_dir" "$go_dir" "$start" > "$jmh_dir/.run"
  fi
  mvn -B -q -ntp -DskipTests package -pl benchmarks -am
  full() { [ "$mode" = full ] && echo "$1" || echo "$2"; }  # minutes (or runs) in full / quick mode
  incomplete=0
  # The JMH run first: run.sh itself keeps within the deadline unit by unit.
  step "$jmh_dir" 0 bash benchmarks/run.sh "$mode" || incomplete=1
  step "$http_dir" "$(full 35 8)" bash benchmarks/http.sh "$mode" || incomplete=1
  step "$fp_dir" 2 bash benchmarks/footprint.sh || incomplete=1
  step "$cs_dir" "$(full 4 2)" bash benchmarks/coldstart.sh "$(full 61 21)" || incomplete=1
  step "$jfr_dir" "$(full 12 2)" bash benchmarks/jfr-cost.sh "$mode" || incomplete=1
  step "$go_dir" "$(full 25 6)" bash benchmarks/go.sh "$mode" || incomplete=1
  if [ "$incomplete" = 1 ]; then
    echo "compare.sh: the $mode run is not complete; continue it with: RESUME=$jmh_dir benchmarks/compare.sh $mode" >&2
    exit 3
  fi
  jmh=("$jmh_dir" "$http_dir")
else
  # Today's first runs; then same-day partial runs and reruns (their rows win), then HTTP.
  go_dir="$r/$day-go-$mode"; fp_dir="$r/$day-footprint-$mode"; cs_dir="$r/$day-coldstart-$mode"; jfr_dir="$r/$day-jfr-$mode"
  # Only this mode's own directories: the run, its numbered reruns (in numeric order: -2 before -10) and
  # its subsets; never an A/B or spike directory that merely starts with the same name (an older build's
  # rows would win, as 2026-11-24-quick-before-spin did).
  jmh=($(ls -d "$r/$day-$mode" "$r/$day-$mode"-* 2>/dev/null | grep -E -- "/$day-$mode(-[0-9]+|-subset[^/]*)?\$" | sort -V || true) "$r/$day-http-$mode")
fi
python3 benchmarks/peers.py --svg benchmarks/results/summary.svg "${jmh[@]}" "$go_dir" > benchmarks/results/summary.tmp
{
  echo "# Comparison $start ($mode$([ -n "${started:-}" ] && [ "$started" != "$start" ] && echo ", begun $started"))"
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
