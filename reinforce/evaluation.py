"""Evaluation episodes: a trained agent plays without exploring, on episodes of its own.

Both methods are judged the same way. DQN acts greedily, argmax_a Q(s, a) (ε = 0);
REINFORCE takes its policy's *mode* (the most likely action) instead of sampling. The
evaluation environment is seeded from a stream of its own (:func:`evaluation_seed`), so
its episodes are never the ones the agent trained on, and one seed gives the same
evaluation every time.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Any, NamedTuple

import numpy as np

from . import checks
from .envs import make_env

__all__ = ["EVALUATION_STREAM", "Evaluation", "evaluate_actor", "evaluation_seed"]

#: spawn key of the evaluation stream: training draws from SeedSequence(seed).spawn(...),
#: whose children have spawn keys (0,), (1,), …; the evaluation stream's key is far apart
EVALUATION_STREAM = 10_000


def evaluation_seed(seed: int) -> int:
    """The environment seed of run ``seed``'s evaluation episodes (its own stream)."""
    seed = checks.integer("seed", seed, low=0)
    sequence = np.random.SeedSequence(seed, spawn_key=(EVALUATION_STREAM,))
    return int(sequence.generate_state(1)[0])


class Evaluation(NamedTuple):
    """What the evaluation episodes gave."""

    returns: np.ndarray  # (episodes,) the return of each episode
    lengths: np.ndarray  # (episodes,) its number of steps


def evaluate_actor(
    act: Callable[[np.ndarray], Any],
    env_id: str,
    episodes: int,
    seed: int,
    *,
    max_steps: int | None = None,
) -> Evaluation:
    """Returns and lengths of ``episodes`` episodes in which ``act(obs)`` picks every
    action.

    The environment is reset with ``evaluation_seed(seed)`` once, then continues its own
    stream of episodes. ``act`` must be deterministic (greedy or mode).
    """
    episodes = checks.integer("episodes", episodes, low=1)
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    with closing(make_env(env_id, max_steps=max_steps)) as env:
        obs, _ = env.reset(seed=evaluation_seed(seed))
        for i in range(episodes):
            if i > 0:
                obs, _ = env.reset()
            done = False
            while not done:
                action = act(np.asarray(obs, dtype=np.float64))
                obs, reward, terminated, truncated, _ = env.step(action)
                returns[i] += float(reward)
                lengths[i] += 1
                done = terminated or truncated
    return Evaluation(returns, lengths)
