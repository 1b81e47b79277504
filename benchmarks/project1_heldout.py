"""Benchmark for Project 1: run the instructor notebook (full mode by default) in a scratch copy,
then score the model it saved on the held-out Fashion-MNIST test split, as the grader does.

    .venv/bin/python benchmarks/project1_heldout.py            # full mode (minutes to an hour on 2 CPU cores)
    .venv/bin/python benchmarks/project1_heldout.py --fast     # FAST mode (CI setting)
    .venv/bin/python benchmarks/project1_heldout.py --model path/to/project1_model.keras   # score a file only

Running in a scratch folder keeps project1_model.keras out of source_notebooks/. Prints a table;
asserts nothing. Bands: FAST 0.55 / 0.62 / 0.68, full 0.88 / 0.90 / 0.91.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BANDS = {True: (0.55, 0.62, 0.68), False: (0.88, 0.90, 0.91)}


def heldout_accuracy(model_path: Path, n_test: int | None = None) -> float:
    import keras
    import numpy as np

    import course

    test = course.data.load_fashion_mnist(n_train=0, n_test=n_test, seed=2024)
    model = keras.models.load_model(model_path)
    x = test.x_test[..., np.newaxis].astype("float32") / 255.0
    scores = np.asarray(model.predict(x, batch_size=500, verbose=0))
    return float(np.mean(scores.argmax(axis=1) == test.y_test))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fast", action="store_true", help="FAST mode (the CI setting)")
    p.add_argument("--model", type=Path, help="only score this saved model")
    args = p.parse_args(argv)
    results, seconds = {}, None
    if args.model:
        model_path = args.model
    else:
        from autograder.execute import execute

        scratch = Path(tempfile.mkdtemp(prefix="project1-bench-"))
        nb = scratch / "project1.ipynb"
        shutil.copy(ROOT / "source_notebooks" / "project1" / "project1.ipynb", nb)
        t0 = time.perf_counter()
        run = execute(nb, scratch / "executed" / "project1.ipynb", fast=args.fast, timeout=7200)
        seconds = time.perf_counter() - t0
        if not run.ok:
            print(f"notebook failed: {run.error} (see {scratch / 'executed'})")
            return 1
        results = run.results
        model_path = scratch / "project1_model.keras"
    acc = heldout_accuracy(model_path, n_test=2_000 if args.fast else None)
    bands = BANDS[args.fast]
    print(f"\n{'mode':<6}{'notebook s':>11}{'train s':>9}{'epochs':>7}{'val acc':>9}{'test acc':>9}  bands passed")
    print(f"{'FAST' if args.fast else 'full':<6}{(f'{seconds:.0f}' if seconds else '-'):>11}"
          f"{results.get('train_seconds', '-'):>9}{results.get('epochs_run', '-'):>7}{results.get('val_acc', '-'):>9}"
          f"{acc:>9.4f}  {sum(acc >= b for b in bands)}/3 {bands}")
    if results:
        print("RESULTS", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
