import json,glob,collections,statistics,sys
d=collections.defaultdict(lambda: collections.defaultdict(list))
# The results directory (this one by default) and the two jars' names, before and after (pre-c7 and c7 by default):
# its files are <name>-<round>.json (benchmarks/ab.sh writes A-N and B-N: pass A B). Session 36: <its directory> pre-fold fold.
results=sys.argv[1] if len(sys.argv)>1 else 'benchmarks/results/2026-12-06-s34-c7-ab'
before,after=(sys.argv[2],sys.argv[3]) if len(sys.argv)>3 else ('pre-c7','c7')
for f in sorted(glob.glob(results+'/*.json')):
    v,r=f.split('/')[-1][:-5].rsplit('-',1)
    for b in json.load(open(f)):
        name=b['benchmark'].split('.')[-2]+' cap'+b['params']['capacity']
        # per fork means
        raw=b['primaryMetric']['rawData']
        d[name][v].append((int(r),[round(statistics.mean(x)) for x in raw]))
for name in sorted(d):
    pre=[m for r,ms in sorted(d[name][before]) for m in ms]
    new=[m for r,ms in sorted(d[name][after]) for m in ms]
    print(f"{name:40s} {before} {pre} med {statistics.median(pre) if pre else 0}  {after} {new} med {statistics.median(new) if new else 0}  ratio {after}/{before} {statistics.median(new)/statistics.median(pre) if pre and new else 0:.2f}")
