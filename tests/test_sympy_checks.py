"""The policies' hand-written scores against derivations by SymPy.

Every score is derived here from the log-probability, symbolically, shown to have mean zero,
lambdified, and compared with the package's last-layer gradients on random inputs (the chapter
"The log-likelihood trick, derived with SymPy" does the same in prose).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from reinforce import BernoulliPolicy, CategoricalPolicy, GaussianPolicy, relative_error

TOLERANCE = 1e-10
T, HIDDEN = 50, 12


# ---------------------------------------------------------------- derivations


def bernoulli_score() -> tuple[sp.Symbol, sp.Symbol, sp.Expr, sp.Expr]:
    """a, z, p = σ(z) and ∂ log π(a | z) / ∂z, differentiated by SymPy."""
    a, z = sp.symbols("a z", real=True)
    p = 1 / (1 + sp.exp(-z))
    return a, z, p, sp.diff(a * sp.log(p) + (1 - a) * sp.log(1 - p), z)


def softmax_scores(K: int) -> tuple[tuple[sp.Symbol, ...], sp.Matrix, sp.Matrix]:
    """Logits z, π (1, K) and the (K, K) matrix ∂ log π(k | z) / ∂z_j (row k: action k)."""
    z = sp.symbols(f"z0:{K}", real=True)
    norm = sum(sp.exp(z_j) for z_j in z)
    pi = sp.Matrix([[sp.exp(z_k) / norm for z_k in z]])
    return z, pi, sp.Matrix(K, K, lambda k, j: sp.diff(z[k] - sp.log(norm), z[j]))


def gaussian_scores() -> tuple[tuple[sp.Symbol, ...], sp.Expr, sp.Expr, sp.Expr]:
    """(a, μ, ℓ), the log-density with σ = e^ℓ, and its derivatives in μ and ℓ."""
    a, mu, ell = sp.symbols("a mu ell", real=True)
    log_density = -((a - mu) ** 2) / (2 * sp.exp(2 * ell)) - ell - sp.log(2 * sp.pi) / 2
    return (
        (a, mu, ell),
        log_density,
        sp.diff(log_density, mu),
        sp.diff(log_density, ell),
    )


# ---------------------------------------------------------------- symbolic facts


def test_bernoulli_score_is_a_minus_p_with_mean_zero():
    a, _, p, score = bernoulli_score()
    assert sp.simplify(score - (a - p)) == 0
    assert sp.simplify(p * score.subs(a, 1) + (1 - p) * score.subs(a, 0)) == 0


@pytest.mark.parametrize("K", [2, 3, 4], ids=lambda K: f"K={K}")
def test_softmax_score_is_onehot_minus_pi_with_mean_zero(K):
    _, pi, scores = softmax_scores(K)
    assert sp.simplify(scores - (sp.eye(K) - sp.ones(K, 1) * pi)) == sp.zeros(K, K)
    assert sp.simplify(pi * scores) == sp.zeros(1, K)


def test_gaussian_scores_and_their_zero_integrals():
    (a, mu, ell), log_density, score_mu, score_ell = gaussian_scores()
    assert sp.simplify(score_mu - (a - mu) / sp.exp(2 * ell)) == 0
    assert sp.simplify(score_ell - ((a - mu) ** 2 / sp.exp(2 * ell) - 1)) == 0
    sigma = sp.symbols("sigma", positive=True)
    density = sp.exp(log_density).subs(ell, sp.log(sigma))
    assert sp.simplify(sp.integrate(density, (a, -sp.oo, sp.oo))) == 1
    for score in (score_mu, score_ell):
        integrand = density * score.subs(ell, sp.log(sigma))
        assert sp.simplify(sp.integrate(integrand, (a, -sp.oo, sp.oo))) == 0


# ---------------------------------------------------------------- symbolic vs the package


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bernoulli_matches_package(seed):
    rng = np.random.default_rng(seed)
    a, z, _, score = bernoulli_score()
    score_fn = sp.lambdify((a, z), score, "numpy")
    policy = BernoulliPolicy(obs_dim=4, hidden=HIDDEN, rng=rng)
    obs, w = rng.standard_normal((T, 4)), rng.standard_normal(T)
    actions = policy.sample(obs, rng)
    z_t, h_t = policy.forward(obs)
    symbolic = {"W2": h_t.T @ (w * score_fn(actions, z_t))}
    package = policy.grad_log_prob(obs, actions, w)
    assert relative_error(symbolic, {"W2": package["W2"]}) < TOLERANCE


@pytest.mark.parametrize(
    ("K", "seed"), [(3, 0), (3, 1), (5, 2)], ids=["K=3-a", "K=3-b", "K=5"]
)
def test_categorical_matches_package(K, seed):
    rng = np.random.default_rng(seed)
    z, _, scores = softmax_scores(K)
    scores_fn = sp.lambdify(z, scores, "numpy")
    policy = CategoricalPolicy(obs_dim=4, n_actions=K, hidden=HIDDEN, rng=rng)
    obs, w = rng.standard_normal((T, 4)), rng.standard_normal(T)
    actions = policy.sample(obs, rng)
    z_t, h_t = policy.forward(obs)
    table = np.array(scores_fn(*z_t.T))  # (K, K, T)
    delta = w[:, None] * table[actions, :, np.arange(T)]  # (T, K)
    symbolic = {"b2": delta.sum(axis=0), "W2": delta.T @ h_t}
    package = policy.grad_log_prob(obs, actions, w)
    assert (
        relative_error(symbolic, {name: package[name] for name in symbolic}) < TOLERANCE
    )


@pytest.mark.parametrize(
    ("k", "seed"), [(1, 0), (2, 1), (3, 2)], ids=["k=1", "k=2", "k=3"]
)
def test_gaussian_matches_package(k, seed):
    rng = np.random.default_rng(seed)
    variables, _, score_mu, score_ell = gaussian_scores()
    mu_fn = sp.lambdify(variables, score_mu, "numpy")
    ell_fn = sp.lambdify(variables, score_ell, "numpy")
    policy = GaussianPolicy(
        obs_dim=3, low=-np.ones(k), high=np.ones(k), hidden=HIDDEN, rng=rng
    )
    policy.params["log_std"] = 0.5 * rng.standard_normal(k)
    obs, w = rng.standard_normal((T, 3)), rng.standard_normal(T)
    actions = policy.sample(obs, rng)  # (T, k)
    mu_t, h_t = policy.forward(obs)
    log_std = policy.params["log_std"]
    delta_mu = w[:, None] * mu_fn(actions, mu_t, log_std)  # (T, k)
    delta_ell = w[:, None] * ell_fn(actions, mu_t, log_std)  # (T, k)
    symbolic = {
        "b2": delta_mu.sum(axis=0),
        "W2": delta_mu.T @ h_t,
        "log_std": delta_ell.sum(axis=0),
    }
    package = policy.grad_log_prob(obs, actions, w)
    assert (
        relative_error(symbolic, {name: package[name] for name in symbolic}) < TOLERANCE
    )


def test_a_wrong_score_is_caught():
    """The comparison has teeth: p − a (the sign flipped) fails it by far."""
    rng = np.random.default_rng(3)
    a, z, p, _ = bernoulli_score()
    wrong_fn = sp.lambdify((a, z), p - a, "numpy")
    policy = BernoulliPolicy(obs_dim=4, hidden=HIDDEN, rng=rng)
    obs, w = rng.standard_normal((T, 4)), rng.standard_normal(T)
    actions = policy.sample(obs, rng)
    z_t, h_t = policy.forward(obs)
    package = policy.grad_log_prob(obs, actions, w)
    assert (
        relative_error(
            {"W2": h_t.T @ (w * wrong_fn(actions, z_t))}, {"W2": package["W2"]}
        )
        > 0.5
    )
