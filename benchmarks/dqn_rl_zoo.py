"""``make bench-dqn``: does the NumPy DQN reproduce the RL Baselines3 Zoo's CartPole-v1 result?

    python -m benchmarks.dqn_rl_zoo [--seeds 10] [--steps 50000 60000] [--episodes 20]
                                    [--jobs 2] [--out bench-results]

Trains the ``rl-zoo`` preset (:data:`reinforce.dqn.DQN_PRESETS`) for seeds 0..N-1 up to
the last of ``--steps`` environment steps, snapshots the online network at each of
``--steps``, and plays ``--episodes`` greedy (ε = 0) episodes with every snapshot on an
evaluation environment of its own (:func:`reinforce.evaluation.evaluation_seed`).
Prints the per-seed table, the median per checkpoint and how many seeds reach 475
(the target: median >= 475 and >= 7 of 10 seeds >= 475), and writes the table as CSV
and markdown to ``--out`` (``make bench-dqn``: benchmarks/results, which chapter 13
reads), rewritten (whole, then renamed into place) as each seed finishes, so a run
stopped early keeps the seeds it finished. Two to three CPU-minutes per seed.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed

from reinforce.dqn import dqn_preset, train_dqn
from reinforce.evaluation import evaluate_actor

SOLVED = 475.0


def run_seed(seed: int, steps: list[int], episodes: int) -> dict[str, Any]:
    """Train one seed to max(steps); the mean greedy return at every checkpoint."""
    config = dqn_preset("rl-zoo", seed=seed, max_env_steps=max(steps))
    started = time.perf_counter()
    history = train_dqn(config, snapshot_at=steps)
    row: dict[str, Any] = {
        "seed": seed,
        "updates": history.updates,
        "seconds": time.perf_counter() - started,
    }
    for step in steps:
        q = history.snapshots[step]
        returns = evaluate_actor(q.greedy, config.env_id, episodes, seed).returns
        row[f"return@{step}"] = float(returns.mean())
    return row


def to_markdown(rows: list[dict[str, Any]], steps: list[int]) -> str:
    """The per-seed table, then the median and the count of seeds >= 475 per checkpoint."""
    head = ["seed", *(f"greedy return at {s:,} steps" for s in steps), "seconds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["seed"]), *(f"{r[f'return@{s}']:.1f}" for s in steps)]
        lines.append("| " + " | ".join([*cells, f"{r['seconds']:.0f}"]) + " |")
    medians = [float(np.median([r[f"return@{s}"] for r in rows])) for s in steps]
    hits = [sum(r[f"return@{s}"] >= SOLVED for r in rows) for s in steps]
    lines.append("| median | " + " | ".join(f"{m:.1f}" for m in medians) + " | |")
    lines.append(
        f"| seeds >= {SOLVED:.0f} | "
        + " | ".join(f"{h} of {len(rows)}" for h in hits)
        + " | |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1")
    parser.add_argument("--steps", type=int, nargs="+", default=[50_000, 60_000])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    for name in ("seeds", "episodes", "jobs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if min(args.steps) < 1:
        parser.error(f"--steps must be >= 1, got {min(args.steps)}")
    steps = sorted(set(args.steps))
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for row in Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
        delayed(run_seed)(seed, steps, args.episodes) for seed in range(args.seeds)
    ):
        rows = sorted([*rows, row], key=lambda r: r["seed"])
        print(f"seed {row['seed']} done in {row['seconds']:.0f} s", flush=True)
        table = to_markdown(rows, steps)
        for name, text in (("dqn_rl_zoo.md", table), ("dqn_rl_zoo.csv", _csv(rows))):
            tmp = args.out / f".{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(args.out / name)
    print(table, end="")


def _csv(rows: list[dict[str, Any]]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
