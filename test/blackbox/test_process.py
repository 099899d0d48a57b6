"""Process model and command line: master + workers, signals, CLI."""

import os
import signal
import socket
import tempfile
import threading
import time
import unittest

import harness


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Load:
    """Threads that each loop: connect, GET /health/ready, read the answer,
    close. A request whose connect() succeeded must get a 200 (or a 503
    "draining" answer, which is a served answer): anything else (a reset, EOF
    before a response, a timeout) counts as an error. Connects that are
    refused are not requests and are counted apart."""

    def __init__(self, port, threads=4, path="/health/ready"):
        self.port = port
        self.path = path
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.draining = 0
        self.refused = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def run(self):
        req = harness.build_request("GET", self.path, [("Connection", "close")])
        while not self.stop_flag.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            except OSError:
                with self.lock:
                    self.refused += 1
                time.sleep(0.01)
                continue
            c = harness.Conn(self.port, sock=s, timeout=5)
            try:
                c.send(req)
                r = c.read_response()
                with self.lock:
                    if r.status == 200:
                        self.ok += 1
                    elif r.status == 503:
                        self.draining += 1
                    else:
                        self.errors.append("status %d" % r.status)
            except (OSError, harness.ProtocolError) as e:
                with self.lock:
                    self.errors.append(repr(e))
            finally:
                c.close()

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(10)

    def summary(self):
        return ("ok=%d draining=%d refused_connects=%d errors=%d %s"
                % (self.ok, self.draining, self.refused, len(self.errors),
                   self.errors[:5]))


class WorkersTest(harness.StandaloneServerTestCase):

    def workers_of(self, srv, n, timeout=10):
        kids = wait_for(lambda: (lambda k: k if len(k) == n else None)(srv.children()),
                        timeout)
        self.assertTrue(kids, "expected %d workers, children of %d: %s"
                        % (n, srv.pid, srv.children()))
        return kids

    def test_ready_reports_worker_pid(self):
        srv = self.start_server(workers=2)
        kids = self.workers_of(srv, 2)
        seen = set()
        for _ in range(40):
            r = srv.request("GET", "/health/ready")
            self.assertEqual(r.status, 200, r)
            j = r.json()
            self.assertIsInstance(j.get("pid"), int, j)
            seen.add(j["pid"])
        self.assertTrue(seen <= kids, "answering pids %s are not workers %s" % (seen, kids))
        self.assertNotIn(srv.pid, seen, "the master answered")

    def test_killed_worker_is_replaced(self):
        srv = self.start_server(workers=2)
        kids = self.workers_of(srv, 2)
        victim = sorted(kids)[0]
        os.kill(victim, signal.SIGKILL)
        new = wait_for(lambda: (lambda k: k if len(k) == 2 and victim not in k else None)(
            srv.children()), 5)
        self.assertTrue(new, "no replacement worker within 5 s: %s" % srv.children())
        for _ in range(20):
            self.assertEqual(srv.request("GET", "/health").status, 200)
        def exit_line():
            for l in srv.log_lines():
                if "exit" in str(l.get("msg", "")) and \
                        victim in [v for v in l.values() if isinstance(v, int)]:
                    return l
            return None
        line = wait_for(exit_line, 3)
        self.assertTrue(line, "no log line about worker %d exiting:\n%s"
                        % (victim, harness.tail(srv.log(), 40)))
        self.assertIn("9", str(line.get("reason", "")) + str(line.get("signal", "")), line)
        started = [l for l in srv.log_lines()
                   if "start" in str(l.get("msg", "")) and "worker" in str(l.get("msg", ""))]
        self.assertGreaterEqual(len(started), 3, "expected 3 'worker started' lines")

    @harness.direct_only("measures scifind's own listening socket during the drain; behind"
                         " NGINX, requests after the exit get NGINX's 502")
    def test_sigterm_under_load_drains_and_exits_0(self):
        srv = self.start_server(workers=2, settings={"drain_timeout": "3s"})
        self.workers_of(srv, 2)
        load = Load(srv.port).start()
        time.sleep(1.0)
        before = load.ok
        srv.signal(signal.SIGTERM)
        t0 = time.monotonic()
        rc = srv.wait(timeout=10)
        elapsed = time.monotonic() - t0
        load.finish()
        self.assertEqual(rc, 0, "master exit %s after SIGTERM; log:\n%s"
                         % (rc, harness.tail(srv.log(), 40)))
        self.assertLess(elapsed, 3.0 + 2.0, "drain took %.1f s" % elapsed)
        self.assertGreater(before, 10, load.summary())
        self.assertEqual(load.errors, [], load.summary())
        # The port is released: connecting now is refused.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()

    def test_sighup_under_load_rolls_workers(self):
        srv = self.start_server(workers=2)
        old = self.workers_of(srv, 2)
        load = Load(srv.port).start()
        time.sleep(0.7)
        srv.signal(signal.SIGHUP)
        new = wait_for(lambda: (lambda k: k if len(k) == 2 and not (k & old) else None)(
            srv.children()), 10)
        time.sleep(0.5)
        load.finish()
        self.assertTrue(new, "workers not replaced after SIGHUP: old %s now %s"
                        % (old, srv.children()))
        self.assertEqual(load.errors, [], load.summary())
        self.assertEqual(load.refused, 0, load.summary())
        self.assertGreater(load.ok, 10, load.summary())
        pids = {srv.request("GET", "/health/ready").json().get("pid") for _ in range(20)}
        self.assertTrue(pids <= new, "answers from %s, workers are %s" % (pids, new))

    @harness.direct_only("counts connections to scifind's own listening sockets; NGINX's"
                         " upstream keep-alive connections may sit on the stopped worker")
    def test_replacement_worker_takes_over_the_slot_socket(self):
        # The worker being replaced is frozen, so it accepts nothing. Its
        # successor shares its listening socket (the master holds one per
        # slot): every connection made now is answered by the successor. Had
        # each worker bound a socket of its own, about half of these would
        # wait on the frozen worker's queue and be reset when it goes.
        srv = self.start_server(workers=1)
        (old,) = self.workers_of(srv, 1)
        os.kill(old, signal.SIGSTOP)
        try:
            srv.signal(signal.SIGHUP)
            new = wait_for(lambda: (srv.children() - {old}) or None, 10)
            self.assertTrue(new, "no new worker after SIGHUP")
            (new_pid,) = new
            def new_ready():
                try:
                    return harness.request(srv.port, "GET", "/health/ready",
                                           timeout=1).json().get("pid") == new_pid
                except (OSError, harness.ProtocolError):
                    return False
            self.assertTrue(wait_for(new_ready, 10), "the new worker never answered")
            conns = [socket.create_connection(("127.0.0.1", srv.port), timeout=3)
                     for _ in range(20)]
            req = harness.build_request("GET", "/health/ready", [("Connection", "close")])
            pids = []
            for s in conns:
                c = harness.Conn(srv.port, sock=s, timeout=3)
                try:
                    c.send(req)
                    pids.append(c.read_response().json().get("pid"))
                except (OSError, harness.ProtocolError) as e:
                    pids.append(repr(e))
                finally:
                    c.close()
            self.assertEqual(pids, [new_pid] * 20)
            os.kill(old, signal.SIGKILL)
        finally:
            try:
                os.kill(old, signal.SIGCONT)
            except OSError:
                pass
        self.assertEqual(srv.request("GET", "/health").status, 200)

    @harness.direct_only("probes scifind's own listening socket during the drain")
    def test_sigterm_drops_new_handshakes_before_closing(self):
        # A draining worker that is its socket's last holder has the kernel
        # drop new SYNs for a while before it closes the socket, so nothing
        # is queued on a socket about to close (and reset with it). A probe
        # then sees: answered, then no answer to its SYN (timeout), then
        # refused. Closing at once would go straight to refused.
        srv = self.start_server(workers=0)
        self.assertEqual(srv.request("GET", "/health").status, 200)
        srv.signal(signal.SIGTERM)
        seen = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "refused" not in seen:
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=0.1)
            except ConnectionRefusedError:
                seen.append("refused")
                continue
            except (TimeoutError, socket.timeout):
                seen.append("timeout")
                continue
            c = harness.Conn(srv.port, sock=s, timeout=3)
            try:
                c.send(harness.build_request("GET", "/health", [("Connection", "close")]))
                seen.append("answered %d" % c.read_response().status)
            except (OSError, harness.ProtocolError) as e:
                seen.append("connected, no answer: %r" % e)
            finally:
                c.close()
        self.assertEqual(srv.wait(timeout=10), 0)
        outcomes = [o for i, o in enumerate(seen) if i == 0 or seen[i - 1] != o]
        self.assertIn(outcomes, (["timeout", "refused"], ["answered 200", "timeout", "refused"]),
                      seen)

    def test_sigterm_closes_idle_keepalive_connections_after_a_grace(self):
        # An idle keep-alive connection (NGINX's upstream pool keeps many)
        # gets a short grace once the worker drains, not http.idle_timeout
        # or the whole drain_timeout.
        srv = self.start_server(workers=0, settings={"drain_timeout": "10s",
                                                     "http.idle_timeout": "60s"})
        c = harness.Conn(srv.port)
        self.addCleanup(c.close)
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        self.assertEqual(srv.wait(timeout=15), 0)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 4.0, "drain with one idle connection took %.1f s" % elapsed)

    def test_workers_zero_runs_in_foreground(self):
        srv = self.start_server(workers=0)
        self.assertEqual(srv.request("GET", "/health").status, 200)
        j = srv.request("GET", "/health/ready").json()
        self.assertEqual(j.get("pid"), srv.pid, j)
        self.assertEqual(srv.children(), set())


class CliTest(unittest.TestCase):

    def test_version(self):
        p = harness.run_cli("--version")
        self.assertEqual(p.returncode, 0, p)
        self.assertEqual(p.stdout.strip(), "scifind 0.1.0")

    def test_help(self):
        p = harness.run_cli("--help")
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("serve", p.stdout + p.stderr)

    def write(self, text):
        fd, path = tempfile.mkstemp(suffix=".yaml", prefix="scifind-cfg-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def test_config_check_good_file(self):
        path = self.write("listen: 127.0.0.1:8081\nworkers: 2\n"
                          "http:\n  max_body_bytes: 64k\n  header_timeout: 2s\n"
                          "log:\n  level: debug\n")
        p = harness.run_cli("config", "check", path)
        self.assertEqual(p.returncode, 0, p)

    def test_config_check_unknown_key(self):
        path = self.write("http:\n  max_body_bytes: 64k\n  no_such_key: 1\n")
        p = harness.run_cli("config", "check", path)
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn("no_such_key", p.stderr)

    def test_config_check_bad_value(self):
        path = self.write("http:\n  header_timeout: soon\n")
        p = harness.run_cli("config", "check", path)
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn("header_timeout", p.stderr)

    def test_config_check_missing_file(self):
        p = harness.run_cli("config", "check", "/nonexistent/scifind.yaml")
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn("/nonexistent/scifind.yaml", p.stderr)

    def test_bad_flag_value_names_the_flag(self):
        p = harness.run_cli("serve", "--listen", "127.0.0.1:%d" % harness.free_port(),
                            "--workers", "abc")
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn("workers", p.stderr)

    def test_unknown_set_key_refused(self):
        p = harness.run_cli("serve", "--listen", "127.0.0.1:%d" % harness.free_port(),
                            "--set", "http.bogus=1")
        self.assertNotEqual(p.returncode, 0, p)
        self.assertIn("http.bogus", p.stderr)

    def test_unknown_command(self):
        p = harness.run_cli("frobnicate")
        self.assertNotEqual(p.returncode, 0, p)


if __name__ == "__main__":
    harness.main()
