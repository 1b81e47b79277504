"""``dls``: the instructor's command line (build releases, check notebooks, grade, demo).

    dls build [ASSIGNMENT ...]       student releases with nbgrader generate_assignment
    dls check [ASSIGNMENT ...]       execute source notebooks with papermill (FAST), time table
    dls autograde ASSIGNMENT         nbgrader autograde of submitted/ + score table
    dls grade ASSIGNMENT             sandboxed, parallel, resumable grading of submitted/ (trusted scoring);
                                     --scheduler tcp://HOST:PORT fans out to a Dask cluster
    dls report ASSIGNMENT            self-contained HTML report of the graded batch
    dls demo                         the whole pipeline on bundled sample submissions
    dls start ASSIGNMENT             students: a copy of the release in work/ASSIGNMENT that is never overwritten

Every command exits 0 on success, 1 when something it ran failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import links, pipeline
from .pipeline import Course, PipelineError


def _log(msg: str) -> None:
    print(msg, flush=True)


class _Step:
    """Prints '==> what' and, when done, how long it took (progress on long steps)."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        self.t0 = time.perf_counter()
        _log(f"==> {self.what}")
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            _log(f"    done in {time.perf_counter() - self.t0:.1f} s")


def cmd_build(course: Course, args) -> int:
    names = course.resolve(args.assignments)
    for name in names:
        course.validate_sources(name)  # fail on a bad notebook before nbgrader touches the gradebook
    try:
        where = links.repository(course.root)  # pyproject.toml [tool.dls]; None in a scratch course
    except ValueError as exc:
        raise PipelineError(str(exc)) from exc
    if where is not None:
        with _Step(f"links: Colab/Kaggle badges and install -> github.com/{where.repository}@{where.branch}"):
            for path in links.stamp_sources(course, names, where):
                _log(f"    {path.relative_to(course.root)}")
    for name in names:
        with _Step(f"nbgrader generate_assignment {name}"):
            for path in pipeline.generate_release(course, name):
                _log(f"    {path.relative_to(course.root)}")
    return 0


def cmd_check(course: Course, args) -> int:
    from .execute import execute

    names = course.resolve(args.assignments)
    for name in names:
        course.validate_sources(name)
    out_dir = course.root / ".dls" / "executed"
    rows = []
    for name in names:
        for nb in course.source_notebooks(name):
            _log(f"==> papermill {nb.relative_to(course.root)} ({'FAST' if not args.full else 'full'} mode)")
            run = execute(nb, out_dir / name / nb.name, fast=not args.full)
            rows.append(run)
            _log(f"    {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s" + (f": {run.error}" if run.error else ""))
    width = max([len("notebook")] + [len(str(r.notebook.relative_to(course.root))) for r in rows]) + 2
    _log("\n" + "notebook".ljust(width) + "mode   seconds  status")
    for r in rows:
        _log(f"{str(r.notebook.relative_to(course.root)):<{width}}{'FAST' if r.fast else 'full':<7}{r.seconds:>7.1f}  "
             f"{'ok' if r.ok else 'FAILED'}")
    _log(f"executed notebooks: {out_dir}")
    return 0 if all(r.ok for r in rows) else 1


def _grade(course: Course, assignment: str, students: list[str], fast: bool,
           cell_timeout: float | None = None, timeout: float | None = None) -> pipeline.ScoreTable:
    with _Step(f"nbgrader autograde {assignment}: {len(students)} submission(s)"):
        failed = pipeline.autograde(course, assignment, students, fast=fast, log=_log,
                                    cell_timeout=cell_timeout, timeout=timeout)
    return pipeline.read_scores(course, assignment, students, failed)


def cmd_autograde(course: Course, args) -> int:
    [name] = course.resolve([args.assignment])
    course.validate_sources(name)
    folder = args.submissions or course.submitted
    students, problems, warnings = pipeline.collect_submissions(course, name, folder)
    for w in warnings:
        _log(f"warning: {w}")
    for p in problems:
        _log(f"error: {p} (not graded)")
    if not students:
        raise PipelineError(f"no readable submissions of {name}; nothing was graded")
    # Only now, with something to grade, do we touch the gradebook and submitted/.
    pipeline.ensure_assignment(course, name, log=_log)
    pipeline.import_submissions(course, name, folder, students)
    table = _grade(course, name, students, fast=not args.full, cell_timeout=args.cell_timeout,
                   timeout=args.timeout)
    _log("\n" + table.render())
    return 1 if problems or table.failed else 0


def cmd_grade(course: Course, args) -> int:
    from . import grade, sandbox

    [name] = course.resolve([args.assignment])
    course.validate_sources(name)
    try:
        limits = sandbox.Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, cell_cpu=args.cell_cpu,
                                setup_timeout=args.setup_timeout,
                                memory=sandbox.parse_size(args.memory), processes=args.processes,
                                output=sandbox.parse_size(args.output), disk=sandbox.parse_size(args.disk),
                                sandbox=not args.no_sandbox)
    except ValueError as exc:
        raise PipelineError(str(exc)) from None
    if limits.sandbox and (missing := sandbox.available()):
        raise PipelineError(f"the sandbox cannot run here: {missing}; or use --no-sandbox (unsafe)")
    if not limits.sandbox:
        _log("warning: --no-sandbox: student code runs without isolation (scores are still computed outside it)")
    if not course.submitted.is_dir():
        raise PipelineError(f"no submissions folder {course.submitted}")
    pipeline.ensure_assignment(course, name, log=_log)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{args.workers} local worker(s)"
    with _Step(f"dls grade {name} ({where}, sandbox {'on' if limits.sandbox else 'OFF'}, "
               f"gradebook {grade.safe_url(course.db_url)})"):
        try:
            graded, skipped = grade.grade_assignment(course, name, args.student or None, workers=args.workers,
                                                     limits=limits, force=args.force, log=_log,
                                                     progress=not args.no_progress, scheduler=args.scheduler)
        except ValueError as exc:
            raise PipelineError(str(exc)) from None
        except grade.GradebookError as exc:
            print(f"dls: error: {exc}", file=sys.stderr)
            return 1
    students = sorted(set(graded) | set(skipped))
    table = pipeline.read_scores(course, name, students)
    _log("\n" + table.render())
    for student in students:
        res = grade.load_result(course, name, student) or {}
        for nb, entry in res.get("notebooks", {}).items():
            for note in entry.get("notes", []):
                _log(f"  note {student}/{nb}: {note}")
            for gid, cell in entry.get("cells", {}).items():
                if cell.get("failure"):
                    _log(f"  {student} {gid}: {cell['failure'][:300]}")
    _log(f"results: {grade.results_dir(course, name)}/<student>.json; feedback: nbgrader generate_feedback {name}")
    expected = set(args.student or []) or {p.name for p in course.submitted.iterdir() if (p / name).is_dir()}
    return 0 if expected <= set(students) else 1


def cmd_report(course: Course, args) -> int:
    from . import grade, report

    [name] = course.resolve([args.assignment])
    course.validate_sources(name)
    if not any(grade.results_dir(course, name).glob("*.json")):
        raise PipelineError(f"no dls grade results for {name} in {grade.results_dir(course, name)}: "
                            f"run `dls grade {name}` first")
    path, s = report.write(course, name, args.output)
    _log(f"{name}: {s['n']} submission(s), mean {s['mean']:.1f} / {s['max']:g}, {len(s['flagged'])} flagged, "
         f"median {s['seconds_median']:.1f} s per submission")
    _log(f"report: {path}")
    return 0


def cmd_demo(course: Course, args) -> int:
    from . import demo

    names = course.resolve(args.assignments)
    for name in names:
        course.validate_sources(name)
    tables, ws = demo.run(course, names, log=_log, workers=args.workers)
    _log("")
    for t in tables:
        _log(t.render() + "\n")
    _log(f"feedback HTML: {ws.root / 'feedback'}/<student>/<assignment>/<notebook>.html, e.g.")
    for html in sorted((ws.root / "feedback" / demo.STUDENTS["mistakes"] / names[0]).glob("*.html")):
        _log(f"  {html}")
    _log(f"gradebook: {ws.gradebook_path}")
    return 1 if any(t.failed for t in tables) else 0  # a sample nbgrader could not grade is a bug


def cmd_start(course: Course, args) -> int:
    from .start import start_assignment

    started = start_assignment(course, args.assignment, args.dest)
    for rel in started.copied:
        _log(f"copied {rel}")
    for rel in started.kept:
        _log(f"kept   {rel} (already there: your version is untouched)")
    _log(f"your {args.assignment} folder: {started.dest}  (open the notebook from there)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dls", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", help="course root (default: found from the current directory)")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error (or DLS_DEBUG=1)")
    p.add_argument("--db", metavar="URL", help="gradebook as any SQLAlchemy URL, e.g. postgresql://user@host/course "
                   "(default: $DLS_GRADEBOOK_URL, else the SQLite file autograder/gradebook.db)")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="generate student releases with nbgrader")
    b.add_argument("assignments", nargs="*")
    c = sub.add_parser("check", help="execute source notebooks with papermill and time them")
    c.add_argument("assignments", nargs="*")
    c.add_argument("--full", action="store_true", help="full mode instead of FAST")
    a = sub.add_parser("autograde", help="nbgrader autograde every submission of an assignment")
    a.add_argument("assignment")
    a.add_argument("--submissions", type=Path, help="folder laid out <student>/<assignment>/*.ipynb "
                   "(default: submitted/)")
    a.add_argument("--full", action="store_true", help="execute in full mode (default FAST)")
    a.add_argument("--cell-timeout", type=float, help="seconds per cell (default 120 FAST, 1800 full)")
    a.add_argument("--timeout", type=float, help="seconds per submission (default 900 FAST, 7200 full)")
    g = sub.add_parser("grade", help="sandboxed, parallel, resumable grading with trusted scoring")
    g.add_argument("assignment")
    g.add_argument("--student", action="append", help="grade only this student (repeatable)")
    g.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1)), help="parallel submissions")
    g.add_argument("--cell-timeout", type=float, default=120.0, help="seconds per cell / test cell (120)")
    g.add_argument("--cell-cpu", type=float, default=30.0,
                   help="CPU seconds per student cell / call, whatever the load (30)")
    g.add_argument("--setup-timeout", type=float, default=300.0,
                   help="seconds to start a sandbox and import libraries, never charged to the student (300)")
    g.add_argument("--timeout", type=float, default=600.0, help="seconds per submission, restarts included (600)")
    g.add_argument("--memory", default="2G", help="resident memory of the student's process tree (2G)")
    g.add_argument("--processes", type=int, default=64, help="processes in the student's tree (64)")
    g.add_argument("--output", default="1M", help="stdout + stderr bytes (1M)")
    g.add_argument("--disk", default="256M", help="size of the sandbox's writable home and /tmp (256M)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on a Dask distributed cluster (each worker sandboxes locally) instead of the local pool")
    g.add_argument("--force", action="store_true", help="regrade submissions already graded")
    g.add_argument("--no-sandbox", action="store_true", help="development only: no isolation")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    r = sub.add_parser("report", help="self-contained HTML report of a dls grade batch")
    r.add_argument("assignment")
    r.add_argument("-o", "--output", type=Path, help="where to write the page (default .dls/reports/ASSIGNMENT.html)")
    d = sub.add_parser("demo", help="build releases, grade sample submissions, feedback, score table")
    d.add_argument("assignments", nargs="*")
    d.add_argument("--workers", type=int, help="assignments graded at a time (default: 2, or 1 on one core)")
    s = sub.add_parser("start", help="students: copy release/ASSIGNMENT into work/ASSIGNMENT (never overwrites)")
    s.add_argument("assignment")
    s.add_argument("--dest", type=Path, help="folder to copy into (default: work/ASSIGNMENT at the course root)")
    return p


COMMANDS = {"build": cmd_build, "check": cmd_check, "autograde": cmd_autograde, "grade": cmd_grade,
            "report": cmd_report, "demo": cmd_demo, "start": cmd_start}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    saved = os.environ.get("DLS_GRADEBOOK_URL")
    try:
        return _run(args)
    finally:  # --db applies to this command only (main() is also called in-process, by tests)
        if saved is None:
            os.environ.pop("DLS_GRADEBOOK_URL", None)
        else:
            os.environ["DLS_GRADEBOOK_URL"] = saved


def _debug(args) -> bool:
    return bool(getattr(args, "debug", False)) or os.environ.get("DLS_DEBUG", "") not in ("", "0")


def _run(args) -> int:
    """Run one command. Whatever goes wrong ends in one ``dls: error: ...`` line on stderr: exit 2
    for bad input (PipelineError), 1 for a failure; ``--debug`` / ``DLS_DEBUG=1`` add the traceback."""
    course = None
    try:
        course = Course(Path(args.root)) if args.root else Course(pipeline.find_root())
        if args.root and not (course.root / "nbgrader_config.py").exists():
            raise PipelineError(f"{course.root} is not a course root (no nbgrader_config.py)")
        if args.db:
            course.gradebook_url = pipeline.check_db_url(args.db)
            os.environ["DLS_GRADEBOOK_URL"] = course.gradebook_url  # nbgrader's own commands read it too
        return COMMANDS[args.command](course, args)
    except PipelineError as exc:
        _error(args, str(exc))
        return 2
    except KeyboardInterrupt:
        print("dls: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user unless asked for
        if type(exc).__module__.startswith(("sqlalchemy", "psycopg")):  # the gradebook server is down or refuses us
            from .grade import safe_url

            why = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            where = safe_url(course.db_url) if course is not None else "(none)"
            _error(args, f"cannot use the gradebook {where}: {why[0] if why else type(exc).__name__}; "
                         "check that its server is running and the URL (--db / DLS_GRADEBOOK_URL)")
        elif isinstance(exc, OSError):
            _error(args, f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''} "
                         "(check the path, its permissions and the free disk space)")
        else:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            _error(args, f"internal error in `dls {args.command}`: {type(exc).__name__}"
                         f"{f': {first}' if first else ''}. This is a bug in the course tools: please report "
                         "it with the output of the same command run with --debug")
        return 1


def _error(args, message: str) -> None:
    """One line for the user; the traceback too with --debug / DLS_DEBUG=1."""
    import traceback

    if _debug(args):
        traceback.print_exc()
    print(f"dls: error: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
