#!/usr/bin/env python3
"""Runs the EXAMPLES of every man page: in each .EX/.EE block, a line that
starts with "$ " is a command (run by sh in tests/data with the built
programs on PATH) and the lines after it, up to the next command, are its
expected output (stdout and stderr together)."""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("OT_ROOT", os.path.join(HERE, "../.."))
BIN = os.environ.get("OT_BIN", os.path.join(ROOT, "build/bin"))
DATA = os.environ.get("OT_DATA", os.path.join(ROOT, "tests/data"))


def unroff(line):
    return line.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def sessions(path):
    """(command, expected output) pairs from a man page's examples."""
    text = open(path).read()
    out = []
    for block in re.findall(r"^\.EX\n(.*?)^\.EE$", text, re.S | re.M):
        cmd, expected = None, []
        for line in block.splitlines():
            line = unroff(line)
            if line.startswith("$ "):
                if cmd is not None:
                    out.append((cmd, expected))
                cmd, expected = line[2:], []
            elif cmd is not None:
                expected.append(line)
        if cmd is not None:
            out.append((cmd, expected))
    return out


passed = failed = 0
env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
for page in sorted(glob.glob(os.path.join(ROOT, "man", "*.[17]"))):
    for cmd, expected in sessions(page):
        r = subprocess.run(["sh", "-c", "{ " + cmd + "\n} 2>&1"], cwd=DATA, env=env, capture_output=True,
                           timeout=60)
        got = r.stdout.decode(errors="replace").splitlines()
        name = f"{os.path.basename(page)}: $ {cmd[:70]}"
        if got == expected:
            passed += 1
            print(f"ok: {name}")
        else:
            failed += 1
            print(f"FAIL: {name}\n--- expected\n" + "\n".join(expected) + "\n--- got\n" + "\n".join(got))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
