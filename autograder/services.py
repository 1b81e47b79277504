"""Throwaway servers on loopback for the tests and benchmarks of grading at scale.

* :class:`Postgres`: a real PostgreSQL server (Debian's ``postgresql``) in a fresh data directory,
  created with ``initdb`` and run with ``pg_ctl`` on 127.0.0.1 and a free port.
* :class:`DaskCluster`: a real ``dask scheduler`` and N ``dask worker`` processes on 127.0.0.1.

Instructors point ``dls grade`` at servers they already run (``--db`` / ``DLS_GRADEBOOK_URL``,
``--scheduler``); these helpers exist so that CI exercises the same code against the same software.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class ServiceError(RuntimeError):
    """A server could not be started (what is missing and how to install it is in the message)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float, what: str, log: Path | None = None) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise ServiceError(f"{what} exited with {proc.returncode} while starting\n{tail}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g} s")


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def pg_bindir() -> Path | None:
    """Where initdb / pg_ctl live: $PG_BIN, then Debian's /usr/lib/postgresql/<newest>/bin, then PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                    if p.parent.name.isdigit() else 0)
    if debian and (debian[-1] / "initdb").exists():
        return debian[-1]
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


class Postgres:
    """A PostgreSQL server of our own: ``with Postgres() as pg: url = pg.create_database("gb")``.

    PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` user (Debian's
    package creates it) or ``nobody``. Authentication is ``trust`` on loopback only: a test server.
    """

    def __init__(self, root: Path | None = None, user: str = "dls"):
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise ServiceError("PostgreSQL is not installed (apt-get install postgresql)")
        self.root = Path(root or tempfile.mkdtemp(prefix="dls-pg-"))
        self.user = user
        self.port = free_port()
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "server.log"
        self.run_as = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    self.run_as = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue

    def _cmd(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as is not None:
            cmd = ["setpriv", f"--reuid={self.run_as.pw_uid}", f"--regid={self.run_as.pw_gid}", "--clear-groups",
                   *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if check and out.returncode != 0:
            raise ServiceError(f"{' '.join(args[:2])} failed ({out.returncode}): {out.stderr.strip()[-1500:]}")
        return out

    def start(self) -> Postgres:
        if not self.data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.sockets.mkdir(exist_ok=True)
            if self.run_as is not None:
                for p in (self.root, self.sockets):
                    os.chown(p, self.run_as.pw_uid, self.run_as.pw_gid)
            self._cmd("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                      "--no-locale", "--no-sync")
        # fsync=off only risks data on an OS crash; a killed server (pg_ctl stop -m immediate, as the
        # tests do) keeps every commit it acknowledged. Never synchronous_commit=off: that loses them.
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockets} -c fsync=off "
                "-c max_connections=200")
        self._cmd("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clean shutdown; ``immediate``: as if the server crashed (connections dropped)."""
        if (self.data / "postmaster.pid").exists():
            self._cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def create_database(self, name: str) -> str:
        self._cmd("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        out = self._cmd("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", database,
                        "-At", "-c", sql)
        return out.stdout.strip()

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Dask


class DaskCluster:
    """``dask scheduler`` + ``workers`` × ``dask worker`` on loopback, each worker one process with one
    thread (one submission at a time, like one process of the local pool). ``--no-nanny``: a worker
    killed with SIGKILL stays dead, so tests see the scheduler move its work elsewhere."""

    def __init__(self, workers: int = 2, root: Path | None = None):
        self.n = workers
        self.root = Path(root or tempfile.mkdtemp(prefix="dls-dask-"))
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        dask = Path(sys.executable).with_name("dask")
        if not dask.exists():
            raise ServiceError(f"the `dask` command is missing next to {sys.executable} (pip install distributed)")
        self.dask = [str(dask)]

    def _env(self) -> dict:
        env = dict(os.environ)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
        return env

    def start(self, timeout: float = 120) -> DaskCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / "scheduler.log"
        self.scheduler = subprocess.Popen(
            [*self.dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard",
             "--no-show"], stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=self._env(),
            start_new_session=True)
        _wait_port(self.port, self.scheduler, timeout, "dask scheduler", log)
        for i in range(self.n):
            self.add_worker(f"w{i}")
        self.wait_for_workers(self.n, timeout)
        return self

    def add_worker(self, name: str) -> None:
        log = self.root / f"{name}.log"
        self.workers[name] = subprocess.Popen(
            [*self.dask, "worker", self.address, "--name", name, "--nworkers", "1", "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--memory-limit", "0", "--local-directory", str(self.root / name)],
            stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=self._env(), start_new_session=True)

    def wait_for_workers(self, n: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker (and nothing else): the fault a crashed node produces."""
        proc = self.workers[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def stop(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in [*self.workers.values(), self.scheduler]:
            if proc is None:
                continue
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def __enter__(self) -> DaskCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
