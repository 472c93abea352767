"""The Debian package: `cpack -G DEB` in the build directory makes
optitrade_<version>_amd64.deb with its Depends computed from the programs'
shared libraries; unpacked into a scratch root, its programs run and give
what the build's give, and its man pages, completions and examples are
where Debian looks for them."""
import glob
import os
import re
import shutil
import subprocess
import tempfile

from common import BIN, DATA, check, finish

build = os.path.dirname(os.path.abspath(BIN))
tmp = tempfile.mkdtemp(prefix="ot-deb-")
r = subprocess.run(["cpack", "-G", "DEB", "-B", tmp], cwd=build, capture_output=True, text=True,
                   timeout=240)
debs = glob.glob(os.path.join(tmp, "optitrade_*_amd64.deb"))
check(r.returncode == 0 and len(debs) == 1,
      f"cpack -G DEB makes {[os.path.basename(d) for d in debs]} {r.stderr[-300:]}")
deb = debs[0]
depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True,
                         text=True).stdout
check(all(lib in depends for lib in ("libzmq5", "libpq5", "libnats", "libssl3", "libstdc++6")),
      f"Depends computed from the shared libraries: {depends.strip()}")
root = os.path.join(tmp, "root")
subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
programs = sorted(os.listdir(os.path.join(root, "usr/bin")))
check(programs == ["ot-backtest", "ot-bars", "ot-book", "ot-dash", "ot-exec", "ot-feed", "ot-risk", "ot-sim",
                   "ot-store", "ot-strat", "ot-train"], f"programs in /usr/bin: {programs}")
capture = os.path.join(DATA, "okx.raw")


def pipe(bindir):
    return subprocess.run(f"'{bindir}/ot-feed' replay '{capture}' | '{bindir}/ot-book' "
                          f"| '{bindir}/ot-bars' --interval 10s", shell=True, capture_output=True)


installed, built = pipe(os.path.join(root, "usr/bin")), pipe(BIN)
check(installed.returncode == 0 and installed.stdout == built.stdout and installed.stdout,
      "the installed ot-feed | ot-book | ot-bars give the build's output, byte for byte")
v = subprocess.run([os.path.join(root, "usr/bin/ot-feed"), "--version"], capture_output=True,
                   text=True)
check(v.returncode == 0 and v.stdout.startswith("ot-feed "), f"--version: {v.stdout.strip()}")
man = os.path.join(root, "usr/share/man")
page = os.path.join(man, "man1/ot-feed.1")
check(os.path.exists(page) and open(page).readline().startswith(".TH OT-FEED 1"),
      "ot-feed(1) where man looks (/usr/share/man/man1)")
check(os.path.exists(os.path.join(man, "man7/ot-events.7")), "ot-events(7) installed")
if shutil.which("man") is None:
    print("skipped: `man -M <root>/usr/share/man ot-feed` (man is not installed)")
else:
    # man(1) itself finds and formats the installed pages.
    env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="100", LC_ALL="C.UTF-8")
    env.pop("MANPATH", None)
    for args, want in ((["ot-feed"], r"^NAME\n\s+ot-feed - "),
                       (["7", "ot-metrics"], r"^\s+9472\s+ot-dash\s+ot-trading-dash\.service")):
        r = subprocess.run(["man", "-M", man] + args, env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and re.search(want, r.stdout, re.M) is not None,
              f"man -M /usr/share/man {' '.join(args)} shows the installed page {r.stderr[-200:]}")
for path in ("usr/share/bash-completion/completions/ot-bars", "usr/share/zsh/vendor-completions/_ot-bars",
             "usr/share/fish/vendor_completions.d/ot-bars.fish",
             "usr/share/doc/optitrade/examples/07-candles.sh",
             "usr/share/doc/optitrade/examples/systemd/ot-trading.target"):
    check(os.path.exists(os.path.join(root, path)), f"/{path} installed")
finish()
