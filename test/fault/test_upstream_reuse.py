"""Provider connections are reused under concurrency: the worker keeps the
connections it opened for the next calls instead of closing them as soon as
few transfers are running (libcurl's default cache holds 4 connections per
transfer in flight at that moment, so after each burst it closed most of
them and the next burst connected anew). The provider is a socket server of
the test's own, answering at once in Semantic Scholar's and OpenAlex's
formats and counting the connections it accepts.
"""

import json
import os
import socket
import threading
import time
import unittest

import fault  # noqa: F401  (puts test/blackbox on the path)
import harness

S2 = json.dumps({"total": 1, "offset": 0, "data": [
    {"paperId": "649def34f8be52c8b66281af98ae884c09aef38b", "title": "Reused",
     "year": 2020, "authors": [{"authorId": "1", "name": "A. Author"}]}]}).encode()
OPENALEX = json.dumps({"meta": {"count": 1, "page": 1, "per_page": 1}, "results": [
    {"id": "https://openalex.org/W2626778328", "title": "Also reused",
     "display_name": "Also reused", "publication_year": 2021,
     "authorships": [{"author": {"display_name": "B. Author"}}]}]}).encode()
CLIENTS = 8
ROUNDS = 6


class Counting:
    """HTTP/1.1 keep-alive server; counts accepted connections."""

    def __init__(self):
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        buf = b""
        with c:
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    body = OPENALEX if head.startswith(b"GET /works") else S2
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def stop(self):
        self.sock.close()


class UpstreamReuse(unittest.TestCase):
    def test_connections_kept_between_bursts(self):
        fake = Counting()
        self.addCleanup(fake.stop)
        env = dict(os.environ)
        for p in ("SEMANTIC_SCHOLAR", "OPENALEX"):
            env["SCIFIND_%s_BASE_URL" % p] = "http://127.0.0.1:%d" % fake.port
            env["SCIFIND_%s_RATE_INTERVAL" % p] = "0"
        server = harness.Server(workers=0, env=env, settings={
            "cache.enabled": "false", "providers.max_retries": "0"}).start()
        self.addCleanup(server.stop)
        failures = []

        def client(k):
            for i in range(ROUNDS):
                r = harness.request(server.port, "GET", "/v1/search?providers=semantic_scholar,"
                                    "openalex&query=reuse+%d+%d" % (k, i), timeout=15)
                if r.status != 200:
                    failures.append(r.status)

        for burst in range(2):
            threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(0.2)  # a quiet spell between bursts: nothing in flight
        self.assertEqual(failures, [])
        # at most CLIENTS calls per provider are in flight at once: as many
        # connections per provider serve all 2 * 2 * CLIENTS * ROUNDS calls
        # (a few more if libcurl opened one while another was handed back)
        self.assertLessEqual(fake.connections, 2 * CLIENTS + 4,
                             "%d connections for %d calls" % (fake.connections,
                                                              4 * CLIENTS * ROUNDS))


if __name__ == "__main__":
    harness.main()
