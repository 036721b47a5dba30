"""Population benchmark: a multi-seed study as separate runs or as populations.

    python -m benchmarks.population [--seeds 20] [--presets fast default] [--workers 2]
                                    [--repeats 1]

For each preset the same study (``--seeds`` seeds, ``stop_when_solved``, a cap of
``--max-episodes``) is run four ways, each as a fresh Python process whose whole wall
time is measured (interpreter start, imports and worker start-up included):

``train x N (joblib)``  one :func:`reinforce.train` per seed, joblib over the workers
``population``          one :func:`reinforce.train_population` of every seed
``populations x W``     the seeds split into W interleaved populations, one per worker
                        (forked: joblib's ``multiprocessing`` backend)
``sweep (W jobs)``      :func:`reinforce.sweep.sweep` with W jobs, as a study is run in
                        practice: it groups the seeds into populations itself (loky)

The speed-up is the joblib study's wall time over the row's, measured in the same
run. A study prints one JSON line per seed: ``{"seed", "solved_at", "episodes",
"env_steps"}``.

A fifth row, ``slowest seed alone``, is the ceiling on every population way: a fresh
process trains only the seed that took the most environment steps in the
``population`` study, as a population of one. A member's run does not depend on its
population, so every population way replays that run step for step, one update after
another; none can finish before it, however the other seeds are scheduled. Its
speed-up is the most any population way could reach on this study.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from reinforce.checkpoint import atomic_write

WAYS = ("train x N (joblib)", "population", "populations x W", "sweep (W jobs)")
#: the ceiling row: the population study's slowest seed trained alone
CEILING = "slowest seed alone"


def _configs(preset_name: str, seeds: list[int], max_episodes: int) -> list[Any]:
    from reinforce import preset

    return [
        preset(preset_name, seed=s, max_episodes=max_episodes, stop_when_solved=True)
        for s in seeds
    ]


def _train_one(config: Any) -> dict[str, Any]:
    from reinforce import train

    h = train(config)
    return _result(h)


def _result(h: Any) -> dict[str, Any]:
    return {
        "seed": h.config.seed,
        "solved_at": h.solved_at,
        "episodes": h.episodes,
        "env_steps": h.env_steps,
    }


def _population(configs: list[Any]) -> list[dict[str, Any]]:
    from reinforce import train_population

    return [_result(h) for h in train_population(configs)]


def study(
    way: str, preset_name: str, seeds: list[int], max_episodes: int, workers: int
) -> list[dict[str, Any]]:
    """Run the study one ``way`` (one of :data:`WAYS`, or :data:`CEILING`) in this
    process."""
    from joblib import Parallel, delayed

    configs = _configs(preset_name, seeds, max_episodes)
    if way in (WAYS[1], CEILING):  # the ceiling's study is its one seed
        return _population(configs)
    if way == WAYS[0]:
        return list(Parallel(n_jobs=workers)(delayed(_train_one)(c) for c in configs))
    if way == WAYS[3]:
        from reinforce.sweep import sweep

        result = sweep(configs[0], None, seeds, n_jobs=workers, progress=False)
        return [
            {k: row[k] for k in ("seed", "solved_at", "episodes", "env_steps")}
            for row in result.rows
        ]
    groups = [configs[i::workers] for i in range(workers) if configs[i::workers]]
    # forked workers start with the package already imported (the study is short)
    parts = Parallel(n_jobs=workers, backend="multiprocessing")(
        delayed(_population)(g) for g in groups
    )
    return sorted((r for part in parts for r in part), key=lambda r: r["seed"])


def timed_study(
    way: str, preset_name: str, seeds: int | list[int], max_episodes: int, workers: int
) -> tuple[float, list[dict[str, Any]]]:
    """Wall time of a whole fresh process running the study of ``seeds`` (a count: seeds
    0 … seeds − 1, or a list), and its per-seed results."""
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.population",
        "--run-study",
        way,
        "--presets",
        preset_name,
        "--seed-list",
        ",".join(map(str, seed_list)),
        "--max-episodes",
        str(max_episodes),
        "--workers",
        str(workers),
    ]
    start = time.perf_counter()
    out = subprocess.run(
        cmd,
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    wall = time.perf_counter() - start
    return wall, [
        json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")
    ]


def slowest_seed(results: list[dict[str, Any]]) -> int:
    """The seed whose run took the most environment steps (the lowest such seed)."""
    return min(results, key=lambda r: (-r["env_steps"], r["seed"]))["seed"]


def compare(
    presets: list[str],
    seeds: int,
    max_episodes: int,
    workers: int,
    progress: bool = False,
    repeats: int = 1,
) -> list[dict[str, Any]]:
    """One row per preset and way: wall seconds, seeds solved, median episodes, speed-up;
    then the ceiling row (:data:`CEILING`).

    With ``repeats`` > 1 every way is timed that many times, the ways interleaved, and
    the row gives the median wall time and the median of the per-repetition speed-ups
    (each against the joblib study of the same repetition).
    """
    rows = []
    for name in presets:
        ways = (*WAYS, CEILING)
        walls: dict[str, list[float]] = {way: [] for way in ways}
        ratios: dict[str, list[float]] = {way: [] for way in ways}
        results: dict[str, list[dict[str, Any]]] = {}
        for _ in range(repeats):
            for way in WAYS:
                wall, results[way] = timed_study(
                    way, name, seeds, max_episodes, workers
                )
                walls[way].append(wall)
                ratios[way].append(walls[WAYS[0]][-1] / wall)
            slow = slowest_seed(results[WAYS[1]])
            wall, results[CEILING] = timed_study(
                CEILING, name, [slow], max_episodes, workers
            )
            if results[CEILING] != [r for r in results[WAYS[1]] if r["seed"] == slow]:
                raise RuntimeError(
                    f"seed {slow} trained alone differs from its run in the population"
                )
            walls[CEILING].append(wall)
            ratios[CEILING].append(walls[WAYS[0]][-1] / wall)
        for way in ways:
            solved = sorted(
                r["solved_at"] for r in results[way] if r["solved_at"] is not None
            )
            label = way.replace("W", str(workers)).replace("N", str(seeds))
            if way == CEILING:
                label = f"{way} (seed {results[way][0]['seed']})"
            row = {
                "preset": name,
                "way": label,
                "wall_s": round(statistics.median(walls[way]), 1),
                "solved": f"{len(solved)}/{len(results[way])}",
                "median_solved_at": solved[len(solved) // 2] if solved else None,
                "speedup": round(statistics.median(ratios[way]), 2),
                "speedups": [round(r, 2) for r in ratios[way]],
            }
            rows.append(row)
            if progress:
                print(row, flush=True)
    return rows


def to_markdown(rows: list[dict[str, Any]]) -> str:
    many = any(len(r.get("speedups", ())) > 1 for r in rows)
    head = (
        "| preset | way | wall s | seeds solved | median episodes to solve | speed-up |"
    )
    lines = [head, "|---|---|---:|---:|---:|---:|"]
    if many:
        lines = [head + " speed-up per repetition |", lines[1] + "---|"]
    for r in rows:
        lines.append(
            f"| {r['preset']} | {r['way']} | {r['wall_s']} | {r['solved']} | "
            f"{r['median_solved_at']} | {r['speedup']}x |"
            + (f" {', '.join(map(str, r['speedups']))} |" if many else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--presets", nargs="+", default=["fast", "default"])
    parser.add_argument("--max-episodes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeats", type=int, default=1, help="time every way this many times"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--run-study", choices=(*WAYS, CEILING), help=argparse.SUPPRESS)
    parser.add_argument("--seed-list", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seeds < 1 or args.workers < 1 or args.repeats < 1:
        parser.error("--seeds, --workers and --repeats must be >= 1")
    if args.run_study:  # the child process of timed_study
        for r in study(
            args.run_study,
            args.presets[0],
            [int(v) for v in args.seed_list.split(",")]
            if args.seed_list
            else list(range(args.seeds)),
            args.max_episodes,
            args.workers,
        ):
            print(json.dumps(r))
        return
    report(
        args.presets,
        args.seeds,
        max_episodes=args.max_episodes,
        workers=args.workers,
        repeats=args.repeats,
        out=args.out,
    )


def report(
    presets: list[str],
    seeds: int,
    *,
    max_episodes: int,
    workers: int,
    repeats: int,
    out: Path,
) -> None:
    """Run :func:`compare`, print its rows as they come and the table, and write the
    table to ``out``/population.md (to a temporary name, renamed into place)."""
    print(
        f"{seeds}-seed studies, {os.cpu_count()} cores, {workers} workers", flush=True
    )
    rows = compare(
        presets, seeds, max_episodes, workers, progress=True, repeats=repeats
    )
    table = to_markdown(rows)
    print()
    print(table)
    out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Populations vs separate runs\n\n{seeds} seeds per study, "
        f"{os.cpu_count()} cores, {workers} workers, whole-process wall times "
        f"(median of {repeats}); speed-up = the joblib study's time over the "
        "row's (median of the repetitions' ratios). The last row of a preset, the "
        "`population` study's slowest seed trained alone, is the ceiling: no "
        "population way can finish before that one run, so its speed-up is the "
        "most any of them could reach on this study.\n\n"
    )
    atomic_write(out / "population.md", lambda f: f.write(header + table + "\n"))
    print(f"\nwrote {out / 'population.md'}")


if __name__ == "__main__":
    main()
