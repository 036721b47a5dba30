"""Baselines: hand-computed advantages and the learned value regression."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.baselines import (
    BASELINES,
    MeanBaseline,
    NoBaseline,
    StandardizeBaseline,
    ValueBaseline,
    make_baseline,
    quadratic_features,
)

RETURNS = [np.array([3.0, 2.0, 1.0]), np.array([5.0, 1.0])]
OBS = [np.zeros((3, 2)), np.ones((2, 2))]


def test_none_and_mean() -> None:
    adv = NoBaseline().advantages(RETURNS, OBS)
    np.testing.assert_array_equal(np.concatenate(adv), [3, 2, 1, 5, 1])
    adv = MeanBaseline().advantages(RETURNS, OBS)  # batch mean = 12 / 5
    np.testing.assert_allclose(np.concatenate(adv), np.array([3, 2, 1, 5, 1]) - 2.4)


def test_standardize_per_episode_is_the_posts() -> None:
    adv = StandardizeBaseline(per_episode=True).advantages(RETURNS, OBS)
    np.testing.assert_allclose(adv[0], np.array([1, 0, -1]) / np.sqrt(2 / 3))
    np.testing.assert_allclose(adv[1], [1.0, -1.0])


def test_standardize_over_the_batch() -> None:
    adv = StandardizeBaseline(per_episode=False).advantages(RETURNS, OBS)
    flat = np.array([3, 2, 1, 5, 1.0])
    np.testing.assert_allclose(np.concatenate(adv), (flat - flat.mean()) / flat.std())
    assert [a.shape for a in adv] == [(3,), (2,)]


def test_quadratic_features() -> None:
    phi = quadratic_features(np.array([[2.0, 3.0]]))
    np.testing.assert_array_equal(phi, [[1, 2, 3, 4, 6, 9]])


def test_value_baseline_predicts_with_earlier_fit_then_learns() -> None:
    rng = np.random.default_rng(0)
    base = ValueBaseline(l2=1e-8)
    obs = [rng.standard_normal((50, 3)) for _ in range(4)]
    target = [1.0 + 2 * s[:, 0] - s[:, 1] * s[:, 2] for s in obs]  # in the feature span
    first = base.advantages(target, obs)
    np.testing.assert_array_equal(
        np.concatenate(first), np.concatenate(target)
    )  # V ≡ 0 at first
    new_obs = [rng.standard_normal((20, 3))]
    new_target = [1.0 + 2 * s[:, 0] - s[:, 1] * s[:, 2] for s in new_obs]
    second = base.advantages(new_target, new_obs)
    assert (
        np.max(np.abs(second[0])) < 1e-6
    )  # the fit from the first batch explains these


def test_make_baseline() -> None:
    for name in BASELINES:
        assert make_baseline(name).name == name
    with pytest.raises(ValueError, match=r"baseline must be one of .* got 'avg'"):
        make_baseline("avg")
    with pytest.raises(ValueError, match="l2"):
        ValueBaseline(l2=-1.0)
