#!/usr/bin/env bash
# A/B of session 33's transport changes: jars prep93 (main before P93), cur33 (s32's main + my refactors), int33b (h-int33).
set -uo pipefail
cd /work/main
. http-transport/interop/nginx.sh
start_nginx ab33; port=$NGINX_PORT
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
opts=(-f 2 -wi 4 -w 2s -i 3 -r 2s -p server=http://127.0.0.1:$port)
for round in 1 2; do
  for jar in prep93 cur33 int33b; do
    echo "== round $round $jar SpikeRequestDeadline"
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$jar.jar 'SpikeRequestDeadline' "${opts[@]}" 2>&1 | grep -E '^SpikeRequestDeadline'
  done
  for jar in cur33 int33b; do
    echo "== round $round $jar H1"
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$jar.jar 'HttpClientBenchmark.h1SequentialSmall$' -p peer=GOCHAN "${opts[@]}" 2>&1 | grep -E '^HttpClientBenchmark'
  done
done
for jar in cur33 int33b; do
  echo "== $jar ContextOp readyReceiveCtx"
  $J -Djmh.ignoreLock=true -jar /tmp/spike/$jar.jar 'ContextOpBenchmark.readyReceiveCtx' -f 2 -wi 3 -w 1s -i 3 -r 1s 2>&1 | grep -E '^ContextOpBenchmark'
done
