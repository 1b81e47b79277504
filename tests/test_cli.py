"""``dls`` on a NumPy-only mini course: the real nbgrader pipeline, and clear errors on bad input."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from autograder import submissions
from autograder.cli import main
from autograder.pipeline import Course

import minicourse

pytestmark = pytest.mark.slow  # kernels, servers or sandboxes: not in the fast tier


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = minicourse.make(tmp_path_factory.mktemp("mini"))
    assert main(["--root", str(root), "build"]) == 0
    return Course(root)


def make_submissions(mini, dest, kinds=("solution", "untouched", "mistakes")):
    submissions.write_samples(mini.root, "week01", dest, mini.root / "tests" / "mistakes", kinds=kinds)
    return dest


def test_build_writes_release_without_solutions(mini):
    text = (mini.release / "week01" / "week01.ipynb").read_text()
    assert "raise NotImplementedError()" in text
    assert "np.maximum(0, z)" not in text and "HIDDEN" not in text
    # the manually graded written answer: rubric kept, model answer replaced by nbgrader's stub
    assert "YOUR ANSWER HERE" in text and "Rubric (2 points" in text and "one comparison" not in text


def test_autograde_scores_each_exercise(mini, tmp_path, capsys):
    subs = make_submissions(mini, tmp_path / "subs")
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(subs)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("solution", "untouched", "mistakes"))}
    assert rows["solution"] == ["2/2", "1/1", "3/3"]
    assert rows["untouched"] == ["0/2", "0/1", "0/3"]
    assert rows["mistakes"] == ["0/2", "0/1", "0/3"]
    assert "not in the totals: week01-why-answer (2 points)" in out


@pytest.mark.parametrize("command", [["build", "week77"], ["check", "week77"], ["demo", "week77"],
                                     ["autograde", "week77"]])
def test_unknown_assignment_is_a_clear_error(mini, capsys, command):
    before = digest(mini.gradebook_path)
    assert main(["--root", str(mini.root), *command]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment(s): week77" in err and "Known: week01" in err
    assert digest(mini.gradebook_path) == before


def test_invalid_source_notebook_fails_before_nbgrader(tmp_path, capsys):
    root = minicourse.make(tmp_path / "c")
    (root / "source_notebooks" / "week01" / "week01.ipynb").write_text("{ not json")
    assert main(["--root", str(root), "build"]) == 2
    err = capsys.readouterr().err
    assert "week01.ipynb: not a valid Jupyter notebook" in err
    assert not (root / "autograder" / "gradebook.db").exists()
    assert not (root / "release").exists()


def test_invalid_submission_is_reported_and_gradebook_untouched(mini, tmp_path, capsys):
    bad = tmp_path / "subs" / "mallory" / "week01"
    bad.mkdir(parents=True)
    (bad / "week01.ipynb").write_text('{"cells": [')
    before = digest(mini.gradebook_path)
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(tmp_path / "subs")]) == 2
    err = capsys.readouterr()
    assert "mallory: " in err.out and "not a valid Jupyter notebook" in err.out
    assert "no readable submissions" in err.err
    assert digest(mini.gradebook_path) == before


def test_invalid_submission_does_not_stop_the_others(mini, tmp_path, capsys):
    subs = make_submissions(mini, tmp_path / "subs", kinds=("solution",))
    bad = subs / "mallory" / "week01"
    bad.mkdir(parents=True)
    (bad / "week01.ipynb").write_text("not a notebook")
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(subs)]) == 1
    out = capsys.readouterr().out
    assert "error: mallory:" in out
    assert any(line.startswith("solution") and line.rstrip().endswith("3/3") for line in out.splitlines())


def test_empty_submissions_folder_is_a_clear_error(mini, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    before = digest(mini.gradebook_path)
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(empty)]) == 2
    assert "no submissions of week01" in capsys.readouterr().err
    assert digest(mini.gradebook_path) == before


def test_missing_submissions_folder(mini, tmp_path, capsys):
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_not_a_course_root(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "build"]) == 2
    assert "not a course root" in capsys.readouterr().err


def test_mistake_text_must_match_once():
    src = "def f(z):\n    ### BEGIN SOLUTION\n    return z + z\n    ### END SOLUTION"
    with pytest.raises(ValueError, match="occurs 0 times"):
        submissions.apply_mistakes(src, "week01-f", [("z * z", "z", "x")])
    with pytest.raises(ValueError, match="occurs 2 times"):
        submissions.apply_mistakes(src, "week01-f", [("z", "y", "x")])
    assert "z - z" in submissions.apply_mistakes(src, "week01-f", [("z + z", "z - z", "x")])


def test_demo_grades_samples_and_writes_feedback(tmp_path, capsys):
    root = minicourse.make(tmp_path / "c")
    assert main(["--root", str(root), "demo"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("sample-")}
    assert rows["sample-solution"] == ["2/2", "1/1", "3/3"]
    assert rows["sample-untouched"] == ["0/2", "0/1", "0/3"]
    assert rows["sample-partly-wrong"] == ["0/2", "1/1", "1/3"]  # mistake planted in every other exercise
    for student in rows:
        html = root / ".dls" / "demo" / "feedback" / student / "week01" / "week01.html"
        assert html.exists() and "relu" in html.read_text()
    assert str(root / ".dls" / "demo" / "feedback") in out
    assert (root / "release" / "week01" / "week01.ipynb").exists()  # the demo regenerated the release


def test_check_times_notebooks_with_papermill(mini, capsys):
    assert main(["--root", str(mini.root), "check"]) == 0
    out = capsys.readouterr().out
    assert "papermill source_notebooks/week01/week01.ipynb (FAST mode)" in out
    row = [ln for ln in out.splitlines() if ln.startswith("source_notebooks/week01/week01.ipynb")]
    assert row and row[0].split()[1] == "FAST" and row[0].split()[-1] == "ok"
    assert (mini.root / ".dls" / "executed" / "week01" / "week01.ipynb").exists()


def test_mistakes_apply_in_any_solution_block():
    src = ("def f(z):\n    ### BEGIN SOLUTION\n    a = z + 1\n    ### END SOLUTION\n"
           "def g(z):\n    ### BEGIN SOLUTION\n    return z * 2\n    ### END SOLUTION")
    out = submissions.apply_mistakes(src, "week01-f", [("z * 2", "z * 3", "x"), ("z + 1", "z - 1", "y")])
    assert "z * 3" in out and "z - 1" in out
    assert submissions.solution_body(out).count("###") == 0


def _student(root, name, body):
    """A submission whose answer to the relu exercise is ``body`` (the rest of the release untouched)."""
    import nbformat

    nb = nbformat.read(str(root / "release" / "week01" / "week01.ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "week01-relu-code":
            cell.source = body
    folder = root / "incoming" / name / "week01"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / "week01.ipynb"))


def test_crashing_and_hanging_submissions_do_not_stop_the_batch(mini, capsys):
    _student(mini.root, "a-good", "import numpy as np\ndef relu(z):\n    return np.maximum(0, z)")
    _student(mini.root, "b-exit", "import os\nos._exit(0)")
    _student(mini.root, "c-loop", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    _student(mini.root, "d-good", "import numpy as np\ndef relu(z):\n    return np.maximum(z, 0)")
    rc = main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(mini.root / "incoming"),
               "--cell-timeout", "5", "--timeout", "60"])
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.startswith(("a-good", "d-good", "b-exit", "c-loop"))}
    assert rows["a-good"] == ["2/2", "0/1", "2/3"] and rows["d-good"] == ["2/2", "0/1", "2/3"]
    assert "NOT GRADED b-exit: " in out and "Kernel died" in out.split("NOT GRADED b-exit: ")[1].splitlines()[0]
    assert "NOT GRADED c-loop: " in out and "Timeout" in out.split("NOT GRADED c-loop: ")[1].splitlines()[0]
    assert "b-exit" not in rows and "c-loop" not in rows
    assert rc == 1  # some submissions could not be graded
    assert "checksum" not in out  # nbgrader's hidden-test checksum noise is not shown
    assert not processes_under(mini.root), "grading left processes running"


def processes_under(root):
    """PIDs of processes whose working directory is inside ``root`` (kernels run in autograded/)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")).is_relative_to(root):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_fresh_clone_without_gradebook_can_autograde(tmp_path, capsys):
    root = minicourse.make(tmp_path / "c")
    assert main(["--root", str(root), "build"]) == 0
    (root / "autograder" / "gradebook.db").unlink()  # release/ is committed, the gradebook is not
    course = Course(root)
    subs = make_submissions(course, tmp_path / "subs", kinds=("solution",))
    assert main(["--root", str(root), "autograde", "week01", "--submissions", str(subs)]) == 0
    out = capsys.readouterr().out
    assert "not in the gradebook yet" in out
    assert any(ln.startswith("solution") and ln.rstrip().endswith("3/3") for ln in out.splitlines())


def test_stray_notebook_is_ignored_with_a_warning(mini, tmp_path, capsys):
    subs = make_submissions(mini, tmp_path / "subs", kinds=("solution",))
    shutil.copy(subs / "solution" / "week01" / "week01.ipynb", subs / "solution" / "week01" / "week01-Copy1.ipynb")
    assert main(["--root", str(mini.root), "autograde", "week01", "--submissions", str(subs)]) == 0
    out = capsys.readouterr().out
    assert "warning: solution: ignored week01-Copy1.ipynb" in out
    assert any(ln.startswith("solution") and ln.rstrip().endswith("3/3") for ln in out.splitlines())


def test_demo_never_writes_to_the_configured_gradebook(tmp_path, monkeypatch, capsys):
    root = minicourse.make(tmp_path / "c")
    prod = tmp_path / "prod.db"
    monkeypatch.setenv("DLS_GRADEBOOK_URL", f"sqlite:///{prod}")
    assert main(["--root", str(root), "demo"]) == 0
    from nbgrader.api import Gradebook

    assert not prod.exists(), "the demo builds and grades in its own course directory only"
    demo_db = root / ".dls" / "demo" / "autograder" / "gradebook.db"
    with Gradebook(f"sqlite:///{demo_db}") as gb:
        assert sorted(s.id for s in gb.students) == ["sample-partly-wrong", "sample-solution", "sample-untouched"]
    assert str(demo_db) in capsys.readouterr().out


def test_start_copies_the_release_and_never_overwrites(mini, tmp_path, capsys):
    work = mini.root / "work" / "week01" / "week01.ipynb"
    assert main(["--root", str(mini.root), "start", "week01"]) == 0
    assert "copied week01.ipynb" in capsys.readouterr().out
    assert work.read_bytes() == (mini.release / "week01" / "week01.ipynb").read_bytes()
    work.write_text(work.read_text().replace("raise NotImplementedError()", "return np.maximum(0, z)"))
    edited = digest(work)
    # what the instructor guide runs (generate_assignment --force) and a second start keep the work
    assert main(["--root", str(mini.root), "build", "week01"]) == 0
    capsys.readouterr()
    assert main(["--root", str(mini.root), "start", "week01"]) == 0
    assert "kept   week01.ipynb (already there" in capsys.readouterr().out
    assert digest(work) == edited
    # --dest: a folder of the student's choosing, created if needed; release/ itself is refused
    assert main(["--root", str(mini.root), "start", "week01", "--dest", str(tmp_path / "mine")]) == 0
    assert (tmp_path / "mine" / "week01.ipynb").exists()
    assert main(["--root", str(mini.root), "start", "week01", "--dest", str(mini.release / "week01")]) == 2
    assert "inside release/" in capsys.readouterr().err


def test_start_unknown_assignment_is_a_clear_error(mini, capsys):
    assert main(["--root", str(mini.root), "start", "week77"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dls: error: unknown assignment 'week77'") and "Known: week01" in err
    assert not (mini.root / "work" / "week77").exists()


def _page_text(path):
    """The text a browser shows of an HTML page (syntax highlighting splits code into spans)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_feedback_never_shows_hidden_tests(tmp_path, capsys):
    """Stock nbgrader autograde + generate_feedback: the hidden test's code is in no feedback page."""
    import re

    import nbformat

    from autograder import pipeline

    root = minicourse.make(tmp_path / "c")
    assert main(["--root", str(root), "build", "week01"]) == 0
    _student(root, "good", "import numpy as np\ndef relu(z):\n    return np.maximum(0, z)")
    _student(root, "hardcoded", "import numpy as np\ndef relu(z):\n    return np.array([0.0, 2.0])")
    _student(root, "wrong", "def relu(z):\n    return -z")
    assert main(["--root", str(root), "autograde", "week01", "--submissions", str(root / "incoming")]) == 0
    out = capsys.readouterr().out
    assert [ln.split()[:2] for ln in out.splitlines() if ln.startswith(("good", "hardcoded", "wrong"))] == [
        ["good", "2/2"], ["hardcoded", "0/2"], ["wrong", "0/2"]]
    hidden = "assert relu(np.array([3.0]))[0] == 3.0"
    graded = nbformat.read(str(root / "autograded" / "hardcoded" / "week01" / "week01.ipynb"), as_version=4)
    [cell] = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "week01-relu-tests"]
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    assert hidden in cell.source and any(hidden in ansi.sub("", t) for t in cell.outputs[0].traceback)  # leaked
    pipeline.generate_feedback(Course(root), "week01")
    for student in ("good", "hardcoded", "wrong"):
        page = _page_text(root / "feedback" / student / "week01" / "week01.html")
        assert "assert np.allclose(relu(np.array([-1.0, 2.0])), [0.0, 2.0])" in page  # visible test stays
        assert "relu(np.array([3.0]))" not in page and "HIDDEN TESTS" not in page, student
    page = _page_text(root / "feedback" / "hardcoded" / "week01" / "week01.html")
    assert "AssertionError" in page and "lines of hidden tests are not shown in feedback" in page


# -- no traceback reaches a user ---------------------------------------------------------------


def _boom(course, args):
    raise KeyError("the_gradebook_row")  # an internal error no command anticipates


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_is_one_line_unless_debug(mini, capsys, monkeypatch, debug):
    from autograder import cli

    monkeypatch.setitem(cli.COMMANDS, "build", _boom)
    monkeypatch.delenv("DLS_DEBUG", raising=False)
    argv = ["--root", str(mini.root), *(["--debug"] if debug else []), "build"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1].startswith("dls: error: internal error in `dls build`: KeyError: 'the_gradebook_row'")
    assert "--debug" in lines[-1]
    if debug:
        assert "Traceback (most recent call last)" in err and "_boom" in err
    else:
        assert lines == lines[-1:] and "Traceback" not in err


def test_dls_debug_environment_shows_the_traceback(mini, capsys, monkeypatch):
    from autograder import cli

    monkeypatch.setitem(cli.COMMANDS, "build", _boom)
    monkeypatch.setenv("DLS_DEBUG", "1")
    assert main(["--root", str(mini.root), "build"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_os_error_is_a_failure_with_the_path(mini, capsys, monkeypatch):
    from autograder import cli

    def unwritable(course, args):
        raise PermissionError(13, "Permission denied", str(course.root / "release"))

    monkeypatch.setitem(cli.COMMANDS, "build", unwritable)
    assert main(["--root", str(mini.root), "build"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dls: error: Permission denied: ") and "release" in err and "\n" not in err


def test_exchange_is_local_and_writable(mini):
    """JupyterLab's Assignment List asks nbgrader's exchange for courses: it must not fail."""
    import subprocess
    import sys

    from autograder.pipeline import tool_env

    proc = subprocess.run([sys.executable, "-m", "nbgrader", "list"], cwd=mini.root, env=tool_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Unwritable" not in proc.stdout + proc.stderr, proc.stderr[-1500:]
    assert (mini.root / ".dls" / "exchange").is_dir()
