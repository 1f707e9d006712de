# Summarises alt2.sh outputs (one or more files): per workload and carrier count, the median over cycles of each JVM's min, p10 and median
# round, per variant; then spike/base, spikeoff/base and gochan/SynchronousQueue ratios of those medians.
import collections, re, statistics, sys
d = collections.defaultdict(lambda: collections.defaultdict(list))
for l in (l for f in sys.argv[1:] for l in open(f)):
    m = re.match(r"(\w+) (p\d) cycle \d+ (\w+): min (\d+) p10 (\d+) med (\d+)", l)
    if m:
        d[(m[1], m[2])][m[3]].append(tuple(int(m[i]) for i in (4, 5, 6)))
for key, vs in d.items():
    med = {v: [statistics.median(x[i] for x in rows) for i in range(3)] for v, rows in vs.items()}
    print(f"{key[0]} {key[1]} (cycles {len(vs['base'])}): " + "; ".join(
        f"{v} min/p10/med {'/'.join('%.0f' % x for x in med[v])}" for v in ("base", "spike", "spikeoff", "sq") if v in med))
    for st, i in (("min", 0), ("p10", 1), ("median", 2)):
        b = med["base"][i]
        print(f"   {st}: spike/base {med['spike'][i] / b:.2f}  spikeoff/base {med['spikeoff'][i] / b:.2f}  "
              f"base/SQ {b / med['sq'][i]:.2f}  spike/SQ {med['spike'][i] / med['sq'][i]:.2f}")
    # The spread: each cycle's spike/base and SQ/base of the p10 (the JVMs of one cycle ran one after another).
    n = min(len(vs["base"]), len(vs["spike"]))
    print("   per cycle p10 spike/base " + " ".join("%.2f" % (vs["spike"][c][1] / vs["base"][c][1]) for c in range(n))
          + ("  SQ/base " + " ".join("%.2f" % (vs["sq"][c][1] / vs["base"][c][1]) for c in range(n)) if "sq" in vs else ""))
