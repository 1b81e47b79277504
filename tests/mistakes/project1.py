"""Planted plausible mistakes for project1: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project1-split": [
        ("(images[val_idx], labels[val_idx])", "(images[val_idx], labels[:n_val])",
         "sliced the validation labels without the permutation: images and labels no longer match"),
        ("val_idx, train_idx = order[:n_val], order[n_val:]", "val_idx, train_idx = order[:n_val], order",
         "kept the validation examples in the training set too (a leak)"),
        ("order = np.random.default_rng(seed).permutation(n)", "order = np.arange(n)",
         "forgot to shuffle: the validation set is the first block of the data"),
        ("n_val = int(round(val_fraction * n))", "n_val = int(val_fraction * n)",
         "truncated the validation size instead of rounding it (25 instead of 26 for 70% of 37)"),
    ],
    "project1-pipeline": [
        ("ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)",
         "ds.shuffle(len(images), reshuffle_each_iteration=True)",
         "ignored seed: the shuffle order cannot be reproduced from the seed"),
        ("tf.cast(x, tf.float32)[..., tf.newaxis] / 255.0", "tf.cast(x, tf.float32)[..., tf.newaxis]",
         "forgot to normalize: pixels stay in 0..255"),
        ("    if training:\n        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)\n"
         "    ds = ds.batch(batch_size)\n",
         "    ds = ds.batch(batch_size)\n    if training:\n"
         "        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)\n",
         "shuffled after batching: only the order of fixed batches of neighbours changes"),
        ("ds.shuffle(len(images), seed=seed", "ds.shuffle(batch_size, seed=seed",
         "a shuffle buffer of one batch only mixes nearby examples"),
    ],
    "project1-augment": [
        ('RandomFlip("horizontal", seed=seed)', 'RandomFlip("horizontal_and_vertical", seed=seed)',
         "flips upside down too: such images never occur in Fashion-MNIST"),
        ('RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed)', "RandomTranslation(0.1, 0.1, seed=seed)",
         "kept the default fill_mode='reflect', which mirrors the garment into the background"),
        ("RandomTranslation(0.1, 0.1,", "RandomTranslation(0.5, 0.5,",
         "shifts by up to half the image: garments leave the frame"),
        ('RandomFlip("horizontal", seed=seed)', 'RandomFlip("horizontal")',
         "the seed reaches only the translation: the flips cannot be reproduced from the seed"),
    ],
    "project1-cnn": [
        ('    if augmentation is not None:\n        layers.append(augmentation)\n    layers += [\n'
         '        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),\n',
         '    layers.append(keras.layers.Conv2D(32, 3, padding="same", activation="relu"))\n'
         '    if augmentation is not None:\n        layers.append(augmentation)\n    layers += [\n',
         "the augmentation placed after the first Conv2D: it flips and shifts feature maps, not images"),
        ("keras.layers.Dense(num_classes),", 'keras.layers.Dense(num_classes, activation="softmax"),',
         "softmax on the last layer although the loss expects logits (from_logits=True)"),
        ("    if augmentation is not None:\n        layers.append(augmentation)\n", "",
         "accepted the augmentation argument but never used it"),
        ("layers = [keras.Input(shape=input_shape)]", "layers = [keras.Input(shape=(28, 28, 1))]",
         "hard-coded the input shape instead of using input_shape"),
    ],
    "project1-callbacks": [
        ("patience=patience, restore_best_weights=True)", "patience=patience)",
         "left restore_best_weights at its default (False): keeps the last, overfitted weights"),
        ('EarlyStopping(monitor="val_loss"', 'EarlyStopping(monitor="loss"',
         "early stopping on the training loss, which keeps falling while the model overfits"),
        ('monitor="val_loss", save_best_only=True)', 'monitor="val_loss")',
         "ModelCheckpoint without save_best_only: the file holds the last epoch, not the best"),
        ("patience=max(1, patience // 2)", "patience=patience // 2",
         "no lower bound: patience=1 gives ReduceLROnPlateau a patience of 0"),
    ],
    "project1-train": [
        ("history = model.fit(train_ds, validation_data=val_ds,",
         "history = model.fit(x_train[..., None], y_train, validation_data=(x_val[..., None], y_val),"
         " batch_size=BATCH_SIZE,",
         "trained on the raw uint8 arrays (0..255) instead of the normalized pipeline"),
        ("keras.optimizers.Adam(learning_rate=LEARNING_RATE)", "keras.optimizers.Adam(learning_rate=0.5)",
         "a learning rate far too large for Adam: training diverges"),
        ("model.save(MODEL_PATH)", "build_model().save(MODEL_PATH)",
         "saved a freshly built (untrained) model instead of the trained one"),
    ],
    "project1-worst-errors": [
        ("wrong = np.flatnonzero(pred != labels)", "wrong = np.arange(len(labels))",
         "ranked every example, correct predictions included"),
        ("np.argsort(-confidence, kind=\"stable\")", "np.argsort(confidence, kind=\"stable\")",
         "sorted in ascending order: the least confident mistakes first"),
        ("confidence = probs[wrong, pred[wrong]]", "confidence = 1 - probs[wrong, labels[wrong]]",
         "ranked by how little probability the true class got, not by the confidence of the prediction"),
        ('return wrong[np.argsort(-confidence, kind="stable")][:k]', 'return list(wrong[np.argsort(-confidence, kind="stable")][:k])',
         "returns a Python list instead of the NumPy integer array the text asks for"),
    ],
}
