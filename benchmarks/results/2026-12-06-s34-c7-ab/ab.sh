#!/usr/bin/env bash
# Session 34: C7 (len steady through handoffs) A/B. Jars: /tmp/spike/pre-c7.jar (h-int34 before the merge of C7,
# c89bfbbe) and /tmp/spike/c7.jar (after, 3add0616), each `mvn -B -o -q -DskipTests package -pl benchmarks -am`.
# Alternating, B first in even rounds.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=${OUT:-/tmp/c7ab}; mkdir -p "$out"
for r in 1 2 3; do
  order="pre-c7 c7"; [ $((r % 2)) = 0 ] && order="c7 pre-c7"
  for v in $order; do
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$v.jar 'ContendedBenchmark|ProducerConsumerBenchmark' \
      -p threads=VIRTUAL -p capacity=1,16,64,1024 -p peer=GOCHAN -f 2 -wi 3 -w 1s -i 4 -r 1s \
      -rf json -rff "$out/$v-$r.json" > "$out/$v-$r.log" 2>&1
    echo "round $r $v done $(date +%T)"
  done
done
