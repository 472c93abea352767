#!/usr/bin/env python3
"""Runs every numbered example (examples/NN-*.sh) and compares its output
with examples/NN-*.expected."""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("OT_ROOT", os.path.join(HERE, "../.."))
BIN = os.environ.get("OT_BIN", os.path.join(ROOT, "build/bin"))
DATA = os.environ.get("OT_DATA", os.path.join(ROOT, "tests/data"))

passed = failed = 0
env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), OT_DATA=DATA)
for script in sorted(glob.glob(os.path.join(ROOT, "examples", "[0-9][0-9]-*.sh"))):
    expected = open(script[:-3] + ".expected").read()
    r = subprocess.run(["sh", script], env=env, capture_output=True, timeout=120)
    name = os.path.basename(script)
    if r.stdout.decode() == expected and r.returncode == 0:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAIL: {name} (exit {r.returncode})\n--- expected\n{expected}--- got\n"
              f"{r.stdout.decode()}{r.stderr.decode()}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
