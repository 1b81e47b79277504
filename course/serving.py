"""A small model server speaking TensorFlow Serving's REST API (introduced in Week 12, "Serving").

``tensorflow_model_server`` is a C++ binary that is not on PyPI, so the course ships this stand-in:
a real HTTP server process (``http.server.ThreadingHTTPServer``) that loads a SavedModel with
``tf.saved_model.load`` and answers the same routes with the same JSON as TensorFlow Serving:

- ``GET  /v1/models/<name>``                  model status (``model_version_status``, state ``AVAILABLE``)
- ``GET  /v1/models/<name>/metadata``          the serving signature (input/output names, dtypes, shapes)
- ``POST /v1/models/<name>:predict``           ``{"instances": [...]}`` -> ``{"predictions": [...]}``
  (row format) or ``{"inputs": ...}`` -> ``{"outputs": ...}`` (columnar format); also under
  ``/v1/models/<name>/versions/<v>:predict``
- ``GET  /ping`` and ``POST /invocations``     Amazon SageMaker's container contract (Week 12, "Cloud")

Bad requests get HTTP 400 with ``{"error": "..."}`` saying what was wrong (as TensorFlow Serving
does); unknown routes and models get 404. Run it with::

    python -m course.serving --model-dir exported/fmnist --model-name fmnist --port 8501

``--model-dir`` is either a SavedModel or a TensorFlow Serving *base path* holding numbered version
folders (``fmnist/1/``, ``fmnist/2/`` …: the highest is served). ``--port 0`` picks a free port.
When the model is loaded the server prints one line ``SERVING http://HOST:PORT`` (clients wait for
it: ``course.deploy.start_server``). ``--parent-pid`` makes the server exit when that process dies,
so a notebook kernel that is killed never leaves a server behind. A trailing ``serve`` argument
(what SageMaker passes to a container) is accepted and ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

MAX_BODY_BYTES = 64 * 1024 * 1024


class BadRequest(ValueError):
    """A client error: answered with HTTP 400 and ``{"error": str(exc)}``."""


def resolve_version(model_dir: str | os.PathLike) -> tuple[Path, str]:
    """``(saved_model_dir, version)``: the highest numbered sub-folder of a base path, else the folder itself."""
    base = Path(model_dir)
    if (base / "saved_model.pb").exists():
        return base, "1"
    versions = sorted((int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()), reverse=True) \
        if base.is_dir() else []
    for v in versions:
        if (base / str(v) / "saved_model.pb").exists():
            return base / str(v), str(v)
    raise FileNotFoundError(f"{base}: no SavedModel (saved_model.pb) here nor in a numbered version folder")


def parse_instances(payload, input_shape, key: str = "instances") -> np.ndarray:
    """Validate a decoded predict request and return its inputs as a float32 array.

    ``payload`` must be a JSON object holding ``key`` (``"instances"``: a list, one entry per
    example; ``"inputs"``: the columnar form, same rule for a single input). ``input_shape`` is the
    signature's shape without the batch dimension (``None`` entries accept any size). Raises
    :class:`BadRequest` with a readable message for anything else.
    """
    if not isinstance(payload, dict):
        raise BadRequest("the request body must be a JSON object like {\"instances\": [...]}")
    if key not in payload:
        raise BadRequest(f"missing key {key!r}: send {{\"{key}\": [example, example, ...]}} "
                         f"(got keys {sorted(payload)})")
    rows = payload[key]
    if not isinstance(rows, list) or not rows:
        raise BadRequest(f"{key!r} must be a non-empty list with one entry per example")
    try:
        x = np.asarray(rows, dtype=np.float32)
    except (ValueError, TypeError):
        raise BadRequest(f"{key!r} must hold numbers in nested lists of equal lengths (a ragged or "
                         "non-numeric value was sent)") from None
    expected = tuple(input_shape)
    if x.ndim != len(expected) + 1 or any(e is not None and e != g for e, g in zip(expected, x.shape[1:])):
        shown = "(" + ", ".join("?" if e is None else str(e) for e in expected) + ")"
        raise BadRequest(f"each instance must have shape {shown}; got a batch of shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise BadRequest("instances contain NaN or infinity")
    return x


class ServedModel:
    """A SavedModel's ``serving_default`` signature with one input, callable on NumPy arrays."""

    def __init__(self, model_dir: str | os.PathLike, name: str):
        import tensorflow as tf

        self.name = name
        self.path, self.version = resolve_version(model_dir)
        self._loaded = tf.saved_model.load(str(self.path))
        self.fn = self._loaded.signatures["serving_default"]
        inputs = self.fn.structured_input_signature[1]
        if len(inputs) != 1:
            raise ValueError(f"{self.path}: the course server handles one input, the signature has {list(inputs)}")
        self.input_name, spec = next(iter(inputs.items()))
        self.input_shape = tuple(spec.shape[1:].as_list())
        self.input_dtype = spec.dtype
        self.outputs = self.fn.structured_outputs
        self._tf = tf

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        out = self.fn(**{self.input_name: self._tf.constant(x, dtype=self.input_dtype)})
        return {k: v.numpy() for k, v in out.items()}

    def metadata(self) -> dict:
        def spec(s):
            return {"dtype": s.dtype.name, "shape": [-1 if d is None else d for d in s.shape.as_list()]}

        inputs = self.fn.structured_input_signature[1]
        return {"model_spec": {"name": self.name, "version": self.version, "signature_name": ""},
                "metadata": {"signature_def": {"signature_def": {"serving_default": {
                    "inputs": {k: spec(v) for k, v in inputs.items()},
                    "outputs": {k: spec(v) for k, v in self.outputs.items()},
                    "method_name": "tensorflow/serving/predict"}}}}}

    def status(self) -> dict:
        return {"model_version_status": [{"version": self.version, "state": "AVAILABLE",
                                          "status": {"error_code": "OK", "error_message": ""}}]}

    def respond(self, payload) -> dict:
        """TensorFlow Serving's predict: row format (instances/predictions) or columnar (inputs/outputs)."""
        columnar = isinstance(payload, dict) and "inputs" in payload and "instances" not in payload
        x = parse_instances(payload, self.input_shape, key="inputs" if columnar else "instances")
        out = self.predict(x)
        if columnar:
            return {"outputs": (next(iter(out.values())).tolist() if len(out) == 1
                                else {k: v.tolist() for k, v in out.items()})}
        if len(out) == 1:
            return {"predictions": next(iter(out.values())).tolist()}
        return {"predictions": [{k: v[i].tolist() for k, v in out.items()} for i in range(len(x))]}


_PREDICT = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?:predict$")
_STATUS = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?(?P<meta>/metadata)?$")


def make_handler(model: ServedModel):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "course-serving/1.0"

        def log_message(self, *args):  # quiet: a load test would flood the log
            pass

        def _send(self, code: int, body: dict | str):
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _version_ok(self, version):
            return version is None or version == model.version

        def do_GET(self):  # noqa: N802 - http.server's naming
            path = self.path.split("?")[0]
            if path == "/ping":
                return self._send(200, "")
            m = _STATUS.match(path)
            if m and m["name"] == model.name and self._version_ok(m["version"]):
                return self._send(200, model.metadata() if m["meta"] else model.status())
            if m:
                return self._send(404, {"error": f"Servable not found for request: {m['name']} "
                                                 f"(this server serves {model.name!r}, version {model.version})"})
            return self._send(404, {"error": f"no route GET {path}"})

        def do_POST(self):  # noqa: N802
            path = self.path.split("?")[0]
            m = _PREDICT.match(path)
            if not (path == "/invocations" or m):
                self._drain()
                return self._send(404, {"error": f"no route POST {path}"})
            if m and not (m["name"] == model.name and self._version_ok(m["version"])):
                self._drain()
                return self._send(404, {"error": f"Servable not found for request: {m['name']}"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    raise BadRequest(f"request body of {length} bytes is over the limit of {MAX_BODY_BYTES}")
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw or b"null")
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise BadRequest(f"the body is not valid JSON ({exc})") from None
                return self._send(200, model.respond(payload))
            except BadRequest as exc:
                return self._send(400, {"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - a server answers 500, never dies on one request
                return self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

        def _drain(self):
            length = int(self.headers.get("Content-Length") or 0)
            if 0 < length <= MAX_BODY_BYTES:
                self.rfile.read(length)

    return Handler


def _watch_parent(pid: int, server: ThreadingHTTPServer) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except OSError:  # the parent is gone: leave nothing behind
            server.shutdown()
            return


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course.serving", description=__doc__.split("\n")[0])
    p.add_argument("command", nargs="?", default="serve", choices=["serve"], help="SageMaker passes 'serve'")
    p.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", "/opt/ml/model"))
    p.add_argument("--model-name", default=os.environ.get("MODEL_NAME", "model"))
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    p.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    model = ServedModel(args.model_dir, args.model_name)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid, server), daemon=True).start()
    host, port = server.server_address[:2]
    print(f"SERVING http://{host}:{port} model={model.name} version={model.version} "
          f"input={model.input_name}{list(model.input_shape)}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
