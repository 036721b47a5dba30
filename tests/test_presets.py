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
