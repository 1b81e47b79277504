"""The program that runs *inside* the sandbox: it executes a student's code cells and answers calls.

It is untrusted by design: everything here runs in the same process as student code, so nothing it
sends back is believed. It only ever receives cell sources and plain-data arguments (never test code,
expected values or solutions) and only ever sends plain data (``plaindata``: JSON + npz, no pickle).

Requests (one at a time, from the trusted grader on fd $DLS_REQ_FD; replies on $DLS_RESP_FD):
    {"op": "run", "code": str}                       execute one cell (IPython syntax)
    {"op": "call", "name": str, "args": [...], "kwargs": {...}}   (reply: value, and the arguments
                                                  again when the call changed them in place)
    {"op": "get", "name": str}
    {"op": "preload", "modules": [str, ...]}     import installed libraries before any student code
                                                  runs (so a slow TensorFlow import under load is
                                                  never charged to a student cell's time limit)
        optional "twins": {target: exercise}    then block the course's own answers to this
                                                  assignment's exercises (``autograder/twins.py``)
    A "run" request may carry "trusted": true (an unchanged instructor cell, a test graded here): its
    code reads the blocked twins as the real functions.
"""

import ast
import collections.abc
import importlib
import importlib.abc
import inspect
import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plaindata  # noqa: E402

REQ = int(os.environ.pop("DLS_REQ_FD"))
RESP = int(os.environ.pop("DLS_RESP_FD"))
MAX_ITER = 100_000


def _hook(o):
    """Objects a test may legitimately receive, turned into plain data."""
    mod = type(o).__module__ or ""
    if "keras" in sys.modules and mod.startswith(("keras", "tf_keras", "tensorflow")):
        import keras

        if isinstance(o, keras.Model):
            cfg = keras.saving.serialize_keras_object(o)
            import json

            return {"kind": "keras-model", "config": json.dumps(cfg, default=str),
                    "weights": [w for w in o.get_weights()]}
        tf = sys.modules.get("tensorflow")
        if tf is not None and type(o).__name__ == "EagerTensor" and isinstance(o, tf.Tensor):
            value = o.numpy()  # a tensor comes back as a tensor (same dtype, same values)
            return {"kind": "tensor", "value": value, "dtype": o.dtype.name}
        if hasattr(o, "numpy"):  # tf.Variable, keras.Variable
            return {"kind": "array", "value": o.numpy()}
    if hasattr(o, "__array__") and mod.split(".")[0] in ("numpy", "jax", "torch"):
        import numpy as np

        return {"kind": "array", "value": np.asarray(o)}
    return NotImplemented


def _unhook(o):
    """Arguments the grader sent as plain data for objects it had (tensors): rebuilt as those objects."""
    if type(o) is tuple and len(o) == 2 and type(o[0]) is str and o[0] == "__hooked__" and type(o[1]) is dict:
        plain = o[1]
        if plain.get("kind") == "tensor":
            import tensorflow as tf

            return tf.constant(plain["value"], dtype=plain["dtype"])
        return o
    if type(o) in (list, tuple):
        return type(o)(_unhook(x) for x in o)
    if type(o) is dict:
        return {k: _unhook(v) for k, v in o.items()}
    return o


def _exception(exc):
    """The built-in class a test's ``except`` would see (the first built-in class in the exception's
    MRO) and its arguments when they are plain data: the grader re-raises that built-in type."""
    base = next((c for c in type(exc).__mro__ if c.__module__ == "builtins"), Exception)
    out = {"etype": base.__name__, "emessage": str(exc)[:2000]}
    try:
        out["eargs"] = plaindata.dumps(tuple(exc.args))
    except Exception:  # noqa: BLE001 - not plain data: the message alone
        pass
    return out


class _state:
    """Process state the trusted test set up around the call (``np.errstate``), applied here too."""

    def __init__(self, state):
        self.state = state if isinstance(state, dict) else {}
        self.saved = None

    def __enter__(self):
        err = self.state.get("errstate")
        if isinstance(err, dict) and "numpy" in sys.modules:
            import numpy as np

            self.saved = np.geterr()
            try:
                np.seterr(**{k: v for k, v in err.items() if k in ("divide", "over", "under", "invalid")})
            except Exception:  # noqa: BLE001
                pass
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            import numpy as np

            np.seterr(**self.saved)
        return False


TRUSTED = "<dls trusted cell"  # the file name of code compiled from a trusted "run" request


class _Twins(importlib.abc.MetaPathFinder):
    """Blocks the course's own answers to the exercises being graded (``autograder/twins.py``).

    Each target is replaced, where it lives and wherever a ``course`` module holds a reference to it
    (``course.nn.ACTIVATIONS``, ``course.vision.softmax``), by a blocker that raises unless its first
    caller outside the installed libraries is the course package (``course.deploy.tflite_predict``
    calls ``quantize``): the student's code, and a library it called (``np.apply_along_axis``), get
    the error. Trusted code (an unchanged instructor cell, a test graded here) reads ``module.twin``
    as the real function (:meth:`transformer`), so a test may use a twin as its reference or hand it
    to the student's code, while a student's own binding of the twin stays blocked even when a test
    calls it. Keras class attributes (``Layer.count_params``) are also let through for trusted code,
    which reaches them only through objects. As a ``sys.meta_path`` entry, it blocks again any
    ``course`` module imported afresh or reloaded."""

    def __init__(self, targets: dict):
        self.targets = dict(targets)
        self.blockers, self.reals = {}, {}  # id(real) -> blocker, id(blocker) -> real
        self.names = {t.partition(":")[2] for t in self.targets if "." not in t.partition(":")[2]}
        libs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
        self.libraries = tuple(p.rstrip(os.sep) + os.sep for p in libs | {os.path.realpath(p) for p in libs})
        for target in self.targets:
            self._block(target)
        for name in list(sys.modules):
            self._sweep(sys.modules.get(name))
        sys.meta_path.insert(0, self)

    def _block(self, target: str, module=None) -> None:
        modname, _, path = target.partition(":")
        try:
            module = module or importlib.import_module(modname)
            *owners, attr = path.split(".")
            owner = module
            for o in owners:
                owner = getattr(owner, o)
            real = getattr(owner, attr)
        except Exception:  # noqa: BLE001 - not importable here: nothing to block
            return
        if id(real) in self.reals:
            return
        if id(real) not in self.blockers:
            blocker = self._blocker(real, target, method=bool(owners))
            self.blockers[id(real)], self.reals[id(blocker)] = blocker, real
        setattr(owner, attr, self.blockers[id(real)])

    def _blocker(self, real, target: str, method: bool):
        label, exercise = target.replace(":", "."), self.targets[target]
        what = "the course's reference answer to" if label.startswith("course.") else "what is checked in"
        message = f"{label} is {what} this exercise ({exercise}): write your own"
        allowed = self._allowed

        def twin(*args, **kwargs):
            if allowed(sys._getframe(1), method):
                return real(*args, **kwargs)
            raise RuntimeError(message)

        twin.__name__ = twin.__qualname__ = getattr(real, "__name__", "twin")
        twin.__doc__ = f"Blocked while {exercise} is graded."
        try:
            twin.__signature__ = inspect.signature(real)
        except (TypeError, ValueError):
            pass
        return twin

    def _allowed(self, frame, method: bool) -> bool:
        while frame is not None:
            name, file = frame.f_globals.get("__name__") or "", frame.f_code.co_filename
            if name == "course" or name.startswith("course."):
                return True
            if not file.startswith(self.libraries + ("<frozen ",)):
                return method and file.startswith(TRUSTED)  # a cell, the submission's module, the probe
            frame = frame.f_back
        return False

    def real(self, owner, attr: str):
        """``owner.attr`` as trusted code reads it: a blocked module attribute is the real one."""
        value = getattr(owner, attr)
        if isinstance(owner, type(sys)) and id(value) in self.reals:
            return self.reals[id(value)]
        return value

    def transformer(self):
        """For trusted code: ``module.twin`` (a load) becomes ``__dls_real__(module, "twin")``."""
        names = self.names

        class RealTwins(ast.NodeTransformer):
            def visit_Attribute(self, node):
                self.generic_visit(node)
                if isinstance(node.ctx, ast.Load) and node.attr in names:
                    call = ast.Call(ast.Name("__dls_real__", ast.Load()), [node.value, ast.Constant(node.attr)], [])
                    return ast.copy_location(call, node)
                return node

        return RealTwins()

    def _sweep(self, module) -> None:
        """Blocks every reference a course module holds to a blocked twin."""
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or not (name == "course" or name.startswith("course.")):
            return
        for target in self.targets:
            if target.partition(":")[0] == name:
                self._block(target, module)
        for key, value in list(vars(module).items()):
            if id(value) in self.blockers:
                setattr(module, key, self.blockers[id(value)])
            elif type(value) is dict:
                for k, v in list(value.items()):
                    if id(v) in self.blockers:
                        value[k] = self.blockers[id(v)]

    def find_spec(self, name, path=None, target=None):
        if not (name == "course" or name.startswith("course.")):
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                        spec.loader = _Reblock(spec.loader, self)
                    return spec
        return None


class _Reblock(importlib.abc.Loader):
    """A course module's loader, followed by :meth:`_Twins._sweep` once the module has run."""

    def __init__(self, inner, twins):
        self.inner, self.twins = inner, twins

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.inner  # the module sees its own loader
        self.inner.exec_module(module)
        self.twins._sweep(module)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _error(exc):
    return f"{type(exc).__name__}: {exc}"[:2000]


def main():
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    ns = shell.user_ns
    counter = itertools.count(1)
    twins = None  # _Twins, once a preload request named some
    while True:
        try:
            request = plaindata.loads(plaindata.recv(REQ))
        except plaindata.ChannelClosed:
            return
        op = request.get("op")
        reply = {"ok": False, "error": f"unknown op {op!r}"}
        if op == "preload":
            import importlib

            done = []
            for mod in request.get("modules", [])[:50]:
                try:
                    importlib.import_module(str(mod))
                    done.append(str(mod))
                except BaseException:  # noqa: BLE001 - the cell that imports it will say why
                    pass
            reply = {"ok": True, "error": None, "loaded": done}
            if request.get("twins"):
                twins = _Twins(request["twins"])
        elif op == "run":
            real_twins = twins.transformer() if request.get("trusted") and twins is not None else None
            if real_twins:  # instructor code: it reads the real twins, and runs under a name that says so
                number = next(counter)
                shell.compile.get_code_name = lambda *_a, n=number: f"{TRUSTED} {n}>"
                shell.ast_transformers.append(real_twins)
                ns["__dls_real__"] = twins.real
            try:
                result = shell.run_cell(request["code"], store_history=False, silent=False)
            finally:
                if real_twins:
                    shell.compile.__dict__.pop("get_code_name", None)
                    shell.ast_transformers.remove(real_twins)
            exc = result.error_before_exec or result.error_in_exec
            reply = {"ok": result.success, "error": None if exc is None else _error(exc)}
        elif op in ("call", "get"):
            name = request["name"]
            if name not in ns:
                reply = {"ok": False, "error": f"NameError: name {name!r} is not defined"}
            else:
                rngs = []
                try:
                    if op == "get":
                        value = ns[name]
                    else:
                        args = _unhook(plaindata.loads(request["args"], rngs))
                        kwargs = _unhook(plaindata.loads(request["kwargs"], rngs))
                        with _state(request.get("state")):
                            value = ns[name](*args, **kwargs)
                    if isinstance(value, collections.abc.Iterator):
                        value = ("__iterator__", list(itertools.islice(value, MAX_ITER)))
                    payload = plaindata.dumps(value, _hook)
                    states = [g.bit_generator.state for g in rngs]
                    reply = {"ok": True, "value": payload, "rngs": plaindata.dumps(states)}
                    if op == "call":  # arguments changed in place (an optimiser updating params): sent back
                        try:
                            after = plaindata.dumps(args), plaindata.dumps(kwargs)
                        except Exception:  # noqa: BLE001 - not plain data any more: nothing to send back
                            after = request["args"], request["kwargs"]
                        if after != (request["args"], request["kwargs"]):
                            reply["mutated"] = after
                except BaseException as exc:  # noqa: BLE001 - the student's exception is the answer
                    reply = {"ok": False, "error": _error(exc), **_exception(exc)}
        plaindata.send(RESP, plaindata.dumps(reply))
        sys.stdout.flush()
        sys.stderr.flush()


if __name__ == "__main__":
    main()
