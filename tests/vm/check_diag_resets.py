#!/usr/bin/env python3
"""Compare what `vfiotrace diagnose` says of the resets and power state of each
device bound to vfio-pci with the ground truth tests/vm/diag_resets.sh printed
in a tools/vmtest guest: sysfs reset_method where the kernel has it (5.15+),
else what the kernel's probe rules make of the device's config space and its
place in the tree (derived here again, independently of user/kernel/pcireset.c);
power_state, d3cold_allowed, disable_idle_d3, the devices a bus reset would hit;
with `diag_resets --trial`, the kernel's own answer to a function reset.

Use from another checker:
    from check_diag_resets import check, parse_tags
    check(parse_tags(log_text), kernel, c)   # c: check.Checker; adds PASS/FAIL lines to it
usage: check_diag_resets.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "KERNEL diag_resets: N passed, N failed".
"""
import os
import re
import sys
from collections import defaultdict

from check import Checker, jlines

PCI_ADDR = re.compile(r"^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
DEVICE_KEYS = ["device", "group", "reset_methods", "reset_methods_source", "reset_method_status", "function_reset",
               "bus_reset_devices", "bus_reset_groups", "power_state", "power_state_source", "d3cold_allowed",
               "note"]


def parse_tags(text):
    """The log's "@@ TAG payload" lines, in order, as (tag, payload) pairs."""
    out = []
    for line in text.splitlines():
        if line.startswith("@@ "):
            tag, _, rest = line[3:].partition(" ")
            out.append((tag, rest))
    return out


class Truth:
    """What diag_resets printed (its dr_* tags; other tags are ignored)."""

    def __init__(self, tags):
        self.kernel = ""
        self.idle_d3 = None          # "Y", "N", "-" (no such parameter)
        self.pci = {}                # device -> (its directory under /sys/devices, [its secondary buses])
        self.slots = {}              # "DDDD:BB:DD" -> hotplug driver module
        self.devs = None             # the devices bound to vfio-pci
        self.group, self.reset_file, self.power, self.power_after, self.d3cold, self.config = {}, {}, {}, {}, {}, {}
        self.reset_method = {}       # device -> [methods], None without the file
        self.members = defaultdict(list)
        self.trial = {}              # device -> None (no reset file) or (status, message)
        self.sections = {}           # dr_diagnose, dr_diagnose_text -> {"exit", "trace", "stderr", "ended"}
        self.done = False
        cur = None
        for tag, rest in tags:
            f = rest.split()
            if tag == "dr_kernel":
                self.kernel = rest
            elif tag == "dr_idle_d3":
                self.idle_d3 = rest.strip()
            elif tag == "dr_pci":
                self.pci[f[0]] = (f[1], f[2:])
            elif tag == "dr_slot":
                self.slots[f[0]] = f[1]
            elif tag == "dr_devs":
                self.devs = f
            elif tag == "dr_group":
                self.group[f[0]] = int(f[1])
            elif tag == "dr_reset_method":
                self.reset_method[f[0]] = f[2:] if f[1] == "yes" else None
            elif tag == "dr_reset_file":
                self.reset_file[f[0]] = f[1] == "yes"
            elif tag in ("dr_power", "dr_power_after", "dr_d3cold"):
                d = {"dr_power": self.power, "dr_power_after": self.power_after, "dr_d3cold": self.d3cold}[tag]
                d[f[0]] = None if f[1] == "-" else f[1]
            elif tag == "dr_config":
                self.config[f[0]] = f[1] if len(f) > 1 else ""
            elif tag == "dr_member":
                self.members[int(f[0])].append(f[1])
            elif tag == "dr_trial":
                self.trial[f[0]] = None if f[1] == "nofile" else (int(f[1]), " ".join(f[2:]))
            elif tag == "dr_done":
                self.done = True
            elif tag == "begin" and rest.startswith("dr_"):
                cur = self.sections[rest] = {"exit": None, "trace": [], "stderr": [], "ended": False}
            elif tag == "end" and rest.startswith("dr_"):
                if cur is not None:
                    cur["ended"] = True
                cur = None
            elif cur is not None and tag == "dr_exit":
                cur["exit"] = int(rest)
            elif cur is not None and tag in ("dr_trace", "dr_stderr"):
                cur[tag[3:]].append(rest)

    def version(self):
        m = re.match(r"(\d+)\.(\d+)", self.kernel)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

    def sysfs_methods(self):
        """The kernel lists reset methods in sysfs: 5.15+, or any bound device has the file."""
        return self.version() >= (5, 15) or any(v is not None for v in self.reset_method.values())

    # ---- the device tree ----
    @staticmethod
    def bus(dev):
        return dev.rsplit(":", 1)[0]

    def parent(self, dev):
        return os.path.dirname(self.pci[dev][0])

    def bridged(self, dev):
        """dev's bus is the secondary bus of the bridge whose directory holds it."""
        p = os.path.basename(self.parent(dev))
        return bool(PCI_ADDR.match(p)) and p in self.pci and self.bus(dev) in self.pci[p][1]

    def peers(self, dev):
        return sorted(d for d in self.pci if d != dev and self.parent(d) == self.parent(dev)
                      and self.bus(d) == self.bus(dev))

    def below_parent(self, dev):
        pre = self.parent(dev) + "/"
        return sorted(d for d, (path, _) in self.pci.items() if d != dev and path.startswith(pre))

    def pciehp_slot(self, dev):
        return self.slots.get(dev.rsplit(".", 1)[0]) == "pciehp"


def config_facts(hexstr):
    """What the kernel reads of config space (5.10 drivers/pci): None if unreadable."""
    try:
        b = bytes.fromhex(hexstr)
    except ValueError:
        return None
    if len(b) < 256 or b[0:2] == b"\xff\xff":
        return None

    def rd16(o):
        return b[o] | b[o + 1] << 8

    hdr = b[0x0e] & 0x7f
    caps = {}
    if rd16(0x06) & 0x10 and hdr in (0, 1, 2):
        pos, ttl = b[0x34] if hdr in (0, 1) else b[0x14], 48
        while ttl and pos >= 0x40:
            ttl -= 1
            pos &= ~3
            if b[pos] == 0xff:
                break
            caps.setdefault(b[pos], pos)      # pci_find_capability: the first one
            pos = b[pos + 1]
    f = {"multifunction": bool(b[0x0e] & 0x80), "pm": None, "flr": False, "af_flr": False}
    pm = caps.get(0x01)
    if pm is not None and rd16(pm + 2) & 7 <= 3:  # pci_pm_init ignores a PM capability above version 3
        f["pm"] = rd16(pm + 4)
    if 0x10 in caps:
        e = caps[0x10]
        f["flr"] = bool((rd16(e + 4) | rd16(e + 6) << 16) & (1 << 28))
    if 0x13 in caps:
        f["af_flr"] = b[caps[0x13] + 3] & 3 == 3       # TP and FLR
    return f


def bus_ok(t, dev, multifunction):
    """The bus method's checks now: a pciehp slot reset, else the parent bus's with dev alone on it."""
    if t.pci[dev][1]:
        return False                                   # a bridge
    if t.pciehp_slot(dev) and not multifunction:
        return True
    return t.bridged(dev) and not t.peers(dev)


def expected(t, dev):
    """The diagnose fields the ground truth implies for dev."""
    w = {"device": dev, "group": t.group.get(dev)}
    facts = config_facts(t.config.get(dev, ""))
    mf = bool(facts and facts["multifunction"])
    if t.sysfs_methods():
        methods = t.reset_method.get(dev) or []
        w["reset_methods"], w["reset_methods_source"] = methods, "sysfs"
        usable = [m not in ("bus", "cxl_bus") or bus_ok(t, dev, mf) for m in methods]
    elif facts is None:
        w["reset_methods"], w["reset_methods_source"], methods, usable = None, None, [], []
    else:
        methods = [m for m, ok in (("flr", facts["flr"]), ("af_flr", facts["af_flr"]),
                                   ("pm", facts["pm"] is not None and not facts["pm"] & 0x0008),
                                   ("bus", bus_ok(t, dev, mf))) if ok]
        w["reset_methods"], w["reset_methods_source"] = methods, "config"
        usable = [t.reset_file.get(dev, False)] * len(methods)   # 5.10: no reset file, every reset refused
    w["reset_method_status"] = list(zip(methods, usable))
    w["function_reset"] = any(usable) if w["reset_methods"] is not None else None
    if t.bridged(dev):
        w["bus_reset_devices"] = t.below_parent(dev)
        w["bus_reset_groups"] = sorted({t.group[dev]} | {g for g, ms in t.members.items()
                                                         if set(ms) & set(w["bus_reset_devices"])})
    else:
        w["bus_reset_devices"] = w["bus_reset_groups"] = None
    if t.power.get(dev) is not None:
        w["power_state"], w["power_state_source"] = t.power[dev], "sysfs"
    elif facts is not None:
        pm = facts["pm"]
        w["power_state"] = ("D0", "D1", "D2", "D3hot")[pm & 3] if pm is not None else "D0"
        w["power_state_source"] = "config"
    else:
        w["power_state"] = w["power_state_source"] = None
    w["d3cold_allowed"] = None if t.d3cold.get(dev) is None else t.d3cold[dev] != "0"
    return w


def check(tags, kernel, c):
    """Every assertion on one guest's diag_resets output; tags from parse_tags, c a check.Checker."""
    t = Truth(tags)
    c.ok(t.done, "diag_resets: ran to its end (@@ dr_done)")
    if not c.ok(bool(t.devs), "diag_resets: devices bound to vfio-pci (non-empty ground truth)", repr(t.devs)):
        return
    c.eq(sorted(d for d in t.devs if d not in t.pci), [], "diag_resets: every bound device is in the device tree")
    s = t.sections.get("dr_diagnose")
    if not c.ok(s is not None and s["ended"], "diagnose -j: ran, its log section complete"):
        return
    c.eq(s["stderr"], [], "diagnose -j: nothing on stderr")
    js = jlines(s["trace"])
    if not c.eq(len(js), 1, "diagnose -j: one JSON line"):
        return
    d = js[0]
    fails = [x for x in d["checks"] if x["status"] == "FAIL"]
    c.eq(s["exit"], 1 if fails else 0, "diagnose -j: exit 1 exactly when a check fails")
    want_d3 = {"Y": True, "N": False, "1": True, "0": False}.get(t.idle_d3)
    c.eq(d.get("disable_idle_d3", "missing"), want_d3, "diagnose -j: disable_idle_d3 (sysfs module parameter)")
    idle = [x for x in d["checks"] if x["check"] == "disable_idle_d3"]
    c.eq(len(idle), 0 if want_d3 is None else 1, "diagnose -j: one disable_idle_d3 check when vfio_pci is loaded")
    if want_d3 is False and idle:
        c.ok("D3hot" in idle[0]["detail"] and "disable_idle_d3=1" in (idle[0]["remedy"] or ""),
             "diagnose: disable_idle_d3=N is explained (D3hot when idle) with the remedy", repr(idle[0]))
    by = {v["device"]: v for v in d.get("vfio_devices", [])}
    c.eq(sorted(by), sorted(t.devs), "diagnose -j: vfio_devices are the devices bound to vfio-pci (sysfs)")
    checks = defaultdict(dict)
    for x in d["checks"]:
        if x.get("device"):
            checks[x["device"]][x["check"]] = x
    for dev in sorted(t.devs):
        v = by.get(dev)
        if v is None:
            continue
        w = expected(t, dev)
        c.eq(sorted(v), sorted(DEVICE_KEYS), f"{dev}: keys")
        src = "sysfs reset_method" if w["reset_methods_source"] == "sysfs" else "config space (5.10 rules)"
        c.eq(v.get("reset_methods"), w["reset_methods"], f"{dev}: reset_methods, in the kernel's order ({src})")
        c.eq(v.get("reset_methods_source"), w["reset_methods_source"], f"{dev}: reset_methods_source")
        got = [(m.get("method"), m.get("usable")) for m in v.get("reset_method_status", [])]
        c.eq(got, w["reset_method_status"], f"{dev}: each method's usable now (the bus method needs the device "
             "alone on its bus; 5.10 refuses all without a sysfs reset file)")
        c.ok(all((m["reason"] is None) == m["usable"] for m in v.get("reset_method_status", [])),
             f"{dev}: a reason exactly for each unusable method", repr(v.get("reset_method_status")))
        for m in v.get("reset_method_status", []):
            if m["method"] == "bus" and not m["usable"] and t.peers(dev):
                c.ok(all(p in m["reason"] for p in t.peers(dev)[:4]),
                     f"{dev}: the unusable bus method names the devices sharing the bus", m["reason"])
        c.eq(v.get("function_reset"), w["function_reset"], f"{dev}: function_reset")
        trial = t.trial.get(dev, "absent")
        if trial != "absent":
            c.eq(v.get("function_reset"), trial is not None and trial[0] == 0,
                 f"{dev}: function_reset is the kernel's answer to a function reset (sysfs reset: {trial})")
        c.eq(v.get("bus_reset_devices"), w["bus_reset_devices"],
             f"{dev}: bus_reset_devices (everything under its bridge but itself; null on a root bus)")
        c.eq(v.get("bus_reset_groups"), w["bus_reset_groups"], f"{dev}: bus_reset_groups (iommu_group links)")
        c.eq((v.get("power_state"), v.get("power_state_source")), (w["power_state"], w["power_state_source"]),
             f"{dev}: power_state ({'sysfs' if t.power.get(dev) else 'PMCSR'}) and its source")
        if t.power.get(dev) is not None:
            c.eq(t.power_after.get(dev), t.power[dev], f"{dev}: diagnose did not change the power state (sysfs)")
        c.eq(v.get("d3cold_allowed"), w["d3cold_allowed"], f"{dev}: d3cold_allowed (sysfs)")
        c.eq(v.get("group"), w["group"], f"{dev}: group (iommu_group link)")
        rc = checks[dev].get("device_reset")
        if c.ok(rc is not None, f"{dev}: a device_reset check"):
            want = {True: "OK", False: "WARN", None: "INFO"}[w["function_reset"]]
            c.eq(rc["status"], want, f"{dev}: device_reset is {want} (function_reset {w['function_reset']})")
            if w["function_reset"] is False:
                c.ok(rc["remedy"] and "leaks" in rc["remedy"], f"{dev}: the warning names the consequence",
                     repr(rc["remedy"]))
                if w["bus_reset_devices"] is not None:
                    c.ok(all(x in rc["detail"] for x in w["bus_reset_devices"][:4]) and "only a bus reset" in rc["detail"],
                         f"{dev}: only a bus reset: the warning names the devices it would also reset", rc["detail"])
                else:
                    c.ok("no reset method at all" in rc["detail"], f"{dev}: no reset at all", rc["detail"])
        c.ok("device_power" in checks[dev], f"{dev}: a device_power check")
    tx = t.sections.get("dr_diagnose_text")
    if c.ok(tx is not None and tx["ended"], "diagnose text: ran, its log section complete"):
        c.eq(tx["exit"], s["exit"], "diagnose text: the same exit status as -j")
        c.eq(tx["stderr"], [], "diagnose text: nothing on stderr")
        c.eq(len(tx["trace"]), len(d["checks"]), "diagnose text: one line per check")
        for dev in sorted(t.devs):
            lines = [l for l in tx["trace"] if l.split()[1:3] == ["device_reset", dev]]
            v = by.get(dev, {})
            want = {True: "OK", False: "WARN", None: "INFO"}[v.get("function_reset")]
            c.ok(len(lines) == 1 and lines[0].startswith(want), f"{dev}: one {want} device_reset text line", repr(lines))
            if lines and v.get("function_reset") is False and v.get("bus_reset_devices"):
                c.ok(all(x in lines[0] for x in v["bus_reset_devices"][:4]),
                     f"{dev}: the text warning names the devices a bus reset would also reset", lines[0])


def main():
    kernel, path = sys.argv[1:3]
    c = Checker(kernel)
    check(parse_tags(open(path, errors="replace").read()), kernel, c)
    print(f"{kernel} diag_resets: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
