"""Notebook tier: every source notebook runs top to bottom in FAST mode with papermill, offline.

Reproducibility of the cells marked ``# NBVAL_CHECK_OUTPUT`` (seeded results) is checked without an
extra execution: tests/test_grading.py compares them between this papermill run and the solution's
nbgrader autograde run, two independent executions CI makes anyway. nbval re-runs the notebooks of
the NumPy-only weeks (``NBVAL_LANE``; all notebooks with ``DLS_NBVAL_ALL=1``) and checks the same
cells reproduce, so the nbval path itself stays proven."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograder import notebooks
from autograder.execute import execute

from conftest import CHECK_MARK, papermill_run, source_paths

SOURCES = source_paths()
NBVAL_LANE = {"week01", "week02"}  # cheap NumPy-only notebooks: an nbval re-run costs ~10 s each
NBVAL_ALL = os.environ.get("DLS_NBVAL_ALL", "") not in ("", "0")


def _case(p):
    return pytest.param(p, id=f"{p.parent.name}/{p.stem}", marks=pytest.mark.xdist_group(p.parent.name))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", [_case(p) for p in SOURCES])
def test_source_notebook_runs_in_fast_mode(path):
    run, out = papermill_run(path)
    assert run.ok, f"{path.name} failed under papermill: {run.error} (see {out})"
    text = out.read_text()
    assert '"FAST = True' in text or "FAST = True" in text  # papermill injected the parameter
    assert text.count(CHECK_MARK) >= 1, f"mark at least one deterministic cell with {CHECK_MARK}"
    assert run.results, "the notebook prints one RESULTS {json} line with its key figures"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", [_case(p) for p in SOURCES if NBVAL_ALL or p.parent.name in NBVAL_LANE])
def test_nbval_reproduces_checked_cells(path):
    run, out = papermill_run(path)
    assert run.ok, run.error
    proc = nbval(out)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout


def nbval(executed):
    """Re-run an executed notebook under nbval (lax: only # NBVAL_CHECK_OUTPUT cells compared)."""
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
                           "no:cacheprovider", "-q", "--rootdir", str(executed.parent), "-c", "/dev/null",
                           str(executed)], cwd=executed.parent, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
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
