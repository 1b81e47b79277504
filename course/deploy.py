"""Deployment and optimization helpers (introduced in Weeks 11 and 12).

Week 11, "Compression": :class:`Distiller` (knowledge distillation with a loss you pass in),
:func:`tflite_convert` (post-training float / dynamic-range / float16 / full-integer int8 with a
representative dataset), :func:`tflite_predict` and :func:`tflite_latency_ms` (LiteRT's
``ai_edge_litert`` interpreter), :func:`gzip_size`, :class:`PruningCallback` (magnitude pruning for
Keras 3 with a polynomial-decay sparsity schedule and a mask function you pass in),
:func:`sparsity`, and the reference versions of what the Week 11 exercises build:
:func:`affine_qparams`, :func:`quantize`, :func:`dequantize`, :func:`magnitude_mask`,
:func:`polynomial_sparsity`.

Week 12, "Serving" and "Scaling out": :func:`export_saved_model`, :func:`start_server` (runs
``python -m course.serving`` — TensorFlow Serving's REST API — as a subprocess on loopback),
:func:`http_json`, :func:`rest_predict`, :func:`load_test`, :func:`latency_summary`,
:func:`export_onnx` / :func:`onnx_predict` (onnxruntime), :func:`tf_config` and
:func:`run_workers` (a multi-worker ``tf.distribute`` job as local processes), :func:`free_port`,
:func:`format_table`.

TensorFlow is imported inside the functions that need it, so ``import course.deploy`` stays cheap.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

# ------------------------------------------------------------------------------------------------
# tables and sizes


def format_table(rows: list[dict], columns: list[str] | None = None, floatfmt: str = ".4g") -> str:
    """A Markdown table of ``rows`` (dicts); numbers formatted with ``floatfmt``."""
    columns = columns or list(rows[0])

    def fmt(v):
        return format(v, floatfmt) if isinstance(v, float) else str(v)

    body = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(columns)]
    line = "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line, sep] + ["| " + " | ".join(v.rjust(w) for v, w in zip(b, widths)) + " |" for b in body])


def gzip_size(data: bytes | str | os.PathLike) -> int:
    """Bytes after gzip (level 9) of ``data`` or of a file: what a download really costs.

    Pruned weights are zeros; zeros compress, so the gzip size shows what pruning saves."""
    if not isinstance(data, bytes):
        data = Path(data).read_bytes()
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def keras_weights_bytes(model) -> bytes:
    """The float32 weights of a Keras model as raw bytes (their size is the model's size)."""
    return b"".join(np.asarray(w, dtype=np.float32).tobytes() for w in model.get_weights())


# ------------------------------------------------------------------------------------------------
# Week 11: quantization (reference versions of the exercises)


def affine_qparams(x_min: float, x_max: float, num_bits: int = 8, signed: bool = True) -> tuple[float, int]:
    """Scale and zero point of the affine map ``x ≈ scale * (q - zero_point)`` covering [x_min, x_max].

    The range is widened to include 0 (so 0.0 is exactly representable), the zero point is rounded
    to an integer and clamped into the integer range (TFLite's scheme for activations)."""
    qmin, qmax = (-(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1) if signed else (0, 2 ** num_bits - 1)
    x_min, x_max = min(float(x_min), 0.0), max(float(x_max), 0.0)
    scale = (x_max - x_min) / (qmax - qmin) if x_max > x_min else 1.0
    zero_point = int(np.clip(np.round(qmin - x_min / scale), qmin, qmax))
    return scale, zero_point


def quantize(x, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127) -> np.ndarray:
    """``clip(round(x / scale) + zero_point, qmin, qmax)`` as int32."""
    q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point
    return np.clip(q, qmin, qmax).astype(np.int32)


def dequantize(q, scale: float, zero_point: int) -> np.ndarray:
    """``scale * (q - zero_point)`` as float32."""
    return (scale * (np.asarray(q, dtype=np.float64) - zero_point)).astype(np.float32)


# ------------------------------------------------------------------------------------------------
# Week 11: TFLite / LiteRT

TFLITE_MODES = ("float32", "dynamic", "float16", "int8")


def export_saved_model(model, path: str | os.PathLike) -> Path:
    """``model.export(path)``: a SavedModel with a ``serving_default`` signature (quietly)."""
    import tensorflow as tf

    path = Path(path)
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # no "Assets written to ..." lines
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            model.export(str(path), format="tf_saved_model", verbose=False)
    finally:
        logger.setLevel(level)
    return path


def tflite_convert(model, mode: str = "float32", representative=None, num_calibration: int = 200,
                   per_channel: bool = True) -> bytes:
    """Convert a Keras 3 model, a ``tf_keras`` model or a SavedModel folder to a TFLite flatbuffer.

    mode: ``float32`` (no optimization), ``dynamic`` (dynamic-range: int8 weights, float
    activations), ``float16`` (float16 weights), ``int8`` (full integer: int8 weights *and*
    activations, int8 input and output; needs ``representative``, an array of typical inputs used
    to calibrate the activation ranges). A quantization-aware-trained model converted with
    ``dynamic`` becomes an int8 model with float input and output (its ranges were learned).

    ``per_channel=False`` (int8 only): one scale per Dense weight matrix instead of one per output
    unit. Each per-channel unit also stores a float scale, an int64 zero point and an int32 bias with
    its own scale and zero point (~24 bytes), which caps an MLP on 784 inputs at ~3.88x smaller than
    float; per-tensor Dense weights reach ~3.97x at the price of a coarser grid for every unit."""
    import tensorflow as tf

    if mode not in TFLITE_MODES:
        raise ValueError(f"mode={mode!r}: use one of {TFLITE_MODES}")
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(model, (str, os.PathLike)):
            conv = tf.lite.TFLiteConverter.from_saved_model(str(model))
        elif type(model).__module__.startswith("tf_keras"):  # legacy Keras 2 (e.g. a TF-MOT QAT model)
            conv = tf.lite.TFLiteConverter.from_keras_model(model)
        else:
            conv = tf.lite.TFLiteConverter.from_saved_model(str(export_saved_model(model, Path(tmp) / "saved")))
        if mode != "float32":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if mode == "float16":
            conv.target_spec.supported_types = [tf.float16]
        if mode == "int8":
            if representative is None:
                raise ValueError("full-integer int8 needs a representative dataset (typical inputs)")
            rep = np.asarray(representative, dtype=np.float32)[:num_calibration]

            def gen():
                for i in range(len(rep)):
                    yield [rep[i:i + 1]]

            conv.representative_dataset = gen
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
            if not per_channel:  # the converter's (experimental) switch for Dense / FullyConnected layers
                conv._experimental_disable_per_channel_quantization_for_dense_layers = True
        import warnings

        from ._quiet import native_stderr_filtered

        # the converter's C++ notes (e.g. "fully_quantize: 0, inference_type: 6, ...") go to fd 2;
        # filtered like TensorFlow's start-up log: any other line, a real error, still shows
        with warnings.catch_warnings(), native_stderr_filtered():
            warnings.simplefilter("ignore")
            return conv.convert()


def interpreter(model_bytes: bytes, batch_size: int | None = None):
    """A LiteRT interpreter (``ai_edge_litert``) for a TFLite flatbuffer, tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model_bytes, num_threads=1)
    if batch_size is not None:
        inp = it.get_input_details()[0]
        it.resize_tensor_input(inp["index"], [batch_size, *inp["shape"][1:]])
    it.allocate_tensors()
    return it


def tflite_predict(model_bytes: bytes, x, batch_size: int = 256) -> np.ndarray:
    """Float outputs of a TFLite model on ``x``: int8 inputs are quantized with the input tensor's
    (scale, zero point) and int8 outputs dequantized — what a phone app must do around an int8 model."""
    x = np.asarray(x, dtype=np.float32)
    outs = []
    it, size = None, None
    for start in range(0, len(x), batch_size):
        xb = x[start:start + batch_size]
        if len(xb) != size:
            it, size = interpreter(model_bytes, batch_size=len(xb)), len(xb)
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        if inp["dtype"] in (np.int8, np.uint8):
            scale, zp = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            xb = quantize(xb, scale, zp, info.min, info.max).astype(inp["dtype"])
        it.set_tensor(inp["index"], xb)
        it.invoke()
        y = it.get_tensor(out["index"])
        if out["dtype"] in (np.int8, np.uint8):
            y = dequantize(y, *out["quantization"])
        outs.append(np.asarray(y, dtype=np.float32))
    return np.concatenate(outs)


def tflite_latency_ms(model_bytes: bytes, example, repeats: int = 50) -> float:
    """Median milliseconds of one single-example ``invoke()`` (what an app on one core sees)."""
    it = interpreter(model_bytes, batch_size=1)
    inp = it.get_input_details()[0]
    x = np.zeros(inp["shape"], dtype=inp["dtype"])
    if inp["dtype"] in (np.int8, np.uint8):
        x[:] = quantize(example, *inp["quantization"], np.iinfo(inp["dtype"]).min, np.iinfo(inp["dtype"]).max)
    else:
        x[:] = example
    it.set_tensor(inp["index"], x)
    it.invoke()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def keras_latency_ms(model, example, repeats: int = 50) -> float:
    """Median milliseconds of one single-example call of a Keras model, compiled with ``tf.function``."""
    import tensorflow as tf

    fn = tf.function(lambda t: model(t, training=False))
    x = tf.constant(np.asarray(example, dtype=np.float32)[None])
    fn(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x).numpy()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


# ------------------------------------------------------------------------------------------------
# Week 11: knowledge distillation


def _distiller_class():
    import keras

    class Distiller(keras.Model):
        """Train ``student`` on ``alpha * CE(labels) + (1 - alpha) * distill_fn(student, teacher, T)``.

        The teacher is frozen and only run forward; ``distill_fn(student_logits, teacher_logits,
        temperature)`` is the distillation loss (Week 11, Exercise 1). ``predict``/``evaluate``
        use the student alone."""

        def __init__(self, student, teacher, distill_fn, temperature: float = 4.0, alpha: float = 0.1, **kw):
            super().__init__(**kw)
            self.student, self.teacher = student, teacher
            self.teacher.trainable = False
            self.distill_fn, self.temperature, self.alpha = distill_fn, float(temperature), float(alpha)
            self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        def call(self, x, training=False):
            return self.student(x, training=training)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            teacher_logits = self.teacher(x, training=False)
            hard = self.ce(y, y_pred)
            soft = self.distill_fn(y_pred, teacher_logits, self.temperature)
            return self.alpha * hard + (1.0 - self.alpha) * soft

    return Distiller


def __getattr__(name):
    if name == "Distiller":  # built lazily: Keras is imported only when it is used
        return _distiller_class()
    if name == "PruningCallback":
        return _pruning_class()
    raise AttributeError(f"module 'course.deploy' has no attribute {name!r}")


# ------------------------------------------------------------------------------------------------
# Week 11: pruning


def magnitude_mask(weights, sparsity: float) -> np.ndarray:
    """A 0/1 float32 mask of ``weights``' shape zeroing the ``round(sparsity * size)`` smallest |w|."""
    w = np.abs(np.asarray(weights, dtype=np.float64)).ravel()
    k = int(round(float(sparsity) * w.size))
    mask = np.ones(w.size, dtype=np.float32)
    if k > 0:
        mask[np.argsort(w, kind="stable")[:k]] = 0.0
    return mask.reshape(np.shape(weights))


def polynomial_sparsity(step, initial: float, final: float, begin_step: int, end_step: int,
                        power: float = 3.0) -> float:
    """Target sparsity at ``step``: ``final + (initial - final) * (1 - progress) ** power``, with
    progress = (step - begin) / (end - begin) clipped to [0, 1] (TF-MOT's ``PolynomialDecay``)."""
    progress = np.clip((step - begin_step) / max(end_step - begin_step, 1), 0.0, 1.0)
    return float(final + (initial - final) * (1.0 - progress) ** power)


def prunable_weights(model) -> list:
    """The kernels (not biases) of the Dense and Conv layers of a Keras model."""
    import keras

    out = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D)):
            out.append(layer.kernel)
        elif getattr(layer, "layers", None):  # a nested model
            out.extend(prunable_weights(layer))
    return out


def sparsity(model) -> float:
    """Fraction of exact zeros among the prunable kernels of ``model``."""
    ws = [np.asarray(w) for w in prunable_weights(model)]
    return float(sum((w == 0).sum() for w in ws) / max(sum(w.size for w in ws), 1))


def _pruning_class():
    import keras

    class PruningCallback(keras.callbacks.Callback):
        """Magnitude pruning for Keras 3 models (what TF-MOT's ``prune_low_magnitude`` does on tf_keras).

        Every ``frequency`` steps between ``begin_step`` and ``end_step`` it recomputes each kernel's
        mask with ``mask_fn(kernel, target)`` (Week 11's magnitude mask), the target sparsity
        following :func:`polynomial_sparsity`; after *every* training step it multiplies the kernels
        by their masks, so pruned weights stay zero while the others keep learning. ``history``
        records ``(step, target, actual)``."""

        def __init__(self, mask_fn, final_sparsity: float, end_step: int, begin_step: int = 0,
                     initial_sparsity: float = 0.0, frequency: int = 10, power: float = 3.0):
            super().__init__()
            self.mask_fn, self.final, self.initial = mask_fn, final_sparsity, initial_sparsity
            self.begin, self.end, self.frequency, self.power = begin_step, end_step, frequency, power
            self.step, self.masks, self.history = 0, None, []

        def _update_masks(self):
            target = polynomial_sparsity(self.step, self.initial, self.final, self.begin, self.end, self.power)
            self.masks = [np.asarray(self.mask_fn(np.asarray(w), target), dtype=np.float32) for w in self.kernels]
            return target

        def on_train_begin(self, logs=None):
            self.kernels = prunable_weights(self.model)
            if self.masks is None:
                self._update_masks()

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            updated = self.begin <= self.step <= self.end and (self.step - self.begin) % self.frequency == 0
            if updated:
                target = self._update_masks()
            for w, m in zip(self.kernels, self.masks):
                w.assign(w.numpy() * m)
            if updated:
                self.history.append((self.step, target, sparsity(self.model)))

    return PruningCallback


# ------------------------------------------------------------------------------------------------
# Week 12: serving over HTTP


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerProcess:
    """A ``python -m course.serving`` subprocess; ``stop()`` (or leaving a ``with`` block) ends it."""

    def __init__(self, proc: subprocess.Popen, url: str, name: str, banner: str):
        self.proc, self.url, self.name, self.banner = proc, url, name, banner

    @property
    def predict_url(self) -> str:
        return f"{self.url}/v1/models/{self.name}:predict"

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"ServerProcess(pid={self.proc.pid}, url={self.url!r}, model={self.name!r}, running={self.running()})"


def server_command(model_dir, name: str, port: int = 0, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "course.serving", "--model-dir", str(model_dir), "--model-name", name,
            "--host", host, "--port", str(port), "--parent-pid", str(os.getpid())]


def _course_env() -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    root = str(Path(__file__).resolve().parents[1])  # so `-m course.serving` works from any cwd
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def launch_server(model_dir, name: str, port: int = 0, host: str = "127.0.0.1", command=None) -> subprocess.Popen:
    """Start the server process and return at once (call :func:`wait_ready` later): the ~5 s it
    spends importing TensorFlow can overlap with other work."""
    return subprocess.Popen(command or server_command(model_dir, name, port, host), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_course_env())


def wait_ready(proc: subprocess.Popen, name: str, timeout: float = 120) -> ServerProcess:
    """Block until the server prints ``SERVING http://...``; raise with its stderr if it dies first."""
    box = {}

    def read():
        for line in proc.stdout:
            if line.startswith("SERVING "):
                box["line"] = line.strip()
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    if "line" not in box:
        proc.kill()
        err = proc.stderr.read()[-3000:] if proc.stderr else ""
        raise RuntimeError(f"the model server did not start within {timeout:g} s:\n{err}")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # never block on a full pipe
    return ServerProcess(proc, box["line"].split()[1], name, box["line"])


def start_server(model_dir, name: str, port: int = 0, host: str = "127.0.0.1", timeout: float = 120) -> ServerProcess:
    """Serve ``model_dir`` (a SavedModel or a versioned base path) on loopback; returns when ready."""
    return wait_ready(launch_server(model_dir, name, port, host), name, timeout)


def http_json(method: str, url: str, body=None, timeout: float = 30) -> tuple[int, dict | str]:
    """One HTTP request with urllib; returns ``(status, decoded JSON or text)`` — also for 4xx/5xx."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode()
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def rest_predict(url: str, name: str, instances) -> np.ndarray:
    """``POST {url}/v1/models/{name}:predict`` with ``{"instances": ...}``; the predictions as an array."""
    status, body = http_json("POST", f"{url}/v1/models/{name}:predict",
                             {"instances": np.asarray(instances).tolist()})
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {body}")
    return np.asarray(body["predictions"], dtype=np.float32)


def load_test(url: str, body: dict, n_requests: int = 2000, concurrency: int = 8,
              timeout: float = 30) -> tuple[np.ndarray, float, int]:
    """Send ``n_requests`` POSTs of ``body`` from ``concurrency`` threads (each with its own
    keep-alive connection). Returns ``(latencies in seconds, wall-clock seconds, errors)``."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    data = json.dumps(body).encode()
    counter = iter(range(n_requests))
    lock = threading.Lock()
    latencies, errors = [], [0]

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                t0 = time.perf_counter()
                try:
                    conn.request("POST", parts.path, data, {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                except OSError:
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                    ok = False
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    errors[0] += not ok
        finally:
            conn.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    return np.asarray(latencies), time.perf_counter() - t0, errors[0]


def latency_summary(latencies_s, wall_s: float) -> dict:
    """``{"p50_ms", "p99_ms", "rps"}``: latency percentiles (linear interpolation, ``np.percentile``)
    and throughput = requests / wall-clock time (not / summed latency: requests overlap)."""
    lat = np.asarray(latencies_s, dtype=np.float64)
    return {"p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3),
            "rps": float(len(lat) / wall_s)}


# ------------------------------------------------------------------------------------------------
# Week 12: ONNX


def export_onnx(model, path: str | os.PathLike) -> Path:
    """``model.export(path, format="onnx")`` (Keras 3 uses tf2onnx under the hood), quietly.

    Keras refuses to export a model that was built but never called ("The model provided has never
    called"), so a fresh model is first called once on zeros of its input shape."""
    import warnings

    path = Path(path)
    if not getattr(model, "_called", True) and getattr(model, "inputs", None):
        zeros = [np.zeros((1, *(d or 1 for d in t.shape[1:])), dtype=t.dtype) for t in model.inputs]
        model(zeros if len(zeros) > 1 else zeros[0])
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.export(str(path), format="onnx", verbose=False)
    return path


def onnx_predict(path: str | os.PathLike, x) -> np.ndarray:
    """Run an ONNX model with onnxruntime on the CPU (first input, first output)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: np.asarray(x, dtype=np.float32)})[0]


# ------------------------------------------------------------------------------------------------
# Week 12: multi-worker training


def tf_config(workers: list[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``workers`` (``host:port`` strings)."""
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": int(index)}}


def run_workers(script: str | os.PathLike, n_workers: int = 2, timeout: float = 300,
                args: list[str] | None = None) -> list[subprocess.CompletedProcess]:
    """Run ``script`` as ``n_workers`` local processes forming one ``MultiWorkerMirroredStrategy``
    cluster on loopback (each gets its own ``TF_CONFIG``). Returns their completed processes;
    on a timeout every worker is killed."""
    workers = [f"localhost:{free_port()}" for _ in range(n_workers)]
    procs = []
    for i in range(n_workers):
        env = _course_env()
        env["TF_CONFIG"] = json.dumps(tf_config(workers, i))
        env["CUDA_VISIBLE_DEVICES"] = env.get("CUDA_VISIBLE_DEVICES", "")
        procs.append(subprocess.Popen([sys.executable, str(script), *(args or [])], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env))
    results = []
    deadline = time.monotonic() + timeout
    try:
        for p in procs:
            out, err = p.communicate(timeout=max(deadline - time.monotonic(), 1))
            results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results
