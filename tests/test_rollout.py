"""Rollouts: what an episode records, how it ends, and non-finite values."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.envs import make_env
from reinforce.policies import BernoulliPolicy
from reinforce.rollout import run_episode


def _always_right() -> BernoulliPolicy:
    policy = BernoulliPolicy(2, 1, np.random.default_rng(0))
    policy.params["W1"][:] = [[0.0, 1.0]]  # h = relu(1) = 1
    policy.params["W2"][:] = [1000.0]  # p(right) = 1
    return policy


def test_episode_records_every_step() -> None:
    env = make_env("test/Corridor-v0")
    ep = run_episode(env, _always_right(), np.random.default_rng(0), seed=0)
    assert ep.length == 5 and ep.total_reward == 5.0
    assert ep.observations.shape == (5, 2) and ep.observations.dtype == np.float64
    np.testing.assert_array_equal(ep.observations[:, 0], [0, 1, 2, 3, 4])  # s_t before a_t
    np.testing.assert_array_equal(ep.actions, np.ones(5))
    assert ep.terminated and not ep.truncated


def test_step_cap_truncates() -> None:
    env = make_env("test/Corridor-v0")
    policy = _always_right()
    policy.params["W2"][:] = [-1000.0]  # always left: never reaches the end
    ep = run_episode(env, policy, np.random.default_rng(0), max_steps=8)
    assert ep.length == 8 and ep.truncated and not ep.terminated
    ep = run_episode(env, policy, np.random.default_rng(0))
    assert ep.length == 50 and ep.truncated  # the registered time limit


@pytest.mark.parametrize(("env_id", "what", "step"),
                         [("test/CorridorNaNObs-v0", "observation", 2),
                          ("test/CorridorInfReward-v0", "reward", 3)])
def test_non_finite_values_name_the_step(env_id: str, what: str, step: int) -> None:
    env = make_env(env_id)
    with pytest.raises(ValueError, match=f"non-finite {what} at step {step} of episode 4"):
        run_episode(env, _always_right(), np.random.default_rng(0), episode=4)
