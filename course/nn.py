"""The from-scratch NumPy toolkit of Weeks 1-2, for the lessons that build on it.

Week 1 has students write these functions themselves (graded); from Week 2 on, lessons import the
course's versions from here so no notebook re-defines them. All functions work on float arrays of
any batch shape and are numerically stable.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


def tanh_grad(z):
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_grad(z):
    """Derivative of ReLU, taking 0 at z == 0 (the convention TensorFlow uses)."""
    return (np.asarray(z) > 0).astype(float)


def leaky_relu(z, alpha: float = 0.01):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha: float = 0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


def softmax(z, axis: int = -1):
    """exp(z) / sum(exp(z)) along ``axis``, shifted by the max so it never overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(labels, num_classes: int):
    """Integer labels (n,) -> float one-hot matrix (n, num_classes)."""
    labels = np.asarray(labels)
    out = np.zeros((labels.size, num_classes))
    out[np.arange(labels.size), labels.ravel()] = 1.0
    return out


def dense_forward(x, W, b):
    """Affine layer: x (n, d_in) @ W (d_in, d_out) + b (d_out,)."""
    return np.asarray(x) @ W + b


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu,
               "linear": lambda z: np.asarray(z, dtype=float)}
ACTIVATION_GRADS = {"sigmoid": sigmoid_grad, "tanh": tanh_grad, "relu": relu_grad,
                    "leaky_relu": leaky_relu_grad, "linear": lambda z: np.ones_like(z, dtype=float)}
