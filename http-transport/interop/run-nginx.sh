#!/usr/bin/env bash
# Interop with a server that is not Java: installs nginx from Debian's packages if missing, starts it on
# loopback with the config beside this script, runs NginxInteropTest against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx from Debian's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) \
    || { echo "nginx could not be installed" >&2; exit 1; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
dir=$(mktemp -d /tmp/gochan-nginx.XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$dir/www/plain" "$dir/www/gz" "$dir/tmp"
printf 'hello from nginx\n' > "$dir/www/plain/small.txt"
head -c 1048576 /dev/urandom > "$dir/www/plain/big.bin"
for i in $(seq 1 20000); do echo "line $i of a text nginx compresses on the fly"; done > "$dir/www/gz/text.txt"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" http-transport/interop/nginx.conf.template > "$dir/nginx.conf"
"$NGINX" -c "$dir/nginx.conf" -p "$dir"
stop() { "$NGINX" -c "$dir/nginx.conf" -p "$dir" -s stop 2>/dev/null || true; rm -rf "$dir"; }
trap stop EXIT
for i in $(seq 1 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
mvn -B -ntp -q test -pl http-transport -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=NginxInteropTest \
  "-Dgochan.interop.nginx=http://127.0.0.1:$port" "-Dgochan.interop.dir=$dir/www"
echo "nginx interop: passed against $("$NGINX" -v 2>&1)"
