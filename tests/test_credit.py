"""Credit: hand-computed values, the post's discount_rewards, standardisation, blame window."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.baselines import standardize
from reinforce.config import Config
from reinforce.credit import (
    CREDITS,
    assign_credit,
    blame_window,
    reward_to_go,
    total_return,
)


def posts_discount_rewards(r: np.ndarray, gamma: float) -> np.ndarray:
    """The reference post's loop, as an independent reference."""
    discounted_r = np.zeros_like(r)
    running_add = 0.0
    for t in reversed(range(r.size)):
        running_add = running_add * gamma + r[t]
        discounted_r[t] = running_add
    return discounted_r


def test_reward_to_go_by_hand() -> None:
    np.testing.assert_allclose(
        reward_to_go(np.array([1.0, 2.0, 3.0]), 0.5),
        [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3.0],
    )
    np.testing.assert_array_equal(reward_to_go(np.ones(4), 1.0), [4.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(reward_to_go(np.array([1.0, 2.0]), 0.0), [1.0, 2.0])
    assert reward_to_go(np.array([]), 0.9).shape == (0,)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.95, 0.99, 1.0])
def test_reward_to_go_reproduces_the_posts_function(gamma: float) -> None:
    r = np.random.default_rng(0).standard_normal(300)
    np.testing.assert_allclose(
        reward_to_go(r, gamma), posts_discount_rewards(r, gamma), rtol=1e-12
    )


@pytest.mark.parametrize("gamma", [-0.1, 1.01, float("nan")])
def test_gamma_outside_unit_interval_is_rejected_by_the_config(gamma: float) -> None:
    # reward_to_go reads like its equation and trusts gamma; the config checks it
    with pytest.raises(ValueError, match="gamma must be in"):
        Config(gamma=gamma)


def test_total_return_by_hand() -> None:
    np.testing.assert_array_equal(
        total_return(np.array([1.0, 2.0, 3.0])), [6.0, 6.0, 6.0]
    )
    np.testing.assert_allclose(total_return(np.array([1.0, 2.0, 3.0]), 0.5), [2.75] * 3)


def test_standardize() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    s = standardize(x)
    assert s.mean() == pytest.approx(0.0, abs=1e-15)
    assert s.std() == pytest.approx(1.0)
    np.testing.assert_allclose(s, (x - 2.5) / np.sqrt(1.25))


@pytest.mark.parametrize("value", [0.0, 1.0, 0.1, 1e300])
def test_standardize_of_a_constant_is_zero(value: float) -> None:
    np.testing.assert_array_equal(standardize(np.full(7, value)), np.zeros(7))
    np.testing.assert_array_equal(standardize(np.array([value])), [0.0])
    assert standardize(np.array([])).shape == (0,)


def test_blame_window_blames_only_the_last_n_actions_of_a_failure() -> None:
    np.testing.assert_array_equal(blame_window(6, True, 2), [0, 0, 0, 0, -1, -1])
    np.testing.assert_array_equal(blame_window(3, True, 10), [-1, -1, -1])
    # truncation at the time limit is not a failure
    np.testing.assert_array_equal(blame_window(6, False, 2), np.zeros(6))


@pytest.mark.parametrize(
    ("window", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError)]
)
def test_a_bad_blame_window_is_rejected_by_the_config(
    window: float, error: type
) -> None:
    # blame_window reads like its equation and trusts N; the config checks it
    with pytest.raises(error, match="blame_window"):
        Config(blame_window=window)  # type: ignore[arg-type]


def test_assign_credit_dispatch() -> None:
    r = np.ones(3)
    np.testing.assert_array_equal(
        assign_credit("reward_to_go", r, True, 1.0), [3, 2, 1]
    )
    np.testing.assert_array_equal(
        assign_credit("total_return", r, True, 1.0), [3, 3, 3]
    )
    np.testing.assert_array_equal(
        assign_credit("blame_window", r, True, 1.0, 1), [0, 0, -1]
    )
    with pytest.raises(ValueError, match=r"credit must be one of .* got 'rtg'"):
        assign_credit("rtg", r, True, 1.0)


def test_credit_names_are_the_functions_names() -> None:
    import reinforce.credit

    for name in CREDITS:
        assert callable(getattr(reinforce.credit, name))
