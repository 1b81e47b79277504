"""Benchmark: the sequence-model notebooks (week05, week06, project2) in full mode, and the figures
their issue targets, as a table.

    .venv/bin/python benchmarks/sequence.py                     # all three, full mode
    .venv/bin/python benchmarks/sequence.py week06 --fast       # one notebook, FAST mode (a smoke test)

Targets (issue 4, sequence models):
- week05: on the adding problem (length 50) the LSTM/GRU solve most sequences, the plain RNN stays at
  the "predict the mean" MSE (~0.167);
- week06: the LSTM and Conv1D forecasters beat the seasonal-naive baseline's MAE on the held-out
  sunspot years 1961-2008; the character model's held-out test loss and the seconds it took;
  sampling 500 characters in under 2 s (compiled tf.function);
- project2: validation perplexity of the instructor's generator (the full-mode bands are 10 / 8.5 / 7; FAST 22 / 18 / 15).

It prints; it asserts nothing. Timings depend on the machine and its load: report both.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.execute import execute  # noqa: E402

ROWS = {
    "week05": [("adding problem: RNN test MSE / solved", ("rnn_mse", "rnn_solved")),
               ("adding problem: LSTM test MSE / solved", ("lstm_mse", "lstm_solved")),
               ("adding problem: GRU test MSE / solved", ("gru_mse", "gru_solved")),
               ("training seconds RNN / LSTM / GRU", ("rnn_seconds", "lstm_seconds", "gru_seconds"))],
    "week06": [("char model: held-out test loss (nats/char) / perplexity", ("char_test_loss", "char_test_perplexity")),
               ("char model: training seconds", ("char_seconds",)),
               ("sampling 500 characters (s, target < 2)", ("sample_500_seconds",)),
               ("sunspots test MAE: naive / seasonal naive", ("mae_naive", "mae_seasonal_naive")),
               ("sunspots test MAE: LSTM / Conv1D (target < seasonal naive)", ("mae_lstm", "mae_conv")),
               ("sentiment test accuracy: BiLSTM / bag of words", ("sentiment_test_acc", "bow_test_acc")),
               ("sentiment data source", ("sentiment_source",))],
    "project2": [("generator: validation perplexity (full bands 10 / 8.5 / 7)", ("val_perplexity",)),
                 ("generator: training seconds / steps", ("train_seconds", "train_steps")),
                 ("sampling 500 characters (s, target < 2)", ("sample_500_seconds",))],
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignments", nargs="*", default=list(ROWS), choices=list(ROWS))
    p.add_argument("--fast", action="store_true", help="FAST mode instead of full mode")
    args = p.parse_args(argv)
    mode = "fast" if args.fast else "full"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load:.1f}; mode {mode}")
    table = []
    for name in args.assignments:
        nb = ROOT / "source_notebooks" / name / f"{name}.ipynb"
        run = execute(nb, ROOT / ".dls" / "benchmark" / mode / name / nb.name, fast=args.fast, timeout=3600)
        print(f"  {name}: {run.seconds:.0f} s, {'ok' if run.ok else 'FAILED ' + str(run.error)}", flush=True)
        table.append((name, "notebook wall time (s)", f"{run.seconds:.0f}"))
        for label, keys in ROWS[name]:
            vals = [run.results.get(k, "-") for k in keys]
            table.append((name, label, " / ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in vals)))
        model = nb.parent / "project2_model.keras"
        if name == "project2" and model.exists():
            model.unlink()  # the trained file must not end up in release/ (nbgrader copies the folder)
    print(f"\n{'notebook':<10} {'figure':<62} value")
    print("-" * 100)
    for row in table:
        print(f"{row[0]:<10} {row[1]:<62} {row[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
