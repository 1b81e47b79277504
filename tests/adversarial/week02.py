"""Crafted week02 submissions that attack the grader, each with the score ``dls grade`` must give.

``build(solution_nb, release_nb)`` -> ``{case: (bytes of week02.ipynb, expected score, what it tries)}``.
Solution = the release filled with the instructor's answers (17/17); release = untouched (0/17).
Exercise points: softmax-xent 2, dense-backward 2, mlp-backward 3, init 2, minibatches 2, momentum 1,
rmsprop 1, adam 2, keras-mlp 2.
"""

from __future__ import annotations

import copy
import json

FULL = 17.0


def _cell(nb, gid):
    for c in nb["cells"]:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid:
            return c
    raise KeyError(gid)


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text}


def _append(nb, gid, text):
    c = _cell(nb, gid)
    c["source"] = _src(c) + "\n" + text


def _body(nb, gid, func_header_end, new_body):
    """Replace the body of the solution cell's function by ``new_body`` (indented)."""
    c = _cell(nb, gid)
    head = _src(c).split('"""', 2)
    c["source"] = head[0] + '"""' + head[1] + '"""\n' + "\n".join("    " + ln for ln in new_body.splitlines())


def build(solution: dict, release: dict) -> dict[str, tuple[bytes, float, str]]:
    S = lambda: copy.deepcopy(solution)  # noqa: E731
    R = lambda: copy.deepcopy(release)  # noqa: E731
    out: dict[str, tuple[object, float, str]] = {}

    out["solution"] = (S(), FULL, "the instructor's answers")
    out["untouched"] = (R(), 0.0, "the release as handed out")
    out["invalid-json"] = (b'{"cells": [', 0.0, "truncated JSON")
    out["not-a-notebook"] = (b"[1, 2, 3]", 0.0, "valid JSON, not a notebook")

    nb = S()
    nb["cells"] = [c for c in nb["cells"] if not c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    out["deleted-test-cells"] = (nb, FULL, "every test cell deleted (answers right)")

    nb = S()
    t = _cell(nb, "week02-softmax-xent-tests")
    nb["cells"].insert(nb["cells"].index(t), copy.deepcopy(t))
    out["duplicated-test-cell"] = (nb, FULL, "a test cell duplicated (stock nbgrader: the batch stops)")

    nb = R()
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            c["source"] = "pass"
            meta["points"] = 100
    out["edited-test-cells"] = (nb, 0.0, "test cells replaced by `pass`, points set to 100, wrong answers")

    nb = S()
    _cell(nb, "week02-softmax-xent-code")["metadata"]["nbgrader"]["grade_id"] = "renamed-code"
    _cell(nb, "week02-adam-tests")["metadata"]["nbgrader"]["grade_id"] = "renamed-tests"
    out["renamed-cells"] = (nb, FULL, "solution and test cells renamed (grade_id)")

    nb = S()
    nb["cells"] = nb["cells"][::-1]
    out["reordered-cells"] = (nb, FULL, "every cell in reverse order")

    nb = S()
    _cell(nb, "week02-softmax-xent-code")["cell_type"] = "markdown"
    _cell(nb, "week02-softmax-xent-code").pop("outputs", None)
    _cell(nb, "week02-softmax-xent-code").pop("execution_count", None)
    _cell(nb, "week02-dense-backward-tests")["cell_type"] = "markdown"
    out["changed-cell-types"] = (nb, FULL, "a solution cell and a test cell turned into markdown "
                                           "(both restored to code, as nbgrader does)")

    nb = S()
    _append(nb, "week02-softmax-xent-code", "def broken(:\n    pass")
    out["syntax-error"] = (nb, FULL - 2, "a syntax error in one answer cell")

    nb = S()
    _body(nb, "week02-dense-backward-code", None, "while True:\n    pass")
    out["infinite-loop"] = (nb, FULL - 2, "dense_backward never returns")

    nb = S()
    _append(nb, "week02-momentum-code",
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)")
    out["sigint-proof-loop"] = (nb, FULL - 1, "a top-level loop that ignores SIGINT in the momentum cell")

    nb = S()
    _body(nb, "week02-adam-code", None, "import os\nos._exit(0)")
    out["os-exit"] = (nb, FULL - 2, "adam_step calls os._exit(0)")

    nb = S()
    _body(nb, "week02-rmsprop-code", None, "import ctypes\nreturn ctypes.string_at(0)")
    out["segfault"] = (nb, FULL - 1, "rmsprop_step dereferences NULL")

    nb = S()
    _body(nb, "week02-init-code", None, "import numpy\nhog = [numpy.ones(2**27) for _ in range(200)]\nreturn hog[0]")
    out["memory-bomb"] = (nb, FULL - 2, "init_weights allocates 200 GiB")

    nb = S()
    _body(nb, "week02-minibatches-code", None, "import os\nwhile True:\n    os.fork()")
    out["fork-bomb"] = (nb, FULL - 2, "iterate_minibatches forks forever")

    nb = S()
    _append(nb, "week02-keras-mlp-code", "import sys\nwhile True:\n    sys.stdout.write('spam ' * 100000)")
    out["output-flood"] = (nb, FULL - 2, "gigabytes of output in the Keras cell")

    nb = S()
    for gid in ("week02-softmax-xent-code", "week02-adam-code", "week02-keras-mlp-code"):
        _append(nb, gid, "import sys, warnings\nwarnings.warn('deprecated something')\n"
                         "sys.stderr.write('WARNING: noisy stderr\\n' * 20)")
    out["stderr-warnings"] = (nb, FULL, "correct answers with warnings on stderr")

    nb = S()
    nb["cells"].append(_code(
        "import socket, urllib.request\nfor host in ('pypi.org', '1.1.1.1'):\n    try:\n"
        "        socket.create_connection((host, 443), timeout=2)\n        print('NETWORK OPEN')\n"
        "    except OSError as exc:\n        print('no network:', exc)\n"))
    _append(nb, "week02-softmax-xent-code",
            "try:\n    import urllib.request\n    urllib.request.urlopen('http://example.com', timeout=2)\nexcept Exception:\n    pass")
    out["network"] = (nb, FULL, "network calls around correct answers")

    nb = S()
    _append(nb, "week02-softmax-xent-code",
            "import subprocess, threading, time, os\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            "if os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n    os._exit(0)\n"
            "threading.Thread(target=time.sleep, args=(600,), daemon=False).start()")
    out["background-processes"] = (nb, FULL, "processes and threads that outlive the notebook")

    nb = R()
    _append(nb, "week02-softmax-xent-code", """
import glob, json, os
_found = []
# where instructor files live outside a sandbox (no recursive glob over /: that is slow, and the point is
# that these paths are invisible, not that the search runs out of time)
for pattern in ['/work/*/source_notebooks/*/*.ipynb', '/work/*/release/*/*.ipynb', '../../../source_notebooks/*/*.ipynb',
                '../../*/week02/*.ipynb', '/root/*/source_notebooks/*/*.ipynb', '/tmp/*/*/course/source_notebooks/*/*.ipynb',
                '/tmp/*/*/*/course/source_notebooks/*/*.ipynb', '/tmp/*/*.ipynb', '/home/*/*.ipynb']:
    try:
        _found += glob.glob(pattern)
    except OSError:
        pass
for _p in _found:
    try:
        _nb = json.load(open(_p))
        for _c in _nb['cells']:
            if '### BEGIN SOLUTION' in ''.join(_c['source']):
                exec(''.join(_c['source']).replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''))
    except Exception:
        pass
for _p in ['/work/main/autograder/gradebook.db', '../../../autograder/gradebook.db']:
    try:
        open(_p, 'a').write('x')
    except OSError:
        pass
""")
    out["read-instructor-files"] = (nb, 0.0, "looks for solutions, the gradebook, other students' files")

    nb = R()
    # in an answer cell, so that it runs (a cell no graded cell needs is never executed)
    _append(nb, "week02-softmax-xent-code", """
import sqlite3, glob
for _db in (glob.glob('/work/*/autograder/gradebook.db') + glob.glob('/tmp/*/*/course/autograder/gradebook.db')
            + glob.glob('/tmp/*/*/*/course/autograder/gradebook.db') + ['../../../autograder/gradebook.db']):
    try:
        _con = sqlite3.connect(_db)
        _con.execute("UPDATE grade SET manual_score = 100")
        _con.commit()
    except Exception:
        pass
""")
    out["write-gradebook"] = (nb, 0.0, "writes manual_score into the gradebook")

    nb = R()
    nb["cells"].insert(2, _code("""
def _swallow(lines):
    return ['try:\\n'] + ['    ' + l for l in lines] + ['\\nexcept BaseException:\\n    pass\\n']
get_ipython().input_transformers_post.append(_swallow)
"""))
    out["input-transformer"] = (nb, 0.0, "an IPython input transformer wraps later cells in try/except")

    nb = R()
    nb["cells"].insert(2, _code("""
import numpy as np, course.checks
np.testing.assert_allclose = lambda *a, **k: None
np.allclose = lambda *a, **k: True
for _n in dir(course.checks):
    if not _n.startswith('_') and callable(getattr(course.checks, _n)):
        setattr(course.checks, _n, lambda *a, **k: None)
import builtins
builtins.AssertionError = type('Nope', (Exception,), {})
"""))
    for gid in ("week02-softmax-xent-code", "week02-dense-backward-code", "week02-adam-code"):
        _body(nb, gid, None, "return None, None, None")
    out["monkeypatch-checks"] = (nb, 0.0, "assert_allclose and course.checks replaced by no-ops")

    nb = R()
    nb["cells"].insert(2, _code("""
class Anything(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __gt__(self, other): return True
    def __ge__(self, other): return True
    def __abs__(self): return Anything(0)
    def __array__(self, *a, **k):
        import numpy as np
        return np.zeros(())
    def __getattr__(self, name): return Anything(0)
    def __getitem__(self, k): return Anything(0)
    def __iter__(self): return iter([Anything(0)] * 3)
    def __len__(self): return 3
"""))
    for gid, body in (("week02-softmax-xent-code", "return Anything(0), Anything(0)"),
                      ("week02-init-code", "return Anything(0)"),
                      ("week02-momentum-code", "return Anything(0), Anything(0)")):
        _body(nb, gid, None, body)
    out["eq-spoof"] = (nb, 0.0, "returns objects whose __eq__ is always True")

    nb = S()
    _body(nb, "week02-softmax-xent-code", None,
          "import numpy as np\nif logits.shape == (2, 3) and not logits.any():\n"
          "    return float(np.log(3.0)), (np.full((2, 3), 1 / 3) - y_onehot) / 2\n"
          "n = logits.shape[0]\nshifted = logits - logits.max(axis=1, keepdims=True)\n"
          "log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
          "p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
          "return float(-np.sum(y_onehot * log_probs) / n), (p - y_onehot) / n")
    out["hardcoded-visible"] = (nb, FULL - 2, "softmax unstable for large logits: passes visible tests only")

    return {k: (v if isinstance(v, bytes) else json.dumps(v, indent=1).encode(), s, why)
            for k, (v, s, why) in out.items()}
