"""Benchmark: mutation analysis of every graded exercise (issue 17, item 4).

    python benchmarks/mutants.py                          # every assignment
    python benchmarks/mutants.py week01 week02 --json mutants.json
    python benchmarks/mutants.py project1 --skip-training  # do not mutate the training-run exercises
    python benchmarks/mutants.py week05 --cap 6 --budget 600 --workers 2
    python benchmarks/mutants.py week01 --list            # print the mutants, grade nothing
    python benchmarks/mutants.py week02 --match "rng.normal(1.0"  # regrade the mutants matching a text
    python benchmarks/mutants.py week01 week02 --sample 3  # a quick check: 3 mutants per assignment

For each exercise, a small AST mutator (Python's ``ast``; mutmut and cosmic-ray mutate files, not
notebook cells) makes *mutants* of the instructor's solution cell: the solution notebook with exactly
one small change inside one exercise's ``### BEGIN SOLUTION`` block. The operators (:data:`OPERATORS`):
an arithmetic or comparison operator swapped, ``and``/``or`` swapped, a unary minus / ``not`` dropped,
an integer constant +-1, an index +-1, another ``axis=``, a term of a sum dropped, two call arguments
(or the operands of ``@``) swapped, a statement removed, a ``training=`` / mask keyword argument
removed, a ``stop_gradient`` call removed, ``True``/``False`` flipped. Deterministic (candidates
sorted by position, ties broken by a generator seeded with the exercise id) and capped per exercise
(``--cap``, default 12), chosen to cover the operators first and spread over the cell.

Each mutant is one "student" of an nbgrader course workspace under /tmp, built and graded the way
``dls demo`` and tests/test_grading.py grade their samples: the release filled with the (mutated)
solution, pruned to the cells graded cells depend on (``submissions.prune``), autograded by
nbgrader's converters in warm kernels (``autograder.demo.grade_and_feedback``), scores read from the
gradebook (``pipeline.read_scores``). The unmutated solution is graded in the same batch as the
baseline. A mutant is *killed* when its exercise scores less than the baseline, *survives* otherwise;
a survivor listed in ``tests/mutants/<assignment>.py`` (``EQUIVALENT = {exercise: {key: reason}}``)
is *equivalent* (behaves like the solution on every valid input); every other survivor is a hole in
the exercise's tests. Prints a table per assignment and a total line; ``--json PATH`` writes them.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograder import notebooks, submissions  # noqa: E402

# in priority order: when an exercise has more candidates than the cap, each operator present gets
# a mutant before any gets a second
OPERATORS = ("arith", "compare", "const", "index", "axis", "drop_term", "swap_args", "remove_stmt",
             "remove_kwarg", "stop_gradient", "boolop", "negate", "bool")
DEFAULT_CAP = 12

_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.BitAnd: ast.BitOr,
          ast.BitOr: ast.BitAnd}
_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_AXIS = {0: 1, 1: 0, -1: 0, 2: 1, -2: -1, 3: 2}
_KWARG = re.compile(r"^(training|mask|use_causal_mask|causal|\w+_mask)$")
# swap_args leaves these alone: swapping changes nothing (commutative), or is a TypeError on every
# input (a value and a type / dtype / shape / pad width): mutants that teach nothing
_NO_SWAP = {"maximum", "minimum", "add", "multiply", "max", "min", "logical_and", "logical_or", "hypot",
            "array_equal", "allclose", "isclose", "cast", "isinstance", "issubclass", "getattr", "hasattr",
            "reshape", "pad", "full", "array", "asarray", "astype", "convert_to_tensor", "constant", "zeros",
            "ones"}
_STMTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.If)
# an exercise whose solution trains a model (projects): --skip-training leaves it unmutated
TRAINING = re.compile(r"\.fit\(|\btrain_\w*\(|\bfor\b.*\bin\b.*\b(EPOCHS|EPISODES|STEPS)\b")


@dataclass(frozen=True)
class Mutant:
    """One mutation of one exercise's solution cell. ``key`` is stable while the code it changes is."""

    assignment: str
    notebook: str
    exercise: str
    op: str
    key: str
    line: int  # line of the change within the cell (1-based)
    source: str  # the whole mutated cell source (solution markers kept)


# ---------------------------------------------------------------------------------------------
# the mutator


def _regions(source: str) -> list[tuple[int, int]]:
    """(begin marker line, end marker line), 1-based, of every solution block of a cell."""
    out, begin = [], None
    for i, line in enumerate(source.split("\n"), 1):
        if line.strip() == submissions.BEGIN:
            begin = i
        elif line.strip() == submissions.END and begin is not None:
            out.append((begin, i))
            begin = None
    return out


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the text whose lines are ``lines``."""
    before = sum(len(x) + 1 for x in lines[:lineno - 1])
    return before + len(lines[lineno - 1].encode()[:col].decode("utf-8", errors="ignore"))


def _replace(source: str, node: ast.AST, text: str) -> str:
    lines = source.split("\n")
    a = _offset(lines, node.lineno, node.col_offset)
    b = _offset(lines, node.end_lineno, node.end_col_offset)
    return source[:a] + text + source[b:]


def _int_value(node, types=(int,)) -> int | None:
    """The value of an integer literal (``3``, ``-1``); with ``types=(int, float)`` also floats."""
    if isinstance(node, ast.Constant) and type(node.value) in types:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) in types:
        return -node.operand.value
    return None


def _int_node(v: float) -> ast.AST:
    return ast.Constant(v) if v >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-v))


def _plus(node: ast.AST, k: int) -> ast.AST:
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _shift_index(sl: ast.AST) -> ast.AST | None:
    """An index expression moved by one, or None (constant indices are the ``const`` operator's)."""
    if isinstance(sl, (ast.Name, ast.Attribute)) or (isinstance(sl, ast.BinOp) and _int_value(sl) is None):
        return _plus(sl, 1)
    if isinstance(sl, ast.Slice):
        new = copy.deepcopy(sl)
        if sl.upper is not None and _int_value(sl.upper) is None:
            new.upper = _plus(sl.upper, -1)
            return new
        if sl.lower is not None and _int_value(sl.lower) is None:
            new.lower = _plus(sl.lower, 1)
            return new
        return None
    if isinstance(sl, ast.Tuple):
        for i, elt in enumerate(sl.elts):
            if not isinstance(elt, ast.Constant) and (moved := _shift_index(elt)) is not None:
                new = copy.deepcopy(sl)
                new.elts[i] = moved
                return new
    return None


def _own_bindings(st: ast.stmt) -> set[str]:
    """Names a statement binds itself (not in the bodies of the compound statements it heads)."""
    if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {st.name}
    if isinstance(st, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in st.names}
    parts = []
    for f in ("targets", "target", "items", "test", "iter", "value"):
        v = getattr(st, f, None)
        parts += v if isinstance(v, list) else [v] if v is not None else []
    return {n.id for p in parts for n in ast.walk(p) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _first_bindings(tree: ast.AST) -> set[int]:
    """ids of Assign statements that only bind names not bound before them in their scope: removing
    one is either a NameError (trivially killed) or dead code, so ``remove_stmt`` skips them."""
    out: set[int] = set()

    def scope(body_owner, bound: set[str]):
        stmts, stack = [], list(ast.iter_child_nodes(body_owner))
        while stack:  # this scope's nodes: not the bodies of nested functions and classes
            node = stack.pop()
            if isinstance(node, ast.stmt):
                stmts.append(node)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.extend(ast.iter_child_nodes(node))
        seen = set(bound)
        for st in sorted(stmts, key=lambda s: (s.lineno, s.col_offset)):
            if isinstance(st, ast.Assign):
                names = [n.id for t in st.targets for n in ast.walk(t) if isinstance(n, ast.Name) and n.id != "_"]
                plain = all(isinstance(t, (ast.Name, ast.Tuple, ast.List)) for t in st.targets)
                if plain and names and not any(n in seen for n in names):
                    out.add(id(st))
            seen |= _own_bindings(st)

    scope(tree, set())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
            params |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
            scope(node, params)
    return out


def _candidates(node: ast.AST, first: set[int], no_const: set[int]):
    """(op, replacement node) pairs for ``node`` itself."""
    if isinstance(node, ast.BinOp):
        if type(node.op) in _ARITH:
            yield "arith", ast.BinOp(node.left, _ARITH[type(node.op)](), node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            yield "drop_term", node.left
        if isinstance(node.op, ast.MatMult):
            yield "swap_args", ast.BinOp(node.right, node.op, node.left)
    elif isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE:
        yield "compare", ast.Compare(node.left, [_COMPARE[type(node.ops[0])](), *node.ops[1:]], node.comparators)
    elif isinstance(node, ast.BoolOp):
        yield "boolop", ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)) and _int_value(node) is None \
            and not (isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))):
        yield "negate", node.operand
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "bool", ast.Constant(not node.value)
    elif isinstance(node, ast.Subscript) and (moved := _shift_index(node.slice)) is not None:
        yield "index", ast.Subscript(node.value, moved, node.ctx)
    elif isinstance(node, ast.Call):
        for i, kw in enumerate(node.keywords):
            if kw.arg == "axis" and (v := _int_value(kw.value)) is not None:
                new = copy.deepcopy(node)
                new.keywords[i].value = _int_node(_AXIS.get(v, 0))
                yield "axis", new
            elif kw.arg and _KWARG.match(kw.arg):
                yield "remove_kwarg", ast.Call(node.func, node.args, node.keywords[:i] + node.keywords[i + 1:])
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "stop_gradient" and len(node.args) == 1:
            yield "stop_gradient", node.args[0]
        pos = node.args
        if len(pos) >= 2 and name not in _NO_SWAP and not any(isinstance(a, ast.Starred) for a in pos[:2]) \
                and ast.dump(pos[0]) != ast.dump(pos[1]):
            yield "swap_args", ast.Call(func, [pos[1], pos[0], *pos[2:]], node.keywords)
    if isinstance(node, _STMTS) and id(node) not in first \
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        yield "remove_stmt", ast.Pass()
    # integer constants (not bools, not the axis= values the axis operator owns)
    v = _int_value(node, (int, float))
    if v is not None and id(node) not in no_const:
        yield "const", _int_node(v + 1 if v <= 0 else v - 1)


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    out = {}
    for parent in ast.walk(tree):
        for fname, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        out[id(child)] = (parent, fname, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, fname, None)
    return out


@contextlib.contextmanager
def _substituted(parents, node, replacement):
    """``node`` replaced by ``replacement`` in its tree inside the block, restored after."""
    parent, fname, i = parents[id(node)]
    if i is None:
        setattr(parent, fname, replacement)
    else:
        getattr(parent, fname)[i] = replacement
    try:
        yield
    finally:
        if i is None:
            setattr(parent, fname, node)
        else:
            getattr(parent, fname)[i] = node


def _expected_dump(tree, parents, node, replacement) -> str:
    """ast.dump of ``tree`` with ``node`` replaced."""
    with _substituted(parents, node, replacement):
        return ast.dump(tree)


def _context(parents, node, replacement, old: str, new: str) -> tuple[str, str]:
    """(old, new) text of the smallest enclosing expression long enough to say where a short
    change (a constant, a flag, a sign) is: ``X[i:i + 1] -> X[i:i + 0]``, not ``1 -> 0``."""
    anc = node
    while len(ast.unparse(anc)) < 16 and id(anc) in parents and not isinstance(anc, ast.stmt) \
            and isinstance(parents[id(anc)][0], (ast.expr, ast.keyword, ast.Assign, ast.AugAssign, ast.AnnAssign,
                                                 ast.Return, ast.Expr)):
        anc = parents[id(anc)][0]
    if anc is node:
        return old, new
    before = ast.unparse(anc)
    with _substituted(parents, node, replacement):
        after = ast.unparse(anc)
    return before, after


def _describe(op: str, old: str, new: str) -> str:
    """A readable, stable key: the changed code before -> after (long texts trimmed to the change)."""
    o, n = " ".join(old.split()), " ".join(new.split())
    if len(o) + len(n) > 100:
        p = 0
        while p < min(len(o), len(n)) and o[p] == n[p]:
            p += 1
        s = 0
        while s < min(len(o), len(n)) - p and o[-1 - s] == n[-1 - s]:
            s += 1
        a = max(0, p - 24)

        def cut(t):
            b = min(len(t), len(t) - s + 24)
            return ("..." if a else "") + t[a:b] + ("..." if b < len(t) else "")

        o, n = cut(o), cut(n)
    key = f"{op}: {o} -> {n}"
    if len(key) > 160:
        key = f"{key[:140]}... #{zlib.crc32(key.encode()):08x}"
    return key


def mutate_cell(source: str, cap: int | None = None, seed: str = "") -> list[tuple[str, str, int, int, str]]:
    """The mutations of one solution cell: (op, key, line, col, mutated source), in source order;
    all of them, or (``cap``) the ones :func:`select` picks. Only nodes wholly inside a solution
    block are mutated, and each mutated source is checked to parse to exactly the intended tree
    (candidates that do not are dropped)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    regions = _regions(source)
    parents = _parents(tree)
    first = _first_bindings(tree)
    skip: set[int] = set()
    no_const: set[int] = set()  # -k is one constant; axis= values are the axis operator's
    for node in ast.walk(tree):  # positions inside f-strings are not reliable before Python 3.12
        if isinstance(node, ast.JoinedStr):
            skip |= {id(n) for n in ast.walk(node)}
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            no_const.add(id(node.operand))
        elif isinstance(node, ast.keyword) and node.arg == "axis":
            no_const |= {id(n) for n in ast.walk(node.value)}
    found, seen_src, keys = [], {source}, {}
    nodes = sorted((n for n in ast.walk(tree) if hasattr(n, "lineno") and id(n) not in skip and id(n) in parents),
                   key=lambda n: (n.lineno, n.col_offset, -n.end_lineno, -n.end_col_offset))
    for node in nodes:
        if not any(b < node.lineno and node.end_lineno < e for b, e in regions):
            continue
        for op, replacement in _candidates(node, first, no_const):
            new_text = ast.unparse(replacement)
            old_text = ast.unparse(node)
            mutated = _replace(source, node, new_text)
            if new_text == old_text or mutated in seen_src:
                continue
            seen_src.add(mutated)
            key = _describe(op, *_context(parents, node, replacement, old_text, new_text))
            keys[key] = keys.get(key, 0) + 1
            if keys[key] > 1:
                key = f"{key} [{keys[key]}]"
            found.append([op, key, node.lineno, node.col_offset, (node, replacement, new_text)])

    def verified(c) -> bool:
        """Replace the pending (node, replacement, text) by the checked mutated source, or False."""
        if isinstance(c[4], str):
            return True
        node, replacement, text = c[4]
        expected = _expected_dump(tree, parents, node, replacement)
        for t in (text, f"({text})"):
            candidate = _replace(source, node, t)
            try:
                if ast.dump(ast.parse(candidate)) == expected:
                    c[4] = candidate
                    return True
            except SyntaxError:
                continue
        return False

    chosen = select(found, cap, seed, verified) if cap is not None else [c for c in found if verified(c)]
    return [tuple(c) for c in chosen]


def select(candidates: list, cap: int, seed: str, ok=lambda c: True) -> list:
    """At most ``cap`` of ``candidates`` (sequences whose [0] is the operator and [2] the line) that
    pass ``ok``: every operator present before any twice, each pick as far (in lines) from the ones
    already chosen as possible, ties broken by ``random.Random(seed)``; returned in source order."""
    rng = random.Random(seed)
    groups = {op: [c for c in candidates if c[0] == op] for op in OPERATORS}
    chosen: list = []
    while len(chosen) < cap and any(groups.values()):
        for op in OPERATORS:
            while groups[op] and len(chosen) < cap:
                dist = [min((abs(c[2] - d[2]) for d in chosen), default=0) for c in groups[op]]
                best = max(dist)
                ties = [c for c, d in zip(groups[op], dist) if d == best]
                pick = ties[0] if len(ties) == 1 else rng.choice(ties)
                groups[op].remove(pick)
                if ok(pick):
                    chosen.append(pick)
                    break
    order = {id(c): i for i, c in enumerate(candidates)}
    return sorted(chosen, key=lambda c: order[id(c)])


def is_training(source: str) -> bool:
    return bool(TRAINING.search(submissions.solution_region(source)))


def mutants(assignment: str, cap: int = DEFAULT_CAP, skip_training: bool = False,
            root: Path = ROOT) -> tuple[list[Mutant], dict[str, str]]:
    """The mutants of one assignment, and {exercise: why it has none} for exercises left out."""
    out, skipped = [], {}
    for path in sorted((root / "source_notebooks" / assignment).glob("*.ipynb")):
        nb = notebooks.read(path)
        for ex, entry in notebooks.exercises(nb).items():
            if entry["code"] is None:
                skipped[ex] = "no solution cell"
                continue
            src = entry["code"].source
            if skip_training and is_training(src):
                skipped[ex] = "training run (--skip-training)"
                continue
            found = mutate_cell(src, cap, seed=ex)
            if not found:
                skipped[ex] = "no mutable code"
            out += [Mutant(assignment, path.name, ex, op, key, line, mutated)
                    for op, key, line, _col, mutated in found]
    return out, skipped


def sample(ms: list[Mutant], n: int) -> list[Mutant]:
    """``n`` of ``ms``: the first mutant of every exercise, then the second, ... (source order kept)."""
    per: dict[str, list[Mutant]] = {}
    for m in ms:
        per.setdefault(m.exercise, []).append(m)
    picked: list[Mutant] = []
    depth = 0
    while len(picked) < min(n, len(ms)):
        picked += [lst[depth] for lst in per.values() if len(lst) > depth][: n - len(picked)]
        depth += 1
    keep = set(map(id, picked))
    return [m for m in ms if id(m) in keep]


def load_equivalent(assignment: str, root: Path = ROOT) -> dict[str, dict[str, str]]:
    """``EQUIVALENT`` from tests/mutants/<assignment>.py: {exercise: {mutant key: reason}}."""
    import runpy

    path = root / "tests" / "mutants" / f"{assignment}.py"
    if not path.exists():
        return {}
    data = runpy.run_path(str(path)).get("EQUIVALENT", {})
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: must define EQUIVALENT = {{exercise: {{mutant key: reason}}}}")
    return data


# ---------------------------------------------------------------------------------------------
# grading


@dataclass
class Result:
    mutant: Mutant
    status: str  # killed | survived | equivalent | not graded (why) | not run
    score: float | None = None
    full: float | None = None
    others: list[str] = field(default_factory=list)  # other exercises that lost points too
    note: str = ""


def _with_mutation(source_nb, m: Mutant):
    nb = copy.deepcopy(source_nb)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if notebooks.exercise_of(gid) == m.exercise and cell.metadata["nbgrader"].get("solution"):
            cell.source = m.source
    return nb


def grade_batch(assignment: str, batch: list[Mutant], scratch: str, cell_timeout: int,
                deadline: float | None) -> tuple[dict, list[tuple[str, dict, str]], str]:
    """Grade ``batch`` (plus the unmodified solution) in a fresh workspace under ``scratch``.
    Returns (baseline scores, [(mutant key, scores or {}, failure)], note)."""
    from autograder import demo, pipeline

    course = pipeline.Course(ROOT)
    ws = pipeline.workspace(course, Path(scratch), [assignment])
    with open(ws.root / "nbgrader_config.py", "a") as f:  # a mutant may loop forever: do not wait 600 s
        f.write(f"\nc.ExecutePreprocessor.timeout = {cell_timeout}\nc.Execute.timeout = {cell_timeout}\n")
    pipeline.generate_release(ws, assignment)
    sources = {p.name: notebooks.read(p) for p in sorted((ws.source / assignment).glob("*.ipynb"))}
    releases = {n: notebooks.read(ws.release / assignment / n) for n in sources}

    def submit(student, per_notebook):
        for name, nb in per_notebook.items():
            filled = submissions.fill(releases[name], nb)
            pruned, _kept, _all = submissions.prune(filled, keep_marked=False)
            notebooks.write(pruned, ws.submitted / student / assignment / name)

    submit("baseline", sources)
    students = {}
    for i, m in enumerate(batch):
        student = f"mutant{i:03d}"
        submit(student, {m.notebook: _with_mutation(sources[m.notebook], m)})
        students[student] = m
    order = ["baseline", *students]
    graded, failed = [], {}
    # chunks, so that a time budget can stop between them
    step = 8
    for k in range(0, len(order), step):
        if deadline is not None and time.time() > deadline and k > 0:
            break
        chunk = order[k:k + step]
        res = demo.grade_and_feedback(str(ws.root), assignment, chunk, feedback=False,
                                      log_file=str(Path(scratch) / "kernels.log"))
        failed.update(res.failed)
        graded += chunk
    table = pipeline.read_scores(ws, assignment, graded, failed)
    base = table.scores.get("baseline", {})
    out = []
    for student, m in students.items():
        if student not in graded:
            out.append((m.key, None, "not run (time budget)"))
        elif student in table.failed:
            out.append((m.key, {}, table.failed[student]))
        else:
            out.append((m.key, table.scores[student], ""))
    if "baseline" in table.failed:
        note = f"baseline not graded: {table.failed['baseline']}"
    else:
        short = [f"{ex} {base.get(ex, 0):g}/{mx:g}" for ex, mx in table.exercises.items() if base.get(ex, 0) < mx]
        note = f"the unmutated solution lost points: {', '.join(short)}" if short else ""
    return base, out, note


def _grade_task(args):
    assignment, batch, scratch, cell_timeout, deadline, env = args
    os.environ.update(env)
    t0 = time.time()
    try:
        return assignment, grade_batch(assignment, batch, scratch, cell_timeout, deadline), time.time() - t0
    except Exception as exc:  # noqa: BLE001 - one broken batch never stops the benchmark
        return assignment, ({}, [(m.key, None, f"batch failed: {type(exc).__name__}: {exc}") for m in batch],
                            f"batch failed: {type(exc).__name__}: {exc}"), time.time() - t0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def classify(m: Mutant, base: dict, scores: dict | None, failure: str, equivalent: dict) -> Result:
    listed = equivalent.get(m.exercise, {}).get(m.key)
    if scores is None:
        return Result(m, "not run", note=failure)
    if failure:  # nbgrader could not grade it at all: the exercise got nothing
        return Result(m, "killed", 0.0, base.get(m.exercise), note=f"not graded: {failure[:200]}")
    full, score = base.get(m.exercise), scores.get(m.exercise, 0.0)
    others = [ex for ex, s in scores.items() if ex != m.exercise and s < base.get(ex, 0.0)
              and ex in base and _same_notebook(ex, m)]
    if full is None:
        return Result(m, "not run", note="baseline not graded")
    if score < full:
        return Result(m, "killed", score, full, others,
                      note="listed as equivalent but killed: remove it from the file" if listed else "")
    if listed:
        return Result(m, "equivalent", score, full, others, note=listed)
    return Result(m, "survived", score, full, others)


_NOTEBOOK_OF: dict[str, str] = {}


def _same_notebook(ex: str, m: Mutant) -> bool:
    return _NOTEBOOK_OF.get(ex, m.notebook) == m.notebook


# ---------------------------------------------------------------------------------------------
# reporting


def summarize(results: list[Result], exercises: list[str]) -> dict[str, dict]:
    rows = {ex: {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "not_run": 0} for ex in exercises}
    for r in results:
        row = rows.setdefault(r.mutant.exercise, {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0,
                                                  "not_run": 0})
        row["mutants"] += 1
        row["not_run" if r.status == "not run" else r.status] += 1
    return rows


def pct(row: dict) -> str:
    live = row["killed"] + row["survived"]
    return f"{100 * row['killed'] / live:.0f}%" if live else "-"


def render(assignment: str, rows: dict, skipped: dict, results: list[Result], seconds: float) -> str:
    head = f"{'exercise':<32}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv':>7}{'killed%':>9}"
    lines = [f"== {assignment}  ({seconds:.0f} s)", head, "-" * len(head)]
    total = {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "not_run": 0}
    for ex, row in rows.items():
        if ex in skipped and not row["mutants"]:
            lines.append(f"{ex:<32}  skipped: {skipped[ex]}")
            continue
        extra = f"  ({row['not_run']} not run)" if row["not_run"] else ""
        lines.append(f"{ex:<32}{row['mutants']:>8}{row['killed']:>8}{row['survived']:>9}{row['equivalent']:>7}"
                     f"{pct(row):>9}{extra}")
        for k in total:
            total[k] += row[k]
    lines.append(f"{'total ' + assignment:<32}{total['mutants']:>8}{total['killed']:>8}{total['survived']:>9}"
                 f"{total['equivalent']:>7}{pct(total):>9}")
    for r in results:
        if r.status == "survived":
            lines.append(f"  SURVIVED {r.mutant.exercise}  {r.mutant.key!r}")
        elif r.note and r.status != "equivalent":
            lines.append(f"  note {r.mutant.exercise}  {r.mutant.key!r}: {r.note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("assignments", nargs="*", help="default: every assignment")
    ap.add_argument("--cap", type=int, default=DEFAULT_CAP, help=f"mutants per exercise (default {DEFAULT_CAP})")
    ap.add_argument("--skip-training", action="store_true",
                    help="do not mutate exercises whose solution trains a model (project training runs)")
    ap.add_argument("--workers", type=int, default=2, help="batches graded at once (default 2)")
    ap.add_argument("--batch", type=int, default=40, help="mutants per workspace (default 40)")
    ap.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (default 60)")
    ap.add_argument("--budget", type=float, default=None, help="stop starting new chunks after this many seconds")
    ap.add_argument("--json", type=Path, default=None, help="write the tables and every mutant's result here")
    ap.add_argument("--sample", type=int, default=None,
                    help="only N mutants per assignment, taken round-robin over its exercises (a quick check)")
    ap.add_argument("--match", default=None,
                    help="only the mutants whose exercise id or key contains this text (recheck one survivor)")
    ap.add_argument("--list", action="store_true", help="print the mutants and exit (grades nothing)")
    args = ap.parse_args(argv)

    from autograder import pipeline

    course = pipeline.Course(ROOT)
    names = course.resolve(args.assignments or None)
    plan, skipped_all, exercises = {}, {}, {}
    for a in names:
        plan[a], skipped_all[a] = mutants(a, args.cap, args.skip_training)
        if args.sample is not None:
            plan[a] = sample(plan[a], args.sample)
        if args.match:
            plan[a] = [m for m in plan[a] if args.match in m.exercise or args.match in m.key]
        exercises[a] = []
        for p in course.source_notebooks(a):
            for ex in notebooks.exercises(notebooks.read(p)):
                exercises[a].append(ex)
                _NOTEBOOK_OF[ex] = p.name
    if args.list:
        for a in names:
            for m in plan[a]:
                print(f"{a}  {m.exercise}  L{m.line}  {m.key}")
            for ex, why in skipped_all[a].items():
                print(f"{a}  {ex}  skipped: {why}")
        print(f"{sum(len(v) for v in plan.values())} mutants")
        return 0

    t0 = time.time()
    deadline = t0 + args.budget if args.budget else None
    scratch = Path(tempfile.mkdtemp(prefix="dls-mutants-"))
    env = {"KERAS_HOME": os.environ.get("KERAS_HOME") or str(scratch / "keras"),
           "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR") or str(scratch / "mpl"), "COURSE_FAST": "1"}
    os.environ.update(env)
    tasks = []
    for a in names:
        ms = plan[a]
        for k in range(0, len(ms), args.batch):
            tasks.append((a, ms[k:k + args.batch], str(scratch / f"{a}-{k // args.batch}"), args.cell_timeout,
                          deadline, env))
    print(f"{sum(len(v) for v in plan.values())} mutants in {len(names)} assignment(s), {len(tasks)} batch(es), "
          f"{args.workers} worker(s); workspaces under {scratch}", flush=True)
    by_assignment: dict[str, list] = {a: [] for a in names}
    seconds: dict[str, float] = {a: 0.0 for a in names}
    notes: dict[str, list[str]] = {a: [] for a in names}
    import multiprocessing

    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        started = {}
        futures = []
        for task in tasks:
            futures.append(pool.submit(_grade_task, task))
            started[len(futures) - 1] = task
        for i, fut in enumerate(futures):
            a, (base, results, note), took = fut.result()
            seconds[a] += took
            by_assignment[a].append((started[i][1], base, results))
            if note:
                notes[a].append(note)
            print(f"  {a}: batch of {len(started[i][1])} graded ({time.time() - t0:.0f} s elapsed)", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    report, total = {}, {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "not_run": 0}
    out_lines, summary = [], []
    for a in names:
        equivalent = load_equivalent(a)
        results = []
        for batch, base, graded in by_assignment[a]:
            for m, (key, scores, failure) in zip(batch, graded):  # in batch order
                assert key == m.key
                results.append(classify(m, base, scores, failure, equivalent))
        rows = summarize(results, exercises[a])
        mine = {k: sum(row[k] for row in rows.values()) for k in total}
        for k in total:
            total[k] += mine[k]
        summary.append((a, mine, seconds[a]))
        text = render(a, rows, skipped_all[a], results, seconds[a])
        text += "".join(f"\n  NOTE {n}" for n in notes[a])
        out_lines.append(text)
        print(text + "\n", flush=True)
        report[a] = {"exercises": rows, "skipped": skipped_all[a],
                     "mutants": [{**asdict(r), "mutant": {k: v for k, v in asdict(r.mutant).items() if k != "source"}}
                                 for r in results]}
    wall = time.time() - t0
    head = f"{'assignment':<12}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv':>7}{'killed%':>9}{'seconds':>9}"
    print("== summary (killed% = killed / (mutants - equivalent))\n" + head + "\n" + "-" * len(head))
    for a, mine, secs in summary:
        extra = f"  ({mine['not_run']} not run)" if mine["not_run"] else ""
        print(f"{a:<12}{mine['mutants']:>8}{mine['killed']:>8}{mine['survived']:>9}{mine['equivalent']:>7}"
              f"{pct(mine):>9}{secs:>9.0f}{extra}")
    line = (f"TOTAL {len(names)} assignment(s): {total['mutants']} mutants, {total['killed']} killed, "
            f"{total['survived']} survived, {total['equivalent']} equivalent"
            + (f", {total['not_run']} not run" if total["not_run"] else "")
            + f"; {pct(total)} of non-equivalent killed; wall {wall:.0f} s")
    print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"command": " ".join(sys.argv), "wall_seconds": round(wall, 1),
                                         "total": total, "assignments": report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
