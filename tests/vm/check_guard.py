#!/usr/bin/env python3
"""Check the guard set (tests/vm/guard.sh): vfiotrace, scraped without pause on a guest with
preempt=full and one vCPU, loses no hook hit to its own map reads. Ground truth: the
workload's JSON (attach_ok per group, ROUNDS runs) and the kernel's sys_enter_bpf tracepoint
(the tracer's BPF_MAP_LOOKUP_ELEM calls while it was scraped).

usage: check_guard.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import re
import sys
from collections import Counter

from check import Checker, jlines
from check_faults import parse


def main():
    kernel, path = sys.argv[1], sys.argv[2]
    c = Checker(kernel)
    tags = parse(open(path, errors="replace").read())
    one = lambda t: (tags.get(t) or [""])[0]
    c.eq(tags.get("error", []), [], "guard: the guest script reported no error")
    c.ok("done" in tags, "guard: the guest script ran to its end")
    c.ok("(full)" in one("preempt"), "guard: the guest kernel preempts in the kernel (preempt=full)", one("preempt"))
    scrapes = int(one("scrapes") or 0)
    c.ok(scrapes > 0, "guard: the scrape loop ran while the workload did", one("scrapes"))
    c.ok(one("window_marker") == "1" and one("trace_overrun") == "0",
         "guard: the trace kept every event (the window's marker, no overrun)",
         f"marker {one('window_marker')}, overrun {one('trace_overrun')}")
    c.ok(int(one("start_updates") or 0) > 0, "guard: the tracepoint saw the tracer's map updates at start-up",
         one("start_updates"))
    c.eq(one("tracer_lookups"), "0", f"guard: {scrapes} scrapes made no BPF_MAP_LOOKUP_ELEM (they read through the iterator)")
    ws = jlines(tags.get("workload", []))
    want = Counter()
    for w in ws:
        want[str(w["group"])] += w.get("attach_ok", 0)
    rounds = int(one("rounds") or 0)
    c.ok(len(want) >= 2 and rounds > 0 and all(v == rounds for v in want.values()),
         f"guard: the workload attached each of its groups once in each of {rounds} runs", dict(want))
    c.eq(tags.get("workload_stderr", []), [], "guard: the workload's stderr is empty")
    got, missed = Counter(), None
    for l in tags.get("textfile", []):
        m = re.match(r'vfiotrace_attach_total\{group="([^"]*)",result="ok"\} (\d+)$', l)
        if m:
            got[m.group(1)] += int(m.group(2))
        m = re.match(r"vfiotrace_probes_missed_total (\d+)$", l)
        if m:
            missed = int(m.group(1))
    c.eq(one("exit"), "0", "guard: vfiotrace exited 0 on SIGINT")
    c.eq(dict(got), dict(want), "guard: attaches per group = the workload's ok attaches")
    c.eq(missed, 0, "guard: vfiotrace_probes_missed_total 0 (no hook hit skipped)")
    print(f"{c.passed} passed, {c.failed} failed")


if __name__ == "__main__":
    main()
