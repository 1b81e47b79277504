"""Benchmark: ``dls grade`` (sandbox on) versus stock ``nbgrader autograde`` on the same week02 submissions.

    python benchmarks/grade.py                 # 50 submissions (mixed correct / wrong / blank), 2 workers
    python benchmarks/grade.py -n 10 --workers 2

Both run on the same machine, one after the other, into two scratch course folders with their own
gradebooks. Prints throughput (submissions per minute), the ratio, and the median seconds per submission
(dls grade: per-submission time inside a worker; nbgrader: one `nbgrader autograde --student` each,
as `dls autograde` runs it), and checks that both gave the same total per submission class.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import grade, pipeline, sandbox, submissions  # noqa: E402


def make(dest: Path, n: int) -> tuple[pipeline.Course, dict[str, str]]:
    course = pipeline.Course(ROOT)
    ws = pipeline.workspace(course, dest, ["week02"])
    pipeline.generate_release(ws, "week02")
    made = submissions.write_samples(ws.root, "week02", ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=("solution", "untouched", "mistakes-1"))
    kinds = {"solution": "correct", "mistakes-1": "wrong", "untouched": "blank"}
    order = ["solution", "mistakes-1", "untouched"]
    students = {}
    for i in range(n):
        kind = order[i % 3]
        student = f"s{i:03d}-{kinds[kind]}"
        shutil.copytree(made[kind] / "week02", ws.submitted / student / "week02")
        students[student] = kinds[kind]
    return ws, students


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=50, help="submissions (default 50)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-stock", action="store_true", help="only dls grade")
    args = ap.parse_args()
    if sandbox.available():
        print(f"sandbox unavailable: {sandbox.available()}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="dls-bench-"))
    try:
        rows = {}
        ws, students = make(scratch / "dls", args.n)
        t0 = time.perf_counter()
        grade.grade_assignment(ws, "week02", workers=args.workers, limits=sandbox.Limits(), force=True,
                               log=lambda m: None, progress=True)
        wall = time.perf_counter() - t0
        per = [grade.load_result(ws, "week02", s)["seconds"] for s in students]
        dls_scores = {s: grade.load_result(ws, "week02", s)["score"] for s in students}
        rows["dls grade"] = (wall, statistics.median(per))
        if not args.skip_stock:
            ws2, _ = make(scratch / "stock", args.n)
            per2 = []
            t0 = time.perf_counter()
            for s in students:
                t1 = time.perf_counter()
                pipeline.autograde(ws2, "week02", [s], fast=True)
                per2.append(time.perf_counter() - t1)
            wall2 = time.perf_counter() - t0
            rows["nbgrader autograde"] = (wall2, statistics.median(per2))
            table = pipeline.read_scores(ws2, "week02", list(students))
            same = all(table.total(s) == dls_scores[s] for s in students)
            print(f"same totals for every submission: {same}")
        print(f"\n{args.n} week02 submissions, {args.workers} worker(s) for dls grade (sandbox on)")
        print(f"{'grader':<20}{'wall s':>9}{'subs/min':>10}{'median s/sub':>14}")
        for name, (w, med) in rows.items():
            print(f"{name:<20}{w:>9.1f}{args.n / w * 60:>10.2f}{med:>14.1f}")
        if len(rows) == 2:
            print(f"throughput ratio dls grade / nbgrader autograde: "
                  f"{rows['nbgrader autograde'][0] / rows['dls grade'][0]:.2f}x")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
