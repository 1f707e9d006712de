#!/usr/bin/env python3
"""Renders a JMH results directory (JSON files from run.sh) as Markdown tables of ratios.

For every benchmark row, the ratio is peer time / gochan time in the same run and the same
parameters: above 1 means gochan is faster.
"""
import json, os, sys
from collections import defaultdict

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float('nan')

def load(d):
    rows = []
    for f in sorted(os.listdir(d)):
        if not f.endswith('.json'):
            continue
        data = json.load(open(os.path.join(d, f)))
        if not isinstance(data, list) or not all(isinstance(r, dict) and 'benchmark' in r for r in data):
            continue  # not JMH output (e.g. footprint.json from footprint.sh)
        for r in data:
            name = r['benchmark'].split('.')
            cls, method = name[-2], name[-1]
            params = dict(r.get('params', {}))
            score = num(r['primaryMetric']['score'])
            err = num(r['primaryMetric'].get('scoreError'))
            alloc = r.get('secondaryMetrics', {}).get('gc.alloc.rate.norm', {}).get('score')
            alloc = None if alloc is None else num(alloc)
            rows.append(dict(run=f[:-5], cls=cls, method=method, params=params, score=score, err=err, alloc=alloc))
    return rows

def peer_of(row):
    p = row['params']
    if 'peer' in p:
        return p['peer']
    m = row['method']
    for prefix in ('gochan', 'jox', 'abq', 'kotlin'):
        if m.startswith(prefix):
            return prefix.upper() + (m[len(prefix):] and ':' + m[len(prefix):])
    return m

def main(d):
    rows = load(d)
    groups = defaultdict(dict)
    for r in rows:
        if r['score'] < 1.0:
            continue  # a benchmark that does nothing for these parameters (e.g. plain receive with 2 channels)
        key_params = {k: v for k, v in r['params'].items() if k not in ('peer', 'server')}
        if 'peer' in r['params']:
            key_params['benchmark'] = r['method']  # peers are a parameter: one row per benchmark method
        key = (r['run'], r['cls'], tuple(sorted(key_params.items())))
        groups[key][peer_of(r)] = r
    print(f"Results in `{d}` — ns/op (lower is better); ratio = peer / gochan (above 1: gochan faster).\n")
    for cls in sorted({k[1] for k in groups}):
        print(f"### {cls}\n")
        peers = sorted({p for k, g in groups.items() if k[1] == cls for p in g})
        base = ('GOCHAN:Select' if 'GOCHAN:Select' in peers else
                next((p for p in peers if p.startswith('GOCHAN')), None))
        print('| run | params | ' + ' | '.join(f'{p} ns/op (B/op)' for p in peers) + ' | ' +
              ' | '.join(f'{p} / {base}' for p in peers if p != base and base) + ' |')
        print('|' + '---|' * (2 + len(peers) + (len(peers) - 1 if base else 0)))
        for key in sorted(k for k in groups if k[1] == cls):
            g = groups[key]
            cells = []
            for p in peers:
                r = g.get(p)
                if r is None:
                    cells.append('–')
                else:
                    a = '' if r['alloc'] is None else f" ({r['alloc']:.0f})"
                    cells.append(f"{r['score']:.1f} ± {r['err']:.1f}{a}")
            ratios = []
            if base and base in g:
                for p in peers:
                    if p == base:
                        continue
                    ratios.append(f"{g[p]['score'] / g[base]['score']:.2f}" if p in g and g[base]['score'] > 0 else '–')
            params = ', '.join(f'{k}={v}' for k, v in key[2])
            print(f"| {key[0]} | {params} | " + ' | '.join(cells) + ' | ' + ' | '.join(ratios) + ' |')
        print()

if __name__ == '__main__':
    main(sys.argv[1])
