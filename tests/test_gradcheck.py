"""Tests for reinforce.gradcheck: known gradients, restoring parameters, the error measure."""

import numpy as np
import pytest

from reinforce import BernoulliPolicy
from reinforce.gradcheck import numerical_gradient, relative_error


def test_quadratic_by_hand():
    # f = Σ a_i² + 3 b  →  ∂f/∂a = 2a, ∂f/∂b = 3
    params = {"a": np.array([[1.0, -2.0], [0.5, 0.0]]), "b": np.array([4.0])}
    g = numerical_gradient(
        lambda: float(np.sum(params["a"] ** 2) + 3 * params["b"][0]), params
    )
    np.testing.assert_allclose(g["a"], 2 * params["a"], atol=1e-8)
    np.testing.assert_allclose(g["b"], [3.0], atol=1e-8)


def test_params_restored_exactly():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 4))}
    before = params["w"].copy()
    numerical_gradient(lambda: float(np.sin(params["w"]).sum()), params, h=1e-3)
    np.testing.assert_array_equal(params["w"], before)


def test_matches_bernoulli_backprop():
    rng = np.random.default_rng(1)
    policy = BernoulliPolicy(4, 6, rng)
    obs = rng.standard_normal((7, 4))
    actions = rng.integers(0, 2, size=7)
    weights = rng.standard_normal(7)
    exact = policy.grad_log_prob(obs, actions, weights)
    numeric = numerical_gradient(
        lambda: float(weights @ policy.log_prob(obs, actions)), policy.params
    )
    assert relative_error(exact, numeric) < 1e-7


def test_relative_error_values():
    a = {"x": np.array([3.0, 4.0])}
    assert relative_error(a, a) == 0.0
    assert relative_error({"x": np.zeros(2)}, {"x": np.zeros(2)}) == 0.0
    assert relative_error(a, {"x": np.zeros(2)}) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="keys differ"):
        relative_error(a, {"y": np.zeros(2)})


@pytest.mark.parametrize("h", [0.0, -1e-6, np.inf])
def test_bad_step_raises(h):
    with pytest.raises(ValueError, match="h must be"):
        numerical_gradient(lambda: 0.0, {"w": np.zeros(2)}, h=h)


def test_integer_params_rejected():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, {"w": np.zeros(2, dtype=np.int64)})
