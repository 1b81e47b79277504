"""Reinforcement-learning helpers for Weeks 9-10 and Project 6 (deep reinforcement learning).

- Week 9, "Tabular Q-learning" and "Deep Q-networks": :func:`linear_schedule` (the decaying
  exploration rate), :class:`ReplayBuffer` (experience replay), :func:`evaluate` (greedy episodes
  on FIXED seeds), :func:`greedy_policy` (a ``tf.function`` that picks ``argmax Q``),
  :func:`plot_returns` / :func:`moving_average` (learning curves).
- Week 10, "Applications in games and robotics": :func:`record_episode` (render an episode
  offscreen with ``render_mode="rgb_array"``), :func:`gif_bytes` / :func:`show_gif` (an animated GIF
  shown in the notebook) and :func:`frame_grid` (a still grid of frames); :func:`train_dqn`, the
  course's DQN / Double-DQN agent — the one students build piece by piece in Week 9 — reused for
  LunarLander and by ``benchmarks/rl.py``.

Students write the algorithmic pieces themselves (epsilon-greedy, TD targets, the DQN loss,
returns, advantages, log-probabilities); this module only holds the plumbing around them.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np


# ------------------------------------------------------------------------------------ schedules
def linear_schedule(start: float, end: float, duration: int) -> Callable[[int], float]:
    """``f(step)``: goes linearly from ``start`` (step 0) to ``end`` (step ``duration``), then stays."""
    if duration <= 0:
        return lambda step: float(end)

    def f(step: int) -> float:
        frac = min(max(step, 0) / duration, 1.0)
        return float(start + frac * (end - start))

    return f


# -------------------------------------------------------------------------------- replay buffer
class ReplayBuffer:
    """A fixed-size circular store of transitions ``(s, a, r, s', terminated)`` (Week 9, DQN).

    Once full, the oldest transition is overwritten. ``sample`` draws a uniform random mini-batch
    (with replacement across calls, without replacement inside one batch when possible), which
    breaks the correlation between consecutive steps that makes online Q-learning unstable.
    Only *termination* (the task ended: no future reward) is stored; an episode cut by a time
    limit (*truncation*) is not terminal, and its last transition still bootstraps.
    """

    def __init__(self, capacity: int, obs_shape: Sequence[int], obs_dtype=np.float32,
                 action_shape: Sequence[int] = (), action_dtype=np.int32, seed: int | None = None):
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self.obs = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.next_obs = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros((capacity, *action_shape), dtype=action_dtype)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.terminated = np.zeros(capacity, dtype=np.float32)
        self.rng = np.random.default_rng(seed)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, obs, action, reward, next_obs, terminated) -> None:
        """Store one transition."""
        i = self._next
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = float(terminated)
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def add_batch(self, obs, actions, rewards, next_obs, terminated) -> None:
        """Store one transition per row (e.g. one step of a ``gymnasium.vector`` environment)."""
        for row in zip(obs, actions, rewards, next_obs, terminated):
            self.add(*row)

    def sample(self, batch_size: int) -> dict:
        """A random mini-batch: dict of arrays ``obs, actions, rewards, next_obs, terminated``."""
        if self._size == 0:
            raise ValueError("the buffer is empty")
        replace = batch_size > self._size
        idx = self.rng.choice(self._size, size=batch_size, replace=replace)
        return {"obs": self.obs[idx], "actions": self.actions[idx], "rewards": self.rewards[idx],
                "next_obs": self.next_obs[idx], "terminated": self.terminated[idx]}


# ------------------------------------------------------------------------------------ policies
def greedy_policy(model) -> Callable[[np.ndarray], int]:
    """``policy(obs) -> int``: the action with the largest Q-value (or logit) of a Keras model.

    The forward pass and the argmax run in one ``tf.function`` (traced once), never
    ``model.predict``, which costs milliseconds per call and would dominate an RL loop.
    """
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def act(obs):
        return tf.argmax(model(obs[None], training=False)[0])

    def policy(obs) -> int:
        return int(act(tf.convert_to_tensor(np.asarray(obs, dtype=np.float32))))

    return policy


def mean_action_policy(model, low, high) -> Callable[[np.ndarray], np.ndarray]:
    """``policy(obs) -> action``: the mean of a Gaussian policy whose model outputs the mean
    (first output if it returns several), clipped to the action bounds (Week 10, continuous control)."""
    import tensorflow as tf

    low = np.asarray(low, dtype=np.float32)
    high = np.asarray(high, dtype=np.float32)

    @tf.function(reduce_retracing=True)
    def act(obs):
        out = model(obs[None], training=False)
        mean = out[0] if isinstance(out, (list, tuple)) else out
        return mean[0]

    def policy(obs):
        a = act(tf.convert_to_tensor(np.asarray(obs, dtype=np.float32))).numpy()
        return np.clip(a, low, high)

    return policy


# ---------------------------------------------------------------------------------- evaluation
def _make(env, render_mode=None, **kwargs):
    import gymnasium as gym

    if callable(env) and not isinstance(env, str):
        return env(render_mode=render_mode, **kwargs) if render_mode else env(**kwargs)
    return gym.make(env, render_mode=render_mode, **kwargs)


def evaluate(env, policy: Callable, seeds: Iterable[int], max_steps: int | None = None,
             env_kwargs: Mapping | None = None) -> np.ndarray:
    """Total (undiscounted) return of one episode per seed, following ``policy(obs) -> action``.

    ``env`` is an environment id (``"CartPole-v1"``) or a factory. Each episode starts from
    ``env.reset(seed=s)``, so the same seeds give the same start states: comparisons between
    agents (and the grader's check) are reproducible. ``max_steps`` caps an episode (on top of the
    environment's own time limit) to bound the cost of an evaluation.
    """
    e = _make(env, **dict(env_kwargs or {}))
    returns = []
    try:
        for s in seeds:
            obs, _ = e.reset(seed=int(s))
            total, steps, done = 0.0, 0, False
            while not done:
                obs, reward, terminated, truncated, _ = e.step(policy(obs))
                total += float(reward)
                steps += 1
                done = terminated or truncated or (max_steps is not None and steps >= max_steps)
            returns.append(total)
    finally:
        e.close()
    return np.asarray(returns, dtype=np.float64)


# ----------------------------------------------------------------------------------- rendering
def record_episode(env, policy: Callable, seed: int = 0, max_steps: int = 500, every: int = 1,
                   env_kwargs: Mapping | None = None):
    """Play one episode offscreen (``render_mode="rgb_array"``) and keep every ``every``-th frame.

    Returns ``(frames, total_return)``: a list of ``(H, W, 3)`` uint8 images and the episode's
    return. No window opens, so it works on Colab and in CI.
    """
    e = _make(env, render_mode="rgb_array", **dict(env_kwargs or {}))
    frames, total = [], 0.0
    try:
        obs, _ = e.reset(seed=int(seed))
        frames.append(e.render())
        for t in range(1, max_steps + 1):
            obs, reward, terminated, truncated, _ = e.step(policy(obs))
            total += float(reward)
            if t % every == 0 or terminated or truncated:
                frames.append(e.render())
            if terminated or truncated:
                break
    finally:
        e.close()
    return frames, total


def gif_bytes(frames: Sequence[np.ndarray], fps: int = 30, scale: int = 2) -> bytes:
    """Encode frames as an animated GIF (bytes), keeping every pixel ``scale``-th to stay small."""
    import imageio.v3 as iio

    if not len(frames):
        raise ValueError("no frames to encode")
    small = np.stack([np.asarray(f)[::scale, ::scale] for f in frames]).astype(np.uint8)
    buf = io.BytesIO()
    iio.imwrite(buf, small, extension=".gif", duration=1000.0 / fps, loop=0)
    return buf.getvalue()


def show_gif(frames: Sequence[np.ndarray], fps: int = 30, scale: int = 2):
    """An ``IPython.display.Image`` of the episode as a GIF (display it as a cell's last value)."""
    from IPython.display import Image

    return Image(data=gif_bytes(frames, fps=fps, scale=scale), format="gif")


def frame_grid(frames: Sequence[np.ndarray], n: int = 8, ncols: int = 4, title: str | None = None,
               size: float = 2.2):
    """A still grid of ``n`` frames spread evenly over the episode, titled with their step index."""
    import matplotlib.pyplot as plt

    idx = np.unique(np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int))
    nrows = int(np.ceil(len(idx) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 0.75), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, idx):
        ax.imshow(frames[i])
        ax.set_title(f"frame {i}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------- learning curves
def moving_average(x, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (shorter at the start), same length as ``x``."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    window = max(1, int(window))
    c = np.cumsum(np.insert(x, 0, 0.0))
    hi = np.arange(1, len(x) + 1)
    lo = np.maximum(hi - window, 0)
    return (c[hi] - c[lo]) / (hi - lo)


def plot_returns(curves: Mapping[str, Sequence[float]], window: int = 20, xlabel: str = "episode",
                 ylabel: str = "return", target: float | None = None, title: str | None = None,
                 xs: Mapping[str, Sequence[float]] | None = None, ax=None):
    """Learning curves: each named series faint, with its ``window``-moving average on top.

    ``xs`` optionally gives each series its own x values (e.g. environment steps); ``target``
    draws the return at which the task counts as solved.
    """
    from .plots import _fig_ax

    fig, ax = _fig_ax(ax, (6.4, 3.6))
    for k, (name, ys) in enumerate(curves.items()):
        ys = np.asarray(ys, dtype=float)
        x = np.asarray(xs[name]) if xs and name in xs else np.arange(1, len(ys) + 1)
        color = f"C{k}"
        ax.plot(x, ys, color=color, alpha=0.25, lw=0.8)
        ax.plot(x, moving_average(ys, window), color=color, lw=1.8, label=f"{name} ({window}-avg)")
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=0.8, label=f"target {target:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- the course's DQN
@dataclass
class DQNConfig:
    """Hyperparameters of :func:`train_dqn` (defaults: CartPole-v1)."""

    total_steps: int = 50_000
    hidden: tuple = (256, 256)
    learning_rate: float = 1e-3
    gamma: float = 0.99
    batch_size: int = 64
    buffer_size: int = 50_000
    learning_starts: int = 1_000
    train_freq: int = 1               # environment steps between gradient phases
    gradient_steps: int = 1           # gradient steps per phase
    target_update: int = 500          # environment steps between target-network copies
    eps_start: float = 1.0
    eps_end: float = 0.02
    eps_steps: int = 10_000           # steps of the linear epsilon decay
    double: bool = True
    huber_delta: float = 1.0
    clipnorm: float | None = 10.0
    eval_every: int = 5_000           # steps between greedy evaluations (0: never)
    eval_seeds: tuple = tuple(range(10_000, 10_010))
    eval_max_steps: int | None = None
    stop_at: float | None = None      # stop once an evaluation reaches this mean return
    seed: int = 0


@dataclass
class DQNResult:
    model: object
    episode_returns: list = field(default_factory=list)
    episode_end_steps: list = field(default_factory=list)
    evals: list = field(default_factory=list)  # (step, mean greedy return)
    steps: int = 0
    seconds: float = 0.0
    best_eval: float = float("-inf")
    best_step: int = 0


def build_q_network(obs_dim: int, n_actions: int, hidden: Sequence[int] = (256, 256), seed: int = 0):
    """An MLP ``obs -> Q(obs, ·)``: ReLU hidden layers, one linear output per action."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(int(obs_dim),))]
    layers += [keras.layers.Dense(int(h), activation="relu") for h in hidden]
    layers.append(keras.layers.Dense(int(n_actions)))
    return keras.Sequential(layers)


def train_dqn(env_id: str, config: DQNConfig | None = None, verbose: bool = True,
              env_kwargs: Mapping | None = None) -> DQNResult:
    """Train a (Double) DQN with experience replay, a target network and the Huber loss.

    The reference implementation of the agent built in Week 9: epsilon-greedy exploration with a
    linearly decaying epsilon, TD targets ``r + gamma * (1 - terminated) * Q_target(s', a*)`` with
    ``a* = argmax Q_online(s')`` (Double DQN) or ``argmax Q_target(s')``, action selection and the
    train step in ``tf.function``. Evaluates greedily every ``eval_every`` steps on
    ``eval_seeds`` and keeps the best weights (returned in ``result.model``).
    """
    import gymnasium as gym
    import keras
    import tensorflow as tf

    cfg = config or DQNConfig()
    env = gym.make(env_id, **dict(env_kwargs or {}))
    obs_dim = int(np.prod(env.observation_space.shape))
    n_actions = int(env.action_space.n)
    online = build_q_network(obs_dim, n_actions, cfg.hidden, seed=cfg.seed)
    target = build_q_network(obs_dim, n_actions, cfg.hidden, seed=cfg.seed)
    target.set_weights(online.get_weights())
    opt = keras.optimizers.Adam(cfg.learning_rate, clipnorm=cfg.clipnorm)
    huber = keras.losses.Huber(delta=cfg.huber_delta)
    gamma, double = float(cfg.gamma), bool(cfg.double)

    @tf.function
    def act(obs):
        return tf.argmax(online(obs[None], training=False)[0])

    @tf.function
    def train_step(obs, actions, rewards, next_obs, terminated):
        next_target = target(next_obs, training=False)
        if double:
            best = tf.argmax(online(next_obs, training=False), axis=1)
        else:
            best = tf.argmax(next_target, axis=1)
        next_q = tf.gather(next_target, best, axis=1, batch_dims=1)
        y = rewards + gamma * (1.0 - terminated) * next_q
        with tf.GradientTape() as tape:
            q = tf.gather(online(obs, training=True), actions, axis=1, batch_dims=1)
            loss = huber(y[:, None], q[:, None])
        grads = tape.gradient(loss, online.trainable_variables)
        opt.apply_gradients(zip(grads, online.trainable_variables))
        return loss

    buffer = ReplayBuffer(cfg.buffer_size, (obs_dim,), seed=cfg.seed)
    eps = linear_schedule(cfg.eps_start, cfg.eps_end, cfg.eps_steps)
    rng = np.random.default_rng(cfg.seed)
    result = DQNResult(model=online)
    best_weights = None
    greedy = greedy_policy(online)
    obs, _ = env.reset(seed=cfg.seed)
    ep_return = 0.0
    t0 = time.perf_counter()
    for step in range(1, cfg.total_steps + 1):
        if rng.random() < eps(step):
            action = int(rng.integers(n_actions))
        else:
            action = int(act(tf.convert_to_tensor(obs, dtype=tf.float32)))
        next_obs, reward, terminated, truncated, _ = env.step(action)
        buffer.add(obs, action, reward, next_obs, terminated)
        ep_return += float(reward)
        obs = next_obs
        if terminated or truncated:
            result.episode_returns.append(ep_return)
            result.episode_end_steps.append(step)
            ep_return = 0.0
            obs, _ = env.reset()
        if step >= cfg.learning_starts and step % cfg.train_freq == 0:
            for _ in range(cfg.gradient_steps):
                b = buffer.sample(cfg.batch_size)
                train_step(b["obs"], b["actions"], b["rewards"], b["next_obs"], b["terminated"])
        if step % cfg.target_update == 0:
            target.set_weights(online.get_weights())
        if cfg.eval_every and step % cfg.eval_every == 0 and step >= cfg.learning_starts:
            mean = float(evaluate(env_id, greedy, cfg.eval_seeds, cfg.eval_max_steps, env_kwargs).mean())
            result.evals.append((step, mean))
            if verbose:
                recent = np.mean(result.episode_returns[-20:]) if result.episode_returns else float("nan")
                print(f"  step {step:>7}: greedy eval {mean:8.1f} | last-20 training episodes "
                      f"{recent:8.1f} | eps {eps(step):.3f} | {time.perf_counter() - t0:6.1f} s", flush=True)
            if mean >= result.best_eval:
                result.best_eval, result.best_step = mean, step
                best_weights = online.get_weights()
            if cfg.stop_at is not None and mean >= cfg.stop_at:
                result.steps = step
                break
        result.steps = step
    env.close()
    result.seconds = time.perf_counter() - t0
    if best_weights is not None:
        online.set_weights(best_weights)
    return result
