"""Tests for reinforce.tabular: exact J and ∇J, the Monte Carlo estimator, validation."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce import (
    TabularMDP,
    TabularSoftmaxPolicy,
    chain_mdp,
    discounted_visitation,
    numerical_gradient,
    objective,
    one_hot,
    policy_evaluation,
    policy_gradient,
    random_mdp,
    reinforce_estimates,
    reinforce_gradient,
    relative_error,
    sample_episodes,
    softmax_policy,
)


def bandit(gamma: float = 0.5) -> TabularMDP:
    """One state, two actions paying 1 and 0: every quantity is known by hand."""
    return TabularMDP(P=np.ones((1, 2, 1)), R=[[1.0, 0.0]], mu0=[1.0], gamma=gamma)


# ---------------------------------------------------------------- hand-computed values


def test_bandit_by_hand():
    """Uniform policy: V = ½ / (1 − γ), d = 1 / (1 − γ), ∂J/∂θ = ±¼ / (1 − γ)."""
    mdp, theta = bandit(gamma=0.5), np.zeros((1, 2))
    V, Q = policy_evaluation(mdp, softmax_policy(theta))
    np.testing.assert_allclose(V, [1.0])
    np.testing.assert_allclose(Q, [[1.5, 0.5]])  # R + γ V
    np.testing.assert_allclose(discounted_visitation(mdp, softmax_policy(theta)), [2.0])
    assert objective(mdp, theta) == pytest.approx(1.0)
    np.testing.assert_allclose(policy_gradient(mdp, theta), [[0.5, -0.5]])


def test_chain_mdp_layout():
    mdp = chain_mdp(n_states=4, slip=0.25, gamma=0.8)
    assert (mdp.n_states, mdp.n_actions, mdp.gamma) == (4, 2, 0.8)
    np.testing.assert_allclose(
        mdp.P[1, 1], [0.25, 0.0, 0.75, 0.0]
    )  # right, slipping left
    np.testing.assert_allclose(
        mdp.P[0, 0], [0.75, 0.25, 0.0, 0.0]
    )  # into the wall: stay
    np.testing.assert_allclose(mdp.mu0, [0.0, 0.0, 1.0, 0.0])
    assert (
        mdp.R[0, 0] == 0.2 and mdp.R[3, 1] == 1.0 and mdp.R.sum() == pytest.approx(1.2)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bellman_and_visitation(seed):
    """V and Q satisfy the Bellman equations; d equals the series Σ_t γ^t μ₀ᵀ P_π^t."""
    rng = np.random.default_rng(seed)
    mdp = random_mdp(4, 3, gamma=0.7, rng=rng)
    pi = softmax_policy(rng.standard_normal((4, 3)))
    V, Q = policy_evaluation(mdp, pi)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    np.testing.assert_allclose(
        V, (pi * mdp.R).sum(1) + mdp.gamma * P_pi @ V, atol=1e-12
    )
    np.testing.assert_allclose(V, (pi * Q).sum(1), atol=1e-12)
    d = discounted_visitation(mdp, pi)
    series, row = np.zeros(4), mdp.mu0.copy()
    for t in range(400):
        series += mdp.gamma**t * row
        row = row @ P_pi
    np.testing.assert_allclose(d, series, atol=1e-12)
    assert d.sum() == pytest.approx(1 / (1 - mdp.gamma))


# ---------------------------------------------------------------- exact gradient vs FD


@pytest.mark.parametrize(
    ("n_states", "n_actions", "gamma", "seed"),
    [(1, 2, 0.0, 0), (3, 2, 0.9, 1), (5, 3, 0.95, 2), (4, 4, 0.5, 3)],
    ids=["bandit-gamma0", "3x2", "5x3", "4x4"],
)
def test_exact_gradient_matches_finite_differences(n_states, n_actions, gamma, seed):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(n_states, n_actions, gamma=gamma, rng=rng)
    params = {"theta": rng.standard_normal((n_states, n_actions))}
    exact = {"theta": policy_gradient(mdp, params["theta"])}
    numeric = numerical_gradient(lambda: objective(mdp, params["theta"]), params)
    assert relative_error(exact, numeric) < 1e-6


def test_chain_gradient_matches_finite_differences():
    mdp = chain_mdp()
    params = {"theta": np.zeros((3, 2))}
    numeric = numerical_gradient(lambda: objective(mdp, params["theta"]), params)
    assert (
        relative_error({"theta": policy_gradient(mdp, params["theta"])}, numeric) < 1e-6
    )


def test_tabular_policy_backprop_matches_finite_differences():
    rng = np.random.default_rng(5)
    policy = TabularSoftmaxPolicy(rng.standard_normal((4, 3)))
    states, actions, w = (
        rng.integers(0, 4, 20),
        rng.integers(0, 3, 20),
        rng.standard_normal(20),
    )
    obs = one_hot(states, 4)
    exact = policy.grad_log_prob(obs, actions, w)
    numeric = numerical_gradient(
        lambda: w @ policy.log_prob(obs, actions), policy.params
    )
    assert relative_error(exact, numeric) < 1e-8
    np.testing.assert_allclose(
        np.exp(policy.log_prob(obs, actions)),
        softmax_policy(policy.params["theta"])[states, actions],
    )


# ---------------------------------------------------------------- Monte Carlo


def test_monte_carlo_within_standard_errors():
    """The mean of N REINFORCE estimates is within 4 standard errors of ∇J, entry by entry."""
    mdp, rng = chain_mdp(), np.random.default_rng(11)
    theta = rng.standard_normal((3, 2))
    episodes = sample_episodes(mdp, theta, 20_000, rng)
    g = reinforce_estimates(episodes, theta)  # (N, S, A)
    se = g.std(axis=0, ddof=1) / np.sqrt(len(g))
    assert np.all(se > 0)
    assert np.all(np.abs(g.mean(axis=0) - policy_gradient(mdp, theta)) < 4 * se)
    returns = episodes.returns
    assert abs(returns.mean() - objective(mdp, theta)) < 4 * returns.std() / np.sqrt(
        returns.size
    )


def test_episode_lengths_are_geometric():
    mdp = chain_mdp(gamma=0.8)
    episodes = sample_episodes(mdp, np.zeros((3, 2)), 20_000, np.random.default_rng(3))
    T = episodes.lengths
    assert T.min() >= 1 and T.max() == episodes.states.shape[1]
    # E[T] = 1 / (1 − γ) = 5, Var[T] = γ / (1 − γ)² = 20
    assert abs(T.mean() - 5.0) < 4 * np.sqrt(20.0 / T.size)
    assert np.all(episodes.rewards[~episodes.mask] == 0)
    assert np.all(
        sample_episodes(
            chain_mdp(gamma=0.0), np.zeros((3, 2)), 50, np.random.default_rng(0)
        ).lengths
        == 1
    )


def test_estimates_equal_the_package_reinforce_gradient():
    """Σ_i ĝ_i is exactly reinforce_gradient(gamma=1, reward_to_go, no baseline)."""
    mdp, rng = (
        random_mdp(4, 3, gamma=0.8, rng=np.random.default_rng(1)),
        np.random.default_rng(2),
    )
    theta = rng.standard_normal((4, 3))
    episodes = sample_episodes(mdp, theta, 64, rng)
    package = reinforce_gradient(
        TabularSoftmaxPolicy(theta),
        episodes.to_episodes(),
        gamma=1.0,
        credit="reward_to_go",
        baseline="none",
    )
    np.testing.assert_allclose(
        reinforce_estimates(episodes, theta).sum(axis=0),
        package["theta"],
        rtol=1e-12,
        atol=1e-12,
    )
    first = episodes.to_episodes()[0]
    assert first.length == episodes.lengths[0] and first.observations.shape == (
        first.length,
        4,
    )


def test_sampling_is_deterministic_given_the_seed():
    mdp, theta = chain_mdp(), np.zeros((3, 2))
    a = sample_episodes(mdp, theta, 100, np.random.default_rng(7))
    b = sample_episodes(mdp, theta, 100, np.random.default_rng(7))
    c = sample_episodes(mdp, theta, 100, np.random.default_rng(8))
    for name in ("states", "actions", "rewards", "lengths"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.lengths, c.lengths)


def test_tabular_policy_samples_its_probabilities():
    theta = np.array([[0.0, 1.0, -1.0]])
    policy = TabularSoftmaxPolicy(theta)
    draws = policy.sample(
        one_hot(np.zeros(20_000, dtype=np.int64), 1), np.random.default_rng(0)
    )
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, softmax_policy(theta)[0], atol=0.015)
    assert policy.sample(np.array([1.0]), np.random.default_rng(0)) in (0, 1, 2)
    assert policy.spec() == {"kind": "tabular_softmax", "n_states": 1, "n_actions": 3}


def test_softmax_policy_is_stable_for_huge_logits():
    pi = softmax_policy(np.array([[1000.0, 0.0], [-1000.0, 0.0]]))
    np.testing.assert_allclose(pi, [[1.0, 0.0], [0.0, 1.0]])


# ---------------------------------------------------------------- validation


def good() -> dict:
    mdp = chain_mdp()
    return {"P": mdp.P.copy(), "R": mdp.R.copy(), "mu0": mdp.mu0.copy(), "gamma": 0.9}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"P": np.ones((3, 2))}, r"P must have shape \(S, A, S\).*\(3, 2\)"),
        ({"P": np.ones((3, 2, 2)) / 2}, r"P must have shape \(S, A, S\).*\(3, 2, 2\)"),
        ({"R": np.zeros((2, 2))}, r"R must have shape \(3, 2\), got \(2, 2\)"),
        ({"R": [[0, 0], [0, np.nan], [0, 0]]}, r"R must be finite"),
        ({"mu0": [1.0, 0.0]}, r"mu0 must have shape \(3,\), got \(2,\)"),
        ({"mu0": [0.5, 0.4, 0.0]}, r"mu0 must sum to 1, got 0\.9"),
        ({"mu0": [1.5, -0.5, 0.0]}, r"mu0 must be non-negative, got mu0\[1\] = -0\.5"),
        ({"gamma": 1.0}, r"gamma must be in \[0, 1\), got 1\.0"),
        ({"gamma": -0.1}, r"gamma must be in \[0, 1\), got -0\.1"),
        ({"gamma": float("nan")}, r"gamma must be in \[0, 1\), got nan"),
    ],
    ids=[
        "P-2d",
        "P-not-square",
        "R-shape",
        "R-nan",
        "mu0-shape",
        "mu0-sum",
        "mu0-negative",
        "gamma-1",
        "gamma-negative",
        "gamma-nan",
    ],
)
def test_bad_mdp(change, message):
    with pytest.raises(ValueError, match=message):
        TabularMDP(**{**good(), **change})


def test_a_gamma_that_is_not_a_number_is_a_type_error():
    with pytest.raises(
        TypeError, match=r"gamma must be a number in \[0, 1\), got '0\.9'"
    ):
        TabularMDP(**(good() | {"gamma": "0.9"}))


def test_bad_transition_rows_are_named():
    fields = good()
    fields["P"][1, 0] = [0.5, 0.0, 0.4]
    with pytest.raises(ValueError, match=r"P\[1, 0, :\] must sum to 1, got 0\.9"):
        TabularMDP(**fields)
    fields = good()
    fields["P"][2, 1] = [1.2, -0.2, 0.0]
    with pytest.raises(
        ValueError, match=r"P must be non-negative, got P\[2, 1, 1\] = -0\.2"
    ):
        TabularMDP(**fields)


def test_mdp_arrays_are_copied_and_read_only():
    fields = good()
    mdp = TabularMDP(**fields)
    fields["R"][0, 0] = 99.0
    assert mdp.R[0, 0] == 0.2
    with pytest.raises(ValueError, match="read-only"):
        mdp.P[0, 0, 0] = 1.0


def test_bad_arguments():
    mdp = chain_mdp()
    with pytest.raises(
        ValueError, match=r"theta must have shape \(3, 2\), got \(2, 3\)"
    ):
        policy_gradient(mdp, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"theta must be finite"):
        objective(mdp, np.full((3, 2), np.inf))
    with pytest.raises(ValueError, match=r"pi\[0, :\] must sum to 1, got 0\.5"):
        policy_evaluation(mdp, np.full((3, 2), 0.25))
    with pytest.raises(ValueError, match=r"n_episodes must be >= 1, got 0"):
        sample_episodes(mdp, np.zeros((3, 2)), 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"n_episodes must be an integer, got 2\.5"):
        sample_episodes(mdp, np.zeros((3, 2)), 2.5, np.random.default_rng(0))
    episodes = sample_episodes(mdp, np.zeros((3, 2)), 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"theta must have shape \(3, A\)"):
        reinforce_estimates(episodes, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"states must be integers in \[0, 3\), got"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"slip must be in \[0, 1\], got 2"):
        chain_mdp(slip=2)
    with pytest.raises(ValueError, match=r"n_states must be >= 2, got 1"):
        chain_mdp(n_states=1)
    with pytest.raises(ValueError, match=r"theta must have shape \(S, A\), got \(3,\)"):
        TabularSoftmaxPolicy(np.zeros(3))
    with pytest.raises(ValueError, match=r"actions must lie in \[0, 2\)"):
        TabularSoftmaxPolicy(np.zeros((3, 2))).log_prob(
            one_hot(np.array([0]), 3), np.array([2])
        )
