"""A private PostgreSQL server for tests: Debian's postgresql binaries,
initdb into a temporary directory, a free loopback port, a Unix socket in
the same directory; stopped (and removed) at the end. Run as root, the
server runs as the 'postgres' system user (initdb refuses root)."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from common import free_port


def _bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return os.path.dirname(found[-1])


class PrivateServer:
    def __init__(self):
        self.bin = _bindir()
        self.dir = tempfile.mkdtemp(prefix="ot-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(["initdb", "-D", self.data, "-U", "ot", "-A", "trust", "--no-sync",
                   "-E", "UTF8", "--locale", "C"])
        self.url = f"postgresql://ot@127.0.0.1:{self.port}/postgres"

    def _run(self, args):
        cmd = self.as_user + [os.path.join(self.bin, args[0])] + args[1:]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {r.stderr.strip()}")
        return r

    def start(self):
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run(["pg_ctl", "-D", self.data, "-o", opts, "-l",
                   os.path.join(self.dir, "log"), "-w", "-t", "60", "start"])

    def stop(self, mode="fast"):
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])

    def psql(self, sql):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", self.url,
                            "-c", sql], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def close(self):
        try:
            self.stop("immediate")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
