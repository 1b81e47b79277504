"""TensorFlow's C++ start-up noise, filtered out of the process's stderr (standard library only).

TensorFlow 2.21 writes its start-up log from C++ straight to file descriptor 2, before its logging is
initialised, so neither ``TF_CPP_MIN_LOG_LEVEL`` nor Python's ``sys.stderr`` can silence it. On a
CPU machine a notebook's setup cell showed a dozen lines ending in an alarming ``failed call to
cuInit``. ``native_stderr_filtered()`` points fd 2 at a temporary file for the duration of a block
(importing TensorFlow, probing for GPUs), then writes back every line that is not known noise: real
errors and warnings still reach the notebook, only later.

``install_import_hook()`` (called by ``import course``) applies the filter to the first
``import tensorflow`` of the process, wherever it comes from (``import keras`` included).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

# Each pattern matches one line TensorFlow prints on every start-up and that asks nothing of anyone.
NOISE = [re.compile(p) for p in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    r"^I\d{4} .*\] oneDNN custom operations are on\.",
    r"^I\d{4} .*cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, GPU will not be used\.$",
    r"^I\d{4} .*cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use available CPU instructions",
    r"^To enable the following instructions: .*, in other operations, rebuild TensorFlow with the appropriate "
    r"compiler flags\.$",
    r"^[EW]\d{4} .*Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin",
    r"^W\d{4} .*computation_placer\.cc:\d+\] computation placer already registered",
    r"^W\d{4} .*TF-TRT Warning: Could not find TensorRT$",
    # the TFLite converter (course.deploy.tflite_bytes), on every full-integer conversion
    r"^fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+$",
    r"^[IW]\d{4} .*(tf_tfl_flatbuffer_helpers|reader|loader|flatbuffer_export)\.cc:\d+\] ",
)]
# Only noise where no NVIDIA device exists: with one, a failing cuInit is a real driver problem.
NO_GPU_NOISE = re.compile(r"^E\d{4} .*cuda_platform\.cc:\d+\] failed call to cuInit: ")


def _has_nvidia_device() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")


def is_noise(line: str) -> bool:
    line = line.rstrip("\r\n")
    if any(p.search(line) for p in NOISE):
        return True
    return bool(NO_GPU_NOISE.search(line)) and not _has_nvidia_device()


@contextlib.contextmanager
def native_stderr_filtered():
    """Capture fd 2 during the block; afterwards write back every line that is not known noise."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (a detached process): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()  # Python-level writes that went to fd 2 belong to the capture
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [ln for ln in capture.read().decode(errors="replace").splitlines(keepends=True)
                    if not is_noise(ln)]
            if kept:
                text = "".join(kept)
                os.write(2, (text if text.endswith("\n") else text + "\n").encode())


class _FilteredLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        remove_import_hook()  # once: the first import is the noisy one
        # TensorFlow sees its own loader: only the execution of its __init__ is filtered
        module.__loader__ = module.__spec__.loader = self.loader
        with native_stderr_filtered():
            self.loader.exec_module(module)


class _TensorFlowImportFilter(importlib.abc.MetaPathFinder):
    _finding = False

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self._finding:
            return None
        self._finding = True  # the other finders locate TensorFlow; this one only wraps its loader
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _FilteredLoader(spec.loader)
        return spec


def install_import_hook() -> None:
    """Filter the noise of the process's first ``import tensorflow`` (no-op when already imported)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _TensorFlowImportFilter) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _TensorFlowImportFilter())


def remove_import_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _TensorFlowImportFilter)]
