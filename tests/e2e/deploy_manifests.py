#!/usr/bin/env python3
"""The deployment files, checked offline (no container engine or cluster is
needed): the Kubernetes manifests render with `kubectl kustomize` and hold
together (API versions, selectors, Services that select pods and name their
ports, probes on /healthz and /readyz at the ports --metrics serves,
resource requests, non-root, ConfigMaps that exist, a volume for ot-store,
a NetworkPolicy that lets Prometheus reach every metrics port); the limits
and strategy ConfigMaps load in ot-risk and ot-strat; every OptiTrade
command in the manifests, the compose file, the systemd units, the tmux
scripts and the cron examples uses options its program has, and the
scripts parse (`bash -n`); Prometheus scrapes every port the compose file
and the units serve metrics on, and ot-metrics(7) lists every program that
takes --metrics. The Dockerfile is multi-stage on debian:bookworm-slim and
runs as a user that is not root.

Where tmux is installed, examples/tmux-dash.sh runs headless on a tmux
server of its own against a replay for a few seconds. Where a container
engine answers (`docker info` or `podman info`), the image is built and
run; else the test says that part was skipped and why. `kubectl apply
--dry-run=client` is not run: it asks an API server for its resource
list even with --validate=false, so it cannot work without a cluster."""
import glob
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import yaml

from common import *

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
EX = os.path.join(ROOT, "examples")
PROGRAMS = ["ot-feed", "ot-book", "ot-strat", "ot-risk", "ot-exec", "ot-store", "ot-sim", "ot-bars",
            "ot-backtest", "ot-dash", "ot-train"]

_help = {}


def options_of(program):
    """Every long option of a program and its subcommands' --help."""
    if program not in _help:
        text = run([tool(program), "--help"]).stdout.decode()
        subs = re.findall(r"^  ([a-z][a-z0-9-]*) ", text.partition("Subcommands:")[2], re.M)
        for s in subs:
            text += run([tool(program), s, "--help"]).stdout.decode()
        _help[program] = set(re.findall(r"--([a-z][a-z0-9-]*)", text))
    return _help[program]


def check_commands(text, where):
    """Each `ot-xxx ...` invocation in `text` uses only options of its program."""
    text = text.replace("\\\n", " ")
    n = 0
    for m in re.finditer(r"(?:^|[\s/|'\"])(ot-[a-z]+)\s+([^|\n]*)", text):
        program, rest = m.group(1), m.group(2)
        if program not in PROGRAMS:
            continue
        used = set(re.findall(r"(?:^|\s)--([a-z][a-z0-9-]*)", rest))
        unknown = sorted(used - options_of(program))
        check(not unknown, f"{where}: {program} {' '.join('--' + u for u in sorted(used))[:90]}"
                           f" {('unknown: ' + ', '.join(unknown)) if unknown else ''}")
        n += 1
    return n


# --- Kubernetes ---
r = run(["kubectl", "kustomize", os.path.join(EX, "k8s")], timeout=60)
check(r.returncode == 0, f"kubectl kustomize examples/k8s renders {r.stderr.decode()[-300:]}")
docs = [d for d in yaml.safe_load_all(r.stdout) if d]
kinds = {}
for d in docs:
    kinds.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
check({"Deployment", "StatefulSet", "Service", "ConfigMap", "NetworkPolicy", "Namespace"} <= set(kinds),
      f"kinds rendered: {sorted(kinds)}")
check("ot-feed" in kinds.get("Deployment", {}), "the feed is a Deployment")
check({"nats", "ot-store"} <= set(kinds.get("StatefulSet", {})), "NATS and ot-store are StatefulSets")
check(all(d["metadata"].get("namespace") == "optitrade" for d in docs if d["kind"] != "Namespace"),
      "every object is in namespace optitrade")
API = {"Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "Deployment": "apps/v1",
       "StatefulSet": "apps/v1", "NetworkPolicy": "networking.k8s.io/v1"}
for d in docs:
    check(API.get(d["kind"]) == d["apiVersion"], f"{d['kind']} {d['metadata']['name']}: apiVersion {d['apiVersion']}")
configmaps = kinds["ConfigMap"]
services = kinds["Service"]
pods = [w["spec"]["template"] for kind in ("Deployment", "StatefulSet") for w in kinds[kind].values()]
for name, s in services.items():
    chosen = [p for p in pods if all(p["metadata"]["labels"].get(k) == v for k, v in s["spec"]["selector"].items())]
    check(len(chosen) == 1, f"Service {name}: selects the pods of one workload")
    names = {p.get("name") for pod in chosen for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    numbers = {p["containerPort"] for pod in chosen for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    for port in s["spec"]["ports"]:
        target = port.get("targetPort", port["port"])
        check(target in names or target in numbers, f"Service {name}: port {port['port']} reaches a container port")
for p in kinds["NetworkPolicy"].values():
    sel = p["spec"]["podSelector"].get("matchLabels", {})
    check(any(all(pod["metadata"]["labels"].get(k) == v for k, v in sel.items()) for pod in pods),
          f"NetworkPolicy {p['metadata']['name']}: selects pods that exist")
metrics_ports = set()
for kind in ("Deployment", "StatefulSet"):
    for name, w in kinds[kind].items():
        spec, pod = w["spec"], w["spec"]["template"]
        labels = pod["metadata"]["labels"]
        sel = spec["selector"]["matchLabels"]
        check(all(labels.get(k) == v for k, v in sel.items()), f"{name}: the selector matches its pods")
        check(pod["spec"].get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: runs as non-root")
        if kind == "StatefulSet":
            check(spec["serviceName"] in services, f"{name}: its Service {spec['serviceName']} exists")
            claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        else:
            claims = set()
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        for v in volumes.values():
            if "configMap" in v:
                check(v["configMap"]["name"] in configmaps, f"{name}: ConfigMap {v['configMap']['name']} exists")
        for c in pod["spec"]["containers"]:
            cname = f"{name}/{c['name']}"
            req = c.get("resources", {}).get("requests", {})
            check("cpu" in req and "memory" in req, f"{cname}: cpu and memory requests")
            sc = c.get("securityContext", {})
            check(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True
                  and sc.get("capabilities", {}).get("drop") == ["ALL"],
                  f"{cname}: no privilege escalation, read-only root, no capabilities")
            for e in c.get("envFrom", []):
                check(e["configMapRef"]["name"] in configmaps, f"{cname}: env ConfigMap exists")
            for vm in c.get("volumeMounts", []):
                check(vm["name"] in volumes or vm["name"] in claims, f"{cname}: volume {vm['name']} exists")
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            for probe, path in (("livenessProbe", None), ("readinessProbe", None)):
                p = c.get(probe, {}).get("httpGet", {})
                check(p.get("port") in ports, f"{cname}: {probe} on a port the container has ({p.get('port')})")
            if not c["image"].startswith("optitrade"):
                continue
            check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{cname}: liveness on /healthz")
            check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{cname}: readiness on /readyz")
            command = " ".join(c.get("command", []) + c.get("args", []))
            check(not re.search(r"\n\s*(\||--)", command), f"{cname}: one command line")
            served = {int(p) for p in re.findall(r"--metrics :(\d+)", command)}
            check(served and served == set(ports.values()),
                  f"{cname}: the container's ports are the ones --metrics serves ({sorted(served)})")
            metrics_ports |= served
            check_commands(command, cname)
            if name == "ot-store":
                check(any(vm["name"] in claims and vm["mountPath"] == "/var/lib/optitrade"
                          for vm in c["volumeMounts"]), "ot-store: its store on a volume of its own")
policies = kinds["NetworkPolicy"]
check(any(p["spec"]["podSelector"] == {} and p["spec"].get("ingress") is None for p in policies.values()),
      "a default-deny ingress NetworkPolicy")
allowed = {port["port"] for p in policies.values() for rule in p["spec"].get("ingress", [])
           for port in rule.get("ports", [])}
check(metrics_ports <= allowed, f"Prometheus may reach every metrics port ({sorted(metrics_ports)})")

with tempfile.TemporaryDirectory() as tmp:
    # The ConfigMaps load in the programs that read them.
    for cm, program, args in (("optitrade-limits", "ot-risk", ["--limits"]),
                              ("optitrade-strategies", "ot-strat", ["--config"])):
        name = next(n for n in configmaps if n.startswith(cm + "-"))
        (fname, content), = configmaps[name]["data"].items()
        path = os.path.join(tmp, fname)
        open(path, "w").write(content)
        argv = [tool(program)] + args + [path] + (["mm"] if program == "ot-strat" else [])
        r = run(argv, stdin=b"")
        check(r.returncode == 0, f"ConfigMap {cm}: {program} {args[0]} {fname} loads it {r.stderr.decode()[-200:]}")

    # --- compose ---
    compose = yaml.safe_load(open(os.path.join(EX, "containers/compose.yml")))
    svcs = compose["services"]
    check({"nats", "postgres", "prometheus", "feed", "recorder", "strategy", "dash"} <= set(svcs),
          f"compose: NATS, PostgreSQL, Prometheus and the desk ({sorted(svcs)})")
    prom = yaml.safe_load(open(os.path.join(EX, "containers/prometheus.yml")))
    targets = {(t, sc["labels"]["program"]) for job in prom["scrape_configs"]
               for sc in job["static_configs"] for t in sc["targets"]}
    for name, s in svcs.items():
        if s.get("image", "").startswith("optitrade"):
            check(s.get("build", {}).get("dockerfile") == "Dockerfile", f"compose {name}: built from the Dockerfile")
            cmd = s["command"] if isinstance(s["command"], str) else " ".join(s["command"])
            # A newline before a pipe or an option would end the shell's command there.
            check(not re.search(r"\n\s*(\||--)", cmd), f"compose {name}: one command line")
            check_commands(cmd, f"compose {name}")
            check("--metrics" in cmd, f"compose {name}: serves metrics")
            for m in re.finditer(r"(ot-[a-z]+)\s[^|]*?--metrics :(\d+)", cmd):
                check((f"{name}:{m.group(2)}", m.group(1)) in targets,
                      f"compose {name}: Prometheus scrapes {m.group(1)} at {name}:{m.group(2)}")
    shutil.copy(os.path.join(EX, "containers/prometheus.yml"), tmp)
    shutil.copy(os.path.join(EX, "monitoring/alerts.yml"), tmp)
    r = run(["promtool", "check", "config", os.path.join(tmp, "prometheus.yml")])
    check(r.returncode == 0, f"compose's prometheus.yml is valid {r.stderr.decode()[-200:]}")

# --- systemd units, tmux scripts, cron ---
unit_ports = {}
for unit in sorted(glob.glob(os.path.join(EX, "**", "*.service"), recursive=True)):
    text = open(unit).read()
    exec_start = "\n".join(re.findall(r"^ExecStart=((?:[^\n]*\\\n)*[^\n]*)", text, re.M))
    check_commands(exec_start, os.path.relpath(unit, EX))
    if os.path.dirname(unit) == os.path.join(EX, "systemd"):
        for m in re.finditer(r"(ot-[a-z]+)\s[^|]*?--metrics 127\.0\.0\.1:(\d+)", exec_start.replace("\\\n", " ")):
            unit_ports[int(m.group(2))] = m.group(1)
check({"ot-feed", "ot-book", "ot-strat", "ot-risk", "ot-exec", "ot-bars", "ot-dash", "ot-sim"}
      <= set(unit_ports.values()), f"examples/systemd serves metrics of {sorted(set(unit_ports.values()))}")
monitoring = yaml.safe_load(open(os.path.join(EX, "monitoring/prometheus.yml")))
scraped = {(int(t.rpartition(":")[2]), sc["labels"]["program"]) for job in monitoring["scrape_configs"]
           for sc in job["static_configs"] for t in sc["targets"]}
for port, program in sorted(unit_ports.items()):
    if program == "ot-sim":  # a staging venue, not production's
        continue
    check((port, program) in scraped, f"monitoring/prometheus.yml scrapes {program} at {port}")
man = open(os.path.join(ROOT, "man", "ot-metrics.7")).read()
listed = man.partition(".SH DESCRIPTION")[2].partition(".BI")[0]
for program in PROGRAMS:
    if "metrics" in options_of(program):
        check(program in listed, f"ot-metrics(7) lists {program} among the programs with --metrics")

scripts = sorted(glob.glob(os.path.join(EX, "tmux-*.sh")) + glob.glob(os.path.join(EX, "distributed", "*.sh")))
check(len(scripts) >= 4, f"{len(scripts)} tmux scripts")
for script in scripts:
    where = os.path.relpath(script, EX)
    r = run(["bash", "-n", script])
    check(r.returncode == 0, f"{where}: bash -n {r.stderr.decode()[-200:]}")
    check(check_commands(open(script).read(), where) > 0, f"{where}: commands checked")
crontab = open(os.path.join(EX, "cron", "crontab")).read()
jobs = [l for l in crontab.splitlines() if l.strip() and not l.startswith("#") and "=" not in l.split()[0]]
check(len(jobs) >= 1, f"cron/crontab: {len(jobs)} job(s)")
for job in jobs:
    # cron: five time fields, then a shell line in which \% is a %.
    command = job.split(None, 5)[5].replace("\\%", "%")
    r = run(["bash", "-n", "-c", command])
    check(r.returncode == 0, f"cron/crontab: the job parses {r.stderr.decode()[-200:]}")
    check(check_commands(command, "cron/crontab") == 1, "cron/crontab: the job's command checked")
nightly = open(os.path.join(EX, "cron", "ot-backtest-nightly.service")).read()
exec_start = re.search(r"^ExecStart=/bin/sh -c '((?:[^\n]*\\\n)*[^\n]*)'$", nightly, re.M)
check(exec_start is not None, "cron/ot-backtest-nightly.service: ExecStart is sh -c '...'")
if exec_start:
    # systemd: %% is a %, $$ a $, %h the home directory.
    line = exec_start.group(1).replace("\\\n", " ").replace("%%", "%").replace("$$", "$").replace("%h", "/home/u")
    r = run(["sh", "-n", "-c", line])
    check(r.returncode == 0, f"cron/ot-backtest-nightly.service: its shell line parses {r.stderr.decode()[-200:]}")
    check_commands(line, "cron/ot-backtest-nightly.service")


def headless_tmux_dash():
    """examples/tmux-dash.sh on a tmux server of its own (TMUX_TMPDIR), on a
    replay at real time: after a few seconds every pane is alive and the
    dashboard serves its page with the token it printed."""
    if shutil.which("tmux") is None:
        print("skipped: examples/tmux-dash.sh headless (tmux is not installed)")
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        env.update(TMUX_TMPDIR=tmp, PATH=os.path.abspath(BIN) + os.pathsep + env.get("PATH", ""),
                   OT_RUN=os.path.join(tmp, "run"), OT_DASH_LISTEN=f"127.0.0.1:{port}")
        tmux = lambda *a: subprocess.run(["tmux", *a], env=env, capture_output=True, text=True, timeout=10)
        try:
            # Its last step, tmux attach, fails without a terminal; the session runs on.
            subprocess.run(["sh", os.path.join(EX, "tmux-dash.sh"), os.path.join(DATA, "binance-futures.raw"), "1"],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            url = None
            for _ in range(50):
                time.sleep(0.2)
                panes = tmux("list-panes", "-t", "dash:chain", "-F", "#{pane_index} #{pane_dead}").stdout.split("\n")
                screens = [tmux("capture-pane", "-p", "-J", "-t", f"dash:chain.{p.split()[0]}").stdout
                           for p in panes if p.strip()]
                m = re.search(rf"http://127\.0\.0\.1:{port}/\?token=[0-9a-f]+", "".join(screens))
                if m:
                    url = m.group(0)
                    break
            check(url is not None, f"tmux-dash.sh: ot-dash's pane shows its URL")
            time.sleep(3)
            panes = [p for p in tmux("list-panes", "-t", "dash:chain", "-F",
                                     "#{pane_dead} #{pane_current_command}").stdout.split("\n") if p.strip()]
            check(len(panes) == 6 and all(p.startswith("0 ") for p in panes),
                  f"tmux-dash.sh: its 6 panes run after 3 s ({panes})")
            if url:
                with urllib.request.urlopen(url, timeout=5) as r:
                    check(r.status == 200, f"tmux-dash.sh: the dashboard answers its URL ({r.status})")
        finally:
            tmux("kill-server")


def containers():
    """The image built from the Dockerfile and run, where an engine answers
    and OT_TEST_CONTAINERS=1 asks for it (the build compiles the whole
    project again: too long for every test run)."""
    if os.environ.get("OT_TEST_CONTAINERS") != "1":
        print("skipped: building and running the image (set OT_TEST_CONTAINERS=1 to run it)")
        return
    engine = None
    why = []
    for e in ("docker", "podman"):
        if shutil.which(e) is None:
            why.append(f"no {e}")
            continue
        r = subprocess.run([e, "info"], capture_output=True, text=True, timeout=60)
        if r.returncode == 0:
            engine = e
            break
        last = (r.stderr.strip().splitlines() or ["failed"])[-1]
        why.append(f"`{e} info` failed: {last}")
    if engine is None:
        print(f"skipped: building and running the image ({'; '.join(why)})")
        return
    tag = "optitrade:e2e-test"
    r = subprocess.run([engine, "build", "-t", tag, ROOT], capture_output=True, text=True, timeout=3600)
    check(r.returncode == 0, f"{engine} build of the Dockerfile {r.stderr[-300:]}")
    if r.returncode != 0:
        return
    capture = open(os.path.join(DATA, "binance-futures.raw"), "rb").read()
    r = subprocess.run([engine, "run", "--rm", "-i", "--read-only", "--cap-drop", "ALL", tag,
                        "sh", "-c", "id -u && ot-feed replay | ot-book --emit bbo | tail -n 1"],
                       input=capture, capture_output=True, timeout=300)
    out = r.stdout.decode().split("\n")
    check(r.returncode == 0 and out[0] != "0" and '"type":"bbo"' in r.stdout.decode(),
          f"{engine} run: a replay through ot-book in the image, not as root {r.stderr.decode()[-200:]}")
    subprocess.run([engine, "rmi", tag], capture_output=True, timeout=120)


headless_tmux_dash()
containers()

docker = open(os.path.join(ROOT, "Dockerfile")).read()
froms = re.findall(r"^FROM (\S+)", docker, re.M)
check(len(froms) >= 2 and froms[-1] == "debian:bookworm-slim",
      f"Dockerfile: multi-stage, the last on debian:bookworm-slim ({froms})")
users = re.findall(r"^USER (\S+)", docker, re.M)
check(users and users[-1] not in ("root", "0"), f"Dockerfile: runs as {users[-1:]}")
setup = open(os.path.join(ROOT, "scripts/setup-debian.sh")).read()
build_pkgs = re.findall(r"\b(lib[a-z0-9.+-]+-dev|cppzmq-dev)\b", docker)
missing = [p for p in build_pkgs if p not in setup]
check(build_pkgs and not missing, f"Dockerfile: its build packages are the setup script's ({missing})")
finish()
