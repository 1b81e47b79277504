"""Planted plausible mistakes for week02: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week02-softmax-xent": [
        ("dlogits = (nn.softmax(logits) - y_onehot) / n", "dlogits = nn.softmax(logits) - y_onehot",
         "forgot the 1/n of the mean loss in the gradient"),
        ("loss = -np.sum(y_onehot * log_probs) / n", "loss = -np.sum(y_onehot * log_probs)",
         "summed the loss over the batch instead of averaging it"),
        ("log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
         "log_probs = np.log(nn.softmax(logits))",
         "took the log of the softmax: -inf (then NaN) when a probability underflows to 0"),
    ],
    "week02-dense-backward": [
        ("dW = X.T @ dZ", "dW = X.T @ dZ / len(X)",
         "divided by the batch size again although dZ already holds the 1/n of the mean loss"),
        ("db = dZ.sum(axis=0)", "db = dZ.mean(axis=0)",
         "averaged the bias gradient over the batch instead of summing it"),
        ("dX = dZ @ W.T", "dX = dZ @ W",
         "forgot the transpose of W when sending the gradient back"),
    ],
    "week02-mlp-backward": [
        ("dZ = dA_prev * nn.relu_grad(cache[layer - 2][1])", "dZ = dA_prev",
         "forgot the ReLU derivative between layers"),
        ("for layer in range(L, 0, -1):", "for layer in range(L, 1, -1):",
         "off by one: the backward loop stops before the first layer"),
        ('grads[f"b{layer}"] = dZ.sum(axis=0)', 'grads[f"b{layer}"] = dZ.sum(axis=1)',
         "bias gradient summed over the wrong axis (units instead of examples)"),
    ],
    "week02-init": [
        ("np.sqrt(2.0 / fan_in)", "np.sqrt(2.0 / fan_out)",
         "He initialization with the wrong fan (fan_out instead of fan_in)"),
        ("limit = np.sqrt(6.0 / (fan_in + fan_out))", "limit = np.sqrt(2.0 / (fan_in + fan_out))",
         "used the Xavier variance 2 / (fan_in + fan_out) as the limit of the uniform"),
    ],
    "week02-minibatches": [
        ("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)",
         "off by one: drops the last, partial batch"),
        ("yield X[idx], y[idx]", "yield X[idx], y[start:start + batch_size]",
         "shuffled X but sliced y in the original order, so pairs no longer match"),
        ("order = rng.permutation(n)", "order = np.arange(n)",
         "forgot to shuffle: the same batches in the same order every epoch"),
    ],
    "week02-momentum": [
        ("return w + v, v", "return w - v, v",
         "sign error: subtracts the velocity although it already holds -lr * g"),
        ("v = momentum * v - lr * g", "v = momentum * v - (1 - momentum) * lr * g",
         "used the exponentially weighted average (1 - beta) * g, which Keras's SGD does not"),
    ],
    "week02-rmsprop": [
        ("np.sqrt(s + epsilon)", "(np.sqrt(s) + epsilon)",
         "epsilon outside the square root (PyTorch's convention, not Keras's)"),
        ("s = rho * s + (1 - rho) * g**2", "s = rho * s + g**2",
         "forgot the (1 - rho) factor of the moving average"),
    ],
    "week02-adam": [
        ("alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)", "alpha = lr",
         "forgot the bias correction"),
        ("np.sqrt(v) + epsilon", "np.sqrt(v + epsilon)",
         "epsilon inside the square root (RMSprop's placement, not Adam's)"),
        ('t = state["t"] + 1', 't = state["t"]',
         "off by one: counts steps from 0, so the first bias correction divides 0 by 0"),
    ],
    "week02-keras-mlp": [
        ("layers.append(keras.layers.Dense(num_classes))",
         'layers.append(keras.layers.Dense(num_classes, activation="softmax"))',
         "softmax on the output although the loss expects logits (from_logits=True)"),
        ("layers = [keras.Input(shape=(input_dim,))]", "layers = []",
         "no keras.Input: the model is not built, so it has no weights or parameter count yet"),
        ('activation="relu", kernel_initializer="he_normal"', 'activation="relu"',
         "kept Keras's default Glorot initialization instead of He"),
    ],
}
