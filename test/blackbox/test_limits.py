"""Limits and timeouts (docs/http.md), against a server with small limits."""

import os
import select
import socket
import threading
import time
import unittest

import harness

H = b"Host: t\r\n"

SMALL = {
    "http.max_url_bytes": "256",
    "http.max_header_bytes": "1024",
    "http.max_headers": "10",
    "http.max_body_bytes": "1000",
    "http.max_requests_per_conn": "3",
    "http.header_timeout": "500ms",
    "http.body_timeout": "500ms",
    "http.idle_timeout": "500ms",
    "http.max_connections": "5",
}


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sanitized(pid):
    """True when the process runs with AddressSanitizer's runtime."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


class LimitsTest(harness.ServerTestCase):
    SERVER_ARGS = {"workers": 0, "settings": SMALL}

    # -- sizes ----------------------------------------------------------

    def test_url_at_limit_accepted(self):
        target = b"/" + b"a" * 255                      # 256 bytes
        c = self.connect()
        c.send(b"GET " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
        r = c.read_response()
        self.assertError(r, 404, "not_found")

    def test_url_too_long_414(self):
        target = b"/" + b"a" * 300
        c = self.connect()
        c.send(b"GET " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
        self.assertRefused(c, 414, "uri_too_long")

    def test_url_one_over_limit_414(self):
        target = b"/" + b"a" * 256                      # 257 bytes
        c = self.connect()
        c.send(b"GET " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
        self.assertRefused(c, 414, "uri_too_long")

    def test_header_bytes_under_limit_accepted(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"X-Pad: " + b"p" * 600 + b"\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)

    def test_header_bytes_over_limit_431(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"X-Big: " + b"b" * 1100 + b"\r\n\r\n")
        self.assertRefused(c, 431, "request_header_fields_too_large")

    def test_header_bytes_over_limit_in_many_headers_431(self):
        c = self.connect()
        hs = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 200) for i in range(6))
        c.send(b"GET /health HTTP/1.1\r\n" + H + hs + b"\r\n")
        self.assertRefused(c, 431, "request_header_fields_too_large")

    def test_header_count_at_limit_accepted(self):
        c = self.connect()
        # + Host = 10 (and through NGINX, the headers it adds).
        hs = b"".join(b"X-H%d: v\r\n" % i for i in range(9 - harness.PROXY_ADDED_HEADERS))
        c.send(b"GET /health HTTP/1.1\r\n" + H + hs + b"\r\n")
        self.assertEqual(c.read_response().status, 200)

    def test_header_count_over_limit_431(self):
        c = self.connect()
        hs = b"".join(b"X-H%d: v\r\n" % i for i in range(10))  # + Host = 11
        c.send(b"GET /health HTTP/1.1\r\n" + H + hs + b"\r\n")
        self.assertRefused(c, 431, "request_header_fields_too_large")

    def test_body_at_limit_read(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H + b"Content-Length: 1000\r\n\r\n" + b"x" * 1000)
        r = c.read_response()
        self.assertError(r, 405, "method_not_allowed")

    @harness.direct_only("NGINX reads the whole request body before passing it on (proxy_request_buffering)")
    def test_body_content_length_over_limit_413_before_body(self):
        c = self.connect()
        t0 = time.monotonic()
        c.send(b"POST /health HTTP/1.1\r\n" + H + b"Content-Length: 1001\r\n\r\n")
        r = self.assertRefused(c, 413, "payload_too_large")
        # Answered from the header alone: well before the 500 ms body timeout.
        self.assertLess(time.monotonic() - t0, 0.45, r)

    @harness.direct_only("NGINX reads the whole request body before passing it on (proxy_request_buffering)")
    def test_body_chunked_over_limit_413(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"190\r\n" + b"c" * 400 + b"\r\n"        # 400 bytes each
        c.send(chunk + chunk)
        time.sleep(0.05)
        self.assertTrue(c.is_open(0.05), "closed before the limit was crossed")
        c.send(chunk)                                     # 1200 > 1000
        self.assertRefused(c, 413, "payload_too_large")

    # -- per connection -------------------------------------------------

    @harness.direct_only("about scifind's own client socket; behind NGINX the client's connection is NGINX's")
    def test_max_requests_per_conn(self):
        c = self.connect()
        for i in range(3):
            c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.closes, i == 2, "request %d: %r" % (i + 1, r))
        self.assertEqual(c.read_eof(timeout=2), b"")

    @harness.direct_only("about scifind's own client socket; behind NGINX the client's connection is NGINX's")
    def test_max_requests_per_conn_pipelined_fourth_not_answered(self):
        c = self.connect()
        c.send((b"GET /health HTTP/1.1\r\n" + H + b"\r\n") * 4)
        rs = c.read_responses(3)
        self.assertEqual([r.status for r in rs], [200, 200, 200])
        self.assertTrue(rs[2].closes, rs[2])
        self.assertEqual(c.read_eof(timeout=2), b"")

    # -- timeouts -------------------------------------------------------

    @harness.direct_only("about scifind's own client socket; behind NGINX the client's connection is NGINX's")
    def test_slowloris_header_timeout_408(self):
        c = self.connect()
        t0 = time.monotonic()
        c.send(b"GET /health HTTP/1.1\r\n")
        trickle = b"X-Slow: " + b"s" * 60
        i = 0
        # One byte every 100 ms: each read resets nothing, the whole header
        # section must be in within 500 ms.
        while time.monotonic() - t0 < 3.0:
            ready, _, _ = select.select([c.sock], [], [], 0.1)
            if ready:
                break
            try:
                c.send(trickle[i % len(trickle):i % len(trickle) + 1])
            except OSError:
                break
            i += 1
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 1.2, "no answer %.2f s into a slow header" % elapsed)
        self.assertGreater(elapsed, 0.3, "answered before the header timeout")
        self.assertRefused(c, 408, "request_timeout")

    @harness.direct_only("NGINX reads the whole request body before passing it on (proxy_request_buffering)")
    def test_body_timeout_408(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H + b"Content-Length: 100\r\n\r\n0123456789")
        t0 = time.monotonic()
        ready, _, _ = select.select([c.sock], [], [], 3.0)
        elapsed = time.monotonic() - t0
        self.assertTrue(ready, "no answer 3 s into a stalled body")
        self.assertLess(elapsed, 1.2)
        self.assertGreater(elapsed, 0.3, "answered before the body timeout")
        self.assertRefused(c, 408, "request_timeout")

    @harness.direct_only("about scifind's own client socket; behind NGINX the client's connection is NGINX's")
    def test_idle_keep_alive_closed_silently(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
        self.assertEqual(c.read_response().status, 200)
        t0 = time.monotonic()
        self.assertTrue(c.is_open(0.25), "closed long before the idle timeout")
        rest = c.read_eof(timeout=3)
        self.assertIsNotNone(rest, "idle connection still open after 3 s")
        self.assertEqual(rest, b"", "idle close must send nothing")
        self.assertLess(time.monotonic() - t0, 1.5)

    def test_server_healthy_after_limits(self):
        # Runs last (alphabetically after the others it is not, so it runs
        # some abuse itself first).
        for _ in range(3):
            c = harness.Conn(self.port)
            c.send(b"GET /" + b"z" * 1000 + b" HTTP/1.1\r\n" + H + b"\r\n")
            c.close()
        self.assertServerAlive()


@harness.direct_only("about scifind's own client connections; NGINX multiplexes its clients"
                     " over a few pooled upstream connections")
class MaxConnectionsTest(harness.ServerTestCase):
    SERVER_ARGS = {"workers": 0, "settings": {
        "http.max_connections": "5",
        "http.idle_timeout": "20s",
        "http.header_timeout": "20s",
    }}

    def test_sixth_connection_waits_for_a_free_slot(self):
        held = []
        for i in range(5):
            c = self.connect()
            c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
            self.assertEqual(c.read_response().status, 200, "connection %d" % i)
            held.append(c)
        sixth = self.connect()          # the kernel's backlog takes it
        sixth.send(b"GET /health/live HTTP/1.1\r\n" + H + b"\r\n")
        ready, _, _ = select.select([sixth.sock], [], [], 0.7)
        self.assertFalse(ready, "a sixth connection was served past max_connections=5")
        for c in held:
            self.assertTrue(c.is_open(0.01))
        held[0].close()
        sixth.sock.settimeout(5)
        r = sixth.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ok"})
        for c in held[1:]:
            c.close()
        self.assertServerAlive()


class BackpressureTest(harness.ServerTestCase):
    SERVER_ARGS = {"workers": 0, "settings": {
        "http.max_pending_output": "16k",
        "http.write_timeout": "500ms",
        "http.max_requests_per_conn": "1000000",
    }}

    def test_client_not_reading_is_dropped_and_others_served(self):
        rss0 = rss_kb(self.server.pid)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", self.port))
        s.settimeout(10)
        req = b"GET /health HTTP/1.1\r\n" + H + b"\r\n"
        blob = req * 2000                   # ~60 kB of requests per send
        outcome = {}

        def flood():
            sent = 0
            try:
                for _ in range(40):         # at most ~2.4 MB; stops on error
                    s.sendall(blob)
                    sent += len(blob)
                outcome["result"] = "sent everything (%d bytes)" % sent
            except socket.timeout:
                outcome["result"] = "send blocked 10 s (%d bytes)" % sent
            except OSError as e:
                outcome["result"] = "dropped"
                outcome["error"] = repr(e)

        t = threading.Thread(target=flood, daemon=True)
        t0 = time.monotonic()
        t.start()
        # Other clients are served meanwhile, promptly.
        for _ in range(10):
            t1 = time.monotonic()
            r = self.request("GET", "/health", timeout=2)
            self.assertEqual(r.status, 200)
            self.assertLess(time.monotonic() - t1, harness.scaled(1.0))
            time.sleep(0.05)
        t.join(15)
        self.assertFalse(t.is_alive())
        # Either the sender saw the drop, or its data all went in and the
        # server must close the connection anyway since nobody reads.
        if outcome.get("result") != "dropped":
            time.sleep(1.0)             # > write_timeout, still not reading
            s.settimeout(0.5)
            closed = False
            deadline = time.monotonic() + 5
            try:
                while time.monotonic() < deadline:
                    try:
                        if not s.recv(1 << 20):
                            closed = True
                            break
                    except socket.timeout:
                        continue
            except OSError:
                closed = True
            self.assertTrue(closed, "connection of a client that does not read was not"
                            " dropped (%s)" % outcome.get("result"))
        s.close()
        grown = rss_kb(self.server.pid) - rss0
        # Under AddressSanitizer freed memory sits in its quarantine (256 MB
        # by default), so RSS says nothing about what the server holds.
        if not sanitized(self.server.pid):
            self.assertLess(grown, 64 * 1024, "RSS grew by %d kB: output not bounded" % grown)
        self.assertServerAlive()
        self.assertLess(time.monotonic() - t0, 20)


if __name__ == "__main__":
    harness.main()
