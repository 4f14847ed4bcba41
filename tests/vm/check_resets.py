#!/usr/bin/env python3
"""Compare the device opens, resets and power transitions vfiotrace reported in a
tools/vmtest --flr-device guest (tests/vm/resets.sh) with what happened there:
the workload's own JSON (its VFIO_DEVICE_RESET and hot-reset results, the devices
VFIO_DEVICE_GET_PCI_HOT_RESET_INFO listed, its pid), sysfs (groups, power_state).

usage: check_resets.py KERNEL OUTPUT_FILE
Prints one PASS/FAIL line per assertion, then "N passed, N failed".
"""
import json
import re
import sys
from collections import Counter, defaultdict

from check import Checker, jlines
from check_diag_resets import check as check_diag_resets, parse_tags

NVME, E1000E, E1000 = "0000:00:10.0", "0000:00:03.0", "0000:03:01.0"


def parse(text):
    tags = defaultdict(list)
    for line in text.splitlines():
        if line.startswith("@@ "):
            tag, _, rest = line[3:].partition(" ")
            tags[tag].append(rest)
    return tags


def one(c, tags, name):
    """The workload run NAME exited 0 and printed one JSON line: that line."""
    c.eq((tags.get(name + "_exit"), tags.get(name + "_stderr", [])), (["0"], []),
         f"{name}: the workload exited 0, stderr empty")
    ws = jlines(tags.get(name, []))
    c.eq(len(ws), 1, f"{name}: the workload printed one JSON line")
    return ws[0] if ws else {}


def resets(events, pid, dev=None, trigger=None):
    return [e for e in events if e.get("event") == "reset" and e["pid"] == pid and
            (dev is None or e["device"] == dev) and (trigger is None or e["trigger"] == trigger)]


def check_flr(c, ev, w, major):
    pid = w.get("pid")
    want = {r["device"]: r for r in w.get("resets", [])}.get(NVME, {})
    c.eq((want.get("ok"), want.get("fail")), (3, 0), "flr: the workload's 3 VFIO_DEVICE_RESETs of the NVMe worked")
    ioctl = resets(ev, pid, NVME, "ioctl_reset")
    c.eq(len(ioctl), want.get("ok", -1), "flr: one reset event per VFIO_DEVICE_RESET the workload made")
    c.eq(sorted({(e["method"], e["scope"], e["ret"], tuple(e["devices"]), e["method_inferred"]) for e in ioctl}),
         [("flr", "function", 0, (NVME,), False)], "flr: each reset ran method flr on the NVMe alone, ok")
    c.ok(all(e["tried"] and e["tried"][-1] == {"method": "flr", "ret": 0} for e in ioctl),
         "flr: flr is the last method tried, and it answered 0", repr([e["tried"] for e in ioctl]))
    for trig in ("open", "close"):
        got = resets(ev, pid, NVME, trig)
        c.eq([(e["method"], e["ret"]) for e in got], [("flr", 0)], f"flr: vfio-pci's {trig} reset the NVMe once by FLR")
    opens = [e for e in ev if e.get("event") == "device_open" and e["pid"] == pid and e["device"] == NVME]
    closes = [e for e in ev if e.get("event") == "device_close" and e["pid"] == pid and e["device"] == NVME]
    c.eq(([e["ret"] for e in opens], len(closes)), ([0] * w.get("device_fds_opened", -1), w.get("device_fds_closed", -1)),
         "flr: one device_open (ok) and one device_close per device fd the workload opened and closed")


def check_pm(c, ev, w, major):
    pid = w.get("pid")
    want = {r["device"]: r for r in w.get("resets", [])}.get(E1000E, {})
    c.eq((want.get("ok"), want.get("fail")), (2, 0), "pm: the workload's 2 VFIO_DEVICE_RESETs of the e1000e worked")
    ioctl = resets(ev, pid, E1000E, "ioctl_reset")
    c.eq(len(ioctl), want.get("ok", -1), "pm: one reset event per VFIO_DEVICE_RESET")
    # 5.10 inlines pci_pm_reset: the method is inferred from the order (reset_unhooked)
    c.eq(sorted({(e["method"], e["method_inferred"], e["ret"]) for e in ioctl}), [("pm", major == "5.10", 0)],
         "pm: each reset ran method pm" + (" (inferred: pci_pm_reset is inlined)" if major == "5.10" else ""))


def check_bus(c, ev, w, gb):
    pid = w.get("pid")
    for r in w.get("resets", []):
        got = resets(ev, pid, r["device"], "ioctl_reset")
        c.eq([(e["scope"], e.get("errno"), e["method"]) for e in got], [("refused", "EINVAL", None)] * r["fail"],
             f"bus: {r['device']}: each refused VFIO_DEVICE_RESET (the workload's errno {r['errno']}) reported refused")
        c.eq(r["errno"], 22, f"bus: {r['device']}: the kernel refused VFIO_DEVICE_RESET with EINVAL")
    hr = w.get("hot_reset") or {}
    c.eq((hr.get("ret"), hr.get("groups")), (0, [int(gb)]), "bus: the workload's hot reset passing its group worked")
    info = sorted(d["device"] for d in w.get("hot_reset_info", []))
    got = resets(ev, pid, None, "hot_reset")
    c.eq([(e["scope"], e["method"], e["ret"], e["devices"], e["device"], e["groups_passed"]) for e in got],
         [("bus", "bus", 0, info, hr.get("device"), [int(gb)])],
         "bus: one bus reset, through the workload's device, of exactly the devices HOT_RESET_INFO listed")


def check_incomplete(c, ev, w, ge, gb):
    pid = w.get("pid")
    hr = w.get("hot_reset") or {}
    c.eq((hr.get("errno"), hr.get("groups")), (22, [int(ge)]), "incomplete: the hot reset passing the e1000e's group got EINVAL")
    got = resets(ev, pid, None, "hot_reset")
    c.eq([(e["scope"], e.get("errno"), e["method"], e["devices"]) for e in got],
         [("refused", "EINVAL", None, sorted(d["device"] for d in w.get("hot_reset_info", [])))],
         "incomplete: one refused hot reset, naming the devices it would have reset")
    if got:
        e = got[0]
        c.eq((e.get("missing_groups"), e.get("groups_passed")), ([int(gb)], [int(ge)]),
             "incomplete: the group not passed is named, and the one passed")
        c.eq([(h["group"], h["pid"], h.get("holder_changed")) for h in e.get("missing_group_holders", [])],
             [(int(gb), pid, False)], "incomplete: the missing group's holder is the workload itself (it holds it)")
        c.ok(e.get("cause") and e.get("remedy") and e.get("failed_step") == "reset_refused",
             "incomplete: cause and remedy from the catalogue", repr(e.get("failed_step")))


def check_power(c, ev, tags):
    pw = {l.split()[0]: l.split()[1:] for l in tags.get("power", [])}
    sysfs = pw.get("before", ["-"])[0] != "-"
    for i, dev in ((0, NVME), (1, E1000E)):
        got = [(e["from"], e["to"], e["ret"]) for e in ev if e.get("event") == "power" and e["device"] == dev]
        if sysfs:
            states = [pw.get(k, ["?", "?"])[i] for k in ("before", "after_flr", "after_pm", "end")]
            c.eq(states, ["D3hot"] * 4, f"power: {dev} idles in D3hot between the runs (sysfs power_state)")
        # one open and one close of each: D3hot -> D0 at the open, back at the close
        c.eq(got, [("D3hot", "D0", 0), ("D0", "D3hot", 0)],
             f"power: {dev}: exactly one D3hot -> D0 (open) and one D0 -> D3hot (close), ok")
    bad = [e for e in ev if e.get("event") == "power" and e["device"] not in (NVME, E1000E)]
    c.eq(bad, [], "power: no transition reported for the devices that stay in D0 (the e1000s)")


def check_stat(c, ev, tags):
    st = jlines(tags.get("stat", []))
    c.ok(st, "stat -j printed its summary")
    if not st:
        return
    devs = {d["device"]: d for d in st[-1].get("pci_devices", [])}
    # function resets: the device reset is the one asked through
    ok = Counter((e["device"], e["method"], e["scope"]) for e in ev
                 if e.get("event") == "reset" and e["ret"] == 0 and e["scope"] == "function")
    for dev in (NVME, E1000E):
        d = devs.get(dev, {})
        c.eq((d.get("opens"), d.get("closes")),
             (sum(e.get("event") == "device_open" and e["device"] == dev for e in ev),
              sum(e.get("event") == "device_close" and e["device"] == dev for e in ev)),
             f"stat: {dev}: opens and closes as many as the events")
        rows = {(r["method"], r["scope"]): r["ok"] for r in d.get("resets", [])}
        want = {(m, s): n for (dd, m, s), n in ok.items() if dd == dev}
        c.eq(rows, want, f"stat: {dev}: resets by method as many as the events")
    prom = "\n".join(tags.get("prom", []))
    m = re.search(r'vfiotrace_device_resets_total\{device="%s",method="flr",scope="function",result="ok"\} (\d+)' % NVME, prom)
    c.eq(int(m.group(1)) if m else None, ok.get((NVME, "flr", "function")), "textfile: the NVMe's FLR count as stat's")
    m = re.search(r'vfiotrace_device_power_state\{device="%s"\} (-?\d+)' % NVME, prom)
    pw = {l.split()[0]: l.split()[1:] for l in tags.get("power", [])}
    if pw.get("end", ["-"])[0] != "-":
        c.eq(int(m.group(1)) if m else None, ["D0", "D1", "D2", "D3hot", "D3cold"].index(pw["end"][0]),
             "textfile: the NVMe's power state gauge is sysfs's")


def kernel_at_least(tags, version):
    """The guest's kernel (uname -r) is version (major, minor) or later."""
    got = re.match(r"(\d+)\.(\d+)", (tags.get("kernel") or ["0.0"])[0])
    return (int(got[1]), int(got[2])) >= version


def check_shared(c, tags):
    """Resets of devices that are not VFIO's (the e1000e with its driver, then with none): none
    reported; the idle NVMe's one sysfs reset counted. Where the kernel has kprobe.multi links
    (fprobe in kallsyms), the PCI links' dispatchers ended each other reset's entry and return
    first: once with the entries' dispatcher that reads the device through bpf_rdonly_cast
    (where the kernel has it: 6.2+), once with the helper's; where the links are kprobe.session
    links (6.10+), once more on the kprobe.multi links they replace."""
    fprobe = tags.get("fprobe") == ["1"]
    session = tags.get("session") == ["1"]
    runs = ("shared", "shared_helper") + (("shared_multi",) if session else ())
    c.eq(sorted(r for r in ("shared", "shared_helper", "shared_multi") if r + "_exit" in tags), sorted(runs),
         "the shared-hook runs made: a third on kprobe.multi links iff the kernel has kprobe.session")
    for run in runs:
        done = [r.split() for r in tags.get(run + "_resets", [])]
        c.ok(all(len(r) == 3 and r[2] == ("1" if r[0] == NVME else "2") for r in done) and
             [(r[0], r[1]) for r in done] == ([(E1000E, "e1000e")] if run == "shared" else []) +
             [(E1000E, "-"), (NVME, "vfio-pci")],
             f"{run}: the sysfs resets worked (the e1000e's with its driver, then without; the NVMe's)", done)
        c.eq(tags.get(run + "_exit"), ["0"], f"{run}: stat -j -v exited 0 at SIGINT")
        st = jlines(tags.get(run, []))
        devs = {d["device"]: d for d in (st[-1].get("pci_devices", []) if st else [])}
        c.eq(devs.get(E1000E, {}).get("resets", []), [], f"{run}: no reset of the e1000e (not VFIO's) counted")
        fn = [(r["method"], r["ok"], r["failed"]) for r in devs.get(NVME, {}).get("resets", [])
              if r["scope"] == "function"]
        c.eq(fn, [("flr", 1, 0)], f"{run}: the NVMe's (VFIO's) sysfs reset counted, by FLR")
        said = " ".join(tags.get(run + "_stderr", []))
        begun = re.search(r"calls in progress: (\d+) begun in .bss slots, (\d+) in maps", said)
        c.ok(begun and int(begun[1]) >= 1 and int(begun[2]) == 0,
             f"{run}: the calls in progress (the NVMe's reset among them) in .bss slots, none in a map", said)
        m = re.search(r"PCI core's links ended (\d+) entries and (\d+) returns before dispatch", said)
        cast = "struct pci_dev and struct file read through bpf_rdonly_cast" in said
        c.eq(cast, run != "shared_helper" and kernel_at_least(tags, (6, 2)),
             f"{run}: struct pci_dev and struct file read through bpf_rdonly_cast where the kernel has it, unless told not to")
        c.eq("kprobe.session: entries and returns armed by one link per class" in said,
             session and run != "shared_multi", f"{run}: kprobe.session links where the kernel has them, unless told not to")
        if not fprobe:
            c.ok(m is None, f"{run}: no PCI links without kprobe.multi", said)
            continue
        n = sum(int(r[2]) for r in done if r[0] == E1000E)
        got = tuple(int(x) for x in m.groups()) if m else None
        c.ok(got and min(got) >= n, f"{run}: the PCI links ended at least an entry and a return per reset of "
             "the e1000e before dispatch", f"got {got}, resets {n}")


def main():
    kernel, path = sys.argv[1], sys.argv[2]
    c = Checker(kernel)
    text = open(path, errors="replace").read()
    tags = parse(text)
    major = ".".join(tags.get("kernel", ["?"])[0].split(".")[:2])
    c.eq(tags.get("error", []), [], "the guest script reported no error")
    c.ok("done" in tags, "the guest script ran to its end")
    c.eq((tags.get("snoop_exit"), tags.get("stat_exit")), (["0"], ["0"]), "snoop and stat exited 0 at SIGINT")
    c.eq(tags.get("snoop_stderr", []) + tags.get("stat_stderr", []), [], "nothing on the tracers' stderr")
    ev = jlines(tags.get("snoop", []))
    c.eq(len(ev), len(tags.get("snoop", [])), "every snoop -j line parses")
    gn, ge, gb = (tags.get("groups", ["? ? ?"])[0].split() + ["?"] * 3)[:3]
    check_flr(c, ev, one(c, tags, "flr"), major)
    check_pm(c, ev, one(c, tags, "pm"), major)
    check_bus(c, ev, one(c, tags, "bus"), gb)
    check_incomplete(c, ev, one(c, tags, "incomplete"), ge, gb)
    check_power(c, ev, tags)
    check_stat(c, ev, tags)
    check_diag_resets(parse_tags(text), kernel, c)
    check_shared(c, tags)
    print(f"{kernel} resets: {c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
