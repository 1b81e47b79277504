"""Planted plausible mistakes for week12: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week12-rest-client": [
        ('return {"instances": np.asarray(images, dtype=np.float32).tolist()}',
         'return {"instance": np.asarray(images, dtype=np.float32).tolist()}',
         'wrong JSON key ("instance" instead of "instances")'),
        ('return np.asarray(response["predictions"], dtype=np.float32)',
         'return np.asarray(response["outputs"], dtype=np.float32)',
         'read the columnar-format key "outputs" from a row-format response'),
        ('    if "error" in response:\n        raise RuntimeError(response["error"])\n', "",
         "ignored error responses"),
        ('return {"instances": np.asarray(images, dtype=np.float32).tolist()}',
         'return {"instances": np.asarray(images).tolist()}',
         "no float conversion: uint8 images are sent as integers"),
    ],
    "week12-validate-instances": [
        ('    rows = payload["instances"]\n    if not isinstance(rows, list) or len(rows) == 0:\n'
         '        raise ValueError(\'"instances" must be a non-empty list, one entry per example\')\n'
         '    try:\n        x = np.asarray(rows, dtype=np.float32)\n    except (ValueError, TypeError):\n'
         '        raise ValueError(\'"instances" must hold numbers in nested lists of equal lengths\') from None\n'
         '    if x.shape[1:] != tuple(input_shape):\n'
         '        raise ValueError(f"each instance must have shape {tuple(input_shape)}, got {x.shape[1:]}")\n'
         '    if not np.all(np.isfinite(x)):\n'
         '        raise ValueError(\'"instances" must hold finite numbers (no null, NaN or infinity)\')\n',
         '    x = np.asarray(payload["instances"], dtype=np.float32)\n'
         '    if x.ndim == 0 or len(x) == 0 or x.shape[1:] != tuple(input_shape):\n'
         '        raise ValueError(f"each instance must have shape {tuple(input_shape)}")\n',
         "the 6-line version: no list check, no error handling (dicts crash with TypeError), null read as NaN"),
        ("if x.shape[1:] != tuple(input_shape):", "if x.ndim < 2:",
         "no check of each instance's shape"),
        ('if not isinstance(payload, dict) or "instances" not in payload:', "if not isinstance(payload, dict):",
         "a body without 'instances' crashes with KeyError (HTTP 500) instead of a clear 400"),
        ("x = np.asarray(rows, dtype=np.float32)", "x = np.asarray(rows, dtype=float)",
         "returned float64 instead of the signature's float32"),
        ("    if not np.all(np.isfinite(x)):\n"
         "        raise ValueError('\"instances\" must hold finite numbers (no null, NaN or infinity)')\n", "",
         "no finiteness check: null arrives as NaN, NaN and Infinity reach the model"),
        ("except (ValueError, TypeError):", "except ValueError:",
         "catches only ValueError: a JSON object among the instances raises TypeError (HTTP 500)"),
    ],
    "week12-latency-summary": [
        ('"rps": float(len(lat) / wall_s)', '"rps": float(len(lat) / lat.sum())',
         "throughput from the summed latencies instead of the wall-clock time (requests overlap)"),
        ("np.percentile(lat, 99) * 1000", "lat.max() * 1000", "p99 taken as the maximum"),
        ("np.percentile(lat, 50) * 1000", "np.percentile(lat, 50)", "p50 left in seconds"),
        ("lat = np.asarray(latencies_s, dtype=np.float64)", "lat = np.asarray(latencies_s, dtype=np.float64)\n    lat.sort()",
         "sorts the caller's latency array in place"),
        ('    lat = np.asarray(latencies_s, dtype=np.float64)\n'
         '    return {"p50_ms": float(np.percentile(lat, 50) * 1000), "p99_ms": float(np.percentile(lat, 99) * 1000),\n'
         '            "rps": float(len(lat) / wall_s)}',
         '    lat = np.asarray(latencies_s)\n'
         '    return {"p50_ms": np.percentile(lat, 50) * 1000, "p99_ms": np.percentile(lat, 99) * 1000,\n'
         '            "rps": len(lat) / wall_s}',
         "NumPy scalars, not Python floats: float32 latencies give np.float32, which json cannot write"),
    ],
    "week12-vertex-spec": [
        ('"predictRoute": f"/v1/models/{model_name}:predict"', '"predictRoute": f"/v1/models/{model_name}/predict"',
         "'/predict' instead of TF Serving's ':predict'"),
        ('"ports": [{"containerPort": int(port)}]', '"ports": [{"containerPort": str(port)}]',
         "port as a string"),
        ('"healthRoute": f"/v1/models/{model_name}"', '"healthRoute": "/ping"',
         "SageMaker's health route in a Vertex spec"),
        ('"ports": [{"containerPort": int(port)}]', '"ports": [{"containerPort": port}]',
         "port passed through: a NumPy integer is not JSON-serializable"),
    ],
    "week12-global-batch": [
        ("global_batch = per_replica_batch * num_replicas", "global_batch = per_replica_batch",
         "batch size not scaled by the number of replicas"),
        ("learning_rate = base_lr * num_replicas", "learning_rate = base_lr",
         "learning rate not scaled with the global batch"),
        ("return int(global_batch), float(learning_rate)", "return global_batch, learning_rate",
         "returns NumPy numbers when given NumPy arguments"),
    ],
    "week12-replica-loss": [
        ("return total / tf.cast(global_batch_size, tf.float32)",
         "return total / tf.cast(tf.size(per_example_loss), tf.float32)",
         "mean over the local slice instead of sum / global batch (gradients x replicas too large)"),
        ("total = tf.reduce_sum(per_example_loss)", "total = tf.reduce_mean(per_example_loss)",
         "averaged the local losses and then divided by the global batch again"),
        ("    per_example_loss = tf.convert_to_tensor(per_example_loss, dtype=tf.float32)\n"
         "    total = tf.reduce_sum(per_example_loss)\n    return total / tf.cast(global_batch_size, tf.float32)",
         "    return tf.nn.compute_average_loss(per_example_loss, global_batch_size=global_batch_size)",
         "delegates to tf.nn.compute_average_loss, the tests' reference"),
        ("total = tf.reduce_sum(per_example_loss)", "total = np.sum(per_example_loss)",
         "NumPy sum: fine eagerly, fails inside the replica's tf.function step"),
    ],
    "week12-tf-config": [
        ('"task": {"type": "worker", "index": int(index)}', '"task": {"type": "chief", "index": int(index)}',
         "task type 'chief' although the cluster only lists workers"),
        ('{"worker": list(workers)}', '{"workers": list(workers)}', "cluster key 'workers' instead of 'worker'"),
        ('"index": int(index)', '"index": int(index) + 1', "1-based worker index"),
        ('"index": int(index)', '"index": index', "index passed through: a NumPy integer is not JSON-serializable"),
        ('{"worker": list(workers)}', '{"worker": workers}', "a tuple of workers stays a tuple in the cluster"),
    ],
}
