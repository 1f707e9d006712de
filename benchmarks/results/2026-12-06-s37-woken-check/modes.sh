#!/bin/bash
# alternating: base streak, no streak, SQ; prints per-round ns, waits, parks, met, miss
# Compile first: javac -cp <channels classes of branch h-count-37> -d . PPC.java SQ.java (in this directory).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
CP=${CHANNELS_CLASSES:-/work/wt-count-37/channels/target/classes}:$(dirname "$0")
mode=${1:-pp}
for i in 1 2 3 4 5; do
  echo "== run $i"
  echo "base: $($J -cp $CP PPC 1000000 $mode | tail -4 | awk '{printf "%s w%s p%s m%s x%s | ", $3, $6, $8, $10, $12}')"
  echo "nostreak: $($J -Dgochan.count.noStreak=true -cp $CP PPC 1000000 $mode | tail -4 | awk '{printf "%s w%s p%s m%s x%s | ", $3, $6, $8, $10, $12}')"
  [ "$mode" = pp ] && echo "SQ: $($J -cp "$(dirname "$0")" SQ 1000000 | tail -4 | awk '{printf "%s | ", $3}')"
done
