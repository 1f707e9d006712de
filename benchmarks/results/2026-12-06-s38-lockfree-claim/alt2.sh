#!/bin/bash
# Alternating standalone runs, short rounds (a loaded machine leaves quiet moments only briefly): base classes, spike
# classes (claim on), spike classes with -Dgochan.spike.lockFreeClaim=false, SynchronousQueue. Per JVM R rounds of N
# round trips (pp) or 2N values (pc); prints min, 10th percentile and median ns per handoff of rounds R/3..R-1.
# Usage: alt2.sh CYCLES N R MODE(pp|pc) PARALLELISM   env BASE, SPIKE = channels classes dirs
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
H=$(dirname "$0")
cycles=$1 n=$2 r=$3 mode=$4 par=$5
P=-Djdk.virtualThreadScheduler.parallelism=$par
stat() { python3 -c '
import sys
r = int(sys.argv[1]); v = sorted(float(l.split()[2]) for l in sys.stdin if l.startswith("round") and int(l.split()[1][:-1]) >= r // 3)
print("min %.0f p10 %.0f med %.0f" % (v[0], v[len(v) // 10], v[len(v) // 2]))' $r; }
for ((c = 1; c <= cycles; c++)); do
  for v in base spike spikeoff sq; do
    case $v in
      base) out=$($J $P -cp $BASE:$H PPS $n $mode $r) ;;
      spike) out=$($J $P -cp $SPIKE:$H PPS $n $mode $r) ;;
      spikeoff) out=$($J $P -Dgochan.spike.lockFreeClaim=false -cp $SPIKE:$H PPS $n $mode $r) ;;
      sq) if [ "$mode" = pp ]; then out=$($J $P -cp $H SQ $n $r); else out=$($J $P -cp $H SQPC $n $r); fi ;;
    esac
    echo "$mode p$par cycle $c $v: $(echo "$out" | stat)"
  done
done
