"""Warm grading kernels: each one a fresh fork of a process that has already imported TensorFlow.

Every graded notebook starts a new IPython kernel, and every kernel of this course spends its first
6-9 s importing TensorFlow and Keras (``import course`` in the setup cell) before a single test runs:
about half of all the time the demo and the grading tests take. Here one *zygote* process imports
them once; each kernel nbgrader asks for is then a ``fork()`` of it, which starts in milliseconds
with the modules already loaded and shares their memory copy-on-write.

It is still a fresh, real kernel per notebook: a new process running ``ipykernel``'s own
``IPKernelApp`` with the connection file, working directory, environment and standard streams that
jupyter_client gave the kernel it launched; nothing of one notebook reaches another (each is its own
fork of the untouched zygote); NumPy's global random state is reseeded from the OS in every fork,
as in a new process (Python's ``random`` reseeds itself after ``fork``). TensorFlow is only
imported, never run, in the zygote, so no thread pool or device context is shared.

How kernels reach the zygote: ``warm_kernels(env)`` writes a ``python3`` kernelspec into a private
``JUPYTER_PATH`` directory whose command is ``python -m autograder.warmkernel -f {connection_file}``
(the *client*). The client hands its request and its standard streams (``SCM_RIGHTS``) to the zygote
over a Unix socket, forwards signals (interrupts) to the kernel and exits with the kernel's exit
status; if the client is killed, the zygote kills the kernel. The client starts an ordinary kernel
(``python -m ipykernel_launcher``) instead whenever the zygote is not there or the kernel's
environment differs from the zygote's in anything but jupyter's per-kernel variables (modules read
the environment when they are imported): a warm kernel is only ever one an ordinary start would
have made.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOCKET_ENV = "DLS_WARM_KERNEL_SOCKET"
# what jupyter_client sets per kernel, our own pointer to the zygote, and pytest's name of the test
# that is running (it changes between a fixture and its test): not compared
PER_KERNEL_ENV = {"JPY_PARENT_PID", "JPY_SESSION_NAME", "JPY_INTERRUPT_EVENT", "IPY_INTERRUPT_EVENT", SOCKET_ENV,
                  "PYTEST_CURRENT_TEST"}
# ``course`` first: its import hook keeps TensorFlow's start-up log out of the zygote's stderr
PRELOAD = ("course", "numpy", "tensorflow", "keras", "course.checks", "ipykernel.kernelapp")
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
_HEADER = struct.Struct("!I")


# ---------------------------------------------------------------- the client (the kernel's command)

def client(args: list[str]) -> None:
    """Run as the kernel: ask the zygote for a forked kernel, or exec an ordinary one."""
    path = os.environ.pop(SOCKET_ENV, None)
    if path:
        try:
            _attach(path, args)  # returns only when the zygote said no
        except (OSError, ValueError) as exc:  # no zygote (gone, never started): an ordinary kernel
            sys.stderr.write(f"no warm kernel ({type(exc).__name__}: {exc}): an ordinary kernel starts\n")
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args])


def _attach(path: str, args: list[str]) -> None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    body = json.dumps({"argv": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(conn, [_HEADER.pack(len(body)) + body], [0, 1, 2])
    replies = conn.makefile("rb")
    first = json.loads(replies.readline() or b"{}")
    if "pid" not in first:
        conn.close()
        sys.stderr.write(f"warm kernel declined ({first.get('fallback', 'no answer')}): an ordinary kernel starts\n")
        return
    pid = first["pid"]
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, _frame: _forward(pid, signum))
    line = replies.readline()  # blocks until the kernel has exited (signals interrupt and resume it)
    status = json.loads(line).get("exit", 1) if line else 1
    os._exit(status if status >= 0 else 128 - status)


def _forward(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# ---------------------------------------------------------------- the zygote

def serve(path: str, preload: tuple[str, ...] = PRELOAD) -> None:
    """Import ``preload``, then fork a kernel for every client on the Unix socket ``path``, until
    standard input closes (the process that started us is gone)."""
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]  # as ipykernel_launcher does: the kernel adds '' itself
    reference = dict(os.environ)  # before the imports (``course`` sets a default or two)
    for name in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    kernels: dict[int, socket.socket] = {}  # pid -> its client's connection
    stdin = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([listener, stdin, *kernels.values()], [], [], 0.05)
        if stdin in ready and not os.read(stdin, 4096):
            break
        if listener in ready:
            conn, _ = listener.accept()
            pid = _start(conn, reference, listener, kernels)
            if pid:
                kernels[pid] = conn
        for pid, conn in list(kernels.items()):
            if conn in ready and not _peek(conn):  # the client died (killed): so does its kernel
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        _reap(kernels)
    for pid in kernels:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    listener.close()


def _peek(conn: socket.socket) -> bool:
    try:
        return bool(conn.recv(1, socket.MSG_PEEK))
    except OSError:
        return False


def _reap(kernels: dict[int, socket.socket]) -> None:
    while kernels:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = kernels.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
            conn.close()


def mismatch(env: dict, reference: dict) -> list[str]:
    """The environment variables (not jupyter's per-kernel ones) that differ between a kernel's
    environment and the zygote's."""
    keys = (set(env) | set(reference)) - PER_KERNEL_ENV
    return sorted(k for k in keys if env.get(k) != reference.get(k))


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < _HEADER.size:
        more = conn.recv(1 << 16)
        if not more:
            raise ValueError("short request")
        data += more
    (size,) = _HEADER.unpack(data[:_HEADER.size])
    while len(data) < _HEADER.size + size:
        more = conn.recv(1 << 16)
        if not more:
            raise ValueError("short request")
        data += more
    return json.loads(data[_HEADER.size:_HEADER.size + size]), fds


def _start(conn, reference, listener, kernels) -> int | None:
    """Fork a kernel for the request on ``conn``; its pid, or None (the client was told why)."""
    fds: list[int] = []
    try:
        request, fds = _receive(conn)
        differs = mismatch(request["env"], reference)
        if differs or len(fds) != 3:
            reason = f"environment differs in {', '.join(differs)}" if differs else "no standard streams"
            conn.sendall(json.dumps({"fallback": reason}).encode() + b"\n")
            conn.close()
            return None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _kernel(request, fds, [listener, conn, *kernels.values()])  # never returns
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        return pid
    except (OSError, ValueError, KeyError):
        conn.close()
        return None
    finally:
        for fd in fds:
            os.close(fd)


def _kernel(request: dict, fds: list[int], inherited: list) -> None:
    """In the fork: become the kernel jupyter_client launched, then exit as it would."""
    code = 1
    try:
        for sock in inherited:
            sock.close()
        os.setsid()  # as jupyter_client starts kernels: a terminal's Ctrl-C does not reach them
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()  # a new process would have drawn a fresh seed
        _unconfigure_tf_logger()
        argv = list(request["argv"])
        if request["env"].get("JPY_PARENT_PID"):
            # ipykernel reads it into a trait default when it is imported, which was in the zygote
            argv.insert(0, f"--IPKernelApp.parent_handle={request['env']['JPY_PARENT_PID']}")
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the kernel's stderr, as a kernel would
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()  # what a kernel process runs on its way out
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _unconfigure_tf_logger() -> None:
    """TensorFlow configures its Python logger once, the first time it logs (at import), from the
    process it finds: in a kernel (``sys.ps1`` set) level INFO onto ``sys.stdout``, the cell's output;
    elsewhere, as in the zygote, onto ``sys.stderr``, which nbgrader scores as a failed cell (a
    retracing warning zeroed week06's adjust-logits). Undone here, so that it configures itself again
    inside the kernel, as it would have in an ordinary one."""
    tf_logging = sys.modules.get("tensorflow.python.platform.tf_logging")
    if tf_logging is None or getattr(tf_logging, "_logger", None) is None:
        return
    import logging

    logger = logging.getLogger("tensorflow")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    tf_logging._logger = None


# ---------------------------------------------------------------- the side that starts kernels

class Zygote:
    """A running zygote and the environment that sends this process's kernels to it."""

    def __init__(self, env: dict, during: dict | None = None, preload: tuple[str, ...] = PRELOAD,
                 timeout: float = 180.0, stderr=None):
        self.dir = Path(tempfile.mkdtemp(prefix="dls-warm-"))
        self.socket = str(self.dir / "zygote.sock")
        _write_kernelspec(self.dir / "kernels" / "python3", self.socket)
        self.env = {**env, "JUPYTER_PATH": os.pathsep.join(p for p in (str(self.dir), env.get("JUPYTER_PATH")) if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.warmkernel", "serve", self.socket, *preload],
            env={**self.env, **(during or {})}, cwd=self.dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if stderr is None else stderr)
        self.ready = _wait_ready(self.proc, timeout)
        if not self.ready:
            self.close()

    def close(self) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _wait_ready(proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            return False  # it died while importing
        if line.strip() == b"ready":
            return True
    proc.kill()
    return False


def _write_kernelspec(where: Path, sock: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        native = KernelSpecManager().get_kernel_spec("python3").to_dict()
    except Exception:  # noqa: BLE001 - only its display fields are copied
        native = {"display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {}}
    spec = {**native, "argv": ["python", "-m", "autograder.warmkernel", "-f", "{connection_file}"],
            "env": {**native.get("env", {}), SOCKET_ENV: sock}}
    spec.get("metadata", {}).pop("debugger", None)
    where.mkdir(parents=True, exist_ok=True)
    (where / "kernel.json").write_text(json.dumps(spec, indent=1))


_zygotes: dict[tuple, Zygote] = {}  # at most one: a zygote holds ~0.8 GB


def environment(env: dict, during: dict | None = None) -> dict:
    """``env`` pointed at a warm zygote of this process made for kernels whose environment is
    ``env`` plus ``during`` (what the caller adds while kernels start: nbgrader sets
    ``NBGRADER_EXECUTION=autograde``); started on first use and kept for the life of the process.
    ``env`` itself where none could start. Kernels that nbclient/nbgrader start under the returned
    environment are forked from the zygote."""
    if os.environ.get("DLS_WARM_KERNELS", "1") == "0" or not hasattr(socket, "send_fds"):
        return env
    key = tuple(sorted((k, v) for k, v in {**env, **(during or {})}.items() if k not in PER_KERNEL_ENV))
    zygote = _zygotes.get(key)
    if zygote is None or zygote.proc.poll() is not None:
        close_all()
        try:
            zygote = _zygotes[key] = Zygote(env, during)
        except (OSError, ValueError, ImportError, subprocess.SubprocessError):
            return env  # ordinary kernels: slower, the same grades
    return zygote.env if zygote.ready else env


def close_all() -> None:
    """Stop this process's zygote (its kernels that still run are killed)."""
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


atexit.register(close_all)


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve(argv[1], tuple(argv[2:]) or PRELOAD)
    else:
        client(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
