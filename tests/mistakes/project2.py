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
        ("drawn = tf.random.stateless_categorical(logits / tf.maximum(temperature, 1e-6), 1, seed, dtype=tf.int32)[:, 0]",
         "drawn = tf.random.categorical(logits / tf.maximum(temperature, 1e-6), 1, dtype=tf.int32)[:, 0]",
         "the stateful tf.random.categorical: the seed is ignored, the same seed gives other draws"),
    ],
    "project2-perplexity": [
        ("return float(np.exp(total / n_targets))", "return float(np.exp(total / len(ids)))",
         "divided by the number of ids instead of the number of targets (len(ids) - 1)"),
        ("    if rest:\n", "    if False:\n",
         "dropped the last, shorter window: some targets are never counted"),
        ("y = ids[1: n_full * seq_len + 1].reshape(n_full, seq_len)", "y = ids[: n_full * seq_len].reshape(n_full, seq_len)",
         "targets not shifted: scores each character given itself"),
        ("tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)",
         "-tf.math.log(tf.gather(tf.nn.softmax(logits), y, batch_dims=2))",
         "the log of a softmax: a probability that rounds to 0 gives an infinite loss for a confident model"),
    ],
    "project2-model": [
        ("keras.layers.GRU(units, return_sequences=True),",
         "keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True)),",
         "a bidirectional GRU: it reads ahead and sees the character it predicts (perplexity ~1.2, meaningless)"),
        ("keras.layers.GRU(units, return_sequences=True),", "keras.layers.GRU(units),",
         "forgot return_sequences=True: training fails, no model is saved"),
        ("keras.layers.Dense(vocab_size),\n    ], name=\"generator\")",
         "keras.layers.Dense(vocab_size, activation=\"softmax\"),\n    ], name=\"generator\")",
         "softmax on the last layer although the loss and the grader expect logits"),
        ("units = 128 if fast else 384", "units = 8 if fast else 384",
         "a FAST model so small (8 units) that in 50 steps it learns little more than the character frequencies (~26)"),
    ],
}
