#!/usr/bin/env bash
# Go as a peer: runs benchmarks/go (B1–B6 channel workloads, H1–H4 with net/http against nginx on
# loopback) at GOMAXPROCS=1 and GOMAXPROCS=$(nproc) — the JMH side's carrier parallelism 1 and default — and
# writes benchmarks/results/<UTC date>-go-<mode>/: the raw `go test` output per GOMAXPROCS, a README
# with the exact commands, machine, Go version and load, and table.md (peers.py). If JMH results of
# the same day are there (run.sh, http.sh), peers.md and peers.svg put all peers side by side.
# Usage: benchmarks/go.sh [quick|full|smoke] [go test -bench regex, default: everything]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"; shift || true
filter="${1:-.}"

# Go 1.19 from Debian's golang-go, installed if missing (the network is closed to anything else, and
# the module has no dependencies, so no module proxy is ever asked).
if ! command -v go >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null)
fi
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
# go needs a build cache; a CI shell without HOME has no default one.
if [ -z "${HOME:-}" ] && [ -z "${GOCACHE:-}" ]; then export GOCACHE=/tmp/gochan-go-build-cache; fi

case "$mode" in
  # -count plays JMH's measurement iterations; Go sizes b.N itself to fill -benchtime.
  smoke) opts=(-benchtime 200ms -count 1) ;;
  quick) opts=(-benchtime 1s -count 3) ;;
  full)  opts=(-benchtime 3s -count 10) ;;
  *) echo "mode must be smoke, quick or full" >&2; exit 2 ;;
esac

# nginx on loopback, set up exactly as http.sh does (same config template, same files).
. http-transport/interop/nginx.sh  # start_nginx
start_nginx nginx-gobench
server="http://127.0.0.1:$NGINX_PORT"

# (An if, not `$([ ... ] && echo)`: a false test inside an assignment would stop the script under set -e.)
suffix=""; if [ "$filter" != . ]; then suffix=-subset; fi
. benchmarks/results-dir.sh  # fresh_dir
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-go-$mode$suffix")}"
mkdir -p "$out"
{
  echo "# Go peer run $(date -u +%Y-%m-%dT%H:%MZ), mode $mode"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version), against $("$NGINX" -v 2>&1)"
  echo
  # The machines are shared: the load says how much the numbers may have been disturbed.
  echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "Reproduce: \`benchmarks/go.sh $mode${1:+ $(printf '%q' "$1")}\`, which runs, in \`benchmarks/go\` (the nginx port is random):"
  echo
} > "$out/README.md"

# 1 and the core count: the JMH side's parallelism-1 run and its default scheduler (one carrier per
# core); a fixed 2 would pair GOMAXPROCS 2 with 4 carriers on a 4-core machine.
for procs in $(printf '%s\n' 1 "$(nproc)" | sort -un); do
  # GOMAXPROCS in the environment and -cpu agree: the first sets the test binary's runtime, the second
  # names the rows (Go appends -2 to a benchmark's name when it runs at GOMAXPROCS 2).
  cmd=(go test -run '^$' -bench "$filter" -benchmem "${opts[@]}" -cpu "$procs" -timeout 60m . -args -server "$server")
  # %q quotes the regexes so the recorded command can be pasted into a shell as it is.
  echo "    GOMAXPROCS=$procs $(printf '%q ' "${cmd[@]}")" >> "$out/README.md"
  (cd benchmarks/go && GOMAXPROCS=$procs "${cmd[@]}") | tee "$out/gomaxprocs$procs.txt"
done

echo >> "$out/README.md"; echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/README.md"

python3 benchmarks/peers.py "$out" > "$out/table.md"
echo >> "$out/README.md"; cat "$out/table.md" >> "$out/README.md"

# This mode's same-day JMH runs (channel and HTTP, their numbered reruns and subsets) join Go in one
# comparison, reruns after the run (numeric order) so their rows win; never another day-directory (a JFR
# cost run, an A/B or spike of another build), whose rows would replace the run's (peers.py warns when
# two directories fill one cell).
day=$(date -u +%Y-%m-%d)
jmh=()
for d in $(ls -d benchmarks/results/"$day"-* 2>/dev/null | grep -E -- "/$day-(http-)?$mode(-[0-9]+|-subset[^/]*)?\$" | sort -V || true); do
  ls "$d"/*.json >/dev/null 2>&1 && jmh+=("$d")
done
if [ ${#jmh[@]} -gt 0 ]; then
  python3 benchmarks/peers.py --svg "$out/peers.svg" "${jmh[@]}" "$out" > "$out/peers.md"
  echo "Wrote $out/peers.md and $out/peers.svg (with ${jmh[*]})"
fi
