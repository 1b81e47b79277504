"""Benchmark: per notebook, FAST-mode and full-mode wall time on this machine and the figures
each notebook reports (a line ``RESULTS {json}``, e.g. test accuracies).

    .venv/bin/python benchmarks/notebooks.py                  # every assignment, FAST and full
    .venv/bin/python benchmarks/notebooks.py week02 --modes full
    .venv/bin/python benchmarks/notebooks.py --json out.json  # also save the table

Targets (issue: course foundation): FAST < 60 s per notebook on 2 cores; full mode: the NumPy MLP
and the Keras MLP each >= 0.85 test accuracy on Fashion-MNIST in < 3 minutes (the notebook reports
per-model training seconds). This prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.execute import execute  # noqa: E402
from autograder.pipeline import Course, PipelineError  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignments", nargs="*")
    p.add_argument("--modes", nargs="+", default=["fast", "full"], choices=["fast", "full"])
    p.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = p.parse_args(argv)
    course = Course(ROOT)
    try:
        names = course.resolve(args.assignments)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_dir = ROOT / ".dls" / "benchmark"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = []
    for name in names:
        for nb in course.source_notebooks(name):
            row = {"notebook": f"{name}/{nb.name}"}
            for mode in args.modes:
                run = execute(nb, out_dir / mode / name / nb.name, fast=(mode == "fast"), timeout=3600)
                row[f"{mode}_s"] = round(run.seconds, 1)
                row[f"{mode}_ok"] = run.ok
                if run.error:
                    row[f"{mode}_error"] = run.error
                if mode == "full" or "full" not in args.modes:
                    row["results"] = run.results
                print(f"  {row['notebook']:<24} {mode:<5} {run.seconds:7.1f} s  {'ok' if run.ok else 'FAILED ' + str(run.error)}",
                      flush=True)
            rows.append(row)
    print()
    header = f"{'notebook':<24}" + "".join(f"{m + ' (s)':>11}" for m in args.modes) + "  results"
    print(header)
    print("-" * len(header))
    for r in rows:
        cells = "".join(f"{(str(r[m + '_s']) if r[m + '_ok'] else 'FAILED'):>11}" for m in args.modes)
        res = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.get("results", {}).items())
        print(f"{r['notebook']:<24}{cells}  {res}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(r[m + "_ok"] for r in rows for m in args.modes) else 1


if __name__ == "__main__":
    sys.exit(main())
