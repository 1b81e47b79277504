"""Grading tier: through real ``nbgrader autograde`` into a real gradebook, for every exercise,
the instructor solution gets full marks, the untouched release gets 0, and the submission carrying
the planted mistakes (tests/mistakes/<assignment>.py) gets less than full."""

from __future__ import annotations

import shutil

import pytest

from autograder import notebooks, pipeline, submissions

from conftest import ASSIGNMENTS, COURSE, REPORTS, ROOT

KINDS = ("solution", "untouched", "mistakes")
CASES = [pytest.param(a, ex, id=ex, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS for p in COURSE.source_notebooks(a)
         for ex in notebooks.exercises(notebooks.read(p))]
_cache: dict[str, pipeline.ScoreTable] = {}


def graded(assignment: str, tmp_root) -> pipeline.ScoreTable:
    """Autograde the three sample submissions of one assignment once per test session."""
    if assignment not in _cache:
        ws = pipeline.workspace(COURSE, tmp_root / assignment, [assignment])
        pipeline.generate_release(ws, assignment)
        made = submissions.write_samples(ws.root, assignment, ws.root / ".samples", ROOT / "tests" / "mistakes")
        for kind in KINDS:
            shutil.copytree(made[kind] / assignment, ws.submitted / kind / assignment)
        pipeline.autograde(ws, assignment, list(KINDS), fast=True)
        table = pipeline.read_scores(ws, assignment, list(KINDS))
        _cache[assignment] = table
        _write_matrix(table)
    return _cache[assignment]


def _write_matrix(table: pipeline.ScoreTable) -> None:
    mistakes = submissions.load_mistakes(ROOT / "tests" / "mistakes" / f"{table.assignment}.py")
    lines = [f"Discrimination matrix, {table.assignment} (score / max through nbgrader autograde)",
             f"{'exercise':<34}{'solution':>10}{'untouched':>11}{'mistake':>9}  planted mistake"]
    for ex, mx in table.exercises.items():
        why = "; ".join(m[2] for m in mistakes.get(ex, []))
        lines.append(f"{ex:<34}" + "".join(f"{table.scores[k][ex]:>{w}g}/{mx:g}".rjust(w + 2)
                                            for k, w in zip(KINDS, (8, 9, 7))) + f"  {why}")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"discrimination-{table.assignment}.md").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def grading_root(tmp_path_factory):
    return tmp_path_factory.mktemp("grading")


@pytest.mark.grading
@pytest.mark.parametrize("assignment,exercise", CASES)
def test_exercise_discriminates(assignment, exercise, grading_root, request):
    table = graded(assignment, grading_root)
    full = table.exercises[exercise]
    assert table.scores["solution"][exercise] == full, "instructor solution must get full marks"
    assert table.scores["untouched"][exercise] == 0, "untouched release must get 0"
    assert table.scores["mistakes"][exercise] < full, "planted mistake must lose points"
