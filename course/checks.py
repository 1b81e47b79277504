"""Friendly assertions for the visible tests of graded exercises (DESIGN §3; Week 1).

Each check raises ``CheckFailed`` (an ``AssertionError``) with a message a student can act on: what
was checked, what was expected, what came back, and a hint. nbgrader counts a grade cell as passed
when it raises nothing, so these are plain functions with no state.

In a notebook (IPython kernel: JupyterLab, nbgrader, papermill) a failing check is shown as its
message first, then the cell line that called it: no traceback through this module. Elsewhere it is
an ordinary ``AssertionError`` whose ``str`` is the whole message.
"""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np


class CheckFailed(AssertionError):
    """A visible test found the result wrong; ``str(exc)`` is the full message (with its hint)."""

    def _render_traceback_(self) -> list[str]:
        """How IPython shows it (JupyterLab, nbgrader's feedback): the message, then the caller's line."""
        lines = [str(self)]
        where = _caller(self.__traceback__)
        if where:
            lines.append(f"(the failing check is called in {where})")
        return ["\n".join(lines)]


def _caller(tb) -> str | None:
    """``Cell In[3], line 2``: the innermost traceback entry outside this module (the test's line)."""
    last = None
    while tb is not None and tb.tb_frame.f_code.co_filename != __file__:
        last, tb = tb, tb.tb_next
    if last is None:
        return None
    filename, lineno = last.tb_frame.f_code.co_filename, last.tb_lineno
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    label = None
    if shell is not None and hasattr(shell, "compile"):
        label = shell.compile.format_code_name(filename)
    return f"{label[0]} {label[1]}, line {lineno}" if label else f"{filename}, line {lineno}"


def _fail(name: str, problem: str, hint: str | None = None) -> None:
    msg = f"[{name}] {problem}"
    if hint:
        msg += f"\n  Hint: {hint}"
    raise CheckFailed(msg)


def _as_array(value, name):
    if value is None:
        _fail(name, "got None: did the function forget to `return` its result?")
    try:
        return np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is the student's to see
        _fail(name, f"could not turn the result ({type(value).__name__}) into an array: {exc}")


def check_shape(actual, shape, name: str = "result", hint: str | None = None) -> None:
    """The result has exactly ``shape``."""
    arr = _as_array(actual, name)
    if tuple(arr.shape) != tuple(shape):
        _fail(name, f"expected shape {tuple(shape)}, got {tuple(arr.shape)}", hint)


def check_dtype_kind(actual, kind: str = "f", name: str = "result", hint: str | None = None) -> None:
    """The result's dtype is of a NumPy kind: ``"f"`` float, ``"i"`` int, ``"b"`` bool."""
    arr = _as_array(actual, name)
    kinds = {"f": "floating-point", "i": "integer", "b": "boolean", "u": "unsigned integer"}
    if arr.dtype.kind != kind and not (kind == "i" and arr.dtype.kind == "u"):
        _fail(name, f"expected a {kinds.get(kind, kind)} array, got dtype {arr.dtype}", hint)


def allclose(actual, expected, name: str = "result", rtol: float = 1e-5, atol: float = 1e-8,
             hint: str | None = None) -> None:
    """``actual`` matches ``expected`` in shape and values (NaN never matches)."""
    exp = np.asarray(expected, dtype=float)
    arr = _as_array(actual, name)
    if arr.shape != exp.shape:
        _fail(name, f"expected shape {exp.shape}, got {arr.shape}", hint)
    if arr.dtype.kind not in "fiub":
        _fail(name, f"expected numbers, got dtype {arr.dtype}", hint)
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr) | ~np.isfinite(exp)):
        _fail(name, "the result contains NaN or inf where finite values were expected", hint
              or "look for overflow in exp() or division by zero")
    close = np.isclose(arr, exp, rtol=rtol, atol=atol)
    if not np.all(close):
        bad = np.argwhere(~close)
        where = tuple(int(i) for i in bad[0]) if arr.ndim else ()
        got = arr[where] if arr.ndim else arr
        want = exp[where] if exp.ndim else exp
        _fail(name, f"{len(bad)} of {arr.size} values differ (rtol={rtol}, atol={atol}); "
                    f"first at index {where}: expected {want:.6g}, got {got:.6g}", hint)


def equal(actual, expected, name: str = "result", hint: str | None = None) -> None:
    """Exact equality of plain values (ints, strings, tuples) or integer arrays."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        a, e = np.asarray(actual), np.asarray(expected)
        if a.shape != e.shape or not np.array_equal(a, e):
            _fail(name, f"expected {e.tolist()!r}, got {a.tolist()!r}", hint)
        return
    if type(actual) is not type(expected) and not (
            isinstance(actual, (int, np.integer)) and isinstance(expected, (int, np.integer))):
        _fail(name, f"expected a {type(expected).__name__}, got {type(actual).__name__}", hint)
    if actual != expected:
        _fail(name, f"expected {expected!r}, got {actual!r}", hint)


def is_true(condition, name: str, problem: str, hint: str | None = None) -> None:
    """A condition the test states in words (``problem`` is shown when it is False)."""
    if not bool(condition):
        _fail(name, problem, hint)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function ``f`` at ``x`` (Week 2, gradient checking).

    ``x`` is perturbed in place one entry at a time and restored; returns an array like ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = float(f(x))
        x[i] = old - eps
        minus = float(f(x))
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """max |a-b| / max(|a|+|b|, tiny): the gradient-check score (below ~1e-6 is a pass)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


def gradient_matches(analytic, numeric, name: str = "gradient", tol: float = 1e-6,
                     hint: str | None = None) -> None:
    """An analytic gradient agrees with a numerical one (relative error below ``tol``)."""
    a = _as_array(analytic, name)
    n = np.asarray(numeric)
    if a.shape != n.shape:
        _fail(name, f"expected shape {n.shape}, got {a.shape}", hint)
    err = relative_error(a, n)
    if not np.isfinite(err) or err > tol:
        _fail(name, f"relative error {err:.3g} against finite differences (needs < {tol:g})",
              hint or "compare one entry at a time; check transposes and the 1/batch factor")


class blocked:
    """Context manager: inside it, each ``(owner, "attribute")`` (``(tf.nn, "conv2d")``) raises.

    A "from scratch" exercise is compared against a framework function; a hidden test calls the
    student's function inside ``with checks.blocked((tf.nn, "softmax"), name="softmax"):`` so that
    an answer that simply calls that function fails with a clear message (Weeks 1-3). The original
    attributes are restored on exit, whatever happens inside.
    """

    def __init__(self, *targets, name: str = "from scratch"):
        self.targets, self.name, self.saved = targets, name, []

    def __enter__(self):
        for owner, attr in self.targets:
            if not hasattr(owner, attr):   # not in this library version: nothing to block
                continue
            owner_name = getattr(owner, "__name__", type(owner).__name__)
            label = f"{owner_name.replace('tensorflow._api.v2.', 'tf.').replace('tensorflow', 'tf')}.{attr}"

            def refuse(*_args, _label=label, **_kwargs):
                _fail(self.name, f"your code called {_label}, the library function this exercise "
                                 "is checked against", "write it from array operations, as the text asks")

            self.saved.append((owner, attr, getattr(owner, attr)))
            setattr(owner, attr, refuse)
        return self

    def __exit__(self, *exc):
        while self.saved:
            owner, attr, original = self.saved.pop()
            setattr(owner, attr, original)
        return False
