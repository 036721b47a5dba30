"""Saving and loading policies."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.checkpoint import load_policy, save_policy
from reinforce.envs import make_env
from reinforce.policies import make_policy


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
def test_save_and_load_round_trip_exactly(tmp_path, env_id: str) -> None:
    env = make_env(env_id)
    policy = make_policy(env.observation_space, env.action_space, 12, np.random.default_rng(0))
    path = save_policy(tmp_path / "p", policy, env.observation_space, env.action_space,
                       {"env_id": env_id})
    assert path.name == "p.npz" and (tmp_path / "p.json").is_file()
    loaded, meta = load_policy(path, env)
    assert type(loaded) is type(policy) and meta["config"] == {"env_id": env_id}
    for k in policy.params:
        np.testing.assert_array_equal(loaded.params[k], policy.params[k])
    obs = np.random.default_rng(1).standard_normal((5, policy.obs_dim))
    a = policy.sample(obs, np.random.default_rng(2))
    np.testing.assert_array_equal(loaded.log_prob(obs, a), policy.log_prob(obs, a))
    env.close()


def test_loading_into_different_spaces_is_refused(tmp_path) -> None:
    env = make_env("CartPole-v1")
    policy = make_policy(env.observation_space, env.action_space, 4, np.random.default_rng(0))
    save_policy(tmp_path / "p.npz", policy, env.observation_space, env.action_space)
    other = make_env("Acrobot-v1")
    with pytest.raises(ValueError, match="trained with observation_space"):
        load_policy(tmp_path / "p.npz", other)
    env.close()
    other.close()


def test_missing_checkpoint(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no saved policy"):
        load_policy(tmp_path / "nothing.npz")
