"""Unit tests of course/rl.py (Weeks 9-10, Project 6): replay buffer, schedules, evaluation on
fixed seeds, offscreen rendering to frames / GIF, learning-curve plots, the packaged DQN."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course import rl  # noqa: E402


def test_linear_schedule():
    f = rl.linear_schedule(1.0, 0.1, 10)
    assert f(0) == 1.0 and f(10) == pytest.approx(0.1) and f(100) == pytest.approx(0.1)
    assert f(5) == pytest.approx(0.55)
    assert rl.linear_schedule(1.0, 0.2, 0)(0) == 0.2


def test_replay_buffer_wraps_and_samples():
    buf = rl.ReplayBuffer(5, (2,), seed=0)
    assert len(buf) == 0
    with pytest.raises(ValueError):
        buf.sample(1)
    for i in range(7):  # 7 > capacity: the two oldest are overwritten
        buf.add([i, -i], i % 2, float(i), [i + 1, -i - 1], i == 6)
    assert len(buf) == 5
    assert sorted(buf.rewards.tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]
    b = buf.sample(4)
    assert set(b) == {"obs", "actions", "rewards", "next_obs", "terminated"}
    assert b["obs"].shape == (4, 2) and b["obs"].dtype == np.float32 and b["actions"].shape == (4,)
    # rows stay consistent: next_obs = obs + (1, -1), reward = obs[0]
    np.testing.assert_allclose(b["next_obs"] - b["obs"], np.tile([1.0, -1.0], (4, 1)))
    np.testing.assert_allclose(b["rewards"], b["obs"][:, 0])
    assert len(np.unique(b["rewards"])) == 4  # no repeats inside one batch when the buffer is large enough
    assert buf.terminated[buf.rewards == 6.0][0] == 1.0
    buf.add_batch(np.zeros((2, 2)), [0, 1], [9.0, 9.0], np.ones((2, 2)), [False, True])
    assert len(buf) == 5 and (buf.rewards == 9.0).sum() == 2
    with pytest.raises(ValueError):
        rl.ReplayBuffer(0, (1,))


def test_moving_average():
    np.testing.assert_allclose(rl.moving_average([1, 2, 3, 4], 2), [1.0, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(rl.moving_average([5.0], 10), [5.0])
    assert rl.moving_average([], 3).shape == (0,)


def test_evaluate_is_reproducible_on_fixed_seeds():
    always_left = lambda obs: 0  # noqa: E731
    a = rl.evaluate("CartPole-v1", always_left, [1, 2, 3])
    b = rl.evaluate("CartPole-v1", always_left, [1, 2, 3])
    assert a.shape == (3,) and np.array_equal(a, b) and np.all(a > 0) and np.all(a < 30)
    capped = rl.evaluate("CartPole-v1", lambda obs: int(obs[2] > 0), [1], max_steps=7)
    assert capped.tolist() == [7.0]


def test_record_episode_and_gif():
    frames, total = rl.record_episode("CartPole-v1", lambda obs: 0, seed=0, max_steps=6, every=2)
    assert frames[0].ndim == 3 and frames[0].shape[-1] == 3 and frames[0].dtype == np.uint8
    assert 2 <= len(frames) <= 5 and total == 6.0
    gif = rl.gif_bytes(frames, fps=10, scale=4)
    assert gif[:6] in (b"GIF87a", b"GIF89a")
    img = rl.show_gif(frames)
    assert img.format == "gif" and img.data[:3] == b"GIF"
    with pytest.raises(ValueError):
        rl.gif_bytes([])
    fig = rl.frame_grid(frames, n=4, ncols=2, title="t")
    assert len([ax for ax in fig.axes if ax.images]) == min(4, len(frames))


def test_plot_returns_draws_curves_and_target():
    fig = rl.plot_returns({"a": [1, 2, 3], "b": [3, 2, 1]}, window=2, target=2.5, xs={"a": [10, 20, 30]})
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # raw + average per series, plus the target line
    assert list(ax.lines[0].get_xdata()) == [10, 20, 30]


def test_greedy_and_mean_action_policies():
    import keras

    model = rl.build_q_network(3, 2, hidden=(4,), seed=0)
    w = model.get_weights()
    model.set_weights([np.zeros_like(x) for x in w[:-1]] + [np.array([0.0, 1.0], np.float32)])
    assert rl.greedy_policy(model)(np.zeros(3)) == 1
    inp = keras.Input(shape=(2,))
    mean_model = keras.Model(inp, keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inp))
    act = rl.mean_action_policy(mean_model, [-2.0], [2.0])
    np.testing.assert_allclose(act(np.array([0.5, 0.25])), [0.75], rtol=1e-6)
    np.testing.assert_allclose(act(np.array([5.0, 5.0])), [2.0])  # clipped to the bounds


def test_train_dqn_runs_and_reports():
    cfg = rl.DQNConfig(total_steps=300, hidden=(16,), learning_starts=100, train_freq=50, gradient_steps=2,
                       batch_size=16, buffer_size=1_000, target_update=50, eps_steps=200, eval_every=150,
                       eval_seeds=(0, 1), eval_max_steps=20, seed=1)
    res = rl.train_dqn("CartPole-v1", cfg, verbose=False)
    assert res.steps == 300 and res.episode_returns and len(res.episode_end_steps) == len(res.episode_returns)
    assert [s for s, _ in res.evals] == [150, 300] and res.best_eval == max(m for _, m in res.evals)
    assert res.model.output_shape == (None, 2) and res.seconds > 0
