#!/usr/bin/env python3
"""The JSON schema must be identical on every kernel: compare the key paths of
each kind of vfiotrace output line across the VM logs of the kernels run.

usage: schema.py [--tags TAG,...] LOG...
  tests/run passes the vm-<kernel>-normal logs (tags trace and kprobe: tests/vm/guest.sh), and the
  vm-<kernel>-faults logs with --tags snoop,live_snoop,stat (tests/vm/faults.sh: the iommu_fault
  events with and without mapping, the snoop_summary with iommu_fault_drops, the stat summary
  with iommu_faults, iommu_fault_counts and iommu_fault_interrupts).
Prints PASS/FAIL per kind of line, then "N passed, N failed".
"""
import json
import sys


def paths(v, prefix=""):
    """Key paths of a JSON value. Elements of arrays are keyed by the array's
    name alone (device_refs[] in a group and in "unattributed" share one
    element schema), so an array that is empty on one kernel still compares."""
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(prefix + "/" + k)
            out |= paths(x, prefix + "/" + k)
    elif isinstance(v, list):
        for x in v:
            out |= paths(x, prefix.rsplit("/", 1)[-1] + "[]")
    return out


def kinds(path, tags=("trace", "kprobe")):
    found = {}
    starts = tuple(f"@@ {t} {{" for t in tags)
    for line in open(path, errors="replace"):
        if not line.startswith(starts):
            continue
        d = json.loads(line.split(" ", 2)[2])
        kind = d.get("type") or "event:" + d.get("event", "?")
        found.setdefault(kind, set()).update(paths(d))
    return found


def main():
    args = sys.argv[1:]
    tags = ("trace", "kprobe")
    if args[:1] == ["--tags"]:
        tags, args = tuple(args[1].split(",")), args[2:]
    logs = args
    per = {p: kinds(p, tags) for p in logs}
    passed = failed = 0
    all_kinds = sorted(set().union(*(k.keys() for k in per.values())))
    for kind in all_kinds:
        have = {p: k[kind] for p, k in per.items() if kind in k}
        ref = set().union(*have.values())
        bad = {p: sorted(ref - s) for p, s in have.items() if s != ref}
        missing = [p for p in logs if kind not in per[p]]
        if bad or missing:
            failed += 1
            print(f"FAIL schema {kind}: missing keys {bad}; no such line in {missing}")
        else:
            passed += 1
            print(f"PASS schema {kind}: {len(ref)} key paths identical on {len(have)} kernels")
    print(f"schema: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
