"""Benchmark for Weeks 11-12 (deployment and optimization): prints tables, asserts nothing.

    .venv/bin/python benchmarks/deploy.py                 # full: 60k train / 10k held-out test images
    .venv/bin/python benchmarks/deploy.py --quick         # 6k train / 2k test, fewer epochs (a smoke run)
    .venv/bin/python benchmarks/deploy.py --skip-multiworker --requests 2000 --clients 8

Targets (issue 7): the full-integer int8 TFLite model >= 3.9x smaller than the float model with
<= 1 point accuracy drop on real held-out Fashion-MNIST; 80% sparsity with <= 1 point drop; the
served model's p50 / p99 latency and requests per second under a bounded loopback load (8 concurrent
clients, 2000 requests); a 2-worker MultiWorkerMirroredStrategy run on loopback.

It uses the course's reference implementations (course/deploy.py), the same models and settings as
the notebooks' full mode (week11.ipynb: MLP 784-1024-512-10 teacher, 12 epochs; distillation T=2, alpha=0.5; 80% pruning with 4
fine-tuning epochs; week12.ipynb: MLP 784-256-10 served by course/serving.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from course import deploy  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small data and epochs (smoke run)")
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--skip-multiworker", action="store_true")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args(argv)

    import keras

    from course import data, runtime

    runtime.setup(seed=42, mixed_precision=False)
    n_train, n_test = (6000, 2000) if args.quick else (None, None)
    epochs, prune_epochs = (3, 1) if args.quick else (12, 4)
    ds = data.load_fashion_mnist(n_train=n_train, n_test=n_test)
    x_train, y_train = ds.x_train.astype(np.float32) / 255.0, ds.y_train
    x_test, y_test = ds.x_test.astype(np.float32) / 255.0, ds.y_test
    out = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
           "n_train": len(x_train), "n_test": len(x_test)}

    def mlp(hidden, name, softmax=False):
        layers = [keras.Input((28, 28)), keras.layers.Flatten()]
        layers += [keras.layers.Dense(h, activation="relu") for h in hidden] + [keras.layers.Dense(10)]
        return keras.Sequential(layers + ([keras.layers.Softmax()] if softmax else []), name=name)

    def acc(model):
        return float(np.mean(np.argmax(model(x_test, training=False), -1) == y_test))

    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # ---------------------------------------------------------------- week 11: distillation
    t0 = time.perf_counter()
    keras.utils.set_random_seed(42)
    teacher = mlp([1024, 512], "teacher")
    teacher.compile(keras.optimizers.Adam(1e-3), xent)
    teacher.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)
    teacher_acc = acc(teacher)
    keras.utils.set_random_seed(7)
    alone = mlp([64], "student_alone")
    alone.compile(keras.optimizers.Adam(1e-3), xent)
    alone.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)

    def kd(s, t, temperature):
        ops = keras.ops
        p_t = ops.softmax(t / temperature, axis=-1)
        return ops.mean(ops.sum(p_t * (ops.log_softmax(t / temperature, axis=-1)
                                       - ops.log_softmax(s / temperature, axis=-1)), axis=-1)) * temperature ** 2

    keras.utils.set_random_seed(7)
    student = mlp([64], "student_distilled")
    distiller = deploy.Distiller(student, teacher, kd, temperature=2.0, alpha=0.5)
    distiller.compile(keras.optimizers.Adam(1e-3))
    distiller.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)
    rows = [{"model": m.name, "params": m.count_params(), "test acc": acc(m)} for m in (teacher, alone, student)]
    print(f"\n## Distillation ({time.perf_counter() - t0:.0f} s)\n" + deploy.format_table(rows))
    out["distillation"] = rows

    # ---------------------------------------------------------------- week 11: quantization + LiteRT
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    saved = deploy.export_saved_model(teacher, tmp / "teacher")
    edge = [{"model": "Keras float32", "size kB": 4 * teacher.count_params() / 1e3,
             "latency ms": deploy.keras_latency_ms(teacher, x_test[0], repeats=200), "test acc": teacher_acc}]
    blobs = {}
    for mode in deploy.TFLITE_MODES:
        blobs[mode] = deploy.tflite_convert(saved, mode, representative=x_train[:500])
        pred = np.argmax(deploy.tflite_predict(blobs[mode], x_test), -1)
        edge.append({"model": f"TFLite {mode}", "size kB": len(blobs[mode]) / 1e3,
                     "gzip kB": deploy.gzip_size(blobs[mode]) / 1e3,
                     "latency ms": deploy.tflite_latency_ms(blobs[mode], x_test[0], repeats=200),
                     "test acc": float(np.mean(pred == y_test))})
    blob = deploy.tflite_convert(saved, "int8", representative=x_train[:500], per_channel=False)
    pred = np.argmax(deploy.tflite_predict(blob, x_test), -1)
    edge.append({"model": "TFLite int8 per-tensor", "size kB": len(blob) / 1e3, "gzip kB": deploy.gzip_size(blob) / 1e3,
                 "latency ms": deploy.tflite_latency_ms(blob, x_test[0], repeats=200),
                 "test acc": float(np.mean(pred == y_test))})
    print(f"\n## Quantization, LiteRT (ai_edge_litert) on one thread ({time.perf_counter() - t0:.0f} s)\n"
          + deploy.format_table(edge))
    f32 = edge[1]
    for i8 in edge[4:6]:
        ratio, drop = f32["size kB"] / i8["size kB"], 100 * (f32["test acc"] - i8["test acc"])
        print(f"{i8['model']} vs float32: {ratio:.2f}x smaller (target >= 3.9), accuracy drop {drop:+.2f} points "
              "(target <= 1)")
        key = "int8" if i8 is edge[4] else "int8_per_tensor"
        out.update({f"{key}_ratio": ratio, f"{key}_drop_points": drop})
    out.update(edge=edge)

    # ---------------------------------------------------------------- week 11: pruning
    t0 = time.perf_counter()
    pruned = keras.models.clone_model(teacher)
    pruned.set_weights(teacher.get_weights())
    pruned.trainable = True
    steps = int(np.ceil(len(x_train) / 128))
    end_step = int(0.7 * prune_epochs * steps)
    cb = deploy.PruningCallback(deploy.magnitude_mask, final_sparsity=0.8, end_step=end_step,
                                frequency=max(end_step // 10, 1))
    pruned.compile(keras.optimizers.Adam(3e-4), xent)
    pruned.fit(x_train, y_train, epochs=prune_epochs, batch_size=128, verbose=0, callbacks=[cb])
    pruned_acc = acc(pruned)
    probe = keras.models.clone_model(teacher)
    curve = []
    for level in (0.5, 0.7, 0.8, 0.9, 0.95):
        probe.set_weights(teacher.get_weights())
        for k in deploy.prunable_weights(probe):
            k.assign(k.numpy() * deploy.magnitude_mask(k.numpy(), level))
        curve.append({"sparsity": level, "one-shot acc (no fine-tuning)": acc(probe)})
    pruned_int8 = deploy.tflite_convert(pruned, "int8", representative=x_train[:500])
    prune_rows = [
        {"model": "dense float32", "gzip kB": deploy.gzip_size(deploy.keras_weights_bytes(teacher)) / 1e3,
         "sparsity": deploy.sparsity(teacher), "test acc": teacher_acc},
        {"model": "pruned float32", "gzip kB": deploy.gzip_size(deploy.keras_weights_bytes(pruned)) / 1e3,
         "sparsity": deploy.sparsity(pruned), "test acc": pruned_acc},
        {"model": "pruned + int8 TFLite", "gzip kB": deploy.gzip_size(pruned_int8) / 1e3,
         "sparsity": deploy.sparsity(pruned),
         "test acc": float(np.mean(np.argmax(deploy.tflite_predict(pruned_int8, x_test), -1) == y_test))}]
    pdrop = 100 * (teacher_acc - pruned_acc)
    print(f"\n## Pruning to 80% ({time.perf_counter() - t0:.0f} s)\n" + deploy.format_table(prune_rows)
          + "\n\n" + deploy.format_table(curve)
          + f"\n80% sparsity: accuracy drop {pdrop:+.2f} points (target <= 1)")
    out.update(pruning=prune_rows, one_shot=curve, pruned_drop_points=pdrop)

    # ---------------------------------------------------------------- week 12: serving under load
    t0 = time.perf_counter()
    keras.utils.set_random_seed(42)
    served = mlp([256], "fmnist", softmax=True)
    served.compile("adam", "sparse_categorical_crossentropy")
    served.fit(x_train, y_train, epochs=2 if args.quick else 10, batch_size=128, verbose=0)
    deploy.export_saved_model(served, tmp / "fmnist" / "1")
    with deploy.start_server(tmp / "fmnist", "fmnist") as srv:
        body = {"instances": x_test[:1].tolist()}
        deploy.load_test(srv.predict_url, body, n_requests=50, concurrency=args.clients)  # warm-up
        lat, wall, errors = deploy.load_test(srv.predict_url, body, n_requests=args.requests,
                                             concurrency=args.clients)
        got = deploy.rest_predict(srv.url, "fmnist", x_test[:256])
    summary = deploy.latency_summary(lat, wall)
    serve_row = {"requests": len(lat), "clients": args.clients, "errors": errors, **summary,
                 "max |served - Keras|": float(np.abs(got - served(x_test[:256]).numpy()).max())}
    print(f"\n## Serving: course/serving.py over loopback HTTP ({time.perf_counter() - t0:.0f} s)\n"
          + deploy.format_table([serve_row]))
    onnx = deploy.export_onnx(served, tmp / "fmnist.onnx")
    onnx_diff = float(np.abs(deploy.onnx_predict(onnx, x_test) - served(x_test).numpy()).max())
    print(f"ONNX (onnxruntime) vs Keras on {len(x_test)} images: max |diff| = {onnx_diff:.2e}")
    out.update(serving=serve_row, onnx_max_abs_diff=onnx_diff)

    # ---------------------------------------------------------------- week 12: multi-worker
    if not args.skip_multiworker:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_course_deploy import WORKER

        t0 = time.perf_counter()
        script = tmp / "worker.py"
        script.write_text(WORKER.format(root=str(ROOT)))
        done = deploy.run_workers(script, n_workers=2, timeout=500)
        res = [json.loads(p.stdout.split("RESULT ")[-1]) if p.returncode == 0 else {"error": p.stderr[-300:]}
               for p in done]
        print(f"\n## MultiWorkerMirroredStrategy, 2 workers on loopback ({time.perf_counter() - t0:.0f} s)")
        for i, r in enumerate(res):
            print(f"worker {i}: {r}")
        out["multiworker"] = res
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nmachine: {out['machine']} (timings are inflated when other jobs share the CPU)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
