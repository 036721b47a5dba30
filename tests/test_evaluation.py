"""Evaluation episodes: their own seed stream, deterministic actors, hand-checked returns."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.evaluation import evaluate_actor, evaluation_seed
from reinforce.train import seed_streams


def test_evaluation_seed_is_its_own_stream() -> None:
    assert evaluation_seed(3) == evaluation_seed(3) != evaluation_seed(4)
    for n in (2, 3):  # never the training environment's seed (REINFORCE's or DQN's)
        assert evaluation_seed(3) != seed_streams(3, n)[-1]
    with pytest.raises(ValueError, match="seed must be >= 0, got -1"):
        evaluation_seed(-1)


def test_evaluate_actor_is_deterministic_and_counts_rewards() -> None:
    def push_right(obs: np.ndarray) -> int:
        return 1  # falls over within a few dozen steps

    a, lengths = evaluate_actor(push_right, "CartPole-v1", 4, seed=0)
    b, _ = evaluate_actor(push_right, "CartPole-v1", 4, seed=0)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, lengths)  # CartPole pays 1 per step
    assert a.shape == (4,) and np.all((a >= 1) & (a < 60))
    assert len(set(a.tolist())) > 1  # a stream of different episodes, not one repeated
    capped, _ = evaluate_actor(
        lambda obs: int(obs[2] > 0), "CartPole-v1", 2, 0, max_steps=7
    )
    np.testing.assert_array_equal(capped, [7.0, 7.0])  # a time limit ends each one
    with pytest.raises(ValueError, match="episodes must be >= 1, got 0"):
        evaluate_actor(push_right, "CartPole-v1", 0, seed=0)


def test_evaluation_curves_of_both_methods_at_fixed_checkpoints() -> None:
    from reinforce.dqn import DQNConfig
    from reinforce.evaluation import dqn_evaluation_curve, reinforce_evaluation_curve
    from reinforce.train import Config

    dqn = dqn_evaluation_curve(
        DQNConfig(hidden=8, learning_starts=50, seed=1), [100, 300], episodes=2
    )
    np.testing.assert_array_equal(dqn.checkpoints, [100, 300])
    assert dqn.returns.shape == (2,) and dqn.updates == 300 // 2 - 50 // 2
    again = dqn_evaluation_curve(
        DQNConfig(hidden=8, learning_starts=50, seed=1), [100, 300], episodes=2
    )
    np.testing.assert_array_equal(dqn.returns, again.returns)  # one seed, one result
    pg = reinforce_evaluation_curve(Config(hidden=8, seed=1), [100, 300], episodes=2)
    assert pg.returns.shape == (2,) and np.all(pg.returns >= 1)
    with pytest.raises(ValueError, match="before the last checkpoint 300"):
        reinforce_evaluation_curve(
            Config(hidden=8, max_episodes=2), [100, 300], episodes=1
        )
    with pytest.raises(ValueError, match="checkpoints must be increasing"):
        dqn_evaluation_curve(DQNConfig(hidden=8), [300, 100], episodes=1)
