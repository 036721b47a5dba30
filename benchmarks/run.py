"""``make bench``: time-to-solve CartPole-v1 for the post's loop and every preset,
then the population study (:mod:`benchmarks.population`).

    python -m benchmarks.run [--seeds 5] [--max-episodes 10000] [--out bench-results]
                             [--population-seeds 20] [--population-presets fast default]
                             [--population-repeats 1] [--skip-methods]

Prints a markdown table (median, min–max over seeds) and writes it, with every run's
row as CSV, to ``--out``. Timings are ratios against the post's loop measured in the
same run, so they compare across machines better than the seconds do. The population
rows compare a ``--population-seeds`` study run as separate ``train`` runs (joblib over
2 workers) with the same study run as populations (``--population-seeds 0`` skips them).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
from pathlib import Path
from typing import IO, Any

from benchmarks import population
from reinforce.benchmark import METHODS, run_benchmark, summarize, to_markdown
from reinforce.checkpoint import atomic_write


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds", type=int, default=5, help="number of seeds (default 5)"
    )
    parser.add_argument("--max-episodes", type=int, default=10_000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--population-seeds", type=int, default=20)
    parser.add_argument("--population-presets", nargs="+", default=["fast", "default"])
    parser.add_argument(
        "--population-repeats",
        type=int,
        default=1,
        help="time every way of the population study this many times (median)",
    )
    parser.add_argument(
        "--skip-methods", action="store_true", help="only the population study"
    )
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    if args.population_repeats < 1:
        parser.error(
            f"--population-repeats must be >= 1, got {args.population_repeats}"
        )
    if args.population_seeds < 0:
        parser.error(f"--population-seeds must be >= 0, got {args.population_seeds}")
    if not args.skip_methods:
        methods(args)
    if args.population_seeds:
        populations(args)


def populations(args: argparse.Namespace) -> None:
    """The population rows: the same study as separate runs and as populations."""
    print()
    population.report(
        args.population_presets,
        args.population_seeds,
        max_episodes=5000,
        workers=2,
        repeats=args.population_repeats,
        out=args.out,
    )


def methods(args: argparse.Namespace) -> None:
    """The table of the post's loop and the presets."""
    print(
        f"CartPole-v1 time-to-solve, {args.seeds} seeds, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    rows = run_benchmark(
        range(args.seeds), args.methods, max_episodes=args.max_episodes, progress=True
    )
    table = to_markdown(summarize(rows))
    print()
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# CartPole-v1 time-to-solve\n\n{args.seeds} seeds, {os.cpu_count()} cores. "
        "Median (min–max) over seeds; speed-up = the post loop's median wall time "
        "over the method's.\n\n"
    )
    # each file to a temporary name, renamed into place: never half a table
    atomic_write(args.out / "cartpole.md", lambda f: f.write(header + table + "\n"))

    def write_csv(f: IO[Any]) -> None:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    atomic_write(args.out / "cartpole.csv", write_csv)
    print(f"\nwrote {args.out / 'cartpole.md'} and {args.out / 'cartpole.csv'}")


if __name__ == "__main__":
    main()
