"""Planted plausible mistakes for week09: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week09-epsilon-greedy": [
        ("if rng.random() < epsilon:", "if rng.random() > epsilon:",
         "inverted test: explores with probability 1 - epsilon"),
        ("int(rng.integers(len(q_values)))", "int(rng.integers(len(q_values) - 1))",
         "off by one: the random action never picks the last action"),
        ("return int(np.argmax(q_values))", "return int(np.argmin(q_values))",
         "greedy branch takes the smallest Q-value"),
        ("if rng.random() < epsilon:", "if np.random.random() < epsilon:",
         "draws the explore/exploit coin from NumPy's global generator, not rng: a seed cannot replay it"),
        ("return int(np.argmax(q_values))",
         "return int(rng.choice(np.flatnonzero(q_values == np.max(q_values))))",
         "breaks ties at random, while the contract asks for the lowest tied index"),
    ],
    "week09-q-update": [
        ("bootstrap = 0.0 if terminated else gamma * np.max(Q[s_next])",
         "bootstrap = gamma * np.max(Q[s_next])",
         "bootstraps through terminal states"),
        ("np.max(Q[s_next])", "np.max(Q[s])",
         "maximizes over the current state's Q-values instead of the next state's"),
        ("Q[s, a] += alpha * td_error", "Q[s, a] += td_error",
         "forgot the learning rate alpha"),
        ("return float(td_error)", "return float(r + bootstrap - Q[s, a])",
         "returns the TD error recomputed after the update (already shrunk by 1 - alpha)"),
    ],
    "week09-td-targets": [
        ("terminated = tf.cast(terminated, tf.float32)", "terminated = tf.zeros_like(rewards)",
         "ignores the terminal flags: bootstraps through terminal states"),
        ("tf.reduce_max(tf.cast(next_q, tf.float32), axis=1)", "tf.reduce_max(tf.cast(next_q, tf.float32), axis=0)",
         "max over the wrong axis (the batch instead of the actions)"),
        ("rewards + gamma * (1.0 - terminated) * next_value", "rewards + (1.0 - terminated) * next_value",
         "forgot the discount factor"),
        ("tf.reduce_max(tf.cast(next_q, tf.float32), axis=1)", "np.max(next_q, axis=1).astype(np.float32)",
         "NumPy max: fine when called eagerly, fails inside the tf.function train step"),
        ("    rewards = tf.cast(rewards, tf.float32)\n    terminated = tf.cast(terminated, tf.float32)\n"
         "    next_value = tf.reduce_max(tf.cast(next_q, tf.float32), axis=1)",
         "    next_value = tf.reduce_max(next_q, axis=1)",
         "no casts: float64 inputs give float64 targets"),
    ],
    "week09-dqn-loss": [
        ("return tf.reduce_mean(0.5 * quadratic**2 + delta * linear)", "return tf.reduce_mean(0.5 * error**2)",
         "mean squared error instead of the Huber loss"),
        ("tf.gather(q_values, tf.cast(actions, tf.int32), axis=1, batch_dims=1)", "tf.reduce_max(q_values, axis=1)",
         "used the greedy Q-value max_a Q(s, a) instead of the Q-value of the action taken"),
        ("error = tf.stop_gradient(tf.cast(targets, q_taken.dtype)) - q_taken",
         "error = tf.cast(targets, q_taken.dtype) - q_taken",
         "no tf.stop_gradient: the gradient also pushes the targets"),
        ("    quadratic = tf.minimum(abs_error, delta)\n    linear = abs_error - quadratic\n"
         "    return tf.reduce_mean(0.5 * quadratic**2 + delta * linear)",
         "    small = tf.cast(abs_error <= delta, error.dtype)\n"
         "    return tf.reduce_mean(small * 0.5 * error**2 + (1.0 - small) * delta * (abs_error - 0.5 * delta))",
         "masks the two Huber branches by multiplication: 0 * inf = NaN once e**2 overflows float32"),
        ("q_taken = tf.gather(q_values, tf.cast(actions, tf.int32), axis=1, batch_dims=1)",
         "q_taken = tf.gather_nd(q_values, np.stack([np.arange(len(actions)), np.asarray(actions)], axis=1))",
         "NumPy indices built from the actions: fine eagerly, fails inside the tf.function train step"),
        ("    error = tf.stop_gradient(tf.cast(targets, q_taken.dtype)) - q_taken\n    abs_error = tf.abs(error)\n"
         "    quadratic = tf.minimum(abs_error, delta)\n    linear = abs_error - quadratic\n"
         "    return tf.reduce_mean(0.5 * quadratic**2 + delta * linear)",
         "    return keras.losses.Huber(delta=delta)(tf.stop_gradient(tf.cast(targets, q_taken.dtype))[:, None],"
         " q_taken[:, None])",
         "calls keras.losses.Huber, the reference, instead of writing the loss"),
    ],
    "week09-double-dqn": [
        ("tf.gather(tf.cast(next_q_target, tf.float32), best_next", "tf.gather(tf.cast(next_q_online, tf.float32), best_next",
         "used the online network to evaluate the chosen action too (no target network)"),
        ("best_next = tf.argmax(next_q_online, axis=1)", "best_next = tf.argmax(next_q_target, axis=1)",
         "the target network chooses the action: that is plain DQN, not Double DQN"),
        ("gamma * not_done * next_value", "gamma * next_value",
         "bootstraps through terminal states"),
        ("best_next = tf.argmax(next_q_online, axis=1)", "best_next = np.argmax(next_q_online, axis=1)",
         "NumPy argmax: fine when called eagerly, fails inside the tf.function train step"),
        ("tf.gather(tf.cast(next_q_target, tf.float32), best_next, axis=1, batch_dims=1)",
         "tf.gather(next_q_target, best_next, axis=1, batch_dims=1)",
         "no cast: float64 inputs give float64 targets"),
    ],
}
