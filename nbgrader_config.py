"""nbgrader configuration for the course (run nbgrader commands from the repository root).

source_notebooks/<weekNN>/  instructor notebooks (solutions + hidden tests)
release/<weekNN>/           student notebooks, generated and committed
submitted/, autograded/, feedback/   created by nbgrader when grading (git-ignored)
autograder/gradebook.db     the embedded SQLite gradebook (any SQLAlchemy URL works: db_url)
"""

import os
import sys

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source_notebooks"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = os.environ.get(
    "DLS_GRADEBOOK_URL", "sqlite:///" + os.path.join(c.CourseDirectory.root, "autograder", "gradebook.db")
)
c.CourseDirectory.course_id = "deep-learning-specialization"

# Students get notebooks through git and `dls start`, not nbgrader's exchange. JupyterLab's Assignment
# List still asks the exchange for courses; with nbgrader's default (/srv/nbgrader/exchange, missing or
# unwritable) it shows "Error fetching courses!" and the server logs a traceback per request. A local,
# writable (git-ignored) exchange keeps it quiet; it stays empty unless you run `nbgrader release_assignment`.
c.Exchange.root = os.path.join(c.CourseDirectory.root, ".dls", "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)

# Solutions become a stub that fails loudly until the student writes code.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Execution limits for stock `nbgrader autograde` (dls grade has its own).
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600
# Files a notebook writes when someone runs it in place (saved models, exports, GIFs) are never
# copied into a student release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.keras", "*.h5",
                            "*.tflite", "*.onnx", "*.gif", "*.png", "saved_model*", "*.npz"]

# Feedback never shows hidden tests: stock generate_feedback renders the autograded notebook, whose
# grade cells (and the tracebacks of their failures) quote the hidden tests verbatim.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

if c.CourseDirectory.root not in sys.path:  # `autograder` even where the repository is not pip-installed
    sys.path.append(c.CourseDirectory.root)
from autograder.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
