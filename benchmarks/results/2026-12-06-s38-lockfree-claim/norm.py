# Per run (one jar's JMH run), gochan's score over SynchronousQueue's (peer JUC) in the same run: the in-run reference
# cancels part of the machine's load swings. Prints per-round ratios and medians per side, and spike/base of the medians.
import glob, json, os, statistics, sys
out = sys.argv[1]
res = {}
for f in glob.glob(out + "/[AB]-*.json"):
    side, rnd = os.path.basename(f)[:-5].split("-")
    for b in json.load(open(f)):
        p = b["params"]; name = b["benchmark"].split(".")[-1]
        res[(side, int(rnd), name, p["peer"])] = b["primaryMetric"]["score"]
for name in sorted({k[2] for k in res}):
    line = {}
    for side in "AB":
        rs = sorted({k[1] for k in res if k[0] == side and k[2] == name})
        line[side] = [res[(side, r, name, "GOCHAN")] / res[(side, r, name, "JUC")] for r in rs]
    ma, mb = statistics.median(line["A"]), statistics.median(line["B"])
    print(f"{name}: gochan/SQ base {' / '.join('%.2f' % x for x in line['A'])} (median {ma:.2f}); "
          f"spike {' / '.join('%.2f' % x for x in line['B'])} (median {mb:.2f}); spike/base {mb / ma:.2f}")
