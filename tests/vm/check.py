#!/usr/bin/env python3
"""Compare what vfiotrace reported in a tools/vmtest guest with what really
happened there: IOMMU groups and buses from sysfs, functions from kallsyms,
counts and errnos from the workload's own JSON (tests/vm/guest.sh prints all
of it as "@@ TAG payload" lines).

usage: check.py KERNEL normal|eperm|qemu OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import json
import re
import sys
from collections import defaultdict

# The function that drops the reference a device fd holds, on every kernel
# tested (vfio.ko): the put hook must name it as the caller.
FD_RELEASE = "vfio_device_fops_release"


class Run:
    def __init__(self, text):
        self.sysfs = defaultdict(list)      # group -> [(device, bus)]
        self.drivers = {}                   # device -> driver ("-": none), None if not printed
        self.kallsyms = {}                  # function -> module
        self.btf_vfio = False
        self.btf_type1 = False
        self.resv = []                      # the first group's reserved regions: (start, end, type)
        self.dma_entry_limit = None
        self.scenarios = {}                 # name -> dict(workload, trace, kprobe, exit, stderr)
        self.errors = []
        self.sanitizer_binary, self.sanitizer, self.sanitizer_done = None, [], False
        cur = None
        for line in text.splitlines():
            if not line.startswith("@@ "):
                continue
            tag, _, rest = line[3:].partition(" ")
            if tag == "sysfs":
                g, dev, bus, *drv = rest.split()
                self.sysfs[int(g)].append((dev, bus))
                self.drivers[dev] = drv[0] if drv else None
            elif tag == "kallsyms":
                fn, mod = rest.split()
                self.kallsyms[fn] = mod
            elif tag == "btf" and rest.startswith("vfio "):
                self.btf_vfio = rest.endswith("yes")
            elif tag == "btf" and rest.startswith("type1 "):
                self.btf_type1 = rest.endswith("yes")
            elif tag == "resv":
                self.resv = [(int(a, 16), int(b, 16), t) for a, b, t in
                             (r.split() for r in rest.split(";") if r.strip())]
            elif tag == "dma_entry_limit":
                self.dma_entry_limit = int(rest)
            elif tag == "error":
                self.errors.append(rest)
            elif tag == "sanitizer_binary":
                self.sanitizer_binary = rest
            elif tag == "sanitizer":
                self.sanitizer.append(rest)
            elif tag == "sanitizer_done":
                self.sanitizer_done = True
            elif tag == "begin":
                cur = self.scenarios[rest] = defaultdict(list)
            elif tag == "end":
                cur = None
            elif cur is not None and tag in ("workload", "trace", "kprobe", "stderr", "unbind", "dmaprobes",
                                                  "big", "big_stderr", "cut", "full", "cut_dma", "full_dma"):
                cur[tag].append(rest)
            elif cur is not None and tag == "exit":
                cur["exit"] = int(rest)
            elif cur is not None and tag == "big_exit":
                cur["big_exit"] = int(rest)
            elif cur is not None and tag == "workload_exit":
                cur["workload_exit"] = int(rest)
            elif cur is not None and tag == "workload_stderr":
                cur["workload_stderr"].append(rest)


class Checker:
    def __init__(self, kernel):
        self.kernel = kernel
        self.passed = self.failed = 0

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"PASS {self.kernel} {what}")
        else:
            self.failed += 1
            print(f"FAIL {self.kernel} {what}" + (f": {detail}" if detail else ""))
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, what, f"got {got!r}, want {want!r}")


def jlines(lines):
    out = []
    for l in lines:
        l = l[len("other "):] if l.startswith("other ") else l
        try:
            out.append(json.loads(l))
        except ValueError:
            pass
    return out


def workload_ran(c, s, name, fd_failures_ok=False, drivers=None):
    """A workload run by run_traced exited 0, said nothing on stderr, printed its JSON
    (one line per group) and, unless expected, opened the device fd of every member
    bound to vfio-pci (a bridge in the group has no driver: its GET_DEVICE_FD fails)."""
    if "workload_exit" not in s:
        return
    c.eq((s["workload_exit"], s["workload_stderr"]), (0, []), f"{name}: the workload exited 0, stderr empty")
    ws = jlines(s["workload"])
    c.ok(ws and len(ws) == len(s["workload"]), f"{name}: the workload printed its JSON", repr(s["workload"][:3]))
    if not fd_failures_ok:
        drv = {d: v for d, v in (drivers or {}).items() if v is not None}    # None: not printed
        want = [w.get("attach_ok", 0) * sum(drv.get(d, "vfio-pci") != "vfio-pci" for d in w.get("devices", []))
                for w in ws]
        c.eq([w.get("device_fd_failures", 0) for w in ws], want,
             f"{name}: every device fd of a member bound to vfio-pci opened")


def json_lines_parse(c, s, name):
    """A -j run prints nothing but JSON lines: every one must parse."""
    if any(l.startswith("{") for l in s["trace"]):
        bad = [l for l in s["trace"] if not jlines([l])]
        c.eq(bad, [], f"{name}: every line of the -j output parses")


def scenario(c, run, name):
    s = run.scenarios.get(name)
    if not c.ok(s is not None, f"{name}: scenario ran", "; ".join(run.errors)):
        return None
    c.eq(s.get("exit"), 0, f"{name}: vfiotrace exit status")
    c.eq(s["stderr"], [], f"{name}: nothing on stderr besides the Tracing line")
    workload_ran(c, s, name, drivers=run.drivers)
    json_lines_parse(c, s, name)
    return s


def summary_of(c, s, name, kind="summary"):
    """The one line of type kind that vfiotrace printed at exit."""
    sums = [d for d in jlines(s["trace"]) if d.get("type") == kind]
    if not c.eq(len(sums), 1, f"{name}: one final {kind} line"):
        return None
    return sums[0]


def final(c, run, name, kind="summary"):
    """The scenario and the one final line of type kind it printed (None, None if absent)."""
    s = scenario(c, run, name)
    return (s, summary_of(c, s, name, kind)) if s else (None, None)


def fd_release_puts(groups, device):
    """Puts whose caller is the fd release, for device (None: any device)."""
    n = 0
    for g in groups:
        for r in g["device_refs"]:
            if device is None or r["device"] == device:
                n += sum(c["count"] for c in r["callers"] if c["caller"] == FD_RELEASE and c["kind"] == "put")
    return n


def check_group(c, run, name, g, w):
    gid = w["group"]
    c.eq(g["attach_ok"], w["attach_ok"], f"{name}: group {gid} attach_ok")
    c.eq(g["attach_fail"], w["attach_fail"], f"{name}: group {gid} attach_fail")
    c.eq(g["errors"], w["errors"], f"{name}: group {gid} errors")
    c.eq(sorted(g["buses"]), sorted({b for _, b in run.sysfs[gid]}), f"{name}: group {gid} buses (sysfs)")
    c.eq(sorted(g["devices"]), sorted(d for d, _ in run.sysfs[gid]), f"{name}: group {gid} devices (sysfs)")
    # one group per fresh container: every attach allocates one domain
    c.eq(g["domain_allocs"], w["attaches"], f"{name}: group {gid} domain_allocs")
    c.eq(g["attach_latency_ns"]["count"], w["attaches"], f"{name}: group {gid} attach latency samples")
    c.ok(g["attach_latency_ns"]["p50"] > 0 or not w["attaches"], f"{name}: group {gid} attach p50 > 0")


def check_puts(c, run, name, summary, work):
    # without module BTF (5.10) the device is named from GET_DEVICE_FD and its
    # group from sysfs, so fd puts are attributed on every kernel
    for w in work:
        for dev, n in w["device_closes"].items():
            c.eq(fd_release_puts(summary["groups"], dev), n, f"{name}: puts of {dev} by {FD_RELEASE}")


def check_stat(c, run, name):
    s, sm = final(c, run, name)
    if not sm:
        return
    work = jlines(s["workload"])
    c.ok(len(work) >= 1, f"{name}: workload ran")
    by_group = {g["group"]: g for g in sm["groups"]}
    c.eq(sorted(by_group), sorted(w["group"] for w in work), f"{name}: groups reported")
    c.eq((sm["drops"], sm["map_full"]), (0, 0), f"{name}: nothing dropped or lost")
    c.eq(sm["refcount_available"], run.btf_vfio, f"{name}: refcount_available iff vfio has BTF")
    for w in work:
        g = by_group.get(w["group"])
        if c.ok(g is not None, f"{name}: group {w['group']} in summary"):
            check_group(c, run, name, g, w)
    check_puts(c, run, name, sm, work)


def check_probes(c, run):
    s = run.scenarios.get("probes")
    if not c.ok(s is not None, "probes: ran"):
        return
    for tag, forced in (("trace", False), ("kprobe", True)):
        p = jlines(s[tag])
        if not c.eq(len(p), 1, f"probes {tag}: one JSON line"):
            continue
        # the tracing and reference hooks; the diagnosis hooks are checked by check_diag.py
        hooks = [h for h in p[0]["hooks"] if h["hook"] in ("attach", "domain_alloc", "device_put",
                                                         "device_get", "device_fd", "unregister")]
        resolved = {h["function"]: h for h in hooks if h["function"]}
        want = {"vfio_iommu_type1_attach_group"}
        want |= {f for f in ("vfio_device_put_registration",) if f in run.kallsyms} or \
            {"vfio_device_put"}
        want |= {f for f in ("iommu_domain_alloc", "iommu_paging_domain_alloc",
                             "iommu_paging_domain_alloc_flags", "vfio_device_try_get_registration",
                             "vfio_group_get_device", "vfio_device_get_from_dev",
                             "vfio_group_fops_unl_ioctl", "vfio_unregister_group_dev")
                 if f in run.kallsyms}
        # 6.13+: iommu_paging_domain_alloc is an inline wrapper; if kallsyms has
        # both paging names, the _flags one is the real function
        if "iommu_paging_domain_alloc_flags" in want:
            want.discard("iommu_paging_domain_alloc")
        c.eq(set(resolved), want, f"probes {tag}: resolved functions match kallsyms")
        for fn, h in resolved.items():
            c.eq(h["module"], run.kallsyms.get(fn), f"probes {tag}: module of {fn}")
            if forced:
                c.eq(h["style"], "kprobe", f"probes {tag}: {fn} style under --mode kprobe")
            else:
                c.ok(h["style"] in ("fentry", "kprobe"), f"probes {tag}: {fn} has a style")
        put = [h for h in hooks if h["hook"] == "device_put"][0]
        c.eq(put["refcount_available"], run.btf_vfio, f"probes {tag}: refcount_available iff vfio BTF")


def check_core(c, run):
    """libbpf relocates against the BTF vfiotrace cuts down (the relocated types only)
    exactly as against all of the kernel's BTF, which it searches itself under
    VFIOTRACE_FULL_CORE_SEARCH=1: `probes -vv` loads the object, and libbpf prints
    the outcome of every relocation."""
    s = run.scenarios.get("core")
    if not c.ok(s is not None, "core: ran"):
        return
    for sfx in ("", "_dma"):
        cut, full = s["cut" + sfx], s["full" + sfx]
        said = lambda lines: [l.split("CO-RE: ")[1][:20] for l in lines if "CO-RE:" in l]
        c.eq(said(cut), ["the kernel's BTF cut"], f"core{sfx}: libbpf was given the cut-down BTF")
        c.eq(said(full), ["libbpf searches all "], f"core{sfx}: and not under VFIOTRACE_FULL_CORE_SEARCH")
        rc = [l for l in cut if "CO-RE:" not in l]
        rf = [l for l in full if "CO-RE:" not in l]
        c.ok(len(rf) >= 50, f"core{sfx}: libbpf relocated", f"{len(rf)} relocations")
        c.eq(rc, rf, f"core{sfx}: every relocation comes out as against all of the kernel's BTF")


def check_snoop(c, run, name, want_fail):
    """want_fail: the mode makes every attach fail (eperm); the errno is the workload's."""
    s = scenario(c, run, name)
    if not s:
        return
    ev = [e for e in jlines(s["trace"]) if "event" in e]     # not the final snoop_summary
    (w,) = jlines(s["workload"])
    gid = w["group"]
    c.eq(w["attach_fail"], w["attaches"] if want_fail else 0, f"{name}: the workload's attaches failed as the mode makes them")
    want_ret = -w["errno"] if w["attach_fail"] else 0
    want_errno = next(iter(w["errors"]), None)
    att = [e for e in ev if e["event"] == "attach"]
    c.eq(len(att), w["attaches"], f"{name}: one attach line per attach")
    c.eq({e["group"] for e in att}, {gid}, f"{name}: attach lines name group {gid}")
    c.eq({e["ret"] for e in att}, {want_ret}, f"{name}: attach ret")
    c.eq({e.get("errno") for e in att}, {want_errno}, f"{name}: attach errno")
    c.eq({e["pid"] for e in att}, {w["pid"]}, f"{name}: attach pid is the workload's")
    c.eq({e["comm"] for e in att}, {"vfio-workload"}, f"{name}: attach comm")
    c.ok(all(e["latency_ns"] > 0 for e in att), f"{name}: attach latency > 0")
    al = [e for e in ev if e["event"] == "domain_alloc" and e["group"] == gid]
    c.eq(len(al), w["attaches"], f"{name}: one domain_alloc per attach, related to group {gid}")
    c.eq({e["bus"] for e in al}, {b for _, b in run.sysfs[gid]}, f"{name}: domain_alloc bus (sysfs)")
    if want_ret == 0:
        c.ok(all("failed_step" not in e and "cause" not in e for e in att), f"{name}: no diagnosis on success")
    else:
        c.eq({e.get("failed_step") for e in att}, {"msi_isolation"}, f"{name}: failed_step is the MSI isolation check")
        c.ok(all("allow_unsafe_interrupts" in e.get("remedy", "") for e in att),
             f"{name}: remedy names allow_unsafe_interrupts")
    if want_ret == 0:
        c.eq({e["result"] for e in al}, {"ok"}, f"{name}: domain_alloc result")
        puts = [e for e in ev if e["event"] == "device_put" and e["caller"] == FD_RELEASE]
        c.eq(len(puts), w["device_fds_closed"], f"{name}: device_put lines by {FD_RELEASE}")
        c.eq({e["device"] for e in puts}, set(w["devices"]) & set(w["device_closes"]),
             f"{name}: device_put devices")
        c.eq({e["refcount"] for e in puts}, {2} if run.btf_vfio else {None},
             f"{name}: refcount before the put (registration + fd; unavailable without vfio BTF)")


def check_eperm_stat(c, run):
    name = "eperm_stat"
    s, sm = final(c, run, name)
    if not sm:
        return
    by_group = {g["group"]: g for g in sm["groups"]}
    c.eq(sorted(w["group"] for w in jlines(s["workload"])), sorted(run.sysfs),
         f"{name}: the workload attached every group")
    for w in jlines(s["workload"]):
        c.eq(w["errors"], {"EPERM": w["attaches"]}, f"{name}: workload saw EPERM (ground truth)")
        g = by_group.get(w["group"])
        if not c.ok(g is not None, f"{name}: group {w['group']} reported"):
            continue
        c.eq(g["attach_ok"], 0, f"{name}: group {w['group']} attach_ok")
        c.eq(g["attach_fail"], w["attach_fail"], f"{name}: group {w['group']} attach_fail")
        c.eq(g["errors"], w["errors"], f"{name}: group {w['group']} errors")
        c.eq(g["last_error"], "EPERM", f"{name}: group {w['group']} last_error")
        c.ok(any("remapping" in d["cause"] for d in g["diagnosis"]), f"{name}: diagnosis names interrupt remapping")
        # every failure is the MSI isolation check's, and says how to get past it
        c.eq([(d["errno"], d["failed_step"], d["count"]) for d in g["diagnosis"]],
             [("EPERM", "msi_isolation", w["attach_fail"])], f"{name}: group {w['group']} failed step counted")
        c.eq([(f["op"], f["errno"], f["failed_step"], f["count"]) for f in g["failures"]],
             [("attach", "EPERM", "msi_isolation", w["attach_fail"])], f"{name}: group {w['group']} failures")
        c.ok(all("allow_unsafe_interrupts" in d["remedy"] for d in g["diagnosis"]),
             f"{name}: remedy names allow_unsafe_interrupts")


def check_eperm_diagnose(c, run):
    """intremap=off boot: diagnose reports interrupt remapping off, fails, remedy allow_unsafe_interrupts."""
    s = run.scenarios.get("diagnose")
    if not c.ok(s is not None, "diagnose: ran"):
        return
    c.eq(s.get("exit"), 1, "diagnose: exit 1 (interrupt remapping off)")
    (d,) = jlines(s["trace"])
    c.eq((d["iommu"], d["interrupt_remapping"]), (True, False), "diagnose: IOMMU on, interrupt remapping off")
    ir = [x for x in d["checks"] if x["check"] == "interrupt_remapping"]
    c.ok(len(ir) == 1 and ir[0]["status"] == "FAIL" and "allow_unsafe_interrupts" in ir[0]["remedy"],
         "diagnose: interrupt remapping check fails with the allow_unsafe_interrupts remedy", repr(ir))
    c.eq(sorted(g["group"] for g in d["groups"]), sorted(run.sysfs), "diagnose: the VFIO groups (sysfs)")


def check_filtered(c, run):
    name = "group_filter"
    s = scenario(c, run, name)
    if s and (sm := summary_of(c, s, name)):
        first = min(run.sysfs)
        c.eq([g["group"] for g in sm["groups"]], [first], f"{name}: only group {first}")
        w = [w for w in jlines(s["workload"]) if w["group"] == first][0]
        c.eq(sm["groups"][0]["attach_ok"], w["attach_ok"], f"{name}: attach_ok")
    name = "pid_filter"
    s = scenario(c, run, name)
    if s and (sm := summary_of(c, s, name)):
        (w,) = jlines(s["workload"])
        c.eq([(g["group"], g["attach_ok"]) for g in sm["groups"]], [(w["group"], w["attach_ok"])],
             f"{name}: only the attaches of pid {w['pid']}")


def check_unprivileged(c, run):
    s = run.scenarios.get("unprivileged")
    if not c.ok(s is not None, "unprivileged: ran"):
        return
    c.eq(s.get("exit"), 1, "unprivileged: exit status")
    c.ok(len(s["stderr"]) == 1 and "run as root" in s["stderr"][0], "unprivileged: one line saying to run as root",
         repr(s["stderr"]))
    c.ok(s["stderr"] and "missing capability CAP_BPF" in s["stderr"][0], "unprivileged: names the missing capability",
         repr(s["stderr"]))


def check_self_terminating(c, run):
    """-d and INTERVAL COUNT end vfiotrace by themselves, with the right summaries."""
    for name, nsum in (("duration", 1), ("interval", 3)):
        s = scenario(c, run, name)
        if not s:
            continue
        sums = [d for d in jlines(s["trace"]) if d.get("type") == "summary"]
        c.eq(len(sums), nsum, f"{name}: summary lines")
        (w,) = jlines(s["workload"])
        counts = [{g["group"]: g["attach_ok"] for g in d["groups"]}.get(w["group"], 0) for d in sums]
        c.eq(counts[-1:], [w["attach_ok"]], f"{name}: last summary counts the attach")
        c.eq(counts, sorted(counts), f"{name}: summaries are cumulative")
    s = scenario(c, run, "text")
    if s:
        (w,) = jlines(s["workload"])
        c.ok(s["trace"] and s["trace"][0].split()[:3] == ["GROUP", "BUSES", "ATTACH_OK"], "text: header row")
        rows = [l.split() for l in s["trace"][1:] if l.split() and l.split()[0] == str(w["group"])]
        want_bus = ",".join(sorted({b for _, b in run.sysfs[w["group"]]}))
        c.ok(len(rows) == 1 and rows[0][1] == want_bus and rows[0][2] == str(w["attach_ok"]),
             f"text: row for group {w['group']} with bus and attach count", repr(rows))


def check_hist(c, run):
    name = "hist"
    s, h = final(c, run, name, "hist")
    if not h:
        return
    (w,) = jlines(s["workload"])
    g = {x["group"]: x for x in h["groups"]}.get(w["group"])
    if not c.ok(g is not None, f"{name}: group {w['group']} present"):
        return
    for k in ("attach", "domain_alloc"):
        c.eq(g[k]["latency_ns"]["count"], w["attaches"], f"{name}: {k} samples")
        c.eq(sum(b["count"] for b in g[k]["log2_buckets"]), w["attaches"], f"{name}: {k} bucket total")


def check_hold(c, run):
    name = "hold"
    s, refs = final(c, run, name, "refs")
    if not refs:
        return
    (w,) = jlines(s["workload"])
    rows = [x for g in refs["groups"] for r in g["device_refs"] for x in r["callers"]
            if x["caller"] == FD_RELEASE and x["kind"] == "put"]
    c.eq(sum(r["count"] for r in rows), w["device_fds_closed"], f"{name}: puts after the held fd closed")
    if run.btf_vfio:
        c.eq({r["last_refcount"] for r in rows}, {2}, f"{name}: refcount before the put")
    else:
        c.eq({r["last_refcount"] for r in rows}, {None}, f"{name}: refcount reported unavailable, not guessed")


def check_qemu(c, run):
    name = "qemu"
    s = scenario(c, run, name)
    if not s:
        return
    sm = summary_of(c, s, name)
    (q,) = jlines(s["workload"])
    # timeout's SIGTERM ends QEMU cleanly (exit 124 from timeout): it really ran
    c.eq(q["exit"], 124, f"{name}: QEMU ran until terminated")
    if not sm:
        return
    gid = q["group"]
    if not c.eq([g["group"] for g in sm["groups"]], [gid], f"{name}: only the assigned group"):
        return
    g = sm["groups"][0]
    # one container, one group: QEMU's VFIO_SET_IOMMU attaches once
    c.eq((g["attach_ok"], g["attach_fail"]), (1, 0), f"{name}: one successful attach")
    c.eq(g["domain_allocs"], 1, f"{name}: one domain allocation")
    c.eq(sorted(g["buses"]), sorted({b for _, b in run.sysfs[gid]}), f"{name}: buses (sysfs)")
    c.eq(sorted(g["devices"]), sorted(d for d, _ in run.sysfs[gid]), f"{name}: devices (sysfs)")
    c.eq(fd_release_puts(sm["groups"], q["device"]), 1, f"{name}: QEMU's device fd put at exit")
    check_qemu_dma(c, run, q, sm)


def fd_devices(w):
    """Devices the workload really opened a device fd for (a bridge has none)."""
    return [d for d, n in w["device_closes"].items() if n]


def ref_events(s):
    return [e for e in jlines(s["trace"]) if e.get("event") in ("device_get", "device_put")]


def check_refs_cycle(c, run):
    name = "refs_cycle"
    s, refs = final(c, run, name, "refs")
    if not refs:
        return
    (w,) = jlines(s["workload"])
    rows = {r["device"]: r for g in refs["groups"] for r in g["device_refs"] if r["device"]}
    c.ok(len(fd_devices(w)) > 1, f"{name}: the bridge group has several VFIO devices", repr(w))
    for dev in fd_devices(w):
        r = rows.get(dev)
        if not c.ok(r is not None, f"{name}: {dev} has a device_refs row", repr(sorted(rows))):
            continue
        c.eq(r["gets"], r["puts"], f"{name}: {dev} gets = puts")
        c.ok(r["gets"] >= w["device_closes"][dev] == w["attaches"], f"{name}: {dev} gets >= {w['attaches']} fd opens",
             f"gets {r['gets']}")
        c.eq(r["current"], 1 if run.btf_vfio else None, f"{name}: {dev} current back to the registration baseline")
        c.eq(r["peak"], 2 if run.btf_vfio else None, f"{name}: {dev} peak (registration + one fd)")
    ev = ref_events(s)
    for e in ev:
        if e["refcount_before"] is None:
            continue
        delta = 1 if e["event"] == "device_get" else -1
        if not c.eq(e["refcount_after"], e["refcount_before"] + delta, f"{name}: transition consistent"):
            break
    c.eq({e["refcount_before"] is None for e in ev}, {not run.btf_vfio}, f"{name}: refcounts only where vfio has BTF")
    c.eq({e["pid"] for e in ev if e["device"] in fd_devices(w)}, {w["pid"]},
         f"{name}: transitions by the workload's pid")
    c.eq(refs["left"], [], f"{name}: nothing left held at exit")


def check_held_exit(c, run):
    name = "held_exit"
    s, refs = final(c, run, name, "refs")
    if not refs:
        return
    (w,) = jlines(s["workload"])
    left = {x["device"]: x for x in refs["left"]}
    for dev in fd_devices(w):
        x = left.get(dev)
        if not c.ok(x is not None, f"{name}: {dev} listed as held at exit", repr(refs["left"])):
            continue
        c.eq([(h["pid"], h["comm"], h["refs"]) for h in x["holders"]], [(w["pid"], "vfio-workload", 1)],
             f"{name}: {dev} held by the workload")
        c.eq(x["current"], 2 if run.btf_vfio else None, f"{name}: {dev} refcount at exit")


def check_hung_unbind(c, run):
    name = "hung_unbind"
    s = scenario(c, run, name)
    if not s:
        return
    (w,) = jlines(s["workload"])
    (u,) = jlines(s["unbind"])
    ev = jlines(s["trace"])
    kinds = [e.get("event") for e in ev]
    # the unbind really blocked until the holder was told to close its fd
    c.ok(u["blocked_at_release"] and u["end_s"] >= u["release_s"], f"{name}: unbind blocked until release",
         repr(u))
    waits = [e for e in ev if e.get("event") == "unbind_wait"]
    dones = [e for e in ev if e.get("event") == "unbind_done"]
    if not (c.eq(len(waits), 1, f"{name}: one unbind_wait") and c.eq(len(dones), 1, f"{name}: one unbind_done")):
        return
    c.eq(waits[0]["device"], u["device"], f"{name}: unbind_wait device")
    c.eq([(h["pid"], h["comm"]) for h in waits[0]["holders"]], [(w["pid"], "vfio-workload")],
         f"{name}: unbind_wait names the holder")
    # reported at once: before the holder's put that ends the wait
    last_put = max(i for i, e in enumerate(ev) if e.get("event") == "device_put" and e["pid"] == w["pid"])
    c.ok(kinds.index("unbind_wait") < last_put < kinds.index("unbind_done"),
         f"{name}: unbind_wait while waiting, unbind_done after the last put")
    c.eq(dones[0]["device"], u["device"], f"{name}: unbind_done device")
    # the wait began before the trace showed it (seen_s) and ended after release_s
    # (uptime has 10 ms steps)
    c.ok(dones[0]["waited_ns"] >= (u["release_s"] - u["seen_s"] - 0.02) * 1e9,
         f"{name}: waited from the unbind until the release", repr(dones[0]))


MIB = 1 << 20


def check_dma_stat(c, run):
    name = "dma_stat"
    s, sm = final(c, run, name)
    if not sm:
        return
    (w,) = jlines(s["workload"])
    d, g = w["dma"], {x["group"]: x for x in sm["groups"]}.get(w["group"])
    if not c.ok(g is not None and g.get("dma") is not None, f"{name}: group {w['group']} has dma"):
        return
    got = g["dma"]
    for k in ("maps", "unmaps", "map_fail", "bytes_mapped", "bytes_unmapped"):
        c.eq(got[k], d[k], f"{name}: {k} (workload)")
    c.eq(got["pages_pinned"], d["bytes_mapped"] // 4096, f"{name}: pages pinned = bytes mapped / 4 KiB")
    c.eq(got["containers"], w["attach_ok"], f"{name}: one fresh container per attach")
    c.eq(got["map_latency_ns"]["count"], d["maps"], f"{name}: map latency samples")
    c.eq(got["last_failure"], None, f"{name}: no failure")
    cl = [x for x in sm["dma_clients"] if x["pid"] == w["pid"]]
    c.ok(len(cl) == 1 and cl[0]["bytes_mapped"] == d["bytes_mapped"] and cl[0]["comm"] == "vfio-workload",
         f"{name}: per-client bytes for the workload's pid", repr(sm["dma_clients"]))


def check_dma_hist(c, run):
    name = "dma_hist"
    s, h = final(c, run, name, "hist")
    if not h:
        return
    (w,) = jlines(s["workload"])
    g = {x["group"]: x for x in h["groups"]}.get(w["group"], {})
    c.eq(g.get("dma_map", {}).get("latency_ns", {}).get("count"), w["dma"]["maps"], f"{name}: dma_map samples")


def check_dma_memlock(c, run):
    name = "dma_memlock"
    s = scenario(c, run, name)
    if s:
        (w,) = jlines(s["workload"])
        c.eq((w["dma"]["map_fail"], w["dma"]["errno"]), (1, "ENOMEM"), f"{name}: workload's map failed ENOMEM")
        ev = [e for e in jlines(s["trace"]) if e.get("event") == "dma_map"]
        if c.eq(len(ev), 1, f"{name}: one dma_map event"):
            e = ev[0]
            c.eq((e["errno"], e["pid"], e["comm"]), ("ENOMEM", w["pid"], "vfio-workload"), f"{name}: errno, pid, comm")
            c.ok("memlock" in e["cause"] and "CAP_IPC_LOCK" in e["remedy"], f"{name}: cause memlock, remedy", repr(e))
            c.eq(e["memlock_limit"], w["dma"]["memlock"], f"{name}: RLIMIT_MEMLOCK named (workload's)")
            # the map pins in chunks: what the task had locked (earlier chunks of this map;
            # nothing before it) plus the chunk that failed is the whole map
            c.eq(e["locked"] + e["pin_size"], w["dma"]["size"], f"{name}: locked + size it tried to pin")
            c.eq(e["size"], w["dma"]["size"], f"{name}: map size")
    name = "dma_memlock_stat"
    s, sm = final(c, run, name)
    if sm:
        (w,) = jlines(s["workload"])
        g = {x["group"]: x for x in sm["groups"]}.get(w["group"], {})
        f = (g.get("dma") or {}).get("last_failure") or {}
        c.eq((f.get("errno"), f.get("failed_step"), f.get("pid"), f.get("memlock_limit")),
             ("ENOMEM", "dma_pin", w["pid"], w["dma"]["memlock"]), f"{name}: last_failure names memlock, pid, limit")


def check_dma_fail(c, run):
    """One failed map per cause: the step and the numbers match what the workload did."""
    btf = run.btf_type1     # 6.1+; Debian 5.10 has no module BTF
    s = run.scenarios.get("probes", {})
    rows = [h for p in jlines(s.get("dmaprobes", [])) for h in p.get("hooks", []) if h["hook"] == "dma"]
    if c.eq(len(rows), 1, "probes --dma: one dma row"):
        c.eq(rows[0]["degraded"] is None, btf, "probes --dma: degraded exactly where type1 has no BTF")
    for kind, errno, step in (("fault", "EFAULT", "dma_pin"), ("misalign", "EINVAL", "dma_request"),
                              ("overlap", "EEXIST", "dma_overlap"),
                              ("iova", "EINVAL", "dma_iova_range" if btf else "unknown")):
        name = f"dma_fail_{kind}"
        s = scenario(c, run, name)
        if not s:
            continue
        (w,) = jlines(s["workload"])
        wf = w["dma_fail"]
        c.eq(wf["errno"], errno, f"{name}: the workload's map failed {errno}")
        ev = [e for e in jlines(s["trace"]) if e.get("event") == "dma_map" and e["ret"] < 0]
        if not c.eq(len(ev), w["dma"]["map_fail"], f"{name}: one failed dma_map event per failed map"):
            continue
        e = ev[0]
        c.eq((e["errno"], e["failed_step"], e["pid"], e["iova"], e["size"], e["vaddr"]),
             (errno, step, w["pid"], wf["iova"], wf["size"], wf["vaddr"]), f"{name}: errno, step and the request")
        c.ok(e["cause"] and e["remedy"] and e["detail"], f"{name}: cause, remedy, detail", repr(e))
        c.eq(e["page_size"], 4096 if btf else None, f"{name}: the container's IOMMU page size")
        if kind == "fault":
            c.eq(e["pin_vaddr"], wf["vaddr"], f"{name}: the pin that faulted began at the buffer")
            c.eq(e["memlock_limit"], None, f"{name}: no memlock numbers for a fault")
        elif kind == "misalign":
            c.ok(f"size 0x{wf['size']:x}" in e["detail"], f"{name}: detail names the size", e["detail"])
        elif kind == "overlap":
            want = (wf["existing"]["iova"], wf["existing"]["size"]) if btf else (None, None)
            c.eq((e["existing_iova"], e["existing_size"]), want, f"{name}: the mapping overlapped (the workload's first map)")
        elif kind == "iova" and btf:
            msi = [(a, b) for a, b, t in run.resv if t == "msi" and a <= wf["iova"] <= b]
            if c.ok(len(msi) == 1, f"{name}: the iova is in the group's MSI reserved region", repr(run.resv)):
                r = [tuple(x) for x in e["valid_iova_ranges"]]
                c.ok(any(b == msi[0][0] - 1 for a, b in r) and any(a == msi[0][1] + 1 for a, b in r),
                     f"{name}: the valid ranges stop before and resume after the reserved region", repr(r))
                c.ok(not any(a <= wf["iova"] <= b for a, b in r), f"{name}: the iova is in no valid range", repr(r))
    name = "dma_fail_text"
    s = scenario(c, run, name)
    if s:
        (w,) = jlines(s["workload"])
        wf = w["dma_fail"]
        text = "\n".join(s["trace"])
        c.ok(f"group {w['group']}: map of 64.0 KiB at iova 0x{wf['iova']:x} by pid {w['pid']} (vfio-workload) "
             "failed with EEXIST at dma_overlap" in text, f"{name}: the failure line", text)
        e = wf["existing"]
        want = (f"overlaps the mapping 0x{e['iova']:x}-0x{e['iova'] + e['size'] - 1:x}" if btf
                else "overlaps a mapping (not read: no type1 BTF)")
        c.ok(f"detail: iova 0x{wf['iova']:x}-0x{wf['iova'] + wf['size'] - 1:x} {want}" in text,
             f"{name}: detail names both ranges", text)
    name = "dma_fail_limit"
    s, sm = final(c, run, name)
    if not sm:
        return
    (w,) = jlines(s["workload"])
    wf = w["dma_fail"]
    c.eq((wf["errno"], wf["mapped_before_fail"]), ("ENOSPC", run.dma_entry_limit),
         f"{name}: the workload mapped dma_entry_limit times, then ENOSPC")
    g = {x["group"]: x for x in sm["groups"]}.get(w["group"], {})
    d = g.get("dma") or {}
    c.eq((d.get("maps"), d.get("map_fail"), d.get("unmaps")), (w["dma"]["maps"], w["dma"]["map_fail"], w["dma"]["unmaps"]),
         f"{name}: maps, failures, unmaps (workload)")
    f = d.get("last_failure") or {}
    c.eq((f.get("errno"), f.get("failed_step"), f.get("dma_entry_limit"), f.get("iova"), f.get("pid")),
         ("ENOSPC", "dma_entry_limit", run.dma_entry_limit, wf["iova"], w["pid"]),
         f"{name}: last_failure names the entry limit")


def text_name(b):
    """user/output/text.c's escaping of a task name's bytes, as the text output shows it."""
    out = bytearray()
    for x in b:
        out += f"\\x{x:02x}".encode() if x < 0x20 or x in (0x5c, 0x7f) else bytes([x])
    return out.decode("utf-8", errors="replace")


def check_hostile_names(c, run):
    """A task name with quotes, backslash, control bytes and UTF-8: exact in JSON, escaped in text."""
    name = "hostile_json"
    s = scenario(c, run, name)
    if s:
        (w,) = jlines(s["workload"])
        want = bytes.fromhex(w["comm_hex"])
        att = [e for e in jlines(s["trace"]) if e.get("event") == "attach"]
        c.ok(len(att) == w["attaches"] and all(e["comm"].encode() == want for e in att),
             f"{name}: the exact bytes of the task name in every attach event", repr([e["comm"] for e in att]))
    name = "hostile_text"
    s = scenario(c, run, name)
    if s:
        (w,) = jlines(s["workload"])
        want = text_name(bytes.fromhex(w["comm_hex"]))
        lines = [l for l in s["trace"] if f" {w['pid']} " in l]
        c.ok(len(lines) >= w["attaches"] and all(want in l for l in lines),
             f"{name}: every line of the workload names it escaped, on one line", repr(lines))
        c.ok(all(ch >= " " and ch != "\x7f" for l in s["trace"] for ch in l), f"{name}: no control byte in the text")


def check_callers(c, run):
    """Every caller named in any trace is a real function, never a probe's trampoline
    (a return address read after a kretprobe replaced it)."""
    bad = set()
    for name, s in run.scenarios.items():
        for line in s["trace"]:
            bad |= set(re.findall(r'"caller":"([^"]*trampoline[^"]*)"', line))
    c.eq(sorted(bad), [], "no caller is a trampoline (refs, stat, snoop)")


def check_capacity(c, run):
    """--max-groups 1 while the workload attaches two groups: one group exact, the rest counted as lost."""
    name = "capacity"
    s, sm = final(c, run, name)
    if sm:
        work = {w["group"]: w for w in jlines(s["workload"])}
        c.ok(len(work) >= 2, f"{name}: the workload attached more than one group", repr(sorted(work)))
        c.eq(len(sm["groups"]), 1, f"{name}: one group in the tables (--max-groups 1)")
        for g in sm["groups"][:1]:
            w = work.get(g["group"], {})
            c.eq((g["attach_ok"], g["attach_fail"]), (w.get("attach_ok"), w.get("attach_fail")),
                 f"{name}: the group that fitted, counted exactly")
        c.ok(sm["map_full"] > 0, f"{name}: the groups that did not fit counted as map_full", repr(sm["map_full"]))
        c.eq(sm["drops"], 0, f"{name}: no event dropped")
    s = scenario(c, run, "capacity_text")
    if s:
        warn = [l for l in s["trace"] if "updates lost: a BPF map was full" in l]
        c.ok(len(warn) == 1 and "--max-groups" in warn[0], "capacity_text: one warning naming --max-groups",
             repr(s["trace"][-4:]))


def check_ring_overflow(c, run):
    """A stopped reader with a 4K ring buffer: every event is delivered or counted as dropped."""
    name = "ring_overflow"
    s = run.scenarios.get(name)
    if not c.ok(s is not None, f"{name}: scenario ran", "; ".join(run.errors)):
        return
    workload_ran(c, s, name, drivers=run.drivers)
    (w,) = jlines(s["workload"])
    c.eq((s.get("exit"), s.get("big_exit"), s["big_stderr"]), (0, 0, []), f"{name}: both instances exit 0")
    small, big = jlines(s["trace"]), jlines(s["big"])
    ss = [x for x in small if x.get("type") == "snoop_summary"]
    bs = [x for x in big if x.get("type") == "snoop_summary"]
    if not (c.eq(len(ss), 1, f"{name}: small buffer: one final snoop_summary") and
            c.eq(len(bs), 1, f"{name}: large buffer: one final snoop_summary")):
        return
    ss, bs = ss[0], bs[0]
    c.eq(len([x for x in small if "event" in x]), ss["delivered"], f"{name}: small buffer: delivered = event lines")
    c.eq(len([x for x in big if "event" in x]), bs["delivered"], f"{name}: large buffer: delivered = event lines")
    c.eq(len([x for x in big if x.get("event") == "attach"]), w["attaches"], f"{name}: large buffer: every attach")
    c.eq(bs["drops"], 0, f"{name}: large buffer: nothing dropped")
    c.ok(ss["drops"] > 0, f"{name}: the stopped small buffer dropped events", repr(ss))
    c.eq(ss["delivered"] + ss["drops"], bs["delivered"], f"{name}: delivered + drops = the large buffer's events")
    c.eq(len(s["stderr"]), 1, f"{name}: one warning line")
    c.ok(bool(s["stderr"]) and f"{ss['drops']} events dropped" in s["stderr"][0] and "--ring-buffer" in s["stderr"][0],
         f"{name}: the warning counts the drops and names --ring-buffer", repr(s["stderr"]))


def check_qemu_dma(c, run, q, sm):
    name = "qemu"
    g = sm["groups"][0]
    c.ok(g["dma"] and g["dma"]["bytes_mapped"] >= 64 * MIB and g["dma"]["map_fail"] == 0,
         f"{name}: at least 64 MiB mapped (guest RAM), no failure", repr(g.get("dma")))
    cl = [x for x in sm["dma_clients"] if x["comm"].startswith("qemu")]
    c.ok(len(cl) == 1 and cl[0]["bytes_mapped"] == g["dma"]["bytes_mapped"], f"{name}: qemu is the DMA client",
         repr(sm["dma_clients"]))
    s = scenario(c, run, "qemu_refs")
    if not s:
        return
    ev = ref_events(s)
    gets = [e for e in ev if e["event"] == "device_get" and e["device"] == q["device"] and e["comm"].startswith("qemu")]
    puts = [e for e in ev if e["event"] == "device_put" and e["device"] == q["device"] and e["caller"] == FD_RELEASE]
    c.ok(len(gets) == 1 and len(puts) == 1 and gets[0]["pid"] == puts[0]["pid"],
         "qemu_refs: qemu took the device reference and gave it back at exit", repr(ev))


def check_sanitizer(c, run):
    """mode sanitize: the scenarios above ran build/sanitize/vfiotrace, and it reported nothing."""
    path, _, nsyms = (run.sanitizer_binary or "").partition(" ")
    c.ok(path.endswith("/sanbin/vfiotrace") and nsyms.isdigit() and int(nsyms) > 0,
         "sanitize: vfiotrace on PATH is the ASan+UBSan build", repr(run.sanitizer_binary))
    c.ok(run.sanitizer_done, "sanitize: the guest script listed the sanitizer logs at its end")
    c.eq(run.sanitizer, [], "sanitize: no AddressSanitizer, LeakSanitizer or UBSan report in any run")


def main():
    kernel, mode, path = sys.argv[1:4]
    run = Run(open(path, errors="replace").read())
    c = Checker(kernel)
    c.ok(bool(run.sysfs), "guest has VFIO groups", "; ".join(run.errors))
    check_probes(c, run)
    if mode == "qemu":
        check_qemu(c, run)
    elif mode == "eperm":
        check_eperm_stat(c, run)
        check_snoop(c, run, "eperm_snoop", True)
        check_eperm_diagnose(c, run)
    else:
        check_unprivileged(c, run)
        check_core(c, run)
        check_stat(c, run, "stat")
        check_stat(c, run, "stat_kprobe")
        check_stat(c, run, "sigterm")
        check_snoop(c, run, "snoop", False)
        check_filtered(c, run)
        check_hist(c, run)
        check_self_terminating(c, run)
        check_hold(c, run)
        check_refs_cycle(c, run)
        check_held_exit(c, run)
        check_hung_unbind(c, run)
        check_dma_stat(c, run)
        check_dma_hist(c, run)
        check_dma_memlock(c, run)
        check_dma_fail(c, run)
        check_ring_overflow(c, run)
        check_capacity(c, run)
        check_callers(c, run)
        check_hostile_names(c, run)
    if mode == "sanitize":
        check_sanitizer(c, run)
    print(f"{kernel} {mode}: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
