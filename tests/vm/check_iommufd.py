#!/usr/bin/env python3
"""Check a tools/vmtest --kernel iommufd guest (tests/vm/iommufd.sh): the kernel has IOMMUFD,
/dev/iommu and a cdev per VFIO-bound device; vfio-workload --iommufd bound, attached, mapped and
unmapped exactly what it reports, each IOAS detached and destroyed; diagnose and probes name the
backend; stat and snoop count the iommufd group's device attaches and HWPT allocations exactly
(backend iommufd) and the type1 group's as before on the same kernel (backend type1).

usage: check_iommufd.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import sys

from check import Checker, jlines
from check_faults import parse

MIB = 1 << 20


def check(c, tags):
    if not c.ok(tags.get("done") is not None, "the guest script ran to its end", "; ".join(tags.get("error", []))):
        return
    c.ok("iommufd" in tags["kernel"][0], "the kernel is the iommufd build", tags["kernel"][0])
    c.eq(sorted(tags.get("config", [])),
         ["CONFIG_IOMMUFD=m", "CONFIG_VFIO_CONTAINER=y", "CONFIG_VFIO_DEVICE_CDEV=y"],
         "IOMMUFD (module), the cdev and the type1 container are built (not iommufd's container)")
    c.eq(tags.get("dev_iommu"), ["yes"], "/dev/iommu exists")
    groups = [int(x) for x in tags["groups"][0].split()]
    if not c.eq(len(groups), 2, "two VFIO groups"):
        return
    g1, g2 = groups
    members = {g: [m.split()[1:] for m in tags.get("member", []) if m.split()[0] == str(g)] for g in groups}
    vfio2 = [m for m in members[g2] if m[1] == "vfio-pci"]
    c.ok(len(vfio2) == 2 and all(m[2].startswith("vfio") for m in vfio2),
         f"group {g2}: two vfio-pci members, each with a cdev", repr(members[g2]))
    c.ok(all(m[2] == "-" for m in members[g2] if m[1] != "vfio-pci"), f"group {g2}: no cdev without a VFIO driver",
         repr(members[g2]))
    cdev_of = [l.split() for l in tags.get("cdev_of", [])]
    c.eq(sorted(tags.get("cdev", [])), sorted(x[1] for x in cdev_of if len(x) == 2),
         "/dev/vfio/devices lists exactly the cdevs of the PCI devices on vfio-pci")
    diag = jlines(tags.get("diagnose", []))
    c.eq((tags.get("diagnose_exit"), tags.get("diagnose_stderr", [])), (["0"], []), "diagnose -j: exit 0, nothing on stderr")
    if c.eq(len(diag), 1, "diagnose -j: one line"):
        c.eq(diag[0].get("backends"), {"iommufd": True, "dev_iommu": True, "cdevs": len(cdev_of), "container": "type1"},
             "diagnose -j: iommufd, /dev/iommu, every cdev, /dev/vfio/vfio the type1 container (what the kernel is built with)")
        chk = [x for x in diag[0].get("checks", []) if x.get("check") == "backend"]
        c.ok(len(chk) == 1 and chk[0]["status"] == "INFO" and "iommufd in this kernel" in chk[0]["detail"],
             "diagnose: one backend check naming iommufd", repr(chk))
    c.eq(tags.get("probes_exit"), ["0"], "probes -j exit status")
    probes = jlines(tags.get("probes", []))
    if c.eq(len(probes), 1, "probes -j: one line"):
        rows = {h["function"]: h for h in probes[0]["hooks"] if h.get("function")}
        for fn, hook, mod, be in (("vfio_iommufd_physical_attach_ioas", "attach", "vfio", "iommufd"),
                                  ("iommufd_hwpt_paging_alloc", "domain_alloc", "iommufd", "iommufd"),
                                  ("vfio_iommu_type1_attach_group", "attach", "vfio_iommu_type1", "type1"),
                                  ("vfio_device_put_registration", "device_put", "vfio", "both")):
            h = rows.get(fn, {})
            c.eq((h.get("hook"), h.get("module"), h.get("style"), h.get("backend")), (hook, mod, "kprobe", be),
                 f"probes: {fn} resolved as the {hook} hook, a kprobe in {mod}, for backend {be}")
    w = {}
    for k in ("type1", "iommufd", "memlock"):
        lines = jlines(tags.get(k, []))
        c.eq(tags.get(f"{k}_exit"), ["0"], f"{k} workload: exit status")
        c.eq(tags.get(f"{k}_stderr", []), [], f"{k} workload: nothing on stderr")
        if c.eq(len(lines), 1, f"{k} workload: one JSON line"):
            w[k] = lines[0]
    if len(w) != 3:
        return
    t, i, m = w["type1"], w["iommufd"], w["memlock"]
    c.eq((t["backend"], t["group"], t["attach_ok"], t["attach_fail"], t["dma"]["maps"], t["dma"]["bytes_mapped"]),
         ("type1", g1, 2, 0, 2, 2 * MIB), "type1 workload: two attaches, two 1 MiB maps")
    n, other = len(vfio2), len(members[g2]) - len(vfio2)   # a member without a VFIO driver has no cdev
    c.eq((i["backend"], i["group"], i["ioas_allocs"], i["device_fds_opened"], i["device_fd_failures"]),
         ("iommufd", g2, 2, 2 * n, 2 * other), "iommufd workload: an IOAS per run, each vfio-pci member's cdev opened")
    c.eq((i["binds"], i["bind_fail"], i["attaches"], i["attach_ok"], i["attach_fail"], i["detaches"], i["detach_fail"]),
         (2 * n, 0, 2 * n, 2 * n, 0, 2 * n, 0), "iommufd workload: every device bound, attached and detached")
    c.ok(len(i["hwpt_ids"]) >= 1 and all(h > 0 for h in i["hwpt_ids"]) and i["hwpt_allocs"] >= 2,
         "iommufd workload: the kernel named the paging objects (HWPTs) it attached to", repr(i))
    c.eq((i["dma"]["maps"], i["dma"]["map_fail"], i["dma"]["unmaps"], i["dma"]["unmap_fail"],
          i["dma"]["bytes_mapped"], i["dma"]["bytes_unmapped"]),
         (2, 0, 2, 0, 4 * MIB, 4 * MIB), "iommufd workload: two 2 MiB IOAS maps, each unmapped whole")
    c.eq((i["device_fds_closed"], sum(i["device_closes"].values())), (2 * n, 2 * n),
         "iommufd workload: every cdev closed")
    bad = tags.get("iommufd_bad_stderr", [])
    c.ok(tags.get("iommufd_bad_exit") == ["2"] and len(bad) == 1 and "--iommufd" in bad[0],
         "vfio-workload --iommufd --hot-reset refused, exit 2, one line", repr(bad))
    c.eq((m["backend"], m["group"], m["attach_ok"], m["dma"]["maps"], m["dma"]["map_fail"], m["dma"]["errno"],
          m["dma"]["memlock"]), ("iommufd", g1, 1, 1, 1, "ENOMEM", MIB),
         "memlock workload: its 4 MiB IOAS map over a 1 MiB RLIMIT_MEMLOCK failed with ENOMEM")
    check_trace(c, tags, t, i, m)


def check_trace(c, tags, t, i, m):
    """stat -j, stat (text) and snoop -j against both workloads."""
    c.eq((tags.get("exit"), tags.get("text_exit"), tags.get("snoop_exit")), (["0"], ["0"], ["0"]),
         "stat, stat text and snoop exit status")
    c.eq((tags.get("stderr", []), tags.get("text_stderr", []), tags.get("snoop_stderr", [])), ([], [], []),
         "nothing on stderr besides the Tracing lines")
    sums = [s for s in jlines(tags.get("trace", [])) if s.get("type") == "summary"]
    if not c.ok(bool(sums), "stat: a summary at exit"):
        return
    by = {x.get("group"): x for x in sums[-1].get("groups", [])}
    a, b = by.get(t["group"], {}), by.get(i["group"], {})
    c.eq((a.get("backend"), a.get("attach_ok"), a.get("attach_fail"), a.get("domain_allocs")),
         ("type1+iommufd", t["attach_ok"] + m["attach_ok"], 0, t["attach_ok"] + m["hwpt_allocs"]),
         "stat: the first group's attaches and domains, type1's (one per attach) and the memlock run's, backend type1+iommufd")
    d = a.get("dma") or {}
    c.eq((d.get("maps"), d.get("map_fail"), d.get("bytes_mapped"), d.get("unmaps"), d.get("bytes_unmapped")),
         (t["dma"]["maps"] + m["dma"]["maps"], m["dma"]["map_fail"], t["dma"]["bytes_mapped"], t["dma"]["unmaps"],
          t["dma"]["bytes_unmapped"]),
         "stat: the first group's maps and bytes, exactly the type1 workload's and the failed iommufd map")
    f = d.get("last_failure") or {}
    c.eq({k: f.get(k) for k in ("errno", "failed_step", "memlock_limit", "memlock_account", "uid", "pin_size")},
         {"errno": "ENOMEM", "failed_step": "dma_pin_user", "memlock_limit": m["dma"]["memlock"],
          "memlock_account": "user", "uid": 0, "pin_size": m["dma"]["size"]},
         "stat: the iommufd map failure diagnosed: RLIMIT_MEMLOCK against the user's pinned memory (iommufd accounts per user)")
    c.ok(f.get("locked", -1) + m["dma"]["size"] > m["dma"]["memlock"] and "per user" in (f.get("cause") or ""),
         "stat: the failure's numbers and cause say why (locked + request > limit; accounted per user)", repr(f))
    c.eq((b.get("backend"), b.get("attach_ok"), b.get("attach_fail"), b.get("domain_allocs"), b.get("domain_alloc_fail")),
         ("iommufd", i["attach_ok"], i["attach_fail"], i["hwpt_allocs"], 0),
         "stat: the iommufd group's device attaches and HWPT allocations, backend iommufd, exactly the workload's")
    c.eq(((b.get("attach_latency_ns") or {}).get("count"), (b.get("domain_alloc_latency_ns") or {}).get("count")),
         (i["attach_ok"], i["hwpt_allocs"]), "stat: a latency for each iommufd attach and HWPT allocation")
    c.eq(sorted(b.get("devices", [])), sorted(i["devices"]), "stat: the iommufd group's members, as sysfs lists them")
    c.eq(b.get("iommufd"), {"binds": i["binds"], "bind_fail": i["bind_fail"], "detaches": i["detaches"]},
         "stat: the iommufd group's device binds and detaches, exactly the workload's")
    c.eq(a.get("iommufd"), {"binds": m["binds"], "bind_fail": m["bind_fail"], "detaches": m["detaches"]},
         "stat: the first group's binds and detaches: the memlock run's (type1 binds nothing)")
    d = b.get("dma") or {}
    c.eq((d.get("maps"), d.get("map_fail"), d.get("bytes_mapped"), d.get("unmaps"), d.get("unmap_fail"), d.get("bytes_unmapped")),
         (i["dma"]["maps"], i["dma"]["map_fail"], i["dma"]["bytes_mapped"], i["dma"]["unmaps"], i["dma"]["unmap_fail"],
          i["dma"]["bytes_unmapped"]),
         "stat: the iommufd group's IOAS maps, unmaps and bytes, exactly the workload's")
    c.eq((d.get("containers"), (d.get("map_latency_ns") or {}).get("count")), (i["ioas_allocs"], i["dma"]["maps"]),
         "stat: one IOAS per run of the workload, a latency per map")
    cl = {x["pid"]: x for x in sums[-1].get("dma_clients", [])}
    c.eq({p: (cl.get(p, {}).get("maps"), cl.get(p, {}).get("bytes_mapped")) for p in (t["pid"], i["pid"], m["pid"])},
         {x["pid"]: (x["dma"]["maps"], x["dma"]["bytes_mapped"]) for x in (t, i, m)},
         "stat: DMA per client, each workload's own (type1 and iommufd)")
    text = tags.get("text", [])
    want = f"attached through iommufd: group {t['group']} (type1+iommufd), {i['group']} (iommufd)"
    c.ok(want in text, "stat text: says which groups were attached through iommufd, and with what else",
         repr([l for l in text if "iommufd" in l]))
    want = f"  group {i['group']}: {i['binds']} device binds to an iommufd ({i['bind_fail']} failed), {i['detaches']} detaches"
    c.ok(want in text, "stat text: the iommufd group's binds and detaches", repr([l for l in text if "iommufd" in l]))
    prom = tags.get("prom", [])
    for want in (f'vfiotrace_iommufd_binds_total{{group="{i["group"]}",result="ok"}} {i["binds"]}',
                 f'vfiotrace_iommufd_detaches_total{{group="{i["group"]}"}} {i["detaches"]}',
                 f'vfiotrace_attach_total{{group="{i["group"]}",result="ok"}} {i["attach_ok"]}'):
        c.ok(want in prom, f"textfile: {want}", repr([l for l in prom if i and str(i["group"]) in l]))
    c.ok(any(l.startswith(f'vfiotrace_group_info{{group="{i["group"]}",') and 'backend="iommufd"' in l for l in prom) and
         any(l.startswith(f'vfiotrace_group_info{{group="{t["group"]}",') and 'backend="type1+iommufd"' in l for l in prom),
         "textfile: vfiotrace_group_info's backend label per group", repr([l for l in prom if "group_info" in l]))
    ev = [e for e in jlines(tags.get("snoop", [])) if "event" in e]
    att = [e for e in ev if e["event"] == "attach" and e.get("group") == i["group"]]
    c.eq(sorted((e.get("pid"), e.get("ret"), e.get("backend")) for e in att), [(i["pid"], 0, "iommufd")] * i["attach_ok"],
         "snoop: each iommufd device attach, by the workload, ok, backend iommufd")
    opened = sorted(d for d, n in i["device_closes"].items() for _ in range(n))
    c.eq(sorted(e.get("device") for e in att), opened, "snoop: each iommufd attach names its device (each cdev the workload opened)")
    att1 = [e for e in ev if e["event"] == "attach" and e.get("group") == t["group"] and e.get("pid") == t["pid"]]
    c.eq(sorted((e.get("backend"), e.get("device")) for e in att1), [("type1", None)] * t["attach_ok"],
         "snoop: the type1 attaches: backend type1, no device (type1 attaches a group)")
    refs = {r["device"]: r for r in b.get("device_refs", [])}
    c.eq({d: (refs.get(d, {}).get("gets"), refs.get(d, {}).get("puts")) for d in set(opened)},
         {d: (opened.count(d), opened.count(d)) for d in set(opened)},
         "stat: the references each cdev open took and its close dropped, per device")
    al = [e for e in ev if e["event"] == "domain_alloc" and e.get("group") == i["group"]]
    c.eq(len(al), i["hwpt_allocs"], "snoop: each HWPT allocation under the iommufd group")
    c.ok(all(e.get("alloc_device") in i["devices"] for e in al), "snoop: each HWPT allocation names the device attached",
         repr([e.get("alloc_device") for e in al]))


def main():
    c = Checker(sys.argv[1])
    with open(sys.argv[2], errors="replace") as f:
        check(c, parse(f.read()))
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
