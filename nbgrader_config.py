"""nbgrader configuration for the course (run nbgrader commands from the repository root).

source_notebooks/<weekNN>/  instructor notebooks (solutions + hidden tests)
release/<weekNN>/           student notebooks, generated and committed
submitted/, autograded/, feedback/   created by nbgrader when grading (git-ignored)
autograder/gradebook.db     the embedded SQLite gradebook (any SQLAlchemy URL works: db_url)
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "source_notebooks"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.db_url = os.environ.get(
    "DLS_GRADEBOOK_URL", "sqlite:///" + os.path.join(c.CourseDirectory.root, "autograder", "gradebook.db")
)
c.CourseDirectory.course_id = "deep-learning-specialization"

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
