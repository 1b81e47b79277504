"""The test harness itself: the grading tier relies on pytest-xdist keeping an ``xdist_group`` on
one worker (one autograde run per assignment). pytest 9.2 silently broke that
(pytest-xdist#1386), doubling the grading time; this guards the pinned versions."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # kernels, servers or sandboxes: not in the fast tier


def test_xdist_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    (tmp_path / "test_groups.py").write_text(
        "import pytest\n"
        "CASES = [pytest.param(g, i, marks=pytest.mark.xdist_group(g)) for g in 'ab' for i in range(4)]\n"
        "@pytest.mark.parametrize('g,i', CASES)\n"
        "def test_x(g, i):\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p",
                           "no:cacheprovider", "-c", "/dev/null", "--rootdir", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    workers = {}
    for worker, group in re.findall(r"\[(gw\d)\].*PASSED .*test_x\[(\w)-\d\]", proc.stdout):
        workers.setdefault(group, set()).add(worker)
    assert set(workers) == {"a", "b"} and all(len(w) == 1 for w in workers.values()), workers
