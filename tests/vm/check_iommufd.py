#!/usr/bin/env python3
"""Check a tools/vmtest --kernel iommufd guest (tests/vm/iommufd.sh): the kernel has IOMMUFD,
/dev/iommu and a cdev per VFIO-bound device; vfio-workload --iommufd bound, attached, mapped and
unmapped exactly what it reports, each IOAS detached and destroyed; the type1 container on the
same kernel is traced exactly by vfiotrace stat -j --dma (the iommufd run adds nothing to it:
vfiotrace does not trace iommufd yet).

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
    group = int(tags["group"][0])
    members = [m.split() for m in tags.get("member", [])]
    vfio = [m for m in members if len(m) == 3 and m[1] == "vfio-pci"]
    c.ok(vfio and all(m[2].startswith("vfio") for m in vfio), "each vfio-pci member has a cdev", repr(members))
    cdev_of = [l.split() for l in tags.get("cdev_of", [])]
    c.ok(set(m[2] for m in vfio) <= set(x[1] for x in cdev_of if len(x) == 2), "the group's cdevs are among the PCI devices'")
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
    w = {}
    for k in ("type1", "iommufd"):
        lines = jlines(tags.get(k, []))
        c.eq(tags.get(f"{k}_exit"), ["0"], f"{k} workload: exit status")
        c.eq(tags.get(f"{k}_stderr", []), [], f"{k} workload: nothing on stderr")
        if c.eq(len(lines), 1, f"{k} workload: one JSON line"):
            w[k] = lines[0]
    if len(w) != 2:
        return
    t, i = w["type1"], w["iommufd"]
    c.eq((t["backend"], t["group"], t["attach_ok"], t["attach_fail"], t["dma"]["maps"], t["dma"]["bytes_mapped"]),
         ("type1", group, 2, 0, 2, 2 * MIB), "type1 workload: two attaches, two 1 MiB maps")
    n = len(vfio)
    fails = len(members) - n     # a member without a VFIO driver has no cdev to open
    c.eq((i["backend"], i["group"], i["ioas_allocs"], i["device_fds_opened"], i["device_fd_failures"]),
         ("iommufd", group, 2, 2 * n, 2 * fails), "iommufd workload: an IOAS per run, each vfio-pci member's cdev opened")
    c.eq((i["binds"], i["bind_fail"], i["attaches"], i["attach_ok"], i["attach_fail"], i["detaches"], i["detach_fail"]),
         (2 * n, 0, 2 * n, 2 * n, 0, 2 * n, 0), "iommufd workload: every device bound, attached and detached")
    c.ok(len(i["hwpt_ids"]) >= 1 and all(h > 0 for h in i["hwpt_ids"]),
         "iommufd workload: the kernel named the paging object (HWPT) it attached to", repr(i["hwpt_ids"]))
    c.eq((i["dma"]["maps"], i["dma"]["map_fail"], i["dma"]["unmaps"], i["dma"]["unmap_fail"],
          i["dma"]["bytes_mapped"], i["dma"]["bytes_unmapped"]),
         (2, 0, 2, 0, 4 * MIB, 4 * MIB), "iommufd workload: two 2 MiB IOAS maps, each unmapped whole")
    c.eq((i["device_fds_closed"], sum(i["device_closes"].values())), (2 * n, 2 * n),
         "iommufd workload: every cdev closed")
    bad = tags.get("iommufd_bad_stderr", [])
    c.ok(tags.get("iommufd_bad_exit") == ["2"] and len(bad) == 1 and "--iommufd" in bad[0],
         "vfio-workload --iommufd --hot-reset refused, exit 2, one line", repr(bad))
    c.eq(tags.get("exit"), ["0"], "stat exit status")
    c.eq(tags.get("stderr", []), [], "stat: nothing on stderr besides the Tracing line")
    sums = [s for s in jlines(tags.get("trace", [])) if s.get("type") == "summary"]
    if not c.ok(bool(sums), "stat: a summary at exit"):
        return
    g = next((x for x in sums[-1].get("groups", []) if x.get("group") == group), {})
    c.eq((g.get("attach_ok"), g.get("attach_fail")), (t["attach_ok"], 0),
         "stat: the group's type1 attaches on the iommufd kernel, exactly the type1 workload's")
    d = g.get("dma") or {}
    c.eq((d.get("maps"), d.get("bytes_mapped"), d.get("unmaps"), d.get("bytes_unmapped")),
         (t["dma"]["maps"], t["dma"]["bytes_mapped"], t["dma"]["unmaps"], t["dma"]["bytes_unmapped"]),
         "stat: the group's type1 maps and bytes, exactly the type1 workload's")


def main():
    c = Checker(sys.argv[1])
    with open(sys.argv[2], errors="replace") as f:
        check(c, parse(f.read()))
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
