# Shared by the benchmark scripts (sourced, not run): finds a JDK 21+ the way the build's toolchain does.
# Sets JAVA to JAVA_HOME's java if that is 21+, else to the newest under /usr/lib/jvm; exits if none.
java_ok() { "$1" -version 2>&1 | head -1 | grep -Eq '"(2[1-9]|[3-9][0-9])'; }
JAVA=""
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_ok "$JAVA_HOME/bin/java"; then JAVA="$JAVA_HOME/bin/java"; fi
if [ -z "$JAVA" ]; then
  for j in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -V -r); do if java_ok "$j"; then JAVA="$j"; break; fi; done
fi
[ -n "$JAVA" ] || { echo "no JDK 21+ found (set JAVA_HOME)" >&2; exit 1; }

. "$(dirname "${BASH_SOURCE[0]}")/results-dir.sh"  # fresh_dir
