"""A throwaway PostgreSQL cluster for tests (stdlib only).

    with pgtmp.Cluster() as pg:        # initdb + start, stopped on exit
        dsn = pg.dsn                   # "host=127.0.0.1 port=N dbname=scifind user=scifind_test"
        pg.psql("SELECT 1")
        pg.stop(); pg.start()          # same data, same port

initdb in a temporary directory, run as a non-root user: when the tests run
as root (CI), as the user `scifind_test` (created with useradd when
missing) through runuser; the directory is handed to that user. The server
listens on 127.0.0.1 on a free port, its socket in the temporary directory,
trust authentication for local connections only. Stopped (fast, then
immediate, then SIGKILL) at exit, on failure and on SIGTERM.
"""

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

TEST_USER = "scifind_test"
_LIVE = set()


def _cleanup():
    for c in list(_LIVE):
        c.close()


atexit.register(_cleanup)


def _on_term(signum, frame):
    _cleanup()
    os._exit(128 + signum)


try:
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_term)
except ValueError:
    pass


def pg_bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    p = shutil.which("initdb")
    return os.path.dirname(p) if p else None


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _ensure_user():
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        TEST_USER], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return pwd.getpwnam(TEST_USER)


class Cluster:
    def __init__(self, dbname="scifind", settings=None):
        self.bindir = pg_bindir()
        if not self.bindir:
            raise unittest.SkipTest("PostgreSQL server binaries not found (initdb)")
        self.dbname = dbname
        self.settings = dict(settings or {})
        self.root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="scifind-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.running = False
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        if self.root:
            ent = _ensure_user()
            self.user = TEST_USER
            os.chown(self.dir, ent.pw_uid, ent.pw_gid)
        os.chmod(self.dir, 0o755)
        _LIVE.add(self)

    @property
    def dsn(self):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, self.dbname, self.user)

    def _run(self, argv, check=True, timeout=60, input=None):
        if self.root:
            argv = ["runuser", "-u", TEST_USER, "--"] + argv
        r = subprocess.run(argv, cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (argv, r.returncode, r.stdout, r.stderr))
        return r

    def _bin(self, name):
        return os.path.join(self.bindir, name)

    def init(self):
        self._run([self._bin("initdb"), "-D", self.data, "-U", self.user, "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"], timeout=120)
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "'%s'" % self.dir,
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "max_connections": "100", "shared_buffers": "32MB",
            "log_min_messages": "warning",
        }
        conf.update(self.settings)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        return self

    def start(self):
        for attempt in range(3):
            r = self._run([self._bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30",
                           "-o", "-p %d" % self.port, "start"], check=False)
            if r.returncode == 0:
                self.running = True
                return self
            if "already in use" not in self.read_log() or attempt == 2:
                raise RuntimeError("postgres did not start: %s%s\n%s"
                                   % (r.stdout, r.stderr, self.read_log()))
            self.port = free_port()
        return self

    def create_db(self):
        self.psql("CREATE DATABASE %s" % self.dbname, db="postgres")
        return self

    def stop(self, mode="fast"):
        if not self.running:
            return
        if mode == "immediate":
            # The cluster runs with synchronous_commit=off: a crash-like stop
            # could lose what was just committed (the migrations, say), which
            # a real server with synchronous commits would keep.
            self.psql("CHECKPOINT", db="postgres", check=False)
        r = self._run([self._bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "20", "stop"],
                      check=False)
        if r.returncode != 0 and mode != "immediate":
            self._run([self._bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"],
                      check=False)
        self.running = False

    def psql(self, sql, db=None, check=True):
        """Runs sql through psql over TCP; returns stdout (tuples only, unaligned)."""
        r = subprocess.run([self._bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                            "-d", db or self.dbname, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s" % r.stderr)
        return r.stdout.strip()

    def psql_popen(self, sql_stdin_lines):
        """A psql process reading SQL from its stdin (to hold a lock open)."""
        return subprocess.Popen([self._bin("psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                                 str(self.port), "-U", self.user, "-d", self.dbname],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, text=True)

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        try:
            self.stop(mode="immediate")
        except Exception:
            # Last resort: the postmaster's pid file.
            try:
                with open(os.path.join(self.data, "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        _LIVE.discard(self)

    def __enter__(self):
        try:
            self.init().start().create_db()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
