"""Equal tuning for chapter 13's race: DQN and REINFORCE on CartPole-v1, one procedure.

Both methods get the same search: a random search of ``--trials`` settings (trial 0 is
the method's untuned starting point, the others are drawn from its search space below
by one seeded generator), every trial run on the same tuning seeds
(:data:`reinforce.protocol.TUNING_SEEDS`, disjoint from the reporting seeds the chapter
races on), with the race's step budget, checkpoints and evaluation episodes, and scored
by the race's own measure: the mean evaluation return over the checkpoints (the area
under the evaluation curve), greedy for DQN and the policy's mode for REINFORCE. The
best mean score over the seeds wins; a tie goes to the lower trial.

    python tuning/cartpole_race.py [--trials 8] [--seeds 3] [--jobs 1]

writes one row per method, trial and seed to ``tuning/cartpole_race-dqn.csv`` and
``tuning/cartpole_race-reinforce.csv`` (the setting's fields, then the run's scores),
which the chapter reads to show the tuning record and to build the two tuned
configurations. The runs go trial by trial, both methods in turn, and the files are
rewritten (whole, then renamed into place) after every run, so a search stopped early
still holds its first trials for both methods; the chapter uses the trials that are
complete for both. About 20 CPU-seconds a run; run it outside the book build, niced.

    python tuning/cartpole_race.py --race [--jobs 2]

then runs the race itself: each method's chosen setting (:func:`chosen`) on the first 10
reporting seeds (:func:`reinforce.protocol.reporting_seeds`), evaluated the same way,
and writes ``benchmarks/results/dqn_race_tuned.csv`` (method, seed, checkpoint,
evaluation return) and ``dqn_race_tuned_runs.csv`` (one row per run: its setting, wall
seconds and updates), which the chapter reads.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from reinforce.dqn import dqn_preset
from reinforce.evaluation import dqn_evaluation_curve, reinforce_evaluation_curve
from reinforce.presets import preset
from reinforce.protocol import TUNING_SEEDS, reporting_seeds

#: the race's measure: checkpoints every 10,000 steps up to the budget, 10 episodes each
BUDGET, EVERY, EVAL_EPISODES = 100_000, 10_000, 10
CHECKPOINTS = list(range(EVERY, BUDGET + 1, EVERY))

#: the starting points: DQN's published recipe at the race's width, REINFORCE's preset
#: tuned for the fewest episodes (the step budget, not max_episodes, ends a run)
STARTS: dict[str, Any] = {
    "dqn": dqn_preset("rl-zoo", hidden=32),
    "reinforce": preset("sample-efficient", max_episodes=10**6),
}


def _log_uniform(low: float, high: float) -> Callable[[np.random.Generator], float]:
    return lambda rng: float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _one_of(*values: Any) -> Callable[[np.random.Generator], Any]:
    return lambda rng: values[int(rng.integers(len(values)))]


#: each method's search space: four dimensions a side, each around its starting point
SPACES: dict[str, dict[str, Callable[[np.random.Generator], Any]]] = {
    "dqn": {
        "lr": _log_uniform(3e-4, 1e-2),
        "target_update": _one_of(10, 100, 500),
        # rounds of updates: (train_every, gradient_steps), half an update per env step
        "rounds": _one_of((256, 128), (64, 32), (16, 8)),
        "epsilon_decay_steps": _one_of(4_000, 8_000, 16_000, 32_000),
    },
    "reinforce": {
        "lr": _log_uniform(5e-3, 1e-1),
        # episodes per update, played at once: num_envs = batch_size
        "batch_size": _one_of(4, 8, 16),
        "hidden": _one_of(32, 64, 100),
        "baseline": _one_of("value", "standardize_batch"),
    },
}


#: the fields a setting sets, as the records hold them
FIELDS = {
    "dqn": [
        "lr",
        "target_update",
        "train_every",
        "gradient_steps",
        "epsilon_decay_steps",
    ],
    "reinforce": ["lr", "batch_size", "hidden", "baseline"],
}
HERE = Path(__file__).parent
RESULTS = HERE.parent / "benchmarks" / "results"


def chosen(method: str) -> tuple[int, dict[str, Any]]:
    """The trial of ``method`` with the best mean score over the tuning seeds, among the
    trials complete (every seed) for both methods, and its setting."""
    records = {m: pd.read_csv(HERE / f"cartpole_race-{m}.csv") for m in STARTS}
    complete = set.intersection(
        *(
            set(r.groupby("trial")["seed"].nunique().loc[lambda n: n == n.max()].index)
            for r in records.values()
        )
    )
    mine = records[method][records[method]["trial"].isin(complete)]
    trial = int(mine.groupby("trial")["area"].mean().idxmax())  # a tie: the lower
    row = mine[mine["trial"] == trial].iloc[0]
    return trial, {k: _plain(row[k]) for k in FIELDS[method]}


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (configs want plain values)."""
    return value.item() if isinstance(value, np.generic) else value


def settings(
    method: str, trials: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Trial 0 is the starting point's own values; the others are random draws."""
    start = STARTS[method]
    first = {
        name: (start.train_every, start.gradient_steps)
        if name == "rounds"
        else getattr(start, name)
        for name in SPACES[method]
    }
    draws = [
        {name: draw(rng) for name, draw in SPACES[method].items()}
        for _ in range(trials - 1)
    ]
    return [first, *draws]


def config_of(method: str, setting: dict[str, Any], seed: int) -> Any:
    """The starting point with ``setting``'s fields, for ``seed``."""
    fields = dict(setting)
    if "rounds" in fields:
        fields["train_every"], fields["gradient_steps"] = fields.pop("rounds")
    if method == "reinforce":
        fields["num_envs"] = fields["batch_size"]  # the batch is played at once
    return STARTS[method].replace(seed=seed, **fields)


def run(method: str, trial: int, setting: dict[str, Any], seed: int) -> dict[str, Any]:
    """One tuning run: the race's evaluation curve, summarised as the race does."""
    curve_of = dqn_evaluation_curve if method == "dqn" else reinforce_evaluation_curve
    started = time.perf_counter()
    curve = curve_of(config_of(method, setting, seed), CHECKPOINTS, EVAL_EPISODES)
    reached = np.flatnonzero(curve.returns >= 475)
    fields = dict(setting)
    if "rounds" in fields:
        fields["train_every"], fields["gradient_steps"] = fields.pop("rounds")
    return {
        "method": method,
        "trial": trial,
        **fields,
        "seed": seed,
        "area": float(curve.returns.mean()),
        "final": float(curve.returns[-1]),
        "steps_to_475": float(CHECKPOINTS[reached[0]]) if reached.size else np.nan,
        "budget": BUDGET,
        "eval_episodes": EVAL_EPISODES,
        "seconds": time.perf_counter() - started,
    }


def race_run(method: str, trial: int, setting: dict[str, Any], seed: int) -> Any:
    """One race run on a reporting seed: its evaluation returns and its cost."""
    curve_of = dqn_evaluation_curve if method == "dqn" else reinforce_evaluation_curve
    curve = curve_of(config_of(method, setting, seed), CHECKPOINTS, EVAL_EPISODES)
    points = [
        {"method": method, "seed": seed, "env_steps": c, "eval_return": v}
        for c, v in zip(CHECKPOINTS, curve.returns.tolist(), strict=True)
    ]
    run = {
        "method": method,
        "trial": trial,
        **setting,
        "seed": seed,
        "wall_seconds": curve.wall_seconds,
        "updates": curve.updates,
        "budget": BUDGET,
        "eval_episodes": EVAL_EPISODES,
    }
    return points, run


def race(jobs: int) -> None:
    """The chosen settings on 10 reporting seeds each, records rewritten as runs end."""
    picks = {m: chosen(m) for m in STARTS}
    tasks = [(m, *picks[m], seed) for m in STARTS for seed in reporting_seeds(10)]
    points: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for new_points, run in Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(race_run)(*task) for task in tasks
    ):
        points += new_points
        runs.append(run)
        for name, rows in (("dqn_race_tuned", points), ("dqn_race_tuned_runs", runs)):
            out = RESULTS / f"{name}.csv"
            tmp = out.with_name(f".{out.name}.tmp")
            frame = pd.DataFrame(rows).sort_values(["method", "seed"], kind="stable")
            frame.to_csv(tmp, index=False, float_format="%.6g")
            os.replace(tmp, out)
        print(
            f"race {run['method']} seed {run['seed']}: {run['wall_seconds']:.0f} s",
            flush=True,
        )


def _write(rows: list[dict[str, Any]], methods: list[str]) -> None:
    """Every row so far, one file per method (written whole, then renamed into place)."""
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        out = Path(__file__).with_name(f"cartpole_race-{method}.csv")
        tmp = out.with_suffix(".csv.tmp")
        pd.DataFrame(mine).to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(STARTS), choices=STARTS)
    parser.add_argument("--race", action="store_true", help="race the chosen settings")
    args = parser.parse_args()
    for name in ("trials", "seeds", "jobs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.race:
        race(args.jobs)
        return
    seeds = list(TUNING_SEEDS[: args.seeds])
    # one generator per method, so each method's draws do not depend on the other's
    plan = {
        m: settings(m, args.trials, np.random.default_rng([7, i]))
        for i, m in enumerate(STARTS)
        if m in args.methods
    }
    # trial by trial, both methods in turn: stopped early, both have the same trials
    tasks = [
        (m, t, plan[m][t], seed)
        for t in range(args.trials)
        for m in plan
        for seed in seeds
    ]
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for row in Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run)(*task) for task in tasks
    ):
        rows.append(row)
        _write(rows, list(plan))
        print(
            f"{row['method']} trial {row['trial']} seed {row['seed']}: "
            f"area {row['area']:.1f}, {row['seconds']:.0f} s",
            flush=True,
        )
    for method in plan:
        frame = pd.DataFrame([r for r in rows if r["method"] == method])
        score = frame.groupby("trial")["area"].mean()
        print(f"{method}: {len(seeds)} tuning seeds, scores by trial")
        print(score.round(1).to_string())
        print(f"best trial {int(score.idxmax())}")
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
