#!/usr/bin/env python3
"""The search page at / in a real browser: Debian's headless chromium,
driven through chromedriver (test/ui/webdriver.py), against the real binary
in front of the provider simulator. Run directly and, with SF_VIA_NGINX=1,
through the shipped NGINX site (harness.py).

Screenshots go to $SF_SCREENSHOTS (meson: <build>/test/ui/screenshots/).
"""

import json
import os
import re
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "blackbox"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import webdriver  # noqa: E402

SHOTS = os.environ.get("SF_SCREENSHOTS") or os.path.join(harness.REPO, "build", "test", "ui", "screenshots")
MODE = "nginx" if harness.VIA_NGINX else "direct"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SETTINGS = {
    # The answer caches off: every search here reaches the simulator.
    "cache.enabled": "false",
    # A hanging provider is given up quickly, so "timeout" shows in a second.
    "providers.semantic_scholar.timeout": "1s",
}


class PageTestCase(harness.SimulatorTestCase):
    @classmethod
    def server_args(cls):
        return {"settings": SETTINGS}

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.server.port, path)


class PageFilesTest(PageTestCase):
    """The files themselves, over raw HTTP."""

    def test_files_with_types_csp_and_etag(self):
        for path, ctype in (("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css"),
                            ("/favicon.svg", "image/svg+xml")):
            r = harness.request(self.server.port, "GET", path)
            self.assertEqual(r.status, 200, (path, r))
            self.assertTrue(r.header("Content-Type").startswith(ctype), (path, r.headers))
            self.assertEqual(r.header("Content-Security-Policy"), CSP, path)
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
            etag = r.header("ETag")
            self.assertRegex(etag or "", r'^"[0-9a-f]{16}"$')
            r2 = harness.request(self.server.port, "GET", path, headers={"If-None-Match": etag})
            self.assertEqual(r2.status, 304, (path, r2))
            self.assertEqual(r2.body, b"")
            h = harness.request(self.server.port, "HEAD", path)
            self.assertEqual((h.status, h.body), (200, b""))
        page = harness.request(self.server.port, "GET", "/").body.decode()
        # No inline script or style anywhere: the CSP would block them.
        self.assertNotRegex(page, r"<script(?![^>]*\bsrc=)")
        self.assertNotIn("<style", page)
        self.assertNotRegex(page, r"\sstyle=")
        self.assertNotRegex(page, r"\son[a-z]+=")

    def test_gzip_copy(self):
        import gzip
        plain = harness.request(self.server.port, "GET", "/app.js").body
        r = harness.request(self.server.port, "GET", "/app.js", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(r.body), plain)
        self.assertIn("Accept-Encoding", r.header("Vary"))

    def test_other_methods_refused(self):
        r = harness.request(self.server.port, "POST", "/", body=b"x")
        self.assertEqual(r.status, 405, r)


class AuthRequiredTest(unittest.TestCase):
    """With auth.required the page still loads (a browser cannot send a key
    for it); its searches are refused like any other."""

    def test_page_open_search_guarded(self):
        srv = harness.Server(settings={"auth.required": "true"}).start()
        try:
            for path in ("/", "/app.js", "/app.css", "/favicon.svg"):
                self.assertEqual(harness.request(srv.port, "GET", path).status, 200, path)
            r = harness.request(srv.port, "GET", "/v1/search?query=x")
            self.assertEqual(r.status, 401, r)
        finally:
            srv.stop()


class BrowserTest(PageTestCase):
    """One browser for the class; each test loads the page afresh."""

    browser = None

    @classmethod
    def setUpClass(cls):
        webdriver.binaries()  # SkipTest before starting anything
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="scifind-ui-")
        try:
            cls.browser = webdriver.Browser(cls.tmp.name).start()
        except BaseException:
            super().tearDownClass()
            cls.tmp.cleanup()
            raise
        os.makedirs(SHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.browser:
                cls.browser.stop()
            cls.tmp.cleanup()
        finally:
            super().tearDownClass()

    def shot(self, name):
        return self.browser.screenshot(os.path.join(SHOTS, "%s-%s.png" % (MODE, name)))

    def open_page(self, path="/"):
        b = self.browser
        b.resize(1280, 900)
        b.get(self.url(path))
        b.wait_js("return document.documentElement.dataset.ready === '1'")
        return b

    def searched(self, n):
        """Waits until the page has finished its n-th search since loading."""
        self.browser.wait_js("return Number(document.documentElement.dataset.searches || 0) >= %d" % n,
                             timeout=20)

    def assertNoCspViolation(self):
        v = self.browser.js("return document.documentElement.dataset.cspViolations || ''")
        self.assertEqual(v, "", "CSP violations: " + v)
        # app.css applied (a blocked stylesheet would leave the default).
        self.assertEqual(self.browser.js("return getComputedStyle(document.body).maxWidth"), "896px")

    def provider_statuses(self):
        return self.browser.js("return Object.fromEntries(Array.from(document.querySelectorAll("
                               "'#provstatus li')).map(li => [li.dataset.provider, li.dataset.status]))")

    def test_query_typed_shows_results(self):
        b = self.open_page()
        self.assertTrue(b.js("return document.activeElement.id === 'q'"))  # autofocus
        b.find("#q").send_keys("graph neural networks" + webdriver.ENTER)
        self.searched(1)
        papers = b.js("""return Array.from(document.querySelectorAll('#results .paper')).map(li => ({
            title: li.querySelector('h2').textContent,
            meta: (li.querySelector('.meta') || {}).textContent || '',
            links: Array.from(li.querySelectorAll('.links a')).map(a => [a.textContent, a.href]),
            found: Array.from(li.querySelectorAll('.src')).map(s => s.dataset.provider)}))""")
        self.assertGreaterEqual(len(papers), 5, papers)
        for p in papers:
            self.assertTrue(p["title"].strip(), p)
            self.assertTrue(p["found"], p)
            self.assertTrue(re.search(r"\b(19|20)\d\d\b", p["meta"]), p)  # a year
        links = [l for p in papers for l in p["links"]]
        self.assertTrue(any(t.startswith("arXiv ") and h.startswith("https://arxiv.org/abs/") for t, h in links))
        self.assertTrue(any(t == "PDF" for t, _ in links))
        self.assertTrue(any(t.startswith("DOI ") and h.startswith("https://doi.org/") for t, h in links))
        self.assertTrue(any(len(p["found"]) > 1 for p in papers))  # merged across providers
        # The page shows what the API answered.
        api = json.loads(harness.request(self.server.port, "GET", "/v1/search?query=graph+neural+networks").body)
        self.assertEqual([p["title"] for p in papers], [" ".join(p["title"].split()) and p["title"]
                                                        for p in api["papers"]][:len(papers)])
        self.assertEqual(self.provider_statuses(), {k: v["status"] for k, v in api["providers"].items()})
        self.assertIn("of %d" % api["total"], b.find("#summary").text)
        self.assertIn("query=graph+neural+networks", b.url)
        self.assertNoCspViolation()
        self.shot("results")

        # Paging: the next page, then back.
        b.find("#next").click()
        self.searched(2)
        self.assertIn("offset=20", b.url)
        self.assertTrue(b.find("#summary").text.startswith("Papers 21–"), b.find("#summary").text)
        self.assertEqual(b.js("return document.activeElement.id"), "results")  # focus follows
        b.js("history.back()")
        self.searched(3)
        self.assertTrue(b.find("#summary").text.startswith("Papers 1–"))

    def test_failing_providers_shown_as_partial(self):
        self.sim.configure("exa", mode="error")
        self.sim.configure("crossref", mode="rate_limited", retry_after=30)
        self.sim.configure("semantic_scholar", mode="hang")
        b = self.open_page()
        b.find("#q").send_keys("quantum entanglement" + webdriver.ENTER)
        self.searched(1)
        st = self.provider_statuses()
        self.assertEqual(st, {"arxiv": "ok", "semantic_scholar": "timeout", "exa": "error",
                              "openalex": "ok", "crossref": "rate_limited"})
        text = b.find("#provstatus").text
        self.assertIn("rate limited", text)
        self.assertIn("timeout", text)
        self.assertIn("HTTP 500", text)
        self.assertIn("partial", b.find("#summary").text)
        self.assertGreater(b.js("return document.querySelectorAll('#results .paper').length"), 0)
        self.shot("partial")

    def test_bad_query_shows_the_api_error(self):
        b = self.open_page()
        b.find("#filters summary").click()
        b.find("#year_from").send_keys("20x")
        b.find("#q").send_keys("dark matter" + webdriver.ENTER)
        self.searched(1)
        api = harness.request(self.server.port, "GET", "/v1/search?query=dark+matter&year_from=20x")
        self.assertEqual(api.status, 400)
        msg = api.json()["error"]["message"]
        err = b.find("#error")
        self.assertTrue(b.js("return !document.getElementById('error').hidden"))
        self.assertEqual(err.text, "HTTP 400 bad_request: " + msg)
        self.assertEqual(b.js("return document.querySelectorAll('#results .paper').length"), 0)
        # Neither a pager nor a provider line for an answer that has none.
        self.assertEqual(b.js("return ['pager', 'provstatus'].filter(id => "
                              "document.getElementById(id).getBoundingClientRect().height > 0)"), [])
        self.shot("error")

    def test_every_provider_failing_is_the_api_502(self):
        self.sim.configure("all", mode="error")
        b = self.open_page("/?query=dark+matter&providers=arxiv,openalex")
        self.searched(1)
        self.assertTrue(b.find("#error").text.startswith("HTTP 502 bad_gateway: "))
        self.assertEqual(self.provider_statuses(), {"arxiv": "error", "openalex": "error"})
        # The URL's parameters were put back in the form.
        self.assertEqual(b.js("return document.getElementById('q').value"), "dark matter")
        self.assertTrue(b.js("return document.querySelector('input[value=arxiv]').checked"))

    def test_keyboard_only(self):
        b = self.open_page()
        b.js("document.activeElement.blur()")
        b.keys("/")
        self.assertEqual(b.js("return document.activeElement.id"), "q")
        b.keys("neural networks" + webdriver.ENTER)
        self.searched(1)
        self.assertGreater(b.js("return document.querySelectorAll('#results .paper').length"), 0)
        # Tab from the box reaches the button, then the filters' summary.
        b.keys("\ue004")
        self.assertEqual(b.js("return document.activeElement.id"), "go")
        b.keys("\ue004")
        self.assertEqual(b.js("return document.activeElement.tagName"), "SUMMARY")
        b.keys(" ")
        self.assertTrue(b.js("return document.getElementById('filters').open"))

    def test_phone_width(self):
        b = self.open_page("/?query=graph+neural+networks&limit=10")
        b.resize(390, 844)
        self.searched(1)
        time.sleep(0.2)
        # Nothing wider than the screen: no sideways scrolling.
        wide = b.js("return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))")
        self.assertEqual(wide, [], "\n".join(wide))
        self.assertLessEqual(b.js("return document.documentElement.scrollWidth"),
                             b.js("return window.innerWidth"))
        self.assertGreater(b.js("return document.querySelectorAll('#results .paper').length"), 0)
        self.shot("phone")


if __name__ == "__main__":
    harness.main()
