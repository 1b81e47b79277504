"""Benchmark (Week 8 / Project 4): does the pretrained Transformer beat models that start from nothing?

On the real Rotten Tomatoes snippets (``course.data.load_rotten_tomatoes``; test = reviews of held-out
movies), every model gets the same ``--n-train`` labelled training snippets and is scored on the same
``--n-test`` held-out ones:

- TF-IDF (words + bigrams) + logistic regression — the classic from-scratch baseline;
- the same small Transformer classifier, randomly initialized (2 layers x 128, trained from scratch);
- all-MiniLM-L6-v2 (``course.transformers.load_minilm``): head on frozen mean-pooled features
  (Project 4's FAST recipe), then the whole network fine-tuned (its full recipe).

    .venv/bin/python benchmarks/transformers.py                          # full: 2,400 train, 2 epochs
    .venv/bin/python benchmarks/transformers.py --n-train 256 --ft-epochs 0   # FAST-like

It prints a table (accuracy and seconds per model) and asserts nothing. Timings depend on the load of
the machine: report it with the numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-train", type=int, default=2400)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--max-len", type=int, default=48)
    p.add_argument("--ft-epochs", type=int, default=2)
    p.add_argument("--scratch-epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args(argv)

    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    import course
    import course.transformers as ctf

    course.runtime.setup(seed=42, mixed_precision=False)
    ds = course.data.load_rotten_tomatoes(n_test=args.n_test)
    pick = np.random.default_rng(0).permutation(len(ds.x_train))[: args.n_train]
    x_tr, y_tr, x_te, y_te = ds.x_train[pick], ds.y_train[pick], ds.x_test, ds.y_test
    rows = []

    def accuracy(model, enc):
        logits = np.concatenate([np.asarray(model({k: v[i:i + 64] for k, v in enc.items()}, training=False))
                                 for i in range(0, len(enc["token_ids"]), 64)])
        return float(np.mean(np.argmax(logits, axis=1) == y_te))

    start = time.perf_counter()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    lr = LogisticRegression(C=10.0, max_iter=2000).fit(tfidf.fit_transform(x_tr), y_tr)
    rows.append(("TF-IDF + logistic regression (from scratch)", float(lr.score(tfidf.transform(x_te), y_te)),
                 time.perf_counter() - start))

    start = time.perf_counter()
    minilm = ctf.load_minilm()
    load_s = time.perf_counter() - start
    enc_tr = ctf.encode(x_tr, minilm.tokenizer, args.max_len)
    enc_te = ctf.encode(x_te, minilm.tokenizer, args.max_len)

    def classifier(backbone):
        ids = keras.Input((args.max_len,), dtype="int32", name="token_ids")
        mask = keras.Input((args.max_len,), dtype="bool", name="padding_mask")
        seq = backbone({"token_ids": ids, "segment_ids": keras.ops.zeros_like(ids), "padding_mask": mask})["sequence_output"]
        out = keras.layers.Dense(2, name="head")(keras.layers.Dropout(0.1)(ctf.MeanPool()(seq, mask)))
        return keras.Model({"token_ids": ids, "padding_mask": mask}, out)

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # The same kind of network, small and randomly initialized, trained from scratch on the same data.
    keras.utils.set_random_seed(42)
    start = time.perf_counter()
    small = keras_hub.models.BertBackbone(vocabulary_size=minilm.tokenizer.vocabulary_size(), num_layers=2, num_heads=4,
                                          hidden_dim=128, intermediate_dim=256, max_sequence_length=args.max_len)
    scratch = classifier(small)
    scratch.compile(optimizer=keras.optimizers.Adam(3e-4), loss=loss)
    scratch.fit(enc_tr, y_tr, epochs=args.scratch_epochs, batch_size=args.batch_size, verbose=0)
    rows.append((f"small Transformer 2x128, random init ({args.scratch_epochs} epochs)", accuracy(scratch, enc_te),
                 time.perf_counter() - start))

    # MiniLM: stage 1, the head on frozen pooled features.
    keras.utils.set_random_seed(42)
    start = time.perf_counter()
    model = classifier(minilm.backbone)
    pool = ctf.MeanPool()

    @tf.function
    def feats(batch):
        out = minilm.backbone({"token_ids": batch["token_ids"], "segment_ids": tf.zeros_like(batch["token_ids"]),
                               "padding_mask": batch["padding_mask"]}, training=False)
        return pool(out["sequence_output"], batch["padding_mask"])

    f_tr = np.concatenate([feats({k: v[i:i + 64] for k, v in enc_tr.items()}).numpy()
                           for i in range(0, len(x_tr), 64)])
    head_in = keras.Input((minilm.backbone.hidden_dim,))
    head_model = keras.Model(head_in, model.get_layer("head")(keras.layers.Dropout(0.1)(head_in)))
    head_model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
    head_model.fit(f_tr, y_tr, epochs=40, batch_size=args.batch_size, verbose=0)
    stage1_s = time.perf_counter() - start
    rows.append(("MiniLM, frozen + trained head (Project 4 FAST)", accuracy(model, enc_te), stage1_s))

    if args.ft_epochs > 0:
        start = time.perf_counter()
        model.compile(optimizer=keras.optimizers.AdamW(3e-5, weight_decay=0.01), loss=loss)
        model.fit(enc_tr, y_tr, epochs=args.ft_epochs, batch_size=args.batch_size, verbose=2)
        rows.append((f"MiniLM, fine-tuned ({args.ft_epochs} epochs after the head)", accuracy(model, enc_te),
                     stage1_s + time.perf_counter() - start))

    print(f"\nRotten Tomatoes: {len(x_tr)} training snippets, {len(x_te)} held-out (other movies), "
          f"max_len {args.max_len}; MiniLM loaded in {load_s:.1f} s")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<58}{'test acc':>9}{'seconds':>9}")
    for name, acc, secs in rows:
        print(f"{name:<58}{acc:>9.3f}{secs:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
