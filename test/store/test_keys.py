#!/usr/bin/env python3
"""`scifind keys add | list | revoke` against a throwaway PostgreSQL
(pgtmp.py), and the real server taking the keys it makes: accepted after
one auth.store_refresh, scopes enforced (401 / 403), revoked keys refused
after one refresh, loaded keys kept while PostgreSQL is down.

Run: SF_BIN=build/scifind python3 test/store/test_keys.py
"""

import hashlib
import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "blackbox"))

import harness  # noqa: E402
import pgtmp  # noqa: E402
from test_store import new_cluster, wait_for  # noqa: E402

KEY_FORMAT = re.compile(r"^sf_[A-Za-z0-9_-]{43}$")
REFRESH = "200ms"


class KeysCliTest(unittest.TestCase):
    """The command line alone: what it stores, prints and refuses."""

    @classmethod
    def setUpClass(cls):
        cls.pg = pgtmp.Cluster()
        try:
            cls.pg.init().start().create_db()
            r = harness.run_cli("migrate", "--set", "pg.dsn=" + cls.pg.dsn, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("migrate failed: %s %s" % (r.stdout, r.stderr))
        except BaseException:
            cls.pg.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.close()

    def keys(self, *args, dsn=None):
        return harness.run_cli("keys", *args, "--set", "pg.dsn=" + (dsn or self.pg.dsn),
                               timeout=30)

    def test_add_prints_the_key_once_and_stores_only_its_hash(self):
        r = self.keys("add", "hash-only")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = r.stdout.strip()
        self.assertRegex(key, KEY_FORMAT)
        self.assertIn("shown this once", r.stderr)
        row = self.pg.psql("SELECT key_hash, array_to_string(scopes, ',') FROM api_keys"
                           " WHERE name = 'hash-only'")
        self.assertEqual(row, hashlib.sha256(key.encode()).hexdigest() + "|read")
        dump = self.pg.psql("SELECT row_to_json(k)::text FROM api_keys k")
        self.assertNotIn(key[3:], dump)

    def test_two_keys_are_never_the_same(self):
        a = self.keys("add", "twin-a").stdout.strip()
        b = self.keys("add", "twin-b").stdout.strip()
        self.assertRegex(a, KEY_FORMAT)
        self.assertRegex(b, KEY_FORMAT)
        self.assertNotEqual(a, b)

    def test_admin_scope_is_stored_with_read(self):
        for scopes in ("admin", "read,admin"):
            name = "adm-" + scopes.replace(",", "-")
            r = self.keys("add", name, "--scopes", scopes)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.pg.psql("SELECT array_to_string(scopes, ',') FROM api_keys"
                                          " WHERE name = '%s'" % name), "read,admin")
        r = self.keys("add", "adm-eq", "--scopes=admin")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_key_with_its_own_rate_limit(self):
        for name, args, want in (("rl-a", ("--rate-limit", "90"), "90"),
                                 ("rl-b", ("--rate-limit=5",), "5"), ("rl-c", (), "")):
            r = self.keys("add", name, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.pg.psql("SELECT rate_limit FROM api_keys WHERE name = '%s'"
                                          % name), want)
        for bad in ("0", "-3", "x", "1.5", ""):
            r = self.keys("add", "rl-bad", "--rate-limit", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("--rate-limit", r.stderr)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM api_keys WHERE name = 'rl-bad'"), "0")

    def test_bad_names_and_scopes_are_refused(self):
        for args in (("add", "two words"), ("add", "x" * 65), ("add", "semi;colon"),
                     ("add", "scoped", "--scopes", "root"), ("add", "scoped", "--scopes", "")):
            r = self.keys(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertEqual(r.stdout, "", args)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM api_keys WHERE name = 'scoped'"),
                         "0")

    def test_usage_errors_exit_2(self):
        for args in ((), ("add",), ("revoke",), ("add", "--scopes", "read"), ("rotate", "x")):
            r = harness.run_cli("keys", *args, "--set", "pg.dsn=" + self.pg.dsn)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage: scifind keys", r.stderr)

    def test_a_live_name_is_taken_until_revoked(self):
        self.assertEqual(self.keys("add", "rotated").returncode, 0)
        r = self.keys("add", "rotated")
        self.assertEqual(r.returncode, 1)
        self.assertIn("already called 'rotated'", r.stderr)
        r = self.keys("revoke", "rotated")
        self.assertEqual((r.returncode, r.stdout), (0, "revoked rotated\n"), r.stderr)
        self.assertEqual(self.keys("add", "rotated").returncode, 0)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM api_keys WHERE name = 'rotated'"
                                      " AND revoked_at IS NULL"), "1")

    def test_revoke_of_no_live_key_fails(self):
        r = self.keys("revoke", "never-added")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no live key is called 'never-added'", r.stderr)

    def test_list_shows_names_scopes_dates_and_no_hash(self):
        key = self.keys("add", "listed", "--scopes", "admin").stdout.strip()
        self.keys("add", "gone")
        self.keys("revoke", "gone")
        r = self.keys("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(),
                         ["NAME", "SCOPES", "RATE_LIMIT", "CREATED", "REVOKED", "HASH"])
        rows = {line.split()[0]: line.split() for line in lines[1:]}
        full = hashlib.sha256(key.encode()).hexdigest()
        self.assertEqual(rows["listed"][1:3], ["read,admin", "-"])
        self.assertRegex(rows["listed"][3], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(rows["listed"][4], "-")
        self.assertEqual(rows["listed"][5], full[:8])
        self.assertRegex(rows["gone"][4], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertNotIn(full, r.stdout)
        self.assertNotIn(key, r.stdout)

    def test_without_dsn_it_is_refused(self):
        env = dict(os.environ)
        env.pop("SCIFIND_PG_DSN", None)
        env.pop("SCIFIND_CONFIG", None)
        r = harness.run_cli("keys", "list", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("keys needs pg.dsn", r.stderr)

    def test_dsn_from_the_environment(self):
        env = dict(os.environ, SCIFIND_PG_DSN=self.pg.dsn)
        env.pop("SCIFIND_CONFIG", None)
        r = harness.run_cli("keys", "list", env=env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_before_migrate_it_says_so(self):
        self.pg.psql("CREATE DATABASE unmigrated", db="postgres")
        dsn = self.pg.dsn.replace("dbname=scifind", "dbname=unmigrated")
        for args in (("list",), ("add", "early")):
            r = self.keys(*args, dsn=dsn)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("scifind migrate", r.stderr)

    def test_unreachable_store_is_an_error(self):
        r = self.keys("list", dsn="host=127.0.0.1 port=%d dbname=x user=x connect_timeout=2"
                      % pgtmp.free_port())
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect", r.stderr)


class KeysServerTest(unittest.TestCase):
    """Keys made by the command line, taken by a running group of workers."""

    def test_keys_from_the_cli_are_taken_and_dropped_by_the_server(self):
        pg = new_cluster(self)
        settings = {"auth.required": "true", "auth.store_refresh": REFRESH,
                    "pg.connect_timeout": "1s", "pg.min_connections": "1",
                    "cache.enabled": "false"}
        env = dict(os.environ, SCIFIND_PG_DSN=pg.dsn)
        server = harness.Server(workers=2, settings=settings, env=env).start()
        self.addCleanup(server.stop)

        def keys(*args):
            r = harness.run_cli("keys", *args, timeout=30, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout.strip()

        def status(key, method="GET", path="/v1/providers", body=None):
            headers = {"Authorization": "Bearer " + key} if key else None
            return server.request(method, path, headers, body).status

        def everywhere(key, want, **kw):
            """want from every worker: several answers in a row, after one
            more refresh for the slower worker."""
            if not wait_for(lambda: status(key, **kw) == want, timeout=harness.scaled(10)):
                return False
            time.sleep(0.5)
            return all(status(key, **kw) == want for _ in range(10))

        reader = keys("add", "reader")
        admin = keys("add", "admin", "--scopes", "admin")
        self.assertTrue(everywhere(reader, 200))
        self.assertTrue(everywhere(admin, 200))
        self.assertEqual(status(None), 401)
        self.assertEqual(status("sf_" + "A" * 43), 401)
        put = {"method": "PUT", "path": "/v1/providers/crossref", "body": b'{"timeout_ms": 3000}'}
        self.assertEqual(status(reader, **put), 403)
        self.assertEqual(status(reader, method="DELETE", path="/v1/cache"), 403)
        self.assertEqual(status(admin, **put), 200)

        keys("revoke", "reader")
        self.assertTrue(everywhere(reader, 401))
        self.assertEqual(status(admin), 200)

        # PostgreSQL gone: the last keys loaded stay, through several refreshes.
        pg.stop()
        time.sleep(harness.scaled(1.0))
        self.assertTrue(all(status(admin) == 200 for _ in range(10)))
        self.assertTrue(all(status(reader) == 401 for _ in range(10)))
        self.assertEqual(status(admin, **put), 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
