#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 response codec with Jazzer for a given time (docs/fuzzing-and-faults.md).
#
#   http-transport/fuzz.sh [DURATION] [METHOD]
#     DURATION  e.g. 90s, 10m, 1h (default 5m)
#     METHOD    a @FuzzTest method of ResponseParserFuzzTest: responses (default) or chunkedBody
#
# New coverage goes to http-transport/.cifuzz-corpus/ (not committed); a crashing input is written to
# src/test/resources/io/gochan/http/internal/codec/ResponseParserFuzzTestInputs/METHOD/, where every
# later `mvn verify` replays it: fix the bug, keep the file. Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5m}"
method="${2:-responses}"
case "$duration" in
  *h) seconds=$(( ${duration%h} * 3600 )) ;;
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *[!0-9]*|'') echo "bad duration '$duration' (use e.g. 90s, 10m, 1h)" >&2; exit 2 ;;
  *) seconds=$duration ;;
esac
# JAZZER_FUZZ switches @FuzzTest from replaying its corpus to fuzzing. jazzer.hooks=true overrides the
# regression-mode setting in junit-platform.properties; the jazzer.internal.arg.* JUnit parameters are
# passed to libFuzzer after the annotation's own -max_total_time, so ours wins.
JAZZER_FUZZ=1 exec mvn -B -ntp -pl http-transport -am test \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest="ResponseParserFuzzTest#${method}" \
  -Dsurefire.argLine="-Xmx2g -XX:+EnableDynamicAgentLoading -Djazzer.hooks=true \
-Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time=${seconds} \
-Djazzer.internal.arg.2=-print_final_stats=1" \
  -Dsurefire.timeout=0
