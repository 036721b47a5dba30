"""The book's protocol: the values it declares agree with the environment and each other."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from reinforce import preset
from reinforce.protocol import (
    BASE,
    MAX_ENV_STEPS,
    MAX_EPISODE_STEPS,
    MAX_EPISODES,
    MIN_SEEDS,
    REPORTING_SEEDS,
    SEEDS_PER_CONDITION,
    SOLVED_THRESHOLD,
    TUNING_SEEDS,
    base,
    reporting_seeds,
    tuning_seeds,
)


def test_solved_criterion_and_time_limit_are_gymnasiums() -> None:
    spec = gym.spec(BASE.env_id)
    assert BASE.env_id == "CartPole-v1"
    assert spec.reward_threshold == SOLVED_THRESHOLD == BASE.solved_threshold == 475.0
    assert spec.max_episode_steps == MAX_EPISODE_STEPS
    assert BASE.solved_window == 100 and BASE.stop_when_solved


def test_budget_in_episodes_and_steps() -> None:
    assert BASE.max_episodes == MAX_EPISODES
    assert MAX_ENV_STEPS == MAX_EPISODES * MAX_EPISODE_STEPS == 500_000


def test_base_is_the_fast_preset_stopped_when_solved() -> None:
    expected = preset("fast").replace(
        solved_threshold=475.0, max_episodes=MAX_EPISODES, stop_when_solved=True
    )
    assert BASE == expected
    assert base(gamma=0.95) == BASE.replace(gamma=0.95)
    with pytest.raises(ValueError, match="gamma"):
        base(gamma=2.0)


def test_tuning_and_reporting_seeds_are_disjoint() -> None:
    assert not set(TUNING_SEEDS) & set(REPORTING_SEEDS)
    assert reporting_seeds() == list(range(1000, 1000 + SEEDS_PER_CONDITION))
    assert tuning_seeds(10) == list(range(10))
    assert SEEDS_PER_CONDITION >= 20 and MIN_SEEDS >= 10


def test_too_few_or_too_many_seeds_is_an_error() -> None:
    with pytest.raises(ValueError, match=f"n must be >= {MIN_SEEDS}, got 5"):
        reporting_seeds(5)
    with pytest.raises(ValueError, match="n must be <= 1000, got 1001"):
        reporting_seeds(1001)


def test_population_sweep_matches_runs_trained_one_by_one() -> None:
    from reinforce import sweep, train_population
    from reinforce.protocol import population_sweep

    small = base(max_episodes=6, hidden=8, num_envs=2, batch_size=2)
    grid = {"gamma": [0.9, 0.99]}
    together = population_sweep(small, grid, [1000, 1001, 1002], n_jobs=2)
    alone = sweep(
        small,
        grid,
        [1000, 1001, 1002],
        n_jobs=1,
        progress=False,
        train_fn=lambda config: train_population([config])[0],
    )

    def table(result):  # everything but the wall-clock time
        return [
            {k: v for k, v in row.items() if k != "wall_seconds"} for row in result.rows
        ]

    assert table(together) == table(alone)
    assert len(together.rows) == 6 and together.points == [
        {"gamma": 0.9},
        {"gamma": 0.99},
    ]


def test_one_at_a_time_shares_the_base_and_matches_population_sweeps() -> None:
    from reinforce.protocol import one_at_a_time, population_sweep

    small = base(max_episodes=6, hidden=8, num_envs=2, batch_size=2)
    grid = {"gamma": [0.9, small.gamma], "lr": [small.lr, 0.01]}
    seeds = [1000, 1001]
    each = one_at_a_time(small, grid, seeds, n_jobs=2)
    assert list(each) == ["gamma", "lr"]

    def table(result):  # everything but the wall-clock time
        return [
            {k: v for k, v in row.items() if k != "wall_seconds"} for row in result.rows
        ]

    for name, values in grid.items():
        alone = population_sweep(small, {name: values}, seeds, n_jobs=1)
        assert table(each[name]) == table(alone)
    # the base's runs are the same runs in both sweeps
    base_gamma = each["gamma"].select({"gamma": small.gamma})
    base_lr = each["lr"].select({"lr": small.lr})
    assert [r["run_id"] for r in base_gamma] == [r["run_id"] for r in base_lr]


def _table(result):  # everything but the wall-clock time
    return [
        {k: v for k, v in row.items() if k != "wall_seconds"} for row in result.rows
    ]


def test_population_sweep_reuses_the_runs_kept_in_the_build_cache(
    tmp_path, monkeypatch
) -> None:
    from reinforce.protocol import RUN_CACHE_ENV, population_sweep, source_key

    small = base(max_episodes=6, hidden=8, num_envs=2, batch_size=2)
    monkeypatch.setenv(RUN_CACHE_ENV, str(tmp_path))
    first = population_sweep(small, {"gamma": [0.9, 0.99]}, [1000, 1001], n_jobs=1)
    # a later chapter asks for two of those runs and a new one: only the new one trains
    later = population_sweep(small, {"gamma": [0.99]}, [1000, 1001, 1002], n_jobs=1)
    assert first.computed == 4 and later.computed == 1
    kept = {row["run_id"]: row for row in first.rows}
    for row in later.rows[:2]:
        assert row == kept[row["run_id"]]  # read back, wall-clock time included
        assert np.array_equal(
            later.returns[row["run_id"]], first.returns[row["run_id"]]
        )
    assert [p.name for p in tmp_path.iterdir()] == [source_key()]
    # and read back, they are what a build without the cache trains
    monkeypatch.delenv(RUN_CACHE_ENV)
    fresh = population_sweep(small, {"gamma": [0.99]}, [1000, 1001, 1002], n_jobs=1)
    assert fresh.computed == 3 and _table(fresh) == _table(later)
    assert [p.name for p in tmp_path.iterdir()] == [source_key()]  # nothing new written


def test_source_key_changes_with_any_module_of_the_package(tmp_path) -> None:
    import shutil

    import reinforce
    from reinforce.protocol import source_key

    package = Path(reinforce.__file__).parent
    copy = tmp_path / "reinforce"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert source_key(copy) == source_key(package) == source_key()
    with open(copy / "stats.py", "a", encoding="utf-8") as f:
        f.write("\n# one changed line\n")
    assert source_key(copy) != source_key(package)
    (copy / "stats.py").unlink()
    assert source_key(copy) != source_key(package)


def test_make_book_empties_the_run_cache_and_points_the_chapters_at_it() -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    recipe = makefile.split("\nbook: $(STAMP)\n", 1)[1].split("\n\n", 1)[0]
    assert "rm -rf $(RUN_CACHE)" in recipe.splitlines()[0]  # before anything runs
    assert "REINFORCE_RUN_CACHE=$(RUN_CACHE)" in recipe
    assert "RUN_CACHE = $(abspath $(BOOK_DIR))/_build/.run-cache" in makefile
