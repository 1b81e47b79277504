"""Planted plausible mistakes for week08: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week08-masks": [
        ("return np.tril(np.ones((n, n), dtype=bool))", "return np.triu(np.ones((n, n), dtype=bool))",
         "causal mask transposed: each query sees the future instead of the past"),
        ("return np.asarray(token_ids) != pad_id", "return np.asarray(token_ids) == pad_id",
         "padding mask inverted: True on [PAD] instead of on real tokens"),
    ],
    "week08-attention": [
        ("scores = np.where(mask, scores, -1e9)", "scores = scores + mask",
         "added the boolean mask to the scores instead of setting masked scores to a large negative number"),
        ("/ np.sqrt(d_k)", "/ d_k", "scaled the scores by d_k instead of sqrt(d_k)"),
        ("weights = weights / weights.sum(axis=-1, keepdims=True)",
         "weights = weights / weights.sum(axis=-2, keepdims=True)",
         "softmax normalized over the queries (wrong axis) instead of the keys"),
        ("scores = np.where(mask, scores, -1e9)", "scores = np.where(mask, scores, -np.inf)",
         "masked scores set to -inf: a query whose keys are all masked gets NaN weights"),
    ],
    "week08-mha": [
        ("return x.reshape(b, n, num_heads, d // num_heads).transpose(0, 2, 1, 3)",
         "return x.reshape(b, num_heads, n, d // num_heads)",
         "split the heads with a reshape only (no transpose): mixes tokens and features"),
        ("return x.transpose(0, 2, 1, 3).reshape(b, n, h * d_k)", "return x.reshape(b, n, h * d_k)",
         "merged the heads without moving the head axis back"),
        ("head_mask = None if mask is None else np.asarray(mask)[:, None]", "head_mask = None",
         "forgot to pass the mask to the attention of every head"),
    ],
    "week08-posenc": [
        ("np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))",
         "np.where(np.arange(d_model) % 2 == 0, np.cos(angles), np.sin(angles))",
         "sin and cos swapped (cos on even columns)"),
        ("angles = positions / np.power(10000.0, 2 * pair / d_model)",
         "angles = positions / np.power(10000.0, np.arange(d_model) / d_model)",
         "used the column index instead of 2i (the pair index) in the exponent"),
        ("return pe.astype(np.float32)", "return pe",
         "returned float64 (NumPy's default) instead of float32"),
    ],
    "week08-encoder-block": [
        ("x = self.norm1(x + self.dropout(attended, training=training))\n        hidden = self.ffn_out(self.ffn_hidden(x))\n"
         "        return self.norm2(x + self.dropout(hidden, training=training))",
         "x = self.norm1(x + attended)\n        hidden = self.ffn_out(self.ffn_hidden(x))\n        return self.norm2(x + hidden)",
         "no dropout on the sub-layer outputs (only the attention's own dropout is left)"),
        ("x = self.norm1(x + self.dropout(attended, training=training))\n        hidden = self.ffn_out(self.ffn_hidden(x))\n"
         "        return self.norm2(x + self.dropout(hidden, training=training))",
         "x = self.norm1(x + self.dropout(attended, training=True))\n        hidden = self.ffn_out(self.ffn_hidden(x))\n"
         "        return self.norm2(x + self.dropout(hidden, training=True))",
         "dropout always on: training=True hard-coded, so inference is random too"),
        ("attended = self.attention(x, x, attention_mask=mask, training=training)",
         "attended = self.attention(x, x, attention_mask=mask)",
         "training not passed to the attention: its dropout depends on whoever calls the block"),
        ("x = self.norm1(x + self.dropout(attended, training=training))",
         "x = self.norm1(self.dropout(attended, training=training))",
         "forgot the residual connection around the attention"),
        ("return self.norm2(x + self.dropout(hidden, training=training))",
         "return x + self.norm2(self.dropout(hidden, training=training))",
         "normalized the sub-layer output before the residual (not BERT's post-norm)"),
        ("attended = self.attention(x, x, attention_mask=mask, training=training)",
         "attended = self.attention(x, x, training=training)",
         "forgot the padding mask: real tokens attend to [PAD]"),
    ],
    "week08-mlm-masking": [
        ("chosen = (rng.random(token_ids.shape) < mask_prob) & ~special",
         "chosen = rng.random(token_ids.shape) < mask_prob",
         "special tokens ([CLS]/[PAD]) can be chosen and masked"),
        ("inputs[chosen & (action < 0.8)] = mask_id", "inputs[chosen] = mask_id",
         "replaced every chosen token by [MASK] (no 10% random / 10% unchanged)"),
        ("return inputs, token_ids.copy(), chosen.astype(np.float32)",
         "return inputs, inputs.copy(), chosen.astype(np.float32)",
         "labels taken from the corrupted inputs instead of the original tokens"),
        ("inputs = token_ids.copy()\n    inputs[chosen & (action < 0.8)] = mask_id\n    swap = chosen & (action >= 0.8) & (action < 0.9)\n"
         "    inputs[swap] = random_ids[swap]",
         "swap = chosen & (action >= 0.8) & (action < 0.9)\n"
         "    inputs = np.where(chosen & (action < 0.8), mask_id, np.where(swap, random_ids, token_ids))",
         "builds the inputs with np.where: the int64 random ids turn int32 inputs into int64"),
        ("chosen.astype(np.float32)", "chosen.astype(float)", "float64 weights instead of float32"),
    ],
}
