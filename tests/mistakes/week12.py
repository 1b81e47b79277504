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
    ],
    "week12-validate-instances": [
        ("if x.shape[1:] != tuple(input_shape):", "if x.ndim < 2:",
         "no check of each instance's shape"),
        ('if not isinstance(payload, dict) or "instances" not in payload:', "if not isinstance(payload, dict):",
         "a body without 'instances' crashes with KeyError (HTTP 500) instead of a clear 400"),
        ("x = np.asarray(rows, dtype=np.float32)", "x = np.asarray(rows, dtype=float)",
         "returned float64 instead of the signature's float32"),
    ],
    "week12-latency-summary": [
        ('"rps": float(len(lat) / wall_s)', '"rps": float(len(lat) / lat.sum())',
         "throughput from the summed latencies instead of the wall-clock time (requests overlap)"),
        ("np.percentile(lat, 99) * 1000", "lat.max() * 1000", "p99 taken as the maximum"),
        ("np.percentile(lat, 50) * 1000", "np.percentile(lat, 50)", "p50 left in seconds"),
    ],
    "week12-vertex-spec": [
        ('"predictRoute": f"/v1/models/{model_name}:predict"', '"predictRoute": f"/v1/models/{model_name}/predict"',
         "'/predict' instead of TF Serving's ':predict'"),
        ('"ports": [{"containerPort": int(port)}]', '"ports": [{"containerPort": str(port)}]',
         "port as a string"),
        ('"healthRoute": f"/v1/models/{model_name}"', '"healthRoute": "/ping"',
         "SageMaker's health route in a Vertex spec"),
    ],
    "week12-global-batch": [
        ("global_batch = per_replica_batch * num_replicas", "global_batch = per_replica_batch",
         "batch size not scaled by the number of replicas"),
        ("learning_rate = base_lr * num_replicas", "learning_rate = base_lr",
         "learning rate not scaled with the global batch"),
    ],
    "week12-replica-loss": [
        ("return total / tf.cast(global_batch_size, tf.float32)",
         "return total / tf.cast(tf.size(per_example_loss), tf.float32)",
         "mean over the local slice instead of sum / global batch (gradients x replicas too large)"),
        ("total = tf.reduce_sum(per_example_loss)", "total = tf.reduce_mean(per_example_loss)",
         "averaged the local losses and then divided by the global batch again"),
    ],
    "week12-tf-config": [
        ('"task": {"type": "worker", "index": int(index)}', '"task": {"type": "chief", "index": int(index)}',
         "task type 'chief' although the cluster only lists workers"),
        ('{"worker": list(workers)}', '{"workers": list(workers)}', "cluster key 'workers' instead of 'worker'"),
        ('"index": int(index)', '"index": int(index) + 1', "1-based worker index"),
    ],
}
