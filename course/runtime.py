"""Runtime set-up shared by every notebook (introduced in Week 1, "Setup").

``setup()`` seeds everything, makes GPU memory grow on demand, picks a mixed-precision policy
where the GPU benefits from it, and prints a one-line device report. ``fast_mode()`` is the one
switch that shrinks every notebook for CI; ``strategy()`` returns the ``tf.distribute`` strategy
that fits the machine.
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np

from ._quiet import native_stderr_filtered

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def fast_mode(default: bool = False) -> bool:
    """True when the notebook should run in FAST (smoke-test) mode.

    Read from the environment variable ``COURSE_FAST`` (``1``/``true``/``yes``); papermill can
    override it by injecting ``FAST = True`` into the ``parameters`` cell. When ``COURSE_FAST`` is
    unset, ``nbgrader validate`` and JupyterLab's Validate button (the kernels they start see
    ``NBGRADER_EXECUTION=validate``) run FAST: validation checks the tests pass, not how well a model
    trains. Ordinary runs, ``nbgrader autograde`` included, keep ``default``.
    """
    raw = os.environ.get("COURSE_FAST")
    if raw is None:
        return True if os.environ.get("NBGRADER_EXECUTION") == "validate" else default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"COURSE_FAST={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def on_colab() -> bool:
    """True inside Google Colab."""
    try:
        import google.colab  # noqa: F401
    except ImportError:
        return False
    return True


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and the Keras backend (call it before building every model)."""
    random.seed(seed)
    np.random.seed(seed)
    import keras

    keras.utils.set_random_seed(seed)


def _gpus():
    with native_stderr_filtered():  # the first probe loads CUDA: "failed call to cuInit" on a CPU machine
        import tensorflow as tf

        return tf.config.list_physical_devices("GPU")


def _configure_gpus(gpus) -> None:
    import tensorflow as tf

    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised: growth can only be set before first use
            pass


def _pick_precision(gpus, mixed_precision: str | bool) -> str:
    """'mixed_float16' on GPUs with tensor cores (compute capability >= 7.0), else 'float32'."""
    if mixed_precision in (False, "off", "float32"):
        return "float32"
    if mixed_precision in (True, "on", "mixed_float16"):
        return "mixed_float16"
    if mixed_precision != "auto":
        raise ValueError(f"mixed_precision={mixed_precision!r}: use 'auto', True or False")
    if not gpus:
        return "float32"
    import tensorflow as tf

    details = tf.config.experimental.get_device_details(gpus[0])
    major, _minor = details.get("compute_capability", (0, 0)) or (0, 0)
    return "mixed_float16" if major >= 7 else "float32"


def device_report() -> str:
    """One line naming the accelerator (or the CPU) the notebook runs on."""
    gpus = _gpus()
    if gpus:
        import tensorflow as tf

        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return f"{len(gpus)} GPU(s): {', '.join(names)}"
    return f"CPU only ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def setup(seed: int = 42, mixed_precision: str | bool = "auto", verbose: bool = True) -> dict:
    """Prepare the runtime for a lesson and print what was chosen.

    - seeds Python, NumPy and Keras (``set_seed``);
    - enables GPU memory growth and, where the GPU has tensor cores, the ``mixed_float16`` policy
      (``mixed_precision=False`` turns it off, e.g. for from-scratch NumPy lessons);
    - prints versions, device, precision policy and FAST mode.

    Returns the same facts as a dict. Never asserts that a GPU exists. TensorFlow's C++ start-up
    noise (oneDNN, CUDA stubs, ``cuInit`` on a CPU machine) is filtered from stderr; anything else
    it prints still shows.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    with native_stderr_filtered():
        import keras
        import tensorflow as tf

    gpus = _gpus()
    _configure_gpus(gpus)
    policy = _pick_precision(gpus, mixed_precision)
    keras.mixed_precision.set_global_policy(policy)
    set_seed(seed)
    info = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "device": device_report(),
        "precision": policy,
        "fast": fast_mode(),
        "seed": seed,
        "colab": on_colab(),
    }
    if verbose:
        print(
            f"TensorFlow {info['tensorflow']} | Keras {info['keras']} | NumPy {info['numpy']} | "
            f"{info['device']} | precision {policy} | FAST={info['fast']} | seed {seed}"
        )
    return info


def strategy():
    """The ``tf.distribute`` strategy that fits this machine (introduced in Week 11).

    - ``TF_CONFIG`` names a cluster -> ``MultiWorkerMirroredStrategy`` (one process per worker);
    - several GPUs -> ``MirroredStrategy``;
    - otherwise the default strategy (one device, CPU or GPU).

    The same ``with course.runtime.strategy().scope(): model = ...`` runs unchanged on all three.
    """
    import json

    import tensorflow as tf

    tf_config = os.environ.get("TF_CONFIG")
    if tf_config:
        cluster = json.loads(tf_config).get("cluster", {})
        if sum(len(v) for v in cluster.values()) > 1:
            return tf.distribute.MultiWorkerMirroredStrategy()
    if len(_gpus()) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
