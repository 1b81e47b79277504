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
    ],
    "week10-pg-loss": [
        ("tf.cast(returns, log_probs.dtype) - tf.cast(baselines, log_probs.dtype)", "tf.cast(returns, log_probs.dtype)",
         "baseline not subtracted"),
        ("return -tf.reduce_mean(log_prob_taken * weights)", "return tf.reduce_mean(log_prob_taken * weights)",
         "sign error: minimizes the return (gradient descent on the objective instead of ascent)"),
        ("log_probs = tf.nn.log_softmax(logits, axis=-1)", "log_probs = tf.nn.softmax(logits, axis=-1)",
         "used probabilities instead of log-probabilities"),
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
    ],
    "week10-a2c-loss": [
        ("return policy_loss + value_coef * value_loss - entropy_coef * entropy",
         "return policy_loss + value_coef * value_loss + entropy_coef * entropy",
         "entropy bonus with the wrong sign (penalizes exploration)"),
        ("tf.stop_gradient(tf.cast(advantages, log_probs.dtype))", "tf.cast(advantages, log_probs.dtype)",
         "no tf.stop_gradient on the advantages"),
        ("-tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1)", "-tf.reduce_sum(log_probs, axis=-1)",
         "entropy written as -sum log p instead of -sum p log p"),
    ],
    "week10-gaussian-logprob": [
        ("per_dim = -0.5 * tf.square(z) - log_std - 0.5 * np.log(2.0 * np.pi)",
         "per_dim = -0.5 * tf.square(z) - log_std",
         "log-prob missing the -0.5 log(2 pi) constant"),
        ("return tf.reduce_sum(per_dim, axis=-1)", "return tf.reduce_mean(per_dim, axis=-1)",
         "averages instead of summing over the action dimensions"),
        ("z = (actions - mean) / tf.exp(log_std)", "z = (actions - mean) / log_std",
         "used log_std as if it were the standard deviation"),
    ],
}
