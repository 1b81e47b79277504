"""Planted plausible mistakes for week11 (week11.ipynb and week11_qat.ipynb): each must cost points."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week11-distill-loss": [
        ("return ops.mean(kl) * temperature ** 2", "return ops.mean(kl) * temperature",
         "temperature not squared: the soft-loss gradients shrink like 1/T"),
        ("log_q_student = ops.log_softmax(student_logits / temperature, axis=-1)",
         "log_q_student = ops.log_softmax(student_logits, axis=-1)",
         "log-softmax of the unscaled student logits (only the teacher softened)"),
        ("p_teacher = ops.softmax(teacher_logits / temperature, axis=-1)",
         "p_teacher = ops.softmax(teacher_logits, axis=-1)",
         "softmax of the unscaled teacher logits: the soft labels are not softened"),
    ],
    "week11-qparams": [
        ("np.round(qmin - x_min / scale)", "np.round(qmin + x_min / scale)",
         "zero point with the wrong sign"),
        ("x_min, x_max = min(float(x_min), 0.0), max(float(x_max), 0.0)", "x_min, x_max = float(x_min), float(x_max)",
         "range not widened to include 0, so 0.0 is not exactly representable"),
        ("scale = (x_max - x_min) / (qmax - qmin)", "scale = (x_max - x_min) / 2 ** num_bits",
         "divided by the 2^b levels instead of the 2^b - 1 steps between them"),
    ],
    "week11-quantize": [
        ("np.clip(q, qmin, qmax).astype(np.int32)", "q.astype(np.int32)",
         "no clamping: values outside the range overflow int8"),
        ("q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point",
         "q = np.round(np.asarray(x, dtype=np.float64)) / scale + zero_point",
         "rounding before scaling"),
        ("(np.asarray(q, dtype=np.float64) - zero_point)", "(np.asarray(q, dtype=np.float64) + zero_point)",
         "zero point added instead of subtracted when dequantizing"),
    ],
    "week11-tflite-classify": [
        ("x = quantize(x, scale, zero_point).astype(np.int8)", "x = (x / scale).astype(np.int8)",
         "quantized the input without zero point and clamping (int8 wraps around)"),
        ("return np.argmax(scores, axis=-1)", "return np.argmax(scores, axis=0)",
         "arg-max over the batch instead of over the classes"),
    ],
    "week11-magnitude-mask": [
        ('mask[np.argsort(w, kind="stable")[:k]] = 0.0', 'mask[np.argsort(w, kind="stable")[::-1][:k]] = 0.0',
         "mask keeps the smallest weights (prunes the largest)"),
        ("w = np.abs(np.asarray(weights, dtype=np.float64)).ravel()", "w = np.asarray(weights, dtype=np.float64).ravel()",
         "ranked signed weights instead of magnitudes: large negative weights get pruned"),
        ("k = int(round(sparsity * w.size))", "k = int(sparsity * w.size)",
         "truncated the number of pruned weights instead of rounding it"),
    ],
    "week11-sparsity-schedule": [
        ("(1.0 - progress) ** power", "(1.0 - progress ** power)",
         "raised the progress to the power instead of (1 - progress)"),
        ("progress = np.clip((step - begin_step) / (end_step - begin_step), 0.0, 1.0)",
         "progress = (step - begin_step) / (end_step - begin_step)",
         "progress not clipped: the schedule overshoots after end_step and goes negative before begin_step"),
    ],
    "week11-fake-quant": [
        ("np.floor(qmin - x_min / scale + 0.5)", "(qmin - x_min / scale)",
         "zero point not rounded: the range is not nudged, 0 is not a level"),
        ("clamped = np.clip(x, nudged_min, nudged_max)", "clamped = np.clip(x, x_min, x_max)",
         "clamped to the raw range instead of the nudged one"),
        ("np.floor((clamped - nudged_min) / scale + 0.5)", "np.floor((clamped - nudged_min) / scale)",
         "truncation instead of rounding to the nearest level"),
    ],
    "week11-ste-gradient": [
        ("inside = (x >= nudged_min) & (x <= nudged_max)", "inside = (x >= x_min) & (x <= x_max)",
         "gradient window on the raw range instead of the nudged one"),
        ("return np.where(inside, upstream, 0.0).astype(np.float32)", "return inside.astype(np.float32)",
         "forgot to multiply by the upstream gradient"),
    ],
}
