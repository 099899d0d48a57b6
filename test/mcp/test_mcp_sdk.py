"""The official MCP TypeScript SDK client (test/mcp/sdk_client.mjs) against
the real scifind (2 workers) in front of the provider simulator, over
streamable HTTP and over stdio (`scifind mcp --url`). The SDK is installed
by scripts/mcp-sdk.sh into the build folder (mcp-sdk/); without node or
npm the test is skipped (exit 77)."""

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "blackbox"))
sys.path.insert(0, os.path.join(REPO, "test", "store"))
import harness  # noqa: E402


def sdk_dir():
    d = os.environ.get("SF_MCP_SDK") or os.path.join(
        os.path.dirname(os.path.abspath(harness.binary())), "mcp-sdk")
    rc = subprocess.run([os.path.join(REPO, "scripts", "mcp-sdk.sh"), d],
                        stdout=subprocess.DEVNULL, timeout=600).returncode
    if rc == 77:
        raise unittest.SkipTest("node and npm are needed for the MCP SDK tests")
    if rc != 0:
        raise AssertionError("scripts/mcp-sdk.sh failed (%d)" % rc)
    return d


class McpSdkTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sdk = sdk_dir()
        cls.sim = harness.Simulator().start()
        try:
            cls.server = harness.Server(workers=2, env=cls.sim.scifind_env()).start()
        except Exception:
            cls.sim.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.sim.stop()
        super().tearDownClass()

    def run_client(self, mode, env=None):
        base = "http://127.0.0.1:%d" % self.server.port
        args = ["node", os.path.join(HERE, "sdk_client.mjs"), self.sdk, mode, base]
        if mode == "stdio":
            args.append(harness.binary())
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120, env=env)
        lines = p.stdout.strip().splitlines()
        self.assertTrue(lines, "no output; stderr:\n" + p.stderr[-3000:])
        out = json.loads(lines[-1])
        self.assertEqual(p.returncode, 0, "%s\nstderr:\n%s" % (out, p.stderr[-3000:]))
        return out

    def check(self, out):
        self.assertTrue(out["ok"], out)
        self.assertEqual(out["server"]["name"], "scifind")
        self.assertEqual(out["tools"], ["get_citations", "get_paper", "get_references", "search",
                                        "search_authors"])
        self.assertGreater(len(out["references"]), 0)
        self.assertEqual(out["searchIds"], out["httpIds"])
        self.assertEqual(len(out["searchIds"]), 10)
        # No pg.dsn here: get_paper looks the paper up live at the providers.
        self.assertFalse(out["getPaper"].startswith("error"), out["getPaper"])
        self.assertEqual(out["getPaper"], out["searchIds"][0])

    def test_streamable_http(self):
        out = self.run_client("http")
        self.check(out)
        self.assertEqual(out["protocol"], "2025-11-25")
        self.assertEqual(len(out["sessionId"]), 60)

    def test_stdio_forwarded(self):
        self.check(self.run_client("stdio"))


class McpSdkStoreTest(McpSdkTest):
    """The same with the PostgreSQL store: get_paper finds a paper the
    search returned (written behind it)."""

    @classmethod
    def setUpClass(cls):
        import pgtmp
        cls.sdk = sdk_dir()
        cls.pg = pgtmp.Cluster()
        try:
            cls.pg.init().start().create_db()
            r = harness.run_cli("migrate", "--set", "pg.dsn=" + cls.pg.dsn, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            cls.sim = harness.Simulator().start()
        except BaseException:
            cls.pg.close()
            raise
        try:
            cls.server = harness.Server(workers=2, env=cls.sim.scifind_env(),
                                        settings={"pg.dsn": cls.pg.dsn,
                                                  "pg.batch_interval": "50ms"}).start()
        except BaseException:
            cls.sim.stop()
            cls.pg.close()
            raise
        # The client's search, once before it: its papers are in the store
        # by the time the client asks get_paper of the first one.
        q = urllib.parse.urlencode({"query": "graph neural networks", "limit": "10"})
        first = harness.request(cls.server.port, "GET", "/v1/search?" + q,
                                timeout=15).json()["papers"][0]["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = harness.request(cls.server.port, "GET", "/v1/papers/" + first)
            if r.status == 200:
                break
            time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.pg.close()

    def check(self, out):
        self.assertTrue(out["ok"], out)
        self.assertEqual(out["searchIds"], out["httpIds"])
        self.assertFalse(out["getPaper"].startswith("error"), out)
        self.assertTrue(out["getPaperTitle"], out)

    def test_streamable_http(self):
        self.check(self.run_client("http", env=dict(os.environ, EXPECT_STORE="1")))

    def test_stdio_forwarded(self):
        self.check(self.run_client("stdio", env=dict(os.environ, EXPECT_STORE="1")))


if __name__ == "__main__":
    unittest.main()
