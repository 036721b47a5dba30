"""Evaluation episodes: a trained agent plays without exploring, on episodes of its own.

Both methods are judged the same way. DQN acts greedily, argmax_a Q(s, a) (ε = 0);
REINFORCE takes its policy's *mode* (the most likely action) instead of sampling. The
evaluation environment is seeded from a stream of its own (:func:`evaluation_seed`), so
its episodes are never the ones the agent trained on, and one seed gives the same
evaluation every time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any, NamedTuple

import numpy as np

from . import checks
from .envs import make_env

__all__ = [
    "EVALUATION_STREAM",
    "Evaluation",
    "EvaluationCurve",
    "dqn_evaluation_curve",
    "evaluate_actor",
    "evaluation_seed",
    "reinforce_evaluation_curve",
]

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


# ---------------------------------------------------------------- evaluation at checkpoints


class EvaluationCurve(NamedTuple):
    """One run evaluated at fixed environment steps."""

    checkpoints: np.ndarray  # (C,) environment steps
    returns: np.ndarray  # (C,) mean evaluation return at each checkpoint
    wall_seconds: float  # training time (evaluation excluded)
    updates: int  # parameter updates made


def _checkpoints(checkpoints: Sequence[int]) -> list[int]:
    steps = [checks.integer("checkpoint", c, low=1) for c in checkpoints]
    if not steps or steps != sorted(set(steps)):
        raise ValueError(
            f"checkpoints must be increasing and non-empty, got {list(checkpoints)}"
        )
    return steps


def dqn_evaluation_curve(
    config: Any, checkpoints: Sequence[int], episodes: int
) -> EvaluationCurve:
    """Train DQN up to the last checkpoint; greedy returns with the network copied at
    exactly each checkpoint (``config.max_env_steps`` is set to the last one)."""
    from .dqn import train_dqn

    steps = _checkpoints(checkpoints)
    config = config.replace(max_env_steps=steps[-1])
    history = train_dqn(config, snapshot_at=steps)
    returns = [
        evaluate_actor(
            history.snapshots[c].greedy, config.env_id, episodes, config.seed
        ).returns.mean()
        for c in steps
    ]
    return EvaluationCurve(
        np.array(steps), np.array(returns), history.wall_seconds, history.updates
    )


def reinforce_evaluation_curve(
    config: Any, checkpoints: Sequence[int], episodes: int
) -> EvaluationCurve:
    """Train REINFORCE until the last checkpoint; mode-action returns of the policy as it
    was at the first episode end at or after each checkpoint (it only changes between
    batches of whole episodes). ``config.max_episodes`` must not stop it sooner."""
    from .train import train

    steps = _checkpoints(checkpoints)
    policies: dict[int, Any] = {}

    def snapshot(history: Any) -> bool:
        """Bookkeeping after each episode: copy the policy at checkpoints just passed."""
        for c in steps:
            if c not in policies and history.env_steps >= c:
                policies[c] = copy.deepcopy(history.policy)
        return history.env_steps < steps[-1]  # False ends training

    history = train(config, snapshot)
    if len(policies) < len(steps):
        raise ValueError(
            f"max_episodes {config.max_episodes} ended training at "
            f"{history.env_steps} steps, before the last checkpoint {steps[-1]}"
        )
    returns = [
        evaluate_actor(
            policies[c].mode, config.env_id, episodes, config.seed
        ).returns.mean()
        for c in steps
    ]
    return EvaluationCurve(
        np.array(steps), np.array(returns), history.wall_seconds, history.updates
    )
