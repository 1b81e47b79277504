"""Helpers the course notebooks import: ``runtime``, ``data``, ``plots``, ``checks``, ``nn`` (weeks 1-2),
``vision`` and ``style`` (weeks 3-4, projects 1 and 3), ``sequence`` (weeks 5-6, project 2),
``generative`` and ``transformers`` (weeks 7-8, projects 4 and 5), ``rl`` (weeks 9-10, project 6),
``deploy`` and ``serving`` (weeks 11-12).

Submodules are imported lazily so that ``import course`` stays cheap (TensorFlow is only
imported by the helpers that need it). Importing ``course`` before TensorFlow (or Keras) keeps
TensorFlow's C++ start-up noise out of the notebook (``course._quiet``): INFO-level C++ logs are off
unless ``TF_CPP_MIN_LOG_LEVEL`` says otherwise, warnings and errors still show.
"""

import importlib
import os

from . import _quiet

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's C++ INFO lines (XLA, devices): off
_quiet.install_import_hook()

__all__ = ["runtime", "data", "plots", "checks", "nn", "vision", "style", "sequence", "generative",
           "transformers", "rl", "deploy", "serving"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course' has no attribute {name!r}")
