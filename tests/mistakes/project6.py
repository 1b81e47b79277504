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
        ("last = np.zeros(T, dtype=np.int64)", "last = np.zeros(T)",
         "last stored as floats: the replay buffer cannot index observations with it"),
        ("    rewards = np.asarray(rewards, dtype=np.float64)\n    terminated = np.asarray(terminated, dtype=bool)\n"
         "    T = len(rewards)\n    returns = np.zeros(T)\n",
         "    terminated = np.asarray(terminated, dtype=bool)\n    T = len(rewards)\n    returns = np.zeros_like(rewards)\n",
         "np.zeros_like(rewards): integer rewards give an integer returns array that truncates"),
    ],
    "project6-td-targets": [
        ("tf.gather(tf.cast(next_q_target, tf.float32), best_next", "tf.gather(tf.cast(next_q_online, tf.float32), best_next",
         "used the online network for the target value"),
        ("best_next = tf.argmax(next_q_online, axis=1)", "best_next = tf.argmax(next_q_online, axis=0)",
         "argmax over the wrong axis (the batch instead of the actions)"),
        ("tf.cast(returns, tf.float32) + tf.cast(discounts, tf.float32) * bootstrap",
         "tf.cast(returns, tf.float32) + 0.99 * bootstrap",
         "one-step discount instead of the stored n-step discount (and bootstraps through terminals)"),
        ("best_next = tf.argmax(next_q_online, axis=1)", "best_next = np.argmax(next_q_online, axis=1)",
         "NumPy argmax: fine when called eagerly, fails inside the tf.function train step"),
    ],
    "project6-advantages": [
        ("keras.ops.mean(advantages, axis=1, keepdims=True)", "keras.ops.mean(advantages, axis=0, keepdims=True)",
         "mean advantage over the wrong axis (the batch instead of the actions)"),
        ("return values + centered", "return values + advantages",
         "forgot to subtract the mean advantage"),
        ("keras.ops.mean(advantages, axis=1, keepdims=True)", "np.mean(advantages, axis=1, keepdims=True)",
         "NumPy mean: fine on arrays, fails on the symbolic tensors inside the network"),
        ("keras.ops.mean(advantages, axis=1, keepdims=True)", "keras.ops.max(advantages, axis=1, keepdims=True)",
         "subtracts the max advantage (the other dueling variant), not the mean the text defines"),
    ],
    "project6-agent": [
        ("agent_model.save(POLICY_PATH)",
         "controller = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, use_bias=False)])\n"
         "controller.set_weights([np.array([[0.0, 0.0], [-0.5, 0.5], [-10.0, 10.0], [-2.0, 2.0]], np.float32)])\n"
         "controller.save(POLICY_PATH)  # a hand-set linear controller: push the way the pole falls",
         "saves a hand-set linear controller (return 500 on every seed) instead of the agent it trained"),
        ("agent_model.save(POLICY_PATH)",
         "build_dueling_network(4, 2, AGENT_CONFIG[\"hidden\"]).save(POLICY_PATH)",
         "saves a fresh, untrained dueling network instead of the trained one"),
        ("agent_model.save(POLICY_PATH)", 'agent_model.save_weights("project6_policy.weights.h5")',
         "saved only the weights: the grader cannot load a model from them"),
        ('"total_steps": TRAIN_STEPS,', '"total_steps": TRAIN_STEPS // 100,',
         "a debugging budget left in: trains for 1% of the steps"),
        ('"learning_starts": 1_000,', '"learning_starts": 10 * TRAIN_STEPS,',
         "learning never starts within the budget (the agent stays random)"),
    ],
}
