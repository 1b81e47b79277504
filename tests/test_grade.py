"""``dls grade``: the adversarial corpus (tests/adversarial/) graded in one sandboxed batch, with
expected scores; resume after a kill; nothing left running; gradebook and feedback keep working."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

from autograder import grade, pipeline, plaindata, sandbox, submissions
from autograder.cli import main

from conftest import COURSE, ROOT

pytestmark = pytest.mark.slow  # kernels, servers or sandboxes: not in the fast tier

CORPUS = runpy.run_path(str(ROOT / "tests" / "adversarial" / "week02.py"))
# small limits keep CI cheap: a memory bomb is stopped at 1.5 GiB, an infinite loop after 15 CPU seconds
# (CPU, not wall: the same on an idle and a loaded machine), a sleeping loop after 60 s of wall time.
# Importing TensorFlow (40 s and more on a loaded 2-core box) happens before any student cell, under
# --setup-timeout, and is never charged to the student. The per-submission budget (--timeout) is wide:
# an os._exit / infinite-loop / network submission restarts its sandbox once per test call (week02's
# hidden tests now make many calls), and on a loaded box 900 s ran out before its last exercises.
LIMIT_ARGS = ["--workers", "2", "--cell-timeout", "60", "--cell-cpu", "15", "--setup-timeout", "400",
              "--timeout", "1800", "--memory", "1536M", "--processes", "48", "--output", "2M", "--no-progress"]
# the only cases a time limit stops: a top-level loop that sleeps (wall clock) and a function that never
# returns (CPU limit when the machine is idle; on a loaded box the wall limit may come first: same score).
# Every other expected score must hold for its own reason, never because something ran out of time.
WALL_LIMITED = {"sigint-proof-loop", "infinite-loop"}
CPU_LIMITED = {"infinite-loop"}


def write_corpus(ws: pipeline.Course) -> dict[str, float]:
    made = submissions.write_samples(ws.root, "week02", ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=("solution", "untouched"))
    sol = json.loads((made["solution"] / "week02" / "week02.ipynb").read_text())
    rel = json.loads((made["untouched"] / "week02" / "week02.ipynb").read_text())
    expected = {}
    for case, (data, score, _why) in CORPUS["build"](sol, rel).items():
        folder = ws.submitted / case / "week02"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "week02.ipynb").write_bytes(data)
        expected[case] = score
    return expected


# -- unit: no TensorFlow, no sandbox --------------------------------------------------------------


def test_plaindata_round_trip_and_refuses_objects():
    value = {"a": (np.arange(3.0), [1, "x", None, 2.5, True]), 3: np.float32(1.5), "rng": np.random.default_rng(1)}
    back = plaindata.loads(plaindata.dumps(value))
    assert back["a"][1] == [1, "x", None, 2.5, True] and isinstance(back["a"], tuple)
    np.testing.assert_array_equal(back["a"][0], np.arange(3.0))
    assert back[3] == np.float32(1.5) and back["rng"].normal() == np.random.default_rng(1).normal()

    class Spoof(float):
        def __eq__(self, other):
            return True

    assert type(plaindata.loads(plaindata.dumps(Spoof(1.0)))) is float  # behaviour dropped, value kept
    for bad in (np.array([object()]), lambda: 1, object()):
        with pytest.raises(plaindata.CodecError):
            plaindata.dumps(bad)
    with pytest.raises(plaindata.CodecError):
        plaindata.loads(b"\x00" * 8 + b"garbage")


def test_static_analysis_picks_only_needed_cells():
    d, u, _ = grade.names("import numpy as np\ndef f(x):\n    y = np.sum(x)\n    return helper(y)\n")
    assert d == {"np", "f"} and {"np", "helper"} <= u and "y" not in u
    assert grade.split_hidden("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS\nc") == \
        [(False, "a\n"), (True, "\nb\n"), (False, "\nc")]


def test_limits_parse_sizes():
    assert sandbox.parse_size("2G") == 2 << 30 and sandbox.parse_size("512M") == 512 << 20
    with pytest.raises(ValueError):
        sandbox.parse_size("lots")


# -- the corpus, through the real CLI, in one batch ---------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request):
    """The gradebook: the embedded SQLite file, or a database on a real PostgreSQL server. The whole
    corpus suite runs against both and must give the same scores."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg")


def db_args(pg, name: str) -> tuple[str | None, list[str]]:
    """(gradebook URL, the `dls` arguments that select it) for a fresh database ``name``."""
    if pg is None:
        return None, []
    url = pg.create_database(name)
    return url, ["--db", url]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, backend):
    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    url, args = db_args(backend, "corpus")
    ws = pipeline.workspace(COURSE, tmp_path_factory.mktemp("grade") / "course", ["week02"], db_url=url)
    pipeline.generate_release(ws, "week02")
    expected = write_corpus(ws)
    code = main(["--root", str(ws.root), *args, "grade", "week02", *LIMIT_ARGS])
    return ws, expected, code, args


@pytest.mark.grading
@pytest.mark.xdist_group("grade")
def test_adversarial_corpus_scores(graded):
    ws, expected, code, _db = graded
    assert code == 0
    assert len(expected) >= 20
    table = pipeline.read_scores(ws, "week02", sorted(expected))
    got = {s: table.total(s) for s in expected}
    lines = [f"{c:<24}{expected[c]:>6g}{got[c]:>6g}" for c in sorted(expected)]
    report = ROOT / ".dls" / "reports"
    report.mkdir(parents=True, exist_ok=True)
    backend = ws.db_url.split(":")[0].split("+")[0]
    (report / f"adversarial-week02-{backend}.md").write_text("case                    expect   got\n" + "\n".join(lines) + "\n")
    assert got == expected, "\n".join(lines)
    for case in expected:  # every case has a result JSON an instructor can read
        res = grade.load_result(ws, "week02", case)
        assert res is not None and res["score"] == expected[case]
        text = json.dumps(res)
        if case not in WALL_LIMITED:
            assert "time limit" not in text, f"{case} hit a wall-clock limit: its score depends on the load"
        if case not in CPU_LIMITED:
            assert "CPU limit" not in text, case
        assert "unchanged instructor cell" not in text  # the imports never failed
    why = {c: json.dumps(grade.load_result(ws, "week02", c)) for c in expected}
    assert "cell CPU limit" in why["infinite-loop"] or "cell time limit" in why["infinite-loop"]
    assert "cell time limit" in why["sigint-proof-loop"]
    assert "memory limit" in why["memory-bomb"]
    assert "memory limit" in why["fork-bomb"] or "process limit" in why["fork-bomb"]
    assert "output limit" in why["output-flood"]
    assert "segmentation fault" in why["segfault"]
    assert "exited with code 0" in why["os-exit"]
    assert "not valid notebook JSON" in why["invalid-json"] and "not a Jupyter notebook" in why["not-a-notebook"]
    # the release's stubs raise NotImplementedError: read-instructor-files found nothing to exec
    assert "NotImplementedError" in why["read-instructor-files"]
    from nbgrader.api import Gradebook

    with Gradebook(ws.db_url) as gb:  # write-gradebook ran (in an answer cell) and reached no gradebook
        for sub in gb.find_assignment("week02").submissions:
            assert all(g.manual_score is None for nb in sub.notebooks for g in nb.grades), sub.student.id


@pytest.mark.grading
@pytest.mark.xdist_group("grade")
def test_nothing_left_running_and_no_leaks(graded):
    ws, _expected, _code, _db = graded
    left = subprocess.run(["pgrep", "-u", str(sandbox.NOBODY)], capture_output=True, text=True).stdout.split()
    assert not left, f"processes of the sandbox user still running: {left}"
    text = (ws.root / "autograded" / "solution" / "week02" / "week02.ipynb").read_text()
    assert "HIDDEN TESTS" not in text and "default_rng(21)" not in text  # hidden tests stay hidden
    assert (ws.root / "source_notebooks" / "week02" / "week02.ipynb").exists()


@pytest.mark.grading
@pytest.mark.xdist_group("grade")
def test_feedback_and_resume(graded):
    ws, expected, _code, db = graded
    pipeline.generate_feedback(ws, "week02")
    html = (ws.root / "feedback" / "hardcoded-visible" / "week02" / "week02.html").read_text()
    assert "a hidden test failed" in html and "default_rng(21)" not in html
    # a re-run grades nothing (same submissions, same tests); a changed submission is regraded alone
    nb = ws.submitted / "untouched" / "week02" / "week02.ipynb"
    nb.write_text(nb.read_text().replace('"cells": [', '"cells": [ ', 1))
    out = subprocess.run([sys.executable, "-m", "autograder", "--root", str(ws.root), *db, "grade", "week02",
                          *LIMIT_ARGS],
                         capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{len(expected) - 1} submission(s) already graded" in out.stdout
    from nbgrader.api import Gradebook

    with Gradebook(ws.db_url) as gb:
        assert len(gb.find_assignment("week02").submissions) == len(expected)  # no duplicates


@pytest.mark.grading
@pytest.mark.xdist_group("grade")
def test_sigkill_midway_then_resume(graded, backend, tmp_path):
    """SIGKILL the whole batch while a submission is in its sandbox; the re-run grades only the missing
    ones, the gradebook has each submission once with the right score, no sandbox process survives."""
    import shutil
    import signal
    import time

    from nbgrader.api import Gradebook

    src, expected, _code, _db = graded
    url, db = db_args(backend, "sigkill")
    ws = pipeline.workspace(COURSE, tmp_path / "course", ["week02"], db_url=url)
    pipeline.generate_release(ws, "week02")
    cases = {"a": "invalid-json", "b": "not-a-notebook", "c": "solution", "d": "untouched"}
    for prefix, case in cases.items():
        shutil.copytree(src.submitted / case / "week02", ws.submitted / f"{prefix}-{case}" / "week02")
    cmd = [sys.executable, "-m", "autograder", "--root", str(ws.root), *db, "grade", "week02",
           *[a if a != "2" else "1" for a in LIMIT_ARGS]]  # one worker: a known order
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    results = grade.results_dir(ws, "week02")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 600:  # wait for: two results recorded, the third one in its sandbox
        n_done = len(list(results.glob("*.json"))) if results.is_dir() else 0
        in_sandbox = subprocess.run(["pgrep", "-u", str(sandbox.NOBODY)], capture_output=True).returncode == 0
        if n_done >= 2 and in_sandbox or proc.poll() is not None:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_done = sorted(p.stem for p in results.glob("*.json"))
    assert 2 <= len(killed_done) < 4, killed_done
    time.sleep(1)
    left = subprocess.run(["pgrep", "-u", str(sandbox.NOBODY)], capture_output=True, text=True).stdout.split()
    assert not left, f"sandbox processes survived the SIGKILL: {left}"
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{len(killed_done)} submission(s) already graded" in out.stdout
    with Gradebook(ws.db_url) as gb:
        subs = gb.find_assignment("week02").submissions
        assert sorted(s.student.id for s in subs) == sorted(f"{p}-{c}" for p, c in cases.items())  # once each
        for sub in subs:
            case = sub.student.id.split("-", 1)[1]
            assert sub.score == expected[case], (sub.student.id, sub.score)
    for prefix, case in cases.items():
        assert grade.load_result(ws, "week02", f"{prefix}-{case}")["score"] == expected[case]


def test_in_place_changes_to_arguments_come_back(tmp_path):
    """A student function that updates its arguments in place (an optimiser step on a params dict) has
    the same effect on the grader's objects as it would in one kernel; a function that only reads them
    leaves them alone."""
    import time

    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    cells = [("cell 1", "import numpy as np\n"
                        "def step(params, grads, lr=0.1):\n"
                        "    for k in params:\n"
                        "        params[k] -= lr * grads[k]\n"
                        "    params['t'] = params.get('t', 0) + 1\n"
                        "def scale(xs):\n"
                        "    xs[0] *= 2\n"
                        "    xs.append(3.0)\n"
                        "def norm(a):\n"
                        "    return float(np.linalg.norm(a))\n", False)]
    session = grade.Session({}, cells, sandbox.Limits(), time.monotonic() + 120)
    try:
        clock = lambda: 60.0  # noqa: E731
        params = {"W": np.ones((2, 2)), "b": np.zeros(2)}
        grads = {"W": np.full((2, 2), 10.0), "b": np.ones(2)}
        w_before = params["W"]
        assert grade.Remote(session, "step", clock)(params, grads) is None
        assert params["W"] is w_before  # the same array object, changed in place
        np.testing.assert_allclose(params["W"], 0.0)
        np.testing.assert_allclose(params["b"], -0.1)
        assert params["t"] == 1
        np.testing.assert_allclose(grads["W"], 10.0)  # only read: unchanged
        xs = [np.ones(2), 1.0]
        grade.Remote(session, "scale", clock)(xs)
        np.testing.assert_allclose(xs[0], 2.0)
        assert xs[1:] == [1.0, 3.0]
        a = np.arange(3.0)
        assert grade.Remote(session, "norm", clock)(a) == pytest.approx(np.sqrt(5.0))
        np.testing.assert_array_equal(a, np.arange(3.0))
    finally:
        session.close()


def test_student_exceptions_and_process_state_cross(tmp_path):
    """A student's exception reaches the trusted test as the built-in class it is (or derives from),
    with the student's message, so ``except ValueError`` fires as in one kernel; anything else stays a
    StudentError. ``np.errstate`` set up by the test applies around the student's call."""
    import time

    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    cells = [("cell 1", "import numpy as np\n"
                        "class Mine(KeyError):\n"
                        "    pass\n"
                        "def check(x):\n"
                        "    if x < 0:\n"
                        "        raise ValueError(f'x must be >= 0, got {x}')\n"
                        "    if x == 0:\n"
                        "        raise Mine('zero')\n"
                        "    if x == 1:\n"
                        "        raise SystemExit(3)\n"
                        "    return x\n"
                        "def sigmoid(z):\n"
                        "    return 1 / (1 + np.exp(-z))\n", False)]
    session = grade.Session({}, cells, sandbox.Limits(), time.monotonic() + 120)
    try:
        clock = lambda: 60.0  # noqa: E731
        check = grade.Remote(session, "check", clock)
        with pytest.raises(ValueError, match=r"x must be >= 0, got -2") as info:
            check(-2)
        assert isinstance(info.value, grade.StudentError) and str(info.value) == "x must be >= 0, got -2"
        with pytest.raises(KeyError) as info:  # a student subclass: caught as its built-in base class
            check(0)
        assert info.value.args == ("zero",) and type(info.value).__module__ == "builtins"
        with pytest.raises(grade.StudentError) as info:  # not an Exception: never re-raised as one
            check(1)
        assert not isinstance(info.value, SystemExit)
        assert check(5) == 5
        sigmoid = grade.Remote(session, "sigmoid", clock)
        with np.errstate(over="ignore"):
            assert sigmoid(np.array([-1000.0]))[0] == 0.0
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            sigmoid(np.array([-1000.0]))
    finally:
        session.close()


def _tiny_course(tmp_path, cells):
    """A one-notebook course (source only) for grading tests: ``cells`` are (kind, grade_id, source)
    with kind "code" (plain), "solution" or "test"."""
    import types

    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, gid, src in cells:
        cell = nbformat.v4.new_code_cell(src)
        if kind == "solution":
            cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": gid,
                                         "schema_version": 3}
        elif kind == "test":
            cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid,
                                         "points": 1, "schema_version": 3}
        nb.cells.append(cell)
    src_dir = tmp_path / "source_notebooks" / "tiny"
    src_dir.mkdir(parents=True)
    nbformat.write(nb, src_dir / "tiny.ipynb")
    course = types.SimpleNamespace(root=tmp_path, release=tmp_path / "release",
                                   source_notebooks=lambda a: sorted((tmp_path / "source_notebooks" / a).glob("*.ipynb")))
    return course, nb


def _submit(tmp_path, student, nb, answers):
    import copy as _copy

    import nbformat

    nb = _copy.deepcopy(nb)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    folder = tmp_path / "submitted" / student / "tiny"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "tiny.ipynb")
    return folder


def test_sandbox_fallback_only_where_the_solution_needs_it(tmp_path):
    """A test the trusted side cannot run for the instructor's own solution (it passes a Python function
    to the student's; it opens a file a training cell writes) is graded inside the sandbox, said so per
    exercise; every other test stays on the trusted path, where a spoofing answer still scores 0."""
    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    course, nb = _tiny_course(tmp_path, [
        ("code", None, "import numpy as np"),
        ("solution", "double-code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
        ("test", "double-test", "assert np.allclose(double(np.arange(3)), [0, 2, 4])"),
        ("solution", "apply-code", "def apply(f, xs):\n    ### BEGIN SOLUTION\n    return [f(x) for x in xs]\n"
                                   "    ### END SOLUTION"),
        ("test", "apply-test", "assert apply(lambda v: v + 1, [1, 2]) == [2, 3]\n"
                               "### BEGIN HIDDEN TESTS\nassert apply(str, [1]) == ['1']\n### END HIDDEN TESTS"),
        ("solution", "train-code", "def train():\n    ### BEGIN SOLUTION\n    return np.full(3, 7.0)\n"
                                   "    ### END SOLUTION"),
        ("code", None, "np.save('weights.npy', train())"),
        ("test", "train-test", "assert np.load('weights.npy').sum() == 21.0"),
    ])
    reference = grade.calibrate(course, grade.build_reference(course, "tiny"), sandbox.Limits(), log=lambda *a: None,
                                in_process=True)
    kernel = reference["notebooks"]["tiny"]["kernel_tests"]
    assert set(kernel) == {"apply-test", "train-test"}, kernel
    assert "not plain data" in kernel["apply-test"]
    stub = "    raise NotImplementedError()"
    cases = {
        "solution": ({}, {"double-test": 1, "apply-test": 1, "train-test": 1}),
        "untouched": ({g: h + "\n" + stub for g, h in [("double-code", "def double(x):"),
                                                       ("apply-code", "def apply(f, xs):"),
                                                       ("train-code", "def train():")]},
                      {"double-test": 0, "apply-test": 0, "train-test": 0}),
        "wrong": ({"apply-code": "def apply(f, xs):\n    return [f(x) for x in xs[:1]]",
                   "train-code": "def train():\n    return np.zeros(3)"},
                  {"double-test": 1, "apply-test": 0, "train-test": 0}),
        "spoof": ({"double-code": "class A:\n    def __eq__(s, o): return True\n    def __array__(s, *a, **k):\n"
                                  "        return np.array([0, 2, 4])\ndef double(x):\n    return A()"},
                  {"double-test": 0, "apply-test": 1, "train-test": 1}),
    }
    for student, (answers, expected) in cases.items():
        folder = _submit(tmp_path, student, nb, answers)
        result = grade.grade_one(folder, reference, sandbox.Limits(), student)
        cells = result["notebooks"]["tiny"]["cells"]
        got = {g: c["score"] for g, c in cells.items()}
        assert got == expected, (student, got, {g: c["failure"] for g, c in cells.items()})
        assert cells["apply-test"]["mode"] == "sandbox" and "mode" not in cells["double-test"]
        notes = " ".join(result["notebooks"]["tiny"]["notes"])
        assert "apply-test: graded inside the sandbox" in notes and "double-test" not in notes
    again = grade.calibrate(course, grade.build_reference(course, "tiny"), sandbox.Limits(), log=lambda *a: None)
    assert again["hash"] == reference["hash"]  # cached: no second run of the solution


# -- dls grade on the course's own samples: the scores stock nbgrader gives them ------------------------

# cheap assignments (one sandbox start each, no training in the graded cells); the grading tier
# (tests/test_grading.py) proves the same three properties for them under stock nbgrader autograde
# CI grades week01 (the CI budget); DLS_GRADE_COURSE=all adds week06, the other one measured equal
COURSE_CHEAP = ["week01", "week06"] if os.environ.get("DLS_GRADE_COURSE") == "all" else ["week01"]


@pytest.mark.grading
@pytest.mark.parametrize("assignment", COURSE_CHEAP)
def test_dls_grade_scores_the_course_as_nbgrader_does(assignment, tmp_path):
    """The pruned samples graded by the grading tier, graded by ``dls grade``: the instructor's solution
    gets full marks, the untouched release 0 and the first planted mistake less than full, on every
    exercise (the scores stock nbgrader gives them)."""
    from autograder import notebooks

    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    ws = pipeline.workspace(COURSE, tmp_path / "course", [assignment])
    pipeline.generate_release(ws, assignment)
    kinds = ("solution", "untouched", "mistakes-1")
    made = submissions.write_samples(ws.root, assignment, ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=kinds)
    for kind, folder in made.items():
        for path in (folder / assignment).glob("*.ipynb"):
            nb, _kept, _all = submissions.prune(notebooks.read(path), keep_marked=False)
            notebooks.write(nb, ws.submitted / kind / assignment / path.name)
    grade.grade_assignment(ws, assignment, list(kinds), workers=2, log=lambda *a: None, progress=False,
                           limits=sandbox.Limits(cell_timeout=300, timeout=1800))
    table = pipeline.read_scores(ws, assignment, list(kinds))
    wrong = []
    for ex, full in table.exercises.items():
        got = {k: table.scores[k][ex] for k in kinds}
        if got["solution"] != full or got["untouched"] != 0 or got["mistakes-1"] >= full:
            why = {k: [c.get("failure") for nb in grade.load_result(ws, assignment, k)["notebooks"].values()
                       for g, c in nb["cells"].items() if g.startswith(ex) and c.get("failure")] for k in kinds}
            wrong.append(f"{ex}: {got} (full {full:g}) {why}")
    assert not wrong, "\n".join([table.render(), *wrong])


def test_tensors_cross_as_tensors(tmp_path):
    """An eager tensor passed to a student's function arrives there as a tensor (same dtype and values);
    a tensor it returns comes back as a tensor, as in one kernel."""
    import time

    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    tf = pytest.importorskip("tensorflow")
    cells = [("cell 1", "import tensorflow as tf\n"
                        "def scale(t, k=2):\n"
                        "    assert isinstance(t, tf.Tensor), type(t)\n"
                        "    return t * k, t.dtype.name\n"
                        "def add(a, b):\n"
                        "    return a + b\n", False)]
    session = grade.Session({}, cells, sandbox.Limits(setup_timeout=600), time.monotonic() + 600)
    try:
        out, dtype = grade.Remote(session, "scale", lambda: 120.0)(tf.constant([1, 2], dtype=tf.int16), k=3)
        assert dtype == "int16" and isinstance(out, tf.Tensor) and out.dtype == tf.int16
        np.testing.assert_array_equal(out.numpy(), [3, 6])
        # arrays and pairs of arrays stay arrays (nothing else is mistaken for a tensor)
        back = grade.Remote(session, "add", lambda: 120.0)(np.arange(3.0), np.ones(3))
        assert type(back) is np.ndarray and back.tolist() == [1.0, 2.0, 3.0]
        pair = grade.Remote(session, "add", lambda: 120.0)((np.zeros(2), np.ones(2)), ("__hooked__", {}))
        assert type(pair) is tuple and len(pair) == 4
    finally:
        session.close()
