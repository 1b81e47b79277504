"""Notebook tier: every source notebook runs top to bottom in FAST mode with papermill, offline;
nbval then re-runs the executed notebook and checks that cells marked ``# NBVAL_CHECK_OUTPUT``
reproduce their outputs (seeded results are deterministic)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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
@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=pytest.mark.xdist_group(p.parent.name)) for p in SOURCES])
def test_source_notebook_runs_in_fast_mode_then_nbval_reproduces_it(path):
    run, out = _run(path)
    assert run.ok, f"{path.name} failed under papermill: {run.error} (see {out})"
    text = out.read_text()
    assert '"FAST = True' in text or "FAST = True" in text  # papermill injected the parameter
    checked = text.count("NBVAL_CHECK_OUTPUT")
    assert checked >= 1, "mark at least one deterministic cell with # NBVAL_CHECK_OUTPUT"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
                           "no:cacheprovider", "-q", "--rootdir", str(out.parent), "-c", "/dev/null", str(out)],
                          cwd=out.parent, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
