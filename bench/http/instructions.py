#!/usr/bin/env python3
"""bench/http/instructions.py - instructions per request of the HTTP path.

Runs `scifind serve --workers 0` under valgrind's callgrind twice, once
serving 1 request and once serving N keep-alive GET /health (pipelined 50
at a time, 5,000 per connection), and prints (Ir(N) - Ir(1)) / (N - 1): the instructions one
request costs, start-up and shutdown subtracted. callgrind counts
instructions, not time, so the figure is the same on a loaded machine;
compare two binaries with it (before/after a change on the request path).

    bench/http/instructions.py --bin build-bench/scifind [--bin OTHER] [--requests 20000]

Only 127.0.0.1 is used; each server is stopped with SIGTERM when done.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REQ = b"GET /health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
BODY = b'{"status":"ok"}'


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def send(port, n):
    """n requests, 5,000 per connection (below http.max_requests_per_conn)."""
    while n > 0:
        k = min(n, 5000)
        send_on_one(port, k)
        n -= k


def send_on_one(port, n, batch=50):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    got, sent, buf = 0, 0, b""
    while got < n:
        if sent < n and sent - got < batch:
            k = min(batch, n - sent)
            s.sendall(REQ * k)
            sent += k
        data = s.recv(1 << 20)
        if not data:
            raise SystemExit("connection closed after %d answers" % got)
        buf += data
        c = buf.count(BODY)
        if c:
            got += c
            buf = buf[buf.rfind(BODY) + len(BODY):]
    s.close()


def total_ir(binary, n, tmp):
    port = free_port()
    out = os.path.join(tmp, "cg.%d" % port)
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                             binary, "serve", "--workers", "0", "--listen",
                             "127.0.0.1:%d" % port, "--set", "log.access=false",
                             "--set", "log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("scifind did not start under valgrind")
                time.sleep(0.2)
        send(port, n)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    with open(out) as f:
        m = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", action="append", default=[])
    ap.add_argument("--requests", type=int, default=20000)
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed")
    bins = a.bin or ["build-bench/scifind"]
    with tempfile.TemporaryDirectory(prefix="scifind-ir-") as tmp:
        for b in bins:
            one = total_ir(b, 1, tmp)
            many = total_ir(b, a.requests, tmp)
            print("%-40s %8.0f instructions per GET /health" %
                  (b, (many - one) / (a.requests - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
