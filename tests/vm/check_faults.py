#!/usr/bin/env python3
"""Compare the IOMMU faults vfiotrace reported in a tools/vmtest guest (tests/vm/faults.sh)
with what happened there: the workload's JSON (the device it drove, the requester id the IOMMU
sees, the ring address, how many fetches it provoked and the DMAR interrupts each raised, its
pid, the map and unmap it made before the faults of "unmapped") and the guest's DMAR interrupt
count. snoop ran with --dma: each fault's "mapping" is checked against what the workload did.

usage: check_faults.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import sys
from collections import defaultdict

from check import Checker, jlines
from check_diag_resets import parse_tags

RUNS = ("never", "unmapped")


def parse(text):
    tags = defaultdict(list)
    for tag, rest in parse_tags(text):
        tags[tag].append(rest)
    return tags


def num(tags, name):
    v = tags.get(name, [""])[0]
    return int(v) if v.isdigit() else None


def check_mapping(c, name, w, f, mine, snoop):
    """--dma: what each fault's address missed, against the workload's own maps and unmaps."""
    if name == "never":
        c.eq(sorted({e.get("mapping") for e in mine}), ["never"], f"{name}: every event says mapping never")
        c.eq([k for e in mine for k in ("unmapped_by", "unmapped_ns") if k in e], [],
             f"{name}: no unmapped_by or unmapped_ns")
        return
    unmaps = [m for m in f.get("mappings", []) if m.get("op") == "unmap" and m.get("errno") == 0]
    if not c.eq(len(unmaps), 1, f"{name}: the workload unmapped the ring once"):
        return
    u = unmaps[0]
    ev = [e for e in snoop if e.get("event") == "dma_unmap" and e.get("pid") == w["pid"] and e.get("iova") == u["iova"]]
    if not c.eq(len(ev), 1, f"{name}: snoop --dma saw that unmap once"):
        return
    want = {"mapping": "unmapped", "unmapped_by": w["pid"], "unmapped_comm": "vfio-workload",
            "mapping_iova": u["iova"], "mapping_size": u["size"], "since_the_unmap_event": True}
    for e in mine:
        got = {k: e.get(k) for k in want}
        # unmapped_ns: from the unmap's return (its dma_unmap event) to the fault, exactly
        got["since_the_unmap_event"] = e.get("unmapped_ns") == e.get("ts_ns", 0) - ev[0]["ts_ns"] > 0
        if got != want:
            c.eq(got, want, f"{name}: every event names the workload's unmap (pid, range, ns since it)")
            break
    else:
        c.ok(bool(mine), f"{name}: every event names the workload's unmap (pid, range, ns since it)")
    # the workload took its clock after the ioctl returned: the unmap event is at most that, within 1 s
    c.ok(0 <= u["ns"] - ev[0]["ts_ns"] < 10**9, f"{name}: the unmap event's time agrees with the workload's",
         f"workload {u['ns']} event {ev[0]['ts_ns']}")


def check_storm(c, tags):
    """The storm: the IOMMU's own count (DMAR interrupts) against the workload's fetches, and a
    snoop stopped all along: what it delivered plus what it counted as dropped is every fault.
    Returns the storm's DMAR interrupts (None: no storm to count)."""
    c.eq((tags.get("storm_exit"), tags.get("storm_stderr", [])), (["0"], []), "storm: the workload exited 0, stderr empty")
    ws = jlines(tags.get("storm", []))
    if not c.eq(len(ws), 1, "storm: the workload printed one JSON line"):
        return None
    f = ws[0].get("dma_fault") or {}
    c.ok(f.get("error") is None and f.get("provoked") == f.get("requested") and f.get("provoked", 0) >= 10000
         and f.get("wait_irq") is False, "storm: at least 10,000 fetches, unpaced", repr(f)[:300])
    before, after = num(tags, "storm_dmar_before"), num(tags, "storm_dmar_after")
    irqs = None if before is None or after is None else after - before
    # QEMU's MMIO write is synchronous under TCG: each fetch faults and interrupts before the next
    c.eq(irqs, f.get("provoked"), "storm: one DMAR interrupt per fetch (the IOMMU recorded each)")
    span = (f.get("last_ns", 0) - f.get("first_ns", 0)) / 1e9
    print(f"INFO {c.kernel} storm: {f.get('provoked')} fetches, {irqs} DMAR interrupts in {span:.2f} s")
    c.eq(tags.get("storm_snoop_exit"), ["0"], "storm: the stopped snoop exited 0")
    sums = [e for e in jlines(tags.get("storm_snoop", [])) if e.get("type") == "snoop_summary"]
    if not c.eq(len(sums), 1, "storm: the stopped snoop's summary"):
        return irqs
    delivered = num(tags, "storm_snoop_faults")
    d = sums[0]
    c.ok(0 < d.get("iommu_fault_drops", 0) <= d.get("drops", 0), "storm: the stopped snoop dropped fault events, "
         "counted in its drops", repr(d))
    c.eq(None if delivered is None else delivered + d.get("iommu_fault_drops", 0), irqs,
         "storm: fault events delivered + iommu_fault_drops = the storm's DMAR interrupts")
    err = tags.get("storm_snoop_stderr", [])
    c.ok(len(err) == 1 and f"{d.get('drops')} events dropped: ring buffer full" in err[0],
         "storm: the stopped snoop said how many events it dropped", repr(err))
    # the live snoop --dma: its map reads (bpf() syscalls) during the storm miss no fault
    c.eq((tags.get("live_snoop_exit"), tags.get("live_snoop_stderr", [])), (["0"], []),
         "storm: the live snoop --dma exited 0, stderr empty")
    ls = [e for e in jlines(tags.get("live_snoop", [])) if e.get("type") == "snoop_summary"]
    live = num(tags, "live_snoop_faults")
    if c.eq(len(ls), 1, "storm: the live snoop's summary"):
        c.eq(None if live is None else live + ls[0].get("iommu_fault_drops", 0), irqs,
             "storm: the live snoop --dma: fault events delivered + iommu_fault_drops = the DMAR interrupts")
    c.eq(num(tags, "live_snoop_never"), live, "storm: the live snoop --dma: every fault event says mapping never")
    return irqs


def check_text(c, tags, group, requester, n):
    """stat's text: the Tracing line names the faults; the IOMMU faults section: the counts, a row
    per group and requester, the reason's cause and remedy."""
    c.ok(any("IOMMU faults" in l for l in tags.get("tracing_line", [])), "the Tracing line names IOMMU faults",
         repr(tags.get("tracing_line")))
    c.eq((tags.get("stat_text_exit"), tags.get("stat_text_stderr", [])), (["0"], []),
         "stat (text) exited 0, stderr empty")
    text = tags.get("stat_text", [])
    c.ok(any(l.startswith(f"IOMMU faults: {n} VT-d fault interrupts (the kernel counted {n}, missed 0)") for l in text),
         "stat text: the IOMMU faults line with the interrupts, the kernel's count, none missed",
         repr([l for l in text if "IOMMU" in l]))
    rows = [l.split() for l in text if l.split()[:2] == [str(group), requester]]
    c.eq([r[2:5] for r in rows], [["0x06", "read", str(n)]], "stat text: one row for the group's requester, reason, access, count")
    c.ok(any(l.startswith("reason 0x06 (PTE Read access is not set):") for l in text) and
         any(l.strip().startswith("cause:") for l in text) and any(l.strip().startswith("remedy:") for l in text),
         "stat text: the reason's cause and remedy below the table")


def check_lag(c, tags, group):
    """A snoop stopped while the group changed hands: each fault names its holder when the fault
    was recorded, or none (holder_changed) when the group was opened again since; never the
    process that holds the group when the snoop reads the fault."""
    runs = {}
    for name in ("lag_a", "lag_b"):
        c.eq((tags.get(name + "_exit"), tags.get(name + "_stderr", [])), (["0"], []),
             f"{name}: the workload exited 0, stderr empty")
        ws = jlines(tags.get(name, []))
        if c.eq(len(ws), 1, f"{name}: the workload printed one JSON line"):
            runs[name] = ws[0]
    c.eq((tags.get("lag_snoop_exit"), tags.get("lag_snoop_stderr", [])), (["0"], []),
         "lagging snoop: exited 0, stderr empty")
    if len(runs) != 2:
        return
    a, b = runs["lag_a"], runs["lag_b"]
    want = [(None, None, True)] * a["dma_fault"]["provoked"] + \
           [(b["pid"], "vfio-workload", False)] * b["dma_fault"]["provoked"]
    events = [e for e in jlines(tags.get("lag_snoop", [])) if e.get("event") == "iommu_fault" and e.get("group") == group]
    c.eq([(e.get("pid"), e.get("comm"), e.get("holder_changed")) for e in events], want,
         f"lagging snoop: lag_a's faults name no holder (the group changed hands: holder_changed), "
         f"lag_b's name lag_b (pid {b['pid']}), none names the other run")


def check(c, tags):
    c.eq(tags.get("error", []), [], "no @@ error line")
    c.ok("done" in tags, "the guest script reached its end")
    group = num(tags, "group")
    c.ok(group is not None, "the e1000's group was read")
    runs = {}
    for name in RUNS:
        c.eq((tags.get(name + "_exit"), tags.get(name + "_stderr", [])), (["0"], []),
             f"{name}: the workload exited 0, stderr empty")
        ws = jlines(tags.get(name, []))
        if not c.eq(len(ws), 1, f"{name}: the workload printed one JSON line"):
            continue
        f = ws[0].get("dma_fault") or {}
        c.ok(f.get("error") is None and f.get("provoked") == f.get("requested") and f.get("provoked", 0) > 0,
             f"{name}: every fault requested was provoked", repr(f)[:300])
        # the ground truth is only exact if each fetch raised its own interrupt
        c.eq((f.get("irq_seen"), f.get("irq_timeouts"), f.get("dmar_irqs_after", 0) - f.get("dmar_irqs_before", 0)),
             (f.get("provoked"), 0, f.get("provoked")), f"{name}: one DMAR interrupt per provoked fault")
        c.eq(f.get("mapped_fetch_irqs"), 0, f"{name}: no fault while the ring was mapped")
        runs[name] = (ws[0], f)
    if len(runs) != len(RUNS):
        return
    total = sum(f["provoked"] for _, f in runs.values())
    before, after = num(tags, "dmar_before"), num(tags, "dmar_after")
    c.eq(None if before is None or after is None else after - before, total,
         "the guest's DMAR interrupts over the run: one per provoked fault")
    c.eq((tags.get("snoop_exit"), tags.get("stat_exit")), (["0"], ["0"]), "both tracers exited 0")
    c.eq(tags.get("snoop_stderr", []) + tags.get("stat_stderr", []), [], "the tracers said nothing on stderr")

    events = [e for e in jlines(tags.get("snoop", [])) if e.get("event") == "iommu_fault"]
    c.eq(len(events), total, "snoop: one iommu_fault event per provoked fault (rate limit or not)")
    summary = [e for e in jlines(tags.get("snoop", [])) if e.get("type") == "snoop_summary"]
    c.eq([s.get("drops") for s in summary], [0], "snoop: no event dropped")
    for name, (w, f) in runs.items():
        mine = [e for e in events if e.get("pid") == w["pid"]]
        c.eq(len(mine), f["provoked"], f"{name}: events naming the workload (pid {w['pid']}) as the group's holder")
        page = f["ring"] & ~0xfff
        want = {"device": f["requester"], "group": group, "address": page, "access": "read", "reason": 6,
                "reason_name": "PTE Read access is not set", "pasid": None, "comm": "vfio-workload",
                "holder_changed": False, "in_devices": True, "cause_of_the_mapping": True}
        # --dma: the cause follows what the address missed (docs/diagnosis.md "IOMMU faults")
        words = {"never": "never mapped", "unmapped": "had unmapped"}[name]
        for e in mine:
            got = {k: e.get(k) for k in want if k not in ("in_devices", "cause_of_the_mapping")}
            got["in_devices"] = f["device"] in e.get("devices", [])
            got["cause_of_the_mapping"] = words in (e.get("cause") or "") and bool(e.get("remedy"))
            if got != want:
                c.eq(got, want, f"{name}: every event's device, group, address, access, reason, holder, cause")
                break
        else:
            c.ok(bool(mine), f"{name}: every event's device, group, address, access, reason, holder, cause")
        check_mapping(c, name, w, f, mine, jlines(tags.get("snoop", [])))

    # -g another group, -p a process holding none: the faults are filtered out, the interrupts stay the host's
    c.eq((tags.get("snoop_g_exit"), tags.get("stat_p_exit"), num(tags, "snoop_g_faults")), (["0"], ["0"], 0),
         "snoop -g OTHER_GROUP: no iommu_fault event")
    c.ok(tags.get("stat_p_faults", []) in ([], ['"iommu_faults":0']) and
         f'"dmar":{total}' in "".join(tags.get("stat_p_interrupts", [])),
         "stat -p 1: no fault row, the host's interrupts", repr((tags.get("stat_p_faults"), tags.get("stat_p_interrupts"))))
    check_lag(c, tags, group)
    storm = check_storm(c, tags)
    if storm is None:
        return
    stats = [s for s in jlines(tags.get("stat", [])) if s.get("type") == "summary"]
    if not c.ok(bool(stats), "stat: a summary at exit"):
        return
    last = stats[-1]
    g = next((x for x in last.get("groups", []) if x.get("group") == group), {})
    c.eq(g.get("iommu_faults"), total + storm, f"stat: group {group} iommu_faults (paced and storm)")
    rows = g.get("iommu_fault_counts", [])
    c.eq([(r.get("device"), r.get("reason"), r.get("access"), r.get("count")) for r in rows],
         [(runs["never"][1]["requester"], 6, "read", total + storm)], f"stat: group {group} faults by device and reason")
    c.eq(last.get("iommu_fault_interrupts"), {"dmar": total + storm, "without_record": 0, "overflow": 0,
                                              "kernel": total + storm, "missed": 0},
         "stat: the DMAR interrupts it counted, each with its record, as many as the kernel counted")
    check_text(c, tags, group, runs["never"][1]["requester"], total + storm)
    decoded = (num(tags, "decoded_after") or 0) - (num(tags, "decoded_before") or 0)
    print(f"INFO {c.kernel} dmesg decoded {decoded} of {total} faults (dmar_fault's rate limit)")


def main():
    c = Checker(sys.argv[1])
    with open(sys.argv[2], errors="replace") as f:
        check(c, parse(f.read()))
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
