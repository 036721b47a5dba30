"""``make bench-dqn-race``: DQN (``rl-zoo``) against REINFORCE on CartPole-v1, judged alike.

    python -m benchmarks.dqn_race [--seeds 10] [--max-env-steps 100000] [--every 5000]
                                  [--episodes 20] [--jobs 2] [--out benchmarks/results]

Every method trains on the first ``--seeds`` reporting seeds of
:mod:`reinforce.protocol` (disjoint from the tuning seeds) for ``--max-env-steps``
environment steps, and is evaluated every ``--every`` steps on ``--episodes`` episodes
of its own evaluation stream (:func:`reinforce.evaluation.evaluate_actor`): DQN acts
greedily (ε = 0), REINFORCE takes its policy's mode (the likelier action). DQN's network
is copied at exactly those steps; REINFORCE's policy, which changes only between
batches of whole episodes, at the first episode end at or after each checkpoint.

Writes ``dqn_race.csv`` (one row per method, seed and checkpoint: the mean evaluation
return) and ``dqn_race_runs.csv`` (one row per run: wall seconds, updates) to ``--out``,
and prints the DQN reproduction table (greedy return at 50,000 and 60,000 steps). The
256×256 DQN runs take about two CPU-minutes each, too slow for the book build.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from reinforce.dqn import dqn_preset
from reinforce.evaluation import dqn_evaluation_curve, reinforce_evaluation_curve
from reinforce.presets import preset
from reinforce.protocol import reporting_seeds

#: the two sides of the race: DQN's published recipe and REINFORCE's tuned presets
METHODS = ("dqn rl-zoo", "reinforce fast", "reinforce sample-efficient")


def run(
    method: str, seed: int, checkpoints: list[int], episodes: int
) -> dict[str, Any]:
    """One run of ``method`` on ``seed``: its evaluation returns at the checkpoints."""
    if method == "dqn rl-zoo":
        curve = dqn_evaluation_curve(
            dqn_preset("rl-zoo", seed=seed), checkpoints, episodes
        )
    else:
        config = preset(
            method.removeprefix("reinforce "), seed=seed, max_episodes=10**6
        )
        curve = reinforce_evaluation_curve(config, checkpoints, episodes)
    return {
        "method": method,
        "seed": seed,
        "returns": dict(zip(checkpoints, curve.returns.tolist(), strict=True)),
        "updates": curve.updates,
        "wall_seconds": curve.wall_seconds,
        "env_steps": checkpoints[-1],
    }


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-env-steps", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=5_000)
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    for name in ("seeds", "max_env_steps", "every", "episodes", "jobs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    checkpoints = list(range(args.every, args.max_env_steps + 1, args.every))
    seeds = reporting_seeds(max(args.seeds, 10))[: args.seeds]  # (a smoke test: < 10)
    tasks = [(m, s) for m in args.methods for s in seeds]
    # the expensive DQN runs first, so the cheap ones fill in at the end
    results = Parallel(n_jobs=args.jobs)(
        delayed(run)(m, s, checkpoints, args.episodes) for m, s in tasks
    )
    curve = [
        {"method": r["method"], "seed": r["seed"], "env_steps": c, "eval_return": v}
        for r in results
        for c, v in r["returns"].items()
    ]
    runs = [
        {k: r[k] for k in ("method", "seed", "env_steps", "updates", "wall_seconds")}
        for r in results
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out / "dqn_race.csv", curve)
    _write(args.out / "dqn_race_runs.csv", runs)
    print("| seed | greedy return at 50,000 steps | at 60,000 steps |")
    print("|---|---|---|")
    at = {
        (r["seed"], r["env_steps"]): r["eval_return"]
        for r in curve
        if r["method"] == "dqn rl-zoo"
    }
    for s in seeds:
        if (s, 50_000) in at and (s, 60_000) in at:
            print(f"| {s} | {at[s, 50_000]:.1f} | {at[s, 60_000]:.1f} |")
    for c in (50_000, 60_000, checkpoints[-1]):
        v = [at[s, c] for s in seeds if (s, c) in at]
        if v:
            print(
                f"{c:,} steps: median {np.median(v):.1f}, "
                f"{sum(x >= 475 for x in v)} of {len(v)} seeds >= 475"
            )


if __name__ == "__main__":
    main()
