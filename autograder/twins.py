"""The course's own answers to its graded exercises ("twins"), kept out of reach while that exercise is graded.

``course/`` ships working versions of some exercises so that later lessons can build on them
(``course.nn`` for Week 1's activations, ``course.deploy.quantize`` for Week 11, ...). Under
``dls grade``, the sandbox that runs a submission of assignment X gets each twin of X replaced by a
blocker (``probe.py``, ``_Twins``) that raises "``course.nn.sigmoid`` is the course's reference
answer to this exercise: write your own" when the *student's* code calls it, directly or through its
own ``def``. Calls that come from the course package itself (``course.deploy.tflite_predict`` uses
``quantize``), from the instructor's unchanged cells and from tests graded inside the sandbox still
reach the real function; the trusted test process is never touched (hidden tests may use twins as
references). Other assignments import the twins as usual (Week 2 uses ``course.nn``).

Targets are ``"module:attribute"`` or ``"module:Class.attribute"``. Keras entries (Week 5) hide what
the exercise's hidden test already hides in a single kernel (``count_params`` and the recurrent
layers), which a test in the trusted process cannot hide in the sandbox.

Limit: code copied out of ``course/`` (it is readable, like any installed library) is not a
delegation and is not detected; neither is a student who deliberately forges the course's module
name. Under stock ``nbgrader autograde`` (no sandbox) nothing is blocked.
"""

from __future__ import annotations

_NN = "course.nn"
_RNN = [f"keras.layers:{c}.__init__" for c in ("SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell")]

# assignment -> exercise (grade_id prefix of its cells) -> the twins that answer it
TWINS: dict[str, dict[str, list[str]]] = {
    "week01": {
        "week01-activations": [f"{_NN}:{f}" for f in ("sigmoid", "tanh", "relu", "leaky_relu")],
        "week01-activation-grads": [f"{_NN}:{f}_grad" for f in ("sigmoid", "tanh", "relu", "leaky_relu")],
        "week01-softmax": [f"{_NN}:softmax"],
        "week01-forward": [f"{_NN}:dense_forward"],
    },
    "week05": {
        "week05-params": ["keras.layers:Layer.count_params", *_RNN],
    },
    "week06": {
        "week06-adjust-logits": ["course.sequence:adjust_logits"],
        "week06-seasonal-naive": ["course.sequence:seasonal_naive_forecast"],
    },
    "week07": {
        "week07-mbstd": ["course.generative:MinibatchStdDev"],
    },
    "week11": {
        "week11-qparams": ["course.deploy:affine_qparams"],
        "week11-quantize": ["course.deploy:quantize", "course.deploy:dequantize"],
        "week11-tflite-classify": ["course.deploy:tflite_predict"],
        "week11-magnitude-mask": ["course.deploy:magnitude_mask"],
        "week11-sparsity-schedule": ["course.deploy:polynomial_sparsity"],
    },
    "week12": {
        "week12-validate-instances": ["course.serving:parse_instances"],
        "week12-latency-summary": ["course.deploy:latency_summary"],
        "week12-tf-config": ["course.deploy:tf_config"],
    },
    "project4": {
        "project4-encode": ["course.transformers:encode"],
    },
    "project5": {
        "project5-frechet": ["course.generative:feature_statistics", "course.generative:frechet_distance"],
    },
}


def blocked(assignment: str) -> dict[str, str]:
    """``{target: exercise}``: what the sandbox of ``assignment`` blocks, and which exercise each answers."""
    return {t: ex for ex, targets in TWINS.get(assignment, {}).items() for t in targets}
