"""Planted plausible mistakes for week05: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week05-rnn-forward": [
        ('h = np.tanh(x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"])',
         'h = np.tanh(x[:, t] @ params["Wx"] + h0 @ params["Wh"] + params["b"])',
         "reads the initial state h0 at every step instead of the previous state"),
        ('H[:, t] = h', 'H[:, t] = h @ params["Wh"]',
         "stores the recurrent contribution instead of the state itself"),
        ("h = np.tanh(", "h = nn.relu(",
         "ReLU instead of tanh in the recurrent cell (Keras's SimpleRNN uses tanh)"),
    ],
    "week05-rnn-backward": [
        ("dh = dH[:, t] + dh_next", "dh = dH[:, t]",
         "forgot the gradient flowing back from the next time step (truncated BPTT of length 1)"),
        ("da = dh * (1.0 - H[:, t] ** 2)", "da = dh * (1.0 - H[:, t])",
         "wrong tanh derivative: 1 - h instead of 1 - h**2"),
        ("h_prev = H[:, t - 1] if t > 0 else h0", "h_prev = H[:, t]",
         "off by one in time: multiplies by h_t instead of h_{t-1} for dWh"),
    ],
    "week05-clip": [
        ("factor = max_norm / max(global_norm, max_norm)", "factor = max_norm / global_norm",
         "always rescales to max_norm, also scaling small gradients UP"),
        ("global_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))",
         "global_norm = float(sum(np.linalg.norm(g) for g in grads))",
         "sums the norms of the arrays instead of taking the norm of all entries together"),
    ],
    "week05-lstm-cell": [
        ("f = nn.sigmoid(z[:, H:2 * H])\n    g = np.tanh(z[:, 2 * H:3 * H])",
         "g = np.tanh(z[:, H:2 * H])\n    f = nn.sigmoid(z[:, 2 * H:3 * H])",
         "gate order i, c, f, o instead of Keras's i, f, c, o"),
        ("h_new = o * np.tanh(c_new)", "h_new = o * c_new",
         "forgot the tanh on the cell state in the output"),
        ("c_new = f * c + i * g", "c_new = f * c + g",
         "forgot the input gate when writing the candidate"),
    ],
    "week05-gru-cell": [
        ("candidate = np.tanh(xw[:, 2 * H:] + r * hu[:, 2 * H:])",
         "candidate = np.tanh(xw[:, 2 * H:] + (r * h) @ U[:, 2 * H:] + b[1, 2 * H:])",
         "reset_after=False (the paper's variant) although Keras defaults to reset_after=True"),
        ("return z * h + (1.0 - z) * candidate", "return (1.0 - z) * h + z * candidate",
         "swapped z and 1 - z (the convention of some textbooks, not Keras's)"),
        ("hu = h @ U + b[1]", "hu = h @ U",
         "forgot the second (recurrent) bias row of reset_after=True"),
    ],
    "week05-params": [
        ("return 3 * (per_gate + units)", "return 3 * per_gate",
         "forgot the GRU's second bias vector (reset_after=True)"),
        ("return 4 * per_gate", "return 4 * per_gate + units",
         "counted an extra bias vector for the LSTM"),
    ],
}
