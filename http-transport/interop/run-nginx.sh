#!/usr/bin/env bash
# Interop with a server that is not Java: installs nginx from Debian's packages if missing, starts it on
# loopback with the config beside this script, runs NginxInteropTest against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. http-transport/interop/nginx.sh  # start_nginx
start_nginx nginx
dir=$NGINX_DIR; port=$NGINX_PORT
mvn -B -ntp -q test -pl http-transport -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=NginxInteropTest \
  "-Dgochan.interop.nginx=http://127.0.0.1:$port" "-Dgochan.interop.dir=$dir/www"
echo "nginx interop: passed against $("$NGINX" -v 2>&1)"
