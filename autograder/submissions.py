"""Sample submissions built from the course's own notebooks.

- ``solution``: the student release with every answer cell filled in with the instructor's code;
- ``untouched``: the student release as handed out;
- ``mistakes-<r>``: the solution with the r-th planted plausible mistake of every exercise
  (``tests/mistakes/<assignment>.py``) applied, so grading rounds 1..R proves each mistake alone;
- ``mistakes``: the first planted mistake of each exercise in ``only=`` (all exercises when ``only`` is
  None): the demo's "partly wrong" student. One mistake per exercise, so mistakes written against
  the solution text can never overlap.

The tests use these to prove every exercise discriminates; ``dls demo`` grades them.

:func:`prune` keeps only the code cells graded cells depend on (the rest become a one-line comment),
so that ``nbgrader autograde`` grades a sample without re-running data loading, training and
figures that no test reads: what ``dls demo`` and the grading tier of the tests execute.
"""

from __future__ import annotations

import copy
import runpy
from pathlib import Path

import nbformat

from . import notebooks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def solution_body(source: str) -> str:
    """The instructor's answer with the nbgrader markers removed (what a student would type)."""
    lines = [ln for ln in source.splitlines() if ln.strip() not in {BEGIN, END}]
    return "\n".join(lines)


def solution_spans(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the text inside every BEGIN/END SOLUTION block of a cell."""
    spans, pos = [], 0
    while (start := source.find(BEGIN, pos)) >= 0:
        end = source.find(END, start)
        if end < 0:
            raise ValueError("### BEGIN SOLUTION without ### END SOLUTION")
        spans.append((start + len(BEGIN), end))
        pos = end + len(END)
    if not spans:
        raise ValueError("solution cell without ### BEGIN SOLUTION / ### END SOLUTION")
    return spans


def solution_region(source: str) -> str:
    """The text of all solution blocks of a cell, joined (where planted mistakes must be found)."""
    return "\n".join(source[a:b] for a, b in solution_spans(source))


def load_mistakes(path: str | Path) -> dict[str, list[tuple[str, str, str]]]:
    """``MISTAKES`` from a mistakes file: ``{exercise: [(old, new, why), ...]}``."""
    path = Path(path)
    if not path.exists():
        return {}
    data = runpy.run_path(str(path)).get("MISTAKES")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must define MISTAKES = {{exercise: [(old, new, why), ...]}}")
    return data


def apply_mistakes(source: str, exercise: str, mistakes: list[tuple[str, str, str]]) -> str:
    """Apply each (old -> new) inside the solution blocks of one exercise's cell.

    ``old`` must occur exactly once across all solution blocks, so a mistake is never ambiguous.
    """
    for old, new, _why in mistakes:
        spans = solution_spans(source)
        hits = [(a, b) for a, b in spans if old in source[a:b]]
        count = sum(source[a:b].count(old) for a, b in spans)
        if count != 1:
            raise ValueError(f"{exercise}: planted mistake text {old!r} occurs {count} times in the "
                             "solution (needs exactly 1)")
        a, b = hits[0]
        source = source[:a] + source[a:b].replace(old, new) + source[b:]
    return source


def fill(release_nb, source_nb, mistakes: dict | None = None, only: set[str] | None = None):
    """A copy of ``release_nb`` with answer cells taken from ``source_nb`` (mistakes applied)."""
    answers = {ex: entry["code"].source for ex, entry in notebooks.exercises(source_nb).items()
               if entry["code"] is not None}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        ex = notebooks.exercise_of(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        if ex is None or not cell.metadata["nbgrader"].get("solution"):
            continue
        src = answers[ex]
        if mistakes and ex in mistakes and (only is None or ex in only):
            src = apply_mistakes(src, ex, mistakes[ex])
        cell.source = solution_body(src)
    return nb


def mistake_rounds(mistakes: dict) -> int:
    """How many ``mistakes-<r>`` submissions it takes to plant every mistake once."""
    return max((len(m) for m in mistakes.values()), default=0)


def round_of(mistakes: dict, r: int) -> dict:
    """The r-th (1-based) planted mistake of every exercise that has one."""
    return {ex: [m[r - 1]] for ex, m in mistakes.items() if len(m) >= r}


def write_samples(course_root: Path, assignment: str, dest: Path, mistakes_dir: Path,
                  kinds=("solution", "untouched", "mistakes"), only: set[str] | None = None) -> dict[str, Path]:
    """Write ``dest/<kind>/<assignment>/<nb>.ipynb`` for each kind; returns {kind: folder}."""
    course_root, dest = Path(course_root), Path(dest)
    mistakes = load_mistakes(Path(mistakes_dir) / f"{assignment}.py")
    out = {}
    for src_path in sorted((course_root / "source_notebooks" / assignment).glob("*.ipynb")):
        rel_path = course_root / "release" / assignment / src_path.name
        source_nb, release_nb = notebooks.read(src_path), notebooks.read(rel_path)
        for kind in kinds:
            if kind == "untouched":
                nb = release_nb
            elif kind == "solution":
                nb = fill(release_nb, source_nb)
            elif kind == "mistakes":
                nb = fill(release_nb, source_nb, round_of(mistakes, 1), only)
            elif kind.startswith("mistakes-"):
                nb = fill(release_nb, source_nb, round_of(mistakes, int(kind.split("-")[1])))
            else:
                raise ValueError(f"unknown sample kind {kind!r}")
            folder = dest / kind / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(folder / src_path.name))
            out[kind] = dest / kind
    return out


PRUNED = "# (not executed when grading the samples: no graded cell depends on this cell)"
KEEP_MARK = "# NBVAL_CHECK_OUTPUT"  # seeded cells whose output two executions must reproduce


def prune(nb, keep_marked: bool = True) -> tuple[object, int, int]:
    """A copy of ``nb`` in which only the code cells that graded cells need are left to run.

    Kept: every nbgrader solution and grade cell, the ``parameters`` cell, (with ``keep_marked``)
    the cells marked ``# NBVAL_CHECK_OUTPUT``, and every cell that binds a name one of those reads,
    transitively (the static name analysis of ``dls grade``; cells it cannot analyse are kept).
    Every other code cell's source becomes a one-line comment, so the notebook keeps its shape and
    nbgrader sees the same cells. Returns (notebook, code cells kept, code cells in all).
    """
    from .grade import _closure, names

    nb = copy.deepcopy(nb)
    code, where = [], []
    for j, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {})
        root = bool(nbg.get("grade") or nbg.get("solution")) or "parameters" in meta.get("tags", []) \
            or (keep_marked and cell.source.lstrip().startswith(KEEP_MARK))
        defs, uses, opaque = names(cell.source)
        code.append({"defs": defs, "uses": uses, "opaque": opaque, "root": root})
        where.append(j)
    kept = _closure(code, set(), {i for i, c in enumerate(code) if c["root"]})
    for i, j in enumerate(where):
        if i not in kept:
            nb.cells[j].source = PRUNED
    return nb, len(kept), len(code)
