#!/usr/bin/env python3
"""packaging/docker: no Docker engine here, so static checks.

Dockerfile: multi-stage (debian:12 build stage, slim runtime stage), the
build stage installs the same -dev packages as scripts/install-deps.sh's
build group, the runtime stage installs a package for every shared library
the scifind binary needs (found with readelf and dpkg -S), a non-root USER,
a HEALTHCHECK, EXPOSE 8080 and SCIFIND_LISTEN=0.0.0.0:8080, every COPY
source exists. compose.yaml: postgres:15, redis:7 and scifind with
SCIFIND_PG_DSN/SCIFIND_REDIS_URL pointing at them, health-gated start.
"""

import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DOCKER = os.path.join(REPO, "packaging", "docker")
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def stages(text):
    """[(from_line, [instructions...])] with line continuations joined."""
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def apt_packages(instrs):
    pkgs = set()
    for i in instrs:
        for m in re.finditer(r"apt-get install ([^&;]*)", i):
            pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    return pkgs


def install_deps_build():
    with open(os.path.join(REPO, "scripts", "install-deps.sh")) as f:
        m = re.search(r"BUILD_PKGS=\(([^)]*)\)", f.read())
    return set(m.group(1).split()) if m else set()


def needed_packages(binary):
    """Debian packages holding the shared libraries `binary` links."""
    if not (shutil.which("readelf") and shutil.which("dpkg")):
        return None
    out = subprocess.run(["readelf", "-d", binary], stdout=subprocess.PIPE, text=True).stdout
    pkgs = {}
    for so in re.findall(r"\(NEEDED\).*\[(.+)\]", out):
        if re.match(r"lib(asan|ubsan|lsan|tsan)\.so", so):
            continue  # a sanitizer build's runtimes: the image builds without them
        r = subprocess.run(["dpkg", "-S", "*/" + so], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        names = {line.split(":")[0] for line in r.stdout.splitlines() if ":" in line}
        pkgs[so] = names
    return pkgs


def main():
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        st = stages(f.read())
    check(len(st) == 2, "two stages")
    build, runtime = st[0], st[-1]
    check(build[0].split()[1] == "debian:12", "build stage FROM debian:12")
    check(runtime[0].split()[1].startswith("debian:12"), "runtime stage FROM debian:12*")
    bpk, rpk = apt_packages(build[1]), apt_packages(runtime[1])
    want = install_deps_build()
    check(want and want <= bpk, "build stage has install-deps.sh's build packages (missing: %s)"
          % sorted(want - bpk))
    check(not any(p.endswith("-dev") for p in rpk), "no -dev package at run time")
    binary = os.environ.get("SF_BIN") or os.path.join(REPO, "build", "scifind")
    if os.path.exists(binary):
        need = needed_packages(binary)
        if need is None:
            print("skip runtime library check: no readelf or dpkg")
        for so, names in (need or {}).items():
            ok = names & (rpk | {"libc6"}) or not names
            check(bool(ok), "runtime stage provides %s (%s)" % (so, " or ".join(sorted(names))))
    rt = "\n".join(runtime[1])
    users = [i.split()[1] for i in runtime[1] if i.upper().startswith("USER ")]
    check(users and not users[-1].split(":")[0] in ("root", "0"), "non-root USER (%s)" % users)
    check("HEALTHCHECK" in rt and "/health" in rt, "HEALTHCHECK on /health")
    check(re.search(r"^EXPOSE 8080$", rt, re.M), "EXPOSE 8080")
    check("SCIFIND_LISTEN=0.0.0.0:8080" in rt, "listens on 0.0.0.0:8080")
    check("curl" in rpk, "curl for the health check")
    for i in build[1]:
        if i.startswith("COPY ") and "--from" not in i:
            for src in i.split()[1:-1]:
                check(os.path.exists(os.path.join(REPO, src)), "COPY source %s exists" % src)
    text = "\n".join(build[1])
    for path in re.findall(r"packaging/[\w/.-]+", text):
        check(os.path.exists(os.path.join(REPO, path)), "build stage uses %s, which exists" % path)

    try:
        import yaml
    except ImportError:
        print("skip compose.yaml checks: no python3-yaml")
        return 1 if failures else 0
    with open(os.path.join(DOCKER, "compose.yaml")) as f:
        c = yaml.safe_load(f)
    s = c["services"]
    check(s["postgres"]["image"] == "postgres:15", "postgres:15")
    check(s["redis"]["image"].startswith("redis:7"), "redis:7")
    sf = s["scifind"]
    env = sf["environment"]
    check(env.get("SCIFIND_PG_DSN", "").startswith("postgresql://") and "@postgres:" in env["SCIFIND_PG_DSN"],
          "SCIFIND_PG_DSN points at the postgres service")
    check(env.get("SCIFIND_REDIS_URL", "").startswith("redis://redis:"), "SCIFIND_REDIS_URL points at redis")
    check(env.get("SCIFIND_LISTEN") == "0.0.0.0:8080", "scifind listens on 0.0.0.0:8080")
    b = sf["build"]
    check(os.path.normpath(os.path.join(DOCKER, b["context"])) == REPO, "build context is the repository")
    check(os.path.exists(os.path.join(REPO, b["dockerfile"])), "build dockerfile exists")
    dep = sf["depends_on"]
    check(dep["postgres"]["condition"] == "service_healthy" and dep["redis"]["condition"] == "service_healthy",
          "scifind waits for healthy postgres and redis")
    check(s["migrate"]["command"][0] == "migrate", "a one-shot migrate service")
    for k in env:
        check(k.startswith("SCIFIND_"), "environment %s is a SCIFIND_ variable" % k)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
