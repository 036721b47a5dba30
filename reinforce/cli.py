"""The command line: ``python -m reinforce train|evaluate|sweep`` (also installed as ``reinforce``).

Every :class:`~reinforce.train.Config` field is a flag of ``train`` (``batch_size`` →
``--batch-size``; ``env_id`` → ``--env``), with the field's docstring as its help.
Bad input prints one line to stderr and exits with status 2, before anything is
written.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .checkpoint import load_policy, save_policy
from .envs import make_env
from .presets import PRESETS, preset
from .rollout import run_episode
from .train import Config, History, train

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, with no usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each dataclass field, read from the class source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _optional(parse: Any) -> Any:
    def parse_optional(text: str) -> Any:
        return None if text.lower() == "none" else parse(text)

    parse_optional.__name__ = parse.__name__  # argparse names the type in its errors
    return parse_optional


_PARSERS: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "int | None": _optional(int),
    "float | None": _optional(float),
}


def _flag(name: str) -> str:
    return "--env" if name == "env_id" else "--" + name.replace("_", "-")


def _add_config_flags(parser: argparse.ArgumentParser, skip: Sequence[str] = ()) -> None:
    docs = field_docs(Config)
    group = parser.add_argument_group("hyperparameters (defaults: the reference post's)")
    for f in dataclasses.fields(Config):
        if f.name in skip:
            continue
        help_text = f"{docs.get(f.name, '')} (default: {f.default})".replace("%", "%%")
        if f.type == "bool":
            group.add_argument(_flag(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
        else:
            # SUPPRESS: only flags actually given override the preset
            group.add_argument(_flag(f.name), dest=f.name, type=_PARSERS[str(f.type)],
                               default=argparse.SUPPRESS, metavar=f.name.upper(), help=help_text)


TRAIN_EXAMPLE = """\
example:
  python -m reinforce train --env CartPole-v1 --seed 0 --out runs/cartpole-s0
  python -m reinforce train --env CartPole-v1 --preset fast --seed 0 --out runs/fast-s0
  python -m reinforce train --env CartPole-v1 --seed 1 --gamma 0.95 --lr 3e-3 --out runs/g95
"""

EVALUATE_EXAMPLE = """\
example:
  python -m reinforce evaluate runs/cartpole-s0 --episodes 20 --seed 123
"""

SWEEP_EXAMPLE = """\
example:
  python -m reinforce sweep --env CartPole-v1 --grid gamma=0.95,0.99 --seeds 5 --jobs 2 \\
      --stop-when-solved --out runs/gamma
  python -m reinforce sweep --grid lr=1e-3,3e-3 --grid baseline=none,standardize --seeds 20 \\
      --dask-scheduler tcp://10.0.0.1:8786 --out runs/lr-baseline
"""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="reinforce",
        description="REINFORCE from scratch in NumPy: train and evaluate policies.",
        epilog=TRAIN_EXAMPLE + "\n" + EVALUATE_EXAMPLE + "\n" + SWEEP_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p_train = sub.add_parser(
        "train",
        help="train a policy and write its results to a directory",
        description="Train a policy with REINFORCE. Writes config.json, history.csv, "
        "policy.npz (+ policy.json), learning_curve.png and summary.json to --out.",
        epilog=TRAIN_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_train.add_argument("--out", required=True, type=Path, metavar="DIR",
                         help="directory for the results (must be empty or new)")
    p_train.add_argument("--overwrite", action="store_true",
                         help="allow --out to be a non-empty directory (its files are replaced)")
    p_train.add_argument("--quiet", action="store_true", help="no progress bar")
    p_train.add_argument("--preset", default="default", metavar="NAME",
                         help=f"start from a named preset, one of {', '.join(PRESETS)}; "
                         "flags given explicitly override it (default: default, the post's)")
    _add_config_flags(p_train)

    p_eval = sub.add_parser(
        "evaluate",
        help="run a trained policy and report episode lengths and returns",
        description="Run the policy saved in DIR (by `train`) for some episodes, sampling "
        "its actions, and print the mean and std of episode length and return.",
        epilog=EVALUATE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_eval.add_argument("dir", type=Path, metavar="DIR", help="a directory written by `train`")
    p_eval.add_argument("--episodes", type=int, default=10, metavar="N",
                        help="number of episodes (default: 10)")
    p_eval.add_argument("--seed", type=int, default=0, help="seed for the environment and "
                        "the action sampling (default: 0)")

    p_sweep = sub.add_parser(
        "sweep",
        help="train a grid of configurations × seeds in parallel",
        description="Train every combination of the --grid values, once per seed, in\n"
        "parallel (local processes, or a Dask cluster). Writes results.csv (a row per\n"
        "run), runs/*.npz (learning curves), sweep.json and sweep.png to --out.\n"
        "Running again into the same --out resumes: finished runs are not repeated.\n"
        "Exit status 1 if any run failed (its error is in results.csv), 130 on Ctrl-C\n"
        "(finished runs are kept).",
        epilog=SWEEP_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_sweep.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                         help="a hyperparameter and its values (repeatable; the grid is "
                         "every combination)")
    p_sweep.add_argument("--seeds", type=int, default=5, metavar="N",
                         help="run every grid point with seeds 0..N-1 (default: 5)")
    p_sweep.add_argument("--jobs", type=int, default=None, metavar="J",
                         help="parallel runs (default: one per core, or every Dask worker)")
    p_sweep.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                         help="run on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.1:8786); "
                         "its workers need this package installed")
    p_sweep.add_argument("--out", required=True, type=Path, metavar="DIR",
                         help="directory for the results (new, or a sweep to resume)")
    p_sweep.add_argument("--fresh", action="store_true",
                         help="discard the finished runs in --out and start again")
    p_sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    p_sweep.add_argument("--preset", default="default", metavar="NAME",
                         help=f"base hyperparameters from a named preset, one of "
                         f"{', '.join(PRESETS)}; the flags below and --grid override it "
                         "(default: default)")
    _add_config_flags(p_sweep, skip=("seed",))
    return parser


# ---------------------------------------------------------------- train


def _check_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UsageError(f"--out {str(out)!r} is not empty; pass --overwrite to replace its files")


def _write_results(out: Path, history: History) -> None:
    from matplotlib.figure import Figure

    from .plotting import plot_learning_curve

    env = make_env(history.config.env_id, max_steps=history.config.max_steps)
    try:
        assert history.policy is not None
        save_policy(out / "policy.npz", history.policy, env.observation_space, env.action_space,
                    history.config.to_dict())
    finally:
        env.close()
    history.to_csv(out / "history.csv")
    fig = Figure(figsize=(8, 4), layout="constrained")
    plot_learning_curve(history, fig.add_subplot())
    fig.savefig(out / "learning_curve.png", dpi=120)
    (out / "summary.json").write_text(json.dumps(history.summary(), indent=2) + "\n",
                                      encoding="utf-8")


def _cmd_train(args: argparse.Namespace) -> int:
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config)
             if hasattr(args, f.name)}
    config = preset(args.preset, **given)  # validates every hyperparameter
    make_env(config.env_id, max_steps=config.max_steps).close()  # validates the env
    out: Path = args.out
    _check_out_dir(out, args.overwrite)

    from tqdm.auto import tqdm

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n",
                                     encoding="utf-8")
    with tqdm(total=config.max_episodes, unit="ep", disable=args.quiet or None,
              dynamic_ncols=True) as bar:

        def progress(history: History) -> None:
            bar.update(1)
            if history.episodes % 10 == 0:
                bar.set_postfix(mean100=f"{history.rolling_mean()[-1]:.1f}", refresh=False)

        history = train(config, progress, catch_interrupt=True)
    _write_results(out, history)
    s = history.summary()
    solved = "not solved" if s["solved_at_episode"] is None else \
        f"solved at episode {s['solved_at_episode']}"
    print(f"{config.env_id} seed {config.seed}: {solved}; {s['episodes']} episodes, "
          f"{s['env_steps']} steps, {s['wall_seconds']:.1f} s -> {out}")
    if history.interrupted:
        print(f"interrupted: kept {history.episodes} episodes in {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


# ---------------------------------------------------------------- evaluate


def _cmd_evaluate(args: argparse.Namespace) -> int:
    if args.episodes < 1:
        raise UsageError(f"--episodes must be >= 1, got {args.episodes}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    config_file = args.dir / "config.json"
    if not config_file.is_file():
        raise UsageError(f"{str(args.dir)!r} has no config.json: not a directory written by train")
    config = Config.from_dict(json.loads(config_file.read_text(encoding="utf-8")))
    env = make_env(config.env_id, max_steps=config.max_steps)
    try:
        policy, _ = load_policy(args.dir / "policy.npz", env)
        rng = np.random.default_rng(args.seed)
        episodes = [
            run_episode(env, policy, rng, seed=args.seed if i == 0 else None,
                        max_steps=config.max_steps, episode=i + 1)
            for i in range(args.episodes)
        ]
    finally:
        env.close()
    lengths = np.array([e.length for e in episodes], dtype=np.float64)
    returns = np.array([e.total_reward for e in episodes])
    print(f"{config.env_id}, {args.episodes} episodes: "
          f"length {lengths.mean():.1f} ± {lengths.std():.1f}, "
          f"return {returns.mean():.2f} ± {returns.std():.2f}")
    return 0


# ---------------------------------------------------------------- sweep


def _parse_bool(text: str) -> bool:
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    if text.lower() not in words:
        raise ValueError(text)
    return words[text.lower()]


def parse_grid(specs: Sequence[str]) -> dict[str, list[Any]]:
    """``["gamma=0.95,0.99", "batch-size=5,10"]`` → ``{"gamma": [0.95, 0.99], ...}``.

    Names are Config fields (``-`` or ``_``; ``env`` for ``env_id``); each value is
    parsed as the field's type. Raises UsageError naming the bad piece.
    """
    fields = {f.name: str(f.type) for f in dataclasses.fields(Config)}
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip().replace("-", "_")
        name = "env_id" if name == "env" else name
        if not sep or not name:
            raise UsageError(f"--grid {spec!r}: expected NAME=V1,V2,...")
        if name == "seed":
            raise UsageError("--grid: seed is not a grid parameter; use --seeds N")
        if name not in fields:
            choices = ", ".join(sorted(set(fields) - {"seed"}))
            raise UsageError(f"--grid: unknown hyperparameter {name!r} (choose from {choices})")
        if name in grid:
            raise UsageError(f"--grid: {name} given twice; list all its values in one --grid")
        texts = [v.strip() for v in values.split(",")]
        if not values.strip() or any(not v for v in texts):
            raise UsageError(f"--grid {spec!r}: expected NAME=V1,V2,... with no empty value")
        parse = _parse_bool if fields[name] == "bool" else _PARSERS[fields[name]]
        parsed = []
        for text in texts:
            try:
                parsed.append(parse(text))
            except ValueError:
                kind = fields[name].replace(" | None", " or none")
                raise UsageError(f"--grid {name}: cannot parse {text!r} as {kind}") from None
        grid[name] = parsed
    return grid


def _write_sweep_plot(path: Path, result: Any) -> None:
    from matplotlib.figure import Figure

    from .plotting import plot_fraction_solved, plot_learning_curves, plot_sweep

    panels = 3 if result.params else 2
    fig = Figure(figsize=(6 * panels, 4.5), layout="constrained")
    axes = fig.subplots(1, panels)
    plot_learning_curves(result, axes[0])
    plot_fraction_solved(result, axes[1])
    if result.params:
        # runs stopped when solved all end near the threshold: compare how long they took
        stop = all(c.stop_when_solved for c in result.configs.values())
        plot_sweep(result, result.params[0], "episodes" if stop else "final_rolling_mean",
                   rng=np.random.default_rng(0), ax=axes[2])
    fig.savefig(path, dpi=110)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import _plan, expand_grid, sweep

    grid = parse_grid(args.grid)
    if args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    if args.jobs is not None and args.jobs == 0:
        raise UsageError("--jobs must be a non-zero integer, got 0")
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config)
             if f.name != "seed" and hasattr(args, f.name)}
    base = preset(args.preset, **given)  # validates the base hyperparameters
    tasks = _plan(base, expand_grid(grid), list(range(args.seeds)))  # validates every Config
    for env_id, max_steps in dict.fromkeys((t.config.env_id, t.config.max_steps) for t in tasks):
        make_env(env_id, max_steps=max_steps).close()  # validates every environment
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "sweep.json").is_file():
        raise UsageError(f"--out {str(out)!r} is not empty and holds no sweep; "
                         "choose a new directory")
    client = None
    if args.dask_scheduler is not None:
        from distributed import Client

        try:
            client = Client(args.dask_scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as err:
            raise UsageError(f"--dask-scheduler {args.dask_scheduler!r}: {err}") from None
    try:
        result = sweep(base, grid, args.seeds, out=out, n_jobs=args.jobs, scheduler=client,
                       fresh=args.fresh, progress=not args.quiet, catch_interrupt=True)
    finally:
        if client is not None:
            client.close()
    if result.rows:
        _write_sweep_plot(out / "sweep.png", result)
    rng = np.random.default_rng(0)  # the bootstrap's, so the report is reproducible
    final = {result.label(p): e for p, e in result.aggregate("final_rolling_mean", rng=rng)}
    for point in result.points:
        rows = result.select(point, errors=True)
        failed = sum(r["error"] is not None for r in rows)
        text = f"{result.label(point)}: {len(rows)} runs"
        if len(rows) > failed:
            text += (f", episodes to solve (median) {result.solve_time(point, rng=rng)}, "
                     f"final mean return (IQM) {final[result.label(point)]}")
        if failed:
            text += f", {failed} failed"
        print(text)
    print(f"{len(result.rows)} runs ({result.computed} new) -> {out / 'results.csv'}")
    if result.interrupted:
        print(f"interrupted: kept {len(result.rows)} finished runs in {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 1 if any(r["error"] is not None for r in result.rows) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        return _cmd_evaluate(args)
    except (UsageError, ValueError, TypeError, FileNotFoundError) as err:
        message = str(err) if isinstance(err, UsageError) else f"reinforce: error: {err}"
        if isinstance(err, UsageError) and not message.startswith("reinforce"):
            message = f"reinforce: {message}"
        print(message.replace("\n", " "), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("reinforce: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

