#!/usr/bin/env python3
"""packaging/grafana/scifind.json: valid JSON, a dashboard Grafana can
import (uid, title, panels with ids and positions, every target through the
$datasource variable), the seeds' KPIs present (p95 latency, error rate,
throughput, memory, per-provider status), only the metric names scifind
exports (issue 6), and every query valid PromQL: with Grafana's variables
replaced, the queries are checked by `promtool check rules` as recording
rules (that part is skipped without promtool)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DASH = os.path.join(REPO, "packaging", "grafana", "scifind.json")

METRICS = {
    "scifind_http_requests_total", "scifind_http_request_duration_seconds_bucket",
    "scifind_search_requests_total", "scifind_search_duration_seconds_bucket",
    "scifind_provider_response_time_seconds_bucket", "scifind_db_connections",
    "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "up",
}
FUNCS = {"sum", "rate", "increase", "histogram_quantile", "max", "by", "le", "offset"}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def main():
    with open(DASH) as f:
        d = json.load(f)
    check(d.get("uid") and d.get("title"), "uid and title")
    names = {v["name"] for v in d["templating"]["list"]}
    check("datasource" in names, "a $datasource variable")
    exprs = []
    ids = set()
    for p in d["panels"]:
        check(isinstance(p.get("id"), int) and p["id"] not in ids, "unique panel id %r" % p.get("id"))
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        check(all(k in g for k in ("x", "y", "w", "h")) and g["x"] + g["w"] <= 24,
              "gridPos of %r" % p.get("title"))
        if p["type"] == "row":
            continue
        check(p.get("datasource", {}).get("uid") == "${datasource}", "datasource of %r" % p["title"])
        check(p.get("targets"), "targets of %r" % p["title"])
        for t in p.get("targets", []):
            check(t.get("expr"), "expr in %r" % p["title"])
            check(t.get("datasource", {}).get("uid") == "${datasource}", "target datasource in %r" % p["title"])
            exprs.append((p["title"], t["expr"]))

    text = " ".join(e for _, e in exprs)
    check("histogram_quantile(0.95" in text, "a p95 latency query")
    check(re.search(r'status=~"5', text), "an error rate query")
    check("rate(scifind_http_requests_total" in text, "a throughput query")
    check("process_resident_memory_bytes" in text, "a memory query")
    check(re.search(r"by \(provider, status\)", text), "a per-provider status query")

    for title, e in exprs:
        for name in re.findall(r"\b([a-z_][a-z0-9_]*)\s*\{", e):
            check(name in METRICS, "%r: unknown metric %s" % (title, name))

    promtool = shutil.which("promtool")
    if promtool:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "dash_rules.yaml")
            with open(path, "w") as f:
                f.write("groups:\n  - name: dashboard\n    rules:\n")
                for i, (_t, e) in enumerate(exprs):
                    e = (e.replace("$__rate_interval", "5m").replace("$__interval", "1m")
                         .replace("$instance", ".*"))
                    f.write("      - record: dashboard:q%d\n        expr: %s\n" % (i, json.dumps(e)))
            r = subprocess.run([promtool, "check", "rules", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            check(r.returncode == 0, "promtool check rules on the dashboard's queries:\n" + r.stdout)
            print("promtool: %d dashboard queries are valid PromQL" % len(exprs)
                  if r.returncode == 0 else r.stdout)
    else:
        print("promtool not found: PromQL syntax not checked")

    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("grafana dashboard: %d panels, %d queries, all checks passed" % (len(d["panels"]), len(exprs)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
