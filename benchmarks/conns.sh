#!/usr/bin/env bash
# Counts the connections each HTTP peer opens to nginx during a short HttpClientBenchmark run, to check
# that every peer is held to the same 8 connections per host (H2, H4: docs/spec/benchmarks.md).
# Usage: benchmarks/conns.sh [JMH regex, default h2Concurrent64] [peers, default "GOCHAN JDK OKHTTP APACHE"]
#   JAR=path/to/benchmarks.jar (default benchmarks/target/benchmarks.jar, built beforehand; not built here)
#   JMH_OPTS (default "-f 1 -wi 1 -i 1 -w 1s -r 1s": a smoke run, not a measurement)
# Per peer it prints nginx's accepted-connection count for the whole fork (stub_status "accepts", less
# the status requests themselves) and the most client connections seen established at once
# (`ss`, sampled every 20 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
regex="${1:-h2Concurrent64}"
peers="${2:-GOCHAN JDK OKHTTP APACHE}"
jar="${JAR:-benchmarks/target/benchmarks.jar}"
read -r -a opts <<< "${JMH_OPTS:--f 1 -wi 1 -i 1 -w 1s -r 1s}"
. benchmarks/lib.sh  # JAVA
. http-transport/interop/nginx.sh  # start_nginx
start_nginx nginx-conns; port=$NGINX_PORT
# The shared template has no status page: add one to this copy and reload.
sed -i "s#root $NGINX_DIR/www;#&\n        location = /status { stub_status; }#" "$NGINX_DIR/nginx.conf"
"$NGINX" -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" -s reload
# Retried: while the reload replaces the worker, a request may still reach the old one (no status page).
accepts() {
  local a
  for _ in $(seq 1 100); do
    a=$(curl -sf "http://127.0.0.1:$port/status" | awk 'NR==3 {print $1}') || true
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.1
  done
  echo "nginx status page unreachable" >&2; return 1
}
accepts >/dev/null
printf '%-8s %8s %8s\n' peer accepts max-open
for peer in $peers; do
  a0=$(accepts)
  "$JAVA" -Djmh.ignoreLock=true -jar "$jar" "HttpClientBenchmark.$regex" "${opts[@]}" \
    -p "server=http://127.0.0.1:$port" -p "peer=$peer" > "${LOG_DIR:-/tmp}/conns-$peer.log" 2>&1 &
  pid=$!; max=0
  while kill -0 "$pid" 2>/dev/null; do
    n=$(ss -Htn state established "( dport = :$port )" | wc -l)
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.02
  done
  wait "$pid" || { echo "$peer: JMH failed, see ${LOG_DIR:-/tmp}/conns-$peer.log" >&2; }
  a1=$(accepts)
  printf '%-8s %8d %8d\n' "$peer" $(( a1 - a0 - 1 )) "$max"  # -1: the status request that read a1
done
