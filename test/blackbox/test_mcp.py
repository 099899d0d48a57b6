"""/mcp end to end (docs/mcp.md): the real scifind with 2 workers in front of
the provider simulator, spoken to in raw HTTP: sessions across workers,
refused sessions and origins, malformed JSON-RPC, unknown methods and tools,
wrong argument types, oversized bodies, batches, SSE answers, the
middleware's refusals in JSON-RPC form, a failed provider reported. The
official TypeScript SDK's client is test/mcp/test_mcp_sdk.py."""

import json
import urllib.parse
import os
import time
import unittest

import harness

Q = "graph neural networks"
ORIGIN = "http://agent.example"


def init_body(version="2025-06-18", id_=1):
    return {"jsonrpc": "2.0", "id": id_, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {},
                       "clientInfo": {"name": "blackbox", "version": "1"}}}


class McpBase(harness.SimulatorTestCase):
    SETTINGS = {}
    WORKERS = 2

    @classmethod
    def server_args(cls):
        settings = dict({"mcp.origins": ORIGIN, "cors.origins": ORIGIN,
                         "http.max_body_bytes": "64k",
                         "providers.breaker_threshold": "1000",
                         "providers.max_retries": "0"}, **cls.SETTINGS)
        return {"workers": cls.WORKERS, "settings": settings}

    def post(self, body, session=None, version=None, headers=None, raw=False, timeout=15.0):
        h = [("Content-Type", "application/json"),
             ("Accept", "application/json, text/event-stream")]
        if session:
            h.append(("Mcp-Session-Id", session))
        if version:
            h.append(("MCP-Protocol-Version", version))
        h += list(headers or [])
        data = body if raw else json.dumps(body)
        return harness.request(self.server.port, "POST", "/mcp", h, data, timeout=timeout)

    def initialize(self, version="2025-06-18"):
        r = self.post(init_body(version))
        self.assertEqual(r.status, 200, r)
        sid = r.header("Mcp-Session-Id")
        self.assertIsNotNone(sid, r)
        return sid, r.json()["result"]["protocolVersion"]

    def call(self, session, name, arguments, id_=7, version="2025-06-18"):
        return self.post({"jsonrpc": "2.0", "id": id_, "method": "tools/call",
                          "params": {"name": name, "arguments": arguments}},
                         session=session, version=version)

    def assertRpcError(self, r, status, code, contains=None):
        self.assertEqual(r.status, status, r)
        j = r.json()
        self.assertEqual(j.get("jsonrpc"), "2.0", j)
        self.assertIn("error", j, j)
        self.assertEqual(j["error"]["code"], code, j)
        if contains:
            self.assertIn(contains, j["error"]["message"], j)
        return j


class McpProtocolTest(McpBase):

    def test_initialize_negotiates_the_version(self):
        for asked, got in [("2025-06-18", "2025-06-18"), ("2025-03-26", "2025-03-26"),
                           ("2025-11-25", "2025-11-25"), ("1999-01-01", "2025-11-25")]:
            r = self.post(init_body(asked))
            self.assertEqual(r.status, 200, r)
            res = r.json()["result"]
            self.assertEqual(res["protocolVersion"], got)
            self.assertEqual(res["serverInfo"]["name"], "scifind")
            self.assertIn("tools", res["capabilities"])
            sid = r.header("Mcp-Session-Id")
            self.assertTrue(sid and all(0x21 <= ord(ch) <= 0x7e for ch in sid), sid)
        r = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})
        self.assertRpcError(r, 200, -32602, "protocolVersion")

    def test_session_holds_across_workers(self):
        sid, _ = self.initialize()
        for i in range(24):   # new connections: SO_REUSEPORT spreads them over both workers
            r = self.post({"jsonrpc": "2.0", "id": i, "method": "tools/list"}, session=sid,
                          version="2025-06-18")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(sorted(t["name"] for t in r.json()["result"]["tools"]),
                             ["get_citations", "get_paper", "get_references", "search", "search_authors"])
        time.sleep(0.3)
        pids = set()
        for line in self.server.log_lines():
            if isinstance(line, dict) and line.get("msg") == "access" and \
                    line.get("path") == "/mcp" and line.get("status") == 200:
                pids.add(line.get("pid"))
        self.assertGreaterEqual(len(pids), 2, "every call landed on one worker: %r" % pids)

    def test_unknown_forged_and_missing_sessions(self):
        sid, _ = self.initialize()
        ping = {"jsonrpc": "2.0", "id": 3, "method": "ping"}
        self.assertRpcError(self.post(ping, session="0" * 60), 404, -32004, "session")
        forged = sid[:-1] + ("0" if sid[-1] != "0" else "1")
        self.assertRpcError(self.post(ping, session=forged), 404, -32004)
        self.assertRpcError(self.post(ping, session="not-a-session"), 404, -32004)
        self.assertRpcError(self.post(ping), 400, -32600, "Mcp-Session-Id")
        r = self.post(ping, session=sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"jsonrpc": "2.0", "id": 3, "result": {}})

    def test_delete_ends_the_session_for_every_worker(self):
        sid, _ = self.initialize()
        r = harness.request(self.server.port, "DELETE", "/mcp", [("Mcp-Session-Id", sid)])
        self.assertEqual(r.status, 204, r)
        for _ in range(8):
            self.assertRpcError(self.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                          session=sid), 404, -32004, "ended")
        r = harness.request(self.server.port, "DELETE", "/mcp", [("Mcp-Session-Id", sid)])
        self.assertEqual(r.status, 404, r)

    def test_get_is_405_with_allow(self):
        r = harness.request(self.server.port, "GET", "/mcp", [("Accept", "text/event-stream")])
        self.assertRpcError(r, 405, -32005)
        self.assertIn("POST", r.header("Allow"))

    def test_origin_allow_list(self):
        r = self.post(init_body(), headers=[("Origin", "http://evil.example")])
        self.assertRpcError(r, 403, -32003, "Origin")
        r = self.post(init_body(), headers=[("Origin", ORIGIN)])
        self.assertEqual(r.status, 200, r)

    def test_a_browser_client_can_read_the_session_id(self):
        # With cors.origins listing the origin (and mcp.origins), the id is exposed.
        r = self.post(init_body(), headers=[("Origin", ORIGIN)])
        self.assertEqual(r.header("Access-Control-Allow-Origin"), ORIGIN, r)
        self.assertIn("Mcp-Session-Id", r.header("Access-Control-Expose-Headers"))

    def test_malformed_json_rpc(self):
        sid, _ = self.initialize("2025-03-26")
        for body, code in [(b"{", -32700), (b"\xff\xfe", -32700), (b"", -32700),
                           (b"[]", -32600), (b"5", -32600), (b'"x"', -32600)]:
            r = self.post(body, session=sid, raw=True)
            j = self.assertRpcError(r, 400, code)
            self.assertIsNone(j["id"])
        # Well-formed JSON, not JSON-RPC: answered as an error with the id when usable.
        for msg, id_ in [({"jsonrpc": "1.0", "id": 4, "method": "ping"}, 4),
                         ({"jsonrpc": "2.0", "id": 5, "method": 12}, 5),
                         ({"jsonrpc": "2.0", "id": {"a": 1}, "method": "ping"}, None),
                         ({"jsonrpc": "2.0", "id": 6, "method": "ping", "params": 3}, 6)]:
            r = self.post(msg, session=sid)
            j = self.assertRpcError(r, 200, -32600)
            self.assertEqual(j["id"], id_)
        r = self.post(b'{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', session=sid, raw=True)
        self.assertRpcError(r, 400, -32700)
        r = harness.request(self.server.port, "POST", "/mcp",
                            [("Content-Type", "text/plain"), ("Mcp-Session-Id", sid)], "{}")
        self.assertRpcError(r, 415, -32600)

    def test_unknown_method_and_tool(self):
        sid, _ = self.initialize()
        r = self.post({"jsonrpc": "2.0", "id": 9, "method": "resources/list"}, session=sid)
        self.assertRpcError(r, 200, -32601, "resources/list")
        r = self.call(sid, "get_everything", {"id": "doi:10.1/x"})
        self.assertRpcError(r, 200, -32602, "get_everything")
        r = self.post({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {}},
                      session=sid)
        self.assertRpcError(r, 200, -32602)

    def test_wrong_argument_types_name_the_argument(self):
        sid, _ = self.initialize()
        for args, name in [({"query": 5}, "query"), ({}, "query"),
                           ({"query": Q, "limit": "ten"}, "limit"),
                           ({"query": Q, "limit": 1000}, "limit"),
                           ({"query": Q, "open_access": "yes"}, "open_access"),
                           ({"query": Q, "providers": ["nope"]}, "providers"),
                           ({"query": Q, "fields": "everything"}, "fields"),
                           ({"query": Q, "max_bytes": 10}, "max_bytes"),
                           ({"query": Q, "cursor": "zz"}, "cursor"),
                           ({"query": Q, "cursor": "o5", "offset": 2}, "cursor"),
                           ({"query": Q, "bogus": 1}, "bogus"),
                           ({"query": Q, "timeout_ms": 3600000}, "timeout_ms")]:
            r = self.call(sid, "search", args)
            self.assertRpcError(r, 200, -32602, "'%s'" % name)
        # Bytes that are not UTF-8: refused, and the error is still valid JSON.
        r = self.post(b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', session=sid, raw=True)
        self.assertRpcError(r, 400, -32700)
        r = self.call(sid, "get_paper", {"id": 12})
        self.assertRpcError(r, 200, -32602, "'id'")
        r = self.post({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "search", "arguments": [Q]}}, session=sid)
        self.assertRpcError(r, 200, -32602, "arguments")

    def test_oversized_body_refused(self):
        sid, _ = self.initialize()
        big = {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 100000}}
        r = self.post(big, session=sid)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(self.post({"jsonrpc": "2.0", "id": 2, "method": "ping"},
                                   session=sid).status, 200)

    def test_batches(self):
        sid, v = self.initialize("2025-03-26")
        self.assertEqual(v, "2025-03-26")
        ping = lambda i: {"jsonrpc": "2.0", "id": i, "method": "ping"}
        # 1,000 calls: over mcp.max_batch, refused whole with a clear error.
        r = self.post([ping(i) for i in range(1000)], session=sid)
        self.assertRpcError(r, 400, -32600, "at most 100")
        # 100, mixed: answers for the requests only, each with its id.
        batch = [ping(i) for i in range(97)]
        batch.append({"jsonrpc": "2.0", "method": "notifications/initialized"})
        batch.append({"jsonrpc": "2.0", "id": "bad", "method": ""})
        batch.append({"jsonrpc": "2.0", "id": "s", "method": "tools/call",
                      "params": {"name": "search", "arguments": {"query": Q, "limit": 2}}})
        r = self.post(batch, session=sid, timeout=30)
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(len(out), 99)
        by_id = {m["id"]: m for m in out}
        self.assertEqual(by_id[50]["result"], {})
        self.assertEqual(by_id["bad"]["error"]["code"], -32600)
        self.assertEqual(len(by_id["s"]["result"]["structuredContent"]["papers"]), 2)
        # Only notifications: 202, no body.
        r = self.post([{"jsonrpc": "2.0", "method": "notifications/initialized"}], session=sid)
        self.assertEqual(r.status, 202, r)
        # 2025-06-18 removed batches.
        sid2, _ = self.initialize("2025-06-18")
        r = self.post([ping(1)], session=sid2, version="2025-06-18")
        self.assertRpcError(r, 400, -32600, "2025-06-18")
        r = self.post([init_body("2025-03-26")], session=sid)
        self.assertRpcError(r, 400, -32600, "initialize")
        self.assertEqual(self.post(ping(1), session=sid).status, 200)

    def test_unsupported_protocol_version_header(self):
        sid, _ = self.initialize()
        r = self.post({"jsonrpc": "2.0", "id": 1, "method": "ping"}, session=sid,
                      version="1999-01-01")
        self.assertRpcError(r, 400, -32600, "MCP-Protocol-Version")

    def test_notification_is_202(self):
        sid, _ = self.initialize()
        r = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session=sid,
                      version="2025-06-18")
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.body, b"")

    def test_sse_when_the_client_prefers_a_stream(self):
        sid, _ = self.initialize()
        r = harness.request(self.server.port, "POST", "/mcp",
                            [("Content-Type", "application/json"),
                             ("Accept", "text/event-stream"), ("Mcp-Session-Id", sid),
                             ("MCP-Protocol-Version", "2025-06-18")],
                            json.dumps({"jsonrpc": "2.0", "id": 11, "method": "tools/call",
                                        "params": {"name": "search",
                                                   "arguments": {"query": Q, "limit": 3}}}),
                            timeout=15)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/event-stream"), r)
        text = r.body.decode()
        self.assertTrue(text.startswith("event: message\ndata: "), text[:100])
        msg = json.loads(text.split("data: ", 1)[1].split("\n", 1)[0])
        self.assertEqual(msg["id"], 11)
        self.assertEqual(msg["result"]["structuredContent"]["returned"], 3)

    def test_search_is_the_search_of_v1(self):
        # A query no other test asks: each worker's per-provider cache holds
        # results of earlier queries, which may merge differently.
        sid, _ = self.initialize()
        r = self.call(sid, "search", {"query": "neural message passing", "limit": 5,
                                      "sort": "date"})
        sc = r.json()["result"]["structuredContent"]
        v1 = harness.request(self.server.port, "GET",
                             "/v1/search?query=neural+message+passing&limit=5&sort=date",
                             timeout=15).json()
        self.assertEqual([p["id"] for p in sc["papers"]], [p["id"] for p in v1["papers"]])
        self.assertEqual(sc["total"], v1["total"])
        # The same answer: a second call is the memory tier's.
        # Asked again, it comes from the memory tier (of the worker that has it).
        tiers = set()
        for _ in range(6):
            r = self.call(sid, "search", {"query": "neural message passing", "limit": 5,
                                          "sort": "date"})
            again = r.json()["result"]["structuredContent"]
            self.assertEqual([p["id"] for p in again["papers"]], [p["id"] for p in sc["papers"]])
            tiers.add(again["cache"])
        self.assertIn("memory", tiers)

    def test_compact_papers_and_budget(self):
        sid, _ = self.initialize()
        r = self.call(sid, "search", {"query": Q, "limit": 20, "max_bytes": 4000})
        res = r.json()["result"]
        self.assertLess(len(json.dumps(res)), 4000 + 1500)
        sc = res["structuredContent"]
        self.assertTrue(sc["truncated"])
        self.assertEqual(sc["next_cursor"], "o%d" % sc["returned"])
        for p in sc["papers"]:
            self.assertEqual(set(p), {"id", "title", "authors", "year", "venue", "doi", "url",
                                      "abstract"})
            self.assertLessEqual(len(p["abstract"] or ""), 301)
        self.assertIn("cursor", res["content"][0]["text"])

    def test_failed_provider_is_reported_not_hidden(self):
        sid, _ = self.initialize()
        self.sim.configure("all", mode="error", error_status=503)
        r = self.call(sid, "search", {"query": "a query nobody asked", "limit": 5})
        self.assertIn("result", r.json(), r)
        res = r.json()["result"]
        self.assertTrue(res.get("isError"), res)
        sc = res["structuredContent"]
        self.assertTrue(sc["partial"])
        self.assertEqual(sc["papers"], [])
        self.assertTrue(all(p["status"] == "error" for p in sc["providers"].values()), sc)
        self.assertIn("failed", res["content"][0]["text"])
        self.sim.reset()
        self.sim.configure("arxiv", mode="error", error_status=429)
        r = self.call(sid, "search", {"query": "another fresh query", "limit": 5})
        res = r.json()["result"]
        sc = res["structuredContent"]
        self.assertFalse(res.get("isError"), res)
        self.assertTrue(sc["partial"])
        arxiv = sc["providers"]["arxiv"]
        self.assertEqual(arxiv["status"], "rate_limited", sc)
        # Throttled: when to ask again, for the provider and for the answer.
        self.assertIsInstance(arxiv["retry_after_seconds"], int)
        # The 429 suspended arXiv for the group (providers.suspend_rate_limited, 30 s).
        self.assertGreaterEqual(arxiv["retry_after_seconds"], 20)
        self.assertIsInstance(sc["retry_after_seconds"], int)
        self.assertIn("arxiv rate_limited, retry after", res["content"][0]["text"])

    def test_get_paper_without_store(self):
        # No store: a live lookup. A DOI no provider knows (none is reachable
        # here) is a tool error naming the id; an id that is none, invalid
        # params naming the argument.
        sid, _ = self.initialize()
        r = self.call(sid, "get_paper", {"id": "doi:10.1000/x"})
        res = r.json()["result"]
        self.assertTrue(res["isError"], res)
        self.assertIn("paper", res["content"][0]["text"])
        r = self.call(sid, "get_paper", {"id": "not an id"})
        err = r.json()["error"]
        self.assertEqual(err["code"], -32602)
        self.assertIn("not a paper id", err["message"])


class McpCitationsTest(McpBase):
    """get_citations, get_references: the lists of GET /v1/papers/{id}/citations
    and /references."""
    SMALL = "arxiv:cs/0703024"   # a dozen references (test_citations.py)
    TOP = "arxiv:cond-mat/9601060"  # about 1,300 citers

    def v1(self, pid, what, **params):
        path = "/v1/papers/%s/%s?%s" % (pid, what, "&".join("%s=%s" % kv for kv in params.items()))
        r = harness.request(self.server.port, "GET", path, timeout=20)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def result(self, sid, args, tool="get_citations"):
        r = self.call(sid, tool, args)
        self.assertEqual(r.status, 200, r)
        res = r.json()["result"]
        self.assertNotIn("isError", res, res)
        return res

    def test_references_are_those_of_v1_with_their_sources(self):
        sid, _ = self.initialize()
        res = self.result(sid, {"id": self.SMALL, "limit": 100}, "get_references")
        sc = res["structuredContent"]
        v1 = self.v1(self.SMALL, "references", limit=100)
        self.assertGreater(sc["returned"], 3)
        self.assertEqual(sc["total"], v1["total"])
        self.assertEqual([e["paper"]["id"] for e in sc["edges"]],
                         [e["paper"]["id"] for e in v1["edges"]])
        self.assertEqual([e["sources"] for e in sc["edges"]], [e["sources"] for e in v1["edges"]])
        self.assertEqual(sc["direction"], "references")
        self.assertIsNone(sc["next_cursor"])
        self.assertEqual(set(sc["providers"]), {"semantic_scholar", "openalex"})
        text = res["content"][0]["text"]
        self.assertIn("references of %s" % self.SMALL, text)
        self.assertIn(sc["edges"][0]["paper"]["title"][:40], text)
        tools = self.post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                          session=sid).json()["result"]["tools"]
        schema = next(t for t in tools if t["name"] == "get_references")["outputSchema"]
        try:
            import jsonschema
        except ImportError:
            return
        jsonschema.validate(sc, schema)

    def test_pages_follow_the_cursor_and_the_budget(self):
        sid, _ = self.initialize()
        first = self.result(sid, {"id": self.TOP, "limit": 5, "sort": "date"})["structuredContent"]
        self.assertEqual(first["returned"], 5)
        self.assertFalse(first["truncated"])
        nxt = self.result(sid, {"id": self.TOP, "limit": 5, "sort": "date",
                                "cursor": first["next_cursor"]})["structuredContent"]
        self.assertEqual(nxt["offset"], 5)
        v1 = self.v1(self.TOP, "citations", limit=10, sort="date")
        self.assertEqual([e["paper"]["id"] for e in first["edges"] + nxt["edges"]],
                         [e["paper"]["id"] for e in v1["edges"]])
        # The HTTP route's cursor is the tool's, and back.
        self.assertEqual(first["next_cursor"],
                         self.v1(self.TOP, "citations", limit=5, sort="date")["next_cursor"])
        res = self.result(sid, {"id": self.TOP, "limit": 100, "max_bytes": 3000})
        sc = res["structuredContent"]
        self.assertTrue(sc["truncated"])
        self.assertLess(sc["returned"], 100)
        self.assertLess(len(json.dumps(res)), 3000 + 1500)
        self.assertIn('call get_citations again with cursor "%s"' % sc["next_cursor"],
                      res["content"][0]["text"])
        again = self.result(sid, {"id": self.TOP, "limit": 5, "cursor": sc["next_cursor"]})
        self.assertEqual(again["structuredContent"]["offset"], sc["returned"])
        # A citations cursor is not one of the references list.
        r = self.call(sid, "get_references", {"id": self.TOP, "cursor": sc["next_cursor"]})
        self.assertRpcError(r, 200, -32602, "cursor")

    def test_bad_arguments_name_the_argument(self):
        sid, _ = self.initialize()
        other = self.result(sid, {"id": self.TOP, "limit": 1})["structuredContent"]["next_cursor"]
        for args, name in [({}, "id"), ({"id": 5}, "id"), ({"id": "nonsense"}, "id"),
                           ({"id": self.SMALL, "direction": "references"}, "direction"),
                           ({"id": self.SMALL, "limit": 1000}, "limit"),
                           ({"id": self.SMALL, "limit": "ten"}, "limit"),
                           ({"id": self.SMALL, "sort": "relevance"}, "sort"),
                           ({"id": self.SMALL, "cursor": "zz"}, "cursor"),
                           ({"id": self.SMALL, "cursor": other}, "cursor"),
                           ({"id": self.SMALL, "year_from": 2020, "year_to": 2010}, "year_from"),
                           ({"id": self.SMALL, "bogus": 1}, "bogus")]:
            r = self.call(sid, "get_citations", args)
            self.assertRpcError(r, 200, -32602, name)


class McpAuthorsTest(McpBase):
    """search_authors: the people of GET /v1/authors, its pages and cache."""
    SURNAME = "Meyer"  # eight people of the corpus (test_authors.py)
    WORKERS = 0  # one worker: one author cache, shared with the /v1 calls

    def v1(self, **params):
        r = harness.request(self.server.port, "GET",
                            "/v1/authors?" + urllib.parse.urlencode(params), timeout=20)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def result(self, sid, args):
        r = self.call(sid, "search_authors", args)
        self.assertEqual(r.status, 200, r)
        res = r.json()["result"]
        self.assertNotIn("isError", res, res)
        return res

    def test_the_people_of_v1_and_the_next_page(self):
        sid, _ = self.initialize()
        res = self.result(sid, {"query": self.SURNAME, "limit": 2})
        sc = res["structuredContent"]
        self.assertFalse(sc["partial"], sc["providers"])
        self.assertEqual(set(sc["providers"]), {"semantic_scholar", "openalex"})
        v1 = self.v1(query=self.SURNAME, limit=2)  # the same page, from the cache
        self.assertEqual([a["id"] for a in sc["authors"]], [a["id"] for a in v1["authors"]])
        self.assertEqual(v1["providers"]["openalex"]["status"], "cached")
        self.assertEqual(sc["returned"], len(v1["authors"]))
        self.assertEqual(sc["total"], v1["total"])
        self.assertTrue(sc["next_cursor"])
        text = res["content"][0]["text"]
        self.assertIn(sc["authors"][0]["name"], text)
        self.assertIn('call search_authors again with cursor "%s"' % sc["next_cursor"], text)
        nxt = self.result(sid, {"query": self.SURNAME, "limit": 2,
                                "cursor": sc["next_cursor"]})["structuredContent"]
        self.assertFalse({a["id"] for a in sc["authors"]} & {a["id"] for a in nxt["authors"]})
        again = self.result(sid, {"query": self.SURNAME, "limit": 2})["structuredContent"]
        self.assertEqual(again["authors"], sc["authors"])  # answered at once, from the cache
        self.assertEqual(again["providers"]["semantic_scholar"]["status"], "cached")
        tools = self.post({"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                          session=sid).json()["result"]["tools"]
        schema = next(t for t in tools if t["name"] == "search_authors")["outputSchema"]
        try:
            import jsonschema
        except ImportError:
            return
        jsonschema.validate(sc, schema)

    def test_bad_arguments_are_invalid_params(self):
        sid, _ = self.initialize()
        for args, says in (({}, "missing query"), ({"query": "x", "limit": 0}, "limit"),
                           ({"query": "x", "limit": "3"}, "limit"),
                           ({"query": "x", "cursor": "a1.2.0"}, "cursor"),
                           ({"query": "x", "sort": "date"}, "unknown argument 'sort'")):
            self.assertRpcError(self.call(sid, "search_authors", args), 200, -32602, says)


class McpGuardTest(McpBase):
    """Keys and client limits: the middleware's refusals in JSON-RPC form."""

    KEY = "mcp-blackbox-key"
    WORKERS = 0

    @classmethod
    def setUpClass(cls):
        import hashlib
        cls.SETTINGS = {"auth.keys": hashlib.sha256(cls.KEY.encode()).hexdigest() + ":read",
                        "auth.required": "true", "ratelimit.rate": "1",
                        "ratelimit.burst": "3"}
        super().setUpClass()

    def test_401_403_429_as_json_rpc(self):
        r = self.post(init_body())
        j = self.assertRpcError(r, 401, -32001)
        self.assertEqual(j["error"]["data"]["status"], 401)
        self.assertIn("Bearer", r.header("WWW-Authenticate"))
        r = self.post(init_body(), headers=[("Authorization", "Bearer wrong")])
        self.assertRpcError(r, 401, -32001, "not valid")
        auth = [("Authorization", "Bearer " + self.KEY)]
        statuses = [self.post(init_body(), headers=auth).status for _ in range(6)]
        self.assertIn(200, statuses)
        self.assertIn(429, statuses)
        r = self.post(init_body(), headers=auth)
        j = self.assertRpcError(r, 429, -32029)
        self.assertIsNotNone(r.header("Retry-After"))


class McpShedTest(McpBase):
    """shed.max_in_flight holds for searches through /mcp too."""

    WORKERS = 0
    SETTINGS = {"shed.max_in_flight": "1"}

    def test_search_past_the_limit_is_refused_with_when_to_retry(self):
        import threading
        sid, _ = self.initialize()
        self.sim.configure("all", mode="slow", delay_ms=1500)
        first = {}
        t = threading.Thread(target=lambda: first.update(
            r=self.call(sid, "search", {"query": "slow one"})))
        t.start()
        time.sleep(0.5)
        r = self.call(sid, "search", {"query": "slow two"})
        self.assertRpcError(r, 200, -32053, "try again")
        t.join(20)
        self.assertIn("result", first["r"].json())
        # Searches in flight went back to 0: the next one runs.
        self.sim.reset()
        self.assertIn("result", self.call(sid, "search", {"query": "fast"}).json())


class McpBigBatchTest(harness.StandaloneServerTestCase):
    """mcp.max_batch=1000: a batch of 1,000 mixed calls, each answered."""

    def test_a_thousand_calls_in_one_batch(self):
        server = self.start_server(workers=0, settings={"mcp.max_batch": "1000",
                                                        "http.max_body_bytes": "1m"})
        h = [("Content-Type", "application/json")]
        r = harness.request(server.port, "POST", "/mcp", h, json.dumps(init_body("2025-03-26")))
        h.append(("Mcp-Session-Id", r.header("Mcp-Session-Id")))
        kinds = [
            lambda i: {"jsonrpc": "2.0", "id": i, "method": "ping"},
            lambda i: {"jsonrpc": "2.0", "id": i, "method": "tools/list"},
            lambda i: {"jsonrpc": "2.0", "id": i, "method": "nope/%d" % i},
            lambda i: {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                       "params": {"name": "search", "arguments": {"query": i}}},
            lambda i: {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                       "params": {"name": "no_such_tool"}},
            lambda i: {"jsonrpc": "2.1", "id": i, "method": "ping"},
            lambda i: {"jsonrpc": "2.0", "method": "notifications/progress"},
            lambda i: [i],
        ]
        batch = [kinds[i % len(kinds)](i) for i in range(1000)]
        r = harness.request(server.port, "POST", "/mcp", h, json.dumps(batch), timeout=30)
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(len(out), 1000 - 1000 // len(kinds))   # every one but the notifications
        codes = {}
        for m in out:
            code = m["error"]["code"] if "error" in m else 0
            codes[code] = codes.get(code, 0) + 1
        self.assertEqual(codes, {0: 250, -32601: 125, -32602: 250, -32600: 250})
        r = harness.request(server.port, "POST", "/mcp", h,
                            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        self.assertEqual(r.status, 200, r)


class McpStdioTest(harness.StandaloneServerTestCase):
    """`scifind mcp --url`: lines in, lines out; a session the server lost
    (a restart: a new key) is started again with the client's initialize."""

    def test_forwarder_survives_a_server_restart(self):
        import subprocess
        first = harness.Server(workers=0).start()
        port = first.port
        p = subprocess.Popen([harness.binary(), "mcp", "--url", "http://127.0.0.1:%d" % port],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)

        def cleanup():
            if p.poll() is None:
                p.kill()
                p.wait(5)
            for f in (p.stdin, p.stdout, p.stderr):
                f.close()
            if first.returncode is None and first.proc.poll() is None:
                first.stop(check=False)
        self.addCleanup(cleanup)

        def ask(msg):
            p.stdin.write(json.dumps(msg) + "\n")
            p.stdin.flush()
            return json.loads(p.stdout.readline())

        r = ask(init_body("2025-06-18"))
        self.assertEqual(r["result"]["protocolVersion"], "2025-06-18")
        p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
                      + "\n")
        tools = ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})["result"]["tools"]
        self.assertEqual(sorted(t["name"] for t in tools),
                         ["get_citations", "get_paper", "get_references", "search", "search_authors"])
        self.assertEqual(ask("not json")["error"]["code"], -32600)
        first.stop()
        real = harness.free_port
        harness.free_port = lambda: port   # the same port, a new master: a new key
        try:
            second = self.start_server(workers=0)
        finally:
            harness.free_port = real
        self.assertEqual(second.port, port)
        r = ask({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
        self.assertEqual(r["id"], 3)
        self.assertIn("result", r, r)
        p.stdin.close()
        self.assertEqual(p.wait(10), 0)
        p.stdin = open(os.devnull, "w")   # closed above; cleanup closes this one
        self.assertIn("a new one started", p.stderr.read())


class McpInProcessTest(unittest.TestCase):
    """`scifind mcp` without --url: the engine runs in the process itself,
    configured as serve is (here: every provider at the simulator), and
    stops when stdin ends."""

    def test_engine_in_process(self):
        import subprocess
        sim = harness.Simulator().start()
        self.addCleanup(sim.stop)
        p = subprocess.Popen([harness.binary(), "mcp", "--set", "cache.enabled=false",
                              "--set", "log.level=warn"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=sim.scifind_env())

        def cleanup():
            if p.poll() is None:
                p.kill()
                p.wait(5)
            for f in (p.stdin, p.stdout, p.stderr):
                if f and not f.closed:
                    f.close()
        self.addCleanup(cleanup)

        def ask(msg):
            p.stdin.write(json.dumps(msg) + "\n")
            p.stdin.flush()
            line = p.stdout.readline()
            self.assertTrue(line, "no answer; stderr: %s" % p.stderr.read() if p.poll() else "")
            return json.loads(line)

        r = ask(init_body("2025-06-18"))
        self.assertEqual(r["result"]["protocolVersion"], "2025-06-18")
        p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
                      + "\n")
        names = [t["name"] for t in ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
                 ["result"]["tools"]]
        self.assertIn("search", names)
        r = ask({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                 "params": {"name": "search", "arguments": {"query": "graph neural networks",
                                                            "limit": 5}}})
        sc = r["result"]["structuredContent"]
        self.assertEqual(len(sc["papers"]), 5, sc)
        self.assertEqual({v["status"] for v in sc["providers"].values()}, {"ok"}, sc)
        self.assertGreater(sim.requests_of("arxiv"), 0)  # the engine asked the providers
        p.stdin.close()
        self.assertEqual(p.wait(harness.scaled(15)), 0, p.stderr.read())


if __name__ == "__main__":
    unittest.main()
