#!/usr/bin/env python3
"""The deployment files, checked offline (no container engine or cluster is
needed): the Kubernetes manifests render with `kubectl kustomize` and hold
together (selectors, probes on /healthz and /readyz at the ports --metrics
serves, resource requests, non-root, ConfigMaps and Services that exist, a
volume for ot-store, a NetworkPolicy that lets Prometheus reach every
metrics port); the limits and strategy ConfigMaps load in ot-risk and
ot-strat; and every OptiTrade command in the manifests, the compose file and
the systemd units uses options its program has. The Dockerfile is
multi-stage on debian:bookworm-slim and runs as a user that is not root."""
import re
import shlex
import shutil
import tempfile

import yaml

from common import *

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
EX = os.path.join(ROOT, "examples")
PROGRAMS = ["ot-feed", "ot-book", "ot-strat", "ot-risk", "ot-exec", "ot-store", "ot-sim", "ot-bars"]

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
configmaps = kinds["ConfigMap"]
services = kinds["Service"]
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
    check({"nats", "postgres", "prometheus", "feed", "recorder", "strategy"} <= set(svcs),
          f"compose: NATS, PostgreSQL, Prometheus and the desk ({sorted(svcs)})")
    for name, s in svcs.items():
        if s.get("image", "").startswith("optitrade"):
            check(s.get("build", {}).get("dockerfile") == "Dockerfile", f"compose {name}: built from the Dockerfile")
            cmd = s["command"] if isinstance(s["command"], str) else " ".join(s["command"])
            # A newline before a pipe or an option would end the shell's command there.
            check(not re.search(r"\n\s*(\||--)", cmd), f"compose {name}: one command line")
            check_commands(cmd, f"compose {name}")
            check("--metrics" in cmd, f"compose {name}: serves metrics")
    shutil.copy(os.path.join(EX, "containers/prometheus.yml"), tmp)
    shutil.copy(os.path.join(EX, "monitoring/alerts.yml"), tmp)
    r = run(["promtool", "check", "config", os.path.join(tmp, "prometheus.yml")])
    check(r.returncode == 0, f"compose's prometheus.yml is valid {r.stderr.decode()[-200:]}")

# --- systemd units and the Dockerfile ---
import glob
for unit in sorted(glob.glob(os.path.join(EX, "**", "*.service"), recursive=True)):
    text = open(unit).read()
    exec_start = "\n".join(re.findall(r"^ExecStart=((?:[^\n]*\\\n)*[^\n]*)", text, re.M))
    check_commands(exec_start, os.path.relpath(unit, EX))
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
