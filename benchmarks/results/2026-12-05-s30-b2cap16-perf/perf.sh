#!/usr/bin/env bash
# B2 capacity 16, two carriers, virtual threads: where the time goes for gochan and ArrayBlockingQueue (JUC), software
# sampling (cpu-clock; this VM has no hardware counters), JIT frames named through -XX:+DumpPerfMapAtExit.
set -u
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=${JAR:-/tmp/pcperf/benchmarks.jar}
OUT=${OUT:-/tmp/pcperf}
for peer in ${PEERS:-GOCHAN JUC}; do
  perf record -F 999 -g -o $OUT/$peer.data -- $J -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions \
    -XX:+DumpPerfMapAtExit -Djmh.ignoreLock=true -jar $JAR 'ProducerConsumerBenchmark' -p threads=VIRTUAL \
    -p capacity=16 -p peer=$peer -f 0 -wi 3 -w 1s -i 5 -r 1s > $OUT/$peer.log 2>&1
  perf report -i $OUT/$peer.data --no-children --sort symbol --stdio 2>/dev/null | grep -v "^$" | grep "%" | head -40 > $OUT/$peer-top.txt
  perf report -i $OUT/$peer.data --children --sort symbol --stdio -g none 2>/dev/null | grep "%" | head -60 > $OUT/$peer-children.txt
done
