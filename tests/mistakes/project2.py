"""Planted plausible mistakes for project2: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project2-sample": [
        ("logits / tf.maximum(temperature, 1e-6)", "logits * tf.maximum(temperature, 1e-6)",
         "multiplied the logits by the temperature instead of dividing"),
        ("logits = tf.cast(logits, tf.float32)", "logits = tf.nn.softmax(tf.cast(logits, tf.float32))",
         "turned the logits into probabilities first: stateless_categorical expects logits"),
        ("return tf.where(temperature > 0, drawn, greedy)", "return tf.where(temperature > 0, greedy, drawn)",
         "swapped the branches of tf.where: greedy whenever the temperature is positive"),
    ],
    "project2-perplexity": [
        ("return float(np.exp(total / n_targets))", "return float(np.exp(total / len(ids)))",
         "divided by the number of ids instead of the number of targets (len(ids) - 1)"),
        ("    if rest:\n", "    if False:\n",
         "dropped the last, shorter window: some targets are never counted"),
        ("y = ids[1: n_full * seq_len + 1].reshape(n_full, seq_len)", "y = ids[: n_full * seq_len].reshape(n_full, seq_len)",
         "targets not shifted: scores each character given itself"),
    ],
    "project2-model": [
        ("keras.layers.GRU(units, return_sequences=True),", "keras.layers.GRU(units),",
         "forgot return_sequences=True: training fails, no model is saved"),
        ("keras.layers.Dense(vocab_size),\n    ], name=\"generator\")",
         "keras.layers.Dense(vocab_size, activation=\"softmax\"),\n    ], name=\"generator\")",
         "softmax on the last layer although the loss and the grader expect logits"),
    ],
}
