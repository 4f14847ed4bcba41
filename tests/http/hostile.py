#!/usr/bin/env python3
"""Hostile clients against the exporter's HTTP server (build/tests/httpd on a
loopback port): random bytes, oversized heads, NUL bytes, slow and silent
clients, more connections than the limit, wrong methods and paths. Each case
must get the exact response user/output/http.c gives it (status line, headers and
body byte for byte), or, where that is the design, a close without any
response; a timeout is always a failure. After each case the server must still
run and serve a normal GET /metrics, and its loop must keep turning (it never
blocks on a client). usage: hostile.py HTTPD. Ends with "N passed, N failed"."""
import os, random, re, select, socket, subprocess, sys, time

passed = failed = 0

# the server's bounds, from the header that documents them
HDR = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../user/output/http.h")).read()
MAX_REQ, MAX_CONNS, TIMEOUT_S = (int(re.search(rf"#define {n} (\d+)", HDR).group(1))
                                 for n in ("HTTP_MAX_REQ", "HTTP_MAX_CONNS", "HTTP_TIMEOUT_S"))


def response(status, body, ctype="text/plain; charset=utf-8"):
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


BAD = response("400 Bad Request", b"bad request\n")
NOT_ALLOWED = response("405 Method Not Allowed", b"only GET is served\n")
NOT_FOUND = response("404 Not Found", b"not found: metrics are at /metrics\n")
TOO_LARGE = response("431 Request Header Fields Too Large", b"request head too large\n")
# tests/http/httpd.c's body: its loop turns so far
METRICS = re.compile(rb"HTTP/1\.1 200 OK\r\nContent-Type: text/plain; version=0\.0\.4; charset=utf-8\r\n"
                     rb"Content-Length: (\d+)\r\nConnection: close\r\n\r\n"
                     rb"(# TYPE test_loop_turns counter\ntest_loop_turns (\d+)\n)\Z")


def check(ok, name, detail=""):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + str(detail)[:300] if detail and not ok else ''}")
    return ok


def port_free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def req(port, raw, half_close=False, timeout=TIMEOUT_S + 5):
    """Sends raw (a failed send still reads what came back), reads to the end.
    (bytes received, how it ended: eof, reset, timeout or refused)"""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return b"", f"refused ({e})"
    data, end = b"", None
    try:
        s.sendall(raw)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    try:
        while True:
            b = s.recv(65536)
            if not b:
                end = "eof"
                break
            data += b
    except socket.timeout:
        end = "timeout"
    except ConnectionResetError:
        end = "reset"
    s.close()
    return data, end


def scrape(port):
    """GET /metrics: the loop turns it reports, or None if the reply is not exactly
    the 200 the server gives, with the reply"""
    data, end = req(port, b"GET /metrics HTTP/1.0\r\n\r\n")
    m = METRICS.match(data)
    ok = m and int(m.group(1)) == len(m.group(2)) and end == "eof"
    return (int(m.group(3)) if ok else None), (data[:120], end)


def alive():
    """'' if the server still runs and answers GET /metrics exactly, else why not"""
    if srv.poll() is not None:
        return f"the server exited {srv.returncode}"
    t, got = scrape(port)
    return "" if t is not None else f"GET /metrics got {got}"


def case(name, raw, want, half_close=False):
    """raw must get exactly want (b"": closed without a response), then the server must
    still serve a scrape. A reset after the whole response is the server closing
    with request bytes unread; a timeout is never an answer."""
    data, end = req(port, raw, half_close)
    check(data == want and end in ("eof", "reset"), name, (data[:120], end))
    why = alive()
    check(not why, f"{name}: then the server runs and serves GET /metrics", why)


port = port_free()
srv = subprocess.Popen([sys.argv[1], f":{port}"], stderr=subprocess.PIPE)
srv.stderr.readline()
try:
    t0, got = scrape(port)
    check(t0 is not None, "GET /metrics gets the exact 200 (status, 0.0.4 text format, Content-Length)", got)
    data, end = req(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    check(METRICS.match(data) and end == "eof", "GET /metrics HTTP/1.1 with a Host header gets the 200",
          (data[:120], end))
    data, end = req(port, b"GET /metrics?name[]=x HTTP/1.0\n\n")
    check(METRICS.match(data) and end == "eof", "GET /metrics?query with bare LF line ends gets the 200",
          (data[:120], end))
    big = b"GET /metrics HTTP/1.1\r\nX: " + b"a" * (MAX_REQ - 1 - 30) + b"\r\n\r\n"
    assert len(big) == MAX_REQ - 1
    data, end = req(port, big)
    check(METRICS.match(data) and end == "eof", f"a complete head of {MAX_REQ - 1} bytes (the most) gets the 200",
          (data[:120], end))
    case("/ gets 404", b"GET / HTTP/1.1\r\n\r\n", NOT_FOUND)
    case("/metricsx gets 404", b"GET /metricsx HTTP/1.1\r\n\r\n", NOT_FOUND)
    case("HEAD gets 405", b"HEAD /metrics HTTP/1.1\r\n\r\n", NOT_ALLOWED)
    case("POST with a body gets 405", b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", NOT_ALLOWED)
    case("lower-case get gets 405", b"get /metrics HTTP/1.1\r\n\r\n", NOT_ALLOWED)
    case("HTTP/0.9 style request gets 400", b"GET /metrics\r\n\r\n", BAD)
    case("HTTP/2.0 gets 400", b"GET /metrics HTTP/2.0\r\n\r\n", BAD)
    case("a blank head gets 400", b"\r\n\r\n", BAD)
    case("a NUL byte gets 400", b"GET /metrics HTTP/1.1\r\nX: \0\r\n\r\n", BAD)
    case(f"an unterminated head of {MAX_REQ - 1} bytes gets 431", b"GET /metrics HTTP/1.1\r\nX: " +
         b"a" * (MAX_REQ - 1 - 26), TOO_LARGE)
    case("a head of 100000 bytes gets 431", b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 100000 + b"\r\n\r\n",
         TOO_LARGE)
    # end of input before the head is complete: closed, nothing said (conn_read)
    case("a half-closed incomplete head is closed without a response",
         b"GET /metrics HTTP/1.1\r\n", b"", half_close=True)
    case("a client that sends nothing and half-closes is closed without a response", b"", b"",
         half_close=True)
    # random bytes: the version field cannot start with HTTP/1. (and a NUL is refused
    # as it arrives), so each is a 400; a head of at most 3004 bytes is not too large
    rnd = random.Random(7)
    wrong, dead = [], ""
    for i in range(200):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000))) + b"\r\n\r\n"
        data, end = req(port, blob)
        if data != BAD or end not in ("eof", "reset"):
            wrong.append((i, data[:60], end))
        dead = dead or alive()
    check(not wrong, "200 random requests each get exactly the 400", wrong[:3])
    check(not dead, "after each random request the server runs and serves GET /metrics", dead)

    # slow clients: more than the connection limit, each sending one byte. By design
    # (user/output/http.h) a new connection with every slot taken evicts the oldest still
    # reading, so of these and the scrape below, all but MAX_CONNS are closed at once;
    # the others when their TIMEOUT_S from accept runs out (time(2) seconds: 1 s
    # early at most, plus a poll turn). None gets a byte of response.
    nslow = MAX_CONNS + 4
    slow = []
    for _ in range(nslow):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        slow.append((s, time.monotonic()))
        try:
            s.sendall(b"G")
        except OSError:
            pass
    t1, got = scrape(port)
    check(t1 is not None and t1 > (t0 or 0), "a scrape is served while more slow clients than slots hang", (t0, t1, got))
    ends, got_bytes, left = [], 0, {s: t for s, t in slow}
    deadline = max(t for _, t in slow) + TIMEOUT_S + 5
    while left and time.monotonic() < deadline:
        r, _, _ = select.select(list(left), [], [], max(0, deadline - time.monotonic()))
        for s in r:
            try:
                b = s.recv(1)
            except ConnectionResetError:
                b = b""
            got_bytes += len(b)
            if not b:
                ends.append(time.monotonic() - left.pop(s))
                s.close()
    for s in left:
        s.close()
    check(not left and not got_bytes, "every slow client is closed by the server, without a response",
          f"{len(left)} still open after {TIMEOUT_S + 5} s, {got_bytes} bytes received")
    early = sorted(e for e in ends if e < TIMEOUT_S - 1.5)
    timed = sorted(e for e in ends if TIMEOUT_S - 1.5 <= e <= TIMEOUT_S + 2)
    check(len(early) == nslow + 1 - MAX_CONNS,
          f"{nslow + 1 - MAX_CONNS} slow clients are evicted at once for newer connections "
          f"({nslow} slow + 1 scrape, {MAX_CONNS} slots)", [round(e, 2) for e in sorted(ends)])
    check(len(timed) == MAX_CONNS - 1, f"the other {MAX_CONNS - 1} are closed when their {TIMEOUT_S} s run out",
          [round(e, 2) for e in sorted(ends)])
    t3, got = scrape(port)
    check(t3 is not None and t3 > (t1 or 0), "scrapes are served after the slow clients, the loop kept turning",
          (t0, t1, t3, got))
    check(srv.poll() is None, "the server survived")
except Exception as e:     # e.g. the server gone: a failure with its reason, and the counts below
    check(False, "the test ran to its end", f"{type(e).__name__}: {e}")
finally:
    srv.terminate()
    srv.wait(10)
# a sanitized build (build/sanitize/httpd) exits 99 on a report, leaks included
check(srv.returncode == 0, "the server exits 0 on SIGTERM", srv.returncode)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
