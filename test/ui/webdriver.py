"""A small W3C WebDriver client over Python's stdlib, for Debian's headless
chromium through chromedriver (packages chromium and chromium-driver).

    with Browser(tmpdir) as b:          # starts chromedriver, then a session
        b.get("http://127.0.0.1:8080/")
        b.find("#q").send_keys("dark matter" + ENTER)
        b.wait_js("return document.querySelectorAll('.paper').length > 0")
        b.screenshot(path)

chromedriver is started in a process group of its own and stopped by that
group's id (it starts chromium as its child); the profile is a new empty
folder under tmpdir. raise unittest.SkipTest when either binary is missing.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
ENTER = "\ue007"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def binaries():
    chromium = os.environ.get("SF_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    driver = os.environ.get("SF_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (os.access(chromium, os.X_OK) and os.access(driver, os.X_OK)):
        raise unittest.SkipTest("no chromium/chromedriver (scripts/install-deps.sh test installs them)")
    return chromium, driver


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class WebDriverError(AssertionError):
    pass


class Element:
    def __init__(self, browser, eid):
        self.b = browser
        self.id = eid

    def _p(self, tail):
        return "/element/%s/%s" % (self.id, tail)

    def click(self):
        self.b.cmd("POST", self._p("click"), {})

    def send_keys(self, text):
        self.b.cmd("POST", self._p("value"), {"text": text})

    def clear(self):
        self.b.cmd("POST", self._p("clear"), {})

    @property
    def text(self):
        return self.b.cmd("GET", self._p("text"))


class Browser:
    def __init__(self, tmpdir, width=1280, height=900, timeout=60.0):
        self.tmpdir = tmpdir
        self.width, self.height = width, height
        self.timeout = timeout
        self.proc = None
        self.session = None
        self.base = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *a):
        self.stop()

    def start(self):
        chromium, driver = binaries()
        port = free_port()
        self.base = "http://127.0.0.1:%d" % port
        self._log = open(os.path.join(self.tmpdir, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([driver, "--port=%d" % port, "--allowed-ips=127.0.0.1"],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self._http("GET", "/status", timeout=2)["value"].get("ready"):
                    break
            except (OSError, ValueError, WebDriverError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise WebDriverError("chromedriver did not start")
            time.sleep(0.1)
        profile = os.path.join(self.tmpdir, "profile")
        os.makedirs(profile, exist_ok=True)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_FLAGS + ["--user-data-dir=" + profile,
                                          "--window-size=%d,%d" % (self.width, self.height)]},
            "timeouts": {"pageLoad": 30000, "script": 30000, "implicit": 0},
        }}}
        try:
            r = self._http("POST", "/session", caps, timeout=60)
        except BaseException:
            self.stop()
            raise
        self.session = r["value"]["sessionId"]
        return self

    def stop(self):
        if self.session:
            try:
                self._http("DELETE", "/session/" + self.session, timeout=15)
            except (OSError, WebDriverError, ValueError):
                pass
            self.session = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                    self.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    self.proc.wait(timeout=5)
            else:
                try:  # chromium may outlive a dead chromedriver: same group
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            self.proc = None
            self._log.close()

    # -- the protocol ---------------------------------------------------------

    def _http(self, method, path, body=None, timeout=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise WebDriverError("%s %s: %s" % (method, path, e.read()[:500]))

    def cmd(self, method, tail, body=None):
        return self._http(method, "/session/%s%s" % (self.session, tail), body)["value"]

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    @property
    def url(self):
        return self.cmd("GET", "/url")

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_js(self, script, timeout=15.0, *args):
        """Polls script until it returns something true; returns that."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.js(script, *args)
            if v:
                return v
            if time.monotonic() > deadline:
                raise WebDriverError("timed out after %.0f s waiting for: %s" % (timeout, script))
            time.sleep(0.05)

    def find(self, css):
        v = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return Element(self, v[ELEMENT])

    def keys(self, text):
        """Types text into whatever has the focus (the actions API)."""
        acts = []
        for ch in text:
            acts += [{"type": "keyDown", "value": ch}, {"type": "keyUp", "value": ch}]
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "kbd", "actions": acts}]})
        self.cmd("DELETE", "/actions")

    def resize(self, width, height):
        self.cmd("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return path
