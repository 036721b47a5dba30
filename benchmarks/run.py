"""``make bench``: time-to-solve CartPole-v1 for the post's loop and every preset.

    python -m benchmarks.run [--seeds 5] [--max-episodes 10000] [--out bench-results]

Prints a markdown table (median, min–max over seeds) and writes it, with every run's
row as CSV, to ``--out``. Timings are ratios against the post's loop measured in the
same run, so they compare across machines better than the seconds do.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
from pathlib import Path

from reinforce.benchmark import METHODS, run_benchmark, summarize, to_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    parser.add_argument("--max-episodes", type=int, default=10_000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")

    print(f"CartPole-v1 time-to-solve, {args.seeds} seeds, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}", flush=True)
    rows = run_benchmark(range(args.seeds), args.methods, max_episodes=args.max_episodes,
                         progress=True)
    table = to_markdown(summarize(rows))
    print()
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    header = (f"# CartPole-v1 time-to-solve\n\n{args.seeds} seeds, {os.cpu_count()} cores. "
              "Median (min–max) over seeds; speed-up = the post loop's median wall time "
              "over the method's.\n\n")
    (args.out / "cartpole.md").write_text(header + table + "\n", encoding="utf-8")
    with open(args.out / "cartpole.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {args.out / 'cartpole.md'} and {args.out / 'cartpole.csv'}")


if __name__ == "__main__":
    main()
