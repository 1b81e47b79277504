"""Planted plausible mistakes for project4: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project4-labels": [
        ("classes = sorted(set(labels)) if classes is None else list(classes)",
         "classes = list(dict.fromkeys(labels)) if classes is None else list(classes)",
         "classes in order of first appearance (not sorted): ids depend on the data order"),
        ("unknown = sorted(set(labels) - set(index))", "unknown = []",
         "no check for labels outside the given classes"),
    ],
    "project4-split": [
        ("val.append(rng.permutation(members)[:n_val])", "val.append(members[:n_val])",
         "took the first examples of each class instead of a random, seeded choice"),
        ("n_val = int(round(val_fraction * len(members)))", "n_val = int(val_fraction * len(members))",
         "truncated instead of rounding the per-class validation count"),
    ],
    "project4-encode": [
        (".tolist()[: max_len - 2]", ".tolist()",
         "no truncation: long snippets overflow max_len"),
        ("mask[i, : len(ids)] = True", "mask[i, 1 : len(ids) - 1] = True",
         "padding mask excludes [CLS] and [SEP] (they are real tokens the model attends to)"),
        ("mask = np.zeros((len(texts), max_len), dtype=bool)", "mask = np.ones((len(texts), max_len), dtype=bool)",
         "padding mask True everywhere, [PAD] included"),
    ],
    "project4-classifier": [
        ("pooled = ctf.MeanPool()(sequence, padding_mask)", "pooled = keras.ops.mean(sequence, axis=1)",
         "mean over all positions, [PAD] vectors included"),
        ('keras.layers.Dense(num_classes, name="head")', 'keras.layers.Dense(num_classes, activation="softmax", name="head")',
         "softmax probabilities instead of logits (the loss uses from_logits=True)"),
    ],
    "project4-model": [
        ("model.save(MODEL_PATH)", "build_classifier(backbone, 2, MAX_LEN).save(MODEL_PATH)",
         "saved a freshly built, untrained classifier instead of the trained one"),
        ("head_model.fit(f_tr, y_tr,", "head_model.fit(f_tr, np.sort(y_tr),",
         "labels reordered apart from the features (misaligned training pairs)"),
    ],
}
