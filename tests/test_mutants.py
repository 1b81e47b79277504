"""The mutation benchmark's mutator (benchmarks/mutants.py), without kernels: every operator makes a
mutant that differs from the solution and parses, only inside a solution block; the output is
deterministic and capped; the reviewed lists of equivalent mutants (tests/mutants/<assignment>.py)
load and name mutants the mutator makes."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from autograder import notebooks, submissions

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mutants_benchmark", ROOT / "benchmarks" / "mutants.py")
mutants = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mutants  # dataclasses look their module up there
_spec.loader.exec_module(mutants)

CELL = '''def f(x, y, n, model, flag, training=False):
    """Every operator has something to change here."""
    z = x * 2 - 1   # outside the solution block: never mutated
    ### BEGIN SOLUTION
    z = z + 2 * y - 1
    if z.sum(axis=0) > 0 and training:
        z = -z
    w = tf.stop_gradient(z[1:n])
    out = model(x, w, training=training, mask=None)
    z += np.maximum(x, y)[n]
    return z @ w, not flag, out, True
    ### END SOLUTION
'''

SAMPLE = ["week01", "week03", "project1"]


def outside(source: str) -> str:
    spans = submissions.solution_spans(source)
    parts, pos = [], 0
    for a, b in spans:
        parts.append(source[pos:a])
        pos = b
    return "".join(parts) + source[pos:]


def test_every_operator_makes_a_mutant_that_differs_and_parses():
    found = mutants.mutate_cell(CELL)
    ops = {m[0] for m in found}
    assert ops == set(mutants.OPERATORS), f"operators without a mutant: {set(mutants.OPERATORS) - ops}"
    original = ast.dump(ast.parse(CELL))
    for op, key, line, _col, src in found:
        assert src != CELL and ast.dump(ast.parse(src)) != original, key
        assert outside(src) == outside(CELL), f"{key}: changed code outside the solution block"
        assert key.startswith(op + ": ")
        assert 4 < line < 12
    assert len({m[1] for m in found}) == len(found), "keys must be unique within a cell"


def test_specific_mutations():
    keys = {m[1] for m in mutants.mutate_cell(CELL)}
    for expected in ("remove_kwarg: model(x, w, training=training, mask=None) -> model(x, w, mask=None)",
                     "remove_kwarg: model(x, w, training=training, mask=None) -> model(x, w, training=training)",
                     "stop_gradient: tf.stop_gradient(z[1:n]) -> z[1:n]",
                     "axis: z.sum(axis=0) > 0 -> z.sum(axis=1) > 0",
                     "swap_args: model(x, w, training=training, mask=None) -> model(w, x, training=training, mask=None)",
                     "drop_term: z = z + 2 * y - 1 -> z = z + 2 * y",
                     "swap_args: (z @ w, not flag, out, True) -> (w @ z, not flag, out, True)",
                     "negate: z = -z -> z = z", "remove_stmt: z = -z -> pass",
                     "index: np.maximum(x, y)[n] -> np.maximum(x, y)[n + 1]"):
        assert expected in keys, sorted(keys)


def test_first_bindings_are_not_removed():
    """Removing the statement that first binds a name is a NameError or dead code: not a mutant."""
    cell = "def g(x):\n    ### BEGIN SOLUTION\n    a = x + 1\n    a = a * 2\n    return a\n    ### END SOLUTION\n"
    removed = [m[1] for m in mutants.mutate_cell(cell) if m[0] == "remove_stmt"]
    assert removed == ["remove_stmt: a = a * 2 -> pass"]


def test_deterministic_and_capped():
    first = mutants.mutate_cell(CELL, cap=5, seed="week99-x")
    assert first == mutants.mutate_cell(CELL, cap=5, seed="week99-x")
    assert len(first) == 5 and len({m[0] for m in first}) == 5, "a capped choice covers operators first"
    everything = mutants.mutate_cell(CELL)
    assert [m[1] for m in first] == [m[1] for m in everything if m[1] in {f[1] for f in first}], "source order"
    for a in SAMPLE:
        one, _ = mutants.mutants(a)
        two, _ = mutants.mutants(a)
        assert one == two
        per: dict[str, int] = {}
        for m in one:
            per[m.exercise] = per.get(m.exercise, 0) + 1
        assert max(per.values()) <= mutants.DEFAULT_CAP
        small, _ = mutants.mutants(a, cap=2)
        assert all(n <= 2 for n in _count(small).values())
        assert {m.key for m in small} <= {m.key for m in one} | {m.key for m in mutants.mutants(a, cap=10**6)[0]}


def _count(ms):
    out: dict[str, int] = {}
    for m in ms:
        out[m.exercise] = out.get(m.exercise, 0) + 1
    return out


def test_course_mutants_change_only_solution_blocks():
    for a in SAMPLE:
        sources = {}
        for p in sorted((ROOT / "source_notebooks" / a).glob("*.ipynb")):
            for ex, entry in notebooks.exercises(notebooks.read(p)).items():
                if entry["code"] is not None:
                    sources[ex] = entry["code"].source
        found, _skipped = mutants.mutants(a)
        assert found, a
        for m in found:
            assert outside(m.source) == outside(sources[m.exercise]), m.key
            assert m.source != sources[m.exercise]
            ast.parse(m.source)


def test_skip_training_leaves_training_runs_out():
    found, skipped = mutants.mutants("project1", skip_training=True)
    assert skipped.get("project1-train", "").startswith("training run")
    assert not any(m.exercise == "project1-train" for m in found)


EQUIVALENT_FILES = sorted((ROOT / "tests" / "mutants").glob("*.py"))


@pytest.mark.parametrize("path", EQUIVALENT_FILES, ids=[p.stem for p in EQUIVALENT_FILES])
def test_equivalents_load_and_name_existing_mutants(path):
    assignment = path.stem
    listed = mutants.load_equivalent(assignment)
    found, _ = mutants.mutants(assignment)
    keys: dict[str, set[str]] = {}
    for m in found:
        keys.setdefault(m.exercise, set()).add(m.key)
    for ex, entries in listed.items():
        assert ex in keys, f"{path.name}: {ex} is not an exercise with mutants"
        for key, reason in entries.items():
            assert key in keys[ex], f"{path.name}: {ex}: no such mutant {key!r} (stale after an edit?)"
            assert isinstance(reason, str) and len(reason.strip()) > 10, f"{path.name}: {key!r} needs a reason"
