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
