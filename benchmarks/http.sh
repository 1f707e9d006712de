#!/usr/bin/env bash
# H1-H4: gochan's Transport, the JDK's HttpClient, OkHttp and Apache HttpClient 5 (classic) against
# nginx on loopback.
# Usage: benchmarks/http.sh [smoke|quick|full] [JMH regex, default HttpClientBenchmark]
#        (writes benchmarks/results/<date>-http-<mode>/)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
regex="${2:-HttpClientBenchmark}"
. benchmarks/lib.sh  # JAVA: a JDK 21+
[ "${SKIP_BUILD:-}" = 1 ] || mvn -B -q -ntp -DskipTests package -pl benchmarks -am  # SKIP_BUILD=1: compare.sh built it
. http-transport/interop/nginx.sh  # start_nginx
start_nginx nginx-bench; port=$NGINX_PORT
case "$mode" in
  smoke) opts=(-f 1 -wi 1 -w 200ms -i 1 -r 500ms) ;;
  quick) opts=(-f 1 -wi 5 -w 2s -i 3 -r 2s) ;;  # HTTP peers need ~10 s of warm-up before iterations settle
  full)  opts=(-f 3 -wi 5 -w 2s -i 5 -r 3s) ;;
  *) echo "mode must be smoke, quick or full" >&2; exit 2 ;;
esac
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-http-$mode")}"; mkdir -p "$out"
cmd=("$JAVA" -jar benchmarks/target/benchmarks.jar "$regex" "${opts[@]}" -prof gc -p "server=http://127.0.0.1:$port" -rf json -rff "$out/http.json")
{ echo "# HTTP benchmarks $(date -u +%Y-%m-%dT%H:%MZ), mode $mode, against $("$NGINX" -v 2>&1)"; echo;
  echo "Machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1)"; echo; echo "Reproduce: \`benchmarks/http.sh $mode $regex\`, which runs:"; echo;
  echo "    ${cmd[*]}"; echo; } > "$out/README.md"
"${cmd[@]}"
python3 benchmarks/render.py "$out" > "$out/table.md"
cat "$out/table.md" >> "$out/README.md"; cat "$out/table.md"
