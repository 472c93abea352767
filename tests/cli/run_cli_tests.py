#!/usr/bin/env python3
"""Golden tests of each program's command line (tests/cli/<tool>/<case>/):
  cmd     the command line, run by sh in tests/data with the built programs
          first on PATH
  stdin   optional standard input
  stdout, stderr, status   what must come out (missing stdout/stderr = empty)
OT_UPDATE=1 rewrites the expectations from the current programs (review the
diff before committing)."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("OT_BIN", os.path.join(HERE, "../../build/bin"))
DATA = os.environ.get("OT_DATA", os.path.join(HERE, "../data"))
UPDATE = os.environ.get("OT_UPDATE") == "1"


def read(path, default=b""):
    return open(path, "rb").read() if os.path.exists(path) else default


passed = failed = 0
for tool in sorted(os.listdir(HERE)):
    tool_dir = os.path.join(HERE, tool)
    if not os.path.isdir(tool_dir) or tool.startswith("_"):
        continue
    for case in sorted(os.listdir(tool_dir)):
        d = os.path.join(tool_dir, case)
        cmd = read(os.path.join(d, "cmd")).decode().strip()
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
        r = subprocess.run(["sh", "-c", cmd], input=read(os.path.join(d, "stdin")), cwd=DATA,
                           capture_output=True, env=env, timeout=60)
        got = {"stdout": r.stdout, "stderr": r.stderr, "status": f"{r.returncode}\n".encode()}
        if UPDATE:
            for k, v in got.items():
                path = os.path.join(d, k)
                if v or k == "status":
                    open(path, "wb").write(v)
                elif os.path.exists(path):
                    os.remove(path)
        bad = [k for k, v in got.items() if v != read(os.path.join(d, k), b"0\n" if k == "status" else b"")]
        name = f"{tool}/{case}"
        if bad:
            failed += 1
            print(f"FAIL: {name}: {', '.join(bad)} differ")
            for k in bad:
                print(f"--- expected {k}\n{read(os.path.join(d, k)).decode(errors='replace')}"
                      f"--- got {k}\n{got[k].decode(errors='replace')}")
        else:
            passed += 1
            print(f"ok: {name}")
# Every long option a program's --help lists is in its man page and in its
# bash, zsh and fish completions (--help and --version aside).
for tool in sorted(os.listdir(HERE)):
    if not os.path.isdir(os.path.join(HERE, tool)) or tool.startswith("_"):
        continue
    def help_of(*args):
        return subprocess.run([os.path.join(BIN, tool), *args, "--help"], capture_output=True,
                              text=True, timeout=60).stdout
    help_text = help_of()
    subcommands = re.findall(r"^  ([a-z][a-z0-9-]*) ", help_text.partition("Subcommands:")[2], re.M)
    help_text += "".join(help_of(sub) for sub in subcommands)
    options = sorted(set(re.findall(r"^  (?:-\w,)?--([a-z][a-z0-9-]*)", help_text, re.M))
                     - {"help", "version"})
    root = os.path.join(HERE, "../..")
    docs = {"man page": f"man/{tool}.1", "bash": f"completions/{tool}.bash",
            "zsh": f"completions/_{tool}", "fish": f"completions/{tool}.fish"}
    for what, path in docs.items():
        text = read(os.path.join(root, path)).decode()
        if what == "man page":
            text = text.replace("\\-", "-")
        # --name (bash, zsh, man), -l name or a "for p in ... name" loop (fish)
        missing = [o for o in options if not re.search(
            rf"--{o}(?![\w-])|-l {o}(?![\w-])|^for p in .*(?<![\w-]){o}(?![\w-])", text, re.M)]
        name = f"{tool} {what} has every option of --help ({len(options)})"
        if options and not missing:
            passed += 1
            print(f"ok: {name}")
        else:
            failed += 1
            print(f"FAIL: {name}: missing {', '.join('--' + o for o in missing) or 'all'}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
