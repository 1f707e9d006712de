import json,sys,glob,os,re,collections
d=sys.argv[1]
rows=collections.defaultdict(dict)
for f in sorted(glob.glob(d+'/*.json')):
    m=re.match(r'(.+)-r(\d+)[ab]\.json',os.path.basename(f)); jar,r=m.group(1),int(m.group(2))
    for b in json.load(open(f)):
        p=b.get('params',{})
        key=b['benchmark'].split('.')[-2]+'.'+b['benchmark'].split('.')[-1]+' '+' '.join(f'{k}={v}' for k,v in sorted(p.items()) if k not in('threads',))
        rows[key].setdefault(jar,[]).append((r,b['primaryMetric']['score']))
for k in sorted(rows):
    print(k, ' | '.join(f"{j}: "+' / '.join('%.0f'%s for r,s in sorted(v)) for j,v in sorted(rows[k].items())))
