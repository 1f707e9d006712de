#!/usr/bin/env bash
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=benchmarks/results/2026-12-06-s35-c7-b2-quiet
for r in 1 2 3 4 5; do
  order="pre-c7 c7"; [ $((r % 2)) = 0 ] && order="c7 pre-c7"
  for v in $order; do
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$v.jar 'ProducerConsumerBenchmark' \
      -p threads=VIRTUAL -p capacity=64,1024 -p peer=GOCHAN -f 2 -wi 3 -w 1s -i 4 -r 1s \
      -rf json -rff "$out/$v-$r.json" > "$out/$v-$r.log" 2>&1 < /dev/null
    echo "round $r $v done $(date +%T)"
  done
done
