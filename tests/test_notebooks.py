"""Notebook tier: every source notebook runs top to bottom in FAST mode with papermill, offline;
nbval then re-runs the executed notebook and checks that cells marked ``# NBVAL_CHECK_OUTPUT``
reproduce their outputs (seeded results are deterministic)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder import notebooks
from autograder.execute import execute

from conftest import REPORTS, ROOT, source_paths

SOURCES = source_paths()
OUT = ROOT / ".dls" / "executed-tests"


def _run(path):
    out = OUT / path.parent.name / path.name
    run = execute(path, out, fast=True, timeout=600)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"time-{path.stem}.json").write_text(json.dumps({"notebook": f"{path.parent.name}/{path.name}",
                                                                "seconds": run.seconds}))
    return run, out


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_source_notebook_runs_in_fast_mode_then_nbval_reproduces_it(path):
    run, out = _run(path)
    assert run.ok, f"{path.name} failed under papermill: {run.error} (see {out})"
    text = out.read_text()
    assert '"FAST = True' in text or "FAST = True" in text  # papermill injected the parameter
    checked = text.count("NBVAL_CHECK_OUTPUT")
    assert checked >= 1, "mark at least one deterministic cell with # NBVAL_CHECK_OUTPUT"
    proc = nbval(out)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout


def nbval(executed):
    """Re-run an executed notebook under nbval (lax: only # NBVAL_CHECK_OUTPUT cells compared)."""
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
                           "no:cacheprovider", "-q", "--rootdir", str(executed.parent), "-c", "/dev/null",
                           str(executed)], cwd=executed.parent, capture_output=True, text=True, timeout=600)


def test_nbval_catches_an_output_that_does_not_reproduce(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nimport numpy as np\nprint(np.random.default_rng(0).integers(100, size=3))"),
    ])
    path = tmp_path / "seeded.ipynb"
    notebooks.write(nb, path)  # normalized: kernelspec and language set
    run = execute(path, tmp_path / "out" / "seeded.ipynb", fast=True, timeout=120)
    assert run.ok, run.error
    assert nbval(tmp_path / "out" / "seeded.ipynb").returncode == 0
    executed = nbformat.read(str(tmp_path / "out" / "seeded.ipynb"), as_version=4)
    executed.cells[-1].outputs[0]["text"] = "[1 2 3]\n"  # not what the seeded code prints
    nbformat.write(executed, str(tmp_path / "out" / "seeded.ipynb"))
    assert nbval(tmp_path / "out" / "seeded.ipynb").returncode == 1
