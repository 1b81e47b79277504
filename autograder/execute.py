"""Execute notebooks with papermill (``dls check``, the benchmark) and read what they report.

A notebook reports figures by printing one line ``RESULTS {"name": value, ...}`` (JSON); every such
line found in the executed notebook's outputs is merged into ``Execution.results``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline import grading_env


@dataclass
class Execution:
    notebook: Path
    fast: bool
    seconds: float
    error: str | None = None
    results: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def results_of(nb) -> dict:
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            for line in text.splitlines():
                if line.startswith("RESULTS "):
                    out.update(json.loads(line[len("RESULTS "):]))
    return out


def execute(notebook: Path, output: Path, fast: bool = True, timeout: int = 1800) -> Execution:
    """Run ``notebook`` top to bottom with papermill (``FAST`` injected), save it to ``output``.

    The kernel runs in ``output``'s folder (as nbgrader autograde runs in autograded/<student>/…), so
    files a notebook writes (saved models, GIFs) never land in source_notebooks/ or release/."""
    import nbformat
    import papermill as pm

    env = grading_env(fast)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(notebook), str(output), parameters={"FAST": fast}, kernel_name="python3",
                            cwd=str(output.parent), progress_bar=False, execution_timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - report any failure of the run
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.perf_counter() - t0
    results = results_of(nbformat.read(str(output), as_version=4)) if output.exists() else {}
    return Execution(notebook, fast, seconds, error, results)
