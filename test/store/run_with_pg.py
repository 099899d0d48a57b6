#!/usr/bin/env python3
"""Runs a test program with a throwaway PostgreSQL cluster (pgtmp.py):
SCIFIND_TEST_PG_DSN points at it; the cluster is stopped afterwards.
Usage: run_with_pg.py PROGRAM [ARGS...]"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgtmp  # noqa: E402


def main():
    with pgtmp.Cluster() as pg:
        env = dict(os.environ, SCIFIND_TEST_PG_DSN=pg.dsn)
        return subprocess.call(sys.argv[1:], env=env)


if __name__ == "__main__":
    sys.exit(main())
