"""Presets: valid configs, overrides win, unknown names are refused."""

from __future__ import annotations

import pytest

from reinforce.presets import PRESETS, preset
from reinforce.train import Config


def test_default_preset_is_the_posts_config() -> None:
    assert preset("default") == Config()


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_config_and_overrides_win(name: str) -> None:
    config = preset(name, seed=3, max_episodes=7)
    assert config.seed == 3 and config.max_episodes == 7
    for field, value in PRESETS[name].items():
        assert getattr(config, field) == value


def test_unknown_preset_and_bad_override() -> None:
    with pytest.raises(ValueError, match=r"preset must be one of .* got 'turbo'"):
        preset("turbo")
    with pytest.raises(ValueError, match="lr must be finite and > 0, got -1"):
        preset("fast", lr=-1)


def test_inverted_pendulum_preset_trains_a_gaussian_policy() -> None:
    """The continuous-action preset runs the whole path: MuJoCo env, Box actions, updates,
    sequentially and on a vector env (SyncVectorEnv), deterministically per seed."""
    pytest.importorskip("mujoco")
    from reinforce.policies import GaussianPolicy
    from reinforce.train import train

    for num_envs in (1, 2):
        config = preset("inverted-pendulum", max_episodes=8, num_envs=num_envs)
        a, b = train(config), train(config)
        assert isinstance(a.policy, GaussianPolicy) and a.policy.action_dim == 1
        assert a.episodes == 8 and a.updates == 2 and a.threshold == 950.0
        assert a.returns == b.returns
        assert a.policy.std()[0] != 1.0  # log σ is learnt, from σ = 1
        for name, value in a.policy.params.items():
            assert b.policy is not None and (value == b.policy.params[name]).all()
