#!/usr/bin/env python3
"""Checks tests/vm/soak.sh's output: two concurrent vfiotrace instances count a
2,000-attach soak exactly (each attach, each device fd put), exit 0 in either
stop order, and the resident memory of one stays flat (within 1 MiB between
the first 100 attaches and the last).

usage: check_soak.py KERNEL LOG   Prints PASS/FAIL lines, then "N passed, N failed".
"""
import sys
from collections import defaultdict

from check import Checker, fd_release_puts, jlines

RSS_SLACK_KB = 1024


# workload runs per scenario: 100 + 1,900 attaches; 5
RUNS = {"soak": 2, "order": 1}


def parse(text):
    """(scenarios, rss samples, other tags: error, done)"""
    scen, rss, other, cur = {}, {}, defaultdict(list), None
    for line in text.splitlines():
        if not line.startswith("@@ "):
            continue
        tag, _, rest = line[3:].partition(" ")
        if tag in ("error", "done"):
            other[tag].append(rest)
        elif tag == "begin":
            cur = scen[rest] = defaultdict(list)
        elif tag == "end":
            if cur is not None:
                cur["ended"] = True
            cur = None
        elif tag == "rss":
            k, v = rest.split()
            rss[k] = int(v)
        elif cur is not None and tag in ("a_exit", "b_exit"):
            cur[tag] = int(rest)
        elif cur is not None and tag == "workload_exit":
            cur["workload_exits"].append(int(rest))
        elif cur is not None:
            cur[tag].append(rest)
    return scen, rss, other


def check_counts(c, name, s):
    c.ok(s.get("ended"), f"{name}: its log section is complete")
    # every run's exit status recorded, each 0: an absent status is not a pass
    c.eq((s["workload_exits"], s["workload_stderr"]), ([0] * RUNS[name], []),
         f"{name}: the workload's {RUNS[name]} run(s) exited 0, stderr empty")
    work = jlines(s["workload"])
    if not c.ok(len(work) == RUNS[name] and len(work) == len(s["workload"]) and all(w["attach_ok"] > 0 for w in work),
                f"{name}: the workload printed its JSON, one line per run, and attached", repr(s["workload"][:3])):
        return
    c.eq(s["stderr"], [], f"{name}: nothing on the instances' stderr besides Tracing")
    gid = work[0]["group"]
    attaches = sum(w["attach_ok"] for w in work)
    closes = defaultdict(int)
    for w in work:
        for dev, n in w["device_closes"].items():
            closes[dev] += n
    c.ok(sum(closes.values()) > 0, f"{name}: the workload closed device fds", repr(dict(closes)))
    for inst in ("a", "b"):
        c.eq(s.get(f"{inst}_exit"), 0, f"{name}: instance {inst} exit status")
        sums = [d for d in jlines(s[inst]) if d.get("type") == "summary"]
        if not c.eq(len(sums), 1, f"{name}: instance {inst}: one summary"):
            continue
        sm = sums[0]
        g = {x["group"]: x for x in sm["groups"]}.get(gid)
        if not c.ok(g is not None, f"{name}: instance {inst}: group {gid} reported"):
            continue
        c.eq((g["attach_ok"], g["attach_fail"], g["domain_allocs"]), (attaches, 0, attaches),
             f"{name}: instance {inst}: {attaches} attaches and domain allocations, exactly")
        for dev, n in closes.items():
            c.eq(fd_release_puts(sm["groups"], dev), n, f"{name}: instance {inst}: {n} fd puts of {dev}")
        c.eq((sm["drops"], sm["map_full"]), (0, 0), f"{name}: instance {inst}: nothing dropped")


def main():
    kernel, path = sys.argv[1:3]
    scen, rss, other = parse(open(path, errors="replace").read())
    c = Checker(kernel)
    c.eq(other["error"], [], "no @@ error lines (no bounded wait expired, nothing failed to start)")
    c.eq(other["done"], [""], "the guest script ran to its end (@@ done)")
    for name in ("soak", "order"):
        s = scen.get(name)
        if c.ok(s is not None, f"{name}: scenario ran"):
            check_counts(c, name, s)
    if c.ok("first_100" in rss and "last" in rss, "soak: resident memory measured", repr(rss)):
        c.ok(abs(rss["last"] - rss["first_100"]) <= RSS_SLACK_KB,
             f"soak: VmRSS flat within {RSS_SLACK_KB} KiB from attach 100 to 2000", repr(rss))
    print(f"{kernel} soak: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
