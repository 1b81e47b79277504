"""Benchmark: Week 7 and Project 5 in full mode (or FAST), and how their samples look to the
course-trained Fashion-MNIST classifier (``course.generative.feature_classifier``).

    .venv/bin/python benchmarks/generative.py                 # full mode, both notebooks
    .venv/bin/python benchmarks/generative.py --fast          # FAST mode (CI settings)
    .venv/bin/python benchmarks/generative.py week07          # one notebook

Targets (issue 5, generative half): each notebook finishes in full mode within 15 minutes on the
2-core CPU; VAE and GAN samples are recognisable to the course classifier (mean max-confidence,
class coverage and Fréchet distance reported next to held-out real images). FAST: each notebook
<= 30 s on an idle 2-core machine. The figures come from the notebooks' ``RESULTS`` lines; this
prints, it asserts nothing.
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
from autograder.pipeline import Course  # noqa: E402

NOTEBOOKS = ["week07", "project5"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignments", nargs="*", default=NOTEBOOKS, help="week07, project5 (default: both)")
    p.add_argument("--fast", action="store_true", help="FAST mode instead of full mode")
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    args = p.parse_args(argv)
    course = Course(ROOT)
    mode = "fast" if args.fast else "full"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, mode {mode}")
    runs = {}
    for name in args.assignments or NOTEBOOKS:
        nb = course.source_notebooks(name)[0]
        run = execute(nb, ROOT / ".dls" / "benchmark" / mode / name / nb.name, fast=args.fast, timeout=3600)
        runs[name] = run
        print(f"  {name:<10} {run.seconds:7.1f} s  {'ok' if run.ok else 'FAILED ' + str(run.error)}", flush=True)
    print()
    print(f"{'notebook':<10}{'seconds':>9}  status")
    for name, run in runs.items():
        print(f"{name:<10}{run.seconds:9.1f}  {'ok' if run.ok else 'FAILED'}")
    rows = []
    w7 = runs.get("week07")
    if w7 is not None and w7.results:
        r = w7.results
        rows += [("week07: real held-out", r.get("fd_real"), r.get("conf_real"), None),
                 ("week07: VAE samples", r.get("fd_vae"), r.get("conf_vae"), r.get("coverage_vae")),
                 ("week07: DCGAN samples", r.get("fd_gan"), r.get("conf_gan"), r.get("coverage_gan"))]
    p5 = runs.get("project5")
    if p5 is not None and p5.results:
        r = p5.results
        rows += [("project5: real vs real", r.get("fd_real"), None, None),
                 ("project5: GAN samples", r.get("fd_gan"), r.get("confidence_gan"), None),
                 ("project5: uniform noise", r.get("fd_noise"), None, None)]
    if rows:
        print()
        print(f"{'sample set':<26}{'Fréchet d.':>11}{'mean conf.':>11}{'coverage':>10}")
        fmt = lambda v, spec: format(v, spec) if isinstance(v, (int, float)) else "-"
        for label, fd, conf, cov in rows:
            print(f"{label:<26}{fmt(fd, '11.2f')}{fmt(conf, '11.3f')}{fmt(cov, '10.3f')}")
    for name, run in runs.items():
        if run.results:
            print(f"\n{name} RESULTS: {json.dumps(run.results)}")
    if args.json:
        args.json.write_text(json.dumps({k: {"seconds": v.seconds, "ok": v.ok, "results": v.results}
                                         for k, v in runs.items()}, indent=2))
    return 0 if all(r.ok for r in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
