#!/usr/bin/env python3
"""test/bench/test_k6.py - the k6 scripts of bench/k6 against docs/openapi.yaml.

k6 is not packaged for Debian 12, so nothing here runs k6. For every
bench/k6/*.js:

1. `node --check` parses it as an ES module (--input-type=module; node
   does not resolve the k6/... imports when it only parses).
2. test/bench/k6_mock.mjs runs it under node with a recording stand-in for
   k6's modules: its options for each profile, and every request its
   default function sends over a few hundred iterations with each kind of
   its MIX given a weight.
3. Every request must be an operation of docs/openapi.yaml: the path, the
   method, each query parameter, each member of a JSON body (nested objects
   and arrays too, e.g. a batch's searches), and each status the request
   declares expected (http.expectedStatuses) a documented response. Each
   request is tagged with kind and name. Each profile is one ramping-vus
   scenario and keeps the original SciFind's two thresholds.
4. The check itself is shown to catch drift: an unknown path, method,
   query parameter, body member, batch member and expected status, each
   added to the recorded requests, must be reported.

Without node or python3-yaml the test is skipped (77), except under CI
(CI=true), where it fails: scripts/install-deps.sh's test group installs both.
"""

import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
K6_DIR = os.path.join(REPO, "bench", "k6")
OPENAPI = os.path.join(REPO, "docs", "openapi.yaml")
PROFILES = ("smoke", "load", "soak", "spike")
ORIGINAL_THRESHOLDS = {"http_req_duration": "p(95)<500", "http_req_failed": "rate<0.05"}


def missing(what):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print("FAIL: %s is missing under CI (scripts/install-deps.sh test installs it)" % what)
        sys.exit(1)
    print("SKIP: %s is missing" % what)
    sys.exit(77)


class Spec:
    """docs/openapi.yaml: operations by (method, path template)."""

    def __init__(self, doc):
        self.doc = doc

    def ref(self, o):
        while isinstance(o, dict) and "$ref" in o:
            node = self.doc
            for part in o["$ref"].lstrip("#/").split("/"):
                node = node[part]
            o = node
        return o

    def operation(self, method, path):
        """(template, operation) for a concrete path, or (None, None)."""
        for tmpl, item in self.doc["paths"].items():
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tmpl)) + "$"
            if re.match(rx, path):
                op = item.get(method.lower())
                return tmpl, (dict(op, _item=item) if op else None)
        return None, None

    def query_params(self, op):
        ps = [self.ref(p) for p in op["_item"].get("parameters", []) + op.get("parameters", [])]
        return {p["name"] for p in ps if p.get("in") == "query"}

    def alternatives(self, schema):
        """The schema and those it is made of (allOf, oneOf, anyOf), resolved."""
        schema = self.ref(schema or {})
        out = [schema]
        for k in ("allOf", "oneOf", "anyOf"):
            for s in schema.get(k, []):
                out += self.alternatives(s)
        return out

    def check_value(self, value, schema, where, errors):
        alts = self.alternatives(schema)
        if isinstance(value, dict):
            props = {}
            for s in alts:
                props.update(s.get("properties", {}))
            for k, v in value.items():
                if k not in props:
                    errors.append("%s: member '%s' is not in docs/openapi.yaml" % (where, k))
                else:
                    self.check_value(v, props[k], "%s.%s" % (where, k), errors)
        elif isinstance(value, list):
            items = [s["items"] for s in alts if "items" in s]
            for i, v in enumerate(value):
                if items:
                    self.check_value(v, items[0], "%s[%d]" % (where, i), errors)


def check_requests(spec, requests, script):
    """Every problem of the recorded requests against the spec, as strings."""
    errors = []
    seen = set()
    for r in requests:
        u = urllib.parse.urlsplit(r["url"])
        name = "%s: %s %s" % (os.path.basename(script), r["method"], u.path)
        tmpl, op = spec.operation(r["method"], u.path)
        if tmpl is None:
            errors.append("%s: path %s is not in docs/openapi.yaml" % (name, u.path))
            continue
        if op is None:
            errors.append("%s: method %s is not documented for %s" % (name, r["method"], tmpl))
            continue
        allowed = spec.query_params(op)
        for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
            if k not in allowed:
                errors.append("%s: query parameter '%s' is not in docs/openapi.yaml" % (name, k))
        if r["body"] is not None:
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                errors.append("%s: sends a body, the operation takes none" % name)
            else:
                try:
                    body = json.loads(r["body"])
                except ValueError:
                    errors.append("%s: the body is not JSON" % name)
                else:
                    spec.check_value(body, content["application/json"].get("schema"),
                                     name + " body", errors)
        if r["expected"] is None:
            errors.append("%s: no responseCallback (http.expectedStatuses)" % name)
        for st in r["expected"] or []:
            if str(st) not in op.get("responses", {}):
                errors.append("%s: expects status %s, not a documented response" % (name, st))
        for tag in ("kind", "name"):
            if not r["tags"].get(tag):
                errors.append("%s: request not tagged with %s" % (name, tag))
        seen.add((r["method"], tmpl))
    return errors, seen


def check_options(options, script):
    errors = []
    for p in PROFILES:
        o = options.get(p) or {}
        sc = o.get("scenarios") or {}
        if len(sc) != 1 or any(s.get("executor") != "ramping-vus" for s in sc.values()):
            errors.append("%s PROFILE=%s: not one ramping-vus scenario: %s" % (script, p, sc))
        for metric, rule in ORIGINAL_THRESHOLDS.items():
            if rule not in (o.get("thresholds") or {}).get(metric, []):
                errors.append("%s PROFILE=%s: threshold %s %s missing" % (script, p, metric, rule))
    return errors


def self_test(spec, requests, script):
    """The check must report each kind of drift."""
    post = next(r for r in requests if r["method"] == "POST" and r["url"].endswith("/v1/search"))
    get = next(r for r in requests if r["method"] == "GET" and "/v1/search?" in r["url"])
    batch = next((r for r in requests if r["url"].endswith("/v1/search/batch")), None)

    def mutant(r, **kw):
        m = copy.deepcopy(r)
        m.update(kw)
        return m

    body = json.loads(post["body"])
    cases = [
        ("unknown path", mutant(get, url=get["url"].replace("/v1/search", "/v1/serch"))),
        ("undocumented method", mutant(get, method="DELETE")),
        ("unknown query parameter", mutant(get, url=get["url"] + "&colour=red")),
        ("unknown body member", mutant(post, body=json.dumps(dict(body, colour="red")))),
        ("undocumented status", mutant(post, expected=[200, 418])),
        ("untagged request", mutant(post, tags={})),
    ]
    if batch:
        b = json.loads(batch["body"])
        b["searches"][0]["colour"] = "red"
        cases.append(("unknown member of a batch search", mutant(batch, body=json.dumps(b))))
    errors = []
    for what, m in cases:
        found, _ = check_requests(spec, [m], script)
        if not found:
            errors.append("self-test: the check does not catch an %s (%s %s)"
                          % (what, m["method"], m["url"]))
    return errors, len(cases)


def main():
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        missing("node (Debian package nodejs)")
    try:
        import yaml
    except ImportError:
        missing("python3-yaml")
    with open(OPENAPI) as f:
        spec = Spec(yaml.safe_load(f))

    scripts = sorted(glob.glob(os.path.join(K6_DIR, "*.js")))
    if not scripts:
        print("FAIL: no k6 script in %s" % K6_DIR)
        return 1
    errors = []
    for script in scripts:
        rel = os.path.relpath(script, REPO)
        with open(script, "rb") as f:
            p = subprocess.run([node, "--input-type=module", "--check"], stdin=f,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            errors.append("%s: node --check (ES module) failed:\n%s"
                          % (rel, p.stdout.decode(errors="replace")))
            continue
        print("ok   %s parses as an ES module" % rel)
        p = subprocess.run([node, os.path.join(HERE, "k6_mock.mjs"), script],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            errors.append("%s: k6_mock.mjs failed:\n%s" % (rel, p.stderr.decode(errors="replace")))
            continue
        run = json.loads(p.stdout)
        if not run["bad_profile_refused"]:
            errors.append("%s: an unknown PROFILE is not refused" % rel)
        errors += check_options(run["options"], rel)
        kinds = {r["tags"].get("kind") for r in run["requests"]}
        for k in run["mix"] or {}:
            if k not in kinds:
                errors.append("%s: MIX kind %s sent no request in the mock run" % (rel, k))
        found, seen = check_requests(spec, run["requests"], script)
        errors += found
        print("ok   %s: %d requests recorded (kinds %s); operations %s"
              % (rel, len(run["requests"]), ", ".join(sorted(k for k in kinds if k)),
                 ", ".join("%s %s" % x for x in sorted(seen))))
        found, n = self_test(spec, run["requests"], script)
        errors += found
        if not found:
            print("ok   the check catches each of %d kinds of drift" % n)
    if errors:
        print("FAIL:")
        counts = {}
        for e in errors:
            counts[e] = counts.get(e, 0) + 1
        for e, n in counts.items():
            print("  - " + e + (" (x%d)" % n if n > 1 else ""))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
