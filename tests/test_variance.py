"""Gradient variance: hand-computed statistics, a naive reference, unbiasedness, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce import (
    BernoulliPolicy,
    ValueBaseline,
    make_env,
    reinforce_gradient,
    reward_to_go,
    run_episode,
)
from reinforce.variance import (
    FixedBaseline,
    fit_value_baseline,
    flatten,
    gradient_samples,
    gradient_stats,
    variance_ratio,
)

# four 2-d estimates: mean (2, 0), sample variances 2/3 and 8/3
SAMPLES = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 2.0], [2.0, -2.0]])


def episodes(n: int, seed: int, hidden: int = 8) -> tuple[BernoulliPolicy, list]:
    """A small fixed policy and n CartPole episodes it played."""
    rng = np.random.default_rng(seed)
    policy = BernoulliPolicy(obs_dim=4, hidden=hidden, rng=rng)
    env = make_env("CartPole-v1")
    eps = [
        run_episode(env, policy, rng, seed=seed if k == 0 else None) for k in range(n)
    ]
    env.close()
    return policy, eps


def test_flatten_sorted_keys() -> None:
    g = {"b": np.array([3.0]), "a": np.array([[1.0, 2.0]])}
    np.testing.assert_array_equal(flatten(g), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one"):
        flatten({})


def test_stats_hand_computed() -> None:
    s = gradient_stats(SAMPLES)
    assert s.n == 4
    np.testing.assert_allclose(s.mean, [2.0, 0.0])
    assert s.total_variance == pytest.approx(10 / 3)
    assert s.variance_along_mean == pytest.approx(2 / 3)  # u = (1, 0)
    assert s.mean_norm2 == pytest.approx(4 - (10 / 3) / 4)
    assert s.relative_variance == pytest.approx((10 / 3) / (19 / 6))


def test_cosine_against_a_naive_loop() -> None:
    g = np.random.default_rng(3).standard_normal((7, 5)) + 1.0
    cos = []
    for k in range(len(g)):
        other = np.delete(g, k, axis=0).mean(axis=0)
        cos.append(g[k] @ other / np.linalg.norm(g[k]) / np.linalg.norm(other))
    assert gradient_stats(g).cosine == pytest.approx(np.mean(cos))


def test_stats_are_scale_free_where_they_say_so() -> None:
    a, b = gradient_stats(SAMPLES), gradient_stats(1000.0 * SAMPLES)
    assert b.total_variance == pytest.approx(1e6 * a.total_variance)
    assert b.relative_variance == pytest.approx(a.relative_variance)
    assert b.cosine == pytest.approx(a.cosine)


def test_stats_noise_only_and_bad_input() -> None:
    s = gradient_stats(np.array([[1.0, 0.0], [-1.0, 0.0]]))  # zero mean: no signal
    assert s.relative_variance == np.inf and s.variance_along_mean == 0.0
    with pytest.raises(ValueError, match="K >= 2"):
        gradient_stats(np.ones((1, 3)))
    with pytest.raises(ValueError, match="finite"):
        gradient_stats(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_samples_match_reinforce_gradient_batch_by_batch() -> None:
    policy, eps = episodes(6, seed=0)
    g = gradient_samples(policy, eps, 3, gamma=0.99, baseline="mean")
    assert g.shape == (2, policy.num_params())
    for k in range(2):
        ref = reinforce_gradient(
            policy, eps[3 * k : 3 * k + 3], gamma=0.99, baseline="mean"
        )
        np.testing.assert_allclose(g[k], flatten(ref))
    with pytest.raises(ValueError, match="multiple"):
        gradient_samples(policy, eps, 4, gamma=0.99, baseline="none")
    with pytest.raises(ValueError, match="batch_size"):
        gradient_samples(policy, eps, 0, gamma=0.99, baseline="none")


def test_fixed_baseline_of_zero_is_no_baseline() -> None:
    policy, eps = episodes(4, seed=1)
    zero = FixedBaseline(lambda s: np.zeros(len(s)))
    np.testing.assert_allclose(
        gradient_samples(policy, eps, 2, gamma=0.99, baseline=zero),
        gradient_samples(policy, eps, 2, gamma=0.99, baseline="none"),
    )
    with pytest.raises(ValueError, match="shape"):
        zero_bad = FixedBaseline(lambda s: np.zeros(len(s) + 1))
        zero_bad.advantages([np.ones(2)], [np.zeros((2, 4))])
    with pytest.raises(TypeError):
        FixedBaseline(3.0)  # type: ignore[arg-type]


def test_fitted_baseline_is_frozen_ridge_fit() -> None:
    _, eps = episodes(5, seed=2)
    fixed = fit_value_baseline(eps, gamma=0.9)
    V = ValueBaseline()
    V.fit([e.observations for e in eps], [reward_to_go(e.rewards, 0.9) for e in eps])
    s = eps[0].observations
    np.testing.assert_allclose(fixed.value(s), V.predict(s))
    before = fixed.value(s).copy()
    fixed.advantages([reward_to_go(eps[1].rewards, 0.9)], [eps[1].observations])
    np.testing.assert_array_equal(fixed.value(s), before)  # using it never refits
    with pytest.raises(ValueError, match="at least one"):
        fit_value_baseline([], gamma=0.9)


def test_baselines_unbiased_and_value_reduces_variance() -> None:
    """Same batches, a value baseline fitted on other episodes: the paired difference of
    the estimates has mean zero (within 4 standard errors along a fixed direction), and
    the variance falls."""
    policy, eps = episodes(500, seed=3)
    fixed = fit_value_baseline(eps[:100], gamma=0.99)
    test = eps[100:]
    none = gradient_samples(policy, test, 2, gamma=0.99, baseline="none")
    value = gradient_samples(policy, test, 2, gamma=0.99, baseline=fixed)
    d = (none - value) @ np.random.default_rng(6).standard_normal(none.shape[1])  # (K,)
    assert abs(d.mean()) < 4 * d.std(ddof=1) / np.sqrt(d.size)
    assert (
        gradient_stats(value).total_variance < 0.8 * gradient_stats(none).total_variance
    )


def test_deterministic() -> None:
    a = gradient_samples(*episodes(4, seed=7), 2, gamma=0.99, baseline="standardize")
    b = gradient_samples(*episodes(4, seed=7), 2, gamma=0.99, baseline="standardize")
    np.testing.assert_array_equal(a, b)


def test_variance_ratio_point_estimate_and_pairing() -> None:
    rng = np.random.default_rng(8)
    noise = rng.standard_normal((60, 4))
    a, b = 1.0 + 0.5 * noise, 1.0 + noise  # same batches, half the noise
    r = variance_ratio(a, b, rng=np.random.default_rng(0), n_boot=500)
    assert r.value == pytest.approx(
        gradient_stats(a).total_variance / gradient_stats(b).total_variance
    )
    assert r.value == pytest.approx(0.25)
    assert r.low == pytest.approx(0.25) and r.high == pytest.approx(
        0.25
    )  # perfectly paired
    rel = variance_ratio(a, b, rng=np.random.default_rng(0), n_boot=500, relative=True)
    assert rel.value == pytest.approx(
        gradient_stats(a).relative_variance / gradient_stats(b).relative_variance
    )
    assert rel.low <= rel.value <= rel.high


def test_variance_ratio_resamples_like_a_loop() -> None:
    """The count-matrix moments agree with recomputing the statistics on each resample."""
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((12, 3)) + 2.0, rng.standard_normal((12, 3)) * 2.0 + 1.0
    r = variance_ratio(a, b, rng=np.random.default_rng(1), n_boot=50)
    idx = np.random.default_rng(1).integers(0, 12, size=(50, 12))
    ratios = [
        gradient_stats(a[i]).total_variance / gradient_stats(b[i]).total_variance
        for i in idx
    ]
    low, high = np.quantile(ratios, [0.025, 0.975], method="inverted_cdf")
    assert (r.low, r.high) == pytest.approx((low, high))


def test_variance_ratio_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="K >= 2"):
        variance_ratio(np.ones((3, 2)), np.ones((4, 2)), rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        variance_ratio(SAMPLES, SAMPLES, rng=0)  # type: ignore[arg-type]
    const = np.ones((4, 2))
    assert (
        variance_ratio(SAMPLES, const, rng=rng).value == np.inf
    )  # no noise to compare with
