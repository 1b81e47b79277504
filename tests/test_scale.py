"""Grading at scale: a real PostgreSQL gradebook, fan-out on a real Dask cluster, faults (a worker
SIGKILLed, the database dropped mid-batch), concurrent gradebook writers, and ``dls report`` rendered
in headless Chromium.

The servers are real and started here on loopback (``autograder.services``): PostgreSQL from Debian's
``postgresql`` (initdb / pg_ctl in a throwaway folder), ``dask scheduler`` + two ``dask worker``
processes. ``bash bootstrap.sh test`` installs both and sets DLS_REQUIRE_SERVICES=1, so in CI a
missing server is a failure, not a skip.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import grade, pipeline, sandbox, services, submissions
from autograder.cli import main

from conftest import COURSE, ROOT, need

pytestmark = [pytest.mark.grading, pytest.mark.xdist_group("scale")]

CORPUS = runpy.run_path(str(ROOT / "tests" / "adversarial" / "week02.py"))
LIMITS = ["--cell-timeout", "60", "--cell-cpu", "15", "--setup-timeout", "400", "--timeout", "900",
          "--memory", "1536M", "--processes", "48", "--output", "2M", "--no-progress"]
# correct / wrong / blank, and adversarial cases that crash, tamper with test cells or spoof equality
CASES = ["solution", "untouched", "wrong", "os-exit", "eq-spoof", "duplicated-test-cell", "deleted-test-cells",
         "stderr-warnings"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The batch's submissions as bytes, and the score each must get (from the corpus' expectations)."""
    need("the sandbox", sandbox.available())
    root = tmp_path_factory.mktemp("corpus")
    ws = pipeline.workspace(COURSE, root / "course", ["week02"])
    pipeline.generate_release(ws, "week02")
    made = submissions.write_samples(ws.root, "week02", ws.root / ".samples", ROOT / "tests" / "mistakes",
                                     kinds=("solution", "untouched", "mistakes-1"))
    sol = json.loads((made["solution"] / "week02" / "week02.ipynb").read_text())
    rel = json.loads((made["untouched"] / "week02" / "week02.ipynb").read_text())
    built = CORPUS["build"](sol, rel)
    out, expected = {}, {}
    for case in CASES:
        if case == "wrong":
            out[case] = (made["mistakes-1"] / "week02" / "week02.ipynb").read_bytes()
            expected[case] = None  # whatever trusted scoring gives: compared across backends, below max
        else:
            out[case], expected[case], _why = built[case]
    return out, expected


def _course(tmp: Path, corpus, db_url: str | None = None) -> pipeline.Course:
    ws = pipeline.workspace(COURSE, tmp / "course", ["week02"], db_url=db_url)
    pipeline.generate_release(ws, "week02")
    for case, data in corpus[0].items():
        folder = ws.submitted / case / "week02"
        folder.mkdir(parents=True)
        (folder / "week02.ipynb").write_bytes(data)
    return ws


def _cells(ws) -> dict[str, dict[str, float]]:
    """Per student, per grade cell: the score nbgrader's gradebook holds."""
    from nbgrader.api import Gradebook

    with Gradebook(ws.db_url) as gb:
        return {sub.student.id: {g.name: float(g.score) for nb in sub.notebooks for g in nb.grades}
                for sub in gb.find_assignment("week02").submissions}


def _records(ws) -> list[dict]:
    path = grade.results_dir(ws, "week02") / "record.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def local(corpus, tmp_path_factory):
    """The batch graded the default way: local pool of 2, SQLite gradebook."""
    ws = _course(tmp_path_factory.mktemp("local"), corpus)
    assert main(["--root", str(ws.root), "grade", "week02", "--workers", "2", *LIMITS]) == 0
    return ws


def test_local_batch_scores(local, corpus):
    cells = _cells(local)
    totals = {s: sum(c.values()) for s, c in cells.items()}
    for case, want in corpus[1].items():
        if want is not None:
            assert totals[case] == want, (case, totals[case], want)
    assert 0 <= totals["wrong"] < 17


def test_postgres_gradebook_equals_sqlite(local, corpus, pg, tmp_path):
    """The same batch into a PostgreSQL gradebook (nbgrader's own commands included): same scores."""
    url = pg.create_database("same_as_sqlite")
    ws = _course(tmp_path, corpus, db_url=url)
    assert main(["--root", str(ws.root), "--db", url, "grade", "week02", "--workers", "2", *LIMITS]) == 0
    assert _cells(ws) == _cells(local)
    # really in PostgreSQL: one row per submission, one grade per (submission notebook, grade cell)
    assert int(pg.psql("same_as_sqlite", "select count(*) from submitted_assignment")) == len(CASES)
    assert pg.psql("same_as_sqlite", "select count(*) from (select notebook_id, cell_id from grade "
                                     "group by 1, 2 having count(*) > 1) d") == "0"
    # nbgrader's own tools keep working on it
    pipeline.nbgrader(ws, "export", "--to", str(tmp_path / "grades.csv"), env={"DLS_GRADEBOOK_URL": url})
    csv = (tmp_path / "grades.csv").read_text()
    assert "solution" in csv and "eq-spoof" in csv


def _concurrent_writer(url: str, root: str, results: list[dict], seed: int) -> int:
    import random

    course = pipeline.Course(Path(root), gradebook_url=url)
    random.Random(seed).shuffle(results)
    writer = grade.GradebookWriter(url)
    try:
        for res in results:
            grade.record(course, res, writer)
    finally:
        writer.close()
    return len(results)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_writers_lose_and_duplicate_nothing(local, tmp_path, backend, request):
    """Four processes record 40 overlapping results at once into one gradebook (each student is
    written by two of them, in random order): every student ends with exactly one submission, every
    grade cell with exactly one grade, each equal to the real result."""
    url = request.getfixturevalue("pg").create_database("concurrent") if backend == "postgresql" else None
    ws = pipeline.workspace(COURSE, tmp_path / "course", ["week02"], db_url=url)
    pipeline.generate_release(ws, "week02")
    real = [grade.load_result(local, "week02", case) for case in CASES]
    results = []
    for i in range(40):
        res = json.loads(json.dumps(real[i % len(real)]))
        res["student"] = f"student{i:02d}"
        results.append(res)
    shares = [[results[(k * 10 + j) % 40] for j in range(20)] for k in range(4)]  # each result twice
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        written = pool.starmap(_concurrent_writer, [(ws.db_url, str(ws.root), share, k)
                                                    for k, share in enumerate(shares)])
    assert written == [20] * 4
    cells = _cells(ws)
    assert sorted(cells) == [r["student"] for r in results]
    for res in results:
        want = {gid: c["score"] for nb in res["notebooks"].values() for gid, c in nb["cells"].items()}
        assert cells[res["student"]] == want, res["student"]
    from nbgrader.api import Gradebook

    with Gradebook(ws.db_url) as gb:
        from nbgrader.api import Grade, SubmittedAssignment

        assert gb.db.query(SubmittedAssignment).count() == 40
        assert gb.db.query(Grade).count() == 40 * len(next(iter(cells.values())))


# -- Dask ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    try:
        c = services.DaskCluster(workers=2)
    except services.ServiceError as exc:
        need("Dask", str(exc))
    with c:
        yield c


def test_dask_fan_out_survives_a_killed_worker(local, corpus, cluster, tmp_path):
    """Grade through a real scheduler and two workers; SIGKILL one worker while it grades a submission.
    Its work is graded elsewhere, every submission is recorded exactly once, scores equal local grading."""
    from distributed import Client

    ws = _course(tmp_path, corpus)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "--root", str(ws.root), "grade", "week02",
                             "--scheduler", cluster.address, *LIMITS], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    victim = cluster.workers["w1"]
    killed = False
    with Client(cluster.address, timeout="30s") as client:
        addr = {info["name"]: a for a, info in client.scheduler_info()["workers"].items()}["w1"]
        t0 = time.monotonic()
        while time.monotonic() - t0 < 600 and proc.poll() is None:
            busy = client.processing(workers=[addr]).get(addr, [])
            if busy and len(_records(ws)) >= 1:  # mid-batch: something recorded, w1 grading right now
                cluster.kill_worker("w1")
                killed = True
                break
            time.sleep(0.1)
    out, _ = proc.communicate(timeout=900)
    assert killed, "the batch ended before a worker could be killed:\n" + out[-3000:]
    assert victim.returncode == -signal.SIGKILL
    assert proc.returncode == 0, out[-3000:]
    recs = _records(ws)
    assert sorted(r["student"] for r in recs) == sorted(CASES), "a submission was lost or recorded twice"
    assert _cells(ws) == _cells(local)
    for case in CASES:  # the result JSONs too (the worker's own copy of the submission was graded)
        mine, ref = grade.load_result(ws, "week02", case), grade.load_result(local, "week02", case)
        assert mine["score"] == ref["score"] and mine["submission_hash"] == ref["submission_hash"]


def test_dask_worker_with_other_code_refuses(local):
    """A worker running another version of the grader refuses the work instead of grading differently."""
    ref = grade.build_reference(local, "week02")
    data = grade.payload(local.submitted / "solution" / "week02")
    with pytest.raises(RuntimeError, match="different version"):
        grade.grade_payload(data, ref, sandbox.Limits().as_dict(), "solution", code="0" * 64)


# -- the gradebook goes away mid-batch -----------------------------------------------------------


def test_database_dropped_mid_batch_then_rerun(corpus, pg, tmp_path):
    url = pg.create_database("dropped")
    ws = _course(tmp_path, corpus, db_url=url)
    cmd = [sys.executable, "-m", "autograder", "--root", str(ws.root), "--db", url, "grade", "week02",
           "--workers", "1", *LIMITS]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 600 and proc.poll() is None and len(_records(ws)) < 2:
        time.sleep(0.1)
    assert proc.poll() is None, "the batch finished before the database could be dropped"
    pg.stop("immediate")  # the server crashes: every connection drops
    try:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, (out[-2000:], err[-2000:])
        assert "Traceback" not in err, err[-3000:]
        assert "could not be written" in err and "run the same `dls grade week02` again" in err, err[-2000:]
        before = {r["student"] for r in _records(ws)}
        assert 2 <= len(before) < len(CASES)
    finally:
        pg.start()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"{len(before)} submission(s) already graded" in out.stdout
    recs = [r["student"] for r in _records(ws)]
    assert sorted(recs) == sorted(CASES), "recorded twice or lost"
    assert int(pg.psql("dropped", "select count(*) from submitted_assignment")) == len(CASES)
    assert pg.psql("dropped", "select count(*) from (select notebook_id, cell_id from grade "
                              "group by 1, 2 having count(*) > 1) d") == "0"


def test_bad_gradebook_url_is_a_clear_error(tmp_path, capsys):
    assert main(["--root", str(ROOT), "--db", "nosuchdb://x", "grade", "week02"]) == 2
    assert "not a usable gradebook URL" in capsys.readouterr().err


def test_unreachable_gradebook_server_is_a_clear_error(local, capsys):
    """Nothing listens on the port: one clear line, exit 1, nothing graded or written."""
    url = f"postgresql+psycopg2://dls@127.0.0.1:{services.free_port()}/gone"
    before = sorted(grade.results_dir(local, "week02").glob("*.json"))
    assert main(["--root", str(local.root), "--db", url, "grade", "week02", "--force", *LIMITS]) == 1
    err = capsys.readouterr().err
    assert "dls: error: cannot use the gradebook postgresql+psycopg2://dls@127.0.0.1" in err
    assert "Traceback" not in err
    assert sorted(grade.results_dir(local, "week02").glob("*.json")) == before


# -- the instructor report -----------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_report_renders_in_headless_chromium(local, tmp_path):
    from autograder import report

    browser = _chromium()
    need("Chromium", None if browser else "chromium is not installed (apt-get install chromium)")
    page = tmp_path / "week02.html"
    assert main(["--root", str(local.root), "report", "week02", "-o", str(page)]) == 0
    s = report.summarize(local, "week02")
    assert s["n"] == len(CASES) and s["max"] == 17
    flagged = {f["student"]: f for f in s["flagged"]}
    assert "crash" in flagged["os-exit"]["flags"]
    assert "tampering" in flagged["duplicated-test-cell"]["flags"]
    assert "tampering" in flagged["deleted-test-cells"]["flags"]
    assert "solution" not in flagged and "untouched" not in flagged
    assert s["common_failures"] and s["common_failures"][0]["count"] >= 2
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-ready="yes"' in html  # the page's script ran in the browser
    for heading in ("Score distribution", "Per-exercise pass rates", "Most common failing checks",
                    "Time per submission", "Flagged submissions", "All submissions"):
        assert heading in html, heading
    for case in CASES:
        assert f"<td>{case}</td>" in html, case
    assert "exited with code 0" in html  # the note behind the os-exit flag
    assert html.count('class="bin"') >= 2  # the histograms were drawn
    shot = tmp_path / "report.png"
    run = subprocess.run([browser, *flags, "--window-size=1200,2200", "--hide-scrollbars",
                          f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    from PIL import Image

    img = Image.open(shot).convert("RGB")
    assert img.size == (1200, 2200)
    colours = img.getcolors(1 << 20)
    assert len(colours) > 50  # text, bars, tables: not a blank page
    assert any(abs(r - 0x3B) < 12 and abs(g - 0x7D) < 12 and abs(b - 0xDD) < 12 for _n, (r, g, b) in colours)
    keep = ROOT / ".dls" / "reports"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "report-week02.png")
    shutil.copy(page, keep / "report-week02.html")
