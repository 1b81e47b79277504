"""``dls demo``: the whole instructor pipeline on the course's own notebooks, in minutes.

For every assignment, in a scratch course directory ``.dls/demo`` with its own SQLite gradebook:

1. ``nbgrader generate_assignment`` (releases; the course's ``release/`` is updated where it differs);
2. three sample submissions (``submissions.py``): the full solution, the untouched release, and a
   "partly wrong" one with one planted mistake in every other exercise;
3. ``nbgrader autograde`` of the three, each pruned to the code cells graded cells depend on
   (``submissions.prune``: no data loading, training or figures that no test reads);
4. ``nbgrader generate_feedback``; then one score table per assignment.

Assignments are graded by nbgrader's own converters, several at a time (3 on 2 cores: a grader also
waits on its kernel), run in-process through ``nbgrader.apps.NbGraderAPI`` (no command start-up per
step); week01 goes through the ``nbgrader autograde`` command line, so the demo shows that
nbgrader's own commands work. Every kernel either path starts is a warm fork of a process that has
imported TensorFlow once per worker (``warmkernel.py``). The gradebook is put in WAL mode so that
several graders can write to it at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks, pipeline, submissions, warmkernel

STUDENTS = {"solution": "sample-solution", "untouched": "sample-untouched", "mistakes": "sample-partly-wrong"}


def partly_wrong(mistakes: dict) -> set[str]:
    """The exercises the partly wrong sample gets a planted mistake in: every other one."""
    return set(list(mistakes)[::2])


def build_samples(root: Path, assignment: str, submitted: Path, mistakes_dir: Path, prune: bool = True) -> dict:
    """Write the three samples of ``assignment`` into ``submitted/<student>/<assignment>/``, built
    from the source notebooks and the release under the course directory ``root``; returns
    ``{notebook: (code cells kept, code cells)}`` (what pruning left to execute)."""
    mistakes = submissions.load_mistakes(Path(mistakes_dir) / f"{assignment}.py")
    kept = {}
    with tempfile.TemporaryDirectory(prefix="dls-samples-") as scratch:
        made = submissions.write_samples(root, assignment, Path(scratch), Path(mistakes_dir),
                                         kinds=tuple(STUDENTS), only=partly_wrong(mistakes))
        for kind, student in STUDENTS.items():
            dest = Path(submitted) / student / assignment
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for path in sorted((made[kind] / assignment).glob("*.ipynb")):
                nb = notebooks.read(path)
                if prune:
                    nb, n_kept, n_code = submissions.prune(nb, keep_marked=False)
                    kept[path.name] = (n_kept, n_code)
                notebooks.write(nb, dest / path.name)
    return kept


def nbgrader_api(root: Path):
    """nbgrader's own API object for the course directory ``root`` (its nbgrader_config.py)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        text = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise pipeline.PipelineError(f"{what} failed: {text[-1] if text else 'no log'}")


def use_wal(db_url: str) -> None:
    """Let several processes write the SQLite gradebook at once (readers never block writers)."""
    if db_url.startswith("sqlite:///"):
        path = db_url[len("sqlite:///"):]
        with sqlite3.connect(path) as con:
            con.execute("PRAGMA journal_mode=WAL")


def release_all(ws: pipeline.Course, names: list[str], tick=None) -> None:
    """nbgrader generate_assignment for every assignment, in this process (one API object)."""
    api = nbgrader_api(ws.root)
    for name in names:
        _check(api.generate_assignment(name, force=True), f"nbgrader generate_assignment {name}")
        if tick:
            tick(name)


def sync_release(ws: pipeline.Course, course: pipeline.Course, names: list[str]) -> list[Path]:
    """Copy the demo's freshly generated releases into the course's release/ where they differ."""
    changed = []
    for name in names:
        for path in sorted((ws.release / name).glob("*.ipynb")):
            dest = course.release / name / path.name
            if not dest.exists() or dest.read_bytes() != path.read_bytes():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                changed.append(dest)
    return changed


@dataclass
class Graded:
    assignment: str
    seconds: float
    failed: dict[str, str] = field(default_factory=dict)  # student -> why nbgrader could not grade it
    how: str = "nbgrader API"


def grade_and_feedback(root: str, assignment: str, students: list[str], stock: bool = False,
                       feedback: bool = True, log_file: str | None = None) -> Graded:
    """``nbgrader autograde`` of ``students``' submissions of one assignment, then (``feedback``)
    ``nbgrader generate_feedback``. In-process through nbgrader's API, or with ``stock`` through the
    ``nbgrader`` command line (one call per student). Kernels' output goes to ``log_file``.
    The kernels it starts get the environment of ``pipeline.tool_env`` (PATH, COURSE_FAST=1, quiet
    TensorFlow), as through the command line."""
    t0 = time.perf_counter()
    ws = pipeline.Course(Path(root))
    failed: dict[str, str] = {}
    with _output_to(log_file), _environment(kernel_env()):
        if stock:
            failed = pipeline.autograde(ws, assignment, students, fast=True)
            if feedback:
                pipeline.generate_feedback(ws, assignment)
            return Graded(assignment, time.perf_counter() - t0, failed, how="nbgrader autograde (command line)")
        api = nbgrader_api(ws.root)
        for student in students:
            try:
                _check(api.autograde(assignment, student, force=True), f"autograde {student}")
            except pipeline.PipelineError as exc:
                failed[student] = str(exc)
        if feedback:
            _check(api.generate_feedback(assignment, force=True), f"nbgrader generate_feedback {assignment}")
    return Graded(assignment, time.perf_counter() - t0, failed)


def kernel_env() -> dict:
    """This process's environment for grading: what `nbgrader autograde` gets from dls
    (pipeline.autograde), pointed at a zygote that has imported TensorFlow once for this process,
    so that every kernel nbgrader starts, on either path, is a warm fork of it (warmkernel.py)."""
    return warmkernel.environment(pipeline.tool_env({**pipeline.grading_env(fast=True), **pipeline.AUTOGRADE_ENV}),
                                  during={"NBGRADER_EXECUTION": "autograde"})  # what nbgrader's autograde adds


@contextlib.contextmanager
def _environment(env: dict):
    """This process's environment is ``env`` inside the block (kernels inherit it), as before after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _output_to(path: str | None):
    """Send this process's stdout/stderr file descriptors (and so the kernels') to ``path``."""
    if path is None:
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


class Progress:
    """One line over the whole job: step k of n, elapsed, ETA (redrawn in place on a terminal)."""

    def __init__(self, total: int, log, stream=None):
        self.total, self.done, self.log = total, 0, log
        self.stream = stream or sys.stdout
        self.t0 = time.perf_counter()
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    @staticmethod
    def clock(seconds: float) -> str:
        m, s = divmod(int(round(seconds)), 60)
        return f"{m}:{s:02d}"

    def line(self, what: str) -> str:
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        width = 24
        bar = "#" * (width * self.done // self.total) + "." * (width - width * self.done // self.total)
        return (f"[{bar}] {self.done}/{self.total} assignments  elapsed {self.clock(elapsed)}  "
                f"ETA {self.clock(eta) if self.done else '?'}  {what}")

    def step(self, what: str) -> None:
        self.done += 1
        text = self.line(what)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if self.done == self.total else ""))
            self.stream.flush()
        else:
            self.log(text)


def run(course: pipeline.Course, names: list[str], log, workers: int | None = None) -> tuple[list, pipeline.Course]:
    """The demo. Returns (score tables in the order of ``names``, the demo's course directory)."""
    t0 = time.perf_counter()
    workers = workers or max(1, min((os.cpu_count() or 1) + 1, 4))  # 3 on 2 cores: kernels wait on I/O too
    ws = pipeline.workspace(course, course.root / ".dls" / "demo", names)
    log(f"==> demo course directory {ws.root} (its own SQLite gradebook)")
    log(f"==> nbgrader generate_assignment: {len(names)} assignment(s)")
    release_all(ws, names)
    changed = sync_release(ws, course, names)
    log(f"    releases in {time.perf_counter() - t0:.1f} s; course release/: "
        + (f"{len(changed)} notebook(s) updated" if changed else "already up to date"))
    use_wal(ws.db_url)
    kept = {}
    for name in names:
        kept[name] = build_samples(ws.root, name, ws.submitted, course.root / "tests" / "mistakes")
    n_kept = sum(k for per in kept.values() for k, _ in per.values())
    n_code = sum(n for per in kept.values() for _, n in per.values())
    log(f"==> sample submissions: {len(STUDENTS)} per assignment ({', '.join(STUDENTS.values())}); "
        f"each runs the {n_kept} of {n_code} code cells graded cells depend on")
    stock = "week01" if "week01" in names else names[0]  # the README's example goes through nbgrader's CLI
    log(f"==> nbgrader autograde + generate_feedback, {workers} assignment(s) at a time "
        f"({stock} through the nbgrader command line)")
    progress = Progress(len(names), log)
    results: dict[str, Graded] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=_spawn()) as pool:
        futures = {pool.submit(grade_and_feedback, str(ws.root), name, list(STUDENTS.values()), stock=name == stock,
                               log_file=str(ws.root / "logs" / f"{name}.log")): name
                   for name in _longest_first(names)}
        for fut in as_completed(futures):
            name = futures[fut]
            try:
                results[name] = fut.result()
            except Exception as exc:  # noqa: BLE001 - one broken assignment never stops the demo
                results[name] = Graded(name, 0.0, {s: f"{type(exc).__name__}: {exc}" for s in STUDENTS.values()})
            progress.step(f"{name} graded in {results[name].seconds:.0f} s")
    tables = [pipeline.read_scores(ws, name, list(STUDENTS.values()), results[name].failed) for name in names]
    log(f"==> demo done in {Progress.clock(time.perf_counter() - t0)} (min:s); kernels' output: {ws.root / 'logs'}")
    return tables, ws


# relative cost of grading the three pruned samples, from the seconds per assignment of one demo run
# of all 18 with warm kernels (idle 2-core machine): project2 90, project1 68, project4 67,
# project5 49, week11 38, week01 37 (nbgrader's command line), project6 35, the rest 8-18.
# The slow ones start first, so the workers finish together.
_COST = {"project2": 9, "project1": 7, "project4": 7, "project5": 5, "week11": 4, "week01": 4, "project6": 4,
         "week08": 2, "week06": 2}


def _longest_first(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: -_COST.get(n, 1))


def _spawn():
    import multiprocessing

    return multiprocessing.get_context("spawn")
