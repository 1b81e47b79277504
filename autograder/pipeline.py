"""The instructor pipeline on top of nbgrader: releases, autograding, feedback, score tables.

nbgrader owns assignments, cell metadata and the gradebook; this module only runs its commands in a
*course directory* (a folder holding ``nbgrader_config.py`` and ``source_notebooks/``) and reads
the gradebook back through ``nbgrader.api.Gradebook``.
"""

from __future__ import annotations

import os
import re
import shutil
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
        return os.environ.get("DLS_GRADEBOOK_URL") or f"sqlite:///{self.gradebook_path}"

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


def workspace(course: Course, dest: Path, assignments: list[str]) -> Course:
    """A fresh course directory at ``dest`` with the course's nbgrader config and the given
    assignments' source notebooks, and its own empty gradebook (demo, tests)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "autograder").mkdir(parents=True)
    shutil.copy(course.root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for name in assignments:
        shutil.copytree(course.source / name, dest / "source_notebooks" / name)
    return Course(dest)


def tool_env(extra: dict | None = None) -> dict:
    """Environment for nbgrader / kernels: our venv's bin first on PATH (nbgrader runs alembic)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONWARNINGS", "ignore")
    if extra:
        env.update(extra)
    return env


def nbgrader(course: Course, *args: str, env: dict | None = None, log=None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course root; raise PipelineError with its log when it fails."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course.root, env=tool_env(env), capture_output=True, text=True)
    if log is not None:
        for line in (proc.stdout + proc.stderr).splitlines():
            if "| ERROR]" in line or "| WARNING]" in line or "Autograding" in line:
                log(line)
    if proc.returncode != 0:
        raise PipelineError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n"
                            + (proc.stdout + proc.stderr)[-4000:])
    return proc


def generate_release(course: Course, assignment: str, log=None) -> list[Path]:
    """``nbgrader generate_assignment``: source_notebooks/A -> release/A (solutions and hidden tests removed)."""
    course.validate_sources(assignment)
    nbgrader(course, "generate_assignment", assignment, "--force", log=log)
    return sorted((course.release / assignment).glob("*.ipynb"))


def grading_env(fast: bool = True) -> dict:
    """Kernels launched by nbgrader inherit this: FAST mode and writable caches outside $HOME."""
    env = {"COURSE_FAST": "1" if fast else "0"}
    scratch = Path(os.environ.get("DLS_CACHE", Path.home() / ".cache" / "dls"))
    env.setdefault("KERAS_HOME", os.environ.get("KERAS_HOME", str(scratch / "keras")))
    env.setdefault("MPLCONFIGDIR", os.environ.get("MPLCONFIGDIR", str(scratch / "matplotlib")))
    return env


def collect_submissions(course: Course, assignment: str, folder: Path | None = None) -> tuple[list[str], list[str]]:
    """Students with a readable submission of ``assignment`` and problems with the others.

    ``folder`` (default ``<root>/submitted``) is laid out as nbgrader's ``<student>/<assignment>/*.ipynb``;
    submissions from elsewhere are copied into the course's submitted/ folder first.
    """
    folder = Path(folder) if folder else course.submitted
    if not folder.is_dir():
        raise PipelineError(f"submissions folder {folder} does not exist")
    students, problems = [], []
    expected = {p.name for p in course.source_notebooks(assignment)}
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        sub = student_dir / assignment
        nbs = sorted(sub.glob("*.ipynb")) if sub.is_dir() else []
        if not nbs:
            continue
        bad = []
        for nb in nbs:
            if nb.name not in expected:
                bad.append(f"{nb.name}: not a notebook of {assignment} (expected {', '.join(sorted(expected))})")
                continue
            try:
                notebooks.read(nb)
            except ValueError as exc:
                bad.append(str(exc))
        if bad:
            problems.extend(f"{student_dir.name}: {b}" for b in bad)
            continue
        students.append(student_dir.name)
        if folder.resolve() != course.submitted.resolve():
            dest = course.submitted / student_dir.name / assignment
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(sub, dest)
    if not students and not problems:
        raise PipelineError(f"no submissions of {assignment} in {folder} "
                            f"(expected {folder}/<student>/{assignment}/<notebook>.ipynb)")
    return students, problems


def autograde(course: Course, assignment: str, students: list[str], fast: bool = True, log=None) -> None:
    """Real ``nbgrader autograde`` of the given students (each one its own call, so one failure is contained)."""
    for i, student in enumerate(students, 1):
        t0 = time.perf_counter()
        nbgrader(course, "autograde", assignment, "--force", f"--student={student}",
                 env=grading_env(fast), log=None)
        if log:
            log(f"  [{i}/{len(students)}] autograded {student} ({time.perf_counter() - t0:.0f} s)")


def generate_feedback(course: Course, assignment: str, log=None) -> Path:
    nbgrader(course, "generate_feedback", assignment, "--force", log=log)
    return course.root / "feedback"


@dataclass
class ScoreTable:
    """Per-student, per-exercise scores read from the gradebook."""

    assignment: str
    exercises: dict[str, float]  # exercise -> max points
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # student -> exercise -> score

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
        return "\n".join(lines)


def read_scores(course: Course, assignment: str, students: list[str]) -> ScoreTable:
    """Exercise scores from nbgrader's gradebook (sum of the exercise's grade cells)."""
    from nbgrader.api import Gradebook

    sources = course.validate_sources(assignment)
    cell_to_ex, maxima = {}, {}
    for name, nb in sources.items():
        for ex, entry in notebooks.exercises(nb).items():
            maxima[ex] = entry["points"]
            for cell in entry["tests"]:
                cell_to_ex[(name, cell.metadata["nbgrader"]["grade_id"])] = ex
    table = ScoreTable(assignment, maxima)
    with Gradebook(course.db_url) as gb:
        for student in students:
            per = {ex: 0.0 for ex in maxima}
            for name in sources:
                sub = gb.find_submission_notebook(name, assignment, student)
                for grade in sub.grades:
                    ex = cell_to_ex.get((name, grade.name))
                    if ex is not None:
                        per[ex] += float(grade.score or 0.0)
            table.scores[student] = per
    return table
