"""The example systemd units are sandboxed: `systemd-analyze security
--offline=yes` scores every system unit under examples/ at 2.0 or below,
and each has the directives the deployment relies on. (examples/cron's
unit is a user service: it runs as its user and takes the seccomp part.)"""
import glob
import os
import re
import subprocess

from common import check, finish

ROOT = os.environ.get("OT_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
units = sorted(p for p in glob.glob(os.path.join(ROOT, "examples", "**", "*.service"),
                                    recursive=True) if "/cron/" not in p)
check(len(units) >= 9, f"{len(units)} units under examples/")
for path in units:
    name = os.path.relpath(path, os.path.join(ROOT, "examples"))
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", os.path.basename(path)],
                       cwd=os.path.dirname(path), capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
    score = float(m.group(1)) if m else None
    check(score is not None and score <= 2.0,
          f"{name}: exposure {score} (at most 2.0) {'' if m else (r.stdout + r.stderr)[-300:]}")
    text = open(path).read()
    need = ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
            "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"]
    missing = [n.strip() for n in need if n not in text]
    check(not missing, f"{name}: sandboxing directives present {missing}")
    check(re.search(r"^(User=(?!root)\S+|DynamicUser=yes)$", text, re.M) is not None,
          f"{name}: runs as a user that is not root")
finish()
