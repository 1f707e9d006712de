#!/usr/bin/env bash
# A/B of two builds of the benchmarks jar on this machine: runs one JMH selection with jar A, then jar B,
# for several rounds (alternating, and A first in odd rounds, B first in even ones: the second run of a
# pair measured ~8 % slower on HTTP whichever jar it was, results/2026-12-02-session11-ab), and prints each benchmark's scores
# by round and the ratio of medians B/A. nginx is started on loopback when the selection needs a server
# (the argument @SERVER@ is replaced by its address).
# Usage: benchmarks/ab.sh A.jar B.jar ROUNDS 'JMH regex' [JMH options ...]
#   e.g. benchmarks/ab.sh /tmp/bench-base.jar /tmp/bench-cur.jar 3 'SelectBenchmark.gochanSelect$' \
#          -p threads=VIRTUAL -p channels=2 -f 1 -wi 3 -w 1s -i 3 -r 1s
# Build each jar with `mvn -B -o -q -DskipTests package -pl benchmarks -am` at its commit and copy
# benchmarks/target/benchmarks.jar away. Env: OUT=dir (default benchmarks/results/<UTC date>-ab[-N]/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,10p "$0" >&2; exit 2; }
jar_a=$1 jar_b=$2 rounds=$3 regex=$4; shift 4
. benchmarks/lib.sh  # JAVA, fresh_dir
args=("$@")
if printf '%s\n' "${args[@]}" | grep -q '@SERVER@'; then
  . http-transport/interop/nginx.sh  # start_nginx
  start_nginx nginx-ab
  args=("${args[@]//@SERVER@/http://127.0.0.1:$NGINX_PORT}")
fi
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-ab")}"; mkdir -p "$out"
echo "A=$jar_a B=$jar_b rounds=$rounds: $regex ${args[*]}" > "$out/command.txt"
for ((round = 1; round <= rounds; round++)); do
  order="A B"; [ $((round % 2)) = 0 ] && order="B A"  # the second run of a pair is slower (nginx, caches): alternate
  for side in $order; do
    jar=$jar_a; [ "$side" = B ] && jar=$jar_b
    "$JAVA" -Djmh.ignoreLock=true -jar "$jar" "$regex" "${args[@]}" -rf json -rff "$out/$side-$round.json" \
      > "$out/$side-$round.log" 2>&1
  done
done
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import collections, glob, json, os, statistics, sys
out = sys.argv[1]
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(out + "/[AB]-*.json"), key=lambda f: int(f.rsplit("-", 1)[1][:-5])):
    side = os.path.basename(f)[0]
    for b in json.load(open(f)):
        params = ",".join(f"{k}={v}" for k, v in sorted(b.get("params", {}).items()) if k != "server")
        rows[b["benchmark"].split(".")[-1] + (" " + params if params else "")][side].append(b["primaryMetric"]["score"])
for key, s in sorted(rows.items()):
    a, b = s.get("A", []), s.get("B", [])
    ratio = f"{statistics.median(b) / statistics.median(a):.2f}" if a and b else "-"
    print(f"{key}: A {' / '.join('%.1f' % x for x in a)}  B {' / '.join('%.1f' % x for x in b)}  medians B/A {ratio}")
PY
