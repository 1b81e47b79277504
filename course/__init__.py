"""Helpers the course notebooks import: ``runtime``, ``data``, ``plots``, ``checks``, ``nn``.

Submodules are imported lazily so that ``import course`` stays cheap (TensorFlow is only
imported by the helpers that need it).
"""

import importlib

__all__ = ["runtime", "data", "plots", "checks", "nn"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'course' has no attribute {name!r}")
