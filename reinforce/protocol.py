"""The book's one experimental protocol, declared once and cited by every practice chapter.

A claim about REINFORCE is a comparison across seeds, so every experiment in the
practice chapters (discounting, standardisation, the blame window, hyperparameters) and
in the Running experiments appendix follows the same rules. A chapter that departs from
one says so in its text, with the reason.

======================  ==============================================================
base configuration      :data:`BASE`: the ``fast`` preset (16 episodes per update
                        played at once, Adam with step 0.06, returns standardised over
                        the batch), stopped when solved. Each chapter changes one field.
solved                  Gymnasium's CartPole-v1 target: a mean return of at least
                        :data:`SOLVED_THRESHOLD` (475) over the last
                        :data:`SOLVED_WINDOW` (100) episodes.
budget                  :data:`MAX_EPISODES` (1,000) episodes per run, hence at most
                        :data:`MAX_ENV_STEPS` (500,000) environment steps; episodes and
                        environment steps to solve are both reported.
seeds                   :data:`SEEDS_PER_CONDITION` (20) per condition, the
                        :func:`reporting_seeds`; never fewer than :data:`MIN_SEEDS`
                        (10), and then only where a chapter states the cost that
                        forces it.
tuning vs reporting     anything tuned (the presets' values, a chapter's learning-rate
                        grid) is tuned on :data:`TUNING_SEEDS` (0-999); results are
                        reported on :data:`REPORTING_SEEDS` (from 1000): disjoint sets.
statistics              :data:`CONFIDENCE` (95 %) intervals; P(A better than B) with
                        Newcombe's interval and a permutation test
                        (:func:`reinforce.stats.compare`); solve rates with Wilson
                        intervals; unsolved runs censored at the budget; Holm's
                        correction when a chapter tests several settings at once.
throughput              :func:`population_sweep`: the runs of a study trained together
                        as populations, with the table of :func:`reinforce.sweep.sweep`;
                        :func:`one_at_a_time` for several one-parameter sweeps around
                        one base, whose base runs are trained once.
======================  ==============================================================

Why this base and not the post's own settings (RMSProp, step 1e-3, batches of 5,
per-episode standardisation): the post's setup needs some 3,000 episodes and half a
minute per run here, so 20 seeds of a handful of conditions would cost most of an hour;
the ``fast`` preset solves in a few hundred episodes, about one second per run, which
puts 20 seeds per condition inside the build's budget. Its values came from a search on
seeds 0-19 (tuning seeds), so every result in the book is reported on seeds it was not
tuned on. The budget is more than three times the base's median episodes to solve, so
most base runs finish well inside it; a run that has not solved by then is kept as a
failure (censored), never dropped.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .checks import integer
from .config import Config
from .history import History
from .presets import preset
from .sweep import SweepResult, expand_grid, run_configs, run_id, sweep

__all__ = [
    "BASE",
    "CONFIDENCE",
    "MAX_ENV_STEPS",
    "MAX_EPISODES",
    "MAX_EPISODE_STEPS",
    "MIN_SEEDS",
    "REPORTING_SEEDS",
    "RUN_CACHE_ENV",
    "SEEDS_PER_CONDITION",
    "SOLVED_THRESHOLD",
    "SOLVED_WINDOW",
    "TUNING_SEEDS",
    "base",
    "one_at_a_time",
    "population_sweep",
    "reporting_seeds",
    "source_key",
    "tuning_seeds",
]

#: Gymnasium's ``reward_threshold`` for CartPole-v1 (mean return over the window)
SOLVED_THRESHOLD = 475.0
#: episodes averaged for the solved test (Gymnasium's convention: 100)
SOLVED_WINDOW = 100
#: episodes a run may last before it counts as unsolved (censored)
MAX_EPISODES = 1000
#: CartPole-v1's time limit: steps per episode
MAX_EPISODE_STEPS = 500
#: the budget in environment steps that MAX_EPISODES implies
MAX_ENV_STEPS = MAX_EPISODES * MAX_EPISODE_STEPS
#: seeds per condition in every reported experiment
SEEDS_PER_CONDITION = 20
#: the fewest seeds a chapter may use, and then only saying why
MIN_SEEDS = 10
#: seeds for choosing anything (hyperparameters, grids); never reported
TUNING_SEEDS = range(0, 1000)
#: seeds every reported result is computed on; disjoint from TUNING_SEEDS
REPORTING_SEEDS = range(1000, 2000)
#: the level of every interval in the book
CONFIDENCE = 0.95
#: the environment variable naming a directory where :func:`population_sweep` keeps its
#: runs for the later chapters of the same build (``make book`` sets it and empties it)
RUN_CACHE_ENV = "REINFORCE_RUN_CACHE"

#: the configuration every practice chapter starts from and varies
BASE: Config = preset(
    "fast",
    solved_threshold=SOLVED_THRESHOLD,
    solved_window=SOLVED_WINDOW,
    max_episodes=MAX_EPISODES,
    stop_when_solved=True,
)


def base(**changes: Any) -> Config:
    """:data:`BASE` with ``changes`` applied (validated like any Config)."""
    return BASE.replace(**changes)


def _first(seeds: range, n: int) -> list[int]:
    n = integer("n", n, low=MIN_SEEDS)
    if n > len(seeds):
        raise ValueError(f"n must be <= {len(seeds)}, got {n}")
    return list(seeds[:n])


def reporting_seeds(n: int = SEEDS_PER_CONDITION) -> list[int]:
    """The first ``n`` reporting seeds (n >= MIN_SEEDS): 1000, 1001, …"""
    return _first(REPORTING_SEEDS, n)


def tuning_seeds(n: int = SEEDS_PER_CONDITION) -> list[int]:
    """The first ``n`` tuning seeds (n >= MIN_SEEDS): 0, 1, …"""
    return _first(TUNING_SEEDS, n)


def source_key(package: str | Path | None = None) -> str:
    """A hash of what a run's result depends on besides its Config: the source of every
    module of the package (``package``, default this one) and the versions of Python,
    NumPy and Gymnasium. Runs kept under one key are reused only under the same key."""
    import gymnasium
    import numpy

    root = Path(__file__).parent if package is None else Path(package)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(f"{sys.version}|{numpy.__version__}|{gymnasium.__version__}".encode())
    return digest.hexdigest()[:16]


def population_sweep(
    base: Config,
    grid: Mapping[str, Sequence[Any]] | None,
    seeds: Sequence[int],
    *,
    n_jobs: int | None = None,
    **options: Any,
) -> SweepResult:
    """:func:`reinforce.sweep.sweep` of ``base`` over ``grid`` and ``seeds``, without a
    progress bar: every (grid point, seed) run trained by
    :func:`reinforce.train_population`, the runs grouped into populations, at least one
    per worker (``n_jobs`` processes, None: one per core). Other keyword ``options``
    (``out``, ``progress``, ...) go to ``sweep``.

    ``sweep`` itself trains populations by default; this name stays so that the
    chapters say what their runs are. A run's history depends only on its own config,
    so the grouping changes the speed, not the results (which are not bit-identical to
    :func:`reinforce.train`'s: the populations draw their environment resets from each
    run's own stream).

    With the environment variable :data:`RUN_CACHE_ENV` set to a directory (and no
    ``out``), the runs are kept in ``<directory>/<source_key()>`` and a run already
    there, trained the same way with the same full Config, is read back instead of
    trained again: the chapters of one book build that train the same runs (the base
    on the reporting seeds) train them once. ``make book`` empties the directory
    before each build, so no run outlives the build that trained it.
    """
    if "train_fn" in options:
        raise TypeError("population_sweep trains populations: call sweep for train_fn")
    options.setdefault("progress", False)
    cache = os.environ.get(RUN_CACHE_ENV)
    if cache and options.get("out") is None:
        options["out"] = Path(cache) / source_key()
    return sweep(base, grid, list(seeds), n_jobs=n_jobs, **options)


def one_at_a_time(
    base: Config,
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    *,
    n_jobs: int | None = None,
    train_fn: Callable[[Config], History] | None = None,
) -> dict[str, SweepResult]:
    """One sweep per parameter of ``grid``, each varying that parameter alone around
    ``base``: ``{name: population_sweep(base, {name: values}, seeds)}``.

    Every distinct run is trained once, by the same code as :func:`population_sweep`
    (:func:`reinforce.sweep.run_configs`: populations, at least one per worker, or
    ``train_fn(config)`` one run at a time, e.g. ``train_fn=train``), so the base's
    runs, which every sweep that contains the base's value shares, are not repeated.
    """
    configs = list(
        dict.fromkeys(
            base.replace(**point, seed=s)
            for name, values in grid.items()
            for point in expand_grid({name: values})
            for s in seeds
        )
    )
    trained = {
        run_id(configs[i]): outcome
        for i, outcome in run_configs(configs, n_jobs=n_jobs, train_fn=train_fn)
    }
    return {
        name: sweep(
            base,
            {name: values},
            list(seeds),
            progress=False,
            train_fn=train_fn,
            trained=trained,
        )
        for name, values in grid.items()
    }
