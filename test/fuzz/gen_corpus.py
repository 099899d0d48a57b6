#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into test/fuzz/corpus/.

Seeds come from the tests: the providers' recorded-format fixtures
(test/providers/fixtures), the configuration fixtures
(test/core/fixtures/config), the raw requests of the black-box tests
(test/blackbox/test_http.py, test_limits.py, test_smuggling.py) and the
query parameters of docs/api.md. Run it again after changing those; the
corpora are committed, so the unit tests and run.sh need nothing else.
"""
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def reset(target):
    shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)


# -- HTTP --------------------------------------------------------------------
# fuzz_http's input: 1 flag byte, 4 chunk-pattern bytes, then the bytes sent.
# (flags: 1 EOF, 2 timer at end, 4 small buffers, 8 no reading, 16 one
# request per connection; pattern: low 7 bits a chunk size, 0 = the rest,
# high bit fires the connection's timer after that chunk.)
H = b"Host: t\r\n"
SMUGGLED = b"GET /health/ready HTTP/1.1\r\nHost: t\r\n\r\n"
REQUESTS = {
    "health": b"GET /health HTTP/1.1\r\n" + H + b"\r\n",
    "health_ready": b"GET /health/ready HTTP/1.1\r\n" + H + b"\r\n",
    "head_health": b"HEAD /health HTTP/1.1\r\n" + H + b"\r\n",
    "http10": b"GET /health HTTP/1.0\r\n\r\n",
    "http10_keepalive": b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "conn_close": b"GET /health HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    "pipelined": (b"GET /health HTTP/1.1\r\n" + H + b"\r\n"
                  b"GET /nope HTTP/1.1\r\n" + H + b"\r\n"
                  b"GET /health/ready HTTP/1.1\r\n" + H + b"\r\n"),
    "not_found": b"GET /nope HTTP/1.1\r\n" + H + b"\r\n",
    "method_not_allowed": b"DELETE /health HTTP/1.1\r\n" + H + b"\r\n",
    "options": b"OPTIONS /health HTTP/1.1\r\n" + H + b"\r\n",
    "unknown_method": b"BREW /health HTTP/1.1\r\n" + H + b"\r\n",
    "lowercase_method": b"get /health HTTP/1.1\r\n" + H + b"\r\n" + SMUGGLED,
    "no_host": b"GET /health HTTP/1.1\r\n\r\n",
    "echo_cl": b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
    "echo_chunked": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"),
    "echo_expect": (b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\n"
                    b"Content-Length: 4\r\n\r\nbody"),
    "echo_expect_bad": b"POST /echo HTTP/1.1\r\n" + H + b"Expect: teapot\r\n\r\n",
    "echo_too_big": (b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 301\r\n\r\n" + b"b" * 301),
    "echo_chunked_too_big": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                             b"100\r\n" + b"c" * 256 + b"\r\n100\r\n" + b"c" * 256 + b"\r\n0\r\n\r\n"),
    "echo_put_pipelined": (b"PUT /echo HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc"
                           b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 0\r\n\r\n"),
    "item": b"GET /items/42?x=1&y=2 HTTP/1.1\r\n" + H + b"User-Agent: fuzz\r\n\r\n",
    "item_empty": b"GET /items/ HTTP/1.1\r\n" + H + b"\r\n",
    "later": b"GET /later HTTP/1.1\r\n" + H + b"\r\n" + b"GET /health HTTP/1.1\r\n" + H + b"\r\n",
    "later_post": b"POST /later HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n\r\n{}",
    "request_id": b"GET /health HTTP/1.1\r\n" + H + b"X-Request-ID: abc-123_x.y:z/w\r\n\r\n",
    "request_id_bad": b"GET /health HTTP/1.1\r\n" + H + b"X-Request-ID: a\"b\\c\r\n\r\n",
    "long_target": b"GET /" + b"a" * 210 + b" HTTP/1.1\r\n" + H + b"\r\n",
    "big_header": b"GET /health HTTP/1.1\r\n" + H + b"X-Pad: " + b"p" * 620 + b"\r\n\r\n",
    "many_headers": b"GET /health HTTP/1.1\r\n" + H + b"".join(
        b"X-H%d: v\r\n" % i for i in range(10)) + b"\r\n",
    "cl_and_te": (b"POST /health HTTP/1.1\r\n" + H +
                  b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED),
    "te_and_cl": (b"POST /health HTTP/1.1\r\n" + H +
                  b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED),
    "two_cl": b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl_list": b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5, 5\r\n\r\nhello",
    "cl_negative": b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n",
    "chunk_bad_size": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nhello\r\n0\r\n\r\n"),
    "chunk_huge_size": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                        b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    "chunk_no_crlf": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhelloXX0\r\n\r\n"),
    "te_gzip": b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "te_two": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "obs_fold": b"GET /health HTTP/1.1\r\n" + H + b"X-Folded: a\r\n b\r\n\r\n" + SMUGGLED,
    "bare_lf": b"GET /health HTTP/1.1\nHost: t\n\n",
    "bare_cr": b"GET /health HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n",
    "nul_in_value": b"GET /health HTTP/1.1\r\n" + H + b"X-Nul: a\x00b\r\n\r\n",
    "space_before_colon": b"GET /health HTTP/1.1\r\n" + H + b"X-Space : v\r\n\r\n",
    "no_colon": b"GET /health HTTP/1.1\r\n" + H + b"NoColonHere\r\n\r\n",
    "bad_version": b"GET /health HTTP/9.9\r\n" + H + b"\r\n",
    "two_targets": b"GET /health /x HTTP/1.1\r\n" + H + b"\r\n",
    "upgrade": b"GET /health HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "high_bytes": b"GET /\x80\xff HTTP/1.1\r\n" + H + b"X-Bin: \x80\xff\x7f\r\n\r\n",
    "absolute_uri": b"GET http://t/health HTTP/1.1\r\n" + H + b"\r\n",
    "connect": b"CONNECT t:443 HTTP/1.1\r\n" + H + b"\r\n",
    # Bare CR as a line end (CVE-2023-30589's shape), in the head and the chunks.
    "bare_cr_smuggle": (b"GET /health HTTP/1.1\r\n" + H + b"\rZGET /smuggled HTTP/1.1\r\n" + H +
                        b"\r\n"),
    "bare_cr_te": (b"POST /echo HTTP/1.1\r\n" + H +
                   b"X-Abc: \rxTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "bare_cr_chunk_size": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                           b"10\rX\r\n0123456789abcdef\r\n0\r\n\r\n"),
    "bare_cr_last_chunk": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                           b"0\rX\r\n\r\n"),
    "bare_lf_end": b"GET /health HTTP/1.1\r\n" + H + b"\n" + SMUGGLED,
    # Chunk extensions: a long one (CVE-2024-22019's shape) and many short ones.
    "chunk_ext_long": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                       b"5;" + b"e" * 5000 + b"\r\nhello\r\n0\r\n\r\n"),
    "chunk_ext_many": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" +
                       b"".join(b"1;n=v;m=w\r\nz\r\n" for _ in range(20)) + b"0\r\n\r\n"),
    "chunk_over_limit": (b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                         b"7fffffff\r\n"),
    # Host and target forms.
    "host_two": b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "host_odd": b"GET /health HTTP/1.1\r\nHost: u@h:8x/a b\r\n\r\n",
    "host_ipv6": b"GET /health HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    "empty_name": b"GET /health HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n",
    "space_in_name": b"GET /health HTTP/1.1\r\n" + H + b"X A: b\r\n\r\n",
    "asterisk": b"GET * HTTP/1.1\r\n" + H + b"\r\nOPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
    "absolute_query": b"GET HTTP://t:1?limit=1 HTTP/1.1\r\n" + H + b"\r\n",
    "bad_percent": b"GET /health%zz?q=%2 HTTP/1.1\r\n" + H + b"\r\n",
    "tab_in_target": b"GET /v1/search?query=a\tb HTTP/1.1\r\n" + H + b"\r\n",
}
# (name suffix, flag byte, chunk pattern)
VARIANTS = [
    ("", 0, b"\x00\x00\x00\x00"),            # all at once
    ("-bytes", 0, b"\x01\x01\x01\x01"),      # one byte at a time
    ("-split", 1, b"\x07\x0d\x03\x40"),      # uneven pieces, then EOF
    ("-timer", 2, b"\x10\x90\x00\x00"),      # a timeout mid-way and at the end
    ("-small", 4 | 8, b"\x00\x00\x00\x00"),  # tiny buffers, client not reading
]


def gen_http():
    reset("http")
    for name, raw in REQUESTS.items():
        for suffix, flags, pat in VARIANTS:
            if suffix and name not in ("health", "pipelined", "echo_chunked", "echo_expect",
                                      "later", "echo_cl", "obs_fold", "http10"):
                continue
            put("http", name + suffix, bytes([flags]) + pat + raw)
    # Many pipelined requests: max_requests_per_conn (6) closes the connection.
    put("http", "pipelined_many", b"\x00\x00\x00\x00\x00" + REQUESTS["health"] * 8)
    put("http", "pipelined_one_per_conn", b"\x10\x00\x00\x00\x00" + REQUESTS["health"] * 2)


# -- providers ---------------------------------------------------------------
def gen_providers():
    src = os.path.join(ROOT, "test", "providers", "fixtures")
    for p in ("arxiv", "semantic_scholar", "exa", "openalex", "crossref"):
        t = "provider_" + p
        reset(t)
        for f in sorted(os.listdir(os.path.join(src, p))):
            with open(os.path.join(src, p, f), "rb") as fh:
                put(t, f, fh.read())


# -- query -------------------------------------------------------------------
QUERIES = [
    b"query=graph+neural+networks&limit=5",
    b"query=quantum%20error%20correction&providers=arxiv,crossref&sort=date",
    b"query=x&limit=100&offset=20&sort=citations&strategy=fastest",
    b"query=deep+learning&year=2018-2021&author=lecun&category=cs.LG&open_access=true",
    b"query=a&year_from=2000&year_to=2001&date_from=2000-01-01&date_to=2001-12-31",
    b"query=b&timeout_ms=250&providers=semantic_scholar,exa,openalex",
    b"query=%E2%80%A8%C3%A9t%C3%A9&open_access=0",
    b"query=&limit=0",
    b"query=x&query=y",
    b"query=%zz",
    b"limit=5",
    b'{"query": "quantum error correction", "providers": ["arxiv", "crossref"], "sort": "date"}',
    b'{"query": "x", "limit": 5, "offset": 10, "open_access": true, "year": "2019"}',
    b'{"query": "y", "year_from": 2010, "year_to": 2020, "timeout_ms": 1000, "strategy": "merge"}',
    b'{"query": "z", "date_from": "2020-01-01", "author": "Hinton", "category": "cs.AI"}',
    b'{"query": "a\\u0000b"}',
    b'{"query": 1.5}',
    b'[1, 2]',
]


def gen_query():
    reset("query")
    for i, q in enumerate(QUERIES):
        put("query", "q%02d" % i, q)


# -- jsonrpc (POST /mcp bodies; test/blackbox/test_mcp.py) ---------------------
JSONRPC = [
    b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
    b'"capabilities":{},"clientInfo":{"name":"c","version":"1"}}}',
    b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
    b'{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{"cursor":"x"}}',
    b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search",'
    b'"arguments":{"query":"graph neural networks","limit":5,"fields":"compact"}}}',
    b'[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"},'
    b'{"jsonrpc":"2.0","id":3,"result":{}},{"jsonrpc":"2.0","id":4,"error":{"code":1}}]',
    b'[]', b'5', b'{', b'{"jsonrpc":"1.0","id":4,"method":"ping"}',
    b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping","params":3}',
    b'{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}',
    b'[1,[2],{"jsonrpc":"2.0","id":null,"method":""},{"jsonrpc":"2.0","id":1.5,"result":1,"error":2}]',
]


def gen_jsonrpc():
    reset("jsonrpc")
    for i, q in enumerate(JSONRPC):
        put("jsonrpc", "j%02d" % i, q)


# -- config ------------------------------------------------------------------
def gen_config():
    reset("config")
    src = os.path.join(ROOT, "test", "core", "fixtures", "config")
    for f in sorted(os.listdir(src)):
        with open(os.path.join(src, f), "rb") as fh:
            put("config", f, fh.read())
    put("config", "set_lines.txt",
        b"http.max_body_bytes=16k\nlog.level=debug\nlisten=[::1]:8080\n"
        b"http.idle_timeout=2m\nlog.access_sample=0.5\nproviders.exa.api_key=k\n"
        b"workers=0\nsearch.deadline=1h\nredis.url=redis://:p@h:1/2\n")
    put("config", "anchors.yaml",
        b"base: &b\n  max_headers: 10\nhttp: *b\nlog: {level: warn, access: off}\n")


if __name__ == "__main__":
    gen_http()
    gen_providers()
    gen_query()
    gen_jsonrpc()
    gen_config()
    for t in sorted(os.listdir(CORPUS)):
        n = len(os.listdir(os.path.join(CORPUS, t)))
        print("%-28s %d seeds" % (t, n))
