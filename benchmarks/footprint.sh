#!/usr/bin/env bash
# B7: bytes retained per idle channel and per parked waiter (heap deltas; see Footprint.java).
# Usage: benchmarks/footprint.sh   (writes benchmarks/results/<UTC date>-footprint/)
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/lib.sh  # JAVA: a JDK 21+
[ "${SKIP_BUILD:-}" = 1 ] || mvn -B -q -DskipTests package -pl benchmarks -am
out="${OUT:-$(fresh_dir "benchmarks/results/$(date -u +%Y-%m-%d)-footprint")}"; mkdir -p "$out"
# SerialGC: System.gc() is a full compacting collection, so used heap after it is exact.
cmd=("$JAVA" -XX:+UseSerialGC -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar io.gochan.benchmarks.Footprint "$out")
{ echo "# Footprint (B7) $(date -u +%Y-%m-%dT%H:%MZ)"; echo
  echo "Machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1)"; echo
  echo "Reproduce: \`benchmarks/footprint.sh\`, which runs:"; echo; echo "    ${cmd[*]}"; echo; } > "$out/README.md"
"${cmd[@]}"
cat "$out/footprint.md" >> "$out/README.md"
