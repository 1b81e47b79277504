"""The instructor pipeline on top of nbgrader: releases, autograding, feedback, score tables.

nbgrader owns assignments, cell metadata and the gradebook; this module only runs its commands in a
*course directory* (a folder holding ``nbgrader_config.py`` and ``source_notebooks/``) and reads
the gradebook back through ``nbgrader.api.Gradebook``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks

ASSIGNMENT_RE = re.compile(r"^(week\d{2}|project\d)$")


class PipelineError(RuntimeError):
    """A problem the instructor must fix (bad name, bad notebook, empty folder): exit non-zero."""


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The course root: the nearest folder upwards holding nbgrader_config.py and source_notebooks/."""
    here = Path(start or os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "nbgrader_config.py").exists() and (folder / "source_notebooks").is_dir():
            return folder
    raise PipelineError(f"no course found at or above {here}: expected nbgrader_config.py and "
                        "source_notebooks/ (run dls from the repository)")


@dataclass
class Course:
    """A course directory in nbgrader's layout."""

    root: Path
    gradebook_url: str | None = None  # None: $DLS_GRADEBOOK_URL, else autograder/gradebook.db

    def __post_init__(self):
        self.root = Path(self.root).resolve()

    @property
    def source(self) -> Path:
        return self.root / "source_notebooks"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def gradebook_path(self) -> Path:
        return self.root / "autograder" / "gradebook.db"

    @property
    def db_url(self) -> str:
        return self.gradebook_url or os.environ.get("DLS_GRADEBOOK_URL") or f"sqlite:///{self.gradebook_path}"

    def has_assignment_in_gradebook(self, assignment: str) -> bool:
        """True when nbgrader's gradebook knows ``assignment`` (never creates a gradebook)."""
        if self.db_url.startswith("sqlite:///") and not Path(self.db_url[len("sqlite:///"):]).exists():
            return False
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.db_url) as gb:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                return False
        return True

    def assignments(self) -> list[str]:
        if not self.source.is_dir():
            return []
        return sorted(p.name for p in self.source.iterdir() if p.is_dir() and ASSIGNMENT_RE.match(p.name))

    def resolve(self, names: list[str] | None) -> list[str]:
        """Validate assignment names (all assignments when none are given)."""
        known = self.assignments()
        if not names:
            if not known:
                raise PipelineError(f"no assignments under {self.source}")
            return known
        unknown = [n for n in names if n not in known]
        if unknown:
            raise PipelineError(f"unknown assignment(s): {', '.join(unknown)}. "
                                f"Known: {', '.join(known) or '(none)'}")
        return list(names)

    def source_notebooks(self, assignment: str) -> list[Path]:
        return sorted((self.source / assignment).glob("*.ipynb"))

    def validate_sources(self, assignment: str) -> dict[str, object]:
        """Read every source notebook of an assignment; raise PipelineError on the first bad one."""
        paths = self.source_notebooks(assignment)
        if not paths:
            raise PipelineError(f"{assignment}: no notebooks in {self.source / assignment}")
        out = {}
        for p in paths:
            try:
                out[p.stem] = notebooks.read(p)
            except ValueError as exc:
                raise PipelineError(str(exc)) from exc
        return out


def check_db_url(url: str) -> str:
    """A gradebook URL SQLAlchemy can use (any backend whose driver is installed), else PipelineError."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise PipelineError(f"not a usable gradebook URL: {url!r} ({exc}); examples: "
                            "sqlite:////abs/path/gradebook.db, postgresql://user@host:5432/course") from None
    except ImportError as exc:
        raise PipelineError(f"the database driver for {url.split(':')[0]} is not installed ({exc})") from None
    return url


def workspace(course: Course, dest: Path, assignments: list[str], db_url: str | None = None) -> Course:
    """A fresh course directory at ``dest`` with the course's nbgrader config and the given
    assignments' source notebooks, and its own empty gradebook (demo, tests): an SQLite file in it,
    or ``db_url`` (an empty database on a server)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "autograder").mkdir(parents=True)
    url = db_url or f"sqlite:///{dest.resolve() / 'autograder' / 'gradebook.db'}"
    config = (course.root / "nbgrader_config.py").read_text()
    config += f"\n# scratch course directory: its own gradebook, never $DLS_GRADEBOOK_URL\nc.CourseDirectory.db_url = {url!r}\n"
    (dest / "nbgrader_config.py").write_text(config)
    for name in assignments:
        shutil.copytree(course.source / name, dest / "source_notebooks" / name)
    return Course(dest, gradebook_url=url)


def tool_env(extra: dict | None = None) -> dict:
    """Environment for nbgrader / kernels: our venv's bin first on PATH (nbgrader runs alembic)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != bin_dir:  # once: tool_env(tool_env()) == tool_env()
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONWARNINGS", "ignore")
    if extra:
        env.update(extra)
    return env


def nbgrader(course: Course, *args: str, env: dict | None = None, log=None,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course root; raise PipelineError with its log when it fails.

    It runs in its own process group; on ``timeout`` (seconds) the whole group (nbgrader and the
    kernels it started) is killed, so nothing is left running.
    """
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.Popen(cmd, cwd=course.root, env=tool_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        raise PipelineError(f"`nbgrader {' '.join(args)}` timed out after {timeout:g} s") from None
    finally:
        _kill_group(proc)
    if log is not None:
        for line in out.splitlines():
            if ("| ERROR]" in line or "| WARNING]" in line) and not _noise(line):
                log("    " + line.strip())
    if proc.returncode != 0:
        raise PipelineError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}): {_cause(out)}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, "")


_GENERIC = ("There was an error processing", "Please see the", "Traceback (most recent call last)",
            "Removing failed assignment")


def _noise(line: str) -> bool:
    # nbgrader compares each grade cell's checksum with the release, which lacks the hidden tests,
    # so this warning fires for every cell with hidden tests: it says nothing about the student.
    return "Attribute 'checksum'" in line and "has changed" in line


def _cause(out: str) -> str:
    """The most specific ERROR line of an nbgrader log (e.g. 'Kernel died ...', 'Timeout ...')."""
    errors = [ln.split("]", 1)[-1].strip() for ln in out.splitlines() if "| ERROR]" in ln]
    specific = [e for e in errors if not e.startswith(_GENERIC)]
    return (specific or errors or [out.strip()[-500:]])[0]


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def generate_release(course: Course, assignment: str, log=None) -> list[Path]:
    """``nbgrader generate_assignment``: source_notebooks/A -> release/A (solutions and hidden tests removed)."""
    course.validate_sources(assignment)
    nbgrader(course, "generate_assignment", assignment, "--force", log=log)
    return sorted((course.release / assignment).glob("*.ipynb"))


def grading_env(fast: bool = True) -> dict:
    """What kernels launched for grading or checking get on top of the instructor's environment."""
    return {"COURSE_FAST": "1" if fast else "0"}


# nbgrader scores a test cell 0 when it writes anything to stderr. TensorFlow's C++ runtime logs
# once per process at first use (e.g. oneDNN's "supports DT_BOOL only on platforms with AVX-512",
# TFLite converter notes) into whichever cell gets there first: in graded kernels only, that log is
# off, so a grade never depends on which cell first touched a TensorFlow op. Python errors still
# fail the cell as before.
AUTOGRADE_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def collect_submissions(course: Course, assignment: str, folder: Path | None = None
                        ) -> tuple[list[str], list[str], list[str]]:
    """Validate the submissions in ``folder`` (nbgrader's ``<student>/<assignment>/*.ipynb`` layout,
    default ``<root>/submitted``) without changing anything.

    Returns (students with gradable notebooks, problems that exclude a student, warnings). A notebook
    that is not valid JSON excludes its student; a notebook the assignment does not have is ignored
    (as nbgrader does) with a warning.
    """
    folder = Path(folder) if folder else course.submitted
    if not folder.is_dir():
        raise PipelineError(f"submissions folder {folder} does not exist")
    students, problems, warnings = [], [], []
    expected = {p.name for p in course.source_notebooks(assignment)}
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        sub = student_dir / assignment
        nbs = sorted(sub.glob("*.ipynb")) if sub.is_dir() else []
        if not nbs:
            continue
        bad, known = [], 0
        for nb in nbs:
            if nb.name not in expected:
                warnings.append(f"{student_dir.name}: ignored {nb.name} ({assignment} has "
                                f"{', '.join(sorted(expected))})")
                continue
            known += 1
            try:
                notebooks.read(nb)
            except ValueError as exc:
                bad.append(str(exc))
        if bad:
            problems.extend(f"{student_dir.name}: {b}" for b in bad)
        elif known == 0:
            problems.append(f"{student_dir.name}: no notebook of {assignment} "
                            f"(expected {', '.join(sorted(expected))})")
        else:
            students.append(student_dir.name)
    if not students and not problems:
        raise PipelineError(f"no submissions of {assignment} in {folder} "
                            f"(expected {folder}/<student>/{assignment}/<notebook>.ipynb)")
    return students, problems, warnings


def import_submissions(course: Course, assignment: str, folder: Path, students: list[str]) -> None:
    """Copy the given students' submissions from ``folder`` into the course's submitted/ folder."""
    if Path(folder).resolve() == course.submitted.resolve():
        return
    for student in students:
        dest = course.submitted / student / assignment
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(Path(folder) / student / assignment, dest)


def ensure_assignment(course: Course, assignment: str, log=None) -> None:
    """nbgrader can only grade an assignment its gradebook knows: on a fresh clone (release/ is
    committed, the gradebook is not) register it by generating the release."""
    if not (course.release / assignment).is_dir() or not course.has_assignment_in_gradebook(assignment):
        if log:
            log(f"  {assignment} is not in the gradebook yet: nbgrader generate_assignment {assignment}")
        generate_release(course, assignment)


CELL_TIMEOUT = {True: 120, False: 1800}        # seconds per cell: FAST / full mode
SUBMISSION_TIMEOUT = {True: 900, False: 7200}  # seconds per submission


def autograde(course: Course, assignment: str, students: list[str], fast: bool = True, log=None,
              cell_timeout: float | None = None, timeout: float | None = None) -> dict[str, str]:
    """Real ``nbgrader autograde``, one call per student so one failure stays contained.

    Returns ``{student: note}`` for the submissions nbgrader could not grade (crash, timeout);
    the others are graded. nbgrader's warnings (edited test cells, missing notebooks) are logged.
    """
    cell_timeout = cell_timeout or CELL_TIMEOUT[fast]
    timeout = timeout or SUBMISSION_TIMEOUT[fast]
    failed = {}
    for i, student in enumerate(students, 1):
        t0 = time.perf_counter()
        lines: list[str] = []
        try:
            nbgrader(course, "autograde", assignment, "--force", f"--student={student}",
                     f"--Execute.timeout={int(cell_timeout)}", env={**grading_env(fast), **AUTOGRADE_ENV},
                     log=lines.append,
                     timeout=timeout)
            status = "autograded"
        except PipelineError as exc:
            failed[student] = str(exc)
            status = "NOT GRADED"
        if log:
            log(f"  [{i}/{len(students)}] {status} {student} ({time.perf_counter() - t0:.0f} s)")
            for line in lines:
                log(line)
            if student in failed:
                log(f"    {failed[student]}")
    return failed


def generate_feedback(course: Course, assignment: str, log=None) -> Path:
    nbgrader(course, "generate_feedback", assignment, "--force", log=log)
    return course.root / "feedback"


@dataclass
class ScoreTable:
    """Per-student, per-exercise scores read from the gradebook."""

    assignment: str
    exercises: dict[str, float]  # exercise -> max points
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # student -> exercise -> score
    failed: dict[str, str] = field(default_factory=dict)  # student -> why nbgrader could not grade it
    manual: dict[str, float] = field(default_factory=dict)  # written answers graded by hand -> points

    def total(self, student: str) -> float:
        return sum(self.scores[student].values())

    @property
    def max_total(self) -> float:
        return sum(self.exercises.values())

    def render(self) -> str:
        short = {ex: ex.split("-", 1)[1] for ex in self.exercises}
        cols = ["student", *short.values(), "total"]
        rows = []
        for student, per in self.scores.items():
            rows.append([student, *(f"{per.get(ex, 0):g}/{mx:g}" for ex, mx in self.exercises.items()),
                         f"{self.total(student):g}/{self.max_total:g}"])
        widths = [max(len(str(r[i])) for r in [cols, *rows]) for i in range(len(cols))]
        fmt = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
        lines = [f"{self.assignment}", fmt(cols), fmt(["-" * w for w in widths]), *map(fmt, rows)]
        lines += [f"NOT GRADED {student}: {why}" for student, why in self.failed.items()]
        if self.manual:
            lines.append("graded by hand in the formgrader, not in the totals: "
                         + ", ".join(f"{gid} ({pts:g} points)" for gid, pts in self.manual.items()))
        return "\n".join(lines)


def read_scores(course: Course, assignment: str, students: list[str],
                failed: dict[str, str] | None = None) -> ScoreTable:
    """Exercise scores from nbgrader's gradebook (sum of the exercise's grade cells).

    Students in ``failed`` (or missing from the gradebook) get no row, only their note."""
    from nbgrader.api import Gradebook, MissingEntry

    sources = course.validate_sources(assignment)
    cell_to_ex, maxima = {}, {}
    for name, nb in sources.items():
        for ex, entry in notebooks.exercises(nb).items():
            maxima[ex] = entry["points"]
            for cell in entry["tests"]:
                cell_to_ex[(name, cell.metadata["nbgrader"]["grade_id"])] = ex
    manual = {gid: pts for nb in sources.values() for gid, pts in notebooks.manual_answers(nb).items()}
    table = ScoreTable(assignment, maxima, failed=dict(failed or {}), manual=manual)
    with Gradebook(course.db_url) as gb:
        for student in students:
            if student in table.failed:
                continue
            per = {ex: 0.0 for ex in maxima}
            for name in sources:
                try:
                    sub = gb.find_submission_notebook(name, assignment, student)
                except MissingEntry:
                    continue  # notebook not submitted: 0 for its exercises
                for grade in sub.grades:
                    ex = cell_to_ex.get((name, grade.name))
                    if ex is not None:
                        per[ex] += float(grade.score or 0.0)
            table.scores[student] = per
    return table
