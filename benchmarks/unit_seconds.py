"""How long one run.sh unit takes, in seconds: reads `java -jar benchmarks.jar -lp` on stdin.

Usage: unit_seconds.py CLASS default|parallelism1 JMH-OPTIONS...   (the -f -wi -w -i -r of the mode)
Every benchmark method of CLASS runs once per combination of its parameters (parallelism1 fixes
threads=VIRTUAL); each combination costs forks x (warm-up + measurement + ~3 s of JVM start and setup).
"""
import re
import sys


def seconds(text):
    m = re.fullmatch(r'(\d+(?:\.\d+)?)(ms|s)', text)
    return float(m.group(1)) / (1000 if m.group(2) == 'ms' else 1)


def main(cls, sched, opts, listing):
    o = dict(zip(opts[::2], opts[1::2]))
    per_fork = int(o['-wi']) * seconds(o['-w']) + int(o['-i']) * seconds(o['-r']) + 3
    methods = []  # one parameter-combination count per benchmark method of cls
    for line in listing.splitlines():
        if line.startswith('io.gochan.'):
            methods.append(1 if line.split('.')[-2] == cls else 0)
        elif methods and (m := re.match(r'\s+param "(\w+)" = \{(.*)\}', line)):
            fixed = sched == 'parallelism1' and m.group(1) == 'threads'
            methods[-1] *= 1 if fixed else len(m.group(2).split(','))
    combos = sum(methods)
    print(int(combos * int(o['-f']) * per_fork))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3:], sys.stdin.read())
