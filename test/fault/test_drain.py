"""Fault matrix, drain deadline: a worker holding thousands of searches in
flight past its drain_timeout stops within drain_timeout plus a small
margin, and every client gets its connection closed (docs/operations.md:
"at drain_timeout it closes what is left").

The providers answer after 30 s and libcurl may open only 2 connections to
them, so nearly all of the 15,000 provider calls (3,000 searches x 5
providers) wait in libcurl's queue. libcurl 7.88 removes a call from that
queue by walking it: cancelling the calls one by one when the deadline
closes the connections took about 5 s here (quadratic); the worker now
ends them all in one pass (prov_client_abort).
"""

import json
import signal
import socket
import time

import fault
import harness
from fault import wait_for

DRAIN_S = 1.0
MARGIN_S = 1.5
CONNS = 150
BATCH = 20  # searches per request (the most a batch takes)
PROVIDERS = ("arxiv", "semantic_scholar", "exa", "openalex", "crossref")


def batch_body(i):
    # distinct searches: nothing is coalesced, each has its 5 calls
    return json.dumps({"searches": [
        {"query": fault.Q, "limit": 1 + (i * BATCH + k) % 100, "offset": (i * BATCH + k) // 100}
        for k in range(BATCH)]}).encode()


class DrainDeadline(fault.FaultCase):
    SERVER_ARGS = None  # each test starts its own server

    @classmethod
    def setUpClass(cls):
        cls.sim = harness.Simulator().start()
        cls.server = None

    def settings(self):
        s = dict(self.base_settings(), **{
            "drain_timeout": "%gs" % DRAIN_S,
            "search.deadline": "60s",
            "search.max_deadline": "60s",
            "shed.max_in_flight": "100000",
            "http.max_connections": "10000",
            "providers.max_host_connections": "2",
        })
        for p in PROVIDERS:
            s["providers.%s.timeout" % p] = "60s"
            s["providers.%s.max_concurrent" % p] = "100000"
        return s

    def test_sigterm_with_thousands_in_flight_stops_at_the_deadline(self):
        self.sim.configure("all", latency_ms=30000)
        srv = harness.Server(workers=0, settings=self.settings(),
                             env=fault.provider_env(self.sim)).start()
        self.addCleanup(lambda: srv.proc.poll() is None and srv.stop(check=False))
        socks = []
        self.addCleanup(lambda: [c.close() for c in socks])
        for i in range(CONNS):
            body = batch_body(i)
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            c.sendall(b"POST /v1/search/batch HTTP/1.1\r\nHost: t\r\nContent-Type: "
                      b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            socks.append(c)
        # each request in flight holds its 20 searches (all started at dispatch)
        self.assertTrue(wait_for(lambda: self.in_flight(srv) >= CONNS, harness.scaled(20)),
                        "searches in flight: %d" % self.in_flight(srv))
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        rc = srv.wait(timeout=harness.scaled(30))
        elapsed = time.monotonic() - t0
        log = srv.log()
        self.assertEqual(rc, 0, "exit %s; log:\n%s" % (rc, harness.tail(log, 30)))
        self.assertIn("drain timeout", log)
        self.assertIsNone(harness.sanitizer_report(log), harness.tail(log, 60))
        self.assertLess(elapsed, harness.scaled(DRAIN_S + MARGIN_S),
                        "%d searches in flight: stopped %.2f s after SIGTERM (drain_timeout %g s)"
                        % (CONNS * BATCH, elapsed, DRAIN_S))
        # none was answered by a provider: each connection is closed (EOF or reset)
        for c in socks:
            c.settimeout(2)
            try:
                data = c.recv(64)
            except ConnectionResetError:
                data = b""
            self.assertEqual(data, b"", "a request in flight got %r" % data)
        print("  %d searches in flight, drain_timeout %g s: stopped in %.2f s"
              % (CONNS * BATCH, DRAIN_S, elapsed))

    @staticmethod
    def in_flight(srv):
        try:
            r = harness.request(srv.port, "GET", "/metrics", timeout=5)
        except (OSError, harness.ProtocolError):
            return -1
        for line in r.body.decode(errors="replace").splitlines():
            if line.startswith("scifind_searches_in_flight"):
                return int(float(line.split()[-1]))
        return -1


if __name__ == "__main__":
    fault.main()
