#!/usr/bin/env python3
"""Compare what vfiotrace reported in a tools/vmtest guest with what really
happened there: IOMMU groups and buses from sysfs, functions from kallsyms,
counts and errnos from the workload's own JSON (tests/vm/guest.sh prints all
of it as "@@ TAG payload" lines).

usage: check.py KERNEL normal|eperm|qemu OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import json
import sys
from collections import defaultdict

# The function that drops the reference a device fd holds, on every kernel
# tested (vfio.ko): the put hook must name it as the caller.
FD_RELEASE = "vfio_device_fops_release"


class Run:
    def __init__(self, text):
        self.sysfs = defaultdict(list)      # group -> [(device, bus)]
        self.kallsyms = {}                  # function -> module
        self.btf_vfio = False
        self.scenarios = {}                 # name -> dict(workload, trace, kprobe, exit, stderr)
        self.errors = []
        cur = None
        for line in text.splitlines():
            if not line.startswith("@@ "):
                continue
            tag, _, rest = line[3:].partition(" ")
            if tag == "sysfs":
                g, dev, bus = rest.split()
                self.sysfs[int(g)].append((dev, bus))
            elif tag == "kallsyms":
                fn, mod = rest.split()
                self.kallsyms[fn] = mod
            elif tag == "btf":
                self.btf_vfio = rest.endswith("yes")
            elif tag == "error":
                self.errors.append(rest)
            elif tag == "begin":
                cur = self.scenarios[rest] = defaultdict(list)
            elif tag == "end":
                cur = None
            elif cur is not None and tag in ("workload", "trace", "kprobe", "stderr"):
                cur[tag].append(rest)
            elif cur is not None and tag == "exit":
                cur["exit"] = int(rest)


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


def scenario(c, run, name):
    s = run.scenarios.get(name)
    if not c.ok(s is not None, f"{name}: scenario ran", "; ".join(run.errors)):
        return None
    c.eq(s.get("exit"), 0, f"{name}: vfiotrace exit status")
    c.eq(s["stderr"], [], f"{name}: nothing on stderr besides the Tracing line")
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
            if r["caller"] == FD_RELEASE and (device is None or r["device"] == device):
                n += r["puts"]
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
    if run.btf_vfio:
        for w in work:
            for dev, n in w["device_closes"].items():
                c.eq(fd_release_puts(summary["groups"], dev), n, f"{name}: puts of {dev} by {FD_RELEASE}")
    else:
        # no module BTF (5.10): device and group are unreadable, so the puts
        # are unattributed; their callers still are known
        c.eq(fd_release_puts([summary["unattributed"]], None),
             sum(sum(w["device_closes"].values()) for w in work),
             f"{name}: puts by {FD_RELEASE} (device unreadable without vfio BTF)")


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
        # the tracing hooks; the diagnosis hooks are checked by check_diag.py
        hooks = [h for h in p[0]["hooks"] if h["hook"] in ("attach", "domain_alloc", "device_put")]
        resolved = {h["function"]: h for h in hooks if h["function"]}
        want = {"vfio_iommu_type1_attach_group"}
        want |= {f for f in ("vfio_device_put_registration",) if f in run.kallsyms} or \
            {"vfio_device_put"}
        want |= {f for f in ("iommu_domain_alloc", "iommu_paging_domain_alloc",
                             "iommu_paging_domain_alloc_flags") if f in run.kallsyms}
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


def check_snoop(c, run, name, want_ret, want_errno):
    s = scenario(c, run, name)
    if not s:
        return
    ev = jlines(s["trace"])
    (w,) = jlines(s["workload"])
    gid = w["group"]
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
        if run.btf_vfio:
            c.eq({e["device"] for e in puts}, set(w["devices"]) & set(w["device_closes"]),
                 f"{name}: device_put devices")
            c.eq({e["refcount"] for e in puts}, {2}, f"{name}: refcount before the put (registration + fd)")


def check_eperm_stat(c, run):
    name = "eperm_stat"
    s, sm = final(c, run, name)
    if not sm:
        return
    by_group = {g["group"]: g for g in sm["groups"]}
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
    rows = [r for g in refs["groups"] for r in g["device_refs"] if r["caller"] == FD_RELEASE]
    c.eq(sum(r["puts"] for r in rows), w["device_fds_closed"], f"{name}: puts after the held fd closed")
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
    c.eq([g["group"] for g in sm["groups"]], [gid], f"{name}: only the assigned group")
    g = sm["groups"][0]
    # one container, one group: QEMU's VFIO_SET_IOMMU attaches once
    c.eq((g["attach_ok"], g["attach_fail"]), (1, 0), f"{name}: one successful attach")
    c.eq(g["domain_allocs"], 1, f"{name}: one domain allocation")
    c.eq(sorted(g["buses"]), sorted({b for _, b in run.sysfs[gid]}), f"{name}: buses (sysfs)")
    c.eq(sorted(g["devices"]), sorted(d for d, _ in run.sysfs[gid]), f"{name}: devices (sysfs)")
    if run.btf_vfio:
        c.eq(fd_release_puts(sm["groups"], q["device"]), 1, f"{name}: QEMU's device fd put at exit")
    else:
        c.eq(fd_release_puts([sm["unattributed"]], None), 1, f"{name}: QEMU's device fd put at exit")


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
        check_snoop(c, run, "eperm_snoop", -1, "EPERM")
        check_eperm_diagnose(c, run)
    else:
        check_unprivileged(c, run)
        check_stat(c, run, "stat")
        check_stat(c, run, "stat_kprobe")
        check_stat(c, run, "sigterm")
        check_snoop(c, run, "snoop", 0, None)
        check_filtered(c, run)
        check_hist(c, run)
        check_self_terminating(c, run)
        check_hold(c, run)
    print(f"{kernel} {mode}: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
