"""The baseline: a faithful re-implementation of the reference post's per-step loop.

Same network (4 → H ReLU → 1 sigmoid, no biases, randn/sqrt(fan_in) weights), same
per-step forward pass on one observation, score a − p recorded per step, per-episode
discounting + standardisation + backprop, gradients summed over ``batch_size`` episodes
and an RMSProp step. Written independently of the package on purpose: it is the yardstick
the package's training paths are timed against. Its randomness comes from one seeded
``np.random.Generator`` (the post used the global RNG).
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np


def run(seed: int, *, max_episodes: int = 10_000, threshold: float = 475.0, H: int = 100,
        batch_size: int = 5, learning_rate: float = 1e-3, gamma: float = 0.99,
        decay_rate: float = 0.99, epsilon: float = 1e-5) -> dict:
    """Train until the 100-episode mean length reaches ``threshold``; return the counts."""
    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    observation, _ = env.reset(seed=seed)
    D = observation.shape[0]
    model = {"W1": rng.standard_normal((H, D)) / np.sqrt(D),
             "W2": rng.standard_normal(H) / np.sqrt(H)}
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
        p = 1.0 / (1.0 + np.exp(-(model["W2"] @ h)))
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
    return {"seed": seed, "solved_at": solved_at, "episodes": len(lengths), "env_steps": steps,
            "wall_seconds": time.perf_counter() - start}


if __name__ == "__main__":
    print(run(0, max_episodes=300, threshold=1e9))
