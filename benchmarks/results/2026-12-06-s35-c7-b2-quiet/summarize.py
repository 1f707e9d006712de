import json,glob,collections,statistics,sys
d=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob('benchmarks/results/2026-12-06-s35-c7-b2-quiet/*.json')):
    v,r=f.split('/')[-1][:-5].rsplit('-',1)
    for b in json.load(open(f)):
        name=b['benchmark'].split('.')[-2]+' cap'+b['params']['capacity']
        # per fork means
        raw=b['primaryMetric']['rawData']
        d[name][v].append((int(r),[round(statistics.mean(x)) for x in raw]))
for name in sorted(d):
    pre=[m for r,ms in sorted(d[name]['pre-c7']) for m in ms]
    c7=[m for r,ms in sorted(d[name]['c7']) for m in ms]
    print(f"{name:40s} pre-c7 {pre} med {statistics.median(pre) if pre else 0}  c7 {c7} med {statistics.median(c7) if c7 else 0}  ratio c7/pre {statistics.median(c7)/statistics.median(pre) if pre and c7 else 0:.2f}")
