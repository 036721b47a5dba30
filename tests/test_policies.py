"""Policies: finite-difference gradient checks, score identities, stability, sampling."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from reinforce.policies import (
    BernoulliPolicy,
    CategoricalPolicy,
    GaussianPolicy,
    Policy,
    inverse_cdf,
    log_sigmoid,
    log_softmax,
    make_policy,
    sigmoid,
    stack_policies,
)
from reinforce.population import MemberStreams

D, H, T = 4, 7, 9


def _bernoulli(rng: np.random.Generator) -> tuple[Policy, np.ndarray, np.ndarray]:
    policy = BernoulliPolicy(D, H, rng)
    obs = rng.standard_normal((T, D))
    return policy, obs, rng.integers(0, 2, T)


def _categorical(rng: np.random.Generator) -> tuple[Policy, np.ndarray, np.ndarray]:
    policy = CategoricalPolicy(D, 3, H, rng)
    policy.params["b1"] = (
        rng.standard_normal(H) * 0.1
    )  # non-zero biases exercise their gradient
    policy.params["b2"] = rng.standard_normal(3) * 0.1
    obs = rng.standard_normal((T, D))
    return policy, obs, rng.integers(0, 3, T)


def _gaussian(rng: np.random.Generator) -> tuple[Policy, np.ndarray, np.ndarray]:
    policy = GaussianPolicy(D, -2.0 * np.ones(2), 2.0 * np.ones(2), H, rng)
    policy.params["log_std"] = np.array([-0.3, 0.4])
    policy.params["b1"] = rng.standard_normal(H) * 0.1
    obs = rng.standard_normal((T, D))
    return policy, obs, rng.standard_normal((T, 2)) * 1.5


MAKERS = {"bernoulli": _bernoulli, "categorical": _categorical, "gaussian": _gaussian}


def _objective(
    policy: Policy, obs: np.ndarray, actions: np.ndarray, w: np.ndarray
) -> float:
    return float(np.dot(w, policy.log_prob(obs, actions)))


@pytest.mark.parametrize("kind", MAKERS)
def test_grad_log_prob_matches_central_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(0)
    policy, obs, actions = MAKERS[kind](rng)
    w = rng.standard_normal(T)
    analytic = policy.grad_log_prob(obs, actions, w)
    h = 1e-6
    for name, theta in policy.params.items():
        numeric = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            old = theta[i]
            theta[i] = old + h
            up = _objective(policy, obs, actions, w)
            theta[i] = old - h
            down = _objective(policy, obs, actions, w)
            theta[i] = old
            numeric[i] = (up - down) / (2 * h)
        rel = np.linalg.norm(analytic[name] - numeric) / max(
            np.linalg.norm(analytic[name]) + np.linalg.norm(numeric), 1e-12
        )
        assert rel < 1e-6, f"{kind}.{name}: relative error {rel:.2e}"


@pytest.mark.parametrize("kind", MAKERS)
def test_gradient_shapes_match_params(kind: str) -> None:
    policy, obs, actions = MAKERS[kind](np.random.default_rng(1))
    grads = policy.grad_log_prob(obs, actions, np.ones(T))
    assert grads.keys() == policy.params.keys()
    for k in grads:
        assert grads[k].shape == policy.params[k].shape
        assert grads[k].dtype == np.float64


def test_bernoulli_score_is_a_minus_p() -> None:
    """The gradient w.r.t. the logit is a − p: check it through dW2 = Σ (a − p) h."""
    rng = np.random.default_rng(2)
    policy, obs, actions = _bernoulli(rng)
    z, h = policy.forward(obs)
    p = sigmoid(z)
    expected = h.T @ (actions - p)
    np.testing.assert_allclose(
        policy.grad_log_prob(obs, actions, np.ones(T))["W2"], expected
    )


def test_bernoulli_matches_the_posts_network() -> None:
    """p = σ(W2 · relu(W1 x)) with no biases, as in the reference post."""
    rng = np.random.default_rng(3)
    policy = BernoulliPolicy(4, 100, rng)
    assert set(policy.params) == {"W1", "W2"}
    assert policy.params["W1"].shape == (100, 4) and policy.params["W2"].shape == (100,)
    x = rng.standard_normal(4)
    h = policy.params["W1"] @ x
    h[h < 0] = 0
    expected = 1.0 / (1.0 + np.exp(-(policy.params["W2"] @ h)))
    assert policy.prob(x) == pytest.approx(expected, rel=1e-12)


def test_initialisation_is_randn_over_sqrt_fan_in() -> None:
    rng = np.random.default_rng(4)
    policy = BernoulliPolicy(400, 300, rng)
    assert policy.params["W1"].std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert policy.params["W2"].std() == pytest.approx(1 / np.sqrt(300), rel=0.1)


@pytest.mark.parametrize("kind", ["bernoulli", "categorical"])
def test_expected_score_is_zero_for_discrete_policies(kind: str) -> None:
    """Σ_a π(a|s) ∇ log π(a|s) = ∇ Σ_a π(a|s) = 0 for every state."""
    rng = np.random.default_rng(5)
    policy, obs, _ = MAKERS[kind](rng)
    n = 2 if kind == "bernoulli" else 3
    for s in obs:
        total = policy.zeros_like_params()
        for a in range(n):
            pi = float(np.exp(policy.log_prob(s[None], np.array([a]))[0]))
            g = policy.grad_log_prob(s[None], np.array([a]), np.array([pi]))
            for k in total:
                total[k] += g[k]
        for k, v in total.items():
            assert np.max(np.abs(v)) < 1e-12, (kind, k)


def test_stable_primitives_at_extreme_logits() -> None:
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(
        over="raise", invalid="raise", divide="raise"
    ):  # underflow to 0 is fine
        ls = log_sigmoid(z)
        s = sigmoid(z)
        lsm = log_softmax(
            np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
        )
    assert np.all(np.isfinite(ls)) and ls[0] == -1000.0 and ls[-1] == 0.0
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert np.all(np.isfinite(lsm))
    np.testing.assert_allclose(lsm[0], [0.0, -2000.0, -1000.0])
    np.testing.assert_allclose(lsm[1], np.log(np.ones(3) / 3))


def test_log_prob_is_finite_when_the_logit_is_huge() -> None:
    policy = BernoulliPolicy(1, 1, np.random.default_rng(0))
    policy.params["W1"][:] = 1.0
    policy.params["W2"][:] = 1000.0
    obs = np.array([[1.0], [1.0]])
    lp = policy.log_prob(obs, np.array([1, 0]))
    assert lp[0] == 0.0 and lp[1] == -1000.0
    g = policy.grad_log_prob(obs, np.array([1, 0]), np.ones(2))
    assert all(np.all(np.isfinite(v)) for v in g.values())


def test_categorical_extreme_logits() -> None:
    policy = CategoricalPolicy(1, 3, 1, np.random.default_rng(0))
    policy.params["W1"][:] = 1.0
    policy.params["W2"][:] = np.array([[1000.0], [-1000.0], [0.0]])
    lp = policy.log_prob(np.array([[1.0]]), np.array([1]))
    assert lp[0] == -2000.0
    assert policy.sample(np.array([1.0]), np.random.default_rng(0)) == 0


@pytest.mark.parametrize("kind", ["bernoulli", "categorical"])
def test_sampling_frequencies_match_probabilities(kind: str) -> None:
    rng = np.random.default_rng(6)
    policy, obs, _ = MAKERS[kind](rng)
    s = obs[0]
    n = 2 if kind == "bernoulli" else 3
    probs = np.exp([policy.log_prob(s[None], np.array([a]))[0] for a in range(n)])
    N = 40_000
    draws = policy.sample(np.repeat(s[None], N, axis=0), rng)
    freq = np.bincount(draws, minlength=n) / N
    se = np.sqrt(probs * (1 - probs) / N)
    assert np.all(np.abs(freq - probs) < 5 * se)


def test_gaussian_sample_statistics_and_clipping() -> None:
    rng = np.random.default_rng(7)
    policy, obs, _ = _gaussian(rng)
    mu, _ = policy.forward(obs[:1])
    draws = policy.sample(np.repeat(obs[:1], 20_000, axis=0), rng)
    np.testing.assert_allclose(
        draws.mean(axis=0), mu[0], atol=5 * policy.std().max() / 140
    )
    np.testing.assert_allclose(draws.std(axis=0), policy.std(), rtol=0.03)
    clipped = policy.env_action(np.array([5.0, -5.0]))
    np.testing.assert_array_equal(clipped, [2.0, -2.0])


def test_gaussian_log_prob_is_the_normal_density() -> None:
    rng = np.random.default_rng(8)
    policy, obs, actions = _gaussian(rng)
    mu, _ = policy.forward(obs)
    sigma = policy.std()
    dens = np.exp(-0.5 * ((actions - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(policy.log_prob(obs, actions), np.log(dens).sum(axis=1))


def test_score_function_estimate_on_a_bandit_matches_the_exact_gradient() -> None:
    """One state, two arms with rewards 1 and 0: ∇J = ∇p exactly; the Monte Carlo
    estimate E[r ∇ log π] must agree within 4 standard errors."""
    rng = np.random.default_rng(9)
    policy = BernoulliPolicy(3, 5, rng)
    s = np.array([0.5, -1.0, 2.0])
    reward = np.array([0.0, 1.0])  # arm 1 pays 1
    # exact: J = p(s); ∇J = p (1 − p) ∇z, i.e. the gradient of log π(a=1) weighted by p
    p = float(policy.prob(s))
    exact = policy.grad_log_prob(
        s[None], np.array([1]), np.array([p])
    )  # p ∇ log p = ∇p
    N = 20_000
    obs = np.repeat(s[None], N, axis=0)
    actions = policy.sample(obs, rng)
    per_sample = {k: [] for k in policy.params}
    for a in (0, 1):
        g = policy.grad_log_prob(s[None], np.array([a]), np.array([reward[a]]))
        for k in g:
            per_sample[k].append(g[k])
    for k in policy.params:
        samples = np.stack([per_sample[k][a] for a in actions])  # (N, ...)
        mean = samples.mean(axis=0)
        se = samples.std(axis=0) / np.sqrt(N)
        z = np.abs(mean - exact[k]) / np.maximum(se, 1e-15)
        assert np.all(z[se > 0] < 4), f"{k}: max z = {z.max():.2f}"


def test_make_policy_picks_by_action_space() -> None:
    rng = np.random.default_rng(0)
    box = spaces.Box(-1, 1, (4,))
    assert isinstance(make_policy(box, spaces.Discrete(2), 8, rng), BernoulliPolicy)
    assert isinstance(make_policy(box, spaces.Discrete(3), 8, rng), CategoricalPolicy)
    assert isinstance(make_policy(box, spaces.Box(-2, 2, (1,)), 8, rng), GaussianPolicy)


@pytest.mark.parametrize(
    "action_space",
    [
        spaces.MultiDiscrete([2, 3]),
        spaces.MultiBinary(3),
        spaces.Dict({"a": spaces.Discrete(2)}),
        spaces.Tuple((spaces.Discrete(2), spaces.Discrete(2))),
        spaces.Box(-np.inf, np.inf, (2,)),
        spaces.Discrete(1),
    ],
    ids=["multidiscrete", "multibinary", "dict", "tuple", "infinite-box", "one-action"],
)
def test_make_policy_rejects_unsupported_action_spaces(
    action_space: spaces.Space,
) -> None:
    with pytest.raises(ValueError, match="action_space"):
        make_policy(spaces.Box(-1, 1, (4,)), action_space, 8, np.random.default_rng(0))


def test_make_policy_rejects_non_flat_observations() -> None:
    with pytest.raises(ValueError, match="observation_space"):
        make_policy(
            spaces.Box(0, 1, (4, 4)), spaces.Discrete(2), 8, np.random.default_rng(0)
        )


@pytest.mark.parametrize("hidden", [0, -3])
def test_hidden_size_below_one_is_rejected(hidden: int) -> None:
    with pytest.raises(ValueError, match=f"hidden must be >= 1, got {hidden}"):
        BernoulliPolicy(4, hidden, np.random.default_rng(0))


def test_bad_observation_shape_is_rejected() -> None:
    policy = BernoulliPolicy(4, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="obs must have shape"):
        policy.prob(np.zeros(5))


# ---------------------------------------------------------------- populations (stacked)

K = 3


def _population(
    kind: str,
) -> tuple[Policy, list[Policy], np.ndarray, np.ndarray, np.ndarray]:
    """K members of one kind with different weights, and per-member batches."""
    singles, obs, actions = [], [], []
    for k in range(K):
        policy, x, a = MAKERS[kind](np.random.default_rng(100 + k))
        singles.append(policy)
        obs.append(x)
        actions.append(a)
    w = np.random.default_rng(7).standard_normal((K, T))
    return stack_policies(singles), singles, np.stack(obs), np.stack(actions), w


@pytest.mark.parametrize("kind", MAKERS)
def test_stacked_grad_log_prob_matches_central_finite_differences(kind: str) -> None:
    """The batched backward pass (K = 3 members, different weights) against finite
    differences of Σ_k Σ_t w_kt log π_k(a_kt | s_kt)."""
    policy, singles, obs, actions, w = _population(kind)
    assert policy.members == K
    assert not np.allclose(singles[0].params["W1"], singles[1].params["W1"])
    analytic = policy.grad_log_prob(obs, actions, w)

    def objective() -> float:
        return float(np.sum(w * policy.log_prob(obs, actions)))

    h = 1e-6
    for name, theta in policy.params.items():
        assert analytic[name].shape == theta.shape
        numeric = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            old = theta[i]
            theta[i] = old + h
            up = objective()
            theta[i] = old - h
            down = objective()
            theta[i] = old
            numeric[i] = (up - down) / (2 * h)
        rel = np.linalg.norm(analytic[name] - numeric) / max(
            np.linalg.norm(analytic[name]) + np.linalg.norm(numeric), 1e-12
        )
        assert rel < 1e-6, f"{kind}.{name}: relative error {rel:.2e}"


@pytest.mark.parametrize("kind", MAKERS)
def test_a_member_computes_the_same_bits_alone_and_stacked(kind: str) -> None:
    policy, singles, obs, actions, w = _population(kind)
    stacked = {
        "log_prob": policy.log_prob(obs, actions),
        "entropy": policy.entropy(obs),
        "mode": policy.mode(obs),
        **{f"grad {n}": g for n, g in policy.grad_log_prob(obs, actions, w).items()},
    }
    for k, single in enumerate(singles):
        alone = {
            "log_prob": single.log_prob(obs[k], actions[k]),
            "entropy": single.entropy(obs[k]),
            "mode": single.mode(obs[k]),
            **{
                f"grad {n}": g
                for n, g in single.grad_log_prob(obs[k], actions[k], w[k]).items()
            },
        }
        for name, value in alone.items():
            np.testing.assert_array_equal(
                stacked[name][k], value, err_msg=f"{kind} {name}"
            )
        np.testing.assert_array_equal(
            policy.member(k).params["W1"], single.params["W1"]
        )


@pytest.mark.parametrize("kind", MAKERS)
def test_stacked_sampling_draws_each_member_from_its_own_generator(kind: str) -> None:
    policy, singles, obs, _, _ = _population(kind)
    streams = MemberStreams([np.random.default_rng(k) for k in range(K)])
    drawn = policy.sample(obs, streams)  # type: ignore[arg-type]
    for k, single in enumerate(singles):
        np.testing.assert_array_equal(
            drawn[k], single.sample(obs[k], np.random.default_rng(k))
        )


def test_member_views_share_memory_with_the_population() -> None:
    policy, _, _, _, _ = _population("bernoulli")
    view = policy.member(1, view=True)
    view.params["W2"] += 1.0
    np.testing.assert_array_equal(policy.params["W2"][1], view.params["W2"])
    assert policy.member(1).params["W2"] is not policy.params["W2"]
    with pytest.raises(ValueError, match="stacked population"):
        view.member(0)


def test_stack_policies_rejects_mixed_kinds_and_sizes() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="cannot stack"):
        stack_policies([BernoulliPolicy(D, H, rng), BernoulliPolicy(D, H + 1, rng)])
    with pytest.raises(ValueError, match="cannot stack"):
        stack_policies([BernoulliPolicy(D, H, rng), CategoricalPolicy(D, 2, H, rng)])
    with pytest.raises(ValueError, match="at least one"):
        stack_policies([])


def test_stacked_obs_must_have_the_member_axis() -> None:
    policy, _, obs, actions, _ = _population("categorical")
    with pytest.raises(ValueError, match=r"obs must have shape \(3, T, 4\)"):
        policy.log_prob(obs[0], actions[0])


# ---------------------------------------------------------------- entropy, mode, bad input


def test_entropy_and_mode_of_every_head() -> None:
    rng = np.random.default_rng(8)
    bern, obs, _ = _bernoulli(rng)
    p = bern.prob(obs)
    np.testing.assert_allclose(
        bern.entropy(obs), -(p * np.log(p) + (1 - p) * np.log(1 - p))
    )
    np.testing.assert_array_equal(bern.mode(obs), (p > 0.5).astype(int))
    cat, obs, _ = _categorical(rng)
    pi = cat.probs(obs)
    np.testing.assert_allclose(cat.entropy(obs), -(pi * np.log(pi)).sum(axis=1))
    np.testing.assert_array_equal(cat.mode(obs), pi.argmax(axis=1))
    gauss, obs, _ = _gaussian(rng)
    sigma = gauss.std()
    expected = np.sum(np.log(sigma * np.sqrt(2 * np.pi * np.e)))
    np.testing.assert_allclose(gauss.entropy(obs), np.full(T, expected))
    mu, _ = gauss.forward(obs)
    np.testing.assert_array_equal(gauss.mode(obs), mu)
    assert np.ndim(bern.entropy(obs[0])) == 0 and np.ndim(cat.mode(obs[0])) == 0


def test_one_observation_is_the_batch_of_one_bit_for_bit() -> None:
    """The per-step loop's single-observation sample draws one uniform and compares
    it with exactly the probability the batch path computes for that row."""
    rng = np.random.default_rng(13)
    bern, obs, _ = _bernoulli(rng)
    for x in obs:
        assert bern.prob(x) == bern.prob(x[None])[0]
        a, b = np.random.default_rng(1), np.random.default_rng(1)
        draw = bern.sample(x, a)
        assert type(draw) is int and draw == int(b.random() < bern.prob(x[None])[0])


def test_every_policy_class_has_entropy_and_mode() -> None:
    """The Policy base declares entropy() and mode() abstract, and every policy class
    (the tabular one too) gives them the same shapes: (T,) for a batch, one value for
    a single observation; the mode is an action sample() could draw."""
    from reinforce.tabular import TabularSoftmaxPolicy, one_hot

    assert {"entropy", "mode"} <= Policy.__abstractmethods__
    rng = np.random.default_rng(12)
    tab = TabularSoftmaxPolicy(rng.standard_normal((5, 3)))
    states = one_hot(rng.integers(0, 5, T), 5)
    pi = tab.probs(states)
    np.testing.assert_allclose(tab.entropy(states), -(pi * np.log(pi)).sum(axis=1))
    np.testing.assert_array_equal(tab.mode(states), pi.argmax(axis=1))
    made = {name: maker(rng)[:2] for name, maker in MAKERS.items()}
    for name, (policy, obs) in {**made, "tabular": (tab, states)}.items():
        entropy, mode = policy.entropy(obs), policy.mode(obs)
        draws = np.asarray(policy.sample(obs, rng))
        assert entropy.shape == (T,) and np.isfinite(entropy).all(), name
        assert np.shape(mode) == draws.shape, name
        assert np.ndim(policy.entropy(obs[0])) == 0, name
        assert np.shape(policy.mode(obs[0])) == draws.shape[1:], name
        np.testing.assert_allclose(policy.mode(obs[0]), np.asarray(mode)[0], rtol=1e-12)


def test_entropy_matches_a_monte_carlo_estimate() -> None:
    """H = −E[log π(a | s)]: the mean of −log π over many sampled actions."""
    rng = np.random.default_rng(9)
    for maker in MAKERS.values():
        policy, obs, _ = maker(rng)
        s = np.tile(obs[0], (20_000, 1))
        mc = -policy.log_prob(s, policy.sample(s, rng)).mean()
        assert mc == pytest.approx(float(policy.entropy(obs[0])), abs=0.03)


def test_inverse_cdf_picks_the_first_index_past_u() -> None:
    probs = np.array([[0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(inverse_cdf(probs, np.array([0.1, 0.5])), [0, 2])
    np.testing.assert_array_equal(inverse_cdf(probs[0], 0.69), 1)
    np.testing.assert_array_equal(inverse_cdf(probs[:1], np.array([1.0 - 1e-17])), [2])


@pytest.mark.parametrize("kind", MAKERS)
def test_non_finite_observations_are_rejected(kind: str) -> None:
    policy, obs, actions = MAKERS[kind](np.random.default_rng(10))
    obs[2, 1] = np.nan
    for call in (
        lambda: policy.log_prob(obs, actions),
        lambda: policy.sample(obs, np.random.default_rng(0)),
        lambda: policy.grad_log_prob(obs, actions, np.ones(T)),
    ):
        with pytest.raises(ValueError, match="obs must be finite"):
            call()


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("bernoulli", 2),
        ("bernoulli", -1),
        ("categorical", 3),
        ("categorical", -1),
        ("gaussian", np.inf),
    ],
)
def test_out_of_range_actions_are_rejected(kind: str, bad: float) -> None:
    policy, obs, actions = MAKERS[kind](np.random.default_rng(11))
    actions = actions.copy()
    actions[0] = bad
    with pytest.raises(ValueError, match="actions must"):
        policy.log_prob(obs, actions)
    with pytest.raises(ValueError, match="actions must"):
        policy.grad_log_prob(obs, actions, np.ones(T))
