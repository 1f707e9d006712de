set -u
cd /work/main
. http-transport/interop/nginx.sh
start_nginx nginx-h4ab; port=$NGINX_PORT
out=benchmarks/results/2026-12-04-h4-ab; mkdir -p $out
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 3 4 5; do
  for v in old new; do
    jar=/tmp/bench-$v.jar; [ $v = new ] && jar=/tmp/bench17.jar
    $J -Djmh.ignoreLock=true -jar $jar 'HttpClientBenchmark.h2Concurrent64' -p peer=GOCHAN -f 1 -wi 5 -w 2s -i 3 -r 2s -prof gc \
      -p "server=http://127.0.0.1:$port" -rf json -rff $out/$v-$round.json > $out/$v-$round.txt 2>&1
    echo "$v $round done $(date -u +%H:%M)" >> $out/log
  done
done
