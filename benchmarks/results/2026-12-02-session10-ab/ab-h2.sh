#!/usr/bin/env bash
set -uo pipefail
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=${OUT:-/work/main/benchmarks/results/2026-12-02-session10-ab/h2}; mkdir -p "$out"
NGINX=/usr/sbin/nginx
dir=$(mktemp -d /tmp/gochan-nginx-ab.XXXXXX); port=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$dir/www/plain" "$dir/www/gz" "$dir/tmp"
printf 'hello from nginx\n' > "$dir/www/plain/small.txt"
head -c 1048576 /dev/urandom > "$dir/www/plain/big.bin"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" /work/main/http-transport/interop/nginx.conf.template > "$dir/nginx.conf"
"$NGINX" -c "$dir/nginx.conf" -p "$dir"
trap '"$NGINX" -c "$dir/nginx.conf" -p "$dir" -s stop 2>/dev/null || true; rm -rf "$dir"' EXIT
for round in ${ROUNDS:-1 2 3}; do
  for jar in ${JARS:-cur base}; do
    "$JAVA" -Djmh.ignoreLock=true -jar /tmp/bench-$jar.jar 'HttpClientBenchmark.h2Concurrent64$' \
      -p peer=GOCHAN -p server=http://127.0.0.1:$port -f 1 -wi 5 -w 2s -i 3 -r 2s -rf json -rff "$out/h2-$jar-$round.json" > "$out/h2-$jar-$round.log" 2>&1
    python3 -c "import json,sys; b=json.load(open(sys.argv[1]))[0]; print(sys.argv[2], sys.argv[3], round(b['primaryMetric']['score'],1), [round(x,1) for x in b['primaryMetric']['rawData'][0]])" "$out/h2-$jar-$round.json" $jar $round
  done
done
