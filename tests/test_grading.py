"""Grading tier: through real ``nbgrader autograde`` into a real gradebook, for every exercise,
the instructor solution gets full marks, the untouched release gets 0, and every planted mistake
(tests/mistakes/<assignment>.py) gets less than full. Submission ``mistakes-<r>`` carries the r-th
mistake of every exercise, so each mistake is graded on its own. CI grades round 1 (the first
mistake of every exercise: 3 autograde runs per notebook); ``DLS_ALL_MISTAKES=1`` grades them all.

The samples are graded as ``dls demo`` grades its own (``autograder.demo``): each pruned to the code
cells graded cells depend on (``submissions.prune``), through nbgrader's autograde converter. The
whole notebook runs once, under papermill (tests/test_notebooks.py); ``DLS_FULL_GRADING=1`` grades
unpruned notebooks instead, as a student's submission is graded."""

from __future__ import annotations

import os

import pytest

from autograder import demo, notebooks, pipeline, submissions

from conftest import (
    ASSIGNMENTS,
    COURSE,
    REPORTS,
    ROOT,
    checked_outputs,
    papermill_run,
    source_paths,
)

MISTAKES = {a: submissions.load_mistakes(ROOT / "tests" / "mistakes" / f"{a}.py") for a in ASSIGNMENTS}
CASES = [pytest.param(a, ex, id=ex, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS
         for p in COURSE.source_notebooks(a) for ex in notebooks.exercises(notebooks.read(p))]


FULL = os.environ.get("DLS_FULL_GRADING", "") not in ("", "0")


def rounds(assignment: str) -> int:
    everything = os.environ.get("DLS_ALL_MISTAKES", "") not in ("", "0")
    return submissions.mistake_rounds(MISTAKES[assignment]) if everything else 1


def kinds(assignment: str) -> list[str]:
    rounds_ = rounds(assignment)
    return ["solution", "untouched", *(f"mistakes-{r}" for r in range(1, rounds_ + 1))]


_cache: dict[str, pipeline.ScoreTable] = {}
_workspaces: dict[str, pipeline.Course] = {}


def graded(assignment: str, tmp_root) -> pipeline.ScoreTable:
    """Autograde the three sample submissions of one assignment once per test session."""
    if assignment not in _cache:
        ws = pipeline.workspace(COURSE, tmp_root / assignment, [assignment])
        ws.validate_sources(assignment)
        demo.release_all(ws, [assignment])  # nbgrader generate_assignment, in this process (no CLI start-up)
        # each kind of sample is a "student": written straight into nbgrader's submitted/ layout
        made = submissions.write_samples(ws.root, assignment, ws.root / ".samples", ROOT / "tests" / "mistakes",
                                         kinds=kinds(assignment))
        for kind, folder in made.items():
            for path in (folder / assignment).glob("*.ipynb"):
                nb = notebooks.read(path)
                if not FULL:
                    # the solution keeps the # NBVAL_CHECK_OUTPUT cells: test_checked_outputs_reproduce_... reads them
                    nb, _kept, _all = submissions.prune(nb, keep_marked=kind == "solution")
                notebooks.write(nb, ws.submitted / kind / assignment / path.name)
        _workspaces[assignment] = ws
        result = demo.grade_and_feedback(str(ws.root), assignment, kinds(assignment), feedback=False)
        table = pipeline.read_scores(ws, assignment, kinds(assignment), result.failed)
        _cache[assignment] = table
        _write_matrix(table)
    return _cache[assignment]


def _write_matrix(table: pipeline.ScoreTable) -> None:
    lines = [f"Discrimination matrix, {table.assignment} (score / max through nbgrader autograde; "
             "one row per planted mistake, graded alone; '-' = not graded in this run, see DLS_ALL_MISTAKES)",
             f"{'exercise':<28}{'solution':>9}{'untouched':>10}{'mistake':>9}  planted mistake"]
    for ex, mx in table.exercises.items():
        for r, (_old, _new, why) in enumerate(MISTAKES[table.assignment].get(ex, []), 1):
            cells = [f"{table.scores[k][ex]:g}/{mx:g}" if k in table.scores else "-"
                     for k in ("solution", "untouched", f"mistakes-{r}")]
            lines.append(f"{ex if r == 1 else '':<28}" + "".join(c.rjust(w) for c, w in zip(cells, (9, 10, 9)))
                         + f"  {why}")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"discrimination-{table.assignment}.md").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def grading_root(tmp_path_factory):
    return tmp_path_factory.mktemp("grading")


@pytest.mark.grading
@pytest.mark.parametrize("assignment,exercise", CASES)
def test_exercise_discriminates(assignment, exercise, grading_root, request):
    table = graded(assignment, grading_root)
    assert not table.failed, f"nbgrader could not grade: {table.failed}"
    full = table.exercises[exercise]
    assert table.scores["solution"][exercise] == full, "instructor solution must get full marks"
    assert table.scores["untouched"][exercise] == 0, "untouched release must get 0"
    planted = MISTAKES[assignment][exercise]
    assert planted, f"{exercise} has no planted mistake in tests/mistakes/{assignment}.py"
    for r, (_old, _new, why) in enumerate(planted[:rounds(assignment)], 1):
        assert table.scores[f"mistakes-{r}"][exercise] < full, f"planted mistake not caught: {why}"


@pytest.mark.grading
@pytest.mark.notebooks
@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.stem}",
                                               marks=pytest.mark.xdist_group(p.parent.name))
                                  for p in source_paths()])
def test_checked_outputs_reproduce_across_executions(path, grading_root):
    """The seeded cells marked # NBVAL_CHECK_OUTPUT print the same in the papermill run and in the
    solution's nbgrader autograde run: two independent kernels, no extra execution."""
    assignment = path.parent.name
    run, out = papermill_run(path)
    assert run.ok, run.error
    graded(assignment, grading_root)
    autograded = _workspaces[assignment].root / "autograded" / "solution" / assignment / path.name
    first = checked_outputs(notebooks.read(out))
    second = checked_outputs(notebooks.read(autograded))
    assert first, f"{path.name}: no cell marked # NBVAL_CHECK_OUTPUT"
    for source, text in first.items():
        assert source in second, f"marked cell missing from the autograded notebook:\n{source[:300]}"
        assert text.strip(), f"marked cell prints nothing to compare:\n{source[:300]}"
        assert second[source] == text, (f"output differs between two executions:\n{source[:300]}\n"
                                         f"--- papermill\n{text[:1500]}\n--- autograde\n{second[source][:1500]}")
