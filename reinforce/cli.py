"""The command line: ``python -m reinforce train|evaluate|sweep`` (also installed as ``reinforce``).

Every :class:`~reinforce.train.Config` field is a flag of ``train`` (``batch_size`` →
``--batch-size``; ``env_id`` → ``--env``), with the field's docstring as its help.
``train --algo dqn`` trains :func:`~reinforce.dqn.train_dqn` instead: the flags that
name :class:`~reinforce.dqn.DQNConfig` fields apply, ``--preset`` names a DQN preset.
``evaluate`` plays deterministic episodes with either kind of run (DQN: greedy;
REINFORCE: the policy's mode) and writes ``evaluation.json``.
Bad input prints one line to stderr and exits with status 2, before anything is
written; a file that cannot be read or written is one line too (status 1).

``train`` builds its run directory under a temporary name beside ``--out`` and renames it
into place when it is complete (``--overwrite`` swaps the whole directory), so ``--out``
is at every instant the old complete run, the new complete run, or absent. Ctrl-C or
SIGTERM ends training and saves what was learnt, marked ``interrupted``; further
signals while it saves are counted, not obeyed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import glob
import inspect
import itertools
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import numpy as np

from .checkpoint import (
    atomic_write,
    check_finite_params,
    load_policy,
    read_json,
    save_policy,
)
from .dqn import (
    DQN_PRESETS,
    DQNConfig,
    DQNHistory,
    dqn_preset,
    load_q_network,
    save_q_network,
    train_dqn,
)
from .envs import make_env
from .evaluation import evaluate_actor
from .presets import PRESETS, preset
from .train import Config, History, train

__all__ = ["main"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
JOBS_PER_CORE = 4
"""``--jobs`` may ask for at most this many local processes per core."""
MAX_DASK_JOBS = 4096
"""... and at most this many concurrent runs on a Dask cluster."""
MAX_SWEEP_RUNS = 100_000
"""A sweep larger than this is a typo (``--seeds 1000000``), not an experiment."""
DASK_HANDSHAKE_SECONDS = 10.0
"""How long to wait for a Dask scheduler to answer before giving up."""


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, with no usage dump, and which reads
    ``-1e-3``, ``-inf`` and ``-nan`` as values (argparse's own rule knows only ``-1`` and
    ``-1.5``), so ``--lr -inf`` is refused by the check on lr, not by the parser."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
        )

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


ALGOS = ("reinforce", "dqn")


def _add_config_flags(
    parser: argparse.ArgumentParser,
    skip: Sequence[str] = (),
    cls: type = Config,
    title: str = "hyperparameters (defaults: the reference post's)",
) -> None:
    docs = field_docs(cls)
    group = parser.add_argument_group(title)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        help_text = f"{docs.get(f.name, '')} (default: {f.default})".replace("%", "%%")
        if f.type == "bool":
            group.add_argument(
                _flag(f.name),
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        else:
            # SUPPRESS: only flags actually given override the preset
            group.add_argument(
                _flag(f.name),
                dest=f.name,
                type=_PARSERS[str(f.type)],
                default=argparse.SUPPRESS,
                metavar=f.name.upper(),
                help=help_text,
            )


TRAIN_EXAMPLE = """\
example:
  python -m reinforce train --env CartPole-v1 --seed 0 --out runs/cartpole-s0
  python -m reinforce train --algo dqn --preset rl-zoo --seed 0 --max-env-steps 60000 \\
      --out runs/dqn-s0
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
        description="Train a policy with REINFORCE (or a Q-network with DQN, --algo dqn). "
        "Writes config.json, history.csv, policy.npz (+ policy.json) or q_network.npz, "
        "learning_curve.png and summary.json to --out.",
        epilog=TRAIN_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_train.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory for the results (new or empty; written under a temporary "
        "name and renamed into place when complete)",
    )
    p_train.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (the whole directory is "
        "swapped for the new one when it is complete)",
    )
    p_train.add_argument("--quiet", action="store_true", help="no progress bar")
    p_train.add_argument(
        "--algo",
        default="reinforce",
        choices=ALGOS,
        help="reinforce (a policy, the default) or dqn (a Q-network)",
    )
    p_train.add_argument(
        "--preset",
        default="default",
        metavar="NAME",
        help=f"start from a named preset, one of {', '.join(PRESETS)} (--algo dqn: "
        f"{', '.join(DQN_PRESETS)}); flags given explicitly override it "
        "(default: default, the post's)",
    )
    _add_config_flags(p_train)
    _add_config_flags(
        p_train,
        skip=[f.name for f in dataclasses.fields(Config)],
        cls=DQNConfig,
        title="DQN hyperparameters (--algo dqn only; the shared ones above apply "
        "too, their defaults then come from the DQN preset)",
    )

    p_eval = sub.add_parser(
        "evaluate",
        help="play deterministic episodes with a trained run; write evaluation.json",
        description="Play episodes with the run saved in DIR (by `train`) without "
        "exploring: a DQN run acts greedily (argmax of Q, epsilon = 0); a REINFORCE "
        "run takes its policy's mode (the most likely action, or the Gaussian's "
        "mean), not a sample. The environment is seeded from an evaluation stream "
        "of its own. Prints the mean and std of episode length and return, and "
        "writes them with every episode's return to DIR/evaluation.json.",
        epilog=EVALUATE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_eval.add_argument(
        "dir", type=Path, metavar="DIR", help="a directory written by `train`"
    )
    p_eval.add_argument(
        "--episodes",
        type=int,
        default=10,
        metavar="N",
        help="number of episodes (default: 10)",
    )
    p_eval.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the evaluation stream (default: the run's own seed)",
    )

    p_sweep = sub.add_parser(
        "sweep",
        help="train a grid of configurations × seeds in parallel",
        description="Train every combination of the --grid values, once per seed, in\n"
        "parallel (local processes, or a Dask cluster). Writes results.csv (a row per\n"
        "run), runs/*.npz (learning curves), sweep.json and sweep.png to --out.\n"
        "Runs that differ only in seed and per-run hyperparameters (lr, gamma, ...) are\n"
        "trained together as populations, at least one per job; each row is the run\n"
        "trained alone, bit for bit. A population's runs are saved when it finishes.\n"
        "Running again into the same --out resumes: finished runs are not repeated.\n"
        "Exit status 1 if any run failed (its error is in results.csv), 130 on Ctrl-C\n"
        "(finished runs are kept).",
        epilog=SWEEP_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="a hyperparameter and its values (repeatable; the grid is "
        "every combination)",
    )
    p_sweep.add_argument(
        "--seeds",
        type=int,
        default=5,
        metavar="N",
        help="run every grid point with seeds 0..N-1 (default: 5)",
    )
    p_sweep.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="J",
        help="parallel workers, each training a population of runs "
        "(default: one per core, or every Dask worker)",
    )
    p_sweep.add_argument(
        "--dask-scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster at ADDRESS (e.g. tcp://10.0.0.1:8786); "
        "its workers need this package installed",
    )
    p_sweep.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory for the results (new, or a sweep to resume)",
    )
    p_sweep.add_argument(
        "--overwrite",
        "--fresh",
        dest="overwrite",
        action="store_true",
        help="discard the sweep in --out (finished runs too) and start again; "
        "without it, the same sweep resumes and a different one is refused",
    )
    p_sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    p_sweep.add_argument(
        "--preset",
        default="default",
        metavar="NAME",
        help=f"base hyperparameters from a named preset, one of "
        f"{', '.join(PRESETS)}; the flags below and --grid override it "
        "(default: default)",
    )
    _add_config_flags(p_sweep, skip=("seed",))
    _add_check_parser(sub)
    return parser


# ---------------------------------------------------------------- signals and files


class Signals:
    """Ctrl-C (SIGINT) and SIGTERM, handled alike: the first one raises KeyboardInterrupt
    (which ends training, keeping what was learnt); any later one is only counted, so a
    second Ctrl-C cannot break off the saving of the first. After :meth:`hold`, even the
    first one is only counted (the caller checks :attr:`count` when it is done)."""

    def __init__(self) -> None:
        self.count = 0
        self.armed = True
        self._saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1 and self.armed:
            raise KeyboardInterrupt

    def hold(self) -> None:
        """From now on a signal is recorded, not raised."""
        self.armed = False

    def __enter__(self) -> Signals:
        with contextlib.suppress(
            ValueError
        ):  # not the main thread: leave signals alone
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


def _out_path(out: Path) -> Path:
    out = Path(os.path.abspath(out))
    if out.name in ("", ".", ".."):
        raise UsageError(f"--out {str(out)!r} must name a directory (not the root)")
    if len(os.fsencode(out.name)) > 255:  # NAME_MAX: found now, not after the training
        raise UsageError(
            f"--out: the name {out.name[:20]!r}... is longer than 255 bytes"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a directory")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise UsageError(
                f"--out {str(out)!r}: {str(parent)!r} is a file, not a directory"
            )
    return out


def _sibling(out: Path, kind: str) -> Path:
    """A new empty directory ``.<name>.<pid>.<random>.<kind>`` beside ``out``."""
    return Path(
        tempfile.mkdtemp(
            dir=out.parent, prefix=f".{out.name[:64]}.{os.getpid()}.", suffix=f".{kind}"
        )
    )


def _remove_leftovers(out: Path) -> None:
    """Delete what a killed train (SIGKILL, power cut) left beside ``out``: its partial run,
    or the old run it was swapping out. Only those of processes no longer running."""
    for path in out.parent.glob(f".{glob.escape(out.name[:64])}.*.*"):
        parts = path.name[len(out.name[:64]) + 2 :].split(".")  # pid, random, kind
        if (
            len(parts) == 3
            and parts[0].isdigit()
            and parts[2] in ("partial", "old")
            and not _alive(int(parts[0]))
        ):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_temp_dir(out: Path) -> Path:
    """An empty directory beside ``out``, to be renamed to it when complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = _sibling(out, "partial")
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp's 0o700, as mkdir would have made it
    return tmp


def _swap_into_place(tmp: Path, out: Path, overwrite: bool) -> None:
    """Rename the complete ``tmp`` to ``out``; an existing ``out`` is moved aside first and
    deleted after, so ``out`` is always a complete run or absent."""
    old = None
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:  # another process filled it while this one trained
            kept = out.with_name(f"{out.name}.{os.getpid()}")
            os.replace(tmp, kept)
            raise OSError(
                f"--out {str(out)!r} was filled by another process meanwhile; "
                f"this run is in {str(kept)!r}"
            )
        old = _sibling(out, "old")
        os.replace(out, old / "run")
    elif out.is_dir():
        out.rmdir()
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text))


def _check_env(env_id: str, max_steps: int | None) -> None:
    """Make (and close) the environment once, so a bad id or a missing optional
    dependency is one line before anything runs."""
    try:
        make_env(env_id, max_steps=max_steps).close()
    except ImportError as err:
        raise UsageError(
            f"--env {env_id!r} needs a package that is not installed ({err})"
        ) from None


# ---------------------------------------------------------------- train


def _check_out_dir(out: Path, overwrite: bool) -> None:
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise UsageError(
            f"--out {str(out)!r} is not empty; pass --overwrite to replace the "
            "run in it"
        )
    if not (out / "config.json").is_file():
        raise UsageError(
            f"--out {str(out)!r} holds no run written by train (no config.json); "
            "--overwrite replaces only a run directory: choose a new --out"
        )


def _write_history_csv(path: Path, history: History | DQNHistory) -> None:
    """One row per episode: episode, length, return, rolling mean of returns (numbers)."""
    rolling = history.rolling_mean()
    lines = ["episode,length,return,rolling_mean\n"]
    lines += [
        f"{i + 1},{int(n)},{float(r)!r},{float(m)!r}\n"
        for i, (n, r, m) in enumerate(
            zip(history.lengths, history.returns, rolling, strict=True)
        )
    ]
    atomic_write(path, lambda f: f.write("".join(lines)))


def _write_results(
    out: Path, history: History | DQNHistory, summary: dict[str, Any]
) -> None:
    from matplotlib.figure import Figure

    from .plotting import plot_learning_curve

    env = make_env(history.config.env_id, max_steps=history.config.max_steps)
    try:
        if isinstance(history, DQNHistory):
            assert history.q_network is not None
            save_q_network(out / "q_network.npz", history.q_network)
        else:
            assert history.policy is not None
            save_policy(
                out / "policy.npz",
                history.policy,
                env.observation_space,
                env.action_space,
                history.config.to_dict(),
            )
    finally:
        env.close()
    _write_history_csv(out / "history.csv", history)
    fig = Figure(figsize=(8, 4), layout="constrained")
    plot_learning_curve(history, fig.add_subplot())
    atomic_write(
        out / "learning_curve.png",
        lambda f: fig.savefig(f, format="png", dpi=120),
        binary=True,
    )
    _write_json(
        out / "summary.json", summary
    )  # last: its presence marks a complete run


def _given(args: argparse.Namespace, cls: type, other: type) -> dict[str, Any]:
    """The hyperparameter flags given on the command line, as ``cls`` fields; a flag
    that only ``other`` has is refused."""
    mine = {f.name for f in dataclasses.fields(cls)}
    for f in dataclasses.fields(other):
        if f.name not in mine and hasattr(args, f.name):
            raise UsageError(
                f"{_flag(f.name)} is not a hyperparameter of --algo {args.algo}"
            )
    return {name: getattr(args, name) for name in mine if hasattr(args, name)}


class _Run(NamedTuple):
    """What ``train`` needs to know of an algorithm: the validated config, what
    config.json records, the progress bar's total and unit, and the training itself
    (given the bar to advance)."""

    config: Config | DQNConfig
    saved: dict[str, Any]
    total: int | None
    unit: str
    run: Callable[[Any], History | DQNHistory]


def _reinforce_run(args: argparse.Namespace) -> _Run:
    config = preset(args.preset, **_given(args, Config, DQNConfig))  # validated

    def run(bar: Any) -> History:
        def progress(history: History) -> None:
            bar.update(1)
            if history.episodes % 10 == 0:
                bar.set_postfix(
                    mean100=f"{history.rolling_mean()[-1]:.1f}", refresh=False
                )

        return train(config, progress, catch_interrupt=True)

    return _Run(config, config.to_dict(), config.max_episodes, "ep", run)


def _dqn_run(args: argparse.Namespace) -> _Run:
    if args.preset not in DQN_PRESETS:
        raise UsageError(
            f"--preset must be one of {', '.join(DQN_PRESETS)} with --algo dqn, "
            f"got {args.preset!r}"
        )
    config = dqn_preset(args.preset, **_given(args, DQNConfig, Config))

    def run(bar: Any) -> DQNHistory:
        def progress(history: DQNHistory) -> None:
            bar.update(history.env_steps - bar.n)

        # Ctrl-C ends the command (exit 130) and keeps nothing: DQN's loop does not
        # catch it
        return train_dqn(config, progress)

    saved = {"algo": "dqn", **config.to_dict()}
    return _Run(config, saved, config.max_env_steps, "step", run)


def _cmd_train(args: argparse.Namespace) -> int:
    config, saved, total, unit, run = (
        _dqn_run(args) if args.algo == "dqn" else _reinforce_run(args)
    )
    _check_env(config.env_id, config.max_steps)
    out = _out_path(args.out)
    _check_out_dir(out, args.overwrite)
    if isinstance(config, Config) and config.max_episodes < config.batch_size:
        print(
            f"reinforce: warning: max_episodes {config.max_episodes} < batch_size "
            f"{config.batch_size}: no update is made, the saved policy is the untrained one",
            file=sys.stderr,
        )

    from tqdm.auto import tqdm

    with Signals() as signals:
        tmp = _make_temp_dir(out)  # an unwritable --out fails here, before any training
        try:
            _write_json(tmp / "config.json", saved)
            with tqdm(
                total=total,
                unit=unit,
                disable=args.quiet or None,
                dynamic_ncols=True,
            ) as bar:
                history = run(bar)
            signals.hold()  # from here on, signals wait until the run is in place
            return _finish_train(config, history, tmp, out, args.overwrite, signals)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _finish_train(
    config: Config | DQNConfig,
    history: History | DQNHistory,
    tmp: Path,
    out: Path,
    overwrite: bool,
    signals: Signals,
) -> int:
    diverged = bool(getattr(history, "diverged", False))
    network = history.q_network if isinstance(history, DQNHistory) else history.policy
    assert network is not None
    if not diverged:  # a loop that does not yet stop on divergence
        try:
            check_finite_params(network.params, "policy")
        except ValueError:
            print(
                f"reinforce: error: training diverged (non-finite weights after "
                f"{history.updates} updates); nothing saved",
                file=sys.stderr,
            )
            return EXIT_FAILURE
    summary = {**history.summary(), "diverged": diverged}
    if isinstance(history, DQNHistory):
        summary["algo"] = "dqn"
    _write_results(tmp, history, summary)
    _swap_into_place(tmp, out, overwrite)
    s = summary
    solved = (
        "not solved"
        if s["solved_at_episode"] is None
        else f"solved at episode {s['solved_at_episode']}"
    )
    print(
        f"{config.env_id} seed {config.seed}: {solved}; {s['episodes']} episodes, "
        f"{s['env_steps']} steps, {s['wall_seconds']:.1f} s -> {out}"
    )
    if diverged:
        print(
            f"reinforce: diverged: an update made a weight non-finite; kept the last finite "
            f"policy (after {history.updates} updates) in {out}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if history.interrupted or signals.count:
        print(
            f"interrupted: kept {history.episodes} episodes in {out}", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    return 0


# ---------------------------------------------------------------- evaluate


def read_run_config(run_dir: Path) -> Config | DQNConfig:
    """The Config (or, for a DQN run, the DQNConfig) in ``run_dir/config.json``;
    ValueError naming the file if it is not a complete configuration written by
    ``train``."""
    config_file = run_dir / "config.json"
    if not config_file.is_file():
        raise UsageError(
            f"{str(run_dir)!r} has no config.json: not a directory written by train"
        )
    values = read_json(config_file, "the run's configuration written by train")
    algo = values.pop("algo", "reinforce")
    cls = DQNConfig if algo == "dqn" else Config
    if algo not in ALGOS:
        raise ValueError(f"{config_file}: algo must be one of {ALGOS}, got {algo!r}")
    missing = sorted({f.name for f in dataclasses.fields(cls)} - set(values))
    if missing:
        raise ValueError(
            f"{config_file}: not a configuration written by train "
            f"(missing {', '.join(missing)})"
        )
    try:
        return cls.from_dict(values)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{config_file}: {err}") from None


def _load_actor(run_dir: Path, config: Config | DQNConfig, env: Any) -> Any:
    """The run's deterministic action rule: DQN's greedy action, the policy's mode."""
    if isinstance(config, DQNConfig):
        q = load_q_network(
            run_dir / "q_network.npz",
            int(np.prod(env.observation_space.shape)),
            int(env.action_space.n),
            (config.hidden,) * config.hidden_layers,
        )
        return q.greedy
    policy, info = load_policy(run_dir / "policy.npz", env)
    if info.get("config") not in (None, config.to_dict()):
        raise ValueError(
            f"{run_dir / 'policy.json'}: its config differs from "
            "config.json: the files come from different runs"
        )
    return policy.mode  # type: ignore[attr-defined]  # every concrete policy has one


def _cmd_evaluate(args: argparse.Namespace) -> int:
    if args.episodes < 1:
        raise UsageError(f"--episodes must be >= 1, got {args.episodes}")
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if not args.dir.is_dir():
        raise UsageError(f"{str(args.dir)!r} is not a directory written by train")
    config = read_run_config(args.dir)
    _check_env(config.env_id, config.max_steps)
    env = make_env(config.env_id, max_steps=config.max_steps)
    try:
        act = _load_actor(args.dir, config, env)
    finally:
        env.close()
    seed = config.seed if args.seed is None else args.seed
    returns, lengths = evaluate_actor(
        act, config.env_id, args.episodes, seed, max_steps=config.max_steps
    )
    dqn = isinstance(config, DQNConfig)
    _write_json(
        args.dir / "evaluation.json",
        {
            "algo": "dqn" if dqn else "reinforce",
            "actions": "greedy" if dqn else "mode",
            "episodes": args.episodes,
            "seed": seed,
            "mean_return": float(returns.mean()),
            "std_return": float(returns.std()),
            "mean_length": float(lengths.mean()),
            "returns": returns.tolist(),
            "lengths": lengths.tolist(),
        },
    )
    print(
        f"{config.env_id}, {args.episodes} episodes "
        f"({'greedy' if dqn else 'mode'} actions): "
        f"length {lengths.mean():.1f} ± {lengths.std():.1f}, "
        f"return {returns.mean():.2f} ± {returns.std():.2f}"
    )
    return 0


# ---------------------------------------------------------------- sweep


def _parse_bool(text: str) -> bool:
    words = {
        "true": True,
        "yes": True,
        "1": True,
        "false": False,
        "no": False,
        "0": False,
    }
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
            raise UsageError(
                f"--grid: unknown hyperparameter {name!r} (choose from {choices})"
            )
        if name in grid:
            raise UsageError(
                f"--grid: {name} given twice; list all its values in one --grid"
            )
        texts = [v.strip() for v in values.split(",")]
        if not values.strip() or any(not v for v in texts):
            raise UsageError(
                f"--grid {spec!r}: expected NAME=V1,V2,... with no empty value"
            )
        parse = _parse_bool if fields[name] == "bool" else _PARSERS[fields[name]]
        parsed = []
        for text in texts:
            try:
                parsed.append(parse(text))
            except ValueError:
                kind = fields[name].replace(" | None", " or none")
                raise UsageError(
                    f"--grid {name}: cannot parse {text!r} as {kind}"
                ) from None
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
        plot_sweep(
            result,
            result.params[0],
            "episodes" if stop else "final_rolling_mean",
            rng=np.random.default_rng(0),
            ax=axes[2],
        )
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110), binary=True)


def check_jobs(jobs: int | None, dask: bool) -> None:
    """``--jobs``: None, 1…(4 × cores) local processes (joblib's -1…-cores count back from
    the cores), or 1…4096 concurrent runs on a Dask cluster."""
    if jobs is None:
        return
    cores = os.cpu_count() or 1
    if dask:
        if not 1 <= jobs <= MAX_DASK_JOBS:
            raise UsageError(
                f"--jobs must be between 1 and {MAX_DASK_JOBS} with "
                f"--dask-scheduler, got {jobs}"
            )
        return
    cap = JOBS_PER_CORE * cores
    if not (1 <= jobs <= cap or -cores <= jobs <= -1):
        raise UsageError(
            f"--jobs must be between 1 and {cap} ({JOBS_PER_CORE} per core on "
            f"this machine's {cores}), or -1 to -{cores} (all cores but n-1), "
            f"got {jobs}"
        )


def _dask_client(address: str) -> Any:
    from .sweep import connect_dask

    try:
        return connect_dask(address, DASK_HANDSHAKE_SECONDS)
    except ImportError as err:
        raise UsageError(
            f"--dask-scheduler needs the 'distributed' package ({err})"
        ) from None
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(f"--dask-scheduler {address!r}: {err}") from None


def _show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    _fail(f"reinforce: warning: {message}")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import LOCK_NAME, SweepWarning, expand_grid, plan, sweep

    grid = parse_grid(args.grid)
    if args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    check_jobs(args.jobs, args.dask_scheduler is not None)
    runs = math.prod(len(v) for v in grid.values()) * args.seeds
    if runs > MAX_SWEEP_RUNS:
        raise UsageError(
            f"--grid and --seeds ask for {runs:,} runs; at most "
            f"{MAX_SWEEP_RUNS:,} in one sweep"
        )
    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Config)
        if f.name != "seed" and hasattr(args, f.name)
    }
    base = preset(args.preset, **given)  # validates the base hyperparameters
    tasks = plan(
        base, expand_grid(grid), list(range(args.seeds))
    )  # validates every Config
    for env_id, max_steps in dict.fromkeys(
        (t.config.env_id, t.config.max_steps) for t in tasks
    ):
        _check_env(env_id, max_steps)  # validates every environment
    short = sorted(
        {
            (t.config.max_episodes, t.config.batch_size)
            for t in tasks
            if t.config.max_episodes < t.config.batch_size
        }
    )
    if short:
        print(
            f"reinforce: warning: max_episodes {short[0][0]} < batch_size {short[0][1]}: "
            "such runs make no update",
            file=sys.stderr,
        )
    out = _out_path(args.out)
    if (
        out.is_dir()
        and any(p.name != LOCK_NAME for p in out.iterdir())
        and not (out / "sweep.json").is_file()
    ):
        raise UsageError(
            f"--out {str(out)!r} is not empty and holds no sweep; "
            "choose a new directory"
        )
    client = None if args.dask_scheduler is None else _dask_client(args.dask_scheduler)
    try:
        with Signals() as signals, warnings.catch_warnings():
            warnings.simplefilter("always", SweepWarning)
            warnings.showwarning = _show_warning  # one line each, no source excerpt
            result = sweep(
                base,
                grid,
                args.seeds,
                out=out,
                n_jobs=args.jobs,
                scheduler=client,
                fresh=args.overwrite,
                exclusive=True,
                progress=not args.quiet,
                catch_interrupt=True,
            )
            signals.hold()
            if result.rows:
                _write_sweep_plot(out / "sweep.png", result)
    finally:
        if client is not None:
            client.close()
    rng = np.random.default_rng(0)  # the bootstrap's, so the report is reproducible
    final = {
        result.label(p): e for p, e in result.aggregate("final_rolling_mean", rng=rng)
    }
    for point in result.points:
        rows = result.select(point, errors=True)
        failed = sum(r["error"] is not None for r in rows)
        text = f"{result.label(point)}: {len(rows)} runs"
        if len(rows) > failed:
            text += (
                f", episodes to solve (median) {result.solve_time(point, rng=rng)}, "
                f"final mean return (IQM) {final[result.label(point)]}"
            )
        if failed:
            text += f", {failed} failed"
        print(text)
    print(f"{len(result.rows)} runs ({result.computed} new) -> {out / 'results.csv'}")
    if result.interrupted or signals.count:
        print(
            f"interrupted: kept {len(result.rows)} finished runs in {out}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 1 if any(r["error"] is not None for r in result.rows) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status. Every failure is one line on stderr."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "train":
            return _cmd_train(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "check":
            return _cmd_check(args)
        return _cmd_evaluate(args)
    except UsageError as err:
        message = str(err)
        _fail(message if message.startswith("reinforce") else f"reinforce: {message}")
        return EXIT_USAGE
    except (ValueError, TypeError, FileNotFoundError, ImportError) as err:
        _fail(f"reinforce: error: {err}")
        return EXIT_USAGE
    except OSError as err:  # unwritable, full disk, name too long, ...
        _fail(f"reinforce: error: {err}")
        return EXIT_FAILURE
    except MemoryError as err:
        _fail(f"reinforce: error: out of memory ({err or 'a size is too large'})")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        _fail("reinforce: interrupted")
        return EXIT_INTERRUPTED


# ---------------------------------------------------------------- check (exercises)


def _add_check_parser(sub: Any) -> None:
    p_check = sub.add_parser(
        "check",
        help="check your answer to an exercise against the reference",
        description="Run the functions that FILE defines against the reference of "
        "exercise LABEL on random inputs, and print the first case that differs. "
        "Without FILE, print the functions the exercise asks for; without LABEL, "
        "list the exercises. Exit status 0: every case agrees; 1: one differs.",
    )
    p_check.add_argument("label", nargs="?", help="the exercise, e.g. ex-rmsprop-1")
    p_check.add_argument("file", nargs="?", help="a Python file defining the functions")
    p_check.add_argument(
        "--seed", type=int, default=None, metavar="N", help="draw other random cases"
    )


def _cmd_check(args: argparse.Namespace) -> int:
    from . import exercises

    if args.label is None:
        print("\n".join(exercises.labels()))
        return 0
    exercises.exercise(args.label)  # an unknown label: one line, status 2
    if args.file is None:
        print(exercises.describe(args.label))
        return 0
    functions = exercises.load_functions(args.label, args.file)
    seed = exercises.SEED if args.seed is None else args.seed
    if seed < 0:
        raise UsageError(f"check: --seed must be a non-negative integer, got {seed}")
    return 0 if exercises.check(args.label, *functions, seed=seed) else EXIT_FAILURE


def _fail(message: str) -> None:
    """Print ``message`` as exactly one line: line breaks become spaces, and other control
    characters (from a bad argument, say) are shown escaped."""
    text = message.replace("\r\n", " ").replace("\n", " ")
    print(
        "".join(
            c
            if c == " " or unicodedata.category(c)[0] not in "CZ"
            else c.encode("unicode_escape").decode("ascii")
            for c in text
        ),
        file=sys.stderr,
    )
