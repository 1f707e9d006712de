#!/usr/bin/env python3
"""Puts every peer side by side: JMH results (render.py's JSON) and Go's `go test -bench` output.

    python3 benchmarks/peers.py [--svg chart.svg] DIR [DIR ...]

Each DIR is a results directory: JMH JSON files (run.sh, http.sh) and/or Go output files `*.txt`
(go.sh). Prints Markdown: a table of the Go rows, then one summary table with a row per workload and
carrier count — gochan's ns/op and, for every peer (Jox, java.util.concurrent, OkHttp, the JDK
client, Go, ...), its ns/op and its ratio peer / gochan (above 1: gochan faster). With --svg it also
draws those ratios as grouped horizontal bars on a log scale.

Carriers: JMH's `parallelism1` run and Go at GOMAXPROCS 1 are "1"; JMH's default scheduler (as many
carriers as cores: the README's "Machine: N cores") and Go at GOMAXPROCS N (go.sh runs 1 and nproc) are
"N" (2 on the machines here). Only virtual-thread
JMH rows enter the summary: Go has no platform-thread variant.

Ratios are only meaningful between results of one session on one machine; the sources and their
machines are listed under the table, with a warning when they differ. Standard library only.
"""
import json
import math
import os
import re
import sys
from collections import defaultdict

sys.dont_write_bytecode = True  # importing render.py must not leave a __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402  (JMH JSON loading and peer naming live there)

# One `go test -bench` result line: name, iterations, then value/unit pairs (ns/op, B/op, allocs/op,
# and whatever b.ReportMetric added, e.g. dials/op).
GO_LINE = re.compile(r'^(Benchmark\S+)\s+(\d+)\s+(.*)$')
GO_PROCS = re.compile(r'^(.*?)(?:-(\d+))?$')


def parse_go(path):
    """Returns {(name, procs): [ {unit: value}, ... one dict per -count repetition ]}."""
    runs = defaultdict(list)
    with open(path) as f:
        for line in f:
            m = GO_LINE.match(line.strip())
            if not m:
                continue
            name, procs = GO_PROCS.match(m.group(1)[len('Benchmark'):]).groups()
            fields = m.group(3).split()
            metrics = {}
            for value, unit in zip(fields[0::2], fields[1::2]):
                try:
                    metrics[unit] = float(value)
                except ValueError:
                    pass
            if 'ns/op' in metrics:
                # Go leaves the suffix off at GOMAXPROCS 1.
                runs[(name, int(procs or 1))].append(metrics)
    return runs


def go_rows(d):
    rows = []
    for f in sorted(os.listdir(d)):
        if not f.endswith('.txt'):
            continue
        for (name, procs), reps in parse_go(os.path.join(d, f)).items():
            ns = [r['ns/op'] for r in reps]
            units = sorted({u for r in reps for u in r} - {'ns/op'})
            rows.append(dict(name=name, procs=procs, score=sum(ns) / len(ns), lo=min(ns), hi=max(ns), n=len(ns),
                             extra={u: sum(r.get(u, 0) for r in reps) / len(reps) for u in units}))
    return rows


# Workload labels shared by both sides. The order here is the order of the summary and the chart.
ORDER = ['B1 ping-pong', 'B2 capacity 0', 'B2 capacity 1', 'B2 capacity 16', 'B2 capacity 1024',
         'B3 capacity 0', 'B3 capacity 64', 'B4 plain receive', 'B4 select 1 case', 'B4 select 2 channels',
         'B4 select 4 channels', 'B5 daisy chain', 'B5 daisy chain, spawn per op', 'B5 sieve, 100 primes',
         'B6 try-ops', 'H1 sequential small', 'H1 sequential small, virtual caller', 'H2 64 callers',
         'H3 1 MiB body', 'H4 cancellation storm']


def go_workloads(name):
    """Workloads a Go benchmark stands for (its shape is documented in benchmarks/go/README.md)."""
    base, _, sub = name.partition('/')
    p = dict(kv.split('=', 1) for kv in sub.split('/') if '=' in kv)
    table = {
        'B1PingPong': ['B1 ping-pong'],
        'B2ProducerConsumer': [f"B2 capacity {p.get('capacity')}"],
        'B3Contended': [f"B3 capacity {p.get('capacity')}"],
        # Go compiles a one-case select to a plain receive: the same code is both baselines.
        'B4Select': (['B4 plain receive', 'B4 select 1 case'] if p.get('channels') == '1'
                     else [f"B4 select {p.get('channels')} channels"]),
        'B5DaisyChain': ['B5 daisy chain'],
        'B5DaisyChainSpawn': ['B5 daisy chain, spawn per op'],
        'B5Sieve': ['B5 sieve, 100 primes'],
        'B6TrySendTryReceive': ['B6 try-ops'],
        # A goroutine caller is the same shape as either JMH caller.
        'H1SequentialSmall': ['H1 sequential small', 'H1 sequential small, virtual caller'],
        'H2Concurrent64': ['H2 64 callers'],
        'H3LargeBody': ['H3 1 MiB body'],
        'H4CancellationStorm': ['H4 cancellation storm'],
    }
    return table.get(base, [name])


def jmh_workload(r):
    """The workload of a JMH row, or None for rows outside the comparison."""
    cls, m, p = r['cls'], r['method'].lower(), r['params']
    if p.get('threads', 'VIRTUAL') != 'VIRTUAL':
        return None
    if cls == 'PingPongBenchmark':
        return 'B1 ping-pong'
    if cls == 'ProducerConsumerBenchmark':
        return f"B2 capacity {p.get('capacity')}"
    if 'Contended' in cls:
        return f"B3 capacity {p.get('capacity')}"
    if cls == 'SelectBenchmark':
        if 'plainreceive' in m:
            return 'B4 plain receive' if p.get('channels') == '1' else None
        n = p.get('channels')
        return 'B4 select 1 case' if n == '1' else f'B4 select {n} channels'
    # B5 is being added on the JMH side; these name guesses must be checked against its classes.
    if 'sieve' in m or 'Sieve' in cls:
        return 'B5 sieve, 100 primes'
    if 'daisy' in m or 'Daisy' in cls:
        return 'B5 daisy chain'
    if cls == 'TryOpsBenchmark':
        return 'B6 try-ops'
    if cls == 'HttpClientBenchmark':
        return {'h1sequentialsmall': 'H1 sequential small',
                'h1sequentialsmallvirtualcaller': 'H1 sequential small, virtual caller',
                'h2concurrent64': 'H2 64 callers', 'h3largebody': 'H3 1 MiB body'}.get(
            m, 'H4 cancellation storm' if m.startswith('h4') else None)
    return f"{cls}.{r['method']}"


def jmh_carriers(run, cores='2', jvm_args=()):
    """The carrier count of a JMH row: the -Djdk.virtualThreadScheduler.parallelism its JVM ran with (JMH
    records each fork's jvmArgs), whatever its file is named (a jfr-cost.sh or ab.sh file on one carrier
    was filed as two); else '1' for a parallelism1 file; else the default scheduler's carrier count, the
    machine's core count (from the results README; 2 if it names none) - the GOMAXPROCS go.sh matches."""
    for a in jvm_args:
        m = re.match(r'-Djdk\.virtualThreadScheduler\.parallelism=(\d+)$', a)
        if m:
            return m.group(1)
    return '1' if 'parallelism1' in run else cores


def cores_of(d):
    """The core count in a results README's "Machine: N cores" line, or '2' where it has none."""
    m = re.search(r'(\d+) cores', source_info(d)[1])
    return m.group(1) if m else '2'


def source_info(d):
    """(date line, machine line) from a results README, for the provenance note."""
    head, machine = d, ''
    try:
        with open(os.path.join(d, 'README.md')) as f:
            lines = [l.strip() for l in f]
        head = lines[0].lstrip('# ') if lines else d
        machine = next((l[len('Machine:'):].strip() for l in lines if l.startswith('Machine:')), '')
    except OSError:
        pass
    return head, machine


def cpu_of(machine):
    """The CPU model in a README's machine line, or None where the line does not name one."""
    for part in machine.split(','):
        part = part.strip()
        if part and not re.match(r'(\d+ cores|openjdk|go version|against|java)', part):
            return part
    return None


def load_jmh(d):
    """Rows like render.load's for the JMH result files of d; other JSON beside them (e.g. a footprint
    report) is skipped instead of stopping the whole comparison (render.load would fail on it)."""
    rows = []
    for f in sorted(os.listdir(d)):
        if not f.endswith('.json'):
            continue
        try:
            with open(os.path.join(d, f)) as fh:
                data = json.load(fh)
            jmh = isinstance(data, list) and all(isinstance(r, dict) and 'primaryMetric' in r for r in data)
        except (OSError, ValueError):
            jmh = False
        if not jmh:
            print(f'peers.py: skipping {os.path.join(d, f)}: not JMH results', file=sys.stderr)
            continue
        for r in data:  # the fields render.load reads, in its row format
            cls, method = r['benchmark'].split('.')[-2:]
            rows.append(dict(run=f[:-5], cls=cls, method=method, params=dict(r.get('params', {})),
                             score=render.num(r['primaryMetric']['score']), jvm_args=list(r.get('jvmArgs', []))))
    return rows


def collect(dirs):
    """cells[(workload, carriers)][peer] = dict(score, lo, hi); plus the Go rows per directory."""
    cells = defaultdict(dict)
    go_by_dir = {}
    for d in dirs:
        for r in load_jmh(d):
            if r['score'] < 1.0:
                continue  # render.py's convention: a benchmark that does nothing for these parameters
            w = jmh_workload(r)
            if w is None:
                continue
            peer = render.peer_of(r).split(':')[0]
            if peer == 'LTQ' and r['params'].get('capacity', '0') != '0':
                continue  # above capacity 0 an unbounded put: not the same workload, no ratio (README: "for reference")
            cell = cells[(w, jmh_carriers(r['run'], cores_of(d), r['jvm_args']))]
            if peer in cell and cell[peer].get('dir') != d:
                print(f"peers.py: {w} on {jmh_carriers(r['run'], cores_of(d), r['jvm_args'])} carriers, {peer}: "
                      f"{d} replaces {cell[peer]['dir']}", file=sys.stderr)
            cell[peer] = dict(score=r['score'], lo=None, hi=None, dir=d)
        rows = go_rows(d)
        if rows:
            go_by_dir[d] = rows
        for r in rows:
            for w in go_workloads(r['name']):
                cells[(w, str(r['procs']))]['GO'] = dict(score=r['score'], lo=r['lo'], hi=r['hi'])
    return cells, go_by_dir


def order_key(key):
    w, c = key
    return (ORDER.index(w) if w in ORDER else len(ORDER), w, c)


PEER_ORDER = ['GO', 'JOX', 'JUC', 'LTQ', 'ABQ', 'KOTLIN', 'JDK', 'OKHTTP', 'APACHE']


def peers_of(cells):
    found = {p for g in cells.values() for p in g if p != 'GOCHAN'}
    return sorted(found, key=lambda p: (PEER_ORDER.index(p) if p in PEER_ORDER else len(PEER_ORDER), p))


def fmt_ns(v):
    return f'{v:,.0f}' if v >= 100 else f'{v:.1f}'


def print_go_table(d, rows):
    print(f"### Go (`go test -bench`) in `{d}`\n")
    print('Mean ns/op over the repetitions (-count), with min–max; B/op and allocs/op from -benchmem; '
          'other columns are the benchmark\'s own metrics.\n')
    extras = sorted({u for r in rows for u in r['extra']} - {'B/op', 'allocs/op'})
    print('| ' + ' | '.join(['benchmark', 'GOMAXPROCS', 'ns/op', 'min–max', 'B/op', 'allocs/op'] + extras) + ' |')
    print('|' + '---|' * (6 + len(extras)))
    natural = lambda name: [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', name)]  # 16 before 1024
    for r in sorted(rows, key=lambda r: (natural(r['name']), r['procs'])):
        e = r['extra']
        cells = [f"{e[u]:.3g}" if u in e else '–' for u in extras]
        print('| ' + ' | '.join([r['name'], str(r['procs']), fmt_ns(r['score']),
                                 f"{fmt_ns(r['lo'])}–{fmt_ns(r['hi'])}", f"{e.get('B/op', float('nan')):.0f}",
                                 f"{e.get('allocs/op', float('nan')):.0f}"] + cells) + ' |')
    print()


def print_summary(cells, dirs):
    peers = peers_of(cells)
    print('### All peers: ns/op and ratio peer / gochan (above 1: gochan faster)\n')
    print('| workload | carriers | gochan ns/op | ' + ' | '.join(peers) + ' |')
    print('|' + '---|' * (3 + len(peers)))
    for key in sorted(cells, key=order_key):
        g = cells[key]
        base = g.get('GOCHAN')
        row = [key[0], key[1], fmt_ns(base['score']) if base else '–']
        for p in peers:
            c = g.get(p)
            if c is None:
                row.append('–')
            elif base:
                row.append(f"{fmt_ns(c['score'])} ({c['score'] / base['score']:.2f}×)")
            else:
                row.append(fmt_ns(c['score']))
        print('| ' + ' | '.join(row) + ' |')
    print()
    infos = [(d,) + source_info(d) for d in dirs]
    print('Sources:\n')
    for d, head, machine in infos:
        print(f'- `{d}`: {head}; {machine}')
    dates = {m.group(0) for _, h, _ in infos for m in [re.search(r'\d{4}-\d{2}-\d{2}', h)] if m}
    cpus = {cpu_of(m) for _, _, m in infos} - {None}
    mixed = len(dates) > 1 or len(cpus) > 1
    if mixed:
        print('\n**Warning:** these sources come from different days or CPUs, so ratios across them are '
              'indicative only; run run.sh, http.sh and go.sh in one session on one machine for a claim.')
    print()
    return mixed


# --- SVG chart ---------------------------------------------------------------------------------

COLORS = {'GO': '#00add8', 'JOX': '#e4572e', 'JUC': '#76b041', 'LTQ': '#9c6644', 'ABQ': '#ffc914',
          'KOTLIN': '#7f52ff', 'JDK': '#5382a1', 'OKHTTP': '#3ddc84', 'APACHE': '#c1272d'}
SPARE = ['#8d99ae', '#ef476f', '#06d6a0', '#118ab2']
CLIP = 16.0  # ratios beyond 16× either way are drawn at the edge, with their value written out


def esc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def svg_chart(cells, title, notes):
    """Diverging bars on a log axis from 1/16× to 16×: right of the 1× line the peer is slower than
    gochan, left of it faster. One group per workload and carrier count, one bar per peer."""
    peers = peers_of(cells)
    groups = [(k, [(p, cells[k][p]['score'] / cells[k]['GOCHAN']['score']) for p in peers if p in cells[k]])
              for k in sorted(cells, key=order_key) if 'GOCHAN' in cells[k]]
    groups = [(k, bars) for k, bars in groups if bars]
    color = {p: COLORS.get(p, SPARE[i % len(SPARE)]) for i, p in enumerate(peers)}
    bar, gap, label_w, plot_w, right_pad = 13, 10, 270, 520, 70
    head = 44 + 15 * len(notes)  # title, notes, then the legend
    top = head + 38
    height = top + sum(len(b) * bar + gap for _, b in groups) + 40
    width = label_w + plot_w + right_pad
    span = math.log(CLIP)

    def x(ratio):
        r = min(max(ratio, 1 / CLIP), CLIP)
        return label_w + plot_w / 2 + math.log(r) / span * plot_w / 2

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="15" font-weight="bold">{esc(title)}</text>']
    for i, line in enumerate(notes):
        out.append(f'<text x="10" y="{38 + 15 * i}" fill="{"#b00" if line.startswith("Warning") else "#555"}">'
                   f'{esc(line)}</text>')
    lx = 10
    for p in peers:  # legend
        out.append(f'<rect x="{lx}" y="{head}" width="12" height="12" fill="{color[p]}"/>'
                   f'<text x="{lx + 16}" y="{head + 10}">{esc(p)}</text>')
        lx += 30 + 7 * len(p)
    axis_y = height - 30
    for t in (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16):  # gridlines and tick labels
        tx = x(t)
        out.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{axis_y}" '
                   f'stroke="{"#333" if t == 1 else "#ddd"}" stroke-width="{1.5 if t == 1 else 1}"/>')
        lab = f'{t:g}×' if t >= 1 else f'1/{1 / t:g}×'
        out.append(f'<text x="{tx:.1f}" y="{axis_y + 14}" text-anchor="middle" fill="#555">{lab}</text>')
    out.append(f'<text x="{label_w + plot_w / 2 - 8}" y="{top - 10}" text-anchor="end" fill="#555">'
               '← peer faster</text>')
    out.append(f'<text x="{label_w + plot_w / 2 + 8}" y="{top - 10}" fill="#555">gochan faster →</text>')
    y = top
    for (w, carriers), bars in groups:
        gh = len(bars) * bar
        out.append(f'<text x="{label_w - 8}" y="{y + gh / 2 + 4:.1f}" text-anchor="end">'
                   f'{esc(w)} · {carriers} carrier{"s" if carriers != "1" else ""}</text>')
        for p, ratio in bars:
            x0, x1 = x(1), x(ratio)
            left, wdt = min(x0, x1), max(abs(x1 - x0), 1)
            out.append(f'<rect x="{left:.1f}" y="{y + 1}" width="{wdt:.1f}" height="{bar - 2}" fill="{color[p]}">'
                       f'<title>{esc(p)}: {ratio:.2f}× gochan</title></rect>')
            clipped = ratio > CLIP or ratio < 1 / CLIP
            tx, anchor = (x1 + 4, 'start') if ratio >= 1 else (x1 - 4, 'end')
            out.append(f'<text x="{tx:.1f}" y="{y + bar - 3}" text-anchor="{anchor}" font-size="9.5" '
                       f'fill="#333">{ratio:.2f}×{" (clipped)" if clipped else ""}</text>')
            y += bar
        y += gap
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main(argv):
    svg = None
    if '--svg' in argv:
        i = argv.index('--svg')
        svg = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    dirs = argv
    if not dirs:
        sys.exit(__doc__)
    cells, go_by_dir = collect(dirs)
    for d, rows in go_by_dir.items():
        print_go_table(d, rows)
    mixed = print_summary(cells, dirs)
    if svg:
        # One line per source, cut to the chart's width (about 140 characters of this font).
        notes = [f'{os.path.basename(d.rstrip("/"))}: {source_info(d)[0]}; {source_info(d)[1]}' for d in dirs]
        notes = [n if len(n) <= 140 else n[:139] + '…' for n in notes]
        if mixed:
            notes.append('Warning: sources from different days or CPUs: ratios are indicative only.')
        with open(svg, 'w') as f:
            f.write(svg_chart(cells, 'Ratio peer / gochan in ns/op (log scale; above 1×: gochan faster)', notes))


if __name__ == '__main__':
    main(sys.argv[1:])
