#!/usr/bin/env python3
"""Compare what vfiotrace diagnosed in a tools/vmtest guest (tests/vm/diag.sh)
with what really happened there: group members and their drivers from sysfs,
open holders from /proc, errnos from the workload's own JSON, functions from
kallsyms.

usage: check_diag.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import sys
from collections import defaultdict

from check import Checker, jlines, json_lines_parse, workload_ran

# diagnosis hooks and the functions they may resolve to, in candidate order
# (user/kernel/targets.c); the capability half of the MSI check is not hooked where
# iommu_group_has_isolated_msi exists
DIAG_HOOKS = {
    "group_open": ["vfio_group_fops_open"],
    "group_release": ["vfio_group_fops_release"],
    "group_ioctl": ["vfio_group_fops_unl_ioctl"],
    "step_dma_owner": ["iommu_group_claim_dma_owner"],
    "step_viable": ["vfio_dev_viable"],
    "step_attach_group": ["iommu_attach_group"],
    "step_driver_attach": ["intel_iommu_attach_device"],
    "step_msi_cookie": ["iommu_get_msi_cookie"],
    "alloc_device": ["vfio_iommu_domain_alloc"],
}


class Run:
    def __init__(self, text):
        self.kernel = ""
        self.sysfs = []                     # snapshots: [{group: [(device, bus, driver)]}]
        self.kallsyms = {}
        self.groups = {}
        self.holders = {}                   # scenario -> pid
        self.holderjson = defaultdict(list)  # scenario -> the holder workload's JSON lines
        self.rebound = None
        self.holder_exit = {}               # scenario -> the holder workload's exit status
        self.done = False
        self.backends_truth = None          # /dev/iommu, /dev/vfio/devices entries and existence, /dev/vfio/vfio
        self.scenarios = {}
        self.errors = []
        cur = None
        snap = None
        for line in text.splitlines():
            if not line.startswith("@@ "):
                snap = None if line.strip() else snap
                continue
            tag, _, rest = line[3:].partition(" ")
            if tag != "sysfs":
                snap = None
            if tag == "kernel":
                self.kernel = rest
            elif tag == "sysfs":
                if snap is None:
                    snap = defaultdict(list)
                    self.sysfs.append(snap)
                g, dev, bus, drv = rest.split()
                snap[int(g)].append((dev, bus, None if drv == "-" else drv))
            elif tag == "backends_truth":
                self.backends_truth = rest.split()
            elif tag == "kallsyms":
                fn, mod = rest.split()
                self.kallsyms[fn] = mod
            elif tag == "groups":
                self.groups = {k: int(v) for k, v in (x.split("=") for x in rest.split())}
            elif tag == "holder":
                name, pid = rest.split()
                self.holders[name] = int(pid)
            elif tag == "holder_exit":
                name, st = rest.split()
                self.holder_exit[name] = int(st)
            elif tag == "done":
                self.done = True
            elif tag == "holderjson":
                name, _, js = rest.partition(" ")
                self.holderjson[name].append(js)
            elif tag == "rebound":
                self.rebound = rest.split()
            elif tag == "error":
                self.errors.append(rest)
            elif tag == "begin":
                cur = self.scenarios[rest] = defaultdict(list)
            elif tag == "end":
                if cur is not None:
                    cur["ended"] = True
                cur = None
            elif cur is not None and tag in ("workload", "trace", "stderr"):
                cur[tag].append(rest)
            elif cur is not None and tag == "exit":
                cur["exit"] = int(rest)
            elif cur is not None and tag == "workload_exit":
                cur["workload_exit"] = int(rest)
            elif cur is not None and tag == "workload_stderr":
                cur["workload_stderr"].append(rest)

    def major_minor(self):
        a, b = self.kernel.split(".")[:2]
        return int(a), int(b)


def scenario(c, run, name):
    s = run.scenarios.get(name)
    if not c.ok(s is not None, f"{name}: scenario ran", "; ".join(run.errors)):
        return None
    c.ok(s.get("ended"), f"{name}: its log section is complete")
    c.eq(s.get("exit"), 0, f"{name}: vfiotrace exit status")
    c.eq(s["stderr"], [], f"{name}: nothing on stderr besides the Tracing line")
    # failures are this file's subject: a device fd that did not open is checked per scenario
    workload_ran(c, s, name, fd_failures_ok=True)
    json_lines_parse(c, s, name)
    return s


def one_workload(c, s, name, attached=True):
    """The single JSON line of the scenario's workload (which attached, if attached); None if not."""
    ws = jlines(s["workload"])
    if not c.eq(len(ws), 1, f"{name}: the workload printed one JSON line"):
        return None
    if attached:
        c.ok(ws[0].get("attaches", 0) > 0, f"{name}: the workload attached (non-empty ground truth)", repr(ws[0]))
    return ws[0]


def check_probes(c, run):
    s = run.scenarios.get("probes")
    if not c.ok(s is not None, "probes: ran"):
        return
    p = jlines(s["trace"])
    if not c.eq(len(p), 1, "probes: one JSON line"):
        return
    p = p[0]
    got = defaultdict(set)
    for h in p["hooks"]:
        if h["function"]:
            got[h["hook"]].add(h["function"])
            if h["hook"] in DIAG_HOOKS or h["hook"] == "step_msi":
                # vmlinux's kprobes share kprobe.multi links where the kernel has them (fprobe)
                multi = "register_fprobe_ips" in run.kallsyms and run.kallsyms.get(h["function"]) == "vmlinux"
                c.eq(h["style"], "kprobe.multi" if multi else "kprobe",
                     f"probes: {h['function']} is a kprobe" + (" on a kprobe.multi link" if multi else ""))
                c.eq(h["module"], run.kallsyms.get(h["function"]), f"probes: module of {h['function']}")
    for hook, cands in DIAG_HOOKS.items():
        want = {next((f for f in cands if f in run.kallsyms), None)} - {None}
        c.eq(got.get(hook, set()), want, f"probes: {hook} resolves to what kallsyms has")
    want = set()
    for f in ("iommu_group_has_isolated_msi", "irq_domain_check_msi_remap"):
        if f in run.kallsyms:
            want.add(f)
            break
    if "iommu_group_has_isolated_msi" not in run.kallsyms:
        want |= {next((f for f in ("iommu_capable", "device_iommu_capable") if f in run.kallsyms), None)} - {None}
    c.eq(got.get("step_msi", set()), want, "probes: the MSI check functions this kernel has")


def want_alloc_device(run, gid):
    """6.0+: type1 allocates for the group's (first) device; 5.10-5.19: by bus, no device."""
    if run.major_minor() < (6, 0):
        return None
    return run.sysfs[0][gid][0][0]


def check_ok(c, run):
    gid = run.groups["single"]
    name = "ok_snoop"
    s = scenario(c, run, name)
    if s and (w := one_workload(c, s, name)):
        ev = [e for e in jlines(s["trace"]) if "event" in e]     # not the final snoop_summary
        att = [e for e in ev if e["event"] == "attach"]
        c.ok(w["attach_ok"] > 0, f"{name}: the workload's attach succeeded", repr(w))
        c.eq(len(att), w["attach_ok"], f"{name}: one attach event per successful attach")
        c.ok(all(k not in e for e in att for k in ("failed_step", "cause", "remedy")),
             f"{name}: a successful attach carries no diagnosis", repr(att))
        # the device's open, its resets and D-state changes are events too (issue 23): none may fail
        ok_events = ("attach", "domain_alloc", "device_get", "device_put", "device_open", "device_close", "reset", "power")
        c.eq([e for e in ev if e["event"] not in ok_events or e.get("ret", 0) < 0], [],
             f"{name}: no failure events")
        al = [e for e in ev if e["event"] == "domain_alloc" and e["group"] == gid]
        c.eq(len(al), w["attaches"], f"{name}: one domain_alloc per attach")
        c.eq({e["alloc_device"] for e in al}, {want_alloc_device(run, gid)},
             f"{name}: domain_alloc alloc_device is the group's member (sysfs; null before 6.0)")
    name = "ok_stat"
    s = scenario(c, run, name)
    if s:
        sums = [d for d in jlines(s["trace"]) if d.get("type") == "summary"]
        if c.eq(len(sums), 1, f"{name}: one summary"):
            g = {x["group"]: x for x in sums[0]["groups"]}.get(gid)
            if c.ok(g is not None, f"{name}: group {gid} in summary"):
                c.eq((g["failures"], g["diagnosis"], g["blocking_devices"], g["holder"]), ([], [], [], None),
                     f"{name}: no diagnosis for a successful attach")
                c.eq(g["alloc_device"], want_alloc_device(run, gid), f"{name}: alloc_device (sysfs; null before 6.0)")


def check_busy(c, run, name, from_proc):
    gid = run.groups["single"]
    s = scenario(c, run, name)
    if not s:
        return
    hpid = run.holders.get(name)
    c.ok(hpid is not None, f"{name}: the holder had /dev/vfio/{gid} open (/proc)")
    c.eq(run.holder_exit.get(name), 0, f"{name}: the holder workload exited 0")
    hj = jlines(run.holderjson[name])
    c.ok(len(hj) == 1 and hj[0]["pid"] == hpid, f"{name}: holder pid from /proc is the holder workload's", repr(hj))
    w = [x for x in jlines(s["workload"]) if "open_errno" in x]
    if not c.eq(len(w), 1, f"{name}: second workload ran"):
        return
    w = w[0]
    c.eq(w["open_errno"], "EBUSY", f"{name}: second open failed with EBUSY (ground truth)")
    ev = [e for e in jlines(s["trace"]) if e.get("event") == "group_open"]
    if not c.eq(len(ev), 1, f"{name}: one group_open failure event"):
        return
    e = ev[0]
    c.eq((e["group"], e["pid"], e["errno"]), (gid, w["pid"], w["open_errno"]),
         f"{name}: event names the group, the failing pid and the errno it got")
    c.eq(e["failed_step"], "group_open", f"{name}: failed_step")
    c.ok(e["holder"] is not None and e["holder"]["pid"] == hpid, f"{name}: holder pid is the holder's", repr(e["holder"]))
    if e["holder"]:
        c.eq(e["holder"]["comm"], "vfio-workload", f"{name}: holder comm")
        if from_proc:
            c.eq(e["holder"]["since_ns"], None, f"{name}: since unknown for a holder found in /proc")
        else:
            c.ok(isinstance(e["holder"]["since_ns"], int) and 0 < e["holder"]["since_ns"] <= e["ts_ns"],
                 f"{name}: since_ns of the traced open is before the failure", repr(e["holder"]))
    c.ok("holder" in e["remedy"] or "stop" in e["remedy"], f"{name}: remedy says to stop the holder", e["remedy"])


def blocking_truth(run):
    """(device, driver) of the bridge group's members bound to a driver other than vfio-pci, from sysfs after the rebind."""
    gid = run.groups["bridge"]
    return sorted((d, drv) for d, _, drv in run.sysfs[-1][gid] if drv and drv != "vfio-pci")


def check_not_viable(c, run):
    gid = run.groups["bridge"]
    c.ok(run.rebound and run.rebound[1] == "e1000", "not_viable: one e1000 rebound to the e1000 driver", repr(run.rebound))
    truth = blocking_truth(run)
    c.eq(len(truth), 1, "not_viable: sysfs shows one member on a host driver")
    # where the kernel refuses: the DMA-ownership claim (6.0+) or the viability check
    dma_owner = "iommu_group_claim_dma_owner" in run.kallsyms
    for name in ("not_viable_snoop", "not_viable_stat"):
        s = scenario(c, run, name)
        if not s or not (w := one_workload(c, s, name, attached=False)):
            continue
        if dma_owner:
            op, err, step, count = "set_container", w["set_container_errno"], "dma_ownership", 1
        else:
            op, err, step, count = "get_device_fd", w["get_device_fd_errno"], "viability", w["device_fd_failures"]
        c.ok(err is not None, f"{name}: the workload's {op} failed (ground truth: {err})")
        c.ok(count > 0, f"{name}: the workload saw the failure ({count})")
        if name == "not_viable_snoop":
            ev = [e for e in jlines(s["trace"]) if e.get("event") == op]
            c.eq(len(ev), count, f"{name}: one {op} failure event per failure the workload saw")
            for e in ev[:1]:
                c.eq((e["group"], e["pid"], e["errno"]), (gid, w["pid"], err),
                     f"{name}: event names the group, the pid and the errno the workload got")
                c.eq(e["failed_step"], step, f"{name}: failed_step")
                c.eq(sorted((b["device"], b["driver"]) for b in e["blocking_devices"]), truth,
                     f"{name}: blocking_devices are the members on host drivers (sysfs)")
                c.ok("vfio-pci" in e["remedy"], f"{name}: remedy says to bind to vfio-pci", e["remedy"])
        else:
            sums = [d for d in jlines(s["trace"]) if d.get("type") == "summary"]
            if not c.eq(len(sums), 1, f"{name}: one summary"):
                continue
            g = {x["group"]: x for x in sums[0]["groups"]}.get(gid)
            if not c.ok(g is not None, f"{name}: group {gid} in summary"):
                continue
            c.eq([(f["op"], f["errno"], f["failed_step"], f["count"]) for f in g["failures"]],
                 [(op, err, step, count)], f"{name}: failures counted by op, errno and step")
            c.eq(sorted((b["device"], b["driver"]) for b in g["blocking_devices"]), truth,
                 f"{name}: blocking_devices (sysfs)")


def check_text(c, run):
    """stat text: one line per failure with step, cause and remedy, then the culprit."""
    name = "not_viable_text"
    s = scenario(c, run, name)
    if not s or not (w := one_workload(c, s, name, attached=False)):
        return
    gid = run.groups["bridge"]
    if "iommu_group_claim_dma_owner" in run.kallsyms:
        op, err, step = "set_container", w["set_container_errno"], "dma_ownership"
    else:
        op, err, step = "get_device_fd", w["get_device_fd_errno"], "viability"
    lines = [l for l in s["trace"] if l.startswith(f"group {gid}: ")]
    c.ok(len(lines) == 1 and f" {op} failed with {err} at {step}: " in lines[0] and "; remedy: " in lines[0],
         f"{name}: one failure line with step, cause and remedy", repr(lines))
    dev, drv = blocking_truth(run)[0] if blocking_truth(run) else ("?", "?")
    c.ok(any(l.strip() == f"blocking: {dev} (driver {drv})" for l in s["trace"]),
         f"{name}: culprit line names the device and driver (sysfs)", repr(s["trace"]))


def check_verbose(c, run):
    """-v: the failure event carries the symbolized kernel stack of the failing step."""
    name = "not_viable_verbose"
    s = run.scenarios.get(name)
    if not c.ok(s is not None, f"{name}: scenario ran"):
        return
    c.ok(s.get("ended"), f"{name}: its log section is complete")
    c.eq(s.get("exit"), 0, f"{name}: vfiotrace exit status")
    workload_ran(c, s, name, fd_failures_ok=True)
    op = "set_container" if "iommu_group_claim_dma_owner" in run.kallsyms else "get_device_fd"
    ev = [e for e in jlines(s["trace"]) if e.get("event") == op]
    if not c.ok(len(ev) >= 1, f"{name}: {op} failure event"):
        return
    st = ev[0].get("stack") or []
    if st and st[-1].startswith("kretprobe_trampoline"):
        # 5.10: the unwinder stops at a kretprobe's trampoline (6.1 unwinds through it): only the
        # failing step's own frame is left, which must still be named, module included
        step_fn = "iommu_group_claim_dma_owner" if op == "set_container" else "vfio_dev_viable"
        mod = run.kallsyms.get(step_fn)
        c.ok(st[0].startswith(step_fn + "+") and (mod == "vmlinux" or st[0].endswith(f"[{mod}]")),
             f"{name}: stack (cut at the kretprobe trampoline) names the failing step, module included", repr(st))
    else:
        # the group ioctl (vfio.ko) is on the path of every not-viable failure
        c.ok(any(f.startswith("vfio_group_fops_unl_ioctl+") and f.endswith("[vfio]") for f in st),
             f"{name}: stack is symbolized, module frames included", repr(st))


def check_diagnose(c, run):
    """diagnose -j and text against sysfs and /proc, with interrupt remapping on (normal boot)."""
    gid, single = run.groups["bridge"], run.groups["single"]
    hpid = run.holders.get("diagnose")
    c.ok(hpid is not None, "diagnose: a holder had the single group open (/proc)")
    c.eq(run.holder_exit.get("diagnose"), 0, "diagnose: the holder workload exited 0")
    s = run.scenarios.get("diagnose")
    if not c.ok(s is not None, "diagnose: ran"):
        return
    c.eq(s.get("exit"), 1, "diagnose: exit 1 (a group is not viable)")
    c.eq(s["stderr"], [], "diagnose: nothing on stderr")
    d = jlines(s["trace"])
    if not c.eq(len(d), 1, "diagnose: one JSON line"):
        return
    d = d[0]
    c.eq((d["type"], d["iommu"], d["interrupt_remapping"], d["ok"]), ("diagnose", True, True, False),
         "diagnose: IOMMU on, interrupt remapping on (intremap=on boot), not ok")
    by = {g["group"]: g for g in d["groups"]}
    g = by.get(gid)
    if c.ok(g is not None, f"diagnose: group {gid} listed"):
        c.eq(g["viable"], False, f"diagnose: group {gid} not viable")
        c.eq(sorted((b["device"], b["driver"]) for b in g["blocking_devices"]), blocking_truth(run),
             f"diagnose: group {gid} blocking devices and drivers (sysfs)")
        c.eq(sorted((m["device"], m["driver"]) for m in g["devices"]),
             sorted((dev, drv) for dev, _, drv in run.sysfs[-1][gid]), f"diagnose: group {gid} members (sysfs)")
    g = by.get(single)
    if c.ok(g is not None, f"diagnose: group {single} listed"):
        c.eq(g["viable"], True, f"diagnose: group {single} viable")
        c.eq([h["pid"] for h in g["holders"]], [hpid], f"diagnose: group {single} held by the holder's pid")
    bt = run.backends_truth or []
    if c.ok(len(bt) == 4 and all(x.isdigit() for x in bt), "diagnose: the guest printed the backends' ground truth", repr(bt)):
        dev_iommu, ncdev, has_dir, has_container = (int(x) for x in bt)
        c.eq(d.get("backends"), {"iommufd": bool(dev_iommu), "dev_iommu": bool(dev_iommu),
                                 "cdevs": ncdev if has_dir else None,
                                 "container": "type1" if has_container and not dev_iommu else d.get("backends", {}).get("container")},
             "diagnose: backends as /dev/iommu, /dev/vfio/devices and /dev/vfio/vfio say (no IOMMUFD in Debian's kernels: type1)")
    fails = [x for x in d["checks"] if x["status"] == "FAIL"]
    c.eq([(x["check"], x.get("group")) for x in fails], [("group_viable", gid)],
         "diagnose: the only failing check is the bridge group's viability")
    t = run.scenarios.get("diagnose_text")
    if c.ok(t is not None, "diagnose text: ran"):
        c.eq(t.get("exit"), 1, "diagnose text: exit 1")
        c.eq(len(t["trace"]), len(d["checks"]), "diagnose text: one line per check")
        victim = blocking_truth(run)[0] if blocking_truth(run) else ("?", "?")
        c.ok(any(l.startswith("FAIL") and victim[0] in l and victim[1] in l for l in t["trace"]),
             "diagnose text: a FAIL line names the device and its driver", repr(t["trace"]))
        c.ok(any(l.startswith("INFO") and f"pid {hpid}" in l for l in t["trace"]),
             "diagnose text: names the holder's pid", repr(t["trace"]))


def main():
    kernel, path = sys.argv[1:3]
    run = Run(open(path, errors="replace").read())
    c = Checker(kernel)
    c.ok(bool(run.sysfs) and run.groups.get("single") is not None and run.groups.get("bridge") is not None,
         "guest has a single-device and a bridge group", "; ".join(run.errors))
    c.eq(run.errors, [], "no @@ error lines (no bounded wait expired, nothing failed to start)")
    c.ok(run.done, "the guest script ran to its end (@@ done)")
    if run.sysfs and run.groups:
        check_probes(c, run)
        check_ok(c, run)
        check_busy(c, run, "busy_before", True)
        check_busy(c, run, "busy_traced", False)
        check_not_viable(c, run)
        check_text(c, run)
        check_verbose(c, run)
        check_diagnose(c, run)
    print(f"{kernel} diag: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
