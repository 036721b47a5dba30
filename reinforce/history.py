"""What a training run produced, episode by episode.

:class:`RunHistory` is the part every learner shares (episode lengths and returns, the
solved test, the summary); :class:`History` adds REINFORCE's policy and
:class:`reinforce.dqn.DQNHistory` DQN's Q-network, so the same statistics, plots and
summaries apply to both.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from .config import Config
from .optim import Optimizer
from .policies import Policy
from .rollout import Episode

__all__ = ["History", "RunHistory", "solved_threshold", "trailing_mean"]


def trailing_mean(x: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each index (fewer at the start): (E,) → (E,)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    c = np.cumsum(np.concatenate([[0.0], x]))
    idx = np.arange(1, x.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def solved_threshold(configured: float | None, env: gym.Env) -> float | None:
    """The threshold in force: the configured one, else the environment's
    ``reward_threshold`` (None if it has none)."""
    if (
        configured is None
        and env.spec is not None
        and env.spec.reward_threshold is not None
    ):
        return float(env.spec.reward_threshold)
    return configured


@dataclass
class RunHistory:
    """What a training run produced, episode by episode: the part every learner shares.

    ``config`` is the run's configuration (a :class:`~reinforce.config.Config` or a
    :class:`~reinforce.dqn.DQNConfig`); this class reads its ``env_id``, ``seed`` and
    ``solved_window``.
    """

    config: Any
    """The configuration that was run."""
    lengths: list[int] = field(default_factory=list)
    """Steps in each episode."""
    returns: list[float] = field(default_factory=list)
    """Undiscounted return Σ_t r_t of each episode."""
    env_steps: int = 0
    """Environment steps taken in all."""
    updates: int = 0
    """Parameter updates made."""
    wall_seconds: float = 0.0
    """Wall-clock time of the run (so far), in seconds."""
    threshold: float | None = None
    """The solved threshold in force (None: the task has none)."""
    solved_at: int | None = None
    """The first episode (counting from 1) at which the mean return of the last
    ``solved_window`` episodes reached ``threshold``; None if it never did."""
    interrupted: bool = False
    """True if Ctrl-C ended the run early."""
    diverged: bool = False
    """True if an update made a weight non-finite: training stopped there and kept the
    last finite weights."""
    optimizer: Optimizer | None = None
    """The optimiser, with its final internal state."""
    started: float = field(default_factory=time.perf_counter, repr=False, compare=False)
    """``time.perf_counter()`` when the history was made: the clock of ``wall_seconds``."""

    @property
    def episodes(self) -> int:
        """Episodes completed."""
        return len(self.lengths)

    def add_episode(self, length: int, total_reward: float) -> None:
        """Append one finished episode, update the solved test and the clock."""
        self.lengths.append(int(length))
        self.returns.append(float(total_reward))
        self.wall_seconds = time.perf_counter() - self.started
        w = self.config.solved_window
        if (
            self.solved_at is None
            and self.threshold is not None
            and len(self.returns) >= w
            and float(np.mean(self.returns[-w:])) >= self.threshold
        ):
            self.solved_at = len(self.returns)

    def rolling_mean(
        self, window: int | None = None, of: str = "returns"
    ) -> np.ndarray:
        """Mean of the last ``window`` episodes at each episode (fewer at the start): (E,)."""
        window = self.config.solved_window if window is None else window
        return trailing_mean(self.lengths if of == "lengths" else self.returns, window)

    def summary(self) -> dict[str, Any]:
        """The headline numbers, JSON-serialisable."""
        final = self.rolling_mean()
        return {
            "env_id": self.config.env_id,
            "seed": self.config.seed,
            "solved_at_episode": self.solved_at,
            "threshold": self.threshold,
            "episodes": self.episodes,
            "env_steps": self.env_steps,
            "updates": self.updates,
            "wall_seconds": round(self.wall_seconds, 3),
            "final_rolling_mean": float(final[-1]) if final.size else None,
            "interrupted": self.interrupted,
            "diverged": self.diverged,
        }


@dataclass
class History(RunHistory):
    """What a REINFORCE run produced: :class:`RunHistory` and the trained policy."""

    config: Config
    """The configuration that was run."""
    policy: Policy | None = None
    """The trained policy."""

    def record(self, episode: Episode) -> None:
        """Append one episode, count its steps and update the solved test."""
        self.add_episode(episode.length, episode.total_reward)
        self.env_steps += episode.length

    def to_csv(self, path: str | Path) -> None:
        """One row per episode: episode, length, return, rolling mean of returns.

        Written to a temporary name beside ``path`` and renamed into place.
        """
        path = Path(path)
        rows = zip(self.lengths, self.returns, self.rolling_mean(), strict=True)
        text = "episode,length,return,rolling_mean\n" + "".join(
            f"{i + 1},{n},{r!r},{m!r}\n" for i, (n, r, m) in enumerate(rows)
        )
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
