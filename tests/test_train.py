"""Training: config validation, seeding and determinism, the gradient estimator, History."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from reinforce.baselines import StandardizeBaseline
from reinforce.config import Config
from reinforce.history import History, trailing_mean
from reinforce.policies import BernoulliPolicy
from reinforce.rollout import Episode
from reinforce.train import reinforce_gradient, seed_streams, train

SHORT = Config(max_episodes=30, hidden=16)


def test_defaults_are_the_posts_cartpole_v1_hyperparameters() -> None:
    c = Config()
    assert (c.env_id, c.hidden, c.batch_size, c.lr, c.gamma) == (
        "CartPole-v1",
        100,
        5,
        1e-3,
        0.99,
    )
    assert (c.optimizer, c.decay_rate, c.eps) == ("rmsprop", 0.99, 1e-5)
    assert (c.credit, c.baseline) == ("reward_to_go", "standardize")


def test_config_is_frozen_and_round_trips() -> None:
    c = Config(seed=3, gamma=0.95)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 4  # type: ignore[misc]
    assert Config.from_dict(c.to_dict()) == c
    assert c.replace(lr=0.01).lr == 0.01
    with pytest.raises(ValueError, match=r"unknown Config fields: \['gama'\]"):
        Config.from_dict({"gama": 0.9})


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("gamma", 1.5, ValueError, "gamma must be in \\[0, 1\\], got 1.5"),
        ("gamma", -0.1, ValueError, "gamma must be in \\[0, 1\\], got -0.1"),
        ("lr", 0.0, ValueError, "lr must be finite and > 0, got 0.0"),
        ("lr", -1e-3, ValueError, "lr must be finite and > 0, got -0.001"),
        ("lr", float("nan"), ValueError, "lr must be finite and > 0, got nan"),
        ("lr", float("inf"), ValueError, "lr must be finite and > 0, got inf"),
        ("batch_size", 0, ValueError, "batch_size must be >= 1, got 0"),
        ("hidden", 0, ValueError, "hidden must be >= 1, got 0"),
        ("seed", 1.5, TypeError, "seed must be an integer, got 1.5"),
        ("seed", "7", TypeError, "seed must be an integer, got '7'"),
        ("seed", True, TypeError, "seed must be an integer, got True"),
        ("optimizer", "adagrad", ValueError, "optimizer must be one of"),
        ("baseline", "median", ValueError, "baseline must be one of"),
        ("credit", "gae", ValueError, "credit must be one of"),
        ("eps", 0.0, ValueError, "eps must be finite and > 0"),
        ("decay_rate", 1.0, ValueError, "decay_rate must be in \\[0, 1\\)"),
        ("max_steps", 0, ValueError, "max_steps must be an integer >= 1 or None"),
    ],
)
def test_bad_config_values_name_the_field_and_value(
    field, value, error, message
) -> None:
    with pytest.raises(error, match=message):
        Config(**{field: value})


def test_same_seed_gives_bit_identical_runs() -> None:
    a, b = train(SHORT.replace(seed=7)), train(SHORT.replace(seed=7))
    assert a.lengths == b.lengths and a.returns == b.returns
    assert a.policy is not None and b.policy is not None
    for k in a.policy.params:
        np.testing.assert_array_equal(a.policy.params[k], b.policy.params[k])


def test_different_seeds_differ() -> None:
    a, b = train(SHORT.replace(seed=1)), train(SHORT.replace(seed=2))
    assert a.lengths != b.lengths
    assert a.policy is not None and b.policy is not None
    assert not np.array_equal(a.policy.params["W1"], b.policy.params["W1"])


def test_seed_streams_are_independent_and_reproducible() -> None:
    i1, a1, e1 = seed_streams(5)
    i2, a2, e2 = seed_streams(5)
    assert e1 == e2 and i1.random() == i2.random() and a1.random() == a2.random()
    i3, a3, _ = seed_streams(5)
    assert i3.random() != a3.random()


def test_training_counts_and_updates() -> None:
    h = train(SHORT)
    assert h.episodes == 30 and h.updates == 6
    assert h.env_steps == sum(h.lengths)
    assert h.returns == [float(n) for n in h.lengths]  # CartPole pays 1 per step
    assert h.wall_seconds > 0 and h.threshold == 475.0 and h.solved_at is None


def test_callback_can_stop_training() -> None:
    seen: list[int] = []

    def cb(h: History) -> bool:
        seen.append(h.episodes)
        return h.episodes < 7

    h = train(SHORT, cb)
    assert h.episodes == 7 and seen == list(range(1, 8))


def test_solved_at_is_the_first_episode_the_rolling_mean_reaches_the_threshold() -> (
    None
):
    h = History(config=Config(solved_window=3), threshold=10.0)
    for r in [5, 10, 14, 9, 20, 1]:
        h.record(
            Episode(np.zeros((r, 4)), np.zeros(r, dtype=int), np.ones(r), True, False)
        )
    # rolling means over 3: 9.67 (ep 3), 11 (ep 4) -> solved at episode 4
    assert h.solved_at == 4
    np.testing.assert_allclose(h.rolling_mean(), [5, 7.5, 29 / 3, 11, 43 / 3, 10])


def test_stop_when_solved_with_a_low_threshold() -> None:
    h = train(
        SHORT.replace(solved_threshold=5.0, solved_window=5, stop_when_solved=True)
    )
    assert h.solved_at == h.episodes == 5


def test_reinforce_gradient_equals_the_posts_per_episode_sum() -> None:
    rng = np.random.default_rng(0)
    policy = BernoulliPolicy(4, 6, rng)
    episodes = []
    for T in (5, 8):
        obs = rng.standard_normal((T, 4))
        episodes.append(Episode(obs, rng.integers(0, 2, T), np.ones(T), True, False))
    g = reinforce_gradient(policy, episodes, gamma=0.9, baseline=StandardizeBaseline())
    # the post: per episode, discount, standardise, multiply the score, backprop, sum
    expected = policy.zeros_like_params()
    for e in episodes:
        G = np.array(
            [sum(0.9**k for k in range(e.length - t)) for t in range(e.length)]
        )
        A = (G - G.mean()) / G.std()
        z, h = policy.forward(e.observations)
        dz = (e.actions - 1 / (1 + np.exp(-z))) * A
        expected["W2"] += h.T @ dz
        dh = np.outer(dz, policy.params["W2"])
        dh[h <= 0] = 0
        expected["W1"] += dh.T @ e.observations
    for k in expected:
        np.testing.assert_allclose(g[k], expected[k], rtol=1e-12)


def test_history_csv_and_summary(tmp_path) -> None:
    h = train(SHORT.replace(max_episodes=10))
    h.to_csv(tmp_path / "h.csv")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "episode,length,return,rolling_mean" and len(lines) == 11
    s = h.summary()
    assert (
        s["episodes"] == 10
        and s["solved_at_episode"] is None
        and s["env_steps"] == h.env_steps
    )


def test_keyboard_interrupt_keeps_what_was_trained() -> None:
    def cb(h: History) -> None:
        if h.episodes == 12:
            raise KeyboardInterrupt

    h = train(SHORT, cb, catch_interrupt=True)
    assert h.interrupted and h.episodes == 12 and h.updates == 2
    with pytest.raises(KeyboardInterrupt):
        train(SHORT, cb)


@pytest.mark.parametrize("env_id", ["Acrobot-v1", "Pendulum-v1"])
def test_other_action_spaces_train(env_id: str) -> None:
    h = train(Config(env_id=env_id, max_episodes=4, batch_size=2, hidden=8))
    assert h.episodes == 4 and h.updates == 2
    assert all(np.all(np.isfinite(v)) for v in h.policy.params.values())  # type: ignore[union-attr]


def test_unlimited_env_needs_a_step_cap() -> None:
    with pytest.raises(ValueError, match="no time limit"):
        train(Config(env_id="test/CorridorNoLimit-v0", max_episodes=2))
    h = train(
        Config(env_id="test/CorridorNoLimit-v0", max_episodes=2, max_steps=20, hidden=4)
    )
    assert h.episodes == 2


def test_non_finite_observation_during_training_names_the_step() -> None:
    with pytest.raises(
        ValueError, match="non-finite observation at step 2 of episode 1"
    ):
        train(Config(env_id="test/CorridorNaNObs-v0", max_episodes=2, hidden=4))


def test_trailing_mean_by_hand():
    """Mean of the last `window` values, fewer at the start; empty stays empty."""
    np.testing.assert_allclose(
        trailing_mean([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0]
    )
    np.testing.assert_allclose(trailing_mean([2.0, 4.0], 10), [2.0, 3.0])
    assert trailing_mean([], 3).shape == (0,)


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adam"])
def test_an_update_that_overflows_stops_training_and_keeps_the_last_finite_policy(
    optimizer: str,
) -> None:
    # lr = 1e308: the very first step overflows every weight it touches to ±inf
    h = train(SHORT.replace(optimizer=optimizer, lr=1e308))
    assert h.diverged and h.updates == 0 and h.episodes == SHORT.batch_size
    assert h.summary()["diverged"] is True
    untrained = train(
        SHORT.replace(max_episodes=SHORT.batch_size - 1)
    ).policy  # no update
    assert h.policy is not None and untrained is not None
    for k, v in h.policy.params.items():
        np.testing.assert_array_equal(v, untrained.params[k])


def test_a_stable_run_does_not_diverge() -> None:
    h = train(SHORT)
    assert not h.diverged and h.summary()["diverged"] is False


def test_numpy_scalars_become_plain_python_values() -> None:
    c = Config(
        seed=np.int64(8),
        hidden=np.int32(16),
        lr=np.float64(0.01),
        gamma=np.float32(0.5),
        max_steps=np.int64(50),
        solved_threshold=np.float64(10),
        stop_when_solved=np.bool_(True),
    )
    assert c.seed == 8 and type(c.seed) is int and type(c.hidden) is int
    assert type(c.lr) is float and type(c.gamma) is float and c.gamma == 0.5
    assert type(c.max_steps) is int and type(c.solved_threshold) is float
    assert c.stop_when_solved is True
    values = c.to_dict()
    assert all(type(v) in (str, int, float, bool, type(None)) for v in values.values())
    assert Config.from_dict(json.loads(json.dumps(values))) == c


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("lr", "0.1", TypeError, "lr must be a number"),
        ("gamma", float("nan"), ValueError, "gamma must be in \\[0, 1\\], got nan"),
        ("num_envs", 0, ValueError, "num_envs must be >= 1, got 0"),
        ("blame_window", 2.5, TypeError, "blame_window must be an integer, got 2.5"),
        ("value_l2", -1.0, ValueError, "value_l2 must be finite and >= 0, got -1.0"),
        (
            "solved_threshold",
            float("inf"),
            ValueError,
            "solved_threshold must be a finite",
        ),
        (
            "stop_when_solved",
            1,
            TypeError,
            "stop_when_solved must be True or False, got 1",
        ),
        ("env_id", "", ValueError, "env_id must be a non-empty string"),
        (
            "max_steps",
            2.0,
            TypeError,
            "max_steps must be an integer >= 1 or None, got 2.0",
        ),
    ],
)
def test_more_bad_config_values(field, value, error, message) -> None:
    with pytest.raises(error, match=message):
        Config(**{field: value})


def test_seed_streams_with_more_generators_keep_the_first_and_differ() -> None:
    two = seed_streams(5)
    three = seed_streams(5, 3)
    assert len(two) == 3 and len(three) == 4
    assert two[0].random() == three[0].random()  # the initial weights' stream is shared
    assert isinstance(two[-1], int) and isinstance(three[-1], int)


def _heads() -> list:
    from reinforce.policies import CategoricalPolicy, GaussianPolicy

    rng = np.random.default_rng(7)
    return [
        BernoulliPolicy(obs_dim=4, hidden=6, rng=rng),
        CategoricalPolicy(obs_dim=6, n_actions=3, hidden=5, rng=rng),
        GaussianPolicy(4, np.array([-3.0, -1.0]), np.array([3.0, 1.0]), 5, rng, -0.3),
    ]


@pytest.mark.parametrize("policy", _heads(), ids=lambda p: p.kind)
def test_entropy_gradient_matches_finite_differences(policy) -> None:
    from reinforce.gradcheck import numerical_gradient, relative_error
    from reinforce.train import entropy_gradient

    obs = np.random.default_rng(8).standard_normal((9, policy.obs_dim))
    numeric = numerical_gradient(
        lambda: float(policy.entropy(obs).sum()), policy.params
    )
    analytic = entropy_gradient(policy, obs)
    assert any(np.abs(g).max() > 1e-3 for g in numeric.values())  # not trivially 0
    assert relative_error(analytic, numeric) < 1e-7


def test_entropy_bonus_adds_beta_times_the_entropy_gradient() -> None:
    from reinforce.policies import CategoricalPolicy
    from reinforce.train import entropy_gradient

    rng = np.random.default_rng(3)
    policy = CategoricalPolicy(obs_dim=3, n_actions=3, hidden=4, rng=rng)
    episodes = [
        Episode(
            observations=rng.standard_normal((n, 3)),
            actions=rng.integers(0, 3, n),
            rewards=-np.ones(n),
            terminated=True,
            truncated=False,
        )
        for n in (4, 7)
    ]
    plain = reinforce_gradient(policy, episodes, gamma=0.99, baseline="mean")
    with_bonus = reinforce_gradient(
        policy, episodes, gamma=0.99, baseline="mean", entropy_coef=0.25
    )
    bonus = entropy_gradient(policy, np.concatenate([e.observations for e in episodes]))
    for name in plain:
        assert np.allclose(with_bonus[name], plain[name] + 0.25 * bonus[name])
    assert not np.allclose(with_bonus["W2"], plain["W2"])


def test_entropy_coef_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="entropy_coef"):
        Config(entropy_coef=-0.1)


def test_entropy_coef_is_per_member_in_a_population() -> None:
    from reinforce.population import train_population

    base = Config(hidden=8, batch_size=2, num_envs=2, max_episodes=6, optimizer="adam")
    plain, bonus = base, base.replace(entropy_coef=0.5)
    together = train_population([plain, bonus])
    alone = [train_population([plain])[0], train_population([bonus])[0]]
    for a, b in zip(together, alone, strict=True):
        assert a.returns == b.returns
        for name, value in a.policy.params.items():
            assert np.array_equal(value, b.policy.params[name])
    assert not np.array_equal(
        together[0].policy.params["W2"], together[1].policy.params["W2"]
    )
