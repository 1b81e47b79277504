"""Planted plausible mistakes for week01: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week01-perceptron": [
        ("X @ w + b > 0", "X @ w + b >= 0",
         "a point exactly on the line (score 0) counted as class 1"),
        ("y[i] - perceptron_predict(X[i:i + 1], w, b)[0]", "perceptron_predict(X[i:i + 1], w, b)[0] - y[i]",
         "sign error: error taken as prediction minus label, so updates push the wrong way"),
        ("b = b + lr * error", "b = b",
         "forgot to update the bias, so the line must pass through the origin"),
        ("for i in rng.permutation(len(X)):", "for i in range(len(X)):",
         "visits the examples in a fixed order, ignoring rng: the run cannot be replayed from a seed"),
    ],
    "week01-xor": [
        ("b1 = np.array([-0.5, -1.5])", "b1 = np.array([-0.5, -0.5])",
         "copy-paste: both hidden units compute OR, none computes AND"),
        ("W2 = np.array([[1.0], [-1.0]])", "W2 = np.array([[1.0], [1.0]])",
         "output adds AND to OR instead of subtracting it"),
        ("b1 = np.array([-0.5, -1.5])", "b1 = np.array([0.0, -1.0])",
         "thresholds on the edge of their gaps (x1 + x2 > 0 and > 1): right on the corners, wrong next to them"),
    ],
    "week01-activations": [
        ("np.exp(-np.abs(z))", "np.exp(-z)",
         "forgot the absolute value in the stable sigmoid: wrong for z < 0 and overflows at z = -1000"),
        ("np.where(z > 0, z, alpha * z)", "np.where(z > 0, z, 0.01 * z)",
         "leaky ReLU hard-codes the default slope and ignores the alpha argument"),
        ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "1 / (1 + np.exp(-z))",
         "naive sigmoid 1 / (1 + exp(-z)): right values, but np.exp(1000) overflows at z = -1000"),
        ("return np.where(z > 0, z, alpha * z)", "z[z < 0] *= alpha\n    return z",
         "leaky ReLU scales the negative entries in place: right values, but the caller's array is changed"),
        ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "tf.math.sigmoid(z).numpy()",
         "sigmoid delegated to TensorFlow's tf.math.sigmoid instead of written from NumPy operations"),
    ],
    "week01-activation-grads": [
        ("1.0 - t ** 2", "1.0 - t",
         "forgot to square tanh in its derivative"),
        ("(z > 0).astype(float)", "(z >= 0).astype(float)",
         "ReLU derivative taken as 1 at z = 0 instead of TensorFlow's 0"),
        ("return (z > 0).astype(float)", "return z > 0",
         "relu_grad returns the boolean mask z > 0: right pattern, but not a float array"),
    ],
    "week01-softmax": [
        ("e.sum(axis=-1, keepdims=True)", "e.sum()",
         "normalized by the sum over the whole batch instead of each row"),
        ("shifted = z - z.max(axis=-1, keepdims=True)", "shifted = z",
         "no max-shift: exp overflows to inf/nan for logits near 1000"),
        ("shifted = z - z.max(axis=-1, keepdims=True)", "z -= z.max(axis=-1, keepdims=True)\n    shifted = z",
         "shifts the caller's logits in place (z -= max): right probabilities, but the input array is changed"),
    ],
    "week01-forward": [
        ("return x @ W + b", "return x @ W",
         "forgot the bias in the dense layer"),
        ("a = act(dense_forward(a, W, b))", "a = dense_forward(a, W, b)",
         "activations never applied: the MLP collapses to a linear map"),
        ("a = act(dense_forward(a, W, b))", "a = dense_forward(act(a), W, b)",
         "each activation applied to the layer's input instead of its output: the last softmax is never applied"),
    ],
}
