"""Runs a real NGINX with packaging/nginx/scifind.conf in front of scifind.

Stdlib only. The sample site is used as shipped, with a few literal
substitutions (ports and paths: see SUBSTITUTIONS), each of which must
match, so that a change to the file that the tests would silently miss
fails loudly instead. A small main configuration around it (pid, temp
folders, error log) keeps everything under one temporary folder.

    proxy = nginx_proxy.start(upstream_port)   # NginxProxy, running
    proxy.port                                 # where clients connect
    proxy.access_log()                         # the site's access log text
    proxy.stop()

`start` raises unittest.SkipTest when no nginx binary is found
($SF_NGINX, then nginx on PATH, then /usr/sbin/nginx).

For the black-box suite through NGINX: start scifind, then
`start(scifind_port)`, and point the tests at `proxy.port`.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SITE = os.path.join(REPO, "packaging", "nginx", "scifind.conf")

# (what the shipped file says, what the test uses); {port}, {upstream},
# {dir} are filled in. The IPv6 listen line goes: ::1 may be missing.
SUBSTITUTIONS = (
    ("listen 80;", "listen 127.0.0.1:{port};"),
    ("listen [::]:80;", ""),
    ("server 127.0.0.1:8080 ", "server 127.0.0.1:{upstream} "),
    ("/var/cache/nginx/scifind", "{dir}/cache"),
    ("/var/log/nginx/scifind.access.log", "{dir}/access.log"),
    ("/var/log/nginx/scifind.error.log", "{dir}/error.log"),
)

MAIN_CONF = """\
{user}
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type application/octet-stream;
    include {dir}/site.conf;
}}
"""

_LIVE = set()


def _kill_live():
    for p in list(_LIVE):
        p.stop()


atexit.register(_kill_live)


def nginx_binary():
    cand = [os.environ.get("SF_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"]
    for c in cand:
        if c and os.access(c, os.X_OK):
            return c
    raise unittest.SkipTest("nginx not found (Debian package nginx; or set SF_NGINX)")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def adapt_site(text, port, upstream, folder):
    """The shipped site with the test's ports and paths; every substitution
    must apply."""
    for old, new in SUBSTITUTIONS:
        if old not in text:
            raise AssertionError("packaging/nginx/scifind.conf no longer contains %r: update"
                                 " test/packaging/nginx_proxy.py" % old)
        text = text.replace(old, new.format(port=port, upstream=upstream, dir=folder))
    return text


class NginxProxy:
    def __init__(self, upstream_port, site=SITE):
        self.upstream_port = upstream_port
        self.site = site
        self.dir = None
        self.port = None
        self.proc = None

    def _write(self):
        for d in ("cache", "tmp"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        with open(self.site) as f:
            site = adapt_site(f.read(), self.port, self.upstream_port, self.dir)
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site)
        # As root, NGINX's workers would switch to nobody and could not
        # write the temporary folder: keep them as the current user.
        user = "user root root;" if os.geteuid() == 0 else ""
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(MAIN_CONF.format(dir=self.dir, user=user))

    def command(self, *extra):
        conf = os.path.join(self.dir, "nginx.conf")
        return [nginx_binary(), "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                "-c", conf] + list(extra)

    def check_config(self):
        """`nginx -t` on the adapted configuration: (ok, output)."""
        r = subprocess.run(self.command("-t"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        return r.returncode == 0, r.stdout

    def start(self, timeout=10.0):
        nginx_binary()
        last = None
        for _attempt in range(3):
            self.dir = tempfile.mkdtemp(prefix="scifind-nginx-")
            self.port = free_port()
            self._write()
            ok, out = self.check_config()
            if not ok:
                raise AssertionError("nginx -t refused the adapted sample site:\n" + out)
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)
            _LIVE.add(self)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            last = self.error_log()
            in_use = "in use" in last
            self.stop()
            if not in_use:
                break
        raise AssertionError("nginx did not start; error log:\n" + (last or ""))

    def _read(self, name):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def access_log(self):
        return self._read("access.log")

    def error_log(self):
        return self._read("error.log")

    def stop(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        _LIVE.discard(self)
        if self.dir and os.environ.get("SF_KEEP_LOGS") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        self.proc = None


def start(upstream_port, site=SITE):
    """A running NGINX with the sample site, proxying to 127.0.0.1:upstream_port."""
    return NginxProxy(upstream_port, site).start()
