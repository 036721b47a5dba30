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


def test_acrobot_preset_is_the_tuning_scripts_choice() -> None:
    """The ``acrobot`` preset is the setting tuning/acrobot.py's rule picks from the
    committed record of its last stage, and every stage's record holds that stage's
    grid on that stage's tuning seeds (none of them a reporting seed)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    from reinforce.protocol import REPORTING_SEEDS
    from reinforce.sweep import expand_grid

    path = Path(__file__).parents[1] / "tuning" / "acrobot.py"
    spec = importlib.util.spec_from_file_location("acrobot_tuning", path)
    assert spec is not None and spec.loader is not None
    tuning = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tuning)
    for stage, (_, grid, seeds) in tuning.STAGES.items():
        frame = pd.read_csv(tuning.record(stage))
        assert sorted(set(frame["seed"])) == seeds, stage
        assert not set(seeds) & set(REPORTING_SEEDS), stage
        assert len(frame) == len(expand_grid(grid)) * len(seeds), stage
    chosen = tuning.choose(pd.read_csv(tuning.record(tuning.LAST)))
    base = tuning.STAGES[tuning.LAST].base.replace(**chosen)
    config = preset("acrobot", max_episodes=base.max_episodes, stop_when_solved=True)
    assert config.replace(solved_threshold=-100.0) == base
