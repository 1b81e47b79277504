"""Run untrusted student code: bubblewrap namespaces, an unprivileged user, a watchdog, a pipe protocol.

One :class:`Sandbox` is one process tree:

    bwrap --unshare-{pid,net,ipc,uts,cgroup} --die-with-parent --new-session   (Debian's bubblewrap)
      prlimit --nproc --fsize --core=0                                        (util-linux)
        setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs     (util-linux; when root)
          python -I /opt/dls/probe.py

The sandbox sees read-only /usr, the Python installation, the virtual environment and the ``course``
package; a size-capped tmpfs home holding a *copy* of the student's own submission files; its own
/proc, /dev, /tmp; no network (an empty network namespace) and nothing else: not the course folder,
source_notebooks/, the gradebook, the release, other students' files, or the grader's code.

cgroups are not available and ``RLIMIT_AS`` breaks TensorFlow, so a watchdog thread polls the whole
tree (psutil) every 50 ms: resident memory summed over the tree, number of processes and wall time;
two reader threads count stdout+stderr bytes. Crossing a limit kills the whole tree (SIGKILL to every
process, and the PID namespace dies with its init), as does :meth:`Sandbox.close`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import plaindata

HERE = Path(__file__).resolve().parent
NOBODY = 65534


@dataclass
class Limits:
    """Resource limits of one submission (seconds, bytes, counts)."""

    cell_timeout: float = 120.0   # wall seconds: one student cell, or one graded test cell
    cell_cpu: float = 30.0        # CPU seconds the student's tree may burn in one cell / test cell (load-proof)
    setup_timeout: float = 300.0  # wall seconds: start + preloading the libraries the cells import, and
                                  # each unchanged instructor cell (imports): never charged to the student
    timeout: float = 600.0        # the whole submission, restarts included
    memory: int = 2 << 30         # resident memory of the whole process tree
    processes: int = 64           # processes in the tree (threads not counted; RLIMIT_NPROC backs it)
    output: int = 1 << 20         # stdout + stderr bytes
    disk: int = 256 << 20         # each writable tmpfs (home, /tmp)
    message: int = 256 << 20      # one reply from the sandbox
    restarts: int = 3             # fresh sandboxes after a crash / timeout, per submission
    sandbox: bool = True          # False: no namespaces, no user switch (development only)

    def as_dict(self) -> dict:
        return asdict(self)


_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str | int) -> int:
    """'2G', '512M', '1048576' -> bytes."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(text).lower())
    if not m:
        raise ValueError(f"not a size: {text!r} (examples: 512M, 2G)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def available() -> str | None:
    """None when the sandbox can run here, else what is missing."""
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if not shutil.which(tool):
            pkg = {"bwrap": "bubblewrap"}.get(tool, "util-linux")
            return f"{tool} not found (apt-get install {pkg})"
    return None


class SandboxDied(RuntimeError):
    """The sandbox is gone: its process exited, crashed or was killed for a limit."""


class CallTimeout(SandboxDied):
    pass


def _ro_paths() -> list[str]:
    """Read-only paths Python and the course need: the interpreter, the venv, the course package."""
    import course  # noqa: F401 - only its location

    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             str(Path(sys.modules["course"].__file__).resolve().parent)}
    exe = os.path.realpath(sys.executable)
    if not any(exe.startswith(p + os.sep) for p in paths):
        paths.add(os.path.dirname(exe))
    return sorted(p for p in paths if not p.startswith("/usr/"))


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


class Sandbox:
    """A started sandbox running ``probe.py``; ``request()`` sends one request and waits for its reply."""

    def __init__(self, files: dict[str, Path], limits: Limits, deadline: float, env: dict | None = None):
        self.limits = limits
        self.deadline = deadline  # time.monotonic() by which the submission must be done
        self.reason: str | None = None  # why the watchdog killed it
        self.output = bytearray()
        self.output_bytes = 0
        self.max_rss = 0
        self.max_procs = 0
        self.cpu = 0.0  # CPU seconds of the whole tree so far (live processes + reaped children)
        self._cpu_budget: float | None = None  # cpu value at which the current request is killed
        self._cpu_seen: dict[int, float] = {}
        self._lock = threading.Lock()
        self._fds: list[int] = []
        self._tmp = tempfile.mkdtemp(prefix="dls-sandbox-")
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        self._file_fds = []
        cmd = self._command(files, req_r, resp_w, env or {})
        passed = [req_r, resp_w, *self._file_fds]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     pass_fds=passed, start_new_session=True, cwd=self._tmp)
        for fd in passed:
            os.close(fd)
        import psutil

        try:
            self._root = psutil.Process(self.proc.pid)
        except psutil.Error:
            self._root = None
        self._readers = [threading.Thread(target=self._read, args=(s,), daemon=True)
                         for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._readers:
            t.start()
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._watch.start()

    # -- process tree ---------------------------------------------------------------------------

    def _command(self, files, req_r, resp_w, env) -> list[str]:
        lim = self.limits
        home = "/home/student"
        python = os.path.join(sys.prefix, "bin", "python")
        envs = {"HOME": home, "USER": "student", "LOGNAME": "student", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
                "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/mpl", "KERAS_HOME": "/tmp/keras",
                "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore", "PYTHONDONTWRITEBYTECODE": "1",
                "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                "COURSE_FAST": "1", "DLS_REQ_FD": str(req_r), "DLS_RESP_FD": str(resp_w), **env}
        probe = [python, "-I", "/opt/dls/probe.py"] if lim.sandbox else [python, "-I", str(HERE / "probe.py")]
        limiter = ["prlimit", f"--nproc={max(256, lim.processes * 8)}", f"--fsize={lim.disk}", "--core=0", "--"]
        if not lim.sandbox:  # development only: no isolation, but the same limits and protocol
            home = self._tmp
            for name, path in files.items():
                shutil.copy2(path, os.path.join(home, name))
            envs["HOME"] = home
            return ["env", "-i", *(f"{k}={v}" for k, v in envs.items()), *limiter, *probe]
        cmd = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                cmd += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                cmd += ["--ro-bind", top, top]
        for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/mime.types"):
            if os.path.exists(f):
                cmd += ["--ro-bind", f, f]
        cmd += ["--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", str(lim.disk), "--tmpfs", "/tmp",
                "--perms", "0755", "--dir", "/home",
                "--perms", "1777", "--size", str(lim.disk), "--tmpfs", home]
        made = {"/home"}
        for path in _ro_paths():
            for anc in _ancestors(path):
                if anc not in made and anc not in ("/usr",):
                    cmd += ["--perms", "0755", "--dir", anc]
                    made.add(anc)
            cmd += ["--ro-bind", path, path]
        cmd += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", "/opt/dls",
                "--ro-bind", str(HERE / "probe.py"), "/opt/dls/probe.py",
                "--ro-bind", str(HERE / "plaindata.py"), "/opt/dls/plaindata.py"]
        for name, path in files.items():  # a copy of the student's own files, in the tmpfs home
            fd = os.open(path, os.O_RDONLY)
            self._file_fds.append(fd)
            cmd += ["--perms", "0644", "--file", str(fd), f"{home}/{name}"]
        cmd += ["--chdir", home, "--clearenv"]
        for k, v in envs.items():
            cmd += ["--setenv", k, v]
        cmd += ["--", *limiter]
        if os.geteuid() == 0:
            # bwrap keeps no capabilities for the child without --cap-add; setpriv makes it a real
            # unprivileged user on the host (kuid 65534), not just inside a user namespace.
            cmd += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"]
        return cmd + probe

    def _read(self, stream):
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                return
            with self._lock:
                self.output_bytes += len(chunk)
                if len(self.output) < 64 * 1024:
                    self.output += chunk[: 64 * 1024 - len(self.output)]
            if self.output_bytes > self.limits.output:
                self.kill(f"output limit: more than {_size(self.limits.output)} written to stdout/stderr")
                return

    def _tree(self):
        import psutil

        if self._root is None:
            return []
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []

    def _watchdog(self):
        import psutil

        while self.proc.poll() is None:
            procs = self._tree()
            rss = 0
            for p in procs[1:]:  # bwrap itself is tiny and root-owned
                try:
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    self._cpu_seen[p.pid] = t.user + t.system  # exited ones keep their last figure
                except psutil.Error:
                    pass
            self.cpu = max(self.cpu, sum(self._cpu_seen.values()))
            budget = self._cpu_budget
            self.max_rss = max(self.max_rss, rss)
            self.max_procs = max(self.max_procs, len(procs))
            if rss > self.limits.memory:
                self.kill(f"memory limit: the process tree used more than {_size(self.limits.memory)}")
            elif len(procs) - 2 > self.limits.processes:  # minus bwrap and its init
                self.kill(f"process limit: more than {self.limits.processes} processes")
            elif time.monotonic() > self.deadline:
                self.kill(f"submission time limit: {self.limits.timeout:g} s")
            elif budget is not None and self.cpu > budget:
                self.kill(f"cell CPU limit: more than {self.limits.cell_cpu:g} CPU seconds in one cell")
            time.sleep(0.05)

    def kill(self, reason: str | None = None) -> None:
        """SIGKILL every process of the tree (repeatedly, for fork bombs), then reap bwrap."""
        import psutil

        if reason and self.reason is None:
            self.reason = reason
        for _ in range(50):
            procs = self._tree()
            for p in procs:
                try:
                    p.send_signal(signal.SIGKILL)
                except psutil.Error:
                    pass
            if len(procs) <= 1 and self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            time.sleep(0.01)

    def close(self) -> dict:
        """Kill what is left, release everything; returns resource figures."""
        self.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for t in self._readers:
            t.join(timeout=2)
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._tmp, ignore_errors=True)
        return {"max_rss": self.max_rss, "max_processes": self.max_procs, "output_bytes": self.output_bytes}

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and self.reason is None

    def died_because(self) -> str:
        if self.reason:
            return self.reason
        code = self.proc.poll()
        if code is None:
            return "the sandbox stopped answering"
        if code < 0 or code > 128:
            sig = -code if code < 0 else code - 128
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            return f"the student's process was killed by {name}" + (" (segmentation fault)" if sig == 11 else "")
        return f"the student's process exited with code {code} (os._exit, sys.exit in a thread, ...)"

    # -- protocol -------------------------------------------------------------------------------

    def request(self, message: dict, timeout: float, cpu: bool = True) -> dict:
        """Send one request; the plain-data reply, or SandboxDied / CallTimeout (the tree is then killed).
        ``cpu``: the request runs student code, so the cell CPU limit applies (wall time is inflated by
        load, CPU time is not: an infinite loop is stopped after ``cell_cpu`` CPU seconds however busy
        the machine is)."""
        if not self.alive:
            raise SandboxDied(self.died_because())
        deadline = min(time.monotonic() + timeout, self.deadline)
        self._cpu_budget = self.cpu + self.limits.cell_cpu if cpu else None
        try:
            return self._request(message, deadline)
        finally:
            self._cpu_budget = None

    def _request(self, message: dict, deadline: float) -> dict:
        self._t_sent = time.monotonic()
        try:
            plaindata.send(self.req_w, plaindata.dumps(message))
            raw = plaindata.recv(self.resp_r, deadline, self.limits.message)
        except plaindata.ChannelTimeout:
            over = "submission" if deadline >= self.deadline else "cell"
            lim = self.limits.timeout if over == "submission" else deadline - self._t_sent
            self.kill(f"{over} time limit: {lim:.0f} s" if over == "cell" else f"{over} time limit: {lim:g} s")
            raise CallTimeout(self.reason) from None
        except (plaindata.ChannelClosed, BrokenPipeError, OSError):
            time.sleep(0.1)  # let the watchdog / exit status tell why
            self.proc.poll()
            reason = self.died_because()
            self.kill()
            raise SandboxDied(reason) from None
        except plaindata.CodecError as exc:
            self.kill(f"protocol violation: {exc}")
            raise SandboxDied(self.reason) from None
        try:
            reply = plaindata.loads(raw)
            if type(reply) is not dict:
                raise plaindata.CodecError("reply is not a dict")
            return reply
        except plaindata.CodecError as exc:
            self.kill(f"protocol violation: {exc}")
            raise SandboxDied(self.reason) from None


def _size(n: int) -> str:
    for unit, mult in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= mult:
            return f"{n / mult:g} {unit}iB"
    return f"{n} bytes"
