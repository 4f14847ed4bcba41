#!/usr/bin/env python3
"""Checks tests/vm/soak.sh's output: two concurrent vfiotrace instances count a
2,000-attach soak (20 workload runs of 100) exactly (each attach, each device
fd put), exit 0 in either stop order, and the resident memory of each stays
flat: the least-squares slope of its VmRSS over the samples after each run
(the first run is the warm-up) is at most RSS_SLOPE_MAX bytes per attach.

usage: check_soak.py KERNEL LOG   Prints PASS/FAIL lines, then "N passed, N failed".
"""
import sys
from collections import defaultdict

from check import Checker, fd_release_puts, jlines

# workload runs per scenario and attaches per run (from the workload's own JSON)
RUNS = {"soak": 20, "order": 1}
PER_RUN = {"soak": 100, "order": 5}
# Bytes per attach. Measured on 6.1 (two boots, 2 x 21 samples per boot): VmRSS
# constant to the kB in every sample, slope 0. VmRSS moves in 4 KiB pages, and
# one page more from mid-soak on fits to 3.1 B per attach (any page at an end,
# less), so 16 lets five such steps pass; a leak of one glibc chunk (32 B at the
# least) per attach fits to 32 and fails, as does any steady growth of 32 KiB
# over the soak (the former bound, 1 MiB between two samples, let 550 B pass).
# stat does no user-space work per attach today (no ring buffer; its poll wakes
# once a second): this guards against work per event that keeps memory.
RSS_SLOPE_MAX = 16


def parse(text):
    """(scenarios, rss samples [(run, a kB, b kB) or the bad line], other tags: error, done)"""
    scen, rss, other, cur = {}, [], defaultdict(list), None
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
            f = rest.split()
            rss.append(tuple(map(int, f)) if len(f) == 3 and all(x.isdigit() for x in f) else rest)
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
    if not c.ok(len(work) == RUNS[name] and len(work) == len(s["workload"]),
                f"{name}: the workload printed its JSON, one line per run", repr(s["workload"][:3])):
        return
    c.eq([(w["attaches"], w["attach_ok"], w["attach_fail"]) for w in work], [(PER_RUN[name],) * 2 + (0,)] * RUNS[name],
         f"{name}: each workload run made {PER_RUN[name]} attaches, all ok "
         f"({RUNS[name] * PER_RUN[name]} in all, by the workload's JSON)")
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
        c.eq((sm["drops"], sm["map_full"], sm["probes_missed"] or 0), (0, 0, 0), f"{name}: instance {inst}: nothing dropped")


def slope(xs, ys):
    """least-squares slope of ys over xs"""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def check_rss(c, rss, work):
    """VmRSS of both instances before the first run and after each (a sample per
    100 attaches); the slope is fitted from the sample after the first run on, and
    x is the attach count so far by the workload's JSON."""
    n = RUNS["soak"]
    if not c.eq([r[0] if isinstance(r, tuple) else r for r in rss], list(range(n + 1)),
                f"soak: VmRSS of both instances sampled before the first run and after each of the {n}"):
        return
    if not c.ok(len(work) == n, "soak: the attach count of every run is known", len(work)):
        return
    xs = [sum(w["attach_ok"] for w in work[:i]) for i in range(1, n + 1)]
    for col, inst in ((1, "a"), (2, "b")):
        kb = [r[col] for r in rss]
        b = slope(xs, [k * 1024 for k in kb[1:]])
        print(f"INFO {c.kernel} soak: instance {inst}: VmRSS kB {kb}, slope {b:.2f} B/attach")
        c.ok(b <= RSS_SLOPE_MAX, f"soak: instance {inst}: VmRSS grows at most {RSS_SLOPE_MAX} B per attach "
             f"from attach {xs[0]} to {xs[-1]} (least squares)", f"{b:.1f} B per attach")


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
    if "soak" in scen:
        check_rss(c, rss, jlines(scen["soak"]["workload"]))
    print(f"{kernel} soak: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
