"""Learning tests: REINFORCE with the post's hyperparameters solves CartPole-v1.

These are the few long, seeded runs of the suite (about half a minute per seed).
"""

from __future__ import annotations

import pytest
from joblib import Parallel, delayed

from reinforce.train import Config, train

SEEDS = range(5)


def _solve(seed: int) -> dict:
    return train(Config(seed=seed, max_episodes=5000, stop_when_solved=True)).summary()


@pytest.mark.slow
def test_default_config_solves_cartpole_v1_for_at_least_4_of_5_seeds() -> None:
    results = Parallel(n_jobs=2)(delayed(_solve)(s) for s in SEEDS)
    solved = [r for r in results if r["solved_at_episode"] is not None]
    report = ", ".join(f"seed {r['seed']}: {r['solved_at_episode']}" for r in results)
    assert len(solved) >= 4, f"solved by {len(solved)}/5 seeds ({report})"
    for r in solved:  # solved means a 100-episode mean return of at least 475
        assert r["final_rolling_mean"] >= 475.0
