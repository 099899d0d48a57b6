"""HTTP/1.1 behaviour of scifind (docs/http.md): one server, one worker."""

import json
import re
import socket
import time
import unittest

import harness
from harness import build_request

H = b"Host: t\r\n"


class HttpTest(harness.ServerTestCase):
    SERVER_ARGS = {"workers": 0}

    # -- /health --------------------------------------------------------

    def test_health_body_and_headers(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.version, "HTTP/1.1")
        self.assertEqual(json.loads(r.body), {"status": "ok"})
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"), r)
        if harness.VIA_NGINX:
            self.assertTrue(r.header("Server", "").startswith("nginx"), r)
        else:
            self.assertEqual(r.header("Server"), "scifind")
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        # RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
        self.assertRegex(r.header("Date", ""),
                         r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
        self.assertRegex(r.header("X-Request-ID", ""), r"^[0-9a-f]{32}$")
        self.assertIsNone(r.header("Transfer-Encoding"))
        self.assertEqual(len(r.header_all("Content-Length")), 1)

    def test_health_live(self):
        r = self.request("GET", "/health/live")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ok"})

    def test_health_ready(self):
        r = self.request("GET", "/health/ready")
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual(j.get("status"), "ready", j)
        self.assertIsInstance(j.get("checks"), dict, j)

    def test_request_ids_differ(self):
        a = self.request("GET", "/health").header("X-Request-ID")
        b = self.request("GET", "/health").header("X-Request-ID")
        self.assertNotEqual(a, b)

    # -- connections ----------------------------------------------------

    def test_keep_alive_many_requests_one_socket(self):
        c = self.connect()
        for i in range(5):
            c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, "request %d: %r" % (i, r))
            self.assertFalse(r.closes, r)
        self.assertTrue(c.is_open(), "server closed a keep-alive connection")

    def test_pipelining_answers_in_order(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n"
               b"GET /nope HTTP/1.1\r\n" + H + b"\r\n"
               b"GET /health/ready HTTP/1.1\r\n" + H + b"\r\n")
        rs = c.read_responses(3)
        self.assertEqual([r.status for r in rs], [200, 404, 200], rs)
        self.assertEqual(rs[0].json(), {"status": "ok"})
        self.assertEqual(rs[1].json()["error"]["code"], "not_found")
        self.assertEqual(rs[2].json().get("status"), "ready")
        # A 404 from the router is not a refused request: still usable.
        c.send(b"GET /health/live HTTP/1.1\r\n" + H + b"\r\n")
        self.assertEqual(c.read_response().status, 200)

    def test_pipelining_split_across_packets(self):
        c = self.connect()
        data = (b"GET /health HTTP/1.1\r\n" + H + b"\r\n"
                b"GET /health/live HTTP/1.1\r\n" + H + b"\r\n")
        # The second request starts inside the first packet and ends later.
        cut = len(data) - 7
        c.send(data[:cut])
        time.sleep(0.1)
        c.send(data[cut:])
        rs = c.read_responses(2)
        self.assertEqual([r.status for r in rs], [200, 200], rs)

    def test_connection_close_from_client(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.closes, r)
        self.assertEqual(c.read_eof(timeout=3), b"")

    def test_http10_closes(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(c.read_eof(timeout=3), b"", "HTTP/1.0 connection not closed")

    def test_http10_keep_alive_stays_open(self):
        c = self.connect()
        for _ in range(2):
            c.send(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.header("Connection") or "").lower(), "keep-alive", r)
        self.assertTrue(c.is_open())

    def test_head_has_length_and_no_body(self):
        g = self.request("GET", "/health")
        c = self.connect()
        c.send(b"HEAD /health HTTP/1.1\r\n" + H + b"\r\n"
               b"GET /health/live HTTP/1.1\r\n" + H + b"\r\n")
        r = c.read_response(head=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Length"), g.header("Content-Length"))
        self.assertEqual(r.header("Content-Type"), g.header("Content-Type"))
        # Had the HEAD response carried a body, the next response would not
        # start with a status line.
        r2 = c.read_response()
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r2.json(), {"status": "ok"})

    # -- errors ---------------------------------------------------------

    def test_not_found_json_shape(self):
        c = self.connect()
        c.send(b"GET /no/such/path HTTP/1.1\r\n" + H + b"\r\n")
        r = c.read_response()
        j = self.assertError(r, 404, "not_found")
        self.assertEqual(j["request_id"], r.header("X-Request-ID"))
        self.assertEqual(set(j), {"error", "request_id"}, j)

    def test_method_not_allowed_has_allow(self):
        r = self.request("POST", "/health", body=b"")
        self.assertError(r, 405, "method_not_allowed")
        allow = [m.strip() for m in (r.header("Allow") or "").split(",")]
        self.assertIn("GET", allow, r)
        self.assertNotIn("POST", allow, r)

    def test_unknown_method_501(self):
        c = self.connect()
        c.send(b"FOO / HTTP/1.1\r\n" + H + b"\r\n")
        r = c.read_response()
        self.assertError(r, 501, "not_implemented")

    @harness.direct_only("NGINX answers a malformed request itself (its own 400 page)")
    def test_missing_host_http11_400(self):
        c = self.connect()
        c.send(b"GET /health HTTP/1.1\r\n\r\n")
        self.assertRefused(c, 400, "bad_request")

    def test_http10_without_host_ok(self):
        r = None
        with harness.Conn(self.port) as c:
            c.send(b"GET /health HTTP/1.0\r\n\r\n")
            r = c.read_response()
        self.assertEqual(r.status, 200, r)

    # -- request ids ----------------------------------------------------

    def test_request_id_echoed_when_valid(self):
        rid = "abc-DEF_123.x:y/z"
        r = self.request("GET", "/health", headers={"X-Request-ID": rid})
        self.assertEqual(r.header("X-Request-ID"), rid)
        r = self.request("GET", "/nope", headers={"X-Request-ID": rid})
        self.assertEqual(r.header("X-Request-ID"), rid)
        self.assertEqual(r.json()["request_id"], rid)

    def test_request_id_128_chars_kept(self):
        rid = "a" * 128
        r = self.request("GET", "/health", headers={"X-Request-ID": rid})
        self.assertEqual(r.header("X-Request-ID"), rid)

    def test_request_id_too_long_replaced(self):
        rid = "a" * 129
        r = self.request("GET", "/health", headers={"X-Request-ID": rid})
        self.assertEqual(r.status, 200)
        self.assertRegex(r.header("X-Request-ID", ""), r"^[0-9a-f]{32}$")

    def test_request_id_bad_chars_replaced(self):
        for rid in ("abc<script>", "a\"b", "x;y", "a b"):
            r = self.request("GET", "/nope",
                             headers={"X-Request-ID": rid})
            self.assertEqual(r.status, 404, (rid, r))
            got = r.header("X-Request-ID", "")
            self.assertRegex(got, r"^[0-9a-f]{32}$", rid)
            self.assertEqual(r.json()["request_id"], got)

    # -- bodies ---------------------------------------------------------

    def test_chunked_post_to_health_405_and_closes(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H +
               b"Transfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        r = c.read_response()
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("GET", r.header("Allow") or "")
        if r.closes:
            self.assertEqual(c.read_eof(timeout=3), b"")
        else:
            # Kept open: the body was consumed, so the next request parses.
            c.send(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
            self.assertEqual(c.read_response().status, 200)

    def test_expect_100_continue(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H +
               b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        r = c.read_response(interim=True)
        self.assertEqual(r.status, 100, r)
        self.assertEqual(r.raw, b"HTTP/1.1 100 Continue\r\n\r\n")
        c.send(b"hello")
        r = c.read_response()
        self.assertError(r, 405, "method_not_allowed")

    def test_expect_100_continue_too_large_413_without_100(self):
        # Through NGINX, its client_max_body_size answers (the same JSON
        # error, from the site's error_page).
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H +
               b"Content-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n")
        r = c.read_response(interim=True)
        self.assertNotEqual(r.status, 100, "100 Continue for an oversized body")
        self.assertError(r, 413, "payload_too_large")
        self.assertTrue(r.closes, r)
        if not harness.VIA_NGINX:   # NGINX lingers (lingering_timeout 5 s) before closing
            self.assertEqual(c.read_eof(timeout=3), b"")

    @harness.direct_only("NGINX handles Expect itself and does not pass it on")
    def test_expect_other_value_417(self):
        c = self.connect()
        c.send(b"POST /health HTTP/1.1\r\n" + H +
               b"Content-Length: 5\r\nExpect: something-else\r\n\r\nhello")
        r = c.read_response(interim=True)
        self.assertError(r, 417, "expectation_failed")

    # -- robustness -----------------------------------------------------

    def test_client_closes_mid_request_server_survives(self):
        c = harness.Conn(self.port)
        c.send(b"GET /health HTTP/1.1\r\nHo")
        c.close()
        c = harness.Conn(self.port)
        c.send(b"POST /health HTTP/1.1\r\n" + H + b"Content-Length: 100\r\n\r\nabc")
        c.close()
        # Reset (RST) instead of FIN.
        s = socket.create_connection(("127.0.0.1", self.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(b"GET /health HTTP/1.1\r\n" + H + b"\r\n")
        s.close()
        self.assertServerAlive()

    @harness.direct_only("NGINX answers a malformed request itself (its own 400 page)")
    def test_invalid_request_line_400(self):
        c = self.connect()
        c.send(b"GET\r\n\r\n")
        self.assertRefused(c, 400, "bad_request")


if __name__ == "__main__":
    harness.main()
