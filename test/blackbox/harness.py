"""Black-box test harness: runs the real scifind binary and talks raw HTTP.

Stdlib only. The binary comes from $SF_BIN (meson sets it); without it the
harness falls back to build/scifind in the repository.

    class MyTest(harness.ServerTestCase):
        SERVER_ARGS = dict(workers=0, settings={"http.max_body_bytes": "1k"})

        def test_x(self):
            c = self.connect()
            c.send(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            r = c.read_response()
            self.assertEqual(r.status, 200)

ServerTestCase starts one server per test class (setUpClass) and stops it
in tearDownClass, failing the class when the server exited non-zero or its
log holds a sanitizer report. Tests that need their own server (signals,
process model) use `Server` directly, usually through `self.start_server()`
which stops and checks it at the test's cleanup.

Through NGINX: with SF_VIA_NGINX=1 every Server gets a real NGINX running
the shipped site (packaging/nginx/scifind.conf, through
test/packaging/nginx_proxy.py) in front of it, started with the server and
stopped with it. `Server.port` is then NGINX's port (where the tests'
clients go) and `Server.direct_port` scifind's own. Tests that cannot pass
through a proxy carry `@harness.direct_only("why")` and are skipped in that
mode; `harness.VIA_NGINX` lets a test adapt an assertion (e.g. the Server
header). test/blackbox/run_via_nginx.py runs the suite that way.
"""

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
    "ERROR: MemorySanitizer",
)


# SF_VIA_NGINX=1: clients talk to a real NGINX in front of each server.
VIA_NGINX = os.environ.get("SF_VIA_NGINX") == "1"

# Request headers the shipped site adds on the way to scifind (X-Real-IP,
# X-Forwarded-For, X-Forwarded-Proto, X-Request-ID; it drops Connection and
# replaces Host): 4 more than the client sent, or 0 when direct.
PROXY_ADDED_HEADERS = 4 if VIA_NGINX else 0

# A request header that makes the shipped site skip its shared cache for
# GET /v1/search (it skips it for any request with credentials; scifind
# without API keys configured ignores the key). Direct: nothing.
NGINX_CACHE_BYPASS = [("X-API-Key", "blackbox-nginx-cache-bypass")] if VIA_NGINX else []


def direct_only(reason):
    """Decorator for a test or a test class that cannot pass through NGINX
    (it is about scifind's own socket, or NGINX answers or changes what it
    sends): skipped with `reason` when SF_VIA_NGINX=1."""
    return unittest.skipIf(VIA_NGINX, "direct only, not through NGINX: " + reason)


def nginx_proxy():
    """test/packaging/nginx_proxy.py, imported on first use."""
    d = os.path.join(REPO, "test", "packaging")
    if d not in sys.path:
        sys.path.insert(0, d)
    import nginx_proxy as mod
    return mod


def time_factor():
    """$SF_TIME_FACTOR (default 1): multiplies the harness's own waits (start,
    stop) and, through scaled(), a test's timeouts, for slow runs such as
    valgrind's. Unset, nothing changes."""
    try:
        f = float(os.environ.get("SF_TIME_FACTOR") or 1)
    except ValueError:
        f = 1.0
    return f if f > 0 else 1.0


def scaled(seconds):
    """seconds * time_factor()."""
    return seconds * time_factor()


def wrapper():
    """$SF_WRAP split like a shell would (e.g. "valgrind --error-exitcode=99"):
    a command prefix put before the binary in Server.command(). Unset: []."""
    import shlex
    return shlex.split(os.environ.get("SF_WRAP", ""))


def binary():
    path = os.environ.get("SF_BIN") or os.path.join(REPO, "build", "scifind")
    if not os.path.exists(path):
        raise unittest.SkipTest("scifind binary not found at %s (set SF_BIN)" % path)
    return path


def free_port():
    """A port that was free a moment ago (bind port 0, read it, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def run_cli(*args, timeout=10, env=None):
    """Runs `scifind ARGS...` to completion: CompletedProcess with text output."""
    return subprocess.run([binary()] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=env, text=True)


def sanitizer_report(text):
    for m in SANITIZER_MARKERS:
        if m in text:
            return m
    return None


# --------------------------------------------------------------------------
# The server process


class ServerError(AssertionError):
    pass


# Servers started and not yet stopped: killed (whole process group) should
# the test process be terminated (meson's timeout sends SIGTERM) or exit
# without stopping them, so that no server outlives its test.
_LIVE = set()


def _kill_live():
    procs = [srv.proc for srv in _LIVE]
    # NGINX in front of servers (SF_VIA_NGINX), or started by a test itself.
    procs += [srv.proxy.proc for srv in _LIVE if getattr(srv, "proxy", None)]
    np = sys.modules.get("nginx_proxy")
    if np is not None:
        procs += [p.proc for p in list(np._LIVE)]
    for proc in procs:
        if proc is None or proc.poll() is not None:
            continue
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    _LIVE.clear()


def _on_term(signum, _frame):
    _kill_live()
    os._exit(128 + signum)


atexit.register(_kill_live)
signal.signal(signal.SIGTERM, _on_term)


class Server:
    """One `scifind serve` process on a free loopback port (`direct_port`).
    `port` is where clients connect: the same, or with SF_VIA_NGINX=1 the
    port of the NGINX started in front of it (`proxy`)."""

    def __init__(self, workers=0, settings=None, args=(), env=None,
                 ready_timeout=10.0):
        self.workers = workers
        self.settings = dict(settings or {})
        self.extra_args = list(args)
        self.env = env
        self.ready_timeout = scaled(ready_timeout)
        self.port = None
        self.direct_port = None
        self.proxy = None
        self.proc = None
        self.log_path = None
        self._log_file = None
        self.returncode = None

    # -- lifecycle --------------------------------------------------------

    def command(self):
        cmd = wrapper() + [binary(), "serve", "--listen", "127.0.0.1:%d" % self.direct_port,
                           "--workers", str(self.workers)]
        for k, v in self.settings.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        return cmd + self.extra_args

    def start(self):
        if VIA_NGINX:
            nginx_proxy().nginx_binary()   # SkipTest without nginx, before starting
        last = None
        for _attempt in range(3):
            self.port = self.direct_port = free_port()
            fd, self.log_path = tempfile.mkstemp(prefix="scifind-bb-", suffix=".log")
            os.close(fd)
            self._log_file = open(self.log_path, "wb")
            env = dict(os.environ if self.env is None else self.env)
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=self._log_file, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
            _LIVE.add(self)
            try:
                self.wait_ready(self.ready_timeout)
                if VIA_NGINX:
                    self._start_proxy()
                return self
            except ServerError as e:
                last = e
                log = self.log()
                self._kill()
                _LIVE.discard(self)
                # Only a lost race for the port is worth another try.
                if "in use" not in log.lower() and "EADDRINUSE" not in log:
                    raise
        raise last

    def _start_proxy(self):
        try:
            self.proxy = nginx_proxy().start(self.direct_port)
        except BaseException:
            self._kill()
            _LIVE.discard(self)
            raise
        self.port = self.proxy.port

    def _stop_proxy(self):
        proxy, self.proxy = self.proxy, None
        if proxy is not None:
            proxy.stop()

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("scifind exited with %s before answering /health;"
                                  " log:\n%s" % (self.proc.returncode, self.log()))
            try:
                r = request(self.direct_port, "GET", "/health", timeout=1.0)
                if r.status == 200:
                    return
                err = "status %d" % r.status
            except (OSError, ProtocolError) as e:
                err = repr(e)
            time.sleep(0.05)
        raise ServerError("scifind did not answer GET /health with 200 within %.0f s"
                          " (last: %s); log:\n%s" % (timeout, err, self.log()))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """Waits for exit; returns the exit code or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
            self.proc.wait(timeout=10)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def stop(self, timeout=15.0, check=True):
        """SIGTERM, wait (SIGKILL the whole group after timeout), then check
        the exit code and the log. Raises ServerError when check fails."""
        self._stop_proxy()
        if self.proc is None:
            return None
        problems = []
        timeout = scaled(timeout)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                problems.append("did not exit within %.0f s of SIGTERM (killed)" % timeout)
        self._kill()
        # Workers must not outlive the master.
        left = group_members(self.proc.pid, wait=3.0)
        if left:
            problems.append("processes %s of the group still alive after the master"
                            " exited (killed)" % sorted(left))
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.returncode = self.proc.returncode
        _LIVE.discard(self)
        log = self.log()
        if self.returncode != 0 and not problems:
            problems.append("exit status %s" % self.returncode)
        m = sanitizer_report(log)
        if m:
            problems.append("sanitizer report (%s) in the log" % m)
        if check and problems:
            raise ServerError("scifind: %s; log:\n%s" % ("; ".join(problems), tail(log)))
        if not problems and os.environ.get("SF_KEEP_LOGS") != "1":
            try:
                os.unlink(self.log_path)
            except OSError:
                pass
        return self.returncode

    # -- log --------------------------------------------------------------

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_lines(self):
        """The log's JSON lines, parsed (lines that are not JSON skipped)."""
        out = []
        for line in self.log().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    # -- processes --------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def children(self):
        return children_of(self.proc.pid)

    # -- client conveniences ----------------------------------------------

    def connect(self, timeout=5.0):
        return Conn(self.port, timeout=timeout)

    def request(self, method, path, headers=None, body=None, timeout=5.0):
        return request(self.port, method, path, headers=headers, body=body,
                       timeout=timeout)


def tail(text, n=120):
    lines = text.splitlines()
    if len(lines) > n:
        lines = ["... (%d lines before)" % (len(lines) - n)] + lines[-n:]
    return "\n".join(lines)


def group_members(pgid, wait=0.0):
    """Pids of live processes of process group pgid, waiting up to `wait`
    seconds for the group to empty."""
    deadline = time.monotonic() + wait
    while True:
        found = set()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                fields = st[st.rindex(")") + 2:].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    found.add(int(d))
            except (OSError, ValueError, IndexError):
                pass
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def children_of(pid):
    """Pids of the live children of pid (from /proc)."""
    kids = set()
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    kids.update(int(x) for x in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    if not kids:
        # Kernels without the children file: scan /proc for the parent.
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                if ppid == pid:
                    kids.add(int(d))
            except (OSError, ValueError):
                pass
    # Zombies are not workers.
    live = set()
    for k in kids:
        try:
            with open("/proc/%d/stat" % k) as f:
                st = f.read()
            if st[st.rindex(")") + 2] != "Z":
                live.add(k)
        except OSError:
            pass
    return live


# --------------------------------------------------------------------------
# Raw HTTP


class ProtocolError(Exception):
    pass


class Response:
    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers        # list of (name, value) as received
        self.body = body              # bytes
        self.raw = raw                # the bytes of the head (status line + headers)

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has(self, name):
        return self.header(name) is not None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def closes(self):
        """True when the response says the connection will close."""
        return "close" in [t.strip().lower() for t in
                           (self.header("Connection") or "").split(",")]

    def __repr__(self):
        return "<Response %d %r %r %r>" % (self.status, self.reason, self.headers,
                                           self.body[:200])


class Conn:
    """A client socket with a read buffer."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0, sock=None):
        timeout = scaled(timeout)
        self.timeout = timeout
        if sock is None:
            sock = socket.create_connection((host, port), timeout=timeout)
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def _fill(self, timeout=None):
        """Reads more bytes into the buffer; returns False at EOF."""
        if self.eof:
            return False
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        finally:
            if timeout is not None:
                self.sock.settimeout(self.timeout)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_until(self, marker, limit=1 << 20):
        while True:
            i = self.buf.find(marker)
            if i >= 0:
                out = self.buf[:i + len(marker)]
                self.buf = self.buf[i + len(marker):]
                return out
            if len(self.buf) > limit:
                raise ProtocolError("no %r within %d bytes" % (marker, limit))
            if not self._fill():
                raise ProtocolError("connection closed while waiting for %r (have %r)"
                                    % (marker, self.buf[:200]))

    def _read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ProtocolError("connection closed with %d of %d body bytes"
                                    % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        """Reads one status line + headers. Returns (version, status, reason,
        headers, raw)."""
        raw = self._read_until(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ProtocolError("bad status line %r" % lines[0])
        version, status = parts[0], int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError("bad header line %r" % line)
            headers.append((name, value.strip()))
        return version, status, reason, headers, raw

    def read_response(self, head=False, interim=False):
        """Reads one full response. head=True: the request was HEAD (no body).
        interim=True returns 1xx responses; otherwise they are skipped."""
        while True:
            version, status, reason, headers, raw = self.read_head()
            if 100 <= status < 200:
                r = Response(version, status, reason, headers, b"", raw)
                if interim:
                    return r
                continue
            break
        r = Response(version, status, reason, headers, b"", raw)
        if head or status in (204, 304):
            return r
        te = (r.header("Transfer-Encoding") or "").lower()
        cl = r.header("Content-Length")
        if "chunked" in te:
            body = b""
            while True:
                line = self._read_until(b"\r\n")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    # trailers
                    while self._read_until(b"\r\n") != b"\r\n":
                        pass
                    break
                body += self._read_exact(size)
                if self._read_exact(2) != b"\r\n":
                    raise ProtocolError("chunk not followed by CRLF")
            r.body = body
        elif cl is not None:
            r.body = self._read_exact(int(cl))
        else:
            while self._fill():
                pass
            r.body, self.buf = self.buf, b""
        return r

    def read_responses(self, n, head=False):
        return [self.read_response(head=head) for _ in range(n)]

    def read_eof(self, timeout=2.0, scale=True):
        """Waits up to timeout (times SF_TIME_FACTOR unless scale=False) for
        the peer to close. Returns the bytes that came before the close (b""
        when it closed cleanly), or None when the connection was still open
        at the deadline."""
        deadline = time.monotonic() + (scaled(timeout) if scale else timeout)
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self._fill(timeout=left)
            except socket.timeout:
                return None
        out, self.buf = self.buf, b""
        return out

    def is_open(self, wait=0.2):
        """True when the peer has not closed within `wait` seconds (and sent
        nothing meanwhile)."""
        return self.read_eof(timeout=wait, scale=False) is None and not self.buf


def build_request(method, path, headers=None, body=None, version="HTTP/1.1",
                  host="localhost"):
    """Bytes of one request. headers: list of (name, value) or dict; a Host
    header is added for HTTP/1.1 unless headers has one or host is None;
    Content-Length is added for a body unless headers set CL or TE."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if host is not None and "host" not in names:
        headers.insert(0, ("Host", host))
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and "content-length" not in names \
            and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    out = ("%s %s %s\r\n" % (method, path, version)).encode("latin-1")
    for k, v in headers:
        out += ("%s: %s\r\n" % (k, v)).encode("latin-1")
    out += b"\r\n"
    if body:
        out += body
    return out


def request(port, method, path, headers=None, body=None, timeout=5.0):
    """One request on a new connection (Connection: close); the response."""
    hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if "connection" not in {k.lower() for k, _ in hdrs}:
        hdrs.append(("Connection", "close"))
    with Conn(port, timeout=timeout) as c:
        c.send(build_request(method, path, hdrs, body))
        return c.read_response(head=(method == "HEAD"))


# --------------------------------------------------------------------------
# The provider simulator (bench/simulator/scifind-sim), for search tests


PROVIDER_NAMES = ("arxiv", "semantic_scholar", "exa", "openalex", "crossref")


def simulator_path():
    """$SF_SIM, else scifind-provsim beside the binary, else the script."""
    p = os.environ.get("SF_SIM")
    if p:
        return p
    beside = os.path.join(os.path.dirname(os.path.abspath(binary())), "scifind-provsim")
    if os.path.exists(beside):
        return beside
    return os.path.join(REPO, "bench", "simulator", "scifind-sim")


class Simulator:
    """The provider simulator on one free loopback port (every provider
    under its real path). `base` is the base URL to give scifind."""

    EXA_KEY = "sim-test-key"

    def __init__(self, args=(), ready_timeout=60.0):
        self.extra_args = list(args)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.port = None
        self.base = None
        self.info = None
        self._err = None

    def start(self):
        self._err = tempfile.TemporaryFile()
        cmd = [simulator_path(), "--listen", "127.0.0.1:0", "--quiet",
               "--exa-api-key", self.EXA_KEY] + self.extra_args
        if not os.access(cmd[0], os.X_OK):
            cmd = [sys.executable] + cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._err, start_new_session=True)
        _LIVE.add(self)
        deadline = time.monotonic() + self.ready_timeout
        line = b""
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            if not sel.select(timeout=0.2):
                if self.proc.poll() is not None:
                    break
                continue
            b = os.read(self.proc.stdout.fileno(), 65536)
            if not b:
                break
            line += b
        sel.close()
        try:
            self.info = json.loads(line.decode("utf-8", "replace").splitlines()[0])
            self.base = self.info["listen"]
            self.port = int(self.base.rsplit(":", 1)[1])
        except (ValueError, IndexError, KeyError):
            self._err.seek(0)
            err = self._err.read().decode("utf-8", "replace")
            self.stop()
            raise ServerError("simulator did not start (start line %r); stderr:\n%s"
                              % (line[:300], tail(err)))
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout=5)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self._err:
            self._err.close()
            self._err = None
        _LIVE.discard(self)

    def scifind_env(self, rate_interval="0"):
        """The environment pointing every provider of scifind at the simulator,
        with Exa's key and (by default) no rate limits."""
        env = dict(os.environ)
        for p in PROVIDER_NAMES:
            env["SCIFIND_%s_BASE_URL" % p.upper()] = self.base
            if rate_interval is not None:
                env["SCIFIND_%s_RATE_INTERVAL" % p.upper()] = rate_interval
        env["SCIFIND_EXA_API_KEY"] = self.EXA_KEY
        return env

    def admin(self, method, path, body=None, timeout=10.0):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        hdrs = [("Content-Type", "application/json")] if body is not None else []
        r = request(self.port, method, path, headers=hdrs, body=body, timeout=timeout)
        if r.status != 200:
            raise AssertionError("simulator %s %s: %r" % (method, path, r))
        return r.json()

    def configure(self, provider, **cfg):
        """Partial config update of one provider (or "all")."""
        return self.admin("POST", "/_sim/providers/%s" % provider, cfg)

    def reset(self, config=True):
        """Counters to zero; config=True also restores every provider's defaults."""
        return self.admin("POST", "/_sim/reset", {"config": bool(config)})

    def stats(self):
        return self.admin("GET", "/_sim/stats")

    def requests_of(self, provider):
        return self.stats()["providers"][provider]["requests"]


# --------------------------------------------------------------------------
# unittest glue


class SimulatorTestCase(unittest.TestCase):
    """A provider simulator and one scifind pointed at it, for the whole
    class; the simulator's counters and config are reset before each test.
    Subclasses give server_args(): Server's keyword arguments but env."""

    RATE_INTERVAL = "0"  # the providers' rate limits (scifind_env)
    sim = None
    server = None

    @classmethod
    def server_args(cls):
        return {"workers": 0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator().start()
        try:
            args = dict(cls.server_args())
            args["env"] = cls.sim.scifind_env(rate_interval=cls.RATE_INTERVAL)
            cls.server = Server(**args).start()
        except Exception:
            cls.sim.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        server, cls.server = cls.server, None
        try:
            if server is not None:
                server.stop()
        finally:
            cls.sim.stop()
            super().tearDownClass()

    def setUp(self):
        self.sim.reset(config=True)


class ServerTestCase(unittest.TestCase):
    """One server for the whole class. Subclasses set SERVER_ARGS."""

    SERVER_ARGS = {"workers": 0}
    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(**cls.SERVER_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        server, cls.server = cls.server, None
        if server is not None:
            server.stop()   # raises ServerError: the class errors out
        super().tearDownClass()

    @property
    def port(self):
        return self.server.port

    def connect(self, timeout=5.0):
        c = Conn(self.port, timeout=timeout)
        self.addCleanup(c.close)
        return c

    def request(self, method, path, headers=None, body=None, timeout=5.0):
        return request(self.port, method, path, headers, body, timeout)

    def assertServerAlive(self):
        r = self.request("GET", "/health")
        self.assertEqual(r.status, 200, r)

    def assertError(self, r, status, code=None):
        """r is an error response of `status` with the JSON error shape."""
        self.assertEqual(r.status, status, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), r)
        j = r.json()
        self.assertIn("error", j, r)
        self.assertIsInstance(j["error"], dict, r)
        if code is not None:
            self.assertEqual(j["error"].get("code"), code, r)
        self.assertIsInstance(j["error"].get("message"), str, r)
        self.assertIn("request_id", j, r)
        return j

    def assertRefused(self, c, status, code=None):
        """Reads one response on c: an error of `status` with Connection:
        close, after which the server closes the connection and sends
        nothing else. Through NGINX only the error is checked: scifind
        closes its connection with NGINX, NGINX keeps the client's."""
        r = c.read_response()
        self.assertError(r, status, code)
        if VIA_NGINX:
            return r
        self.assertTrue(r.closes, "no Connection: close in %r" % (r,))
        rest = c.read_eof(timeout=3.0)
        self.assertIsNotNone(rest, "connection still open after a refused request")
        self.assertEqual(rest, b"", "bytes after a refused request")
        return r


class StandaloneServerTestCase(unittest.TestCase):
    """For tests that start their own servers: self.start_server(...) starts
    one and stops/checks it at cleanup (unless the test stopped it)."""

    def start_server(self, **kw):
        s = Server(**kw).start()
        self.addCleanup(self._stop_checked, s)
        return s

    def _stop_checked(self, s):
        s.stop()


def main():
    # Output meson shows with --print-errorlogs; verbosity 2 names each test.
    unittest.main(verbosity=2, buffer=False)


if __name__ == "__main__":
    sys.exit("harness.py is a module; run one of the test_*.py files")
