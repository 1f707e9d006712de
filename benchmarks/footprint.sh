#!/usr/bin/env bash
# B7: bytes retained per idle channel and per parked waiter (heap deltas; see Footprint.java).
# Usage: benchmarks/footprint.sh   (writes benchmarks/results/<UTC date>-footprint/)
set -euo pipefail
cd "$(dirname "$0")/.."
java_ok() { "$1" -version 2>&1 | head -1 | grep -Eq '"(2[1-9]|[3-9][0-9])'; }
JAVA=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_ok "$JAVA_HOME/bin/java"; then JAVA="$JAVA_HOME/bin/java"; fi
if [ -z "$JAVA" ]; then
  for j in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -V -r); do if java_ok "$j"; then JAVA="$j"; break; fi; done
fi
[ -n "$JAVA" ] || { echo "no JDK 21+ found (set JAVA_HOME)" >&2; exit 1; }
[ "${SKIP_BUILD:-}" = 1 ] || mvn -B -q -DskipTests package -pl benchmarks -am
out="benchmarks/results/$(date -u +%Y-%m-%d)-footprint"; mkdir -p "$out"
# SerialGC: System.gc() is a full compacting collection, so used heap after it is exact.
cmd=("$JAVA" -XX:+UseSerialGC -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar io.gochan.benchmarks.Footprint "$out")
{ echo "# Footprint (B7) $(date -u +%Y-%m-%dT%H:%MZ)"; echo
  echo "Machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1)"; echo
  echo "Reproduce: \`benchmarks/footprint.sh\`, which runs:"; echo; echo "    ${cmd[*]}"; echo; } > "$out/README.md"
"${cmd[@]}"
cat "$out/footprint.md" >> "$out/README.md"
