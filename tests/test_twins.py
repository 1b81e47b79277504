"""The course's own answers ("twins", ``autograder/twins.py``) earn nothing under ``dls grade``.

- the registry names real exercises, and every twin has a delegating case below (fast);
- the blocker's rules inside one small sandbox: direct, wrapped, through a dict, a library, a reload or
  a fresh import of the module: blocked; called by the course package or read by trusted cell code:
  the real function; other assignments: nothing blocked (slow: a sandbox);
- each twin equals the notebook's solution on the inputs of that exercise's visible and hidden tests,
  so the two cannot drift (slow: the notebook's helper cells run, in this process, no sandbox);
- per assignment, submissions built from the instructor's solution in which one twin per exercise
  answers it (bound directly, or wrapped in the student's own ``def``): 0 for that exercise, with
  the twin named in the failure, full marks on every exercise they did not touch (slow: ``dls grade``
  on a copy of the assignment reduced to the exercises involved).
"""

from __future__ import annotations

import ast
import json
import os
import time
import types

import numpy as np
import pytest

from autograder import grade, notebooks, sandbox, submissions, twins

from conftest import COURSE

# twin -> (the notebook's function it answers, a definition of that function that delegates to it;
# None: the same call signature, so ``name = twin`` (direct) and ``def name(*a, **k): return twin(*a, **k)``)
DELEGATE = {
    **{f"course.nn:{f}": (f, None) for f in ("sigmoid", "tanh", "relu", "leaky_relu", "sigmoid_grad", "tanh_grad",
                                            "relu_grad", "leaky_relu_grad", "softmax", "dense_forward")},
    "keras.layers:Layer.count_params": ("recurrent_params", """\
import keras


def recurrent_params(kind, input_dim, units):
    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind](units)
    return keras.Sequential([keras.Input((None, input_dim)), layer]).count_params()
"""),
    "course.sequence:adjust_logits": ("adjust_logits", None),
    "course.sequence:seasonal_naive_forecast": ("seasonal_naive", None),
    "course.generative:MinibatchStdDev": ("minibatch_stddev", """\
import course.generative


def minibatch_stddev(x):
    return course.generative.MinibatchStdDev()(x)
"""),
    "course.deploy:affine_qparams": ("quantization_params", None),
    "course.deploy:quantize": ("quantize", None),
    "course.deploy:dequantize": ("dequantize", None),
    "course.deploy:tflite_predict": ("tflite_classify", """\
import numpy as np
import course.deploy


def tflite_classify(model_bytes, images):
    return np.argmax(course.deploy.tflite_predict(model_bytes, images), axis=-1)
"""),
    "course.deploy:magnitude_mask": ("magnitude_mask", None),
    "course.deploy:polynomial_sparsity": ("polynomial_sparsity", None),
    "course.serving:parse_instances": ("validate_instances", None),
    "course.deploy:latency_summary": ("latency_summary", None),
    "course.deploy:tf_config": ("make_tf_config", None),
    "course.transformers:encode": ("encode_texts", None),
    "course.generative:feature_statistics": ("feature_statistics", None),
    "course.generative:frechet_distance": ("frechet_distance", None),
}
# blocked with the twin above them: Keras's recurrent layers, which week05's hidden test also hides
COVERED = {t: "keras.layers:Layer.count_params" for t in twins.TWINS["week05"]["week05-params"][1:]}
# untouched exercises graded beside the twins' (cheap ones): each submission must keep their full marks
BESIDE = {"week01": ["week01-xor"], "week05": ["week05-clip"], "week06": ["week06-windows"], "week07": ["week07-kl"],
          "week11": ["week11-distill-loss"], "week12": ["week12-global-batch"], "project4": ["project4-labels"],
          "project5": ["project5-losses"]}


def delegation(target: str, direct: bool) -> str:
    name, src = DELEGATE[target]
    if src is not None:
        return src
    module, _, attr = target.partition(":")
    if direct:
        return f"import {module}\n\n{name} = {module}.{attr}\n"
    return f"import {module}\n\n\ndef {name}(*args, **kwargs):\n    return {module}.{attr}(*args, **kwargs)\n"


def replace_def(source: str, name: str, new: str) -> str:
    """``source`` with its top-level ``def``/``class`` ``name`` replaced by ``new``."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    lines = source.splitlines()
    first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return "\n".join(lines[:first] + new.rstrip().splitlines() + lines[node.end_lineno:]) + "\n"


def _gid(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def mini_course(root, assignment: str, exercises: set[str]):
    """A copy of ``assignment`` whose notebooks keep only the graded cells of ``exercises`` (every
    plain cell stays; ``dls grade`` runs only those the graded cells need)."""
    folder = root / "source_notebooks" / assignment
    folder.mkdir(parents=True)
    for path in COURSE.source_notebooks(assignment):
        nb = notebooks.read(path)
        if not any(notebooks.exercise_of(_gid(c)) in exercises for c in nb.cells):
            continue
        nb.cells = [c for c in nb.cells if notebooks.exercise_of(_gid(c)) in exercises | {None}]
        notebooks.write(nb, folder / path.name)
    return types.SimpleNamespace(root=root, release=root / "release",
                                 source_notebooks=lambda a: sorted((root / "source_notebooks" / a).glob("*.ipynb")))


def depends(course, assignment: str) -> dict[str, set[str]]:
    """``{exercise: the other exercises whose answers its answer or its tests call}``."""
    exports, needs = {}, {}
    for path in course.source_notebooks(assignment):
        for cell in notebooks.read(path).cells:
            ex = notebooks.exercise_of(_gid(cell))
            if ex is None or cell.cell_type != "code":
                continue
            defs, uses, _ = grade.names(cell.source)
            if cell.metadata["nbgrader"].get("solution"):
                exports.setdefault(ex, set()).update(defs)
            needs.setdefault(ex, set()).update(uses)
    return {ex: {other for other, names in exports.items() if other != ex and names & needs[ex]} for ex in needs}


def _exec_tolerant(src: str, ns: dict) -> None:
    """Run an instructor cell here as far as it goes: a statement that fails (this process has set up
    TensorFlow already, a name of an exercise left out) is skipped, the others run."""
    code = grade.to_python(src)
    try:
        exec(compile(code, "<instructor cell>", "exec"), ns)  # noqa: S102 - the instructor's code
    except Exception:  # noqa: BLE001
        for statement in ast.parse(code).body:
            try:
                exec(compile(ast.Module([statement], []), "<instructor cell>", "exec"), ns)  # noqa: S102
            except Exception:  # noqa: BLE001
                pass


def submit(course, student: str, assignment: str, delegated: dict[str, str], direct: set[str]):
    """The instructor's solution as a student would type it, where each ``delegated`` exercise's
    function is answered by its twin."""
    out = course.root / "submitted" / student / assignment
    out.mkdir(parents=True)
    for path in course.source_notebooks(assignment):
        nb = notebooks.read(path)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("solution") or cell.cell_type != "code":
                continue
            src = submissions.solution_body(cell.source)
            ex = notebooks.exercise_of(meta["grade_id"])
            if ex in delegated:
                target = delegated[ex]
                src = replace_def(src, DELEGATE[target][0], delegation(target, target in direct))
            cell.source = src
        notebooks.write(nb, out / path.name)
    return out


# -- fast: the registry -----------------------------------------------------------------------------


def test_registry_names_real_exercises_and_every_twin_has_a_case():
    for assignment, exercises in twins.TWINS.items():
        ids = {notebooks.exercise_of(_gid(c)) for p in COURSE.source_notebooks(assignment)
               for c in notebooks.read(p).cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
        assert set(exercises) <= ids, (assignment, set(exercises) - ids)
    every = {t for a in twins.TWINS for t in twins.blocked(a)}
    assert every == set(DELEGATE) | set(COVERED), every ^ (set(DELEGATE) | set(COVERED))
    for target in every:  # each course twin is defined where it says (read, not imported: keras is slow to import)
        module, _, attr = target.partition(":")
        if module.startswith("course."):
            text = (COURSE.root / (module.replace(".", "/") + ".py")).read_text()
            assert f"def {attr}(" in text or f"class {attr}(" in text, target
    assert twins.blocked("week02") == {}  # a later week imports course.nn as usual
    week01 = rounds("week01")  # the twins are bound directly in some submissions, wrapped in a def in others
    assert any(d for _, d in week01) and any(set(x.values()) - d for x, d in week01)


def test_the_reference_covers_the_twins():
    """The twins are part of what ``dls grade`` hashes and ships: a change to the registry regrades."""
    ref = grade.build_reference(COURSE, "week06")
    assert ref["twins"] == twins.blocked("week06") and "course.sequence:adjust_logits" in ref["twins"]


# -- slow: the blocker's rules, in one small sandbox ------------------------------------------------


@pytest.mark.slow
def test_blocker_rules_in_the_sandbox():
    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    blocked = {"course.nn:sigmoid": "week01-activations", "course.generative:slerp": "demo-slerp"}
    student = """\
import functools
import importlib
import sys

import numpy as np

import course.generative
import course.nn
from course.nn import sigmoid as direct


def wrapped(z):
    return course.nn.sigmoid(z)


def via_dict(z):
    return course.nn.ACTIVATIONS["sigmoid"](z)


def via_numpy(z):
    return np.apply_along_axis(course.nn.sigmoid, 0, z)


partial = functools.partial(course.nn.sigmoid)


def via_reload(z):
    return importlib.reload(course.nn).sigmoid(z)


def via_fresh_import(z):
    del sys.modules["course.nn"]
    import course.nn as fresh
    return fresh.sigmoid(z)


def apply(f, z):
    return f(z)


def course_inside(z):  # course.generative.interpolate_latents calls slerp itself
    return course.generative.interpolate_latents(z, z + 1, 3)


def own_slerp(z):
    return course.generative.slerp(z, z + 1, 0.5)


def unblocked(z):
    return course.nn.relu(z)
"""
    session = grade.Session({}, [("cell 1", student, False)], sandbox.Limits(), time.monotonic() + 300, blocked)
    try:
        def call(name, *args):
            return grade.Remote(session, name, lambda: 60.0)(*args)

        z = np.array([-1.0, 0.0, 2.0])
        for name in ("direct", "wrapped", "via_dict", "via_numpy", "partial", "via_reload", "via_fresh_import"):
            with pytest.raises(grade.StudentError, match=r"course\.nn\.sigmoid is the course's reference answer "
                                                         r"to this exercise \(week01-activations\)"):
                call(name, z)
        np.testing.assert_allclose(call("unblocked", z), [0.0, 0.0, 2.0])
        assert call("course_inside", np.array([1.0, 0.0])).shape == (3, 2)
        with pytest.raises(grade.StudentError, match=r"course\.generative\.slerp is the course's reference answer"):
            call("own_slerp", np.array([1.0, 0.0]))
        # trusted cell code (an unchanged instructor cell, a test graded in the sandbox) reads the real twin,
        # may hand it to the student's code, and still cannot call a student's binding of it
        ok = session.request({"op": "run", "trusted": True, "code": "assert course.nn.sigmoid(np.zeros(2)).tolist() == [0.5, 0.5]\n"
                                                                    "assert apply(course.nn.sigmoid, np.zeros(1)) == 0.5"},
                             60.0)
        assert ok["ok"], ok
        for code in ("direct(np.zeros(2))", "wrapped(np.zeros(2))", "partial(np.zeros(2))"):
            bad = session.request({"op": "run", "trusted": True, "code": code}, 60.0)
            assert not bad["ok"] and "reference answer" in bad["error"], (code, bad)
        bad = session.request({"op": "run", "code": "course.nn.sigmoid(np.zeros(2))"}, 60.0)  # not trusted
        assert not bad["ok"] and "reference answer" in bad["error"]
    finally:
        session.close()


@pytest.mark.slow
def test_nothing_is_blocked_without_twins():
    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    cells = [("cell 1", "import course.nn\n\ndef f(z):\n    return course.nn.sigmoid(z)\n", False)]
    session = grade.Session({}, cells, sandbox.Limits(), time.monotonic() + 300, twins.blocked("week02"))
    try:
        np.testing.assert_allclose(grade.Remote(session, "f", lambda: 60.0)(np.zeros(1)), [0.5])
    finally:
        session.close()


# -- slow: each twin equals the notebook's solution on its tests' inputs ----------------------------


def _same(want, got, where: str) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(want) == sorted(got), where
        for k in want:
            _same(want[k], got[k], f"{where}[{k!r}]")
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(want) == len(got), where
        for i, (a, b) in enumerate(zip(want, got)):
            _same(a, b, f"{where}[{i}]")
    else:
        if isinstance(want, (bool, int, float, str)):
            assert type(got) is type(want), f"{where}: {type(got).__name__}, the solution's {type(want).__name__}"
        try:
            a, b = np.asarray(want), np.asarray(got)
        except Exception:  # noqa: BLE001 - symbolic tensors (a call traced by tf.function): the eager calls compare
            return
        assert a.shape == b.shape and a.dtype == b.dtype, f"{where}: {b.dtype}{b.shape}, the solution's {a.dtype}{a.shape}"
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9, err_msg=where)
        else:
            np.testing.assert_array_equal(b, a, err_msg=where)


def _fresh(x):
    """A copy of the arrays, lists and dicts in ``x`` (other objects shared): each side gets its own."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if type(x) in (list, tuple):
        return type(x)(_fresh(v) for v in x)
    if type(x) is dict:
        return {k: _fresh(v) for k, v in x.items()}
    return x


def _comparing(name, solution, twin, target, calls):
    """Stands for ``name`` in the tests: the twin's answer (so the tests check it too), compared with
    the notebook's solution on the same inputs. Where a test switches the twin's module off in its own
    process (week11 hides deploy.tflite_predict and deploy.quantize), it is switched back on for the twin."""
    import importlib

    module = importlib.import_module(target.partition(":")[0])
    getattr(module, target.partition(":")[2])  # a lazy attribute (MinibatchStdDev) made real
    real = dict(vars(module))

    def both(*args, **kwargs):
        copies = _fresh((args, kwargs))  # the solution's; the twin gets the test's own arguments
        try:
            want = solution(*copies[0], **copies[1])
        except Exception as exc:  # noqa: BLE001 - the twin must refuse the input too, with the same built-in kind
            kind = next(c for c in type(exc).__mro__ if c.__module__ == "builtins")
            with pytest.raises(kind):
                twin(*args, **kwargs)
            calls.append(f"{name}: both raise {kind.__name__}")
            raise
        saved = {k: v for k, v in vars(module).items() if k in real and real[k] is not v}
        vars(module).update({k: real[k] for k in saved})
        try:
            got = twin(*args, **kwargs)
        finally:
            vars(module).update(saved)
        _same(want, got, f"{name}(...), call {len(calls) + 1}")
        calls.append(name)
        return got

    return both


EQUAL_CASES = [t for t in DELEGATE if not t.startswith("keras.")]  # Keras is the tests' own reference
_HELPERS: dict[tuple, dict] = {}


@pytest.mark.slow
@pytest.mark.parametrize("target", EQUAL_CASES)
def test_twin_equals_the_solution_on_the_tests_inputs(target, tmp_path):
    assignment = next(a for a in twins.TWINS if target in twins.blocked(a))
    exercise = twins.blocked(assignment)[target]
    name = DELEGATE[target][0]
    course = mini_course(tmp_path, assignment, set(twins.TWINS[assignment]))
    ref = grade.build_reference(course, assignment)
    nb_name, nbref = next((k, v) for k, v in ref["notebooks"].items() if name in v["exports"])
    key = (assignment, nb_name, tuple(nbref["static_cells"]))
    if key not in _HELPERS:  # the instructor's helper cells, once per notebook (week11 trains a model)
        _HELPERS[key] = {"__name__": "__main__", "get_ipython": lambda: None}
        for src in nbref["static_cells"]:
            _exec_tolerant(src, _HELPERS[key])
    ns = dict(_HELPERS[key])
    path = next(p for p in course.source_notebooks(assignment) if p.stem == nb_name)
    for cell in notebooks.read(path).cells:  # the instructor's answers, then the twin in its own def
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            exec(compile(grade.to_python(cell.source), "<solution>", "exec"), ns)  # noqa: S102
    adapter = dict(ns)
    exec(compile(delegation(target, direct=False), "<twin>", "exec"), adapter)  # noqa: S102
    log: list[str] = []
    ns[name] = _comparing(name, ns[name], adapter[name], target, log)
    tests = [t for t in nbref["tests"] if notebooks.exercise_of(t["grade_id"]) == exercise]
    needed = set().union(*(grade.names(t["source"])[1] for t in tests))
    for src in nbref["dynamic_cells"]:  # those these tests read (the others train models with the answers)
        if grade.names(src)[0] & needed:
            _exec_tolerant(src, ns)
    for test in tests:
        exec(compile(grade.to_python(test["source"]), f"<test {test['grade_id']}>", "exec"), ns)  # noqa: S102
    assert log, f"no test of {exercise} called {name}"


# -- slow: dls grade gives a twin-delegating answer 0, and the rest full marks ----------------------


def rounds(assignment: str) -> list[tuple[dict[str, str], set[str]]]:
    """Submissions for ``assignment``: round r delegates the r-th twin of every exercise that has one,
    bound directly (where the signatures match) in every other case, else wrapped in a ``def``."""
    by_ex: dict[str, list[str]] = {}
    for target, ex in twins.blocked(assignment).items():
        if target in DELEGATE:
            by_ex.setdefault(ex, []).append(target)
    out = []
    for r in range(max(len(v) for v in by_ex.values())):
        delegated = {ex: ts[r] for ex, ts in by_ex.items() if len(ts) > r}
        direct = {t for i, t in enumerate(delegated.values()) if (r + i) % 2 == 0 and DELEGATE[t][1] is None}
        out.append((delegated, direct))
    return out


# CI grades the cheapest four (about 20-40 s each on 2 cores); DLS_TWINS_ALL=1 grades every assignment
# with twins (week01 about 4 min, project4 2.5 min on a loaded machine)
CI_TWINS = {"week05", "week07", "week12", "project5"}
ALL_TWINS = os.environ.get("DLS_TWINS_ALL", "") not in ("", "0")


@pytest.mark.slow
@pytest.mark.grading
@pytest.mark.parametrize("assignment", sorted(twins.TWINS))
def test_dls_grade_gives_twins_nothing(assignment, tmp_path):
    if not ALL_TWINS and assignment not in CI_TWINS:
        pytest.skip(f"{assignment}: graded with DLS_TWINS_ALL=1 (CI grades {', '.join(sorted(CI_TWINS))})")
    if sandbox.available():
        pytest.skip(f"sandbox unavailable: {sandbox.available()}")
    exercises = set(twins.TWINS[assignment]) | set(BESIDE.get(assignment, []))
    course = mini_course(tmp_path, assignment, exercises)
    limits = sandbox.Limits(cell_timeout=300, setup_timeout=600, timeout=1800)
    reference = grade.calibrate(course, grade.build_reference(course, assignment), limits, log=lambda *a: None,
                                in_process=True)
    cases = rounds(assignment)
    uses = depends(course, assignment)
    wrong = []
    for r, (delegated, direct) in enumerate(cases):
        student = f"twins-{r}"
        folder = submit(course, student, assignment, delegated, direct)
        result = grade.grade_one(folder, reference, limits, student)
        for nb in result["notebooks"].values():
            for gid, cell in nb["cells"].items():
                ex = notebooks.exercise_of(gid)
                if ex in delegated:
                    label = delegated[ex].replace(":", ".")
                    how = "direct" if delegated[ex] in direct else "wrapped"
                    said = json.dumps(cell["failure"]) + json.dumps(nb["cell_errors"])
                    blamed = {ex} | (uses[ex] & set(delegated))  # its own twin, or one it calls through
                    if cell["score"] != 0 or not any(f"this exercise ({b}): write your own" in said for b in blamed):
                        wrong.append(f"round {r}: {gid} answered by {label} ({how}): {cell['score']:g}/"
                                     f"{cell['points']:g} ({cell['failure']})")
                elif uses.get(ex, set()) & set(delegated):
                    continue  # untouched, but it calls a delegated answer: it fails with it, as it should
                elif cell["score"] != cell["points"]:
                    wrong.append(f"round {r}: {gid} untouched: {cell['score']:g}/{cell['points']:g} "
                                 f"({cell['failure']}; notes {nb['notes'][-3:]})")
    assert not wrong, "\n".join(wrong)
