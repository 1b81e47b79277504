"""Unit tests of course/deploy.py and course/serving.py (Weeks 11-12) and of the deploy/ recipes."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from course import deploy, serving

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


# ------------------------------------------------------------------------------ pure functions
def test_affine_qparams_quantize_dequantize_roundtrip():
    scale, zp = deploy.affine_qparams(0.0, 1.0)
    assert np.isclose(scale, 1 / 255) and zp == -128
    scale, zp = deploy.affine_qparams(-1.0, 3.0, signed=False)
    assert np.isclose(scale, 4 / 255) and zp == round(1 / scale)
    assert deploy.affine_qparams(0.5, 2.0)[1] == -128  # range widened to include 0
    x = np.linspace(-1, 3, 101)
    q = deploy.quantize(x, scale, zp, 0, 255)
    assert q.min() >= 0 and q.max() <= 255
    assert np.abs(deploy.dequantize(q, scale, zp) - x).max() <= scale / 2 + 1e-6
    assert deploy.quantize([100.0], scale, zp, 0, 255)[0] == 255  # clamped
    assert deploy.dequantize(deploy.quantize([0.0], scale, zp, 0, 255), scale, zp)[0] == 0.0  # 0 exact


def test_magnitude_mask_and_schedule():
    w = np.array([[0.1, -3.0], [0.5, -0.05]])
    np.testing.assert_array_equal(deploy.magnitude_mask(w, 0.5), [[0, 1], [1, 0]])
    assert deploy.magnitude_mask(w, 0.0).sum() == 4 and deploy.magnitude_mask(w, 1.0).sum() == 0
    assert deploy.polynomial_sparsity(0, 0.0, 0.8, 0, 100) == 0.0
    assert deploy.polynomial_sparsity(100, 0.0, 0.8, 0, 100) == pytest.approx(0.8)
    assert deploy.polynomial_sparsity(500, 0.0, 0.8, 0, 100) == pytest.approx(0.8)
    assert deploy.polynomial_sparsity(50, 0.0, 0.8, 0, 100) == pytest.approx(0.8 * (1 - 0.5 ** 3))


def test_latency_summary_table_and_tf_config():
    s = deploy.latency_summary([0.001] * 99 + [0.101], wall_s=2.0)
    assert s["p50_ms"] == pytest.approx(1.0) and s["rps"] == pytest.approx(50.0) and s["p99_ms"] > 1.0
    t = deploy.format_table([{"a": 1.23456, "b": "x"}])
    assert "1.235" in t and t.count("|") == 9
    cfg = deploy.tf_config(["localhost:1", "localhost:2"], 1)
    assert cfg == {"cluster": {"worker": ["localhost:1", "localhost:2"]}, "task": {"type": "worker", "index": 1}}
    assert deploy.gzip_size(b"\0" * 10000) < 100


def test_parse_instances_errors():
    x = serving.parse_instances({"instances": [[1, 2], [3, 4]]}, (2,))
    assert x.dtype == np.float32 and x.shape == (2, 2)
    for payload, msg in [([1, 2], "JSON object"), ({"inputs": [[1, 2]]}, "missing key"),
                         ({"instances": []}, "non-empty"), ({"instances": [[1, 2], [3]]}, "ragged"),
                         ({"instances": [["a", "b"]]}, "ragged or non-numeric"), ({"instances": [[1, 2, 3]]}, "shape"),
                         ({"instances": [[1, float("nan")]]}, "NaN")]:
        with pytest.raises(serving.BadRequest, match=msg):
            serving.parse_instances(payload, (2,))
    assert serving.parse_instances({"instances": [[1, 2, 3]]}, (None,)).shape == (1, 3)


# ------------------------------------------------------------------------------ models
@pytest.fixture(scope="module")
def tiny():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(4)])
    rng = np.random.default_rng(0)
    x = rng.random((64, 6, 6)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    return model, x, y


@pytest.fixture(scope="module")
def exported(tiny, tmp_path_factory):
    base = tmp_path_factory.mktemp("served") / "tiny"
    deploy.export_saved_model(tiny[0], base / "1")
    return base


@pytest.mark.slow
def test_tflite_modes_sizes_and_predictions(tiny):
    model, x, _ = tiny
    ref = model(x).numpy()
    sizes = {}
    for mode in deploy.TFLITE_MODES:
        blob = deploy.tflite_convert(model, mode, representative=x)
        sizes[mode] = len(blob)
        out = deploy.tflite_predict(blob, x, batch_size=50)  # 50 + a last batch of 14
        assert out.shape == ref.shape
        tol = {"float32": 1e-5, "float16": 1e-2, "dynamic": 0.05, "int8": 0.1}[mode]
        assert np.abs(out - ref).max() < tol * max(1.0, np.abs(ref).max()), mode
        assert deploy.tflite_latency_ms(blob, x[0], repeats=3) > 0
    assert sizes["int8"] < sizes["float16"] < sizes["float32"]
    it = deploy.interpreter(deploy.tflite_convert(model, "int8", representative=x))
    scale, zp = it.get_input_details()[0]["quantization"]
    want = deploy.affine_qparams(float(x.min()), float(x.max()))
    assert np.isclose(scale, want[0], rtol=1e-3) and abs(zp - want[1]) <= 1  # TFLite's scheme
    with pytest.raises(ValueError):
        deploy.tflite_convert(model, "int8")


def test_pruning_callback_reaches_the_target(tiny):
    import keras

    model, x, y = tiny
    m = keras.models.clone_model(model)
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    cb = deploy.PruningCallback(deploy.magnitude_mask, final_sparsity=0.75, end_step=12, frequency=4)
    m.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[cb])  # 16 steps
    assert deploy.sparsity(m) == pytest.approx(0.75, abs=0.01)
    assert [h[0] for h in cb.history] == [4, 8, 12]
    assert deploy.gzip_size(deploy.keras_weights_bytes(m)) < deploy.gzip_size(deploy.keras_weights_bytes(model))


def test_distiller_trains_the_student(tiny):
    import keras

    model, x, y = tiny
    keras.utils.set_random_seed(1)
    student = keras.Sequential([keras.Input((6, 6)), keras.layers.Flatten(), keras.layers.Dense(4)])

    def kd(s, t, temperature):
        p = keras.ops.softmax(t / temperature)
        return keras.ops.mean(keras.ops.sum(p * (keras.ops.log(p + 1e-9) - keras.ops.log_softmax(s / temperature)),
                                            axis=-1)) * temperature ** 2

    d = deploy.Distiller(student, model, kd, temperature=3.0, alpha=0.2)
    d.compile(keras.optimizers.Adam(1e-2))
    hist = d.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert model.trainable is False


def test_onnx_export_matches_keras(tiny, tmp_path):
    import keras

    model, x, _ = tiny
    fresh = keras.models.clone_model(model)  # built, never called: Keras alone refuses to export it
    fresh.set_weights(model.get_weights())
    assert not fresh._called
    path = deploy.export_onnx(fresh, tmp_path / "m.onnx")
    np.testing.assert_allclose(deploy.onnx_predict(path, x), model(x).numpy(), atol=1e-5)


# ------------------------------------------------------------------------------ serving over HTTP
@pytest.mark.slow
def test_server_speaks_tensorflow_serving_rest(tiny, exported):
    model, x, _ = tiny
    with deploy.start_server(exported, "tiny") as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        status, body = deploy.http_json("GET", f"{srv.url}/v1/models/tiny")
        assert status == 200 and body["model_version_status"][0]["state"] == "AVAILABLE"
        assert body["model_version_status"][0]["version"] == "1"
        status, meta = deploy.http_json("GET", f"{srv.url}/v1/models/tiny/metadata")
        sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
        assert status == 200 and list(sig["inputs"].values())[0]["shape"] == [-1, 6, 6]
        np.testing.assert_allclose(deploy.rest_predict(srv.url, "tiny", x[:5]), model(x[:5]).numpy(), atol=1e-5)
        status, body = deploy.http_json("POST", f"{srv.url}/v1/models/tiny/versions/1:predict",
                                        {"inputs": x[:2].tolist()})
        assert status == 200 and np.allclose(body["outputs"], model(x[:2]).numpy(), atol=1e-5)
        for bad, msg in [({"instance": x[:1].tolist()}, "missing key 'instances'"),
                         ({"instances": x[:1, :5].tolist()}, "shape"), (b"{not json", "not valid JSON"),
                         ({"instances": [[[1, 2]], [[3]]]}, "ragged")]:
            status, body = deploy.http_json("POST", srv.predict_url, bad)
            assert status == 400 and msg in body["error"], body
        assert deploy.http_json("GET", f"{srv.url}/v1/models/other")[0] == 404
        assert deploy.http_json("POST", f"{srv.url}/v1/models/other:predict", {"instances": []})[0] == 404
        assert deploy.http_json("GET", f"{srv.url}/ping")[0] == 200
        status, body = deploy.http_json("POST", f"{srv.url}/invocations", {"instances": x[:3].tolist()})
        assert status == 200 and len(body["predictions"]) == 3
        lat, wall, errors = deploy.load_test(srv.predict_url, {"instances": x[:1].tolist()}, n_requests=40,
                                             concurrency=4)
        assert len(lat) == 40 and errors == 0 and wall > 0
        proc = srv.proc
    assert proc.poll() is not None  # the with block stopped it


@pytest.mark.slow
def test_server_exits_when_its_parent_dies(exported, tmp_path):
    import subprocess
    import time

    code = ("import sys; sys.path.insert(0, %r); from course import deploy; "
            "s = deploy.start_server(%r, 'tiny'); print(s.proc.pid, flush=True)") % (str(ROOT), str(exported))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    pid = int(out.stdout.split()[-1])  # the parent has exited without stopping its server
    for _ in range(40):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.25)
    else:
        os.kill(pid, 9)
        pytest.fail("the server outlived its parent process")


# ------------------------------------------------------------------------------ deploy/ recipes
def _dockerfile():
    lines, buf = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        if raw.strip().startswith("#") or not raw.strip():
            continue
        buf += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            lines.append(buf.strip())
            buf = ""
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]


def test_dockerfile_lint():
    ins = _dockerfile()
    assert ins[0][0] == "FROM" or (ins[0][0] == "ARG" and ins[1][0] == "FROM")
    base = next(arg for op, arg in ins if op == "FROM")
    assert re.match(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$", base), f"pin the base image: {base}"
    assert ":latest" not in base
    pins = {line.split("==")[0]: line.split("==")[1]
            for op, arg in ins if op == "RUN" and "pip install" in arg for line in arg.split() if "==" in line}
    lock = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins and all(lock.get(k) == v for k, v in pins.items()), (pins, "must match requirements.lock")
    assert [op for op, _ in ins].count("ENTRYPOINT") == 1 and any(op == "USER" for op, _ in ins)
    entry = json.loads(next(arg for op, arg in ins if op == "ENTRYPOINT"))  # exec form (signals reach python)
    assert entry[:3] == ["python", "-m", "course.serving"]
    for op, arg in ins:
        if op == "COPY":
            for src in arg.split()[:-1]:
                if not src.startswith("${"):
                    assert (ROOT / src).exists(), f"COPY source {src} missing"
    port = entry[entry.index("--port") + 1]
    assert ("EXPOSE", port) in ins and port == "8080"  # SageMaker's and Vertex's convention


@pytest.mark.slow
def test_dockerfile_entrypoint_serves_locally(tiny, exported):
    """Run the image's ENTRYPOINT + CMD as a local process (loopback, free port) and query it."""
    model, x, _ = tiny
    ins = _dockerfile()
    cmd = json.loads(next(a for op, a in ins if op == "ENTRYPOINT")) + json.loads(next(a for op, a in ins if op == "CMD"))
    cmd[0] = sys.executable
    cmd[cmd.index("--model-dir") + 1] = str(exported)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(deploy.free_port())
    name = cmd[cmd.index("--model-name") + 1]
    srv = deploy.wait_ready(deploy.launch_server(None, name, command=cmd), name)
    try:
        assert deploy.http_json("GET", f"{srv.url}/ping")[0] == 200
        status, body = deploy.http_json("POST", f"{srv.url}/invocations", {"instances": x[:2].tolist()})
        assert status == 200 and np.allclose(body["predictions"], model(x[:2]).numpy(), atol=1e-5)
        assert deploy.http_json("GET", f"{srv.url}/v1/models/{name}")[0] == 200
    finally:
        srv.stop()
    assert shlex.join(cmd)  # printable


def _entry_model_name():
    entry = json.loads(next(a for op, a in _dockerfile() if op == "ENTRYPOINT"))
    return entry[entry.index("--model-name") + 1], int(entry[entry.index("--port") + 1])


SAGEMAKER_MODEL = {
    "type": "object", "required": ["ModelName", "ExecutionRoleArn", "PrimaryContainer"],
    "properties": {
        "ModelName": {"type": "string", "pattern": r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"},
        "ExecutionRoleArn": {"type": "string", "pattern": r"^arn:aws[a-z\-]*:iam::\d{12}:role/"},
        "PrimaryContainer": {"type": "object", "required": ["Image"], "properties": {
            "Image": {"type": "string", "pattern": r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[\w./-]+:[\w.-]+$"},
            "Mode": {"enum": ["SingleModel", "MultiModel"]},
            "Environment": {"type": "object", "additionalProperties": {"type": "string"}}}}}}
SAGEMAKER_CONFIG = {
    "type": "object", "required": ["EndpointConfigName", "ProductionVariants"],
    "properties": {"ProductionVariants": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["VariantName", "ModelName", "InstanceType", "InitialInstanceCount"],
        "properties": {"InstanceType": {"type": "string", "pattern": r"^ml\."},
                       "InitialInstanceCount": {"type": "integer", "minimum": 1}}}}}}


def test_sagemaker_manifests():
    import jsonschema

    model = json.loads((DEPLOY / "sagemaker" / "model.json").read_text())
    config = json.loads((DEPLOY / "sagemaker" / "endpoint-config.json").read_text())
    endpoint = json.loads((DEPLOY / "sagemaker" / "endpoint.json").read_text())
    jsonschema.validate(model, SAGEMAKER_MODEL)
    jsonschema.validate(config, SAGEMAKER_CONFIG)
    assert config["ProductionVariants"][0]["ModelName"] == model["ModelName"]
    assert endpoint["EndpointConfigName"] == config["EndpointConfigName"]
    assert _entry_model_name()[1] == 8080  # SageMaker sends /ping and /invocations to port 8080


def test_vertex_and_azure_manifests():
    name, port = _entry_model_name()
    up = yaml.safe_load((DEPLOY / "vertex" / "model-upload.yaml").read_text())["model"]
    spec = up["containerSpec"]
    assert spec["ports"] == [{"containerPort": port}]
    assert spec["predictRoute"] == f"/v1/models/{name}:predict" and spec["healthRoute"] == f"/v1/models/{name}"
    dep = yaml.safe_load((DEPLOY / "vertex" / "endpoint-deploy.yaml").read_text())
    res = dep["deployedModel"]["dedicatedResources"]
    assert 1 <= res["minReplicaCount"] <= res["maxReplicaCount"] and res["machineSpec"]["machineType"]
    az = yaml.safe_load((DEPLOY / "azureml" / "deployment.yml").read_text())
    ep = yaml.safe_load((DEPLOY / "azureml" / "endpoint.yml").read_text())
    assert az["endpoint_name"] == ep["name"] and az["instance_count"] >= 1
    routes = az["environment"]["inference_config"]
    assert routes["scoring_route"] == {"port": port, "path": f"/v1/models/{name}:predict"}
    assert routes["liveness_route"]["path"] == "/ping"
    for doc in (az, ep):
        assert doc["$schema"].startswith("https://azuremlschemas.azureedge.net/latest/")


# ------------------------------------------------------------------------------ multi-worker
WORKER = """
import json, sys
sys.path.insert(0, {root!r})
import numpy as np, tensorflow as tf, keras
from course import runtime
strategy = runtime.strategy()
GLOBAL = 16 * strategy.num_replicas_in_sync
with strategy.scope():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    opt = keras.optimizers.SGD(0.1)
x = np.random.default_rng(0).random((128, 4)).astype("float32")
dist = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensor_slices((x, 2 * x[:, :2])).batch(GLOBAL))
@tf.function
def train_step(xb, yb):
    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = tf.reduce_mean((m(xb, training=True) - yb) ** 2, axis=-1)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL)
        opt.apply_gradients(zip(tape.gradient(loss, m.trainable_variables), m.trainable_variables))
        return loss
    return strategy.reduce("SUM", strategy.run(step, args=(xb, yb)), axis=None)
for xb, yb in dist:
    train_step(xb, yb)
print("RESULT", json.dumps({{"replicas": strategy.num_replicas_in_sync, "kind": type(strategy).__name__,
                             "w": float(m.layers[0].kernel.numpy().sum())}}))
"""


@pytest.mark.skipif(not os.environ.get("DLS_SLOW"), reason="starts 2 TensorFlow processes (~1 min on 2 cores); DLS_SLOW=1 runs it")
def test_two_worker_cluster_on_loopback(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT)))
    done = deploy.run_workers(script, n_workers=2, timeout=240)
    results = [json.loads(p.stdout.split("RESULT ")[-1]) for p in done]
    assert all(p.returncode == 0 for p in done), done[0].stderr[-2000:]
    assert all(r["replicas"] == 2 and r["kind"] in ("MultiWorkerMirroredStrategy", "CollectiveAllReduceStrategy") for r in results)
    assert results[0]["w"] == pytest.approx(results[1]["w"])  # the workers stayed in sync
