#!/usr/bin/env python3
"""Runs in a tools/vmtest --hostroot guest; tools/bench parses what it prints.

Phases, each with its configurations interleaved round by round so that drift
in the emulated machine hits all of them alike:
  startup  exec -> the line that says tracing has begun, for vfiotrace stat,
           the floor loader (plain and CO-RE) and bpftrace (BEGIN after attach);
  perhit   the same VFIO workload under each tracer: wall time and the
           tracer's own BPF run time (its prog fds' run_time_ns / run_cnt);
           vfiotrace's memory (VmHWM, VmRSS, map memlock) after the workload;
  scale    user+system CPU of `vfiotrace stat` over a small and a large workload;
  snoop    events per second `vfiotrace snoop -j` delivers, and its drops;
  storm    an IOMMU fault storm (an e1000 fetching from an unmapped IOVA as fast as the workload
           bumps its ring, vfio-workload --fault-nowait): untraced, under `stat -j`, `snoop -j`
           and `snoop -j --dma`; the DMAR interrupts (the IOMMU's own count), what each tracer
           counted, the tracer's CPU time over the storm (/proc/PID/stat utime+stime), the
           workload's wall time, kp_dmar_fault's BPF run time;
  groups   (only when asked for) with 0, 2 and every group of the guest (tools/vmtest --nics) seen:
           the CPU of `stat [-j] 1` per interval, a Prometheus scrape (wall time at the client, and
           the server's CPU), VmHWM and map memory;
  shared   (only when asked for, last: it unbinds a NIC) resets of a device that is not VFIO's,
           under the floor and vfiotrace: what a hit on the PCI core's shared hooks costs.
Every result is one line: @@ JSON.

usage: guest.py FLOOR ATTACHES ROUNDS STARTUP_RUNS SCALE_SMALL SCALE_LARGE [BASELINE]
BASELINE: another vfiotrace binary (e.g. the last release), measured as "baseline".
Environment: BENCH_PHASES (comma-separated, default every phase), BENCH_STORM (faults per storm,
default 10000), BENCH_STORM_ROUNDS (default ROUNDS), BENCH_GROUPS_WINDOW (seconds of intervals
per groups sample, default 10), BENCH_SHARED_RESETS (default 100), BENCH_PERHIT_CONFIGS (per hit's
configurations besides none and floor, comma-separated; default: all), BENCH_PERF (1: per hit's
warm workload under perf record; its samples in BPF programs).
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

floor_bin, n, rounds, startup_runs, small, large = sys.argv[1], *map(int, sys.argv[2:7])
baseline = sys.argv[7] if len(sys.argv) > 7 else None
out = "/tmp/bench"
os.makedirs(out, exist_ok=True)
group = min(int(g) for g in os.listdir("/dev/vfio") if g.isdigit())
phases = set(os.environ.get("BENCH_PHASES", "startup,profile,perhit,scale,snoop,storm").split(","))
storm_n = int(os.environ.get("BENCH_STORM", "10000"))
storm_rounds = int(os.environ.get("BENCH_STORM_ROUNDS", str(rounds)))


last_emit, emitting = time.monotonic(), threading.Lock()


def emit(**kv):
    global last_emit
    with emitting:	# whole lines: the watchdog emits too
        last_emit = time.monotonic()
        print("@@ " + json.dumps(kv), flush=True)


def watchdog(stall_s):
    """No result for stall_s seconds (one 6.12 boot sat idle for 15 minutes, docs/benchmarks.md run
    20): what every task is doing, as a result of kind "stall" and, by sysrq, on the console. Again
    after each further stall_s without a result."""
    while True:
        time.sleep(10)
        idle = time.monotonic() - last_emit
        if idle < stall_s:
            continue
        ps = subprocess.run(["ps", "-eo", "pid,stat,wchan:32,etime,args"], capture_output=True, text=True).stdout
        stacks = {}
        for line in ps.splitlines()[1:]:
            pid, stat = line.split()[:2]
            if stat[0] in "DS" and not line.rstrip().endswith("]"):	# user tasks asleep; not kernel threads
                try:
                    stacks[pid] = open(f"/proc/{pid}/stack").read()
                except OSError:
                    pass
        with open("/proc/sysrq-trigger", "w") as f:
            f.write("w")	# blocked tasks, on the console
        emit(kind="stall", seconds=round(idle), ps=ps, stacks=stacks)


threading.Thread(target=watchdog, args=(int(os.environ.get("BENCH_STALL_S", "600")),), daemon=True).start()


def probes(*extra):
    p = subprocess.run(["vfiotrace", "probes", "-j", *extra], capture_output=True, text=True, check=True)
    return json.loads(p.stdout)["hooks"]


# The PCI core's hooks: they run inside vfio-pci's open and close (resets, D-states), outside the
# attach, reference and DMA paths; floor-work counts them in programs of their own (pk:, pr:).
PCI_HOOKS = {"reset", "reset_method", "reset_bus", "power"}


def floor_args(hooks):
    """k:/r: for every probe vfiotrace attaches: the floor's empty programs go to the same places."""
    args = []
    for h in hooks:
        if not h["function"] or h["style"] == "none":
            continue
        p = "p" if h["hook"] in PCI_HOOKS else ""
        if h.get("entry_probe", True):
            args.append(p + "k:" + h["function"])
        if h["return_probe"]:
            args.append(p + "r:" + h["function"])
    return args


hooks, hooks_dma = probes(), probes("--dma")
fn = {}
for h in hooks:
    if h["function"]:
        fn.setdefault(h["hook"], []).append(h["function"])
attach, put, allocs = fn["attach"][0], fn["device_put"][0], fn["domain_alloc"]
alloc_k = ", ".join("kprobe:" + a for a in allocs)
alloc_r = ", ".join("kretprobe:" + a for a in allocs)
with open(f"{out}/floor.bt", "w") as f:
    f.write(f"BEGIN {{ printf(\"Tracing\\n\"); }}\n"
            f"kprobe:{attach}, kretprobe:{attach}, {alloc_k}, {alloc_r}, kprobe:{put} {{}}\n")
with open(f"{out}/equiv.bt", "w") as f:
    f.write(f"""BEGIN {{ printf("Tracing\\n"); }}
kprobe:{attach} {{ @g[tid] = ((struct iommu_group *)arg1)->id; @t[tid] = nsecs; }}
kretprobe:{attach} /@t[tid]/ {{
	if ((int32)retval == 0) {{ @ok[@g[tid]] = count(); }} else {{ @fail[@g[tid], (int32)retval] = count(); }}
	@attach_ns[@g[tid]] = hist(nsecs - @t[tid]);
	delete(@t[tid]); delete(@g[tid]);
}}
{alloc_k} {{ @at[tid] = nsecs; }}
{alloc_r} /@at[tid]/ {{ @alloc_ns = hist(nsecs - @at[tid]); @allocs = count(); delete(@at[tid]); }}
kprobe:{put} {{ @puts[kstack(3)] = count(); }}
""")

configs = {
    "vfiotrace": ["vfiotrace", "stat"],
    "vfiotrace-refs": ["vfiotrace", "refs"],
    "vfiotrace-dma": ["vfiotrace", "stat", "--dma"],
    "vfiotrace-snoop": ["vfiotrace", "snoop", "-j"],
    "vfiotrace-stat-j": ["vfiotrace", "stat", "-j"],
    "vfiotrace-snoop-dma": ["vfiotrace", "snoop", "-j", "--dma"],
    "floor": [floor_bin, *floor_args(hooks)],
    "floor-core": [floor_bin, "--core", *floor_args(hooks)],
    "floor-dma": [floor_bin, *floor_args(hooks_dma)],
    "floor-work": [floor_bin, "--core", "--work", *floor_args(hooks)],
    "floor-work-dma": [floor_bin, "--core", "--work", *floor_args(hooks_dma)],
    "bpftrace-floor": ["bpftrace", "-B", "line", f"{out}/floor.bt"],
    "bpftrace-equivalent": ["bpftrace", "-B", "line", f"{out}/equiv.bt"],
    "baseline": [baseline or "false", "stat"],
}
with_baseline = ["baseline"] if baseline else []
def clocksource():
    with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
        return f.read().strip()


emit(kind="meta", kernel=os.uname().release, group=group, attach=attach, put=put, allocs=allocs,
     floor_probes=len(configs["floor"]) - 1, floor_dma_probes=len(configs["floor-dma"]) - 1,
     clocksource=clocksource())


def progs_since(s0, s1):
    """run time and runs per program between two Tracer.status()"""
    return {k: [v[0] - s0.get("progs", {}).get(k, (0, 0))[0], v[1] - s0.get("progs", {}).get(k, (0, 0))[1]]
            for k, v in s1.get("progs", {}).items()}


class Tracer:
    """One tracer process; stdout and stderr go to files, polled for the Tracing line."""

    def __init__(self, name):
        self.name = name
        self.files = [open(f"{out}/{name}.{s}", "w+") for s in ("out", "err")]
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(configs[name], stdout=self.files[0], stderr=self.files[1])
        self.ready = None
        deadline = self.t0 + 60
        while time.monotonic() < deadline and self.p.poll() is None:
            if any(re.search(r"^Tracing", self.read(i), re.M) for i in (0, 1)):
                self.ready = time.monotonic() - self.t0
                break
            time.sleep(0.002)
        if self.ready is not None and name.startswith("bpftrace"):
            time.sleep(0.2)	# BEGIN runs after attach, but let its output settle

    def read(self, i):
        with open(self.files[i].name) as f:
            return f.read()

    def status(self):
        st = {}
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    st[k] = int(v.split()[0])
        st["map_bytes"], st["maps"], st["prog_ns"], st["prog_runs"] = 0, 0, 0, 0
        ids, map_ids = {}, set()
        fds = f"/proc/{self.p.pid}/fd"
        for fd in os.listdir(fds):
            try:
                kind = os.readlink(f"{fds}/{fd}")
                info = open(f"/proc/{self.p.pid}/fdinfo/{fd}").read()
            except OSError:
                continue
            kv = dict(re.findall(r"^(\w+):\s*(\S+)", info, re.M))
            # a map or program held by several fds (vfiotrace's parts reuse the maps) counts once
            if kind == "anon_inode:bpf-map" and kv.get("map_id", fd) not in map_ids:
                map_ids.add(kv.get("map_id", fd))
                st["maps"] += 1
                st["map_bytes"] += int(kv.get("memlock", 0))
            elif kind == "anon_inode:bpf-prog" and kv.get("prog_id") not in ids:
                st["prog_ns"] += int(kv.get("run_time_ns", 0))
                st["prog_runs"] += int(kv.get("run_cnt", 0))
                ids[kv.get("prog_id")] = (int(kv.get("run_time_ns", 0)), int(kv.get("run_cnt", 0)))
        if any(runs for _, runs in ids.values()):	# where the time goes, per program
            names = {str(p["id"]): p.get("name", "?") for p in json.loads(subprocess.run(
                ["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout or "[]")}
            st["progs"] = {names.get(i, i): v for i, v in ids.items() if v[1]}
        return st

    def stop(self):
        """SIGINT, then the exit status and the CPU time of the whole run; exit_s: SIGINT to reaped."""
        rc, ru = self.p.returncode, None
        self.exit_s, t0 = None, time.monotonic()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30	# every wait in the guest is bounded
        while rc is None:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                rc = self.p.returncode = os.waitstatus_to_exitcode(status)
                self.exit_s = time.monotonic() - t0
            elif time.monotonic() > deadline:
                self.p.kill()
                deadline = float("inf")
            else:
                time.sleep(0.01)
        if self.ready is None or rc:
            print(f"bench: {self.name} (ready {self.ready}, exit {rc}): {self.read(1)[-600:]}",
                  file=sys.stderr, flush=True)
        for f in self.files:
            f.close()
        return rc, ru


# --dma-maps K: each attach also maps and unmaps a 64 KiB buffer K times (the DMA path's hooks)
dma_maps = int(os.environ.get("BENCH_DMA_MAPS", "0"))
dma_args = ["--dma", "65536", "--dma-count", str(dma_maps)] if dma_maps else []


def workload(k, perf=False):
    """perf: under perf record; then also the samples taken, and those in BPF programs (or in
    what they called: a bpf_prog_ frame in the call chain)"""
    t0 = time.monotonic()
    cmd = ["vfio-workload", "-n", str(k), "-g", str(group), *dma_args]
    if perf:
        cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "25000", "-a", "-g", "-o", f"{out}/perf.data", "--",
               *cmd]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
    wall = time.monotonic() - t0
    if not perf:
        return p.returncode, wall
    where = source_lines()	# while the tracer's programs are loaded
    s = subprocess.run(["perf", "script", "-i", f"{out}/perf.data", "-F", "ip,sym"], capture_output=True, text=True)
    blocks = s.stdout.split("\n\n")
    progs, leaves, lines = {}, {}, {}
    for b in blocks:
        # each line: "ip sym"
        frames = [(f.split(None, 1) + ["?"]) for f in b.strip().splitlines()]
        i = next((i for i, f in enumerate(frames) if f[1].startswith("bpf_prog_")), None)
        if i is None:
            continue
        inner = frames[i][1]
        # bpf_prog_<tag>_<name>: the innermost program; the leaf is where the sample fell
        name = inner.split("_", 3)[-1] if inner.count("_") >= 3 else inner
        progs[name] = progs.get(name, 0) + 1
        leaf = "(the program)" if i == 0 else frames[0][1].split("+")[0]
        leaves[leaf] = leaves.get(leaf, 0) + 1
        # the program's line: where it was, or (below a call) the call's, its return address less one
        line = where(int(frames[i][0], 16) - (i > 0)) if frames[i][0].isalnum() else None
        if line:
            key = f"{name}: {line}" + ("" if i == 0 else f" [{leaf}]")
            lines[key] = lines.get(key, 0) + 1
    return p.returncode, wall, len(blocks), sum(progs.values()), progs, leaves, lines


def source_lines():
    """A function from an address in a loaded BPF program's JIT image to "file:line source" of the
    line it is in (bench-linemap: the programs' BTF line info), None outside them or without it."""
    linemap = "/mnt/add/bench-linemap"
    ids = [str(p["id"]) for p in json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                                                            text=True).stdout or "[]")]
    if not os.path.exists(linemap) or not ids:
        return lambda ip: None
    funcs, starts = [], {}
    for l in subprocess.run([linemap, *ids], capture_output=True, text=True).stdout.splitlines():
        f = l.split(" ", 4)
        if f[1] == "FUNC":
            funcs.append((int(f[2], 16), int(f[2], 16) + int(f[3]), f[0]))
        elif len(f) == 5:
            starts.setdefault(f[0], []).append((int(f[2], 16), f"{f[3]} {' '.join(f[4].split())[:80]}"))
    for v in starts.values():
        v.sort()

    def where(ip):
        prog = next((p for a, e, p in funcs if a <= ip < e), None)
        before = [t for a, t in starts.get(prog, []) if a <= ip]
        return before[-1] if before else None
    return where


with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
    f.write("1")

# start-up: exec -> Tracing; then stopped at once
startup_only = [c for c in os.environ.get("BENCH_STARTUP_CONFIGS", "").split(",") if c]
for r in range(startup_runs if "startup" in phases else 0):
    for c in ["floor", "floor-core", "vfiotrace", *with_baseline, "bpftrace-floor", "bpftrace-equivalent"]:
        if startup_only and c not in ["floor-core", *startup_only]:
            continue
        t = Tracer(c)
        st = t.status() if t.p.poll() is None else {}
        rc, _ = t.stop()
        emit(kind="startup", config=c, round=r, ready_s=t.ready, exit_s=t.exit_s, rc=rc, **st)

# where vfiotrace's start-up goes: its -v profile, and -vv's verifier statistics per program
for args in (["-v"], ["-vv"]) if "profile" in phases else ():
    p = subprocess.Popen(["vfiotrace", "stat", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    lines = []
    for line in p.stderr:
        if "profile:" in line or "verification time" in line or "-- BEGIN PROG LOAD LOG --" in line:
            lines.append(line.strip())
        if line.startswith("Tracing"):
            p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    emit(kind="profile", args=args, lines=lines)

# per hit: the workload under each tracer
perhit_only = [c for c in os.environ.get("BENCH_PERHIT_CONFIGS", "").split(",") if c]
perf = os.environ.get("BENCH_PERF") == "1"
for r in range(rounds if "perhit" in phases else 0):
    for c in ["none", "floor", "floor-work", "floor-dma", "floor-work-dma", "bpftrace-floor", "vfiotrace",
              "vfiotrace-refs", "vfiotrace-dma", *with_baseline, "bpftrace-equivalent"]:
        if perhit_only and c not in ["none", "floor", *perhit_only]:
            continue
        t = Tracer(c) if c != "none" else None
        wrc, wall = workload(n)
        res = dict(kind="perhit", config=c, round=r, wall_s=wall, workload_rc=wrc)
        if t:
            res.update(t.status(), ready_s=t.ready)
            # warm: the same workload again. Under TCG the first run of every path of a newly
            # loaded program pays its translation; the second batch is the steady state.
            wrc2, _, *samples = workload(n, perf)
            if samples:
                res.update(perf_samples=samples[0], perf_bpf=samples[1], perf_progs=samples[2],
                           perf_leaves=samples[3], perf_lines=samples[4])
            st = t.status()
            res.update(warm_ns=st["prog_ns"] - res["prog_ns"], warm_runs=st["prog_runs"] - res["prog_runs"],
                       warm_progs=progs_since(res, st),
                       workload_rc=wrc or wrc2)
            res["rc"], _ = t.stop()
        emit(**res)

# scaling: CPU time of the whole stat run, small and large workload
for k in (small, large) if "scale" in phases else ():
    t = Tracer("vfiotrace")
    wrc, wall = workload(k)
    st = t.status()
    rc, ru = t.stop()
    emit(kind="scale", attaches=k, wall_s=wall, workload_rc=wrc, rc=rc, ready_s=t.ready,
         utime_s=ru.ru_utime if ru else None, stime_s=ru.ru_stime if ru else None,
         VmHWM=st["VmHWM"], VmRSS=st["VmRSS"])


def snoop_phase():
    """snoop: events delivered per second of workload, and drops"""
    t = Tracer("vfiotrace-snoop")
    wrc, wall = workload(n)
    rc, _ = t.stop()
    events = 0
    m = re.search(r"(\d+) events dropped", t.read(1))
    drops = int(m.group(1)) if m else 0
    for line in t.read(0).splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if "event" in o:
            events += 1
    emit(kind="snoop", attaches=n, wall_s=wall, workload_rc=wrc, rc=rc, ready_s=t.ready, events=events,
         drops=drops)


if "snoop" in phases:
    snoop_phase()


def dmar_irqs():
    total = 0
    with open("/proc/interrupts") as f:
        for line in f:
            if "DMAR" in line:
                for x in line.split(":", 1)[1].split():
                    if not x.isdigit():
                        break
                    total += int(x)
    return total


def cpu_ticks(pid):
    """utime + stime of pid so far, in clock ticks (/proc/PID/stat fields 14 and 15)"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def jsons(text):
    for line in text.splitlines():
        try:
            yield json.loads(line)
        except ValueError:
            pass


def storm(config, r):
    """One storm of storm_n faults under config ("none": untraced)."""
    # the second e1000 behind the PCIe-to-PCI bridge (tools/vmtest's topology; --nics moves its bus)
    dev = sorted(d for d in os.listdir("/sys/bus/pci/devices")
                 if open(f"/sys/bus/pci/devices/{d}/vendor").read().strip() == "0x8086" and
                 open(f"/sys/bus/pci/devices/{d}/device").read().strip() == "0x100e")[-1]
    g = int(os.path.basename(os.readlink(f"/sys/bus/pci/devices/{dev}/iommu_group")))
    t = Tracer(config) if config != "none" else None
    c0 = cpu_ticks(t.p.pid) if t else 0
    d0 = dmar_irqs()
    p = subprocess.run(["vfio-workload", "-g", str(g), "--dma-fault", f"never,{storm_n}", "--fault-nowait",
                        "--fault-pace", "0", "--fault-device", dev], capture_output=True, text=True, timeout=1800)
    d1 = dmar_irqs()
    res = dict(kind="storm", config=config, round=r, fetches=storm_n, dmar=d1 - d0, workload_rc=p.returncode)
    w = next(jsons(p.stdout), {}).get("dma_fault") or {}
    res["wall_s"] = (w.get("last_ns", 0) - w.get("first_ns", 0)) / 1e9
    res["provoked"] = w.get("provoked")
    if t:
        time.sleep(1)	# the last events delivered (snoop) before the CPU time is read
        ticks = cpu_ticks(t.p.pid) - c0
        st = t.status()
        res["rc"], ru = t.stop()
        progs = st.get("progs", {})
        res.update(ready_s=t.ready, cpu_s=ticks / os.sysconf("SC_CLK_TCK"),
                   run_utime_s=ru.ru_utime if ru else None, run_stime_s=ru.ru_stime if ru else None,
                   VmHWM=st["VmHWM"], dmar_prog=progs.get("fe_dmar_fault") or progs.get("kp_dmar_fault"))
        lines = list(jsons(t.read(0)))
        if config == "vfiotrace-stat-j":
            last = [o for o in lines if o.get("type") == "summary"][-1:]
            res["counted"] = sum(x.get("iommu_faults", 0) for o in last for x in o.get("groups", []))
            res["interrupts"] = last[0].get("iommu_fault_interrupts") if last else None
        else:
            s = [o for o in lines if o.get("type") == "snoop_summary"][-1:]
            res["delivered"] = sum(1 for o in lines if o.get("event") == "iommu_fault")
            res["fault_drops"] = s[0].get("iommu_fault_drops") if s else None
            res["counted"] = res["delivered"] + (res["fault_drops"] or 0)
    emit(**res)


for r in range(storm_rounds if "storm" in phases else 0):
    for c in ["none", "vfiotrace-stat-j", "vfiotrace-snoop", "vfiotrace-snoop-dma"]:
        storm(c, r)


def cpu_ns(pid):
    """CPU time of pid so far in ns (/proc/PID/schedstat), the tick count's where it is absent"""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return cpu_ticks(pid) * 1e9 / os.sysconf("SC_CLK_TCK")


def scrape(port):
    """One GET of /metrics: (seconds, bytes, series)"""
    import urllib.request
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        body = r.read()
    return time.monotonic() - t0, len(body), sum(1 for l in body.splitlines() if l and not l.startswith(b"#"))


def groups_phase(window, scrapes=20):
    """Cost per group of what grows with the groups vfiotrace has seen: the interval render (JSON
    and text), a Prometheus scrape, memory. With 0, 2 and every group of the guest (tools/vmtest
    --nics): each group attached once by one workload, then `window` seconds of 1 s intervals.
    With BASELINE, it too, interleaved (config "baseline")."""
    gs = sorted(int(x) for x in os.listdir("/dev/vfio") if x.isdigit())
    # the scrapes go to 127.0.0.1: tools/vmtest brings lo up only with --forward
    if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode:
        subprocess.run(["ifconfig", "lo", "127.0.0.1", "up"])
    for r in range(rounds):
        for k in sorted({0, min(2, len(gs)), len(gs)}):
            for fmt, (config, binary) in [(f, c) for f in ("json", "text")
                                          for c in [("vfiotrace", "vfiotrace"), *[("baseline", baseline)] * bool(baseline)]]:
                name = f"groups-{fmt}-{config}"
                configs[name] = [binary, "stat", *(["-j"] if fmt == "json" else []), "1",
                                 "--prometheus", "127.0.0.1:9477"]
                t = Tracer(name)
                wrc = 0
                if k:
                    args = ["vfio-workload", "-n", "1"]
                    for g in gs[:k]:
                        args += ["-g", str(g)]
                    wrc = subprocess.run(args, stdout=subprocess.DEVNULL, timeout=1800).returncode
                time.sleep(1.5)		# the workload's last interval rendered
                c0 = cpu_ns(t.p.pid)
                time.sleep(window)
                cpu = cpu_ns(t.p.pid) - c0
                c1 = cpu_ns(t.p.pid)
                sc = [scrape(9477) for _ in range(scrapes)] if fmt == "json" else []
                # the server's own CPU per scrape: the wall time above includes this client's
                scpu = (cpu_ns(t.p.pid) - c1) / len(sc) if sc else None
                st = t.status()
                out_lines = t.read(0).splitlines()
                rc, _ = t.stop()
                last = [o for o in jsons("\n".join(out_lines)) if o.get("type") == "summary"][-1:]
                emit(kind="groups", round=r, groups=k, fmt=fmt, config=config, workload_rc=wrc, rc=rc, ready_s=t.ready,
                     window_s=window, cpu_ns=cpu, intervals=window,
                     seen=len(last[0].get("groups", [])) if last else None,
                     scrape_s=sorted(x[0] for x in sc)[len(sc) // 2] if sc else None,
                     scrape_bytes=sc[0][1] if sc else None, series=sc[0][2] if sc else None,
                     scrape_cpu_ns=scpu,
                     VmHWM=st["VmHWM"], VmRSS=st["VmRSS"], map_bytes=st["map_bytes"])


if "groups" in phases:
    groups_phase(int(os.environ.get("BENCH_GROUPS_WINDOW", "10")))


def shared_phase(resets, warm):
    """Hits on the PCI core's reset and power hooks by a device that is not VFIO's: the last of
    tools/vmtest --nics' e1000e, unbound from vfio-pci (no driver), reset through sysfs `resets`
    times untraced ("none"), under the floor's empty programs and under vfiotrace. Every hit must be
    filtered out. cpu_ns: the resetting thread's CPU time (its kernel work included: the probes'
    dispatch besides the programs), which --icount makes a count of instructions."""
    nics = sorted(d for d in os.listdir("/sys/bus/pci/devices")
                  if open(f"/sys/bus/pci/devices/{d}/vendor").read().strip() == "0x8086" and
                  open(f"/sys/bus/pci/devices/{d}/device").read().strip() == "0x10d3")[1:]
    if not nics:
        return
    dev = nics[-1]
    drv = f"/sys/bus/pci/devices/{dev}/driver"
    if os.path.exists(drv):
        with open(f"{drv}/unbind", "w") as f:
            f.write(dev)
    def reset(n):
        for _ in range(n):
            with open(f"/sys/bus/pci/devices/{dev}/reset", "w") as f:
                f.write("1")

    for r in range(rounds):
        for c in ["none", "floor", "vfiotrace", *with_baseline]:
            t = Tracer(c) if c != "none" else None
            # warm: TCG translates each path of a newly loaded program at its first run, a cost
            # of the first hits (per hit's warm figure); the resets measured come after
            reset(warm)
            s0 = t.status() if t else None
            t0, c0 = time.monotonic(), time.thread_time_ns()
            reset(resets)
            cpu, wall = time.thread_time_ns() - c0, time.monotonic() - t0
            s1 = t.status() if t else None
            rc, _ = t.stop() if t else (0, None)
            traced = dict(ready_s=t.ready, prog_ns=s1["prog_ns"] - s0["prog_ns"],
                          prog_runs=s1["prog_runs"] - s0["prog_runs"], progs=progs_since(s0, s1)) if t else {}
            emit(kind="shared", config=c, round=r, device=dev, resets=resets, warm=warm, wall_s=wall, cpu_ns=cpu, rc=rc,
                 **traced)


if "shared" in phases:
    shared_phase(int(os.environ.get("BENCH_SHARED_RESETS", "100")), int(os.environ.get("BENCH_SHARED_WARM", "20")))
