# A pipe ping-pong between two processes: N round trips, prints the seconds (docs/vmtest.md:
# the context-switch cost of a tracepoint vfiotrace enables). Usage: pingpong.py N
import os, sys, time
n = int(sys.argv[1])
r1, w1 = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    for _ in range(n):
        os.read(r1, 1); os.write(w2, b'x')
    os._exit(0)
t = time.monotonic()
for _ in range(n):
    os.write(w1, b'x'); os.read(r2, 1)
os.waitpid(pid, 0)
print(f"{time.monotonic() - t:.3f}")
