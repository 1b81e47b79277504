"""Planted plausible mistakes for project4: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project4-labels": [
        ("classes = sorted(set(labels)) if classes is None else list(classes)",
         "classes = list(dict.fromkeys(labels)) if classes is None else list(classes)",
         "classes in order of first appearance (not sorted): ids depend on the data order"),
        ("unknown = sorted(set(labels) - set(index))", "unknown = []",
         "no check for labels outside the given classes"),
        ("return np.array([index[x] for x in labels], dtype=np.int64), classes",
         "return np.array([index[x] for x in labels], dtype=np.int32), classes",
         "int32 ids where int64 is asked"),
    ],
    "project4-split": [
        ("val.append(rng.permutation(members)[:n_val])", "val.append(members[:n_val])",
         "took the first examples of each class instead of a random, seeded choice"),
        ("n_val = int(round(val_fraction * len(members)))", "n_val = int(val_fraction * len(members))",
         "truncated instead of rounding the per-class validation count"),
        ("n_val = int(round(val_fraction * len(members)))",
         "n_val = len(members) - int(round((1 - val_fraction) * len(members)))",
         "rounds the training share instead of the validation share: off by one where a share ends in .5"),
        ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()",
         "ignores the seed: every call gives another split"),
    ],
    "project4-encode": [
        (".tolist()[: max_len - 2]", ".tolist()",
         "no truncation: long snippets overflow max_len"),
        ("mask[i, : len(ids)] = True", "mask[i, 1 : len(ids) - 1] = True",
         "padding mask excludes [CLS] and [SEP] (they are real tokens the model attends to)"),
        ("mask = np.zeros((len(texts), max_len), dtype=bool)", "mask = np.ones((len(texts), max_len), dtype=bool)",
         "padding mask True everywhere, [PAD] included"),
        ("token_ids = np.full((len(texts), max_len), tokenizer.pad_token_id, dtype=np.int32)",
         "token_ids = np.full((len(texts), max_len), tokenizer.pad_token_id)",
         "int64 token ids (np.full's default) where int32 is asked"),
        ("        pieces = np.asarray(tokenizer(text)).tolist()[: max_len - 2]\n"
         "        ids = [tokenizer.cls_token_id] + pieces + [tokenizer.sep_token_id]",
         "        pieces = np.asarray(tokenizer(text)).tolist()\n"
         "        ids = ([tokenizer.cls_token_id] + pieces + [tokenizer.sep_token_id])[:max_len]",
         "truncates after framing: long snippets lose their [SEP]"),
    ],
    "project4-classifier": [
        ("pooled = ctf.MeanPool()(sequence, padding_mask)", "pooled = keras.ops.mean(sequence, axis=1)",
         "mean over all positions, [PAD] vectors included"),
        ('keras.layers.Dense(num_classes, name="head")', 'keras.layers.Dense(num_classes, activation="softmax", name="head")',
         "softmax probabilities instead of logits (the loss uses from_logits=True)"),
        ('logits = keras.layers.Dense(num_classes, name="head")(keras.layers.Dropout(dropout)(pooled))',
         'logits = keras.layers.Dense(num_classes, name="head")(pooled)',
         "no dropout layer (the dropout argument is ignored)"),
        ('logits = keras.layers.Dense(num_classes, name="head")(keras.layers.Dropout(dropout)(pooled))',
         'logits = keras.layers.Dropout(dropout)(keras.layers.Dense(num_classes, name="head")(pooled))',
         "dropout on the logits instead of on the pooled sentence vector"),
        ('"padding_mask": padding_mask})["sequence_output"]',
         '"padding_mask": keras.ops.ones_like(padding_mask)})["sequence_output"]',
         "the backbone attends to [PAD] tokens (mask not passed to it, only to the pooling)"),
    ],
    "project4-model": [
        ("model.save(MODEL_PATH)", "build_classifier(backbone, 2, MAX_LEN).save(MODEL_PATH)",
         "saved a freshly built, untrained classifier instead of the trained one"),
        ("head_model.fit(f_tr, y_tr,", "head_model.fit(f_tr, np.sort(y_tr),",
         "labels reordered apart from the features (misaligned training pairs)"),
    ],
}
