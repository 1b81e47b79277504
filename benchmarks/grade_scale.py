"""Load test: one batch of 500 week02 submissions through ``dls grade``, locally and on a Dask cluster.

    python benchmarks/grade_scale.py                      # 500 submissions: local pool, then Dask on loopback
    python benchmarks/grade_scale.py -n 100 --only dask
    python benchmarks/grade_scale.py --db postgres        # gradebook on a throwaway PostgreSQL server

The batch mixes correct answers, a planted mistake in every exercise, a planted mistake in half of
them, blank releases, and a few adversarial submissions from tests/adversarial/ (crashes, a memory
bomb, an infinite loop, tampered test cells, spoofed equality, ...), each with the score it must get.
"Local" is ``dls grade --workers W``; "Dask" starts a real ``dask scheduler`` and W ``dask worker``
processes (one thread each) on 127.0.0.1 and runs ``dls grade --scheduler``: the same machine, so the
comparison shows the cost of the distributed path, not extra hardware.

Prints, per run: wall time, submissions per minute, median / p95 seconds per submission (time inside
the worker, sandbox included), submissions not graded or scored differently from what they must get.
"""

from __future__ import annotations

import argparse
import json
import runpy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import grade, pipeline, sandbox, services, submissions  # noqa: E402

ADVERSARIAL = ["os-exit", "segfault", "memory-bomb", "infinite-loop", "output-flood", "eq-spoof",
               "monkeypatch-checks", "input-transformer", "duplicated-test-cell", "invalid-json"]


def make_batch(dest: Path, n: int) -> tuple[dict[str, bytes], dict[str, float | None]]:
    """n submissions as {student: notebook bytes} and the score each must get (None: any, same as local)."""
    ws = pipeline.workspace(pipeline.Course(ROOT), dest, ["week02"])
    pipeline.generate_release(ws, "week02")
    mistakes = submissions.load_mistakes(ROOT / "tests" / "mistakes" / "week02.py")
    half = set(list(mistakes)[::2])
    made = submissions.write_samples(ws.root, "week02", ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=("solution", "untouched", "mistakes-1"))
    made_half = submissions.write_samples(ws.root, "week02", ws.root / ".samples-half",
                                          ROOT / "tests" / "mistakes", kinds=("mistakes",), only=half)
    nb = lambda folder: (folder / "week02" / "week02.ipynb").read_bytes()  # noqa: E731
    sol, rel = json.loads(nb(made["solution"])), json.loads(nb(made["untouched"]))
    corpus = runpy.run_path(str(ROOT / "tests" / "adversarial" / "week02.py"))["build"](sol, rel)
    kinds = {"correct": (nb(made["solution"]), 17.0), "wrong": (nb(made["mistakes-1"]), None),
             "half": (nb(made_half["mistakes"]), None), "blank": (nb(made["untouched"]), 0.0)}
    batch, expected = {}, {}
    n_adv = max(1, n // 50)  # 2 %
    for i in range(n):
        if i % (n // n_adv) == n // n_adv - 1 and (i // (n // n_adv)) < n_adv:
            case = ADVERSARIAL[(i // (n // n_adv)) % len(ADVERSARIAL)]
            data, score, _why = corpus[case]
            student = f"s{i:04d}-{case}"
        else:
            kind = ["correct", "correct", "wrong", "half", "blank"][i % 5]
            data, score = kinds[kind]
            student = f"s{i:04d}-{kind}"
        batch[student], expected[student] = data, score
    shutil.rmtree(ws.root)
    return batch, expected


def run(label: str, dest: Path, batch: dict, workers: int, scheduler: str | None, db_url: str | None,
        limits: sandbox.Limits) -> dict:
    ws = pipeline.workspace(pipeline.Course(ROOT), dest, ["week02"], db_url=db_url)
    pipeline.generate_release(ws, "week02")
    for student, data in batch.items():
        folder = ws.submitted / student / "week02"
        folder.mkdir(parents=True)
        (folder / "week02.ipynb").write_bytes(data)
    t0 = time.perf_counter()
    graded, _ = grade.grade_assignment(ws, "week02", workers=workers, limits=limits, force=True,
                                       log=lambda m: print(m, flush=True), progress=True, scheduler=scheduler)
    wall = time.perf_counter() - t0
    results = {s: grade.load_result(ws, "week02", s) for s in batch}
    per = sorted(r["seconds"] for r in results.values() if r)
    return {"label": label, "ws": ws, "wall": wall, "graded": len(graded), "results": results,
            "median": statistics.median(per), "p95": per[int(round(0.95 * (len(per) - 1)))],
            "workers_seen": len({r.get("worker") for r in results.values() if r})}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2, help="local pool size and number of Dask workers (2)")
    ap.add_argument("--only", choices=["local", "dask"])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the scratch course folders (for dls report)")
    args = ap.parse_args()
    if sandbox.available():
        print(f"sandbox unavailable: {sandbox.available()}", file=sys.stderr)
        return 2
    # the CLI defaults, except a 30 s CPU budget per cell stated explicitly
    limits = sandbox.Limits(cell_timeout=120, cell_cpu=30, memory=2 << 30)
    scratch = Path(tempfile.mkdtemp(prefix="dls-load-"))
    pg = services.Postgres().start() if args.db == "postgres" else None
    runs = []
    try:
        batch, expected = make_batch(scratch / "make", args.n)
        counts = {}
        for s in batch:
            kind = s.split("-", 1)[1]
            counts[kind] = counts.get(kind, 0) + 1
        print(f"batch: {args.n} submissions: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())), flush=True)
        if args.only != "dask":
            url = pg.create_database("load_local") if pg else None
            runs.append(run("local", scratch / "local", batch, args.workers, None, url, limits))
        if args.only != "local":
            with services.DaskCluster(workers=args.workers, root=scratch / "dask") as cluster:
                url = pg.create_database("load_dask") if pg else None
                runs.append(run(f"dask ({args.workers} workers, loopback)", scratch / "daskrun", batch, args.workers,
                                cluster.address, url, limits))
        local_scores = {s: r["score"] for s, r in runs[0]["results"].items() if r}
        print(f"\n{args.n} week02 submissions, gradebook {args.db}, sandbox on, {args.workers} workers")
        print(f"{'run':<28}{'wall s':>8}{'subs/min':>10}{'median s':>10}{'p95 s':>8}{'failures':>10}")
        for r in runs:
            failures = []
            for s, want in expected.items():
                res = r["results"].get(s)
                if res is None:
                    failures.append(f"{s}: not graded")
                elif want is not None and res["score"] != want:
                    failures.append(f"{s}: {res['score']:g} != {want:g}")
                elif want is None and res["score"] != local_scores.get(s, res["score"]):
                    failures.append(f"{s}: {res['score']:g} differs from the first run")
            r["failures"] = failures
            print(f"{r['label']:<28}{r['wall']:>8.1f}{len(r['results']) / r['wall'] * 60:>10.1f}"
                  f"{r['median']:>10.2f}{r['p95']:>8.2f}{len(failures):>10}")
            for f in failures[:10]:
                print(f"    {f}")
        if args.keep:
            for r in runs:
                print(f"kept: {r['ws'].root} (dls --root {r['ws'].root} report week02)")
        return 1 if any(r["failures"] for r in runs) else 0
    finally:
        if pg:
            pg.stop("immediate")
            shutil.rmtree(pg.root, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
