import json,glob,collections,statistics,sys
d=collections.defaultdict(lambda: collections.defaultdict(list))
# The results directory: this one by default, or another A/B of the same two jars (pre-c7-N.json, c7-N.json).
results=sys.argv[1] if len(sys.argv)>1 else 'benchmarks/results/2026-12-06-s34-c7-ab'
for f in sorted(glob.glob(results+'/*.json')):
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
