#!/usr/bin/env bash
# Quiet rerun for issue 17 (2026-12-04): the rows the fairness audit invalidated, every peer in the same run.
# Usage: bash /work/notes/bench17.sh <outdir>   (from /work/main, jar built)
set -u
out="$1"; mkdir -p "$out"/c2 "$out"/c1 "$out"/http
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=${JAR:-benchmarks/target/benchmarks.jar}
common=(-Djmh.ignoreLock=true -jar "$JAR")
opts=(-f 2 -wi 3 -w 1s -i 3 -r 1s -prof gc -p threads=VIRTUAL)
for c in c2 c1; do
  extra=(); [ "$c" = c1 ] && extra=(-jvmArgsAppend -Djdk.virtualThreadScheduler.parallelism=1)
  echo "== $c channel $(date -u +%H:%M) load $(cut -d' ' -f1 /proc/loadavg)" >> "$out/log"
  $J "${common[@]}" 'PingPongBenchmark.pingPong$|ProducerConsumerBenchmark.transfer$' \
     -p peer=GOCHAN,JUC,KOTLIN,JOX -p capacity=0,1,16,1024 "${opts[@]}" "${extra[@]}" \
     -rf json -rff "$out/$c/b1b2.json" > "$out/$c/b1b2.txt" 2>&1
  $J "${common[@]}" 'SelectBenchmark.(gochan|jox|kotlin)Select$' -p channels=2 "${opts[@]}" "${extra[@]}" \
     -rf json -rff "$out/$c/b4.json" > "$out/$c/b4.txt" 2>&1
done
echo "== c2 B3/B5 $(date -u +%H:%M) load $(cut -d' ' -f1 /proc/loadavg)" >> "$out/log"
$J "${common[@]}" 'ContendedBenchmark|PrimeSieveBenchmark|DaisyChainBenchmark' -p peer=GOCHAN,JUC,KOTLIN,JOX \
   "${opts[@]}" -rf json -rff "$out/c2/b3b5.json" > "$out/c2/b3b5.txt" 2>&1
echo "== http $(date -u +%H:%M) load $(cut -d' ' -f1 /proc/loadavg)" >> "$out/log"
. http-transport/interop/nginx.sh
start_nginx nginx-bench17; port=$NGINX_PORT
$J "${common[@]}" 'HttpClientBenchmark.(h2Concurrent64|h4CancellationStorm)' -f 2 -wi 5 -w 2s -i 3 -r 2s -prof gc \
   -p "server=http://127.0.0.1:$port" -rf json -rff "$out/http/http.json" > "$out/http/http.txt" 2>&1
echo "== done $(date -u +%H:%M)" >> "$out/log"
