"""Planted plausible mistakes for project6: each must cost points in its exercise."""

MISTAKES = {
    # exercise id: [(exact text in the solution cell, replacement, why it is plausible), ...]
    "project6-returns": [
        ("            if terminated[k]:\n                discount = 0.0\n                break\n",
         "            if terminated[k]:\n                break\n",
         "bootstraps through the terminal state (discount not zeroed)"),
        ("total += discount * rewards[k]", "total += rewards[k]",
         "n-step rewards not discounted"),
        ("if k - t + 1 == n or k == T - 1:", "if k - t == n or k == T - 1:",
         "off by one: sums n + 1 rewards"),
    ],
    "project6-td-targets": [
        ("tf.gather(tf.cast(next_q_target, tf.float32), best_next", "tf.gather(tf.cast(next_q_online, tf.float32), best_next",
         "used the online network for the target value"),
        ("best_next = tf.argmax(next_q_online, axis=1)", "best_next = tf.argmax(next_q_online, axis=0)",
         "argmax over the wrong axis (the batch instead of the actions)"),
        ("tf.cast(returns, tf.float32) + tf.cast(discounts, tf.float32) * bootstrap",
         "tf.cast(returns, tf.float32) + 0.99 * bootstrap",
         "one-step discount instead of the stored n-step discount (and bootstraps through terminals)"),
    ],
    "project6-advantages": [
        ("keras.ops.mean(advantages, axis=1, keepdims=True)", "keras.ops.mean(advantages, axis=0, keepdims=True)",
         "mean advantage over the wrong axis (the batch instead of the actions)"),
        ("return values + centered", "return values + advantages",
         "forgot to subtract the mean advantage"),
    ],
    "project6-agent": [
        ("agent_model.save(POLICY_PATH)", 'agent_model.save_weights("project6_policy.weights.h5")',
         "saved only the weights: the grader cannot load a model from them"),
        ('"total_steps": TRAIN_STEPS,', '"total_steps": TRAIN_STEPS // 100,',
         "a debugging budget left in: trains for 1% of the steps"),
        ('"learning_starts": 1_000,', '"learning_starts": 10 * TRAIN_STEPS,',
         "learning never starts within the budget (the agent stays random)"),
    ],
}
