"""``dls demo`` on the real course: its samples can be built for every assignment (cheap, no
execution), and the whole demo runs end to end on two real assignments (one through the nbgrader
command line, one through nbgrader's API), as `bash bootstrap.sh demo` runs it on all of them."""

from __future__ import annotations

import re

import pytest

from autograder import demo, notebooks, submissions
from autograder.cli import main

from conftest import ASSIGNMENTS, COURSE, ROOT

MISTAKES_DIR = ROOT / "tests" / "mistakes"


def _cells(path):
    return notebooks.read(path).cells


def _graded(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade") or meta.get("solution"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_demo_samples_build_for_every_assignment(assignment, tmp_path):
    kept = demo.build_samples(ROOT, assignment, tmp_path, MISTAKES_DIR)
    mistakes = submissions.load_mistakes(MISTAKES_DIR / f"{assignment}.py")
    wrong = demo.partly_wrong(mistakes)
    assert wrong, f"{assignment}: the partly wrong sample plants no mistake"
    for src in COURSE.source_notebooks(assignment):
        n_kept, n_code = kept[src.name]
        assert 0 < n_kept <= n_code
        release = _cells(COURSE.release / assignment / src.name)
        sample = {kind: _cells(tmp_path / student / assignment / src.name) for kind, student in demo.STUDENTS.items()}
        exercises = notebooks.exercises(notebooks.read(src))
        for kind, cells in sample.items():
            assert len(cells) == len(release), f"{kind}: the sample must keep the release's cells"
            for cell, rel in zip(cells, release):
                if _graded(rel):  # graded cells and answers are never pruned
                    assert cell.source != submissions.PRUNED
                if not _graded(rel) or rel.cell_type != "code" or not rel.metadata["nbgrader"].get("solution"):
                    assert cell.source in (rel.source, submissions.PRUNED), f"{kind}: only answer cells differ"
        for i, rel in enumerate(release):
            ex = notebooks.exercise_of(rel.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
            if ex is None or rel.cell_type != "code" or not rel.metadata["nbgrader"].get("solution"):
                continue
            solution = submissions.solution_body(exercises[ex]["code"].source)
            assert sample["solution"][i].source == solution
            assert sample["untouched"][i].source == rel.source
            if ex in wrong:  # exactly one planted mistake, in exactly the chosen exercises
                assert sample["mistakes"][i].source != solution, f"{ex}: mistake not planted"
                first = submissions.apply_mistakes(exercises[ex]["code"].source, ex, mistakes[ex][:1])
                assert sample["mistakes"][i].source == submissions.solution_body(first)
            else:
                assert sample["mistakes"][i].source == solution, f"{ex}: no mistake belongs here"


def test_prune_keeps_what_graded_cells_need_and_nothing_else():
    nb = notebooks.new_notebook([
        notebooks.code("import numpy as np"),
        notebooks.code("FAST = False", tags=["parameters"]),
        notebooks.code("big = np.ones(10 ** 6)  # training no test reads"),
        notebooks.code("scale = 3.0"),
        notebooks.solution("def f(z):\n    ### BEGIN SOLUTION\n    return scale * z\n    ### END SOLUTION", "week01-f"),
        notebooks.code("plot = f(big)"),
        notebooks.tests("assert f(np.array([1.0]))[0] == 3.0", "week01-f", 1),
        notebooks.code("# NBVAL_CHECK_OUTPUT\nprint(np.arange(3))"),
    ])
    pruned, kept, total = submissions.prune(nb)
    assert (kept, total) == (6, 8)
    assert [c.source == submissions.PRUNED for c in pruned.cells] == [False, False, True, False, False, True,
                                                                    False, False]
    assert nb.cells[2].source.startswith("big = "), "prune must not change its input"


DEMO_PAIR = ["week01", "week03"]  # NumPy-only and a TensorFlow week; the first goes through nbgrader's CLI
ROW = re.compile(r"^(sample-[a-z-]+)\s+.*\s(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)\s*$")


def _copy_of_the_course(dest, names):
    """The course's config, sources, releases and mistakes of ``names`` in ``dest`` (the demo
    rewrites release/ where it is stale: never the checkout's own, which the static tier checks)."""
    import shutil

    shutil.copy(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    (dest / "autograder").mkdir()
    for name in names:
        for part in ("source_notebooks", "release"):
            shutil.copytree(ROOT / part / name, dest / part / name)
        (dest / "tests" / "mistakes").mkdir(parents=True, exist_ok=True)
        shutil.copy(MISTAKES_DIR / f"{name}.py", dest / "tests" / "mistakes" / f"{name}.py")
    return dest


@pytest.mark.grading
@pytest.mark.xdist_group("demo")
def test_demo_end_to_end_on_two_real_assignments(tmp_path, capsys):
    root = _copy_of_the_course(tmp_path, DEMO_PAIR)
    assert main(["--root", str(root), "demo", *DEMO_PAIR]) == 0
    out = capsys.readouterr().out
    assert "course release/: already up to date" in out, "release/ is stale: run dls build"
    assert "nbgrader autograde + generate_feedback" in out and f"{DEMO_PAIR[0]} through the nbgrader command line" in out
    assert "2/2 assignments" in out and "ETA" in out
    for name in DEMO_PAIR:
        block = out.split(f"\n{name}\n", 1)[1].split("\n\n", 1)[0]
        totals = {m.group(1): (float(m.group(2)), float(m.group(3)))
                  for m in map(ROW.match, block.splitlines()) if m}
        got, full = totals["sample-solution"]
        assert got == full > 0, f"{name}: the solution must get full marks ({block})"
        assert totals["sample-untouched"][0] == 0, block
        assert 0 < totals["sample-partly-wrong"][0] < full, block
        for student in demo.STUDENTS.values():
            for src in COURSE.source_notebooks(name):
                html = root / ".dls" / "demo" / "feedback" / student / name / f"{src.stem}.html"
                assert html.exists(), html
