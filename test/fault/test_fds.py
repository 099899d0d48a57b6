"""Fault matrix, file descriptors exhausted.

- `ulimit -n 64` (the server runs under `prlimit --nofile=64`), 150 client
  connections at once: each connection either gets its answer or is closed
  cleanly at once (EOF, no bytes: libuv's spare fd sheds it); nothing hangs,
  nothing crashes. A search on an accepted connection while no fd is left
  for the provider sockets gets a JSON answer (providers `error`, 502), not
  a crash. When the clients close, the fd count falls back and a search is
  fully ok.
- `http.max_connections=20` (fds to spare): connections past 20 wait in the
  kernel backlog, unanswered; when the first ones close, the waiting ones
  are served.
"""

import socket
import time

import fault
import harness
from fault import qs, wait_for

NOFILE = 64
CLIENTS = 150


class LimitedServer(harness.Server):
    """harness.Server started under `prlimit --nofile=N` (soft and hard)."""

    nofile = NOFILE

    def command(self):
        return ["prlimit", "--nofile=%d" % self.nofile, "--"] + super().command()


def health_request():
    return harness.build_request("GET", "/health")


class FdExhaustion(fault.FaultCase):

    SERVER_ARGS = {"workers": 0}

    @classmethod
    def make_server(cls, args):
        return LimitedServer(**args)

    def test_more_connections_than_fds(self):
        base = fault.fd_count(self.server.pid)
        conns = []
        try:
            for _ in range(CLIENTS):
                conns.append(harness.Conn(self.server.port, timeout=5))
            time.sleep(0.3)
            self.assertLessEqual(fault.fd_count(self.server.pid), NOFILE)
            answered, shed, other = [], 0, []
            for c in conns:
                t0 = time.monotonic()
                try:
                    c.send(health_request())
                    r = c.read_response()
                    if r.status == 200:
                        answered.append(c)
                    else:
                        other.append(r)
                except harness.ProtocolError:
                    # Closed with no byte sent: a clean refusal.
                    if c.buf:
                        other.append(c.buf[:100])
                    else:
                        shed += 1
                except OSError as e:
                    if isinstance(e, (ConnectionResetError, BrokenPipeError)):
                        shed += 1
                    else:
                        other.append(repr(e))
                self.assertLess(time.monotonic() - t0, harness.scaled(3.0),
                                "a connection hung instead of being served or refused")
            self.assertEqual(other, [])
            self.assertGreater(len(answered), 10)
            self.assertGreater(shed, 0, "expected some connections shed at EMFILE")
            print("  %d connections: %d answered, %d closed cleanly (fds %d -> %d, limit %d)"
                  % (CLIENTS, len(answered), shed, base, fault.fd_count(self.server.pid),
                     NOFILE))
            # A search on an accepted connection while no fd is left for the
            # providers: a JSON answer, no crash.
            c = answered[0]
            c.send(harness.build_request("GET", qs(query=fault.Q, limit=5)))
            r = c.read_response()
            self.assertIn(r.status, (200, 502), r)
            j = r.json()
            print("  search with no fd left: %d %s" % (r.status, self.statuses(j)))
            self.assertIsNone(self.server.proc.poll())
        finally:
            for c in conns:
                c.close()
        # Recovery: fds back near the start, answers again, a full search.
        self.assertTrue(wait_for(lambda: fault.fd_count(self.server.pid) <= base + 4, 5),
                        "fds did not fall back: %d (start %d)"
                        % (fault.fd_count(self.server.pid), base))
        self.assertAlive()
        self.assertFullyOk()


class ConnectionLimit(fault.FaultCase):

    SERVER_ARGS = {"workers": 0, "settings": {"http.max_connections": "20"}}

    def test_connections_past_the_limit_wait_then_get_served(self):
        first = [harness.Conn(self.server.port, timeout=5) for _ in range(20)]
        for c in first:
            c.send(health_request())
            self.assertEqual(c.read_response().status, 200)
        waiting = [harness.Conn(self.server.port, timeout=5) for _ in range(20)]
        try:
            for c in waiting:
                c.send(health_request())
            time.sleep(0.5)
            for c in waiting:
                # Not served (still in the backlog), not closed either.
                self.assertTrue(c.is_open(wait=0.02), "a waiting connection was closed")
            for c in first:
                c.close()
            for c in waiting:
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
        finally:
            for c in first + waiting:
                c.close()
        self.assertAlive()
        self.assertFullyOk()


if __name__ == "__main__":
    fault.main()
