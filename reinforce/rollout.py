"""Running a policy in an environment and recording what happened.

An :class:`Episode` is everything REINFORCE needs from one run: the observations it
acted on, the actions it drew and the rewards that followed, plus *how* it ended.
``terminated`` means the task itself ended (CartPole: the pole fell); ``truncated``
means a time limit cut it short, which is not a failure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from .checks import integer
from .policies import Policy

__all__ = ["Episode", "collect_episodes", "run_episode"]


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
    if not np.isfinite(x).all():
        where = f"step {step}" + ("" if episode is None else f" of episode {episode}")
        raise ValueError(
            f"environment returned a non-finite {what} at {where}: {value!r}"
        )
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
        r = float(r)
        if not math.isfinite(r):
            _finite(r, "reward", t, episode)  # raises, naming the step
        rewards.append(r)
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


def collect_episodes(
    envs: gym.vector.VectorEnv,
    policy: Policy,
    rng: np.random.Generator,
    n_episodes: int,
    *,
    seed: int | None = None,
    first_episode: int = 1,
) -> list[Episode]:
    """Play exactly ``n_episodes`` complete episodes on a vector env, all with
    ``policy``.

    The first ``min(M, n)`` episodes start at once on the M sub-environments; whenever
    one ends and fewer than ``n`` have been started, that sub-environment starts the
    next. Episodes are *assigned when they start*, never chosen by when they finish,
    so short episodes are not over-represented: the batch has the same distribution
    as ``n`` sequential calls to :func:`run_episode`. Sub-environments with no episode
    left to play keep stepping (the vector env steps all of them) but are not recorded.

    Gymnasium 1.x vector envs reset a finished sub-environment on the *next* call to
    ``step`` (``AutoresetMode.NEXT_STEP``): that call ignores its action and returns
    the new episode's first observation with reward 0. Such reset steps are masked out::

        env i:   s0 a0 | s1 a1 | s2 a2 (terminated) | reset (masked) | s0' a0' | ...

    ``envs.reset(seed=seed)`` starts every call, so sub-environments left mid-episode
    by the previous batch (an older policy) never leak into this one. Episodes are
    returned in the order they started; ``first_episode`` only labels error messages.
    """
    mode = envs.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP)
    if mode != gym.vector.AutoresetMode.NEXT_STEP:
        raise ValueError(f"envs must use AutoresetMode.NEXT_STEP, got {mode!r}")
    n_episodes = integer("n_episodes", n_episodes, low=1)
    M = envs.num_envs
    obs, _ = envs.reset(seed=seed)
    x = _finite(obs, "observation", 0, first_episode)  # (M, D)
    slot = np.where(np.arange(M) < n_episodes, np.arange(M), -1)  # episode of each env
    env_of = {int(k): int(k) for k in slot[slot >= 0]}  # episode -> sub-environment
    started = int((slot >= 0).sum())
    ended: dict[int, tuple[bool, bool]] = {}
    resetting = np.zeros(M, dtype=bool)  # this step is sub-env i's (masked) reset step
    xs, acts, rews, slots = [], [], [], []
    t = 0
    while len(ended) < n_episodes:
        a = policy.sample(x, rng)  # (M,) or (M, k)
        next_obs, r, terminated, truncated, _ = envs.step(policy.env_action(a))
        t += 1
        live = (slot >= 0) & ~resetting  # a real transition of an episode we count
        xs.append(x)
        acts.append(a)
        rews.append(np.asarray(r, dtype=np.float64))
        slots.append(np.where(live, slot, -1))
        if not np.isfinite(rews[-1][live]).all():
            i = int(np.flatnonzero(live & ~np.isfinite(rews[-1]))[0])
            _finite(r[i], "reward", t, first_episode + int(slot[i]))
        done = live & (terminated | truncated)
        for i in map(int, np.flatnonzero(done)):
            ended[int(slot[i])] = (bool(terminated[i]), bool(truncated[i]))
            if started < n_episodes:  # after its reset, this env plays the next one
                slot[i] = started
                env_of[started] = int(i)
                started += 1
            else:
                slot[i] = -1
        resetting = terminated | truncated
        x = np.asarray(next_obs, dtype=np.float64)
        bad = (slot >= 0) & ~resetting & ~np.isfinite(x).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            _finite(x[i], "observation", t, first_episode + int(slot[i]))

    # (steps, M, ...) each
    log = np.stack(xs), np.stack(acts), np.stack(rews), np.stack(slots)
    return split_episodes(*log, env_of, ended, n_episodes)


def split_episodes(
    X: np.ndarray,
    A: np.ndarray,
    R: np.ndarray,
    S: np.ndarray,
    env_of: Mapping[int, int],
    ended: dict[int, tuple[bool, bool]],
    n: int,
) -> list[Episode]:
    """Cut a vector env's step log into episodes, in the order they started.

    ``X``, ``A``, ``R`` (steps, M, ...) are what every sub-environment saw, did and got;
    ``S`` (steps, M) the episode each was playing; episode k was played on sub-environment
    ``env_of[k]`` and ended as ``ended[k]`` = (terminated, truncated), for k < ``n``.
    """
    episodes = []
    for k in range(n):
        i = env_of[k]
        steps = np.flatnonzero(S[:, i] == k)  # this episode's steps, in time order
        terminated, truncated = ended[k]
        episodes.append(
            Episode(
                observations=X[steps, i],
                actions=A[steps, i],
                rewards=R[steps, i],
                terminated=terminated,
                truncated=truncated,
            )
        )
    return episodes
