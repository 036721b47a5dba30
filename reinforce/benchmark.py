"""Timing REINFORCE on CartPole-v1: the reference loop, the presets, a results table.

:func:`post_loop` is the yardstick: a faithful re-implementation of the reference
post's per-step loop.

Same network (4 → H ReLU → 1 sigmoid, no biases, randn/sqrt(fan_in) weights), same
per-step forward pass on one observation, score a − p recorded per step, per-episode
discounting + standardisation + backprop, gradients summed over ``batch_size`` episodes
and an RMSProp step. Written independently of the package on purpose: it is the yardstick
the package's training paths are timed against. Its randomness comes from one seeded
``np.random.Generator`` (the post used the global RNG).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from .presets import preset
from .train import train

__all__ = [
    "METHODS",
    "post_loop",
    "run_benchmark",
    "summarize",
    "time_to_solve",
    "to_markdown",
]

#: what the benchmark times: the post's loop, then the package's presets
METHODS = ("post loop", "default", "fast", "sample-efficient")


def post_loop(
    seed: int,
    *,
    max_episodes: int = 10_000,
    threshold: float = 475.0,
    H: int = 100,
    batch_size: int = 5,
    learning_rate: float = 1e-3,
    gamma: float = 0.99,
    decay_rate: float = 0.99,
    epsilon: float = 1e-5,
) -> dict:
    """Train until the 100-episode mean length reaches ``threshold``; return the
    counts."""
    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    observation, _ = env.reset(seed=seed)
    D = observation.shape[0]
    model = {
        "W1": rng.standard_normal((H, D)) / np.sqrt(D),
        "W2": rng.standard_normal(H) / np.sqrt(H),
    }
    grad_buffer = {k: np.zeros_like(v) for k, v in model.items()}
    cache = {k: np.zeros_like(v) for k, v in model.items()}

    xs: list = []
    hs: list = []
    scores: list = []
    rewards: list = []
    lengths: list[int] = []
    steps = 0
    solved_at = None
    start = time.perf_counter()
    while len(lengths) < max_episodes:
        x = observation
        h = model["W1"] @ x
        h[h < 0] = 0.0
        z = float(model["W2"] @ h)
        # the post's 1 / (1 + e^−z), in the form that cannot overflow for z < −709
        p = 1.0 / (1.0 + np.exp(-z)) if z >= 0 else np.exp(z) / (1.0 + np.exp(z))
        action = 1 if rng.random() < p else 0
        xs.append(x)
        hs.append(h)
        scores.append(action - p)
        observation, reward, terminated, truncated, _ = env.step(action)
        rewards.append(reward)
        steps += 1
        if terminated or truncated:
            lengths.append(len(rewards))
            epx, eph = np.vstack(xs), np.vstack(hs)
            r = np.array(rewards, dtype=np.float64)
            G = np.zeros_like(r)
            running = 0.0
            for t in reversed(range(r.size)):
                running = running * gamma + r[t]
                G[t] = running
            G -= G.mean()
            std = G.std()
            if std > 0:
                G /= std
            dz = np.array(scores) * G
            grad_buffer["W2"] += eph.T @ dz
            dh = np.outer(dz, model["W2"])
            dh[eph <= 0] = 0.0
            grad_buffer["W1"] += dh.T @ epx
            xs, hs, scores, rewards = [], [], [], []
            if len(lengths) % batch_size == 0:
                for k in model:
                    g = grad_buffer[k]
                    cache[k] = decay_rate * cache[k] + (1 - decay_rate) * g**2
                    model[k] += learning_rate * g / (np.sqrt(cache[k]) + epsilon)
                    grad_buffer[k] = np.zeros_like(g)
            if len(lengths) >= 100 and np.mean(lengths[-100:]) >= threshold:
                solved_at = len(lengths)
                break
            observation, _ = env.reset()
    env.close()
    return {
        "seed": seed,
        "solved_at": solved_at,
        "episodes": len(lengths),
        "env_steps": steps,
        "wall_seconds": time.perf_counter() - start,
    }


def time_to_solve(
    method: str, seed: int, *, max_episodes: int = 10_000
) -> dict[str, Any]:
    """Train with ``method`` (one of :data:`METHODS`) until CartPole-v1 is solved.

    Solved: the mean length of the last 100 episodes reaches 475. Returns one row:
    method, seed, solved_at (None if not within ``max_episodes``), episodes,
    env_steps, wall_seconds and steps_per_second.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "post loop":
        row = post_loop(seed, max_episodes=max_episodes)
    else:
        h = train(
            preset(method, seed=seed, max_episodes=max_episodes, stop_when_solved=True)
        )
        row = {
            "seed": seed,
            "solved_at": h.solved_at,
            "episodes": h.episodes,
            "env_steps": h.env_steps,
            "wall_seconds": h.wall_seconds,
        }
    row["method"] = method
    row["steps_per_second"] = row["env_steps"] / row["wall_seconds"]
    return row


def run_benchmark(
    seeds: Sequence[int],
    methods: Sequence[str] = METHODS,
    *,
    max_episodes: int = 10_000,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Every method on every seed, one at a time (timings must not share the CPU).

    The methods take turns within each seed, so a change in machine load during the
    run affects them all alike.
    """
    rows = []
    for seed in seeds:
        for method in methods:
            rows.append(time_to_solve(method, seed, max_episodes=max_episodes))
            if progress:
                r = rows[-1]
                print(
                    f"  {method:>16}  seed {seed}: solved at {r['solved_at']}, "
                    f"{r['wall_seconds']:.2f} s",
                    flush=True,
                )
    return rows


def summarize(
    rows: Sequence[dict[str, Any]], baseline: str = "post loop"
) -> list[dict[str, Any]]:
    """Per method: runs solved, and median (min, max) of each measure; wall-time ratio.

    ``speedup`` is the baseline's median wall time over this method's, both measured
    in the same run. Unsolved runs count with the episodes they used (a lower bound).
    """
    out = []
    methods = list(dict.fromkeys(r["method"] for r in rows))
    medians = {}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        entry: dict[str, Any] = {
            "method": m,
            "runs": len(mine),
            "solved": sum(r["solved_at"] is not None for r in mine),
        }
        for key in ("episodes", "env_steps", "wall_seconds", "steps_per_second"):
            v = np.array([r[key] for r in mine], dtype=np.float64)
            entry[key] = (float(np.median(v)), float(v.min()), float(v.max()))
        medians[m] = entry["wall_seconds"][0]
        out.append(entry)
    for entry in out:
        base = medians.get(baseline)
        entry["speedup"] = None if base is None else base / entry["wall_seconds"][0]
    return out


def to_markdown(summary: Sequence[dict[str, Any]]) -> str:
    """The summary as a markdown table: median (min–max) per cell."""

    def cell(t: tuple[float, float, float], fmt: str) -> str:
        return f"{t[0]:{fmt}} ({t[1]:{fmt}}–{t[2]:{fmt}})"

    lines = [
        "| method | solved | episodes | env steps | wall s | steps/s | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in summary:
        speedup = "" if e["speedup"] is None else f"{e['speedup']:.1f}×"
        lines.append(
            f"| {e['method']} | {e['solved']}/{e['runs']} | {cell(e['episodes'], ',.0f')} | "
            f"{cell(e['env_steps'], ',.0f')} | {cell(e['wall_seconds'], '.2f')} | "
            f"{cell(e['steps_per_second'], ',.0f')} | {speedup} |"
        )
    return "\n".join(lines)
