#!/usr/bin/env bash
set -uo pipefail
cd /work/main
. http-transport/interop/nginx.sh
start_nginx ab33h1; port=$NGINX_PORT
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 1 2 3; do
  for jar in cur33 int33b; do
    echo "== round $round $jar H1"
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$jar.jar 'HttpClientBenchmark.h1SequentialSmall$' -p peer=GOCHAN -f 2 -wi 4 -w 2s -i 3 -r 2s -p server=http://127.0.0.1:$port 2>&1 | grep -E '^HttpClientBenchmark'
  done
done
