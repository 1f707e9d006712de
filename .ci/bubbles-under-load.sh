#!/usr/bin/env bash
# The bubble (virtual time) tests again, three rounds, while two busy loops hold both cores: a bubble
# decides "every member is durably blocked" from thread states and wake-ups that a loaded machine
# delays and reorders, and the races of that decision (BB7's lost end-wait, BB20's parked waits) only
# ever showed under load. Runs after `mvn verify` (the classes are built); fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
burners=()
stop_burners() { for p in "${burners[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_burners EXIT
for _ in 1 2; do (while :; do :; done) & burners+=($!); done
for round in 1 2 3; do
  echo "== bubbles under load, round $round"
  mvn -B -ntp -q -pl channels,channels-select,leak-check -am test \
      -Dtest='Bubble*Test,SynctestTest' -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true
done
echo "bubbles under load: 3 rounds passed"
