# Sourced, not run: starts nginx on loopback with the config template beside this file, for the
# interop test (run-nginx.sh) and the HTTP benchmarks (benchmarks/http.sh, go.sh, ab.sh), so that all
# of them talk to the same server with the same files. Installs nginx from Debian's packages if missing.
#   start_nginx NAME   serves from a fresh /tmp/gochan-NAME.XXXXXX; sets NGINX, NGINX_DIR (its www/
#                      holds plain/small.txt, plain/big.bin (1 MiB) and gz/text.txt) and NGINX_PORT;
#                      stops it and removes the directory when the calling script exits.
start_nginx() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "installing nginx from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) \
      || { echo "nginx could not be installed" >&2; return 1; }
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  NGINX_DIR=$(mktemp -d "/tmp/gochan-$1.XXXXXX")
  mkdir -p "$NGINX_DIR/www/plain" "$NGINX_DIR/www/gz" "$NGINX_DIR/tmp"
  printf 'hello from nginx\n' > "$NGINX_DIR/www/plain/small.txt"
  head -c 1048576 /dev/urandom > "$NGINX_DIR/www/plain/big.bin"
  for i in $(seq 1 20000); do echo "line $i of a text nginx compresses on the fly"; done > "$NGINX_DIR/www/gz/text.txt"
  # A port below Linux's ephemeral range (32768-60999), where no client socket of the tests takes it; and if
  # something holds the one drawn all the same, another: a port in use failed a CI run once (nginx's bind).
  local tries=0
  while :; do
    NGINX_PORT=$(( 20000 + RANDOM % 12000 ))
    sed -e "s#@DIR@#$NGINX_DIR#g" -e "s#@PORT@#$NGINX_PORT#g" \
      "$(dirname "${BASH_SOURCE[0]}")/nginx.conf.template" > "$NGINX_DIR/nginx.conf"
    "$NGINX" -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" 2>"$NGINX_DIR/start.err" && break
    tries=$(( tries + 1 ))
    if [ "$tries" -ge 5 ] || ! grep -q "Address already in use" "$NGINX_DIR/start.err"; then
      cat "$NGINX_DIR/start.err" >&2; return 1
    fi
  done
  trap stop_nginx EXIT
  # Started means listening: the master forks its workers after binding, so wait for a connect.
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null && return 0; sleep 0.1; done
  echo "nginx did not start listening on $NGINX_PORT" >&2; return 1
}

stop_nginx() {
  "$NGINX" -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" -s stop 2>/dev/null || true
  rm -rf "$NGINX_DIR"
}
