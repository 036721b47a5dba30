"""Making Gymnasium environments, with the checks that REINFORCE needs up front.

REINFORCE learns from *complete* episodes, so an environment must end every episode:
either Gymnasium's own time limit (``spec.max_episode_steps``) or a step cap we add.
Its observations must be a flat vector and its actions something a policy in
:mod:`reinforce.policies` can produce.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import VectorEnv

from .checks import integer, name_string, optional_integer
from .policies import check_action_space, check_observation_space

__all__ = ["describe_space", "make_env", "make_vec_env", "time_limit"]


def make_env(env_id: str, *, max_steps: int | None = None, **kwargs: Any) -> gym.Env:
    """``gym.make(env_id)``, checked: a registered id, supported spaces, a finite horizon.

    ``max_steps`` caps every episode (Gymnasium's ``TimeLimit``); it is required for an
    environment that has no time limit of its own. Extra keyword arguments (e.g.
    ``render_mode``) go to ``gym.make``.
    """
    name_string("env_id", env_id)
    max_steps = optional_integer("max_steps", max_steps)
    if env_id not in gym.registry:
        raise ValueError(f"env_id {env_id!r} is not a registered Gymnasium environment")
    try:
        env = gym.make(env_id, max_episode_steps=max_steps, **kwargs)
    except gym.error.Error as err:  # e.g. a missing optional dependency
        raise ValueError(f"env_id {env_id!r} could not be made: {err}") from err
    try:
        check_observation_space(env.observation_space)
        check_action_space(env.action_space)
        if time_limit(env) is None:
            raise ValueError(
                f"env_id {env_id!r} has no time limit: pass max_steps so every episode ends"
            )
    except ValueError:
        env.close()
        raise
    return env


def make_vec_env(
    env_id: str, num_envs: int, *, max_steps: int | None = None
) -> VectorEnv:
    """``gym.make_vec(env_id, num_envs)``, after the same checks as :func:`make_env`.

    Gymnasium picks a NumPy-vectorised implementation where the environment has one
    (CartPole does); otherwise the sub-environments are stepped one after another
    (``SyncVectorEnv``). Either way a finished sub-environment resets on the next
    ``step`` (``AutoresetMode.NEXT_STEP``), which :func:`reinforce.rollout.collect_episodes`
    handles.
    """
    num_envs = integer("num_envs", num_envs, low=1)
    make_env(env_id, max_steps=max_steps).close()  # the checks, on a single copy
    if max_steps is None:
        return gym.make_vec(env_id, num_envs=num_envs)
    # a step cap of our own: TimeLimit around every sub-environment
    return gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode="sync",
        max_episode_steps=max_steps,
    )


def time_limit(env: gym.Env) -> int | None:
    """The step limit that ends every episode, or None if there is none."""
    spec = env.spec
    return None if spec is None else spec.max_episode_steps


def _jsonable(values: np.ndarray) -> list[Any]:
    """A float array as a JSON list, writing ±inf as strings (JSON has no infinity)."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return [float(v) if np.isfinite(v) else str(v) for v in flat]


def describe_space(space: spaces.Space) -> dict[str, Any]:
    """A JSON-serialisable description of a Box or Discrete space, for saving and comparing."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "low": _jsonable(space.low),
            "high": _jsonable(space.high),
        }
    raise ValueError(f"cannot describe space {space!r}")
