"""Shared test set-up: an offline, home-free environment, the course's assignments, a mini course."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORTS = Path(os.environ.get("DLS_REPORTS_DIR") or ROOT / ".dls" / "reports")  # per test session

# Nothing writes to $HOME; notebooks run in FAST mode; plots never open a window.
_SCRATCH = Path(tempfile.mkdtemp(prefix="dls-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
os.environ.update({
    "KERAS_HOME": str(_SCRATCH / "keras"),
    "MPLCONFIGDIR": str(_SCRATCH / "mpl"),
    "COURSE_FAST": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "IPYTHONDIR": str(_SCRATCH / "ipython"),
    "JUPYTER_CONFIG_DIR": str(_SCRATCH / "jupyter"),
})
os.environ.pop("DLS_GRADEBOOK_URL", None)
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]

sys.path.insert(0, str(ROOT))
from autograder.pipeline import Course  # noqa: E402

COURSE = Course(ROOT)
ASSIGNMENTS = COURSE.assignments()


def source_paths():
    return [p for a in ASSIGNMENTS for p in COURSE.source_notebooks(a)]


_papermill: dict = {}


def papermill_run(path: Path):
    """Execute a source notebook in FAST mode with papermill, once per test session (the notebook
    tier and the reproducibility check share the run). Returns (Execution, executed_path)."""
    from autograder.execute import execute

    if path not in _papermill:
        out = ROOT / ".dls" / "executed-tests" / path.parent.name / path.name
        run = execute(path, out, fast=True, timeout=900)
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"time-{path.parent.name}-{path.stem}.json").write_text(
            json.dumps({"notebook": f"{path.parent.name}/{path.name}", "seconds": run.seconds}))
        _papermill[path] = (run, out)
    return _papermill[path]


CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def checked_outputs(nb) -> dict[str, str]:
    """``{cell source: its text output}`` of the cells marked ``# NBVAL_CHECK_OUTPUT``."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK):
            text = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    text.append(out.get("text", ""))
                elif out.get("output_type") in ("execute_result", "display_data"):
                    text.append(out.get("data", {}).get("text/plain", ""))
                elif out.get("output_type") == "error":
                    text.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
            found[cell.source] = "".join(text)
    return found


@pytest.fixture(scope="session")
def course():
    return COURSE


# -- test tiers ---------------------------------------------------------------------------------
# fast: static + unit (`pytest -m fast`, under 2 minutes on 2 cores: run it on every change);
# slow: kernels, servers, sandboxes; notebooks: each source notebook once in FAST mode (papermill);
# grading: real autograde of the sample submissions. A test's tier is the first of these it has.
TIERS = ("grading", "notebooks", "slow")
_tier_time: dict[str, list[float]] = {}
_SESSION_START = time.perf_counter()


def tier_of(keywords) -> str:
    return next((t for t in TIERS if t in keywords), "fast")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if tier_of(item.keywords) == "fast":
            item.add_marker(pytest.mark.fast)


def pytest_runtest_logreport(report):
    """Sum each tier's test durations (setup + call + teardown) on the controller."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # the controller (or a run without xdist)
        entry = _tier_time.setdefault(tier_of(report.keywords), [0.0, 0])
        entry[0] += report.duration
        entry[1] += report.when == "call"


def _print_tiers(terminalreporter) -> None:
    if not _tier_time:
        return
    wall = time.perf_counter() - _SESSION_START
    terminalreporter.write_sep("-", "test tiers (durations summed over the workers)")
    for tier in ("fast", *reversed(TIERS)):
        if tier in _tier_time:
            seconds, count = _tier_time[tier]
            terminalreporter.write_line(f"{tier:<10} {count:4d} tests {seconds:8.1f} s")
    terminalreporter.write_line(f"{'wall':<10} {'':10} {wall:8.1f} s")


def pytest_terminal_summary(terminalreporter):
    """Print the discrimination matrices, notebook times and per-tier durations of the run."""
    _print_tiers(terminalreporter)
    if not REPORTS.is_dir():
        return
    for path in sorted(REPORTS.glob("*.md")):
        terminalreporter.write_sep("-", path.stem)
        terminalreporter.write_line(path.read_text())
    times = sorted(REPORTS.glob("time-*.json"))
    if times:
        terminalreporter.write_sep("-", "FAST-mode notebook execution (papermill)")
        for t in times:
            d = json.loads(t.read_text())
            terminalreporter.write_line(f"{d['notebook']:<40} {d['seconds']:6.1f} s")


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller only
        REPORTS.mkdir(parents=True, exist_ok=True)
        for p in REPORTS.iterdir():
            p.unlink()


# -- servers for the grading-at-scale tests (tests/test_scale.py, tests/test_grade.py) -------------
# `bash bootstrap.sh test` installs PostgreSQL and Chromium and sets DLS_REQUIRE_SERVICES=1: in CI a
# missing server fails the test instead of skipping it.
REQUIRE_SERVICES = os.environ.get("DLS_REQUIRE_SERVICES") == "1"


def need(what: str, missing: str | None) -> None:
    """Skip (or, under DLS_REQUIRE_SERVICES=1, fail) when ``missing`` says why ``what`` cannot run."""
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"{what} is required here (DLS_REQUIRE_SERVICES=1) but {missing}")
        pytest.skip(f"{what}: {missing}")


@pytest.fixture(scope="session")
def pg():
    """A real PostgreSQL server of this test session, on loopback (autograder.services.Postgres)."""
    from autograder import services

    try:
        server = services.Postgres()
    except services.ServiceError as exc:
        need("PostgreSQL", str(exc))
    with server:
        yield server
