#!/usr/bin/env bash
set -euo pipefail
cd /work/main
. http-transport/interop/nginx.sh
start_nginx perf-h1
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
perf record -F 499 -g -o /tmp/p37.data -- $J -XX:+PreserveFramePointer -Djmh.ignoreLock=true -jar /tmp/bench-main.jar 'HttpClientBenchmark.h1SequentialSmall$' \
  -p peer=GOCHAN -p server=http://127.0.0.1:$NGINX_PORT -f 0 -wi 3 -w 2s -i 5 -r 2s > /tmp/perf-h1.log 2>&1
