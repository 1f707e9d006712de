#!/usr/bin/env bash
# Re-records the Go oracle's corpora (rules GO1-GO4): what Go's runtime does with the random channel scripts
# that GoOracleTest replays against gochan. Needs Go (Debian's golang-go is installed if missing); the
# tests themselves do not: the corpus is committed.
# Usage: channels-select/src/test/go-oracle/record.sh [scripts, default 500] [seed, default 1] [ring scripts, default 400] [ring seed, default 2]
#   [multi scripts, default 1000] [multi seed, default 4] [multiring scripts, default 600] [multiring seed, default 5]
#   [anyready scripts, default 500] [anyready seed, default 6] [parked scenarios, default 500] [parked seed, default 7]
#   [multinil scripts, default 400] [multinil seed, default 8] [big scripts, default 300] [big seed, default 9]
# The multi shapes (rules GO2, GO5) start goroutines that block; their traces do not depend on GOMAXPROCS or timing.
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
go run . "${5:-1000}" "${6:-4}" multi > ../resources/go-oracle/traces-multi.txt
go run . "${7:-600}" "${8:-5}" multiring > ../resources/go-oracle/traces-multi-ring.txt
go run . "${9:-500}" "${10:-6}" anyready > ../resources/go-oracle/traces-anyready.txt # rule GO3
go run . "${11:-500}" "${12:-7}" parked > ../resources/go-oracle/traces-parked.txt # rule GO4
go run . "${13:-400}" "${14:-8}" multinil > ../resources/go-oracle/traces-multi-nil.txt # rule GO5
go run . "${15:-300}" "${16:-9}" big > ../resources/go-oracle/traces-big.txt # rule GO6
echo "wrote $(grep -c '^script' ../resources/go-oracle/traces.txt) scripts to channels-select/src/test/resources/go-oracle/traces.txt"
for f in traces-ring traces-multi traces-multi-ring traces-anyready traces-parked traces-multi-nil traces-big; do
  echo "wrote $(grep -c "^script" ../resources/go-oracle/$f.txt) scripts to channels-select/src/test/resources/go-oracle/$f.txt"
done
