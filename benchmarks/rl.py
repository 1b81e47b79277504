"""Benchmark: the course's DQN (``course.rl.train_dqn``, the agent of Week 9 / Week 10 / Project 6)
on CartPole-v1 and LunarLander-v3, CPU only. Prints a table of environment steps, wall time and
the greedy mean return over 100 evaluation episodes on fixed seeds (0..99, never used in training).

    .venv/bin/python benchmarks/rl.py                    # both tasks
    .venv/bin/python benchmarks/rl.py cartpole           # one task
    .venv/bin/python benchmarks/rl.py --json out.json    # also save the rows

Targets (issue 6): CartPole-v1 mean >= 475 within 50k environment steps in < 5 minutes;
LunarLander-v3 mean >= 200. Training keeps the weights of the best periodic greedy evaluation
(10 seeds 10000..10009) and stops early once that evaluation reaches ``stop_at``. This prints; it
asserts nothing. Timings depend on the machine's load: say how loaded it was when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from course import rl  # noqa: E402

# Hyperparameters: the RL Baselines3 Zoo's tuned DQN settings for each task (dqn.yml), in our terms.
TASKS = {
    "cartpole": ("CartPole-v1", rl.DQNConfig(
        total_steps=50_000, hidden=(256, 256), learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
        learning_starts=1_000, train_freq=256, gradient_steps=128, target_update=10, eps_end=0.04,
        eps_steps=8_000, double=True, eval_every=2_560, stop_at=500.0, seed=0), 475.0),
    "lunarlander": ("LunarLander-v3", rl.DQNConfig(
        total_steps=300_000, hidden=(256, 256), learning_rate=6.3e-4, batch_size=128, buffer_size=50_000,
        learning_starts=0, train_freq=4, gradient_steps=4, target_update=250, eps_end=0.1,
        eps_steps=12_000, double=True, eval_every=10_000, stop_at=250.0, seed=0), 200.0),
}


def run(task: str) -> dict:
    env_id, cfg, target = TASKS[task]
    print(f"== {env_id}: DQN (double={cfg.double}), at most {cfg.total_steps} steps", flush=True)
    res = rl.train_dqn(env_id, cfg, verbose=True)
    t0 = time.perf_counter()
    returns = rl.evaluate(env_id, rl.greedy_policy(res.model), range(100))
    eval_s = time.perf_counter() - t0
    row = {"task": env_id, "steps": res.steps, "train_s": round(res.seconds, 1), "best_step": res.best_step,
           "eval_mean_100": round(float(returns.mean()), 1), "eval_min": round(float(returns.min()), 1),
           "eval_s": round(eval_s, 1), "target": target, "reached": bool(returns.mean() >= target)}
    print(f"   -> {row}", flush=True)
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tasks", nargs="*", help=f"any of {', '.join(TASKS)} (default: all)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    unknown = set(args.tasks) - set(TASKS)
    if unknown:
        p.error(f"unknown task(s) {sorted(unknown)}: choose from {sorted(TASKS)}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    rows = [run(t) for t in (args.tasks or list(TASKS))]
    print()
    header = f"{'task':<16}{'env steps':>10}{'train s':>9}{'best at':>9}{'mean (100 ep)':>15}{'min':>8}{'target':>8}  reached"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['task']:<16}{r['steps']:>10}{r['train_s']:>9}{r['best_step']:>9}{r['eval_mean_100']:>15}"
              f"{r['eval_min']:>8}{r['target']:>8}  {'yes' if r['reached'] else 'NO'}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
