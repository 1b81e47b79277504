"""Planted plausible mistakes for week10: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "week10-returns": [
        ("running = rewards[t] + gamma * running", "running = rewards[t] + running",
         "returns not discounted (gamma forgotten)"),
        ("for t in reversed(range(len(rewards))):", "for t in range(len(rewards)):",
         "accumulates forwards: returns reversed in time (sums the past, not the future)"),
        ("return returns\n", "return returns[::-1]\n",
         "returns the array in reversed order"),
        ("    returns = np.zeros(len(rewards), dtype=np.float64)\n    running = 0.0\n"
         "    for t in reversed(range(len(rewards))):\n        running = rewards[t] + gamma * running\n"
         "        returns[t] = running\n    return returns\n",
         "    returns = np.asarray(rewards, dtype=np.float64)\n    for t in reversed(range(len(returns) - 1)):\n"
         "        returns[t] += gamma * returns[t + 1]\n    return returns\n",
         "accumulates in place: overwrites the caller's float rewards array with the returns"),
        ("returns = np.zeros(len(rewards), dtype=np.float64)", "returns = np.zeros_like(rewards)",
         "np.zeros_like(rewards): integer rewards give an integer array that truncates the returns"),
    ],
    "week10-pg-loss": [
        ("tf.cast(returns, log_probs.dtype) - tf.cast(baselines, log_probs.dtype)", "tf.cast(returns, log_probs.dtype)",
         "baseline not subtracted"),
        ("return -tf.reduce_mean(log_prob_taken * weights)", "return tf.reduce_mean(log_prob_taken * weights)",
         "sign error: minimizes the return (gradient descent on the objective instead of ascent)"),
        ("log_probs = tf.nn.log_softmax(logits, axis=-1)", "log_probs = tf.nn.softmax(logits, axis=-1)",
         "used probabilities instead of log-probabilities"),
        ("log_probs = tf.nn.log_softmax(logits, axis=-1)", "log_probs = tf.math.log(tf.nn.softmax(logits, axis=-1))",
         "log of softmax: log(0) = -inf once a probability underflows (confident policies)"),
        ("log_prob_taken = tf.gather(log_probs, tf.cast(actions, tf.int32), axis=1, batch_dims=1)",
         "log_prob_taken = tf.gather_nd(log_probs, np.stack([np.arange(len(actions)), actions], axis=1))",
         "NumPy indices built from the actions: fine eagerly, fails inside the tf.function update"),
    ],
    "week10-gae": [
        ("next_advantage = delta + gamma * lam * not_done * next_advantage",
         "next_advantage = lam * delta + gamma * not_done * next_advantage",
         "GAE lambda misplaced (scales the TD error instead of the carried advantage)"),
        ("delta = rewards[t] + gamma * not_done * next_value - values[t]",
         "delta = values[t] - (rewards[t] + gamma * not_done * next_value)",
         "advantage sign flipped (V - target)"),
        ("not_done = 1.0 - dones[t]", "not_done = 1.0",
         "ignores episode ends: values and advantages leak across episodes"),
        ("rewards, values, dones = (np.asarray(x, dtype=np.float64) for x in (rewards, values, dones))",
         "rewards, values, dones = (np.asarray(x) for x in (rewards, values, dones))",
         "no float conversion: integer rewards give an integer advantage array that truncates"),
        ("    advantages = np.zeros_like(rewards)\n    next_value = np.asarray(last_value, dtype=np.float64)\n",
         "    next_values = np.concatenate([values[1:], np.asarray(last_value, dtype=np.float64)[None]])\n"
         "    rewards += gamma * (1.0 - dones) * next_values - values\n"
         "    for t in reversed(range(len(rewards) - 1)):\n"
         "        rewards[t] += gamma * lam * (1.0 - dones[t]) * rewards[t + 1]\n"
         "    return rewards\n"
         "    advantages = np.zeros_like(rewards)\n    next_value = np.asarray(last_value, dtype=np.float64)\n",
         "right values, but computed in the caller's float rewards array (overwritten with the advantages)"),
    ],
    "week10-a2c-loss": [
        ("return policy_loss + value_coef * value_loss - entropy_coef * entropy",
         "return policy_loss + value_coef * value_loss + entropy_coef * entropy",
         "entropy bonus with the wrong sign (penalizes exploration)"),
        ("tf.stop_gradient(tf.cast(advantages, log_probs.dtype))", "tf.cast(advantages, log_probs.dtype)",
         "no tf.stop_gradient on the advantages"),
        ("-tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)", "-tf.reduce_sum(log_probs, axis=-1)",
         "entropy written as -sum log p instead of -sum p log p"),
        ("-tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)",
         "-tf.reduce_sum(tf.nn.softmax(logits) * tf.math.log(tf.nn.softmax(logits)), axis=-1)",
         "entropy from log(softmax): 0 * log(0) = NaN for a policy that is certain"),
        ("value_loss = tf.reduce_mean(tf.square(tf.cast(returns, values.dtype) - values))",
         "value_loss = tf.reduce_mean(tf.square(tf.cast(returns, values.dtype) - tf.stop_gradient(values)))",
         "stop_gradient on the values too: the critic is never trained"),
    ],
    "week10-gaussian-logprob": [
        ("per_dim = -0.5 * tf.square(z) - log_std - 0.5 * np.log(2.0 * np.pi)",
         "per_dim = -0.5 * tf.square(z) - log_std",
         "log-prob missing the -0.5 log(2 pi) constant"),
        ("return tf.reduce_sum(per_dim, axis=-1)", "return tf.reduce_mean(per_dim, axis=-1)",
         "averages instead of summing over the action dimensions"),
        ("z = (actions - mean) / tf.exp(log_std)", "z = (actions - mean) / log_std",
         "used log_std as if it were the standard deviation"),
        ("per_dim = -0.5 * tf.square(z) - log_std - 0.5 * np.log(2.0 * np.pi)",
         "per_dim = tf.math.log(tf.exp(-0.5 * tf.square(z)) / (tf.exp(log_std) * np.sqrt(2.0 * np.pi)))",
         "log of the density: the density underflows to 0 far in the tails, log(0) = -inf"),
        ("    actions = tf.cast(actions, tf.float32)\n    mean = tf.cast(mean, tf.float32)\n"
         "    log_std = tf.cast(log_std, tf.float32)\n",
         "",
         "no casts: float64 inputs give a float64 log-density"),
    ],
}
