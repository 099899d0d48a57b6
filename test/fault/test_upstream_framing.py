"""A provider answer framed two ways (Content-Length and Transfer-Encoding:
chunked, RFC 9112 6.3) is an error, and its connection is not reused: a
pooled connection whose framing the two ends may read differently could
hand one search another's bytes. libcurl 7.88 alone takes the chunks and
keeps the connection. The provider here is a raw socket server of the
test's own, answering in Semantic Scholar's format.
"""

import json
import os
import socket
import threading
import unittest

import fault  # noqa: F401  (puts test/blackbox on the path)
import harness

BODY = json.dumps({"total": 1, "offset": 0, "data": [
    {"paperId": "649def34f8be52c8b66281af98ae884c09aef38b", "title": "Framed twice",
     "year": 2020, "authors": [{"authorId": "1", "name": "A. Author"}]}]}).encode()


class TwoFramings:
    """Answers every request with both framings; counts connections."""

    def __init__(self, both=True):
        self.both = both
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopping:
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
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    if self.both:
                        head += b"Content-Length: %d\r\n" % len(BODY)
                    head += b"Transfer-Encoding: chunked\r\n\r\n"
                    c.sendall(head + chunked)

    def stop(self):
        self.stopping = True
        self.sock.close()


class UpstreamFraming(unittest.TestCase):
    def start(self, both):
        fake = TwoFramings(both)
        self.addCleanup(fake.stop)
        env = dict(os.environ)
        env["SCIFIND_SEMANTIC_SCHOLAR_BASE_URL"] = "http://127.0.0.1:%d" % fake.port
        server = harness.Server(workers=0, env=env, settings={
            "cache.enabled": "false", "providers.max_retries": "0",
            "providers.breaker_threshold": "1000"}).start()
        self.addCleanup(server.stop)
        return fake, server

    def search(self, server, i):
        return harness.request(server.port, "GET", "/v1/search?providers=semantic_scholar&"
                               "query=framed+%d" % i, timeout=15)

    def test_both_framings_refused_and_connection_not_reused(self):
        fake, server = self.start(both=True)
        for i in range(3):
            r = self.search(server, i)
            self.assertEqual(r.status, 502, r)
            p = r.json()["providers"]["semantic_scholar"]
            self.assertEqual(p["status"], "error", p)
            self.assertIn("Content-Length and Transfer-Encoding", p["error"], p)
        self.assertEqual(fake.connections, 3, "a connection was reused after a bad framing")

    def test_chunked_alone_is_fine_and_reused(self):
        fake, server = self.start(both=False)
        for i in range(3):
            r = self.search(server, i)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["papers"][0]["title"], "Framed twice")
        self.assertEqual(fake.connections, 1)


if __name__ == "__main__":
    harness.main()
