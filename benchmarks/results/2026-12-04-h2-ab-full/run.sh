set -u
cd /work/main
. http-transport/interop/nginx.sh
start_nginx nginx-h2full; port=$NGINX_PORT
out=benchmarks/results/2026-12-04-h2-ab-full; mkdir -p $out
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 1 2; do
  for v in old new; do
    jar=/tmp/bench-$v.jar; [ $v = new ] && jar=/tmp/bench17.jar
    $J -Djmh.ignoreLock=true -jar $jar 'HttpClientBenchmark.h2Concurrent64' -p peer=GOCHAN -f 3 -wi 5 -w 2s -i 5 -r 3s -prof gc \
      -p "server=http://127.0.0.1:$port" -rf json -rff $out/$v-$round.json > $out/$v-$round.txt 2>&1
    echo "$v $round done $(date -u +%H:%M:%S)" >> $out/log
  done
done
