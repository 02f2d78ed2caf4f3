#!/usr/bin/env python3
# What an idle client connection costs one im-access node, over TLS or plain
# TCP: opens N connections (TLS handshake done, no login) and prints the
# node's RSS growth and CPU time per connection. im-bench speaks plain TCP
# only; this is the TLS figure beside it. Run against a node whose
# login_timeout_ms outlasts the run, e.g.
#   IM_ACCESS_FLAGS="--login_timeout_ms=600000 --io_threads=1" deploy/run-local.sh
#   ulimit -n 20000; bench/idle_connection_cost.py 127.0.0.1 7000 5000 $(sed -n 's/^im-access=//p' .run/pids) .run/tls/ca.pem
# (no CA argument: plain TCP, for a node started with IM_PLAINTEXT=1). Measure
# on a fresh node: memory freed by an earlier run is reused.
# Usage: idle_connection_cost.py HOST PORT N ACCESS_PID [CA_FILE]
import socket, ssl, sys, time
host, port, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ca = sys.argv[5] if len(sys.argv) > 5 else None
def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
ctx = None
if ca:
    ctx = ssl.create_default_context(cafile=ca)
def cpu_s():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
time.sleep(1)
before = rss_kib()
cpu_before = cpu_s()
conns = []
t0 = time.time()
for i in range(n):
    s = socket.create_connection((host, port))
    if ctx:
        s = ctx.wrap_socket(s, server_hostname=host)
    conns.append(s)
elapsed = time.time() - t0
cpu = cpu_s() - cpu_before
time.sleep(3)
after = rss_kib()
print(f"{'tls' if ca else 'plain'}: {n} idle connections in {elapsed:.1f} s; im-access RSS {before/1024:.1f} -> {after/1024:.1f} MiB, {(after-before)*1024/n:.0f} bytes per connection; im-access CPU {cpu*1e6/n:.0f} us per connection (accept + handshake)")
for s in conns:
    s.close()
