"""Running a policy in an environment and recording what happened.

An :class:`Episode` is everything REINFORCE needs from one run: the observations it
acted on, the actions it drew and the rewards that followed, plus *how* it ended.
``terminated`` means the task itself ended (CartPole: the pole fell); ``truncated``
means a time limit cut it short, which is not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from .policies import Policy

__all__ = ["Episode", "run_episode"]


@dataclass(frozen=True)
class Episode:
    """One complete episode of T steps."""

    observations: np.ndarray
    """s_0 … s_{T−1}, float64 (T, D): the states actions were chosen in."""
    actions: np.ndarray
    """a_0 … a_{T−1}: (T,) integers, or (T, k) floats for a Gaussian policy (unclipped)."""
    rewards: np.ndarray
    """r_0 … r_{T−1}, float64 (T,): r_t follows a_t."""
    terminated: bool
    """The episode reached a terminal state (a failure, for CartPole)."""
    truncated: bool
    """A time limit or step cap ended the episode."""

    @property
    def length(self) -> int:
        """T, the number of steps."""
        return int(self.rewards.size)

    @property
    def total_reward(self) -> float:
        """Σ_t r_t, the undiscounted return."""
        return float(self.rewards.sum())


def _finite(value: Any, what: str, step: int, episode: int | None) -> np.ndarray:
    x = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        where = f"step {step}" + ("" if episode is None else f" of episode {episode}")
        raise ValueError(f"environment returned a non-finite {what} at {where}: {value!r}")
    return x


def run_episode(
    env: gym.Env,
    policy: Policy,
    rng: np.random.Generator,
    *,
    seed: int | None = None,
    max_steps: int | None = None,
    episode: int | None = None,
) -> Episode:
    """Play one episode, sampling every action from ``policy`` with ``rng``.

    ``seed`` is passed to ``env.reset`` (give it only for the first episode of a run,
    as Gymnasium recommends). The episode ends on ``terminated or truncated``, or
    after ``max_steps`` steps (recorded as truncated). ``episode`` only labels error
    messages: a NaN or infinite observation or reward raises a ValueError that names
    the step.
    """
    obs, _ = env.reset(seed=seed)
    x = _finite(obs, "observation", 0, episode)
    xs, actions, rewards = [], [], []
    terminated = truncated = False
    t = 0
    while not (terminated or truncated):
        a = policy.sample(x, rng)
        xs.append(x)
        actions.append(a)
        obs, r, terminated, truncated, _ = env.step(policy.env_action(a))
        t += 1
        rewards.append(float(_finite(r, "reward", t, episode)))
        x = _finite(obs, "observation", t, episode)
        if max_steps is not None and t >= max_steps and not terminated:
            truncated = True
    return Episode(
        observations=np.array(xs, dtype=np.float64).reshape(t, -1),
        actions=np.array(actions),
        rewards=np.array(rewards, dtype=np.float64),
        terminated=bool(terminated),
        truncated=bool(truncated),
    )
