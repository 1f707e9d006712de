#!/usr/bin/env bash
# Re-records the Go oracle's corpus (rule GO1): what Go's runtime does with the random channel scripts
# that GoOracleTest replays against gochan. Needs Go (Debian's golang-go is installed if missing); the
# tests themselves do not: the corpus is committed.
# Usage: channels-select/src/test/go-oracle/record.sh [scripts, default 500] [seed, default 1] [ring scripts, default 400] [ring seed, default 2]
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v go >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null)
fi
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
if [ -z "${HOME:-}" ] && [ -z "${GOCACHE:-}" ]; then export GOCACHE=/tmp/gochan-go-build-cache; fi
go vet .
go run . "${1:-500}" "${2:-1}" > ../resources/go-oracle/traces.txt
go run . "${3:-400}" "${4:-2}" ring > ../resources/go-oracle/traces-ring.txt
echo "wrote $(grep -c '^script' ../resources/go-oracle/traces.txt) scripts to channels-select/src/test/resources/go-oracle/traces.txt"
echo "wrote $(grep -c "^script" ../resources/go-oracle/traces-ring.txt) scripts to channels-select/src/test/resources/go-oracle/traces-ring.txt"
