"""``dls start``: a student's own copy of an assignment, which nothing in the course ever overwrites.

``release/`` belongs to the instructor's pipeline (``nbgrader generate_assignment --force`` rewrites
it), so students work in ``work/<assignment>/`` (git-ignored) or a folder of their choosing. Running
``dls start`` again copies only what is missing (a release file added later) and keeps every file
that is already there, edited or not.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline import Course, PipelineError

SKIP = {".ipynb_checkpoints", "__pycache__"}


@dataclass
class Started:
    dest: Path
    copied: list[Path] = field(default_factory=list)  # new files, relative to dest
    kept: list[Path] = field(default_factory=list)    # already there: left exactly as they were


def work_folder(course: Course, assignment: str) -> Path:
    return course.root / "work" / assignment


def released(course: Course) -> list[str]:
    if not course.release.is_dir():
        return []
    return sorted(p.name for p in course.release.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def start_assignment(course: Course, assignment: str, dest: Path | None = None) -> Started:
    """Copy ``release/<assignment>/`` into ``dest`` (default ``work/<assignment>/``), never overwriting."""
    known = released(course)
    if assignment not in known:
        raise PipelineError(f"unknown assignment {assignment!r}: no release/{assignment}/ with notebooks. "
                            f"Known: {', '.join(known) or '(none)'}")
    src = course.release / assignment
    dest = Path(dest).expanduser().resolve() if dest is not None else work_folder(course, assignment)
    if dest.resolve() == src.resolve() or src.resolve() in dest.resolve().parents:
        raise PipelineError(f"{dest} is inside release/, which `nbgrader generate_assignment` rewrites: "
                            "choose another --dest")
    if dest.exists() and not dest.is_dir():
        raise PipelineError(f"{dest} exists and is not a folder")
    result = Started(dest)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or SKIP & set(rel.parts):
            continue
        target = dest / rel
        if target.exists() or target.is_symlink():
            result.kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)  # a fresh, writable file (not the release's mode)
        result.copied.append(rel)
    return result
