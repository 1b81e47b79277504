"""Notebook structure the course relies on: nbgrader cells, exercises, normalization.

An *exercise* ``weekNN-<topic>`` is one solution cell with grade_id ``weekNN-<topic>-code`` and one
or more locked grade cells with grade_ids ``weekNN-<topic>-tests`` (``-tests-2`` …). Its points are
the sum of its grade cells' points. Authors build cells with :func:`markdown`, :func:`code`,
:func:`solution` and :func:`tests`, so the nbgrader metadata is always well formed.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

SCHEMA_VERSION = 3
EXERCISE_ID = re.compile(r"^(week\d{2}|project\d)-[a-z0-9]+(?:-[a-z0-9]+)*$")
_SUFFIX = re.compile(r"-(code|tests(?:-\d+)?)$")


# ---------------------------------------------------------------------------------------------
# authoring


def markdown(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source.strip("\n"), metadata=meta)


def code(source: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    meta = {"tags": tags} if tags else {}
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=meta)


def solution(source: str, exercise: str) -> nbformat.NotebookNode:
    """The student's answer cell: code between ``### BEGIN SOLUTION`` / ``### END SOLUTION``."""
    _check_exercise_id(exercise)
    if "### BEGIN SOLUTION" not in source:
        raise ValueError(f"{exercise}: a solution cell needs ### BEGIN SOLUTION / ### END SOLUTION")
    cell = code(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                 "grade_id": f"{exercise}-code", "schema_version": SCHEMA_VERSION}
    return cell


def tests(source: str, exercise: str, points: float, part: int = 1) -> nbformat.NotebookNode:
    """A locked, autograded test cell worth ``points`` (hidden tests between HIDDEN TESTS markers)."""
    _check_exercise_id(exercise)
    suffix = "tests" if part == 1 else f"tests-{part}"
    cell = code(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                 "grade_id": f"{exercise}-{suffix}", "schema_version": SCHEMA_VERSION}
    return cell


def answer(source: str, exercise: str, points: float, rubric: str) -> nbformat.NotebookNode:
    """A manually graded written answer (markdown), worth ``points``, graded by a person with ``rubric``.

    The release replaces ``source`` (the instructor's model answer) with nbgrader's "YOUR ANSWER
    HERE"; the rubric is shown to the student in the cell above and to graders in the formgrader.
    Written answers are not autograded, so they are not exercises in the sense of :func:`exercises`.
    Returns ``[rubric_cell, answer_cell]``."""
    _check_exercise_id(exercise)
    if not rubric.strip():
        raise ValueError(f"{exercise}: a manually graded answer needs a rubric")
    head = markdown(f"**Rubric ({points:g} points, graded by hand):**\n\n{rubric.strip()}")
    cell = markdown(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": points,
                                 "grade_id": f"{exercise}-answer", "schema_version": SCHEMA_VERSION}
    return [head, cell]


def manual_answers(nb) -> dict[str, float]:
    """``{grade_id: points}`` of the manually graded written answers (see :func:`answer`)."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown":
            out[meta["grade_id"]] = float(meta.get("points", 0))
    return out


def new_notebook(cells) -> nbformat.NotebookNode:
    flat = []
    for c in cells:  # answer() returns a pair of cells
        flat.extend(c) if isinstance(c, list) else flat.append(c)
    nb = nbformat.v4.new_notebook(cells=flat)
    return normalize(nb)


def _check_exercise_id(exercise: str) -> None:
    if not EXERCISE_ID.match(exercise):
        raise ValueError(f"exercise id {exercise!r} must look like 'week02-backprop-dense'")


# ---------------------------------------------------------------------------------------------
# reading


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, turning any JSON/format problem into a ValueError naming the file."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for bad files
        raise ValueError(f"{path}: not a valid Jupyter notebook ({type(exc).__name__}: {exc})") from exc


def exercise_of(grade_id: str) -> str | None:
    """``week02-backprop-dense-tests-2`` -> ``week02-backprop-dense``; None if not an exercise cell."""
    m = _SUFFIX.search(grade_id or "")
    return grade_id[: m.start()] if m else None


def exercises(nb) -> dict[str, dict]:
    """``{exercise: {"code": cell, "tests": [cells], "points": total}}`` in notebook order."""
    found: dict[str, dict] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        ex = exercise_of(meta.get("grade_id", ""))
        if ex is None:
            continue
        entry = found.setdefault(ex, {"code": None, "tests": [], "points": 0.0})
        if meta.get("solution") and not meta.get("grade"):
            entry["code"] = cell
        elif meta.get("grade"):
            entry["tests"].append(cell)
            entry["points"] += float(meta.get("points", 0))
    return found


# ---------------------------------------------------------------------------------------------
# hygiene


def normalize(nb) -> nbformat.NotebookNode:
    """Strip outputs and execution counts; keep only the metadata the course uses."""
    nb.metadata = nbformat.NotebookNode({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    for cell in nb.cells:
        keep = {k: v for k, v in cell.get("metadata", {}).items() if k in {"nbgrader", "tags"}}
        cell.metadata = nbformat.NotebookNode(keep)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("attachments", None) if cell.cell_type != "markdown" else None
    nbformat.validate(nb)
    return nb


def write(nb, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(normalize(nb), str(path))
