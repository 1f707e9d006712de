#!/usr/bin/env bash
# A/B of this session's merges: base = b4c036d (session start), cur = HEAD; alternating jars, 2 rounds.
set -uo pipefail
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
out=${OUT:-/work/main/benchmarks/results/2026-12-02-session10-ab}; mkdir -p "$out"
NGINX=/usr/sbin/nginx
dir=$(mktemp -d /tmp/gochan-nginx-ab.XXXXXX); port=$(( 20000 + RANDOM % 20000 ))
mkdir -p "$dir/www/plain" "$dir/www/gz" "$dir/tmp"
printf 'hello from nginx\n' > "$dir/www/plain/small.txt"
head -c 1048576 /dev/urandom > "$dir/www/plain/big.bin"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" /work/main/http-transport/interop/nginx.conf.template > "$dir/nginx.conf"
"$NGINX" -c "$dir/nginx.conf" -p "$dir"
trap '"$NGINX" -c "$dir/nginx.conf" -p "$dir" -s stop 2>/dev/null || true; rm -rf "$dir"' EXIT
for round in 1 2; do
  for jar in base cur; do
    "$JAVA" -Djmh.ignoreLock=true -jar /tmp/bench-$jar.jar 'PingPongBenchmark.pingPong$|ProducerConsumerBenchmark.transfer$' \
      -p peer=GOCHAN -p threads=VIRTUAL -p capacity=0,16 -f 1 -wi 3 -w 1s -i 3 -r 1s -rf json -rff "$out/ch-$jar-$round.json" > "$out/ch-$jar-$round.log" 2>&1
    "$JAVA" -Djmh.ignoreLock=true -jar /tmp/bench-$jar.jar 'SelectBenchmark.gochanSelect$' \
      -p threads=VIRTUAL -p channels=2 -f 1 -wi 3 -w 1s -i 3 -r 1s -rf json -rff "$out/sel-$jar-$round.json" > "$out/sel-$jar-$round.log" 2>&1
    "$JAVA" -Djmh.ignoreLock=true -jar /tmp/bench-$jar.jar 'HttpClientBenchmark.(h1SequentialSmall|h2Concurrent64)$' \
      -p peer=GOCHAN -p server=http://127.0.0.1:$port -f 1 -wi 5 -w 2s -i 3 -r 2s -rf json -rff "$out/http-$jar-$round.json" > "$out/http-$jar-$round.log" 2>&1
  done
done
python3 - "$out" <<'PY'
import json,sys,glob,os,collections
out=sys.argv[1]; rows=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(out+'/*.json')):
    jar=os.path.basename(f).split('-')[1]
    for b in json.load(open(f)):
        key=b['benchmark'].split('.')[-1]+' '+','.join(f"{k}={v}" for k,v in sorted(b.get('params',{}).items()) if k not in('server',))
        rows[key][jar].append(b['primaryMetric']['score'])
with open(out+'/summary.txt','w') as o:
    for k,v in sorted(rows.items()):
        line=f"{k}: base {' / '.join('%.1f'%x for x in v['base'])}  cur {' / '.join('%.1f'%x for x in v['cur'])}"
        print(line); o.write(line+'\n')
PY
