#!/bin/sh
# Runs proxy_oracle.go once per case of proxy-cases.txt, each in an environment holding only that case's
# variables (env -i): Go reads the proxy variables once per process. Arguments go to proxy_oracle (-java).
# Case file: "case NAME", then "env NAME=value" lines (the value taken as it is, spaces included) and
# "url URL" lines; a blank line or the next "case" ends it; "#" starts a comment line.
set -eu
cd "$(dirname "$0")"
bin=${TMPDIR:-/tmp}/proxy_oracle.$$
go build -o "$bin" proxy_oracle.go
trap 'rm -f "$bin"' EXIT
run() {
    [ -n "$name" ] || return 0
    eval "env -i $envs \"\$bin\" $flags \"\$name\" $urls"
    name=""; envs=""; urls=""
}
q() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }
flags="$*"; name=""; envs=""; urls=""
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        "#"*) ;;
        "") run ;;
        "case "*) run; name=${line#case } ;;
        "env "*) envs="$envs $(q "${line#env }")" ;;
        "url "*) urls="$urls $(q "${line#url }")" ;;
        *) echo "proxy-cases.txt: cannot read: $line" >&2; exit 1 ;;
    esac
done < proxy-cases.txt
run
