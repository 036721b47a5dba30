"""Shared fixtures: small environments for exercising edge cases.

Loaded before any test module: it puts ``book/_ext`` on ``sys.path``, so the book's
extensions (``chromium``, ``notebook_download``, ...) import as modules in the tests.
Helpers that are functions rather than fixtures live in tests/_helpers.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

BOOK_EXT = str(Path(__file__).resolve().parents[1] / "book" / "_ext")
if BOOK_EXT not in sys.path:
    sys.path.insert(0, BOOK_EXT)


class Corridor(gym.Env):
    """A tiny test environment: walk right (action 1) to the end of a corridor.

    ``bad_at`` makes the observation (or reward) at that step NaN; ``n_actions``
    and ``action_space`` let tests vary the spaces.
    """

    def __init__(
        self,
        length: int = 5,
        bad_at: int | None = None,
        bad: str = "obs",
        action_space: spaces.Space | None = None,
        observation_space: spaces.Space | None = None,
    ) -> None:
        self.length, self.bad_at, self.bad = length, bad_at, bad
        self.observation_space = observation_space or spaces.Box(
            -10, 10, (2,), np.float64
        )
        self.action_space = action_space or spaces.Discrete(2)
        self.pos = 0
        self.t = 0

    def _obs(self) -> np.ndarray:
        x = np.array([self.pos, 1.0])
        if self.bad == "obs" and self.bad_at is not None and self.t == self.bad_at:
            x[0] = np.nan
        return x

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos, self.t = 0, 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        self.pos += 1 if np.all(np.asarray(action) > 0) else 0
        reward = 1.0
        if self.bad == "reward" and self.bad_at is not None and self.t == self.bad_at:
            reward = float("inf")
        return self._obs(), reward, self.pos >= self.length, False, {}


def _register(env_id: str, max_episode_steps: int | None, **kwargs) -> None:
    if env_id not in gym.registry:
        gym.register(
            env_id,
            entry_point=Corridor,
            max_episode_steps=max_episode_steps,
            kwargs=kwargs,
            disable_env_checker=True,
        )


@pytest.fixture(scope="session", autouse=True)
def test_envs() -> Iterator[None]:
    _register("test/Corridor-v0", 50)
    _register("test/CorridorNoLimit-v0", None)
    _register("test/CorridorNaNObs-v0", 50, bad_at=2, bad="obs")
    _register("test/CorridorInfReward-v0", 50, bad_at=3, bad="reward")
    _register("test/CorridorMulti-v0", 50, action_space=spaces.MultiDiscrete([2, 2]))
    _register(
        "test/CorridorInfBox-v0", 50, action_space=spaces.Box(-np.inf, np.inf, (1,))
    )
    _register("test/CorridorImage-v0", 50, observation_space=spaces.Box(0, 1, (3, 3)))
    yield
