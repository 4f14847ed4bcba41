#!/usr/bin/env python3
"""The table of tools/bench.d/verifier_passes.sh's log: per program, bpf_check and its passes, in
millions of instructions (--icount), largest stack analysis first; the sums at the end."""
import collections
import re
import sys

PASSES = ('bpf_check', 'bpf_compute_subprog_arg_access', 'do_check_common', 'bpf_int_jit_compile')

if len(sys.argv) != 2:
    print('usage: verifier_passes.py LOG (the output of tools/bench.d/verifier_passes.sh)', file=sys.stderr)
    sys.exit(2)
parts = open(sys.argv[1]).read().split('@@passes', 1)
if len(parts) != 2:
    sys.exit(f'{sys.argv[1]}: no "@@passes" line: not the output of verifier_passes.sh, or the guest ended before it')
lines = parts[1].splitlines()
names, runs = {}, collections.defaultdict(dict)
for line in lines:
    m = re.match(r'(\d+) name (\S*) (\d+)$', line)
    if m:
        names[int(m.group(1))] = (m.group(2) or '?', int(m.group(3)))
        continue
    m = re.match(r'(\d+) (\w+) \d+ (\d+)$', line)
    if m and int(m.group(1)) > 0:
        runs[int(m.group(1))][m.group(2)] = int(m.group(3)) / 1e6
print('| program | instructions | bpf_check | stack analysis | do_check | JIT |')
print('|---|---|---|---|---|---|')
total = collections.Counter()
for n, r in sorted(runs.items(), key=lambda x: -x[1].get(PASSES[1], 0)):
    name, length = names.get(n, ('?', 0))
    print(f'| {name} | {length} | ' + ' | '.join(f'{r.get(p, 0):.1f}' for p in PASSES) + ' |')
    total.update(r)
    total['insns'] += length
print(f'| all ({len(runs)} loads) | {total["insns"]} | ' + ' | '.join(f'{total[p]:.1f}' for p in PASSES) + ' |')
