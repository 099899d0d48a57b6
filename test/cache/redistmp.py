"""A throwaway redis-server for the tests and benchmarks: a given (or free)
loopback port, its own directory for the log, no persistence. Stdlib only.

    redis = Redis(tmpdir).start()     # unittest.SkipTest without redis-server
    redis.url                         # "redis://127.0.0.1:PORT"
    redis.command("KEYS", "x:*")      # one command over RESP, decoded
    redis.signal(signal.SIGSTOP)      # freeze it (stop()/kill() thaw first)
    redis.stop()

REDIS_SERVER names the binary (default: redis-server on PATH).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "blackbox"))
import harness  # noqa: E402  (free ports, the processes killed on a timeout)


class Redis:
    def __init__(self, tmp, port=None):
        self.tmp = tmp
        self.port = port or harness.free_port()
        self.proc = None
        self.exe = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
        if not self.exe:
            raise unittest.SkipTest("redis-server not installed")
        self._log = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self):
        self._log = open(os.path.join(self.tmp, "redis-%d.log" % self.port), "ab")
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.tmp, "--protected-mode", "no"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        harness._LIVE.add(self)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start on %d" % self.port)

    def ping(self):
        try:
            return self.command("PING", timeout=1.0) == "PONG"
        except (OSError, RuntimeError):
            return False

    def command(self, *args, timeout=2.0):
        """One command over RESP; returns the decoded reply (simple cases)."""
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(out)
            return self._read(s.makefile("rb"))

    def _read(self, f):
        line = f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else f.read(n + 2)[:-2]
        if kind == b"*":
            return [self._read(f) for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)  # a frozen one cannot die
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        harness._LIVE.discard(self)

    kill = stop
