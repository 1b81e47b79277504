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
import re
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
# cells that only change global state (seeds, environment, precision policy), binding no name: kept,
# they are cheap and the random streams of the cells after them depend on them
GLOBAL_STATE = re.compile(r"\b(set_seed|set_random_seed|random\.seed|set_global_policy|os\.environ\[|"
                          r"os\.environ\.(update|setdefault)|config\.(set_|enable|disable))")


def cell_needs(src: str) -> tuple[set[str], set[str], bool]:
    """(names a cell binds, names it needs from earlier cells, whether it cannot be analysed).

    Like the static analysis of ``dls grade`` (``grade.names``), but a name the cell itself binds
    unconditionally at top level before it reads it (``rng = ...; f(rng)``) is not a need; names
    read inside functions, classes and comprehensions are needs when they are global there."""
    import ast
    import symtable

    from .grade import names, to_python

    defs, _uses, opaque = names(src)
    if opaque:
        return defs, _uses, True
    code = to_python(src)
    tree = ast.parse(code)
    nested: set[str] = set()

    def scopes(table, top):
        for sym in table.get_symbols():
            if not top and sym.is_referenced() and (sym.is_global() or sym.is_declared_global()):
                nested.add(sym.get_name())
        for child in table.get_children():
            scopes(child, False)

    scopes(symtable.symtable(code, "<cell>", "exec"), True)
    scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)

    def loads(node, out):
        if isinstance(node, scoped):  # only what is evaluated where it is defined; bodies are `nested`
            parts = list(getattr(node, "decorator_list", []))
            if isinstance(node, ast.ClassDef):
                parts += node.bases + [k.value for k in node.keywords]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                parts += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            else:
                parts.append(node.generators[0].iter)
            for part in parts:
                loads(part, out)
            return out
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            out.add(node.id)
        for child in ast.iter_child_nodes(node):
            loads(child, out)
        return out

    bound, needs = set(), set(nested)
    for st in tree.body:
        needs |= loads(st, set()) - bound
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(st.name)
        elif isinstance(st, ast.Assign):
            bound |= {n.id for t in st.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(st, ast.AnnAssign) and st.value is not None and isinstance(st.target, ast.Name):
            bound.add(st.target.id)
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name.split(".")[0]) for a in st.names}
    return defs, needs, False


FILE_LITERAL = re.compile(r"""["']([\w./-]+\.(?:keras|h5|npz|npy|tflite|onnx|json|csv|pkl|pt|txt|weights\.h5))["']""")
FILE = "<file>"  # prefix of the pseudo-names that tie a file's readers to its writers


def _file_links(cells: list[dict], sources: list[str]) -> None:
    """Cells that mention the same data file (a literal like "model.keras", or a name bound to one,
    such as MODEL_PATH) depend on each other: a test that loads a saved model needs the cell that
    trained and saved it, which static name analysis cannot see."""
    paths: dict[str, set[str]] = {}  # NAME -> file literals it is bound to
    for src in sources:
        for line in src.splitlines():
            m = re.match(r"\s*([A-Za-z_]\w*)\s*=.*", line)
            if m and (found := FILE_LITERAL.findall(line)):
                paths.setdefault(m.group(1), set()).update(found)
    for c, src in zip(cells, sources):
        files = set(FILE_LITERAL.findall(src))
        for name in (c["uses"] | c["defs"]) & set(paths):
            files |= paths[name]
        pseudo = {FILE + f for f in files}
        c["defs"] = c["defs"] | pseudo
        c["uses"] = c["uses"] | pseudo


def prune(nb, keep_marked: bool = True) -> tuple[object, int, int]:
    """A copy of ``nb`` in which only the code cells that graded cells need are left to run.

    Kept: every nbgrader solution and grade cell, the ``parameters`` cell, cells that only set global
    state (seeds, environment), (with ``keep_marked``) the cells marked ``# NBVAL_CHECK_OUTPUT``, and
    every cell that binds a name one of those needs, or that mentions the same data file
    (:func:`_file_links`), transitively (:func:`cell_needs`; cells it cannot analyse are kept). Every other code cell's source becomes a one-line comment, so the
    notebook keeps its shape and nbgrader sees the same cells. Returns (notebook, code cells kept,
    code cells in all).
    """
    from .grade import _closure

    nb = copy.deepcopy(nb)
    code, where = [], []
    for j, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {})
        defs, needs, opaque = cell_needs(cell.source)
        root = bool(nbg.get("grade") or nbg.get("solution")) or "parameters" in meta.get("tags", []) \
            or (not defs and bool(GLOBAL_STATE.search(cell.source))) \
            or (keep_marked and cell.source.lstrip().startswith(KEEP_MARK))
        code.append({"defs": defs, "uses": needs, "opaque": opaque, "root": root})
        where.append(j)
    _file_links(code, [nb.cells[j].source for j in where])
    kept = _closure(code, set(), {i for i, c in enumerate(code) if c["root"]})
    for i, j in enumerate(where):
        if i not in kept:
            nb.cells[j].source = PRUNED
    return nb, len(kept), len(code)
