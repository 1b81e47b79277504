"""``dls grade``: sandboxed, parallel, resumable autograding with trusted scoring.

How a submission is graded (``grade_one``, one submission in, one plain-data result out):

1. *Trusted, outside*: the submission's JSON is parsed defensively. Only the student's **solution
   cells** (matched to the instructor's by nbgrader ``grade_id``) and the plain cells they need
   (static name analysis) are taken from it. Test cells, their source, points, metadata and order come
   from the instructor's notebook, never from the submission.
2. *Untrusted, inside a sandbox* (``sandbox.py``: bubblewrap, user nobody, no network, watchdog): a
   fresh Python runs those cells (``probe.py``). It never receives test code, hidden tests, expected
   values or solutions.
3. *Trusted, outside*: the instructor's test cells (visible and hidden parts) run in the grader's own
   process. Every name a test takes from the student (``softmax_cross_entropy``, ...) is a proxy: a call
   sends its arguments to the sandbox as plain data, the student's function runs there, and its return
   value comes back as plain data (JSON + npz, ``allow_pickle=False``): arrays, numbers, strings,
   tuples, lists, dicts, random-generator states, Keras models rebuilt from a whitelisted config and
   weights. The checks (``course.checks``) and the expected values (TensorFlow, finite differences,
   ...) therefore run where student code cannot reach: nothing it monkeypatches, spoofs (``__eq__``)
   or writes reaches a score. A test cell scores its points when it runs to the end without an error.
4. *Trusted, parent*: scores go into nbgrader's gradebook (``auto_score`` of each grade cell), an
   ``autograded/`` notebook is written from the *release* notebook (no hidden tests) with the
   student's answers and each test's verdict, and a result JSON (atomic) marks the student done.

Across the boundary, beyond plain data: an eager ``tf.Tensor`` crosses as a tensor both ways (its
values and dtype, rebuilt with ``tf.constant``); a student's exception is re-raised in the trusted test
as the built-in class it is or derives from, with the student's message and (plain) arguments
(``student_exception``: only classes of ``builtins`` are ever built, so ``except ValueError`` fires as
in one kernel); ``np.errstate`` the test set up is applied around the student's call in the sandbox.

*Sandbox fallback* (``calibrate``): once per assignment (cached under ``.dls/calibration/``), the
instructor's solution (the source notebooks) is graded on the trusted path. A test it fails there
(it passes a Python function, a Keras model, a ``tf.data`` dataset ... to the student's code, or opens
a file the student's training writes) is graded *inside* the sandbox instead: after the student's
cells plus the cells that test reads and those writing the files it opens (``submissions._file_links``),
the test cell runs there as nbgrader's kernel would run it, and scores when it runs without an error.
Each result says so per exercise. The choice depends only on the instructor's notebooks, never on a
submission, so no student can opt out of trusted scoring; for those tests, as under stock nbgrader,
the score relies on the student's own process (and the test code, hidden parts included, is sent
into the sandbox).

*The course's own answers* (``twins.py``): ``course/`` ships working versions of some exercises for the
lessons that build on them (``course.nn`` after Week 1). The sandbox grading assignment X has the twins
of X's exercises replaced by blockers that raise when the student's code calls them (directly or through
its own ``def``); the course package still calls them, the code of the instructor's unchanged cells and
of the tests graded in the sandbox reads them as the real functions (a student's own binding of a twin
stays blocked), and the trusted test process is never touched.

Cells no graded cell depends on (data loading, training, plots) are never executed: that, and one
sandbox per submission instead of a Jupyter kernel, is where the speed comes from.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import io
import json
import os
import shutil
import socket
import symtable
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from . import notebooks, plaindata, twins
from .sandbox import CallTimeout, Limits, Sandbox, SandboxDied

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
RESULTS_VERSION = 1
HIDDEN_FAILED = ("a hidden test failed: hidden tests call your code on other inputs "
                 "(other shapes, seeds, edge cases) than the visible ones")


# ---------------------------------------------------------------------------------------------
# static analysis of cells


def to_python(src: str) -> str:
    """IPython cell syntax (magics, !shell) -> plain Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(src)


def names(src: str) -> tuple[set[str], set[str], bool]:
    """(top-level names a cell binds, names it reads anywhere, whether it is opaque: star imports,
    syntax errors). Used only to decide which cells to execute, never for scoring."""
    try:
        tree = ast.parse(to_python(src))
    except (SyntaxError, ValueError):
        return set(), set(), True
    defs, uses, opaque = set(), set(), False

    def bind(target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                defs.add(node.id)

    def top(stmts):
        nonlocal opaque
        for st in stmts:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs.add(st.name)
            elif isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for t in (st.targets if isinstance(st, ast.Assign) else [st.target]):
                    bind(t)
            elif isinstance(st, (ast.Import, ast.ImportFrom)):
                for alias in st.names:
                    if alias.name == "*":
                        opaque = True
                    defs.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(st, (ast.For, ast.AsyncFor)):
                bind(st.target)
                top(st.body + st.orelse)
            elif isinstance(st, (ast.With, ast.AsyncWith)):
                for item in st.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars)
                top(st.body)
            elif isinstance(st, (ast.If, ast.While)):
                top(st.body + st.orelse)
            elif isinstance(st, ast.Try):
                top(st.body + st.orelse + st.finalbody)
                for h in st.handlers:
                    if h.name:
                        defs.add(h.name)
                    top(h.body)
        for node in ast.walk(ast.Module(body=list(stmts), type_ignores=[])):
            if isinstance(node, ast.NamedExpr):
                bind(node.target)

    top(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "exec", "eval", "globals", "__import__"):
            opaque = True
    try:  # free names only: a function's locals are not needs
        table = symtable.symtable(to_python(src), "<cell>", "exec")
    except (SyntaxError, ValueError):
        return defs, uses, True

    def walk(t, top_level):
        for sym in t.get_symbols():
            if not sym.is_referenced():
                continue
            if top_level or sym.is_global() or sym.is_declared_global():
                uses.add(sym.get_name())
        for child in t.get_children():
            walk(child, False)

    walk(table, True)
    return defs, uses, opaque


def split_hidden(src: str) -> list[tuple[bool, str]]:
    """A test cell as [(hidden, code), ...] in execution order."""
    out, rest = [], src
    while HIDDEN_BEGIN in rest:
        before, rest = rest.split(HIDDEN_BEGIN, 1)
        hidden, _, rest = rest.partition(HIDDEN_END)
        out += [(False, before), (True, hidden)]
    out.append((False, rest))
    return [(h, c) for h, c in out if c.strip()]


def _closure(cells: list[dict], roots: set[str], include: set[int]) -> set[int]:
    """Indices of ``cells`` to execute: ``include`` plus every cell that binds a needed name."""
    needed = set(roots)
    for i in include:
        needed |= cells[i]["uses"]
    changed = True
    while changed:
        changed = False
        for i, c in enumerate(cells):
            if i not in include and (c["defs"] & needed or c["opaque"]):
                include.add(i)
                needed |= c["uses"]
                changed = True
    return include


# ---------------------------------------------------------------------------------------------
# the assignment reference (trusted, plain data, computed once per assignment)


def _nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def _source(cell) -> str:
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def build_reference(course, assignment: str) -> dict:
    """Everything the grader needs from the instructor, as plain data (shippable to any worker)."""
    out = {"assignment": assignment, "notebooks": {}, "twins": twins.blocked(assignment)}
    h = hashlib.sha256()
    for path in (Path(__file__).parent / "grade.py", Path(__file__).parent / "probe.py",
                 Path(__file__).parent / "twins.py"):
        h.update(path.read_bytes())
    for path in course.source_notebooks(assignment):
        h.update(path.read_bytes())
        nb = notebooks.read(path)
        release_path = course.release / assignment / path.name
        release = notebooks.read(release_path) if release_path.exists() else None
        plain, solutions, tests = [], [], []
        for cell in nb.cells:
            meta = _nbgrader_meta(cell)
            if cell.cell_type != "code":
                continue
            if meta.get("grade") and not meta.get("solution"):
                tests.append({"grade_id": meta["grade_id"], "points": float(meta.get("points", 0)),
                              "source": cell.source})
            elif meta.get("solution"):
                solutions.append({"grade_id": meta["grade_id"], "source": cell.source})
            else:
                d, u, o = names(cell.source)
                plain.append({"source": cell.source, "defs": d, "uses": u, "opaque": o})
        exports, callables = set(), set()
        for s in solutions:
            d, _, _ = names(s["source"])
            exports |= d
            tree = ast.parse(to_python(s["source"]))
            callables |= {st.name for st in tree.body if isinstance(st, (ast.FunctionDef, ast.ClassDef))}
        test_uses = set()
        for t in tests:
            test_uses |= names(t["source"])[1]
        # trusted helper cells the tests need (imports, mlp_forward ...): instructor code, never the student's
        deps = sorted(_closure(plain, test_uses - exports, set()))
        dynamic, bound = [], set(exports)
        for i in deps:  # cells that touch student names must run per submission, with the proxies
            if plain[i]["uses"] & bound:
                dynamic.append(i)
                bound |= plain[i]["defs"]
        out["notebooks"][path.stem] = {
            "file": path.name,
            "instructor_cells": sorted({_digest(p["source"]) for p in plain}),
            "solution_ids": [s["grade_id"] for s in solutions],
            "tests": tests,
            "exports": sorted(exports),
            "callables": sorted(callables),
            "static_cells": [plain[i]["source"] for i in deps if i not in dynamic],
            "dynamic_cells": [plain[i]["source"] for i in dynamic],
            "release": nbformat_dumps(release) if release is not None else None,
            "kernel_tests": {},  # grade_id -> why: graded inside the sandbox (set by ``calibrate``)
        }
    out["hash"] = h.hexdigest()
    return out


def _digest(src: str) -> str:
    return hashlib.sha256(src.strip().encode()).hexdigest()


def preload_modules(sources: list[str]) -> list[str]:
    """Installed libraries the planned cells import (absolute imports only), to import in the sandbox
    before the clock of any student cell starts. Only names that resolve to an installed package
    outside the submission are kept (a student's own module is never preloaded)."""
    import importlib.util

    mods: list[str] = []
    for src in sources:
        try:
            tree = ast.parse(to_python(src))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            found = []
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = [node.module] + [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
            for name in found:
                top = name.split(".")[0]
                if name in mods or top in ("os", "sys", "subprocess", "ctypes", "signal", "socket"):
                    continue
                try:
                    spec = importlib.util.find_spec(top)
                except (ImportError, ValueError):
                    spec = None
                origin = getattr(spec, "origin", None) or ""
                if spec is not None and (origin in ("built-in", "frozen") or origin.startswith(
                        (sys.base_prefix, sys.prefix, str(Path(__file__).resolve().parents[1] / "course")))):
                    mods.append(name)
    return mods[:50]


def nbformat_dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb)


# ---------------------------------------------------------------------------------------------
# what runs in the sandbox


def read_submission(path: Path) -> tuple[list | None, str | None]:
    """The cells of a submitted notebook, or (None, why it cannot be read)."""
    try:
        raw = path.read_bytes()
        if len(raw) > 64 << 20:
            return None, f"{path.name}: {len(raw) >> 20} MiB is not a notebook we will parse"
        nb = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"{path.name} is not valid notebook JSON ({type(exc).__name__}: {str(exc)[:200]})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, f"{path.name} is JSON but not a Jupyter notebook (no list of cells)"
    if nb.get("nbformat") != 4:
        return None, f"{path.name}: nbformat {nb.get('nbformat')!r} is not 4"
    return [c for c in nb["cells"] if isinstance(c, dict)], None


def plan(cells: list, nbref: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """The student cells to execute, [(label, source, unchanged instructor cell)], and notes on what was ignored or changed."""
    notes = []
    sol_ids = set(nbref["solution_ids"])
    tests = {t["grade_id"]: t for t in nbref["tests"]}
    seen_tests: dict[str, int] = {}
    seen_sol: dict[str, int] = {}
    candidates = []
    release_tests = _release_test_sources(nbref)
    for n, cell in enumerate(cells, 1):
        meta = _nbgrader_meta(cell)
        gid = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        ctype = cell.get("cell_type")
        src = _source(cell)
        if gid in tests:
            seen_tests[gid] = seen_tests.get(gid, 0) + 1
            if ctype != "code" or release_tests.get(gid, src).strip() != src.strip():
                notes.append(f"test cell {gid} was edited in the submission: the instructor's version is graded")
            continue
        if meta.get("grade") and not meta.get("solution"):
            notes.append(f"cell {n} claims to be a test cell ({gid!r}): not executed, not graded")
            continue
        if gid in sol_ids:
            seen_sol[gid] = seen_sol.get(gid, 0) + 1
            if ctype != "code":  # an accidental "m" in Jupyter: restored, as nbgrader's autograde does
                notes.append(f"solution cell {gid} was turned into a {ctype} cell: run as code again")
                ctype = "code"
        if ctype != "code" or not src.strip():
            continue
        d, u, o = names(src)
        candidates.append({"label": f"cell {n}" + (f" ({gid})" if gid else ""), "source": src, "defs": d, "uses": u,
                           "opaque": o, "solution": gid in sol_ids})
    for gid in tests:
        if gid not in seen_tests:
            notes.append(f"test cell {gid} is missing from the submission: the instructor's version is graded")
        elif seen_tests[gid] > 1:
            notes.append(f"test cell {gid} appears {seen_tests[gid]} times: graded once, from the instructor's copy")
    for gid in sol_ids:
        if gid not in seen_sol:
            notes.append(f"solution cell {gid} is missing: looking for its functions in the other cells")
        elif seen_sol[gid] > 1:
            notes.append(f"solution cell {gid} appears {seen_sol[gid]} times: all copies run, in notebook order")
    roots = {i for i, c in enumerate(candidates) if c["solution"]}
    kernel = [t for t in nbref["tests"] if t["grade_id"] in nbref.get("kernel_tests", {})]
    if kernel:  # tests graded inside the sandbox: the cells they read, and those writing files they open
        from .submissions import _file_links

        extra = []
        for t in kernel:
            d, u, o = names(t["source"])
            extra.append({"defs": set(), "uses": u, "opaque": False})
        pool = candidates + extra
        _file_links(pool, [c["source"] for c in candidates] + [t["source"] for t in kernel])
        roots |= set(range(len(candidates), len(pool)))
        chosen = _closure(pool, set(nbref["exports"]), roots)
        chosen = {i for i in chosen if i < len(candidates)}
    else:
        chosen = _closure(candidates, set(nbref["exports"]), roots)
    trusted = set(nbref.get("instructor_cells", ()))
    return [(candidates[i]["label"], candidates[i]["source"],
             not candidates[i]["solution"] and _digest(candidates[i]["source"]) in trusted)
            for i in sorted(chosen)], notes


def _release_test_sources(nbref) -> dict[str, str]:
    if not nbref.get("release"):
        return {}
    rel = json.loads(nbref["release"])
    return {_nbgrader_meta(c).get("grade_id"): _source(c) for c in rel["cells"] if _nbgrader_meta(c).get("grade")}


# ---------------------------------------------------------------------------------------------
# the trusted side: test cells run here, student names are proxies into the sandbox


class StudentError(Exception):
    """The student's code raised, or returned something that is not plain data."""


class Session:
    """A sandbox that runs the planned cells, restarted (without the culprit) after a crash."""

    def __init__(self, files: dict[str, Path], cells: list[tuple[str, str, bool]], limits: Limits, deadline: float,
                 twins: dict[str, str] | None = None):
        self.files, self.cells, self.limits, self.deadline = files, cells, limits, deadline
        self.preload = preload_modules([src for _label, src, _setup in cells])
        self.twins = dict(twins or {})  # the course's answers to this assignment: blocked (twins.py)
        self.sb: Sandbox | None = None
        self.skip: set[int] = set()
        self.starts = 0
        self.events: list[str] = []
        self.cell_errors: dict[str, str] = {}
        self.stats = {"max_rss": 0, "max_processes": 0, "output_bytes": 0}
        self.output = b""

    def _retire(self):
        if self.sb is not None:
            st = self.sb.close()
            self.stats = {k: max(self.stats[k], st[k]) if k != "output_bytes" else self.stats[k] + st[k]
                          for k in st}
            if len(self.output) < 16384:
                self.output += bytes(self.sb.output[: 16384 - len(self.output)])
            self.sb = None

    def ensure(self):
        while self.sb is None or not self.sb.alive:
            if self.sb is not None:
                self.events.append(f"sandbox died: {self.sb.died_because()}")
                self._retire()
            if self.starts > self.limits.restarts:
                raise SandboxDied(f"gave up after {self.starts} sandbox starts ({'; '.join(self.events[-2:])})")
            if time.monotonic() > self.deadline:
                raise SandboxDied(f"submission time limit: {self.limits.timeout:g} s")
            self.starts += 1
            self.sb = Sandbox(self.files, self.limits, self.deadline)
            if self.preload or self.twins:  # libraries first, outside any student time limit; then the twins
                try:
                    self.sb.request({"op": "preload", "modules": self.preload, "twins": self.twins},
                                    self.limits.setup_timeout, cpu=False)
                except SandboxDied as exc:
                    self.events.append(f"sandbox start (importing {', '.join(self.preload)}): {exc}")
                    continue
            for i, (label, src, setup) in enumerate(self.cells):
                if i in self.skip:
                    continue
                try:
                    # an unchanged instructor cell (the imports) gets the setup limit and is never dropped:
                    # timing out there is the machine's fault, not the student's
                    reply = self.sb.request({"op": "run", "code": src, "trusted": setup},
                                            self.limits.setup_timeout if setup else self.limits.cell_timeout,
                                            cpu=not setup)
                except SandboxDied as exc:
                    if setup:
                        self.events.append(f"{label} (unchanged instructor cell): {exc}; retried")
                    else:
                        self.skip.add(i)
                        self.events.append(f"{label}: {exc}; restarted without that cell")
                    break
                if not reply.get("ok") and label not in self.cell_errors:
                    self.cell_errors[label] = str(reply.get("error"))[:300]

    def request(self, message: dict, timeout: float) -> dict:
        self.ensure()
        try:
            return self.sb.request(message, timeout)
        except SandboxDied as exc:
            self.events.append(f"while running a test: {exc}")
            raise

    def close(self):
        self._retire()


class Remote:
    """Stands in, in the trusted test namespace, for a function the student defined in the sandbox."""

    def __init__(self, session: Session, name: str, clock):
        self._session, self._name, self._clock = session, name, clock
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        rngs = _rngs_in((args, kwargs))
        try:
            message = {"op": "call", "name": self._name, "args": plaindata.dumps(args, _arg_hook),
                       "kwargs": plaindata.dumps(kwargs, _arg_hook), "state": _process_state()}
        except plaindata.CodecError as exc:
            raise StudentError(f"cannot pass this argument to {self._name}: {exc}") from None
        try:
            reply = self._session.request(message, self._clock())
        except CallTimeout as exc:
            raise StudentError(f"{self._name}(...) did not return in time: {exc}") from None
        except SandboxDied as exc:
            raise StudentError(f"{self._name}(...) crashed the student's process: {exc}") from None
        if not reply.get("ok"):
            raise student_exception(reply, f"{self._name}(...) raised {reply.get('error')}")
        try:
            value = _rebuild(plaindata.loads(reply["value"]))
            states = plaindata.loads(reply["rngs"])
        except (plaindata.CodecError, KeyError, TypeError) as exc:
            raise StudentError(f"{self._name}(...) returned something that is not plain data: {exc}") from None
        if reply.get("mutated"):  # the student's function changed its arguments in place: so do we
            try:
                new_args, new_kwargs = (plaindata.loads(b) for b in reply["mutated"])
            except (plaindata.CodecError, TypeError, ValueError) as exc:
                raise StudentError(f"{self._name}(...) sent back arguments that are not plain data: {exc}") from None
            _write_back(args, new_args)
            _write_back(kwargs, new_kwargs)
        if isinstance(states, list) and len(states) == len(rngs):
            for gen, state in zip(rngs, states):  # the student's function consumed the generator
                try:
                    gen.bit_generator.state = state
                except Exception:  # noqa: BLE001
                    raise StudentError("invalid random-generator state came back") from None
        return value

    def __repr__(self):
        return f"<student function {self._name}>"


_STUDENT_EXC: dict[type, type] = {}


def student_exception(reply: dict, message: str) -> Exception:
    """The student's exception as the grader raises it: a :class:`StudentError` that is also the
    built-in exception class the student raised (its first built-in base class), so that a test's
    ``except ValueError`` / ``pytest.raises(KeyError)`` fires as in one kernel. Only classes of the
    ``builtins`` module are ever rebuilt, from plain data (its name, its arguments): nothing of the
    student's crosses. ``str()`` of it is the student's own message, as a kernel would show it."""
    import builtins

    name = reply.get("etype")
    cls = getattr(builtins, name, None) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or cls is Exception:
        return StudentError(message)
    if cls not in _STUDENT_EXC:
        try:
            _STUDENT_EXC[cls] = type(cls.__name__, (cls, StudentError), {"__module__": "builtins"})
        except TypeError:  # a built-in class that cannot be combined: the plain error
            return StudentError(message)
    sub = _STUDENT_EXC[cls]
    args = None
    if isinstance(reply.get("eargs"), bytes):
        try:
            args = plaindata.loads(reply["eargs"])
        except plaindata.CodecError:
            args = None
    text = reply.get("emessage") if isinstance(reply.get("emessage"), str) else message
    for attempt in ((tuple(args) if type(args) is tuple else None), (text,), ()):
        if attempt is None:
            continue
        try:
            return sub(*attempt)
        except Exception:  # noqa: BLE001 - UnicodeError and friends want special arguments
            continue
    return StudentError(message)


def _arg_hook(o):
    """Arguments that cross exactly although they are not plain data: TensorFlow eager tensors (their
    values and dtype; rebuilt as a tensor in the sandbox). Everything else stays refused."""
    tf = sys.modules.get("tensorflow")
    if tf is not None and type(o).__name__ == "EagerTensor" and isinstance(o, tf.Tensor):
        return {"kind": "tensor", "value": o.numpy(), "dtype": o.dtype.name}
    return NotImplemented


def _process_state() -> dict:
    """State of the grader's process a test may have set up around a call (``with np.errstate(over=
    "raise")``): sent along, applied around the student's call in the sandbox."""
    import numpy as np

    return {"errstate": {k: str(v) for k, v in np.geterr().items()}}


def _write_back(orig, new) -> None:
    """Copy in-place changes the sandbox made to call arguments into the trusted originals: arrays
    (same shape), lists and dicts (recursively). Immutable values and generators are left alone."""
    import numpy as np

    if isinstance(orig, np.ndarray) and isinstance(new, np.ndarray):
        if orig.shape == new.shape and orig.flags.writeable:
            try:
                np.copyto(orig, new, casting="unsafe")
            except (TypeError, ValueError):
                pass
    elif type(orig) is list and type(new) is list:
        if len(orig) == len(new):
            for i, (a, b) in enumerate(zip(orig, new)):
                if isinstance(a, (np.ndarray, list, dict)) and type(a) is type(b):
                    _write_back(a, b)
                elif not isinstance(a, np.random.Generator):
                    orig[i] = b
        else:
            orig[:] = new
    elif type(orig) is dict and type(new) is dict:
        for k in list(orig):
            if k not in new:
                del orig[k]
        for k, b in new.items():
            a = orig.get(k)
            if isinstance(a, (np.ndarray, list, dict)) and type(a) is type(b):
                _write_back(a, b)
            elif not isinstance(a, np.random.Generator):
                orig[k] = b
    elif type(orig) is tuple and type(new) is tuple and len(orig) == len(new):
        for a, b in zip(orig, new):
            _write_back(a, b)


def _rngs_in(obj, out=None):
    """Random generators in ``obj`` in the order ``plaindata.encode`` visits them."""
    import numpy as np

    out = [] if out is None else out
    if type(obj) is np.random.Generator:
        out.append(obj)
    elif type(obj) in (tuple, list):
        for x in obj:
            _rngs_in(x, out)
    elif type(obj) is dict:
        for k, v in obj.items():
            _rngs_in(k, out)
            _rngs_in(v, out)
    return out


def _rebuild(value):
    """Turn the hook markers of a decoded reply into trusted objects (arrays, Keras models)."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is str and value[0] == "__hooked__":
        plain = value[1]
        if type(plain) is dict and plain.get("kind") == "array":
            return plain["value"]
        if type(plain) is dict and plain.get("kind") == "tensor":
            import numpy as np
            import tensorflow as tf

            value, dtype = plain.get("value"), plain.get("dtype")
            if not isinstance(value, np.ndarray) or type(dtype) is not str:
                raise StudentError("a malformed tensor came back")
            try:
                return tf.constant(value, dtype=tf.as_dtype(dtype))
            except (TypeError, ValueError) as exc:
                raise StudentError(f"a tensor that cannot be rebuilt came back: {exc}") from None
        if type(plain) is dict and plain.get("kind") == "keras-model":
            return _rebuild_keras(plain)
        raise StudentError("an object of an unsupported type came back")
    if type(value) is tuple and len(value) == 2 and type(value[0]) is str and value[0] == "__iterator__" \
            and type(value[1]) is list:
        return iter([_rebuild(v) for v in value[1]])
    if type(value) in (tuple, list):
        return type(value)(_rebuild(v) for v in value)
    if type(value) is dict:
        return {k: _rebuild(v) for k, v in value.items()}
    return value


_KERAS_FORBIDDEN = {"Lambda", "TFSMLayer", "function", "__lambda__"}


def _check_keras_config(node, depth=0):
    if depth > 40:
        raise StudentError("Keras model config nested too deeply")
    if isinstance(node, dict):
        mod, cls, reg = node.get("module"), node.get("class_name"), node.get("registered_name")
        if "module" in node or "class_name" in node:
            if mod is not None and not (isinstance(mod, str) and (mod == "keras" or mod.startswith("keras."))):
                raise StudentError(f"the returned model uses {mod}.{cls}: only built-in Keras classes are graded")
            if cls in _KERAS_FORBIDDEN and not (cls == "function" and str(mod).startswith("keras.activations")):
                raise StudentError(f"the returned model uses {cls}: not gradable (arbitrary code)")
            if reg is not None and not (isinstance(reg, str) and (reg == cls or reg.startswith("keras"))):
                raise StudentError(f"the returned model uses a custom class {reg}")
        for v in node.values():
            _check_keras_config(v, depth + 1)
    elif isinstance(node, list):
        for v in node:
            _check_keras_config(v, depth + 1)


def _rebuild_keras(plain):
    import keras

    try:
        cfg = json.loads(plain["config"])
        _check_keras_config(cfg)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            model = keras.saving.deserialize_keras_object(cfg, safe_mode=True)
        if not isinstance(model, keras.Model):
            raise StudentError("not a Keras model")
        model.set_weights([w for w in plain["weights"]])
        return model
    except StudentError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise StudentError(f"the returned Keras model could not be rebuilt: {type(exc).__name__}: {exc}") from None


_BASE: dict[tuple[str, str], dict] = {}


def _trusted_base(ref: dict, nb_name: str) -> dict:
    """The instructor's helper cells (imports, non-exercise functions), run once per worker process."""
    key = (ref["hash"], nb_name)
    if key not in _BASE:
        ns = {"__name__": "__main__", "get_ipython": lambda: None}
        errors = []
        for src in ref["notebooks"][nb_name]["static_cells"]:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(to_python(src), "<instructor cell>", "exec"), ns)  # noqa: S102 - trusted
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}")
        ns["__dls_errors__"] = errors
        _BASE[key] = ns
    return _BASE[key]


def _run_tests(nbref: dict, ref: dict, nb_name: str, session: Session, limits: Limits) -> dict:
    base = _trusted_base(ref, nb_name)
    ns = dict(base)
    # every call into the sandbox gets the full wall limit (and the CPU limit, load-proof): the trusted
    # side's own work (expected values with TensorFlow, slow under load) is never charged to the student
    clock = lambda: limits.cell_timeout  # noqa: E731
    for name in nbref["exports"]:
        ns.pop(name, None)
        if name in nbref["callables"]:
            ns[name] = Remote(session, name, clock)
    values = [n for n in nbref["exports"] if n not in nbref["callables"]]
    results = {}
    for src in nbref["dynamic_cells"]:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(to_python(src), "<instructor cell>", "exec"), ns)  # noqa: S102
        except Exception:  # noqa: BLE001 - the tests that need it fail and say so
            pass
    kernel = nbref.get("kernel_tests", {})
    for test in nbref["tests"]:
        gid, points = test["grade_id"], test["points"]
        failure = feedback = None
        if gid in kernel:
            failure, feedback = _run_kernel_test(test, session, limits)
            results[gid] = {"points": points, "score": 0.0 if failure else points, "failure": failure,
                            "feedback": feedback, "mode": "sandbox"}
            continue
        for name in values:  # plain values the student defines (none in week02): fetched fresh
            ns.pop(name, None)
            try:
                reply = session.request({"op": "get", "name": name}, clock())
                if reply.get("ok"):
                    ns[name] = _rebuild(plaindata.loads(reply["value"]))
            except (SandboxDied, plaindata.CodecError, StudentError):
                pass
        for hidden, code in split_hidden(test["source"]):
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    exec(compile(to_python(code), f"<test {gid}>", "exec"), ns)  # noqa: S102 - trusted
            except Exception as exc:  # noqa: BLE001 - a failing test cell
                msg = f"{type(exc).__name__}: {exc}"[:1500]
                if isinstance(exc, StudentError) and type(exc) is not StudentError:
                    msg = f"{type(exc).__name__} raised by your code: {exc}"[:1500]
                failure = ("hidden: " if hidden else "") + msg
                feedback = HIDDEN_FAILED if hidden else msg
                break
        results[gid] = {"points": points, "score": 0.0 if failure else points, "failure": failure,
                        "feedback": feedback}
    return results


def _run_kernel_test(test: dict, session: Session, limits: Limits) -> tuple[str | None, str | None]:
    """A test cell the trusted side cannot run (it needs objects that only live in the student's
    process): executed inside the sandbox, after the student's cells, as nbgrader's kernel would run it;
    it scores when it runs to the end without an error. (failure, feedback), both None on success."""
    for hidden, code in split_hidden(test["source"]):
        try:
            reply = session.request({"op": "run", "code": code, "trusted": True}, limits.cell_timeout)
        except CallTimeout as exc:
            msg = f"the test did not finish in time: {exc}"
        except SandboxDied as exc:
            msg = f"the student's process crashed during the test: {exc}"
        else:
            if reply.get("ok"):
                continue
            msg = str(reply.get("error") or "failed")[:1500]
        return ("hidden: " if hidden else "") + msg, HIDDEN_FAILED if hidden else msg
    return None, None


def calibrate(course, reference: dict, limits: Limits | None = None, log=print, in_process: bool = False) -> dict:
    """Which tests the trusted side cannot run: the instructor's own solution (the source notebooks) is
    graded once, on the trusted path; every test it fails there is graded inside the sandbox instead
    (``kernel_tests``, with the reason, reported per exercise in each result). The choice depends only on
    the instructor's notebooks, never on a submission: a student cannot opt into the weaker mode.
    Cached next to the results, keyed by the reference; the reference's hash then covers the choice."""
    limits = limits or Limits()
    assignment = reference["assignment"]
    cache = course.root / ".dls" / "calibration" / f"{assignment}-{reference['hash'][:24]}.json"
    kernel = None
    try:
        kernel = json.loads(cache.read_text())["kernel_tests"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if kernel is None:
        paths = course.source_notebooks(assignment)
        if not paths:
            return reference
        folder = paths[0].parent
        try:
            if in_process:
                result = grade_one(folder, reference, limits, "(instructor solution)")
            else:
                import multiprocessing

                ctx = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_init) as pool:
                    result = pool.submit(_work, str(folder), reference, limits.as_dict(),
                                         "(instructor solution)").result()
        except Exception as exc:  # noqa: BLE001 - every test then stays on the trusted path
            log(f"  could not grade the instructor's solution to choose the tests graded in the sandbox "
                f"({type(exc).__name__}: {exc}): every test is graded on the trusted side")
            return reference
        kernel = {nb: {gid: str(c.get("failure") or "")[:300] for gid, c in entry["cells"].items()
                       if c["score"] < c["points"]}
                  for nb, entry in result["notebooks"].items()}
        cache.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(cache, json.dumps({"reference_hash": reference["hash"], "kernel_tests": kernel}, indent=1))
    n = sum(len(v) for v in kernel.values())
    if n:
        log(f"  {n} test(s) graded inside the sandbox (the instructor's solution cannot pass them on the "
            f"trusted side): {', '.join(g for v in kernel.values() for g in v)}")
    ref = dict(reference)
    ref["notebooks"] = {nb: {**e, "kernel_tests": dict(kernel.get(nb, {}))} for nb, e in reference["notebooks"].items()}
    ref["hash"] = hashlib.sha256((reference["hash"] + json.dumps(kernel, sort_keys=True)).encode()).hexdigest()
    return ref


def submission_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(str(p.relative_to(folder)).encode() + b"\0")
            h.update(p.read_bytes())
    return h.hexdigest()


def _student_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    files, notes, total = {}, [], 0
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file() or p.is_symlink() or not p.name.replace(".", "").replace("-", "").replace("_", "").isalnum():
            continue
        total += p.stat().st_size
        if len(files) >= 50 or total > 64 << 20:
            notes.append(f"{p.name} and later files not copied into the sandbox (over 50 files / 64 MiB)")
            break
        files[p.name] = p
    return files, notes


def grade_one(submission: str | Path, reference: dict, limits: Limits | dict | None = None,
              student: str | None = None, sub_hash: str | None = None) -> dict:
    """Grade one submission folder (``<student>/<assignment>/``): a plain-data result, never raises."""
    t0 = time.monotonic()
    limits = Limits(**limits) if isinstance(limits, dict) else (limits or Limits())
    folder = Path(submission)
    student = student or folder.parent.name
    result = {"version": RESULTS_VERSION, "student": student, "assignment": reference["assignment"],
              "reference_hash": reference["hash"], "submission_hash": sub_hash or submission_hash(folder),
              "notes": [], "notebooks": {}, "sandbox": {}, "limits": asdict(limits),
              "worker": f"{socket.gethostname()}:{os.getpid()}"}
    deadline = time.monotonic() + limits.timeout
    files, fnotes = _student_files(folder)
    result["notes"] += fnotes
    present = {p.name for p in folder.glob("*.ipynb")}
    for nb_name, nbref in reference["notebooks"].items():
        entry = {"cells": {}, "notes": [], "cell_errors": {}}
        result["notebooks"][nb_name] = entry
        zero = {t["grade_id"]: {"points": t["points"], "score": 0.0, "failure": None, "feedback": None}
                for t in nbref["tests"]}
        path = folder / nbref["file"]
        cells, why = (None, f"{nbref['file']} is missing (submitted: {', '.join(sorted(present)) or 'nothing'})") \
            if not path.is_file() else read_submission(path)
        if cells is None:
            entry["notes"].append(why + ": 0 points for this notebook")
            for c in zero.values():
                c["failure"] = c["feedback"] = why
            entry["cells"] = zero
            entry["autograded"] = _autograded(nbref, [], entry["cells"], [why])
            continue
        planned, notes = plan(cells, nbref)
        entry["notes"] += notes
        for gid, why in nbref.get("kernel_tests", {}).items():
            entry["notes"].append(f"{gid}: graded inside the sandbox, as nbgrader's kernel would run it (the "
                                  f"instructor's solution cannot pass it on the trusted side: {why[:200]}); "
                                  "this score relies on the student's own process")
        session = Session(files, planned, limits, deadline, reference.get("twins"))
        try:
            entry["cells"] = _run_tests(nbref, reference, nb_name, session, limits)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not abort the batch
            entry["notes"].append(f"grader error: {type(exc).__name__}: {exc}")
            for c in zero.values():
                c["failure"] = c["feedback"] = "not graded (grader error)"
            entry["cells"] = zero
        finally:
            session.close()
        entry["notes"] += session.events
        entry["cell_errors"] = session.cell_errors
        entry["output_head"] = session.output[:2000].decode("utf-8", "replace")
        result["sandbox"][nb_name] = {"starts": session.starts, **session.stats}
        if session.stats["output_bytes"] > limits.output:
            entry["notes"].append(f"output flood: {session.stats['output_bytes']} bytes written")
        entry["autograded"] = _autograded(nbref, cells, entry["cells"], entry["notes"])
    result["score"] = sum(c["score"] for nb in result["notebooks"].values() for c in nb["cells"].values())
    result["max_score"] = sum(c["points"] for nb in result["notebooks"].values() for c in nb["cells"].values())
    result["seconds"] = round(time.monotonic() - t0, 2)
    return result


def _autograded(nbref: dict, cells: list, scores: dict, notes: list[str]) -> str | None:
    """The release notebook (no hidden tests) with the student's answers and each test's verdict."""
    import nbformat

    if not nbref.get("release"):
        return None
    nb = nbformat.reads(nbref["release"], as_version=4)
    answers = {}
    for cell in cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid in nbref["solution_ids"] and gid not in answers:
            answers[gid] = _source(cell)[:200_000]
    for cell in nb.cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if cell.cell_type == "code" and gid in answers:
            cell.source = answers[gid]
        if gid in scores and cell.cell_type == "code":
            s = scores[gid]
            if s["score"] >= s["points"]:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="passed\n")]
            else:
                cell.outputs = [nbformat.v4.new_output("error", ename="Failed", evalue=s["feedback"] or "failed",
                                                       traceback=[s["feedback"] or "failed"])]
    if notes:
        text = "**Grader notes**\n\n" + "\n".join(f"- {n}" for n in notes)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
    return nbformat.writes(nb)


# ---------------------------------------------------------------------------------------------
# the batch: parallel workers, gradebook, results store, resume


def results_dir(course, assignment: str) -> Path:
    return course.root / ".dls" / "grade" / assignment


def _worker_init():
    try:  # a worker dies with the grader (SIGKILL included); its sandboxes die with it (--die-with-parent)
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _work(folder: str, reference: dict, limits: dict, student: str) -> dict:
    return grade_one(folder, reference, limits, student)


def code_hash() -> str:
    """What a worker must run to grade like the client: this grader and the sandbox's probe."""
    h = hashlib.sha256()
    for path in (Path(__file__).parent / "grade.py", Path(__file__).parent / "probe.py",
                 Path(__file__).parent / "plaindata.py", Path(__file__).parent / "sandbox.py",
                 Path(__file__).parent / "twins.py"):
        h.update(path.read_bytes())
    return h.hexdigest()


def payload(folder: Path) -> dict:
    """One submission as plain data (its top-level files' bytes), so that any machine can grade it:
    the unit of work ``grade_payload`` takes, for a distributed engine without a shared filesystem."""
    files, notes = _student_files(folder)
    return {"files": {name: p.read_bytes() for name, p in files.items()}, "hash": submission_hash(folder),
            "notes": notes}


def grade_payload(data: dict, reference: dict, limits: dict, student: str, code: str | None = None) -> dict:
    """``grade_one`` on a submission shipped as :func:`payload` (runs on a Dask worker)."""
    if code is not None and code != code_hash():
        raise RuntimeError(f"this worker ({socket.gethostname()}) runs a different version of autograder/ "
                           "than the machine that sent the work: install the same course version on every worker")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    scratch = Path(tempfile.mkdtemp(prefix="dls-grade-"))
    try:
        folder = scratch / student / reference["assignment"]
        folder.mkdir(parents=True)
        for name, blob in data["files"].items():
            if "/" in name or name.startswith("."):
                continue
            (folder / name).write_bytes(blob)
        result = grade_one(folder, reference, limits, student, sub_hash=data["hash"])
        result["notes"] = list(data.get("notes", [])) + result["notes"]
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class GradebookError(RuntimeError):
    """The gradebook cannot be written (server down, connection dropped, locked for too long)."""


def safe_url(url: str) -> str:
    """A gradebook URL fit for a log line (password hidden)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


class GradebookWriter:
    """nbgrader's gradebook, opened once per batch, written one submission per transaction.

    Safe with concurrent writers (several ``dls grade`` runs, one SQLite file or one PostgreSQL
    database): a write that loses a race (two runs creating the same student or submission: a unique
    constraint; SQLite's "database is locked"; a PostgreSQL serialization failure) is rolled back and
    retried, and ``update_or_create`` makes every write an upsert, so a grade is never lost or
    duplicated. A dropped connection is retried on a fresh one; when the gradebook stays unreachable,
    :class:`GradebookError` says so and nothing half-written remains (one transaction per submission).
    """

    def __init__(self, url: str, attempts: int = 8):
        self.url, self.attempts, self.gb = url, attempts, None

    def _open(self):
        from nbgrader.api import Gradebook

        if self.gb is None:
            self.gb = Gradebook(self.url)
        return self.gb

    def _reset(self):
        if self.gb is not None:
            try:
                self.gb.db.rollback()
            except Exception:  # noqa: BLE001
                pass
            try:
                self.gb.close()
            except Exception:  # noqa: BLE001
                pass
        self.gb = None

    def write(self, result: dict, timestamp=None) -> None:
        import random

        from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

        student, assignment = result["student"], result["assignment"]
        last = None
        for attempt in range(self.attempts):
            try:
                gb = self._open()
                gb.update_or_create_student(student)
                gb.update_or_create_submission(assignment, student,
                                               **({"timestamp": timestamp} if timestamp else {}))
                for nb_name, nb in result["notebooks"].items():
                    for gid, cell in nb["cells"].items():
                        grade = gb.find_grade(gid, nb_name, assignment, student)
                        grade.auto_score = float(cell["score"])
                gb.db.commit()
                return
            except (IntegrityError, OperationalError, DBAPIError) as exc:
                last = exc
                self._reset()
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
            except Exception as exc:  # nbgrader raises its own errors for a stale session  # noqa: BLE001
                if "sqlalchemy" not in type(exc).__module__ and "psycopg" not in type(exc).__module__ \
                        and "nbgrader" not in type(exc).__module__:
                    raise
                last = exc
                self._reset()
        msg = str(getattr(last, "orig", None) or last).strip().splitlines()
        raise GradebookError(f"the gradebook {safe_url(self.url)} could not be written "
                             f"({type(last).__name__}: {msg[0] if msg else ''})")

    def close(self):
        if self.gb is not None:
            try:
                self.gb.close()
            except Exception:  # noqa: BLE001
                pass
            self.gb = None


def record(course, result: dict, writer: GradebookWriter | None = None) -> None:
    """Write one result into nbgrader's gradebook (upsert, one transaction) and autograded/; then the
    result JSON (atomically): the JSON is the commit marker a re-run trusts. Appends one line to
    ``record.log`` in the results folder (who was recorded, when, by which worker)."""
    from nbgrader.utils import parse_utc

    student, assignment = result["student"], result["assignment"]
    sub_dir = course.submitted / student / assignment
    timestamp = None
    ts = sub_dir / "timestamp.txt"
    if ts.is_file():
        try:
            timestamp = parse_utc(ts.read_text().strip())
        except Exception:  # noqa: BLE001
            timestamp = None
    own = writer is None
    writer = writer or GradebookWriter(course.db_url)
    try:
        writer.write(result, timestamp)
    finally:
        if own:
            writer.close()
    out = course.root / "autograded" / student / assignment
    out.mkdir(parents=True, exist_ok=True)
    for nb_name, nb in result["notebooks"].items():
        if nb.get("autograded"):
            _atomic_write(out / f"{nb_name}.ipynb", nb["autograded"])
    if ts.is_file():
        _atomic_write(out / "timestamp.txt", ts.read_text())
    slim = copy.deepcopy(result)
    for nb in slim["notebooks"].values():
        nb.pop("autograded", None)
    folder = results_dir(course, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / f"{student}.json", json.dumps(slim, indent=1))
    line = json.dumps({"student": student, "time": time.time(), "worker": result.get("worker"),
                       "score": result.get("score"), "seconds": result.get("seconds")})
    with open(folder / "record.log", "a") as fh:  # one short O_APPEND write: atomic between writers
        fh.write(line + "\n")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def done(course, assignment: str, student: str, reference: dict) -> bool:
    """True when this exact submission was graded against this exact reference and recorded."""
    path = results_dir(course, assignment) / f"{student}.json"
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return (old.get("version") == RESULTS_VERSION and old.get("reference_hash") == reference["hash"]
            and old.get("submission_hash") == submission_hash(course.submitted / student / assignment))


def load_result(course, assignment: str, student: str) -> dict | None:
    try:
        return json.loads((results_dir(course, assignment) / f"{student}.json").read_text())
    except (OSError, ValueError):
        return None


def grade_assignment(course, assignment: str, students: list[str] | None = None, workers: int = 1,
                     limits: Limits | None = None, force: bool = False, log=print, progress: bool = True,
                     scheduler: str | None = None) -> tuple[list[str], list[str]]:
    """Grade every submission of ``assignment`` under submitted/ (or ``students``) that is not already
    graded; returns (students graded now, students skipped as already graded).

    ``scheduler``: the address of a Dask distributed scheduler (``tcp://host:8786``): each submission is
    shipped to a worker as plain data (:func:`payload`) and graded there in the worker's own sandbox;
    without it, a local pool of ``workers`` processes grades them. Either way this process alone writes
    the gradebook, as each result arrives. Raises :class:`GradebookError` when the gradebook becomes
    unreachable: what was recorded stays recorded, and a re-run grades only the rest.
    """
    limits = limits or Limits()
    reference = calibrate(course, build_reference(course, assignment), limits, log)
    root = course.submitted
    available_ = sorted(p.name for p in root.iterdir() if (p / assignment).is_dir()) if root.is_dir() else []
    todo = list(students) if students else available_
    missing = [s for s in todo if s not in available_]
    if missing:
        raise ValueError(f"no submission of {assignment} for: {', '.join(missing)}")
    skipped = [s for s in todo if not force and done(course, assignment, s, reference)]
    todo = [s for s in todo if s not in skipped]
    if skipped:
        log(f"  {len(skipped)} submission(s) already graded (same submission, same tests): skipped")
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"dls grade {assignment}", unit="submission", file=sys.stderr)
    graded: list[str] = []
    pending = list(todo)
    writer = GradebookWriter(course.db_url)

    def recorded(student: str, result: dict) -> None:
        try:
            record(course, result, writer)
        except GradebookError as exc:
            raise GradebookError(f"{exc}. {len(graded)} submission(s) were recorded in this run and stay "
                                 f"recorded; {len(pending)} were not. When the gradebook is back, run the same "
                                 f"`dls grade {assignment}` again: it grades only what is missing.") from None
        pending.remove(student)
        graded.append(student)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{student} {result['score']:g}/{result['max_score']:g}")

    try:
        if scheduler:
            _grade_on_dask(scheduler, course, assignment, pending, reference, limits, log, recorded)
        else:
            _grade_locally(course, assignment, pending, reference, limits, workers, log, recorded)
    finally:
        writer.close()
        if bar is not None:
            bar.close()
    for student in pending:
        log(f"  NOT GRADED {student}: the grading worker kept failing")
    return graded, skipped


def _grade_locally(course, assignment, pending, reference, limits, workers, log, recorded) -> None:
    import multiprocessing

    root = course.submitted
    attempts = 0
    while pending and attempts < 3:
        attempts += 1
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=_worker_init)
        try:
            futures = {pool.submit(_work, str(root / s / assignment), reference, limits.as_dict(), s): s
                       for s in pending}
            for fut in as_completed(futures):
                student = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker: retried with a fresh pool
                    log(f"  worker failed on {student}: {type(exc).__name__}: {exc}")
                    continue
                recorded(student, result)
        except GradebookError:  # stop now: running submissions are abandoned (their sandboxes die with them)
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def _grade_on_dask(address, course, assignment, pending, reference, limits, log, recorded) -> None:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("--scheduler needs the `distributed` package (pip install distributed)") from None
    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        n = len(client.scheduler_info().get("workers", {}))
        log(f"  Dask scheduler {address}: {n} worker(s)")
        if n == 0:
            log("  waiting for a worker to join ...")
            client.wait_for_workers(1, timeout=600)
        ref = client.scatter(reference, broadcast=True, hash=False)
        code, lim = code_hash(), limits.as_dict()
        futures = {}
        for s in list(pending):
            data = payload(course.submitted / s / assignment)
            # a unique key per run: a re-run never picks up a stale result; a worker that dies mid-task has
            # the task moved to another worker by the scheduler (up to distributed.scheduler.allowed-failures)
            fut = client.submit(grade_payload, data, ref, lim, s, code, pure=False,
                                key=f"dls-grade-{assignment}-{s}-{os.getpid()}-{time.time_ns()}")
            futures[fut] = s
        for fut in dask_completed(futures):
            student = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker (it crashed every worker it ran on), ...
                log(f"  worker failed on {student}: {type(exc).__name__}: {exc}")
                continue
            try:
                recorded(student, result)
            except GradebookError:
                for f in futures:
                    f.cancel()
                raise
    finally:
        client.close()
