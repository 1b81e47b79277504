"""Where the course is published: the Colab and Kaggle badges and the setup cell's ``pip install``.

The address is ONE setting, in pyproject.toml::

    [tool.dls]
    repository = "dls-course/deep-learning-specialization"   # GitHub owner/name
    branch = "main"

``dls build`` stamps it into every source notebook (and so into every release): the title cell's
*Open in Colab* and *Open in Kaggle* badges point at ``release/<assignment>/<notebook>`` on that
repository and branch, and the first code cell installs ``git+https://github.com/<owner>/<repo>@<branch>``.
A fork changes the two lines and runs ``dls build``. :func:`stamp` replaces whatever GitHub address
the links had before (the upstream one, another fork's), so stamping is idempotent and complete.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import NamedTuple

_OWNER_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
_BRANCH = re.compile(r"^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*$")

COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
KAGGLE_BADGE_IMAGE = "https://kaggle.com/static/images/open-in-kaggle.svg"

# one markdown image-link badge `[![alt](image)](target)` whose target opens a notebook on Colab / Kaggle
_BADGE = re.compile(r"\[!\[[^\]]*\]\([^)\s]*\)\]\((?P<target>[^)\s]*)\)")
_OURS = re.compile(r"^https?://(?:colab\.research\.google\.com/github/|(?:www\.)?kaggle\.com/kernels/welcome\?)")
# the course's pip address, whoever's it is: git+https://github.com/<owner>/<repo>[.git][@<ref>]
_INSTALL = re.compile(r"git\+https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:@[A-Za-z0-9_./-]+)?")


class Setting(NamedTuple):
    """``(owner/repo, branch)`` of the GitHub repository the course is published from."""

    repository: str
    branch: str = "main"

    def blob(self, assignment: str, name: str) -> str:
        return f"https://github.com/{self.repository}/blob/{self.branch}/release/{assignment}/{name}"

    def colab(self, assignment: str, name: str) -> str:
        """Colab URL opening ``release/<assignment>/<name>``."""
        return f"https://colab.research.google.com/github/{self.repository}/blob/{self.branch}/release/{assignment}/{name}"

    def kaggle(self, assignment: str, name: str) -> str:
        """Kaggle URL importing ``release/<assignment>/<name>`` into a new notebook."""
        return f"https://kaggle.com/kernels/welcome?src={self.blob(assignment, name)}"

    def install(self) -> str:
        """What the setup cell gives ``pip install`` (after its flags): the course package."""
        return f"git+https://github.com/{self.repository}@{self.branch}"

    def badges(self, assignment: str, name: str) -> str:
        """The title cell's badge line: Colab and Kaggle side by side."""
        return (f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({self.colab(assignment, name)}) "
                f"[![Open In Kaggle]({KAGGLE_BADGE_IMAGE})]({self.kaggle(assignment, name)})")


def setting(value: Setting | tuple | str) -> Setting:
    """A validated :class:`Setting` from a Setting, an ``(owner/repo, branch)`` pair or ``"owner/repo"``."""
    repo, branch = (value, "main") if isinstance(value, str) else tuple(value)
    if not isinstance(repo, str) or not _OWNER_REPO.match(repo):
        raise ValueError(f"[tool.dls] repository = {repo!r}: expected a GitHub 'owner/name'")
    if not isinstance(branch, str) or not _BRANCH.match(branch) or ".." in branch:
        raise ValueError(f"[tool.dls] branch = {branch!r}: expected a git branch name such as 'main'")
    return Setting(repo, branch)


def repository(root: str | Path) -> Setting | None:
    """The ``[tool.dls]`` setting of the course at ``root`` (its pyproject.toml); None where there is
    none (a scratch course directory without pyproject.toml). ValueError when it is malformed."""
    path = Path(root) / "pyproject.toml"
    if not path.exists():
        return None
    try:
        table = tomllib.loads(path.read_text()).get("tool", {}).get("dls", {})
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if "repository" not in table:
        return None
    return setting((table["repository"], table.get("branch", "main")))


def _title_index(nb) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), None)


def _code_index(nb) -> int | None:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)


def _stamp_title(source: str, badges: str) -> str:
    """``badges`` in place of the first line's Colab/Kaggle badges; such badges on later lines go
    (with the line and one blank line after it, when nothing else was on it)."""
    lines = source.split("\n")
    out: list[str] = []
    placed = skip_blank = False
    for line in lines:
        if skip_blank and not line.strip():
            skip_blank = False
            continue
        skip_blank = False
        ours = [m for m in _BADGE.finditer(line) if _OURS.match(m.group("target"))]
        if not ours:
            out.append(line)
            continue
        rest = line
        for m in reversed(ours):
            rest = rest[:m.start()] + rest[m.end():]
        rest = " ".join(rest.split())
        if not placed:
            out.append(f"{badges} {rest}".rstrip())
            placed = True
        elif rest:
            out.append(rest)
        else:
            skip_blank = not out or not out[-1].strip()
    return "\n".join(out)


def stamp(nb, assignment: str, name: str, value: Setting | tuple | str) -> bool:
    """Point ``nb`` (the notebook ``release/<assignment>/<name>``) at the repository in ``value``:
    the Colab/Kaggle badge line of its title cell and the GitHub install address in its first code
    cell. Everything else is left as it is; a title cell without a Colab or Kaggle badge gets none
    (the lesson-skeleton test asks for one). Returns whether anything changed; idempotent."""
    s = setting(value)
    changed = False
    t = _title_index(nb)
    if t is not None:
        new = _stamp_title(nb.cells[t].source, s.badges(assignment, name))
        if new != nb.cells[t].source:
            nb.cells[t].source, changed = new, True
    c = _code_index(nb)
    if c is not None:
        new = _INSTALL.sub(s.install(), nb.cells[c].source)
        if new != nb.cells[c].source:
            nb.cells[c].source, changed = new, True
    return changed


def problems(nb, assignment: str, name: str, value: Setting | tuple | str) -> list[str]:
    """What in ``nb`` disagrees with the setting ``value`` (empty: its links are right)."""
    s = setting(value)
    out = []
    t, c = _title_index(nb), _code_index(nb)
    title = nb.cells[t].source if t is not None else ""
    code = nb.cells[c].source if c is not None else ""
    if s.badges(assignment, name) not in title:
        out.append(f"title cell lacks the Colab + Kaggle badges for {s.repository}@{s.branch}")
    for m in _BADGE.finditer(title):
        if _OURS.match(m.group("target")) and m.group("target") not in (s.colab(assignment, name),
                                                                         s.kaggle(assignment, name)):
            out.append(f"title cell has a stale badge link {m.group('target')}")
    installs = _INSTALL.findall(code)
    if not installs:
        out.append("first code cell installs no git+https://github.com/... course package")
    out += [f"first code cell installs {a}, not {s.install()}" for a in installs if a != s.install()]
    return out


def stamp_sources(course, assignments: list[str], value: Setting | tuple | str) -> list[Path]:
    """Stamp ``value`` into the source notebooks of ``assignments`` of ``course`` (a
    :class:`autograder.pipeline.Course`); rewrite (normalized) only those whose links change.
    Returns the rewritten paths. ``dls build`` calls it before nbgrader, so releases agree."""
    from . import notebooks

    s = setting(value)
    changed = []
    for assignment in assignments:
        for path in course.source_notebooks(assignment):
            nb = notebooks.read(path)
            if stamp(nb, assignment, path.name, s):
                notebooks.write(nb, path)
                changed.append(path)
    return changed
