#!/usr/bin/env bash
# Session 36, issue 17: the ring's other-side waiting bit in the position word (h-fold-36) against main before it
# (3cd7574c), B2 at capacity 64 and 1,024, the same settings as 2026-12-06-s35-c7-b2-quiet. Run on a quiet machine,
# from the repository root, with the two jars built beforehand:
#   /tmp/spike/pre-fold.jar  benchmarks' shaded jar of 3cd7574c
#   /tmp/spike/fold.jar      benchmarks' shaded jar of h-fold-36
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=benchmarks/results/2026-12-06-s36-fold-b2
for r in 1 2 3 4 5; do
  order="pre-fold fold"; [ $((r % 2)) = 0 ] && order="fold pre-fold"
  for v in $order; do
    $J -Djmh.ignoreLock=true -jar /tmp/spike/$v.jar 'ProducerConsumerBenchmark' \
      -p threads=VIRTUAL -p capacity=64,1024 -p peer=GOCHAN -f 2 -wi 3 -w 1s -i 4 -r 1s \
      -rf json -rff "$out/$v-$r.json" > "$out/$v-$r.log" 2>&1 < /dev/null
    echo "round $r $v done $(date +%T)"
  done
done
