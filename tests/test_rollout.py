"""Rollouts: what an episode records, how it ends, and non-finite values."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.envs import make_env
from reinforce.policies import BernoulliPolicy
from reinforce.rollout import run_episode


def _always_right() -> BernoulliPolicy:
    policy = BernoulliPolicy(2, 1, np.random.default_rng(0))
    policy.params["W1"][:] = [[0.0, 1.0]]  # h = relu(1) = 1
    policy.params["W2"][:] = [1000.0]  # p(right) = 1
    return policy


def test_episode_records_every_step() -> None:
    env = make_env("test/Corridor-v0")
    ep = run_episode(env, _always_right(), np.random.default_rng(0), seed=0)
    assert ep.length == 5 and ep.total_reward == 5.0
    assert ep.observations.shape == (5, 2) and ep.observations.dtype == np.float64
    np.testing.assert_array_equal(
        ep.observations[:, 0], [0, 1, 2, 3, 4]
    )  # s_t before a_t
    np.testing.assert_array_equal(ep.actions, np.ones(5))
    assert ep.terminated and not ep.truncated


def test_step_cap_truncates() -> None:
    env = make_env("test/Corridor-v0")
    policy = _always_right()
    policy.params["W2"][:] = [-1000.0]  # always left: never reaches the end
    ep = run_episode(env, policy, np.random.default_rng(0), max_steps=8)
    assert ep.length == 8 and ep.truncated and not ep.terminated
    ep = run_episode(env, policy, np.random.default_rng(0))
    assert ep.length == 50 and ep.truncated  # the registered time limit


@pytest.mark.parametrize(
    ("env_id", "what", "step"),
    [
        ("test/CorridorNaNObs-v0", "observation", 2),
        ("test/CorridorInfReward-v0", "reward", 3),
    ],
)
def test_non_finite_values_name_the_step(env_id: str, what: str, step: int) -> None:
    env = make_env(env_id)
    with pytest.raises(
        ValueError, match=f"non-finite {what} at step {step} of episode 4"
    ):
        run_episode(env, _always_right(), np.random.default_rng(0), episode=4)


# ---------------------------------------------------------------- vectorised collection

import gymnasium as gym  # noqa: E402

from reinforce.envs import make_vec_env  # noqa: E402
from reinforce.rollout import collect_episodes  # noqa: E402
from reinforce.train import Config, reinforce_gradient, train  # noqa: E402


def _coin() -> BernoulliPolicy:
    """p(right) = 1/2 everywhere: Corridor episodes of random length."""
    policy = BernoulliPolicy(2, 1, np.random.default_rng(0))
    policy.params["W2"][:] = 0.0
    return policy


@pytest.mark.parametrize(
    ("n", "M"), [(7, 3), (3, 3), (2, 5)], ids=["n>M", "n=M", "n<M"]
)
def test_collect_episodes_masks_reset_steps_and_returns_exactly_n(
    n: int, M: int
) -> None:
    envs = make_vec_env("test/Corridor-v0", M)
    episodes = collect_episodes(envs, _coin(), np.random.default_rng(0), n, seed=0)
    assert len(episodes) == n
    for ep in episodes:
        # every recorded step is a real transition of one episode: positions climb from 0
        # one right-step at a time, and the episode ends exactly at the corridor's end
        pos = ep.observations[:, 0]
        assert pos[0] == 0 and ep.terminated and not ep.truncated
        np.testing.assert_array_equal(np.diff(pos), ep.actions[:-1])
        assert pos[-1] + ep.actions[-1] == 5
        np.testing.assert_array_equal(ep.rewards, np.ones(ep.length))
    envs.close()


def test_collect_episodes_names_the_step_of_a_non_finite_observation() -> None:
    envs = make_vec_env("test/CorridorNaNObs-v0", 2)
    with pytest.raises(ValueError, match="non-finite observation at step 2 of episode"):
        collect_episodes(envs, _coin(), np.random.default_rng(0), 4, seed=0)
    envs.close()


def _ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def test_sequential_and_vectorised_collection_have_the_same_length_distribution() -> (
    None
):
    """Episodes are assigned when they start, so short ones are not over-sampled."""
    policy = BernoulliPolicy(
        4, 16, np.random.default_rng(3)
    )  # a fixed, untrained policy
    n = 600
    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(1)
    seq = np.array(
        [
            run_episode(env, policy, rng, seed=0 if i == 0 else None).length
            for i in range(n)
        ]
    )
    envs = make_vec_env("CartPole-v1", 8)
    rng = np.random.default_rng(2)
    vec = np.concatenate(
        [
            [
                e.length
                for e in collect_episodes(
                    envs, policy, rng, 5, seed=0 if b == 0 else None
                )
            ]
            for b in range(n // 5)
        ]
    )
    # two-sample Kolmogorov–Smirnov at the 0.1% level
    critical = 1.95 * np.sqrt(2 / n)
    assert _ks_statistic(seq, vec) < critical
    se = np.sqrt(seq.var() / n + vec.var() / n)
    assert abs(seq.mean() - vec.mean()) < 4 * se
    env.close()
    envs.close()


def test_sequential_and_vectorised_collection_give_the_same_expected_gradient() -> None:
    policy = BernoulliPolicy(4, 16, np.random.default_rng(3))
    batches = 300
    directions = np.random.default_rng(9).standard_normal((4, policy.num_params()))

    def projected(batch) -> np.ndarray:
        g = reinforce_gradient(policy, batch, gamma=0.99)
        return directions @ np.concatenate([g["W1"].ravel(), g["W2"].ravel()])

    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(4)
    seq = np.array(
        [
            projected(
                [
                    run_episode(env, policy, rng, seed=0 if b == 0 and k == 0 else None)
                    for k in range(5)
                ]
            )
            for b in range(batches)
        ]
    )
    envs = make_vec_env("CartPole-v1", 5)
    rng = np.random.default_rng(5)
    vec = np.array(
        [
            projected(
                collect_episodes(envs, policy, rng, 5, seed=0 if b == 0 else None)
            )
            for b in range(batches)
        ]
    )
    se = np.sqrt(seq.var(axis=0) / batches + vec.var(axis=0) / batches)
    z = np.abs(seq.mean(axis=0) - vec.mean(axis=0)) / se
    assert np.all(z < 4), z
    env.close()
    envs.close()


def test_vectorised_training_is_deterministic_per_seed() -> None:
    config = Config(num_envs=4, batch_size=6, max_episodes=36, hidden=16, seed=11)
    a, b = train(config), train(config)
    assert a.lengths == b.lengths and a.updates == b.updates == 6
    for k in a.policy.params:  # type: ignore[union-attr]
        np.testing.assert_array_equal(a.policy.params[k], b.policy.params[k])  # type: ignore[union-attr]
    assert train(config.replace(seed=12)).lengths != a.lengths
