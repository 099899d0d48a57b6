"""A throwaway nats-server (Debian's package nats-server) on a loopback port,
and a stdlib subscriber, for the events tests.

    srv = NatsServer(tmpdir).start()     # srv.url = nats://127.0.0.1:PORT
    sub = Subscriber(srv.port, ["search.completed", "papers.indexed"])
    sub.wait(lambda msgs: len(msgs) >= 1, timeout=5)
    srv.kill(); srv.start()              # the same port again
    sub.close(); srv.stop()

The server runs in its own process group, in tmpdir (log, pid file), and is
stopped by its pid. raise unittest.SkipTest without nats-server.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest


def nats_binary():
    for p in (os.environ.get("SF_NATS_SERVER"), shutil.which("nats-server"), "/usr/sbin/nats-server",
              "/usr/bin/nats-server"):
        if p and os.access(p, os.X_OK):
            return p
    raise unittest.SkipTest("no nats-server (scripts/install-deps.sh test installs it)")


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class NatsServer:
    def __init__(self, folder, port=None):
        self.folder = folder
        self.port = port or free_port()
        self.proc = None
        self.url = "nats://127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        binary = nats_binary()
        self._log = open(os.path.join(self.folder, "nats.log"), "ab")
        self.proc = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(self.port),
                                      "-P", os.path.join(self.folder, "nats.pid")],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nats-server exited with %s" % self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(4096).startswith(b"INFO"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("nats-server did not start on %d" % self.port)

    def kill(self):
        """SIGKILL: NATS gone without a goodbye."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc:
            self._log.close()
        self.proc = None


class Subscriber:
    """Subscribes to subjects on a NATS server (the text protocol over a
    socket, from a thread) and keeps every message: .messages is a list of
    (subject, parsed JSON payload)."""

    def __init__(self, port, subjects, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.messages = []
        self.errors = []
        self.lock = threading.Lock()
        self.buf = b""
        self._read_line()  # INFO
        cmds = 'CONNECT {"verbose":false,"pedantic":false,"name":"scifind-test"}\r\n'
        for i, s in enumerate(subjects, 1):
            cmds += "SUB %s %d\r\n" % (s, i)
        self.sock.sendall(cmds.encode() + b"PING\r\n")
        while self._read_line() != b"PONG":  # subscriptions in place
            pass
        self.sock.settimeout(None)
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read_line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("NATS closed the subscriber's connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _run(self):
        try:
            while True:
                line = self._read_line()
                if line.startswith(b"MSG "):
                    parts = line.split()
                    payload = self._read_exact(int(parts[-1]) + 2)[:-2]
                    try:
                        msg = (parts[1].decode(), json.loads(payload))
                    except ValueError as e:
                        with self.lock:
                            self.errors.append("not JSON: %r (%s)" % (payload[:200], e))
                        continue
                    with self.lock:
                        self.messages.append(msg)
                elif line == b"PING":
                    self.sock.sendall(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    with self.lock:
                        self.errors.append(line.decode("latin-1"))
        except (OSError, EOFError):
            pass

    def snapshot(self, subject=None):
        with self.lock:
            return [m for s, m in self.messages if subject is None or s == subject]

    def wait(self, pred, timeout=10.0, subject=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.snapshot(subject)
            if pred(got):
                return got
            time.sleep(0.05)
        return self.snapshot(subject)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)
