"""Static tier: notebook hygiene, the lesson skeleton, exercise structure, release in sync, lint."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from autograder import demo, links, notebooks, submissions
from autograder.pipeline import workspace

from conftest import ASSIGNMENTS, COURSE, ROOT, source_paths

SOURCES = source_paths()
ids = [p.parent.name + "/" + p.name for p in SOURCES]
HEADING = re.compile(r"^### Exercise \d+ — .+ \((\d+(?:\.\d+)?) points?\)\s*$", re.M)


def test_course_has_assignments():
    expected = [f"week{w:02d}" for w in range(1, 13)] + [f"project{k}" for k in range(1, 7)]
    assert sorted(ASSIGNMENTS) == sorted(expected), ASSIGNMENTS


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_source_committed_without_outputs_and_normalized(path):
    raw = json.loads(path.read_text())
    nb = nbformat.reads(path.read_text(), as_version=4)
    nbformat.validate(nb)
    assert set(raw["metadata"]) == {"kernelspec", "language_info"}
    for cell in raw["cells"]:
        assert set(cell.get("metadata", {})) <= {"nbgrader", "tags"}, cell.get("metadata")
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_lesson_skeleton(path):
    nb = notebooks.read(path)
    title = nb.cells[0]
    assert title.cell_type == "markdown" and re.match(r"# (Week \d+|Project \d+) — ", title.source)
    assert "learning objectives" in title.source.lower()
    assert "estimated time" in title.source.lower() and "prerequisites" in title.source.lower()
    where = links.repository(ROOT)  # pyproject.toml [tool.dls]: the address `dls build` stamps
    assert where.colab(path.parent.name, path.name) in title.source
    assert where.kaggle(path.parent.name, path.name) in title.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "google.colab" in code[0].source and "course.runtime.setup(" in code[0].source
    assert "KAGGLE_KERNEL_RUN_TYPE" in code[0].source and where.install() in code[0].source
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source.strip() == "FAST = course.runtime.fast_mode()"
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## Summary", prose, re.M) and re.search(r"^## Further reading", prose, re.M)
    assert sum("plots." in c.source or "plt." in c.source for c in code) >= 3, "a lesson needs figures"


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_exercises_follow_the_contract(path):
    nb = notebooks.read(path)
    exs = notebooks.exercises(nb)
    assert exs, "no graded exercise"
    assignment = path.parent.name
    headings = [float(m) for c in nb.cells if c.cell_type == "markdown" for m in HEADING.findall(c.source)]
    graded = graded_points_in_order(nb)
    assert headings == graded, "### Exercise headings must state each exercise's (or written answer's) points"
    for ex, entry in exs.items():
        assert ex.startswith(assignment + "-"), ex
        assert entry["code"] is not None and entry["tests"], ex
        assert entry["points"] > 0
        hidden = [t.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
                  for t in entry["tests"] if "### BEGIN HIDDEN TESTS" in t.source]
        assert hidden, f"{ex}: needs hidden tests"
        code_lines = [ln for h in hidden for ln in h.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert any(k in ln for ln in code_lines for k in ("checks.", "assert", "raise")), \
            f"{ex}: hidden tests must check something"
        for t in entry["tests"]:
            visible = t.source.split("### BEGIN HIDDEN TESTS")[0]
            assert visible.lstrip().startswith('"""'), f"{ex}: test cell starts with a docstring"
            assert len([ln for ln in visible.splitlines() if ln.strip() and not ln.startswith('"""')]) >= 1


def graded_points_in_order(nb) -> list[float]:
    """Points of the autograded exercises and the manually graded written answers, in notebook order."""
    first: dict[str, tuple[int, float]] = {}
    exs = notebooks.exercises(nb)
    manual = notebooks.manual_answers(nb)
    for i, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        ex = notebooks.exercise_of(gid)
        if ex in exs and ex not in first:
            first[ex] = (i, exs[ex]["points"])
        elif gid in manual:
            first[gid] = (i, manual[gid])
    return [pts for _, pts in sorted(first.values())]


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_written_answers_have_a_rubric_and_points(path):
    nb = notebooks.read(path)
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in notebooks.manual_answers(nb):
            assert meta["grade_id"].endswith("-answer") and meta.get("points", 0) > 0
            assert "Rubric" in nb.cells[i - 1].source, f"{meta['grade_id']}: the cell above states the rubric"


def test_weeks_1_and_2_have_at_least_8_exercises():
    n = sum(len(notebooks.exercises(notebooks.read(p))) for a in ("week01", "week02")
            for p in COURSE.source_notebooks(a))
    assert n >= 8, n


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_planted_mistake(assignment):
    mistakes = submissions.load_mistakes(ROOT / "tests" / "mistakes" / f"{assignment}.py")
    exs = {}
    for p in COURSE.source_notebooks(assignment):
        exs.update(notebooks.exercises(notebooks.read(p)))
    assert set(mistakes) == set(exs), f"missing: {set(exs) - set(mistakes)}, unknown: {set(mistakes) - set(exs)}"
    for ex, planted in mistakes.items():
        assert planted and all(len(m) == 3 and m[2] for m in planted), f"{ex}: (old, new, why)"
        for mistake in planted:  # each is graded alone (round r = the r-th mistake of every exercise)
            changed = submissions.apply_mistakes(exs[ex]["code"].source, ex, [mistake])
            assert changed != exs[ex]["code"].source, f"{ex}: {mistake[2]!r} changes nothing"


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    ws = workspace(COURSE, tmp_path_factory.mktemp("release") / "course", ASSIGNMENTS)
    demo.release_all(ws, ASSIGNMENTS)  # nbgrader generate_assignment, in-process: one nbgrader start-up
    return ws


@pytest.mark.parametrize("path", [pytest.param(p, id=i, marks=pytest.mark.xdist_group("release"))
                                  for p, i in zip(SOURCES, ids)])
def test_release_in_sync_with_nbgrader(path, fresh_release):
    committed = COURSE.release / path.parent.name / path.name
    assert committed.exists(), f"{committed} missing: run `dls build`"
    fresh = fresh_release.release / path.parent.name / path.name
    assert json.loads(committed.read_text()) == json.loads(fresh.read_text()), \
        f"{committed} is stale: run `dls build {path.parent.name}` and commit release/"


def leaked_lines(source_nb, release_text: str) -> list[str]:
    """Distinctive solution / hidden-test lines of ``source_nb`` that appear in ``release_text``,
    unless the same line is also public in the source (e.g. set-up repeated in visible and hidden tests)."""
    public, secret = [], []
    for cell in source_nb.cells:
        src = cell.source
        if cell.cell_type == "markdown" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            secret.append(src)  # a model answer to a manually graded question
            continue
        if cell.cell_type == "code" and "### BEGIN SOLUTION" in src:
            secret.append(submissions.solution_region(src))
            src = "\n".join(ln for ln in src.splitlines() if ln not in secret[-1].splitlines())
        if "### BEGIN HIDDEN TESTS" in src:
            head, rest = src.split("### BEGIN HIDDEN TESTS", 1)
            hidden, tail = rest.split("### END HIDDEN TESTS", 1)
            secret.append(hidden)
            src = head + tail
        public.append(src)
    public_lines = {ln.strip() for p in public for ln in p.splitlines()}
    return [ln.strip() for block in secret for ln in block.splitlines()
            if len(ln.strip()) > 25 and ln.strip() not in public_lines and ln.strip() in release_text]


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_release_leaks_no_solution_or_hidden_test(path):
    release_path = COURSE.release / path.parent.name / path.name
    raw = release_path.read_text()
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"]:
        assert marker not in raw
    text = "\n".join(c.source for c in notebooks.read(release_path).cells)
    leaked = leaked_lines(notebooks.read(path), text)
    assert not leaked, f"solution or hidden-test lines in the release: {leaked[:5]}"


@pytest.mark.parametrize("path", SOURCES[:1], ids=ids[:1])
def test_leak_check_catches_a_planted_leak(path):
    nb = notebooks.read(path)
    release = "\n".join(c.source for c in notebooks.read(COURSE.release / path.parent.name / path.name).cells)
    ex = next(iter(notebooks.exercises(nb).values()))
    line = max(submissions.solution_region(ex["code"].source).splitlines(), key=len).strip()
    assert leaked_lines(nb, release + "\n" + line) == [line]
    hidden = ex["tests"][-1].source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    hline = max(hidden.splitlines(), key=len).strip()
    assert hline in leaked_lines(nb, release + "\n" + hline)


def test_ruff_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "course", "autograder", "tests",
                           "source_notebooks", "benchmarks", "nbgrader_config.py"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lock_file_satisfies_pyproject():
    import tomllib

    from packaging.requirements import Requirement

    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            locked[m.group(1).lower().replace("_", "-")] = m.group(2)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(dep)
        name = req.name.lower().replace("_", "-")
        assert name in locked, f"{name} missing from requirements.lock: re-run uv pip compile (README)"
        assert req.specifier.contains(locked[name], prereleases=True), \
            f"requirements.lock has {name}=={locked[name]}, pyproject wants {req.specifier}"


def test_environment_yml_pins_match_pyproject():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [d for d in project["dependencies"] + project["optional-dependencies"]["test"] if "==" in d]
    env = (ROOT / "environment.yml").read_text()
    for pin in pins:
        name = pin.split(";")[0].strip()
        assert re.search(rf"^\s*- {re.escape(name)}\s+#", env, re.M), f"environment.yml lacks `{name}` with a comment"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash bootstrap.sh demo" in readme and "bash bootstrap.sh test" in readme
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert commands[-1] == "exec bash bootstrap.sh test", commands
    assert subprocess.run(["bash", "-n", str(ROOT / "bootstrap.sh")]).returncode == 0
