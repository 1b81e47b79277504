"""Colab / Kaggle badges and the setup cell's install follow pyproject.toml's [tool.dls] setting."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import links
from autograder import notebooks as N
from autograder.cli import main

import minicourse
from conftest import COURSE, ROOT, source_paths

WHERE = links.repository(ROOT)
SOURCES = source_paths()
RELEASES = [COURSE.release / p.parent.name / p.name for p in SOURCES]
ids = [p.parent.name + "/" + p.name for p in SOURCES]
FORK = links.Setting("someone/fork", "dev/v2")
OLD = "dls-course/deep-learning-specialization"


def _linked(nb) -> str:
    """The two cells stamp() owns: the title cell and the first code cell."""
    title = next(c for c in nb.cells if c.cell_type == "markdown")
    code = next(c for c in nb.cells if c.cell_type == "code")
    return title.source + "\n" + code.source


def test_the_setting_is_in_pyproject():
    assert WHERE is not None, "pyproject.toml needs [tool.dls] repository = 'owner/name'"
    assert links.setting(WHERE) == WHERE and WHERE.branch


@pytest.mark.parametrize("path", SOURCES + RELEASES, ids=[f"source/{i}" for i in ids] + [f"release/{i}" for i in ids])
def test_links_agree_with_the_setting(path):
    nb = N.read(path)
    assert links.problems(nb, path.parent.name, path.name, WHERE) == [], \
        f"{path.relative_to(ROOT)}: links disagree with pyproject.toml [tool.dls]: run `dls build`"
    assert not links.stamp(nb, path.parent.name, path.name, WHERE), "stamping changes a built notebook"


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_stamp_is_idempotent_and_a_fork_changes_every_link(path):
    a, name = path.parent.name, path.name
    original = N.read(path)
    nb = copy.deepcopy(original)
    assert links.stamp(nb, a, name, FORK)
    assert not links.stamp(nb, a, name, FORK), "stamping twice changes the notebook again"
    assert links.problems(nb, a, name, FORK) == []
    text = _linked(nb)
    if WHERE.repository != FORK.repository:
        assert WHERE.repository not in text, "a link still points at the old repository"
    assert text.count(f"github/{FORK.repository}/blob/{FORK.branch}/release/{a}/{name})") == 1  # Colab
    assert text.count(f"src=https://github.com/{FORK.repository}/blob/{FORK.branch}/release/{a}/{name})") == 1
    assert FORK.install() in text
    # only the links changed: stamping back gives what stamping the original gives
    links.stamp(nb, a, name, WHERE)
    links.stamp(original, a, name, WHERE)
    assert nb == original


def test_the_check_reports_a_notebook_left_at_another_address():
    path = SOURCES[0]
    a, name = path.parent.name, path.name
    nb = N.read(path)
    links.stamp(nb, a, name, "someone/fork")  # as if the setting changed and this notebook was not rebuilt
    found = links.problems(nb, a, name, WHERE)
    assert any("title cell lacks" in p for p in found) and any("stale badge" in p for p in found)
    assert any("someone/fork" in p and "installs" in p for p in found), found


def _nb(title: str, setup: str):
    return N.new_notebook([N.markdown(title), N.code(setup), N.code("x = 1")])


SETUP = ('import os\nimport sys\n\nif "google.colab" in sys.modules or "KAGGLE_KERNEL_RUN_TYPE" in os.environ:\n'
         '    get_ipython().run_line_magic("pip", "install -q --no-deps mnist1d {url}")')


@pytest.mark.parametrize("old", [
    "git+https://github.com/dls-course/deep-learning-specialization",
    "git+https://github.com/other/fork.git",
    "git+https://github.com/other/fork@v1.2",
    "git+https://github.com/other/fork@feature/x",
])
def test_install_address_is_replaced_and_pip_flags_kept(old):
    nb = _nb("# Week 1 — T\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
             "(https://colab.research.google.com/github/other/fork/blob/dev/release/week01/week01.ipynb)\n\nText.",
             SETUP.format(url=old))
    assert links.stamp(nb, "week01", "week01.ipynb", FORK)
    assert nb.cells[1].source == SETUP.format(url="git+https://github.com/someone/fork@dev/v2")
    assert nb.cells[0].source == f"# Week 1 — T\n\n{FORK.badges('week01', 'week01.ipynb')}\n\nText."
    assert nb.cells[2].source == "x = 1"


def test_badges_on_separate_lines_become_one_line_and_other_badges_stay():
    colab = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/a/b/blob/main/release/week01/w.ipynb)"
    kaggle = "[![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://www.kaggle.com/kernels/welcome?src=https://github.com/a/b/blob/main/release/week01/w.ipynb)"
    binder = "[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/a/b/main)"
    nb = _nb(f"# T\n\n{colab} {binder}\n\n{kaggle}\n\nText.", SETUP.format(url="git+https://github.com/a/b"))
    assert links.stamp(nb, "week01", "w.ipynb", FORK)
    assert nb.cells[0].source == f"# T\n\n{FORK.badges('week01', 'w.ipynb')} {binder}\n\nText."
    assert not links.stamp(nb, "week01", "w.ipynb", FORK)


def test_a_title_without_badges_is_left_alone():
    nb = _nb("# Mini course\n\nTwo exercises.", "import numpy as np")
    before = copy.deepcopy(nb)
    assert not links.stamp(nb, "week01", "week01.ipynb", FORK) and nb == before
    assert links.problems(nb, "week01", "week01.ipynb", FORK)  # but the check says what is missing


@pytest.mark.parametrize("bad", [("noslash", "main"), ("a/b/c", "main"), ("a/b", "x..y"), ("a/b", "has space"),
                                 ("-a/b", "main"), ("a/b", "")])
def test_a_malformed_setting_is_an_error(bad):
    with pytest.raises(ValueError):
        links.setting(bad)


def test_repository_reader(tmp_path):
    assert links.repository(tmp_path) is None  # a scratch course directory: nothing to stamp
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert links.repository(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[tool.dls]\nrepository = "you/your-fork"\n')
    assert links.repository(tmp_path) == ("you/your-fork", "main")
    (tmp_path / "pyproject.toml").write_text('[tool.dls]\nrepository = "you"\n')
    with pytest.raises(ValueError):
        links.repository(tmp_path)


@pytest.mark.slow
def test_dls_build_stamps_sources_and_releases(tmp_path, capsys):
    root = minicourse.make(tmp_path / "course")
    src = root / "source_notebooks" / "week01" / "week01.ipynb"
    nb = N.read(src)
    nb.cells[0].source = ("# Mini course\n\n[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                          "(https://colab.research.google.com/github/dls-course/deep-learning-specialization/blob/main/"
                          "release/week01/week01.ipynb)\n\nTwo exercises.")
    nb.cells[1].source = SETUP.format(url=f"git+https://github.com/{OLD}") + "\n\nimport numpy as np"
    N.write(nb, src)
    (root / "pyproject.toml").write_text('[tool.dls]\nrepository = "someone/fork"\nbranch = "dev/v2"\n')
    assert main(["--root", str(root), "build"]) == 0
    assert "source_notebooks/week01/week01.ipynb" in capsys.readouterr().out
    for path in (src, root / "release" / "week01" / "week01.ipynb"):
        built = N.read(path)
        assert links.problems(built, "week01", "week01.ipynb", FORK) == [], path
        assert OLD not in _linked(built)
    assert nbformat.reads(src.read_text(), as_version=4) == N.normalize(N.read(src))  # written normalized
    stamp_time = src.stat().st_mtime_ns
    assert main(["--root", str(root), "build"]) == 0
    assert src.stat().st_mtime_ns == stamp_time, "an unchanged source notebook was rewritten"
    assert "source_notebooks/week01" not in capsys.readouterr().out

    (root / "pyproject.toml").write_text('[tool.dls]\nrepository = "not a repo"\n')
    assert main(["--root", str(root), "build"]) == 2
    assert "[tool.dls] repository" in capsys.readouterr().err
