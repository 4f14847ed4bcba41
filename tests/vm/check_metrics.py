#!/usr/bin/env python3
"""Metrics end to end (make check, per kernel): boots tools/vmtest with
tests/vm/metrics.sh and two --forward ports, starts a real Prometheus on this
machine (own config and data directory, loopback ports) that scrapes vfiotrace
in the guest, drives hostile scrapers through the forward, and serves the
guest's textfile with a real node_exporter. Ground truth: the workload's own
JSON (attach_ok per group). Bounded waits only; no timing asserts.
usage: check_metrics.py [--no-dma] KERNEL LOGFILE   Ends with "N passed, N failed".
--no-dma: vfiotrace without --dma (5.10: the DMA programs do not load there yet);
the DMA check is then reported as skipped."""
import json, os, random, re, shutil, socket, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

args = sys.argv[1:]
nodma = args[:1] == ["--no-dma"]
if nodma:
    args = args[1:]
kernel, logfile = args[0], args[1]
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}{': ' + str(detail)[:600] if detail else ''}")
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http(port, path="/metrics", raw=None, timeout=10):
    """(status, body) of one request; raw: bytes sent instead of a GET."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        s.sendall(raw if raw is not None else f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    return (int(m.group(1)) if m else None), body.decode(errors="replace")


def series(text, name):
    """{labels-string: value} of one metric in exposition text."""
    out = {}
    for l in text.splitlines():
        m = re.match(re.escape(name) + r"(\{[^}]*\})? (\S+)$", l)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


def ok_by_group(text):
    return {re.search(r'group="([^"]*)"', k).group(1): int(v)
            for k, v in series(text, "vfiotrace_attach_total").items() if 'result="ok"' in k}


def go(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10):
        pass


def wait_for(fn, seconds):
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.5)


work = tempfile.mkdtemp(prefix="vfiotrace-metrics.")
procs = []
exp_port, go_port, prom_port, ne_port = free_port(), free_port(), free_port(), free_port()
try:
    # ---- Prometheus on this machine, scraping the guest through --forward
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                f"rule_files:\n  - {repo}/docs/prometheus/alerts.yml\n"
                f"scrape_configs:\n  - job_name: vfiotrace\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{exp_port}']\n")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                             f"--storage.tsdb.path={work}/data",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=open(f"{work}/prometheus.log", "w"), stderr=subprocess.STDOUT)
    procs.append(prom)

    def promql(q):
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.load(r)["data"]["result"]
        except Exception:
            return None

    env = dict(os.environ, VMTEST_NO_BUILD="1")
    vm = subprocess.Popen([f"{repo}/tools/vmtest", "--kernel", kernel, "--timeout", "500",
                           "--forward", f"{exp_port}:9400", "--forward", f"{go_port}:9500",
                           "--add", f"{repo}/tests/vm/metrics.sh", "--add", f"{repo}/tests/vm/lib.sh", "--", "sh", "/mnt/add/metrics.sh"]
                          + (["nodma"] if nodma else []),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    procs.append(vm)
    log = open(logfile, "w")
    tags = {}
    slow = []
    for line in vm.stdout:
        log.write(line)
        log.flush()
        m = re.match(r"@@ (\S+) ?(.*)", line.rstrip("\n"))
        if not m:
            continue
        tag, payload = m.groups()
        tags.setdefault(tag, []).append(payload)
        if tag == "phase" and payload == "a":
            st, body = http(exp_port, "/nope")
            check(st == 404, "a path other than /metrics gets 404", st)
            st, _ = http(exp_port, raw=b"POST /metrics HTTP/1.1\r\n\r\n")
            check(st == 405, "POST gets 405", st)
            rnd = random.Random(11)
            st, _ = http(exp_port, raw=bytes(rnd.randrange(256) for _ in range(4096)) + b"\r\n\r\n")
            check(st in (400, None), "random bytes are refused (400 or closed)", st)
            st, _ = http(exp_port, raw=b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 65536 + b"\r\n\r\n")
            check(st in (431, None), "an oversized header is refused (431 or closed)", st)
            # slow clients: a partial request each, held open across phase b
            for _ in range(4):
                s = socket.create_connection(("127.0.0.1", exp_port), timeout=60)
                s.sendall(b"GET /met")
                slow.append(s)
            st, body = http(exp_port)
            check(st == 200 and "vfiotrace_build_info{" in body,
                  "a scrape is served while slow clients hold connections", st)
            go(go_port)
        elif tag == "phase" and payload == "b":
            want = {}
            for w in tags.get("workload", []):
                w = json.loads(w)
                want[str(w["group"])] = want.get(str(w["group"]), 0) + w["attach_ok"]
            st, body = http(exp_port)
            check(st == 200, "scrape after both phases", st)
            got = ok_by_group(body)
            check(got == want and want, "scraped vfiotrace_attach_total{result=ok} per group = workload attach_ok "
                  "(phase b ran while slow clients were connected)", f"{got} != {want}")
            with open(f"{work}/scrape.prom", "w") as f:
                f.write(body)
            pc = subprocess.run(["promtool", "check", "metrics"], input=body, text=True, capture_output=True)
            hostile = [json.loads(w) for w in tags.get("workload", []) if "comm_hex" in w]
            check(pc.returncode == 0 and hostile and hostile[0]["attach_ok"] > 0,
                  "promtool check metrics accepts the scrape, which counts the attaches of a task with a "
                  "hostile name", pc.stdout + pc.stderr)
            # --dma: per group, the workload's maps and bytes (phase b maps)
            want_dma = {}
            for w in tags.get("workload", []):
                w = json.loads(w)
                if "dma" in w:
                    g = want_dma.setdefault(str(w["group"]), [0, 0])
                    g[0] += w["dma"]["maps"]
                    g[1] += w["dma"]["bytes_mapped"]
            def by_group(name):
                return {re.search(r'group="([^"]*)"', k).group(1): int(v) for k, v in series(body, name).items()}
            maps, nbytes = by_group("vfiotrace_dma_maps_total"), by_group("vfiotrace_dma_mapped_bytes_total")
            got_dma = {g: [maps.get(g, 0), nbytes.get(g, 0)] for g in want_dma}
            if nodma:
                print("SKIP DMA metrics: --no-dma")
            else:
                check(want_dma and got_dma == want_dma, "vfiotrace_dma_maps_total and _mapped_bytes_total per "
                      "group = workload's dma maps and bytes_mapped", f"{got_dma} != {want_dma}")
            attached = series(body, "vfiotrace_probe_attached")
            check(attached and all(v == 1 for v in attached.values()),
                  "every hook this kernel has a function for is attached (no false hook-detached alert)", attached)
            for name in ("vfiotrace_attach_duration_seconds_count", "vfiotrace_group_info",
                         "vfiotrace_events_dropped_total", "vfiotrace_map_full_total",
                         "vfiotrace_probe_info", "vfiotrace_build_info"):
                check(series(body, name), f"scrape has {name}")
            cnt = {re.search(r'group="([^"]*)"', k).group(1): int(v)
                   for k, v in series(body, "vfiotrace_attach_duration_seconds_count").items()}
            # every attach succeeds on this boot: one latency sample per ok attach, exactly
            check(want and cnt == want, "attach histogram counts = the workload's ok attaches per group",
                  f"{cnt} vs {want}")

            def prom_matches():
                r = promql('sum by (group) (vfiotrace_attach_total{result="ok"})')
                return r is not None and {x["metric"]["group"]: int(float(x["value"][1])) for x in r} == want
            check(wait_for(prom_matches, 90), "Prometheus (PromQL over its HTTP API) has per group exactly "
                  "the workload's ok attaches", promql('vfiotrace_attach_total'))
            r = promql('up{job="vfiotrace"}')
            check(r and r[0]["value"][1] == "1", "Prometheus sees the target up", r)
            # the dashboard's expressions evaluate on real data, the alert rules load
            dash = json.load(open(f"{repo}/docs/prometheus/dashboard.json"))
            bad = []
            for p in dash["panels"]:
                for t in p["targets"]:
                    q = (t["expr"].replace("$__rate_interval", "1m").replace("$__range", "1h")
                         .replace("$instance", ".+"))
                    if promql(q) is None:
                        bad.append(q)
            check(not bad, "every dashboard expression evaluates in Prometheus", bad)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=5) as rr:
                    groups = json.load(rr)["data"]["groups"]
                health = [x["health"] for g in groups for x in g["rules"]]
            except Exception as e:
                health = [repr(e)]
            nrules = open(f"{repo}/docs/prometheus/alerts.yml").read().count("- alert:")
            check(health and all(h in ("ok", "unknown") for h in health) and len(health) == nrules,
                  f"Prometheus loaded the {nrules} alert rules of docs/prometheus/alerts.yml", health)
            # the server closes slow clients itself (bounded per connection)
            def all_closed():
                for s in slow:
                    s.settimeout(0.2)
                    try:
                        if s.recv(1) != b"":
                            return False
                    except socket.timeout:
                        return False
                    except OSError:
                        pass
                return True
            check(wait_for(all_closed, 60), "slow clients are disconnected by the exporter")
            for s in slow:
                s.close()
            go(go_port)
    vm.wait()
    log.close()
    check(vm.returncode == 0, f"VM {kernel} metrics scenario ran", f"vmtest exit {vm.returncode}")
    check("error" not in tags, "guest reported no errors", tags.get("error"))
    # metrics.sh runs the workload three times (2 attaches, a hostile name, phase b)
    check(tags.get("workload_exit") == ["0"] * 3 and "workload_stderr" not in tags,
          "the workload's 3 runs exited 0, stderr empty", (tags.get("workload_exit"), tags.get("workload_stderr")))
    check(len(tags.get("workload", [])) >= 3, "the workload printed its JSON", tags.get("workload"))
    check(tags.get("done") == [""], "the guest script ran to its end (@@ done)", tags.get("done"))
    check(tags.get("exit") == ["0"], "vfiotrace exited 0 after SIGINT", tags.get("exit"))
    main_listen = " ".join(tags.get("netstat_main", []))
    check("0.0.0.0:9400" in main_listen, "--prometheus 0.0.0.0:9400 listens on all addresses", main_listen)
    loop = [l for l in tags.get("netstat_loop", []) if ":9401" in l]
    check(loop and all("127.0.0.1:9401" in l for l in loop), "--prometheus :9401 listens on loopback only", loop)
    check(any(l.startswith("vfiotrace_build_info{") for l in tags.get("loop_scrape", [])),
          "the loopback exporter serves in the guest", tags.get("loop_scrape"))
    check(tags.get("loop_exit") == ["0"], "the loopback vfiotrace exited 0", tags.get("loop_exit"))
    check(not any(f.endswith(".tmp") for f in tags.get("textfile_dir", [])),
          "no temporary textfile left behind", tags.get("textfile_dir"))

    # ---- node_exporter serves the guest's final textfile
    tdir = os.path.join(work, "textfile")
    os.mkdir(tdir)
    text = "\n".join(tags.get("textfile", [])) + "\n"
    with open(os.path.join(tdir, "vfiotrace.prom"), "w") as f:
        f.write(text)
    want = {}
    for w in tags.get("workload", []):
        w = json.loads(w)
        want[str(w["group"])] = want.get(str(w["group"]), 0) + w["attach_ok"]
    check(ok_by_group(text) == want and want, "textfile written at exit has the workload's ok attaches",
          f"{ok_by_group(text)} != {want}")
    ne = subprocess.Popen(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}",
                           "--collector.disable-defaults", "--collector.textfile",
                           f"--collector.textfile.directory={tdir}"],
                          stdout=open(f"{work}/node_exporter.log", "w"), stderr=subprocess.STDOUT)
    procs.append(ne)
    def ne_scrape():
        try:
            st, body = http(ne_port)
            return body if st == 200 else None
        except OSError:
            return None
    nbody = wait_for(ne_scrape, 30) or ""
    err = series(nbody, "node_textfile_scrape_error")
    check(err == {"": 0.0}, "node_exporter: node_textfile_scrape_error 0", err or nbody[:300])
    check(ok_by_group(nbody) == want, "node_exporter serves vfiotrace_attach_total from the textfile",
          ok_by_group(nbody))
except Exception as e:  # a crash of the driver is a failure, never silence
    import traceback
    traceback.print_exc()
    check(False, "metrics driver ran to the end", repr(e))
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    if os.environ.get("VFIOTRACE_KEEP"):
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
