"""Environment checks made before anything runs."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from reinforce.envs import describe_space, make_env, time_limit


def test_cartpole_is_accepted() -> None:
    env = make_env("CartPole-v1")
    assert time_limit(env) == 500
    env.close()


@pytest.mark.parametrize(
    ("env_id", "message"),
    [
        ("NoSuchEnv-v0", "'NoSuchEnv-v0' is not a registered"),
        ("test/CorridorNoLimit-v0", "no time limit"),
        ("test/CorridorMulti-v0", "MultiDiscrete"),
        ("test/CorridorInfBox-v0", "infinite bounds"),
        ("test/CorridorImage-v0", "observation_space must be a flat Box"),
        ("", "env_id must be a non-empty string"),
    ],
    ids=[
        "unknown",
        "no-time-limit",
        "multidiscrete",
        "infinite-box",
        "image-obs",
        "empty",
    ],
)
def test_bad_environments_are_rejected(env_id: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_env(env_id)


def test_a_step_cap_makes_an_unlimited_env_usable() -> None:
    env = make_env("test/CorridorNoLimit-v0", max_steps=7)
    assert time_limit(env) == 7
    env.close()


def test_describe_space_writes_infinity_as_text() -> None:
    box = spaces.Box(
        np.array([-np.inf, 0.0]), np.array([np.inf, 1.0]), dtype=np.float64
    )
    d = describe_space(box)
    assert d == {
        "type": "Box",
        "shape": [2],
        "low": ["-inf", 0.0],
        "high": ["inf", 1.0],
    }
    assert describe_space(spaces.Discrete(3)) == {
        "type": "Discrete",
        "n": 3,
        "start": 0,
    }
