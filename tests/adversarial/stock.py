"""Stock ``nbgrader autograde`` on the adversarial corpus (week02.py), for the comparison table STOCK.md.

    python tests/adversarial/stock.py [CASE ...] [--out tests/adversarial/stock-results.json]

Each case is autograded alone (``pipeline.autograde``: one ``nbgrader autograde --student`` per
submission, FAST mode, its default per-cell/per-submission timeouts) in a scratch course with its own
gradebook; the total comes from that gradebook. Stock nbgrader runs student code **unsandboxed** as
the current user, so the cases that would harm the machine are never run here (see UNSAFE).
"""

from __future__ import annotations

import argparse
import json
import runpy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from autograder import pipeline, submissions  # noqa: E402

UNSAFE = {
    "memory-bomb": "allocates 200 GiB: unsandboxed, it would take the shared machine down",
    "fork-bomb": "forks forever: unsandboxed, it would exhaust the machine's process table",
    "output-flood": "gigabytes of output kept in the kernel client's memory until the cell timeout",
    "read-instructor-files": "scans the whole filesystem and appends to /work/main/autograder/gradebook.db "
                             "(the real course gradebook); it reads source_notebooks/ so stock would give full marks",
    "write-gradebook": "sets manual_score = 100 in every gradebook.db it can find on the machine",
    "background-processes": "leaves 10-minute processes behind (stock has nothing to stop them)",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "adversarial" / "stock-results.json")
    args = ap.parse_args()
    corpus = runpy.run_path(str(Path(__file__).with_name("week02.py")))
    scratch = Path(tempfile.mkdtemp(prefix="dls-stock-"))
    ws = pipeline.workspace(pipeline.Course(ROOT), scratch / "course", ["week02"])
    pipeline.generate_release(ws, "week02")
    made = submissions.write_samples(ws.root, "week02", ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=("solution", "untouched"))
    sol = json.loads((made["solution"] / "week02" / "week02.ipynb").read_text())
    rel = json.loads((made["untouched"] / "week02" / "week02.ipynb").read_text())
    built = corpus["build"](sol, rel)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for case in args.cases or sorted(built):
        data, expected, _why = built[case]
        if case in UNSAFE:
            results[case] = {"stock": None, "note": "not run: " + UNSAFE[case]}
            continue
        folder = ws.submitted / case / "week02"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "week02.ipynb").write_bytes(data)
        t0 = time.perf_counter()
        failed = pipeline.autograde(ws, "week02", [case], fast=True)
        seconds = time.perf_counter() - t0
        if case in failed:
            results[case] = {"stock": None, "seconds": round(seconds, 1),
                             "note": "NOT GRADED by nbgrader: " + failed[case][:300]}
        else:
            total = pipeline.read_scores(ws, "week02", [case]).total(case)
            results[case] = {"stock": total, "seconds": round(seconds, 1), "note": ""}
        print(case, results[case], flush=True)
        args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
