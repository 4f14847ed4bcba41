#!/usr/bin/env python3
"""Hostile clients against the exporter's HTTP server (build/tests/httpd on a
loopback port): random bytes, oversized heads, NUL bytes, slow and silent
clients, more connections than the limit, wrong methods and paths. After
each, a normal scrape must be served, and the server's loop must keep turning
(it never blocks on a client). usage: hostile.py HTTPD. Ends with "N passed, N failed"."""
import random, re, socket, subprocess, sys, time

passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + str(detail)[:300] if detail and not ok else ''}")


def port_free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def req(port, raw, timeout=15):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        s.sendall(raw)
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d+)", data)
    return (int(m.group(1)) if m else None), data


def turns(port):
    st, data = req(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    m = re.search(rb"test_loop_turns (\d+)", data)
    return st, int(m.group(1)) if m else -1


port = port_free()
srv = subprocess.Popen([sys.argv[1], f":{port}"], stderr=subprocess.PIPE)
srv.stderr.readline()
try:
    st, t0 = turns(port)
    check(st == 200 and t0 >= 0, "GET /metrics is served", st)
    st, data = req(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    check(b"Content-Type: text/plain; version=0.0.4" in data, "content type is the 0.0.4 text format")
    check(req(port, b"GET / HTTP/1.1\r\n\r\n")[0] == 404, "/ gets 404")
    check(req(port, b"GET /metricsx HTTP/1.1\r\n\r\n")[0] == 404, "/metricsx gets 404")
    check(req(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")[0] == 405, "HEAD gets 405")
    check(req(port, b"GET /metrics\r\n\r\n")[0] == 400, "HTTP/0.9 style request gets 400")
    check(req(port, b"GET /metrics HTTP/1.1\r\nX: \0\r\n\r\n")[0] == 400, "a NUL byte gets 400")
    st, _ = req(port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 100000 + b"\r\n\r\n")
    check(st in (431, None), "an oversized head is refused", st)
    rnd = random.Random(7)
    bad = 0
    for i in range(200):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
        st, _ = req(port, blob + b"\r\n\r\n")
        bad += st not in (400, 405, 404, 431, None)
    check(bad == 0, "200 random requests are refused", bad)
    # slow clients: more than the connection limit, each sending one byte a second
    slow = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(20)]
    for s in slow:
        try:
            s.sendall(b"G")
        except OSError:
            pass
    st1, t1 = turns(port)
    check(st1 == 200 and t1 > t0, "a scrape is served while more slow clients than slots hang", (st1, t1))
    closed = 0
    end = time.monotonic() + 40
    for s in slow:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            closed += s.recv(1) == b""
        except OSError:
            closed += 1
        s.close()
    check(closed == len(slow), "slow clients are disconnected by the server", closed)
    st, t3 = turns(port)
    check(st == 200 and t3 > t0, "scrapes are served after the slow clients, the loop kept turning", (st, t0, t3))
    check(srv.poll() is None, "the server survived")
finally:
    srv.terminate()
    srv.wait(10)
# a sanitized build (build/sanitize/httpd) exits 99 on a report, leaks included
check(srv.returncode == 0, "the server exits 0 on SIGTERM", srv.returncode)
print(f"{passed} passed, {failed} failed")
