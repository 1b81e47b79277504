"""A two-exercise NumPy-only course built in a temp folder: exercises the pipeline in seconds."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder import notebooks as N

ROOT = Path(__file__).resolve().parents[1]

MISTAKES = '''MISTAKES = {
    "week01-relu": [("np.maximum(0, z)", "np.maximum(0, -z)", "sign flipped")],
    "week01-square": [("z * z", "z + z", "doubling instead of squaring")],
}
'''


def make(root: Path) -> Path:
    """Write nbgrader_config.py (the repository's), one assignment ``week01`` and a mistakes file."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "autograder").mkdir(exist_ok=True)
    nb = N.new_notebook([
        N.markdown("# Mini course\n\nTwo exercises."),
        N.code("import numpy as np"),
        N.code("FAST = False", tags=["parameters"]),
        N.markdown("### Exercise 1 — relu (2 points)"),
        N.solution("def relu(z):\n    ### BEGIN SOLUTION\n    return np.maximum(0, z)\n    ### END SOLUTION",
                   "week01-relu"),
        N.tests('"""relu"""\nassert np.allclose(relu(np.array([-1.0, 2.0])), [0.0, 2.0])\n'
                "### BEGIN HIDDEN TESTS\nassert relu(np.array([3.0]))[0] == 3.0\n### END HIDDEN TESTS",
                "week01-relu", 2),
        N.markdown("### Exercise 2 — square (1 point)"),
        N.solution("def square(z):\n    ### BEGIN SOLUTION\n    return z * z\n    ### END SOLUTION",
                   "week01-square"),
        N.tests('"""square"""\nassert square(3) == 9', "week01-square", 1),
        N.markdown("### Exercise 3 — why ReLU (2 points)"),
        N.answer("ReLU keeps gradients alive for positive inputs and costs one comparison.", "week01-why", 2,
                 rubric="- 1 point: gradients do not vanish for positive inputs\n- 1 point: cheap to compute"),
    ])
    N.write(nb, root / "source_notebooks" / "week01" / "week01.ipynb")
    (root / "tests" / "mistakes").mkdir(parents=True, exist_ok=True)
    (root / "tests" / "mistakes" / "week01.py").write_text(MISTAKES)
    return root
