#!/usr/bin/env bash
# What gochan's JFR events cost (issue 4: "off costs nothing"). B1 ping-pong and B4 select on
# virtual threads, gochan only, three ways in one run:
#   off       no recording at all
#   recording a JFR recording with the default settings: gochan's events exist but are disabled
#   events-on the same recording with io.gochan.ChannelBlocked/SelectBlocked enabled at threshold 0
# on one carrier (stable numbers); Jox, which has no JFR events, as the control.
# Writes benchmarks/results/<UTC date>-jfr-<mode>/ with JMH JSON and table.md (ratios against "off").
# Usage: benchmarks/jfr-cost.sh [quick|full]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
. benchmarks/lib.sh  # JAVA: a JDK 21+
[ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests package -pl benchmarks -am
case "$mode" in
  quick) opts=(-f 1 -wi 2 -w 1s -i 5 -r 1s) ;;
  full)  opts=(-f 3 -wi 3 -w 2s -i 5 -r 2s) ;;
  *) echo "mode must be quick or full" >&2; exit 2 ;;
esac
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-jfr-$mode")}"; mkdir -p "$out"
rec=$(mktemp -d /tmp/gochan-jfr-cost.XXXXXX); trap 'rm -rf "$rec"' EXIT
on="+io.gochan.ChannelBlocked#enabled=true,+io.gochan.ChannelBlocked#threshold=0ms,+io.gochan.SelectBlocked#enabled=true,+io.gochan.SelectBlocked#threshold=0ms"
# One carrier: two-carrier handoffs here are bimodal (they depend on where the scheduler puts both
# threads), which would drown a difference of a few percent.
# Jox has no JFR events: its rows show what the recording itself costs (JFR's own park and
# virtual-thread instrumentation), so gochan's events cost only what gochan's ratio adds beyond Jox's.
sel=(-p peer=GOCHAN,JOX -p threads=VIRTUAL -jvmArgsAppend -Djdk.virtualThreadScheduler.parallelism=1 'PingPongBenchmark|SelectBenchmark.(gochan|jox)Select')
{ echo "# JFR cost, $(date -u +%Y-%m-%dT%H:%MZ), mode $mode"; echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA" -version 2>&1 | head -1)"; echo
  echo "Reproduce: \`benchmarks/jfr-cost.sh $mode\`, which runs:"; echo; } > "$out/README.md"
for variant in off recording events-on; do
  case "$variant" in
    off) jvm=() ;;
    recording) jvm=(-jvmArgsAppend "-XX:StartFlightRecording:filename=$rec/$variant.jfr") ;;
    events-on) jvm=(-jvmArgsAppend "-XX:StartFlightRecording:filename=$rec/$variant.jfr,$on") ;;
  esac
  cmd=("$JAVA" -jar benchmarks/target/benchmarks.jar "${opts[@]}" -prof gc "${jvm[@]}" -rf json -rff "$out/$variant.json" "${sel[@]}")
  echo "    ${cmd[*]}" >> "$out/README.md"
  "${cmd[@]}"
done
python3 - "$out" > "$out/table.md" <<'PY'
import json, sys, os
d = sys.argv[1]
rows = {}
for v in ("off", "recording", "events-on"):
    for r in json.load(open(os.path.join(d, v + ".json"))):
        p = r.get("params", {})
        key = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1] + "".join(
            f" {k}={p[k]}" for k in sorted(p) if k != "threads")
        alloc = next((m["score"] for k, m in r.get("secondaryMetrics", {}).items() if k.endswith("gc.alloc.rate.norm")), None)
        rows.setdefault(key, {})[v] = (r["primaryMetric"]["score"], alloc)
print("| benchmark (virtual threads, 1 carrier) | off ns/op (B/op) | recording, events disabled | ratio | events on (threshold 0) | ratio |")
print("|---|---|---|---|---|---|")
def cell(x):
    return "-" if x is None else f"{x[0]:.1f} ({x[1]:.0f})" if x[1] is not None else f"{x[0]:.1f}"
for k, v in sorted(rows.items()):
    off = v.get("off")
    if off and off[0] < 1.0:
        continue  # a benchmark that does nothing for these parameters
    def ratio(name):
        return f"{v[name][0] / off[0]:.2f}" if off and name in v else "-"
    print(f"| {k} | {cell(off)} | {cell(v.get('recording'))} | {ratio('recording')} | {cell(v.get('events-on'))} | {ratio('events-on')} |")
PY
echo >> "$out/README.md"; cat "$out/table.md" >> "$out/README.md"; cat "$out/table.md"
