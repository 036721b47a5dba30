"""The population benchmark's ways train the same study: every population way gives each
seed the same result (a run's history does not depend on its population)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benchmarks package lives beside the tests
from benchmarks.population import (  # noqa: E402
    CEILING,
    WAYS,
    slowest_seed,
    study,
    to_markdown,
)


def test_every_population_way_gives_each_seed_the_same_run() -> None:
    seeds = [0, 1, 2]
    by_way = {way: study(way, "fast", seeds, 32, 2) for way in WAYS}
    assert all([r["seed"] for r in rows] == seeds for rows in by_way.values())
    assert by_way["population"] == by_way["populations x W"] == by_way["sweep (W jobs)"]
    assert all(r["episodes"] == 32 for r in by_way["train x N (joblib)"])


def test_the_ceiling_replays_the_population_studys_slowest_run() -> None:
    rows = study("population", "fast", [0, 1, 2], 48, 1)
    slow = slowest_seed(rows)
    assert all(r["env_steps"] <= rows[slow]["env_steps"] for r in rows)
    assert study(CEILING, "fast", [slow], 48, 1) == [rows[slow]]


def test_the_slowest_seed_is_the_one_with_most_steps_ties_to_the_lowest() -> None:
    rows = [
        {"seed": 4, "env_steps": 90},
        {"seed": 7, "env_steps": 120},
        {"seed": 2, "env_steps": 120},
    ]
    assert slowest_seed(rows) == 2


def test_the_table_shows_every_repetition_when_there_are_several() -> None:
    row = {
        "preset": "fast",
        "way": "population",
        "wall_s": 1.0,
        "solved": "3/3",
        "median_solved_at": 300,
        "speedup": 3.1,
    }
    one = to_markdown([{**row, "speedups": [3.1]}])
    many = to_markdown([{**row, "speedups": [3.0, 3.1, 3.4]}])
    assert one.splitlines()[-1] == "| fast | population | 1.0 | 3/3 | 300 | 3.1x |"
    assert many.splitlines()[-1].endswith("| 3.1x | 3.0, 3.1, 3.4 |")
