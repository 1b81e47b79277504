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
"""

import collections.abc
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


def _error(exc):
    return f"{type(exc).__name__}: {exc}"[:2000]


def main():
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    ns = shell.user_ns
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
        elif op == "run":
            result = shell.run_cell(request["code"], store_history=False, silent=False)
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
