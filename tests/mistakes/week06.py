"""Planted plausible mistakes for week06: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week06-char-model": [
        ("keras.layers.GRU(units, return_sequences=True),", "keras.layers.GRU(units),",
         "forgot return_sequences=True: one prediction per window instead of one per position"),
        ("keras.layers.Dense(vocab_size),\n    ], name=\"char_model\")",
         "keras.layers.Dense(vocab_size, activation=\"softmax\"),\n    ], name=\"char_model\")",
         "softmax on the last layer although the loss expects logits (from_logits=True)"),
    ],
    "week06-adjust-logits": [
        ("scaled = tf.cast(logits, tf.float32) / tf.cast(temperature, tf.float32)",
         "scaled = tf.cast(logits, tf.float32) * tf.cast(temperature, tf.float32)",
         "multiplied by the temperature instead of dividing"),
        ("kth_largest = tf.math.top_k(scaled, k=k).values[:, -1:]",
         "kth_largest = tf.math.top_k(scaled, k=k).values[:, :1]",
         "compared with the largest logit instead of the k-th largest (always greedy)"),
        ("k = tf.where(k > 0, tf.minimum(k, vocab), vocab)", "k = tf.minimum(k + 1, vocab)",
         "off by one: keeps k + 1 logits (and top_k = 0 keeps one)"),
    ],
    "week06-sentiment-model": [
        ("keras.layers.Embedding(vectorizer.vocabulary_size(), embed_dim, mask_zero=True),",
         "keras.layers.Embedding(vectorizer.vocabulary_size(), embed_dim),",
         "no masking: the LSTMs read the padding as if it were words"),
        ("keras.layers.Bidirectional(keras.layers.LSTM(units)),", "keras.layers.LSTM(units),",
         "a one-directional LSTM instead of a bidirectional one"),
    ],
    "week06-windows": [
        ("return ds.map(lambda w: (w[:, :input_width, None], w[:, input_width:]))",
         "return ds.map(lambda w: (w[:, :input_width, None], w[:, input_width - 1:-1]))",
         "off by one: the targets start with the last input value"),
        ("total = input_width + horizon", "total = input_width + horizon + 1",
         "windows one value too long: the last target is cut off and one window is lost"),
    ],
    "week06-seasonal-naive": [
        ("x[:, width - season + (h - 1) % season]", "x[:, width - season + h % season]",
         "off by one: forecasts step h with the value of step h + 1 of the last season"),
        ("for h in range(1, horizon + 1)", "for h in range(horizon)",
         "0-based steps in a 1-based formula: every forecast is shifted by one step"),
    ],
    "week06-forecaster": [
        ('keras.layers.Conv1D(32, 5, activation="relu", padding="causal", dilation_rate=2)',
         'keras.layers.Conv1D(32, 5, activation="relu", padding="same", dilation_rate=2)',
         "'same' padding looks into the future of the window (not causal)"),
        ("body = [keras.layers.LSTM(32)]", "body = [keras.layers.LSTM(32, return_sequences=True), keras.layers.Flatten()]",
         "returned the whole sequence and flattened it, a different (larger) model"),
    ],
}
