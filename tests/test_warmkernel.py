"""Warm kernels (autograder/warmkernel.py): every kernel a fresh fork of a zygote that imported the
heavy modules once, with the environment, working directory and streams of the kernel it replaces;
an ordinary kernel whenever the zygote is missing or the environment differs; interrupts reach the
kernel and a killed kernel process takes its fork with it. The zygotes here preload NumPy only
(TensorFlow's import would only make them slower; the grading tier and the demo use the real one)."""

from __future__ import annotations

import json
import os
import signal
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import warmkernel

pytestmark = pytest.mark.slow

PRELOAD = ("numpy", "numpy.random", "ipykernel.kernelapp")  # TensorFlow imports numpy.random too

PROBE = """\
import json, os, sys
warm = "numpy" in sys.modules  # a fresh ordinary kernel has not imported NumPy yet
import numpy as np
leaked = hasattr(np, "_dls_probe")  # set by an earlier notebook: would mean a shared process
np._dls_probe = True
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "warm": warm,
                  "leaked": leaked, "draw": float(np.random.rand()), "probe": os.environ.get("DLS_PROBE")}))
print("to stderr", file=sys.stderr)
"""


def notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(nb, cwd, **kw):
    client = NotebookClient(nb, resources={"metadata": {"path": str(cwd)}}, **{"timeout": 60, **kw})
    return client.execute()


def probe(cwd) -> tuple[dict, list]:
    out = run(notebook(PROBE), cwd).cells[0].outputs
    stdout = next(o for o in out if o.get("name") == "stdout")
    return json.loads(stdout.text), out


@pytest.fixture
def zygote(monkeypatch):
    monkeypatch.setenv("DLS_PROBE", "same")
    z = warmkernel.Zygote(dict(os.environ), preload=PRELOAD)
    assert z.ready, "the zygote did not start"
    for key, value in z.env.items():
        monkeypatch.setenv(key, value)
    yield z
    z.close()


def test_each_kernel_is_a_fresh_fork_with_its_own_cwd_environment_and_streams(zygote, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, outputs = probe(tmp_path / "a")
    second, _ = probe(tmp_path / "b")
    for seen, where in ((first, "a"), (second, "b")):
        assert seen["ppid"] == zygote.proc.pid, "the kernel was not forked from the zygote"
        assert seen["warm"], "NumPy was not already imported in the forked kernel"
        assert seen["cwd"] == str(tmp_path / where), "the kernel did not start in the notebook's folder"
        assert seen["probe"] == "same"
    assert first["pid"] != second["pid"], "two notebooks shared one kernel process"
    assert not second["leaked"], "the second kernel saw what the first one set: not a fresh fork"
    assert first["draw"] != second["draw"], "NumPy's global random state was not reseeded in the fork"
    assert any(o.get("name") == "stderr" and "to stderr" in o.text for o in outputs), "stderr did not reach the cell"


def test_a_kernel_whose_environment_differs_is_an_ordinary_one(zygote, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("DLS_PROBE", "changed")  # modules read the environment when imported
    seen, _ = probe(tmp_path)
    assert seen["ppid"] != zygote.proc.pid and not seen["warm"], "a kernel with another environment was forked"
    assert seen["probe"] == "changed"
    assert "DLS_PROBE" in capfd.readouterr().err, "the fallback did not name the variable that differs"


def test_without_its_zygote_a_kernel_starts_the_ordinary_way(zygote, tmp_path):
    zygote.proc.kill()
    zygote.proc.wait()
    seen, _ = probe(tmp_path)
    assert not seen["warm"] and seen["ppid"] != zygote.proc.pid


def test_an_interrupt_reaches_the_forked_kernel(zygote, tmp_path):
    nb = notebook("import time\ntime.sleep(30)", "print('still alive')")
    t0 = time.monotonic()
    out = run(nb, tmp_path, timeout=3, interrupt_on_timeout=True, allow_errors=True)
    assert time.monotonic() - t0 < 25, "the kernel was not interrupted"
    assert any(o.get("ename") == "KeyboardInterrupt" for o in out.cells[0].outputs)
    assert "still alive" in out.cells[1].outputs[0].text, "the kernel did not survive its interrupt"


def test_killing_the_kernel_process_kills_its_fork(zygote, tmp_path):
    nb = notebook("import os\nopen('pid', 'w').write(str(os.getpid()))")
    client = NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        pid = int((tmp_path / "pid").read_text())
        os.kill(pid, 0)  # alive
        client.km.provisioner.process.send_signal(signal.SIGKILL)  # what jupyter_client's kill does
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"kernel {pid} outlived the process jupyter_client launched")


def test_mismatch_ignores_only_jupyters_per_kernel_variables():
    ref = {"PATH": "/bin", "COURSE_FAST": "1"}
    env = {**ref, "JPY_PARENT_PID": "12", "JPY_SESSION_NAME": "x", warmkernel.SOCKET_ENV: "/tmp/s"}
    assert warmkernel.mismatch(env, ref) == []
    assert warmkernel.mismatch({**env, "COURSE_FAST": "0"}, ref) == ["COURSE_FAST"]
    assert warmkernel.mismatch({**env, "TF_USE_LEGACY_KERAS": "1"}, ref) == ["TF_USE_LEGACY_KERAS"]
    assert warmkernel.mismatch({"PATH": "/bin"}, ref) == ["COURSE_FAST"]


def test_tensorflow_logs_where_it_logs_in_an_ordinary_kernel(tmp_path, monkeypatch):
    """TensorFlow sets up its logger when it first logs, from the process it is in: in a kernel onto
    the cell's stdout. Set up in the zygote it went to stderr, which nbgrader scores as a failed cell
    (a retracing warning zeroed week06's adjust-logits)."""
    cell = "import course\nimport tensorflow as tf\ntf.get_logger().warning('probe-warning')"

    def streams() -> set[str]:
        out = run(notebook(cell), tmp_path).cells[0].outputs
        return {o.get("name") for o in out if "probe-warning" in o.get("text", "")}

    ordinary = streams()
    z = warmkernel.Zygote(dict(os.environ), preload=warmkernel.PRELOAD)
    try:
        assert z.ready
        for key, value in z.env.items():
            monkeypatch.setenv(key, value)
        assert streams() == ordinary == {"stdout"}
    finally:
        z.close()
