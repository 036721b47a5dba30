"""Optimisers against hand-computed steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reinforce.optim import OPTIMIZERS, SGD, Adam, RMSProp, make_optimizer


def test_sgd_ascends() -> None:
    params = {"w": np.array([1.0, -1.0])}
    SGD(0.1).step(params, {"w": np.array([2.0, 3.0])})
    np.testing.assert_allclose(params["w"], [1.2, -0.7])


def test_rmsprop_two_steps_by_hand() -> None:
    opt = RMSProp(lr=0.01, decay_rate=0.9, eps=1e-5)
    params = {"w": np.array([0.0])}
    opt.step(params, {"w": np.array([2.0])})
    v1 = 0.1 * 4.0
    step1 = 0.01 * 2.0 / (math.sqrt(v1) + 1e-5)
    assert params["w"][0] == pytest.approx(step1, rel=1e-14)
    assert opt.cache["w"][0] == pytest.approx(v1)
    opt.step(params, {"w": np.array([-1.0])})
    v2 = 0.9 * v1 + 0.1 * 1.0
    step2 = 0.01 * -1.0 / (math.sqrt(v2) + 1e-5)
    assert params["w"][0] == pytest.approx(step1 + step2, rel=1e-14)
    assert opt.effective_lr()["w"][0] == pytest.approx(0.01 / (math.sqrt(v2) + 1e-5))
    np.testing.assert_allclose(opt.last_update["w"], [step2])


def test_rmsprop_matches_the_posts_update() -> None:
    rng = np.random.default_rng(0)
    model = {"W1": rng.standard_normal((3, 2)), "W2": rng.standard_normal(3)}
    ref = {k: v.copy() for k, v in model.items()}
    cache = {k: np.zeros_like(v) for k, v in model.items()}
    opt = RMSProp(1e-3, 0.99, 1e-5)
    for _ in range(5):
        g = {k: rng.standard_normal(v.shape) for k, v in model.items()}
        for k in ref:  # the post's two lines
            cache[k] = 0.99 * cache[k] + (1 - 0.99) * g[k] ** 2
            ref[k] += 1e-3 * g[k] / (np.sqrt(cache[k]) + 1e-5)
        opt.step(model, g)
    for k in model:
        np.testing.assert_allclose(model[k], ref[k], rtol=1e-14)


def test_adam_first_step_is_lr_times_sign() -> None:
    opt = Adam(lr=0.1, eps=1e-12)
    params = {"w": np.array([0.0, 0.0])}
    opt.step(params, {"w": np.array([3.0, -0.5])})
    np.testing.assert_allclose(params["w"], [0.1, -0.1], rtol=1e-10)


def test_adam_two_steps_by_hand() -> None:
    b1, b2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    opt = Adam(lr, b1, b2, eps)
    params = {"w": np.array([0.0])}
    g1, g2 = 1.0, 3.0
    opt.step(params, {"w": np.array([g1])})
    opt.step(params, {"w": np.array([g2])})
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    step2 = lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    step1 = lr * g1 / (abs(g1) + eps)
    assert params["w"][0] == pytest.approx(step1 + step2, rel=1e-12)
    assert opt.state()["steps"] == 2
    assert opt.effective_lr()["w"][0] * m == pytest.approx(step2, rel=1e-12)


@pytest.mark.parametrize("lr", [0.0, -1e-3, float("nan"), float("inf")])
def test_bad_learning_rate_is_rejected(lr: float) -> None:
    for name in ("sgd", "rmsprop", "adam"):
        with pytest.raises(ValueError, match="lr must be finite and > 0"):
            make_optimizer(name, lr)


def test_bad_names_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"optimizer must be one of .* got 'adagrad'"):
        make_optimizer("adagrad", 1e-3)
    with pytest.raises(ValueError, match="decay_rate"):
        RMSProp(1e-3, decay_rate=1.0)
    with pytest.raises(ValueError, match="shape"):
        SGD(0.1).step({"w": np.zeros(2)}, {"w": np.zeros(3)})
    with pytest.raises(ValueError, match="keys"):
        SGD(0.1).step({"w": np.zeros(2)}, {"v": np.zeros(2)})


# ---------------------------------------------------------------- populations

HYPER = {
    "sgd": {"lr": [0.1, 0.02, 0.3]},
    "rmsprop": {
        "lr": [1e-3, 3e-2, 1e-2],
        "decay_rate": [0.9, 0.99, 0.5],
        "eps": [1e-5, 1e-3, 1e-8],
    },
    "adam": {
        "lr": [1e-3, 3e-2, 1e-2],
        "beta1": [0.9, 0.5, 0.0],
        "beta2": [0.999, 0.9, 0.99],
        "eps": [1e-8, 1e-3, 1e-5],
    },
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_population_members_step_exactly_as_alone(name: str) -> None:
    """K = 3 members with their own hyperparameters, updating at different times, get
    bit for bit the parameters, state and effective step sizes of single runs."""
    hyper = HYPER[name]
    K = 3
    rng = np.random.default_rng(0)
    start = {"W": rng.standard_normal((K, 4, 2)), "b": rng.standard_normal((K, 4))}
    pop = make_optimizer(name, **{h: np.array(v) for h, v in hyper.items()})
    alone = [
        make_optimizer(name, **{h: v[k] for h, v in hyper.items()}) for k in range(K)
    ]
    params = {n: v.copy() for n, v in start.items()}
    single_params = [{n: v[k].copy() for n, v in start.items()} for k in range(K)]
    schedule = [
        [0, 1, 2],
        [1],
        [0, 2],
        [2],
        [0, 1, 2],
        [1, 2],
    ]  # who updates at each step
    for members in schedule:
        grads = {
            n: rng.standard_normal((len(members), *v.shape[1:]))
            for n, v in start.items()
        }
        pop.step(params, grads, members=members)
        for i, k in enumerate(members):
            alone[k].step(single_params[k], {n: g[i] for n, g in grads.items()})
    for k in range(K):
        member = pop.member(k)
        assert member.steps == alone[k].steps
        for n in start:
            np.testing.assert_array_equal(params[n][k], single_params[k][n])
            np.testing.assert_array_equal(
                member.last_update[n], alone[k].last_update[n]
            )
            np.testing.assert_array_equal(
                pop.effective_lr()[n][k], alone[k].effective_lr()[n]
            )
            np.testing.assert_array_equal(
                member.effective_lr()[n], alone[k].effective_lr()[n]
            )
        for moment in type(pop).moments:
            for n in start:
                np.testing.assert_array_equal(
                    member.state()[moment][n], alone[k].state()[moment][n]
                )


def test_population_hyperparameters_are_checked() -> None:
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        make_optimizer("adam", np.array([0.1, -0.1]))
    with pytest.raises(ValueError, match="beta1 must be a number in"):
        make_optimizer("adam", 0.1, beta1=np.array([0.9, 1.0]))
    with pytest.raises(ValueError, match="differ in length"):
        make_optimizer(
            "rmsprop", np.array([0.1, 0.2]), decay_rate=np.array([0.9, 0.9, 0.9])
        )
    with pytest.raises(ValueError, match="population optimiser"):
        SGD(0.1).member(0)
