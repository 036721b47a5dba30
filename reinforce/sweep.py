"""Sweeps: a grid of configurations × seeds, run in parallel, kept as one tidy table.

::

    grid {gamma: [0.95, 0.99]} × seeds [0, 1, 2]
        → 6 Configs → populations of runs that share structure (plan_populations)
        → joblib (local processes, or a Dask cluster) → 6 rows + 6 learning curves

Every run is a pure function of its :class:`~reinforce.train.Config` (the seed is a
field). By default the runs are trained as populations
(:func:`reinforce.train_population`: the runs differing only in seed and per-member
hyperparameters are one NumPy computation, at least one population per worker), and a
member's history depends only on its own config, so each row is the run trained alone
(:func:`train_alone`), bit for bit, whatever the number of jobs, the grouping or the
backend; only ``wall_seconds`` differs. ``train_fn=train`` trains one run at a time
instead (:func:`reinforce.train`'s histories, which use the random streams differently).
With ``out=DIR`` each run is written as soon as it finishes (a population's runs when
the population finishes)::

    DIR/sweep.json          the base config, the grid and the seeds
    DIR/results.csv         one row per finished run (rewritten as each run finishes)
    DIR/runs/<run_id>.npz   its learning curve (returns, lengths), its row, its config
                            and its trainer ("population", or the train_fn's name)

so Ctrl-C loses only the runs (populations) still going, and calling :func:`sweep`
again with the same ``out`` resumes: a run whose file is there, trained the same way,
is loaded, not recomputed (a file without a trainer, written before populations, was
trained by :func:`reinforce.train`). The ``run_id`` is a hash of the run's full Config;
after changing the library's code, start afresh (``fresh=True``). A run that raises is
recorded with its error (and retried on the next resume); the sweep goes on.

Every file is written to a temporary name and renamed into place, so a kill at any
instant leaves each file whole (old or new). A lock on ``DIR/.sweep.lock`` keeps a
second sweep out of a directory in use. A directory may serve several different
sweeps as a shared cache of runs (``sweep.json`` and ``results.csv`` then describe the
latest); with ``exclusive=True`` (the command line's rule) a resume may only add seeds
and grid values, and a directory holding a different sweep (another base config or
grid) is refused unless ``fresh``. A run file that cannot be read is recomputed, with
a :class:`SweepWarning`.

The sweep is three stages: :func:`plan` (every Config, validated), :func:`run_configs`
(train a list of Configs, yielding each outcome as it finishes; nothing about files)
and the store (:class:`_Store`: the lock, the files, resuming).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import fcntl
import hashlib
import io
import itertools
import json
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import lite
from .checkpoint import NPZ_ERRORS, atomic_write, read_json
from .checks import is_integer
from .config import Config
from .history import History
from .population import plan_populations, train_population
from .stats import Estimate, SolveTime, bootstrap_ci, median_episodes_to_solve

__all__ = [
    "METRICS",
    "SweepResult",
    "SweepWarning",
    "expand_grid",
    "load_sweep",
    "plan",
    "run_configs",
    "run_id",
    "sweep",
    "train_alone",
]

METRICS = (
    "solved_at",
    "episodes",
    "env_steps",
    "wall_seconds",
    "final_rolling_mean",
    "error",
)
"""The columns every row has after the grid parameters and ``seed`` (then ``run_id``)."""

Row = dict[str, Any]
Point = Mapping[str, Any]
LOCK_NAME = ".sweep.lock"
POPULATION = "population"
"""The trainer a run file names when the run was trained in a population."""
LEGACY_TRAINER = "reinforce.train.train"
"""The trainer of a run file that names none (written before populations)."""
JOBS_PER_CORE = 4
"""At most this many local worker processes per core."""
MAX_POPULATION = 32
"""The most runs a sweep trains as one population (more are split)."""


class SweepWarning(UserWarning):
    """Something in a sweep directory was unusable and is being recomputed."""


# ---------------------------------------------------------------- the plan


def expand_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last name varying fastest.

    ``{"gamma": [0.95, 0.99], "lr": [1e-3]}`` → ``[{"gamma": 0.95, "lr": 1e-3},
    {"gamma": 0.99, "lr": 1e-3}]``. Names must be Config fields other than ``seed``;
    each must have at least one value and no repeats.
    """
    grid = {} if grid is None else grid
    if not isinstance(grid, Mapping):
        raise TypeError(
            f"grid must be a mapping from Config field to values, got {grid!r}"
        )
    names = {f.name for f in dataclasses.fields(Config)}
    for name, values in grid.items():
        if name == "seed":
            raise ValueError("grid must not contain 'seed': give the seeds separately")
        if name not in names:
            raise ValueError(
                f"grid name {name!r} is not a Config field "
                f"(choose from {sorted(names - {'seed'})})"
            )
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if (
            isinstance(values, (str, bytes))
            or not isinstance(values, Sequence)
            or not values
        ):
            raise ValueError(
                f"grid[{name!r}] must be a non-empty list of values, got {values!r}"
            )
        if len({_dumps(v) for v in values}) != len(values):
            raise ValueError(f"grid[{name!r}] has repeated values: {list(values)!r}")
    keys = list(grid)
    columns = [[_plain(v) for v in grid[k]] for k in keys]
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*columns)
    ]


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python scalar it holds (so it can be written as JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def _dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, default=_plain, **kwargs)


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, np.ndarray):
        seeds = seeds.tolist()
    if is_integer(seeds):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds!r}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(
            f"seeds must be a count >= 1 or a non-empty list of seeds, got {seeds!r}"
        )
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat, got {list(seeds)!r}")
    return [int(s) for s in seeds]


def run_id(config: Config) -> str:
    """A short stable name for a run: a hash of its full configuration."""
    text = _dumps(config.to_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Task:
    """One run of a sweep: its grid point, its full Config and its run_id."""

    point: dict[str, Any]
    config: Config
    run_id: str


def plan(base: Config, points: list[dict[str, Any]], seeds: list[int]) -> list[Task]:
    """Every run of the sweep (points × seeds, in grid order), each Config validated
    before anything runs."""
    tasks = []
    for point in points:
        for seed in seeds:
            try:
                config = base.replace(**point, seed=seed)
            except (ValueError, TypeError) as err:
                where = (
                    ", ".join(f"{k}={v!r}" for k, v in point.items()) or "base config"
                )
                raise type(err)(f"grid point {where}, seed {seed}: {err}") from err
            tasks.append(Task(point, config, run_id(config)))
    return tasks


# ---------------------------------------------------------------- one run


Outcome = tuple[Row, np.ndarray, np.ndarray]


def _outcome(history: History) -> Outcome:
    """A finished run's row (without the grid columns) and its learning curve."""
    final = history.rolling_mean()
    row = {
        "solved_at": history.solved_at,
        "episodes": history.episodes,
        "env_steps": history.env_steps,
        "wall_seconds": history.wall_seconds,
        "final_rolling_mean": float(final[-1]) if final.size else None,
        "error": None,
    }
    return (
        row,
        np.asarray(history.returns, dtype=np.float64),
        np.asarray(history.lengths, dtype=np.int64),
    )


def _failed(err: Exception) -> Outcome:
    """The row of a run that raised ``err``: its error, no numbers, no curve."""
    message = f"{type(err).__name__}: {err}".replace("\n", " ")
    empty = np.zeros(0)
    return (
        {m: None for m in METRICS} | {"error": message},
        empty,
        empty.astype(np.int64),
    )


def _run(config: Config, train_fn: Callable[[Config], History]) -> Outcome:
    """Train one configuration; never raises an Exception (it is recorded instead)."""
    try:
        history = train_fn(config)
    except Exception as err:  # a failed run is a result too: record it, go on
        return _failed(err)
    return _outcome(history)


def train_alone(config: Config) -> History:
    """``config`` trained as a population of one: the history a sweep records for it
    (the same bits as in a population of any size, see :mod:`reinforce.population`)."""
    return train_population([config])[0]


def _run_population(
    indices: list[int], configs: list[Config]
) -> list[tuple[int, Outcome]]:
    """Train ``configs`` as one population; ``(index, outcome)`` for each. If the
    population raises, every run is trained alone, so that each failing run is recorded
    with its own error and the others with their (identical) results."""
    try:
        histories = train_population(configs)
    except Exception as err:
        if len(configs) == 1:
            return [(indices[0], _failed(err))]
        return [
            (i, _run(c, train_alone)) for i, c in zip(indices, configs, strict=True)
        ]
    return [(i, _outcome(h)) for i, h in zip(indices, histories, strict=True)]


# ---------------------------------------------------------------- the result


@dataclass
class SweepResult:
    """What a sweep produced: one row per finished (grid point, seed), in grid order."""

    params: tuple[str, ...]
    """The grid's parameter names (the first columns of the table)."""
    points: list[dict[str, Any]]
    """Every grid point, in grid order."""
    seeds: list[int]
    """The seeds each point was run with."""
    rows: list[Row] = field(default_factory=list)
    """The table: params…, ``seed``, :data:`METRICS`…, ``run_id``."""
    returns: dict[str, np.ndarray] = field(default_factory=dict)
    """run_id → the return of every episode, (E,)."""
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    """run_id → the length of every episode, (E,)."""
    configs: dict[str, Config] = field(default_factory=dict)
    """run_id → the full configuration of the run."""
    computed: int = 0
    """Runs trained by this call (the others were loaded from ``out``)."""
    interrupted: bool = False
    """True if Ctrl-C ended the sweep before every run finished."""
    out: Path | None = None
    """The directory the sweep was written to, if any."""

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        return [*self.params, "seed", *METRICS, "run_id"]

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame (pandas is needed for this method only)."""
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=self.columns)
        return frame.astype(
            {"solved_at": "Int64", "episodes": "Int64", "env_steps": "Int64"}
        )

    def select(self, point: Point | None = None, *, errors: bool = False) -> list[Row]:
        """The rows at grid point ``point`` (all rows if None), without failed runs
        unless ``errors``."""
        point = {} if point is None else dict(point)
        unknown = sorted(set(point) - set(self.params))
        if unknown:
            raise ValueError(f"point has names that are not grid parameters: {unknown}")
        return [
            r
            for r in self.rows
            if all(r[k] == v for k, v in point.items())
            and (errors or r["error"] is None)
        ]

    def metric(self, name: str, point: Point | None = None) -> np.ndarray:
        """Column ``name`` of the successful runs at ``point``, float64 (n,); NaN for None."""
        if name not in METRICS or name == "error":
            raise ValueError(
                f"name must be one of {[m for m in METRICS if m != 'error']}, "
                f"got {name!r}"
            )
        return np.array(
            [np.nan if r[name] is None else r[name] for r in self.select(point)],
            dtype=np.float64,
        )

    def curves(self, point: Point | None = None) -> list[np.ndarray]:
        """The per-episode returns of each successful run at ``point``: a list of (E_i,)."""
        return [self.returns[r["run_id"]] for r in self.select(point)]

    def solve_time(
        self,
        point: Point | None = None,
        *,
        rng: np.random.Generator | None = None,
        n_boot: int = 2000,
    ) -> SolveTime:
        """Median episodes-to-solve at ``point``, unsolved runs censored (see stats)."""
        rows = self.select(point)
        if not rows:
            raise ValueError(f"no successful runs at point {dict(point or {})!r}")
        return median_episodes_to_solve(
            [r["solved_at"] for r in rows],
            [r["episodes"] for r in rows],
            rng=rng,
            n_boot=n_boot,
        )

    def aggregate(
        self,
        metric: str = "final_rolling_mean",
        statistic: str = "iqm",
        *,
        rng: np.random.Generator,
        n_boot: int = 2000,
        confidence: float = 0.95,
    ) -> list[tuple[dict[str, Any], Estimate]]:
        """``statistic`` of ``metric`` over seeds, with a bootstrap CI, at every grid
        point that has a successful run."""
        out = []
        for point in self.points:
            values = self.metric(metric, point)
            if values.size and np.all(np.isfinite(values)):
                out.append(
                    (
                        point,
                        bootstrap_ci(
                            values,
                            statistic,
                            rng=rng,
                            n_boot=n_boot,
                            confidence=confidence,
                        ),
                    )
                )
        return out

    @staticmethod
    def label(point: Point) -> str:
        """``"gamma=0.99, lr=0.001"`` (``"base"`` for the empty point)."""
        return ", ".join(f"{k}={v}" for k, v in point.items()) or "base"


# ---------------------------------------------------------------- files


def _csv_line(columns: list[str], row: Row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["" if row[c] is None else row[c] for c in columns]
    )
    return buf.getvalue()


def _write_csv(path: Path, columns: list[str], rows: list[Row]) -> None:
    text = _csv_line(columns, dict(zip(columns, columns, strict=True))) + "".join(
        _csv_line(columns, r) for r in rows
    )
    atomic_write(path, lambda f: f.write(text))


def _save_run(
    path: Path,
    config: Config,
    row: Row,
    returns: np.ndarray,
    lengths: np.ndarray,
    trainer: str,
) -> None:
    def write(f: Any) -> None:
        np.savez(
            f,
            returns=returns,
            lengths=lengths,
            row=np.array(_dumps(row)),
            config=np.array(_dumps(config.to_dict())),
            trainer=np.array(trainer),
        )

    atomic_write(path, write, binary=True)


def _trainer(train_fn: Callable[[Config], History] | None) -> str:
    """The name a run file records for what trained it (``"population"`` by default)."""
    if train_fn is None:
        return POPULATION
    module = getattr(train_fn, "__module__", None) or ""
    name = getattr(train_fn, "__qualname__", None) or type(train_fn).__qualname__
    return f"{module}.{name}" if module else name


def _read_run(path: Path, config: Config | None) -> tuple[Outcome, str]:
    """A saved run and the name of its trainer; ValueError naming the problem if the
    file is not one (of ``config``)."""
    try:
        with open(path, "rb") as f:  # ours to close, whatever np.load makes of it
            data = np.load(f, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            with data:
                row = json.loads(str(data["row"]))
                saved_config = json.loads(str(data["config"]))
                returns, lengths = data["returns"], data["lengths"]
                trainer = str(data["trainer"]) if "trainer" in data else LEGACY_TRAINER
    except (*NPZ_ERRORS, RecursionError) as err:
        raise ValueError(
            f"not a readable run file ({err})".replace("\n", " ")
        ) from None
    if not isinstance(row, dict) or not set(METRICS) <= set(row):
        raise ValueError("its row lacks the sweep's columns")
    if config is not None and saved_config != json.loads(_dumps(config.to_dict())):
        raise ValueError("it holds a different configuration")
    if (
        returns.ndim != 1
        or lengths.ndim != 1
        or returns.shape != lengths.shape
        or returns.dtype.kind not in "fiu"
        or lengths.dtype.kind not in "iu"
    ):
        raise ValueError("its learning curve is not two matching 1-d numeric arrays")
    if row["error"] is None and row["episodes"] != returns.size:
        raise ValueError(
            f"its row says {row['episodes']!r} episodes but it holds {returns.size}"
        )
    return (row, returns.astype(np.float64), lengths.astype(np.int64)), trainer


def _load_run(
    path: Path, config: Config | None = None, trainer: str | None = None
) -> Outcome | None:
    """A saved run, or None if the file is missing or (given ``trainer``) was trained
    another way; an unusable file is None too, with a one-line :class:`SweepWarning`
    naming it."""
    if not path.exists():
        return None
    try:
        outcome, saved_by = _read_run(path, config)
    except ValueError as err:
        warnings.warn(
            f"{path}: {err}; the run is recomputed", SweepWarning, stacklevel=3
        )
        return None
    return None if trainer is not None and saved_by != trainer else outcome


def _spec(
    base: Config,
    grid: Mapping[str, Sequence[Any]] | None,
    params: tuple[str, ...],
    seeds: list[int],
) -> dict[str, Any]:
    """What sweep.json records: the base config, the grid and the seeds, as plain JSON."""
    spec = {
        "base": base.to_dict(),
        "grid": {k: list((grid or {})[k]) for k in params},
        "seeds": seeds,
    }
    return json.loads(_dumps(spec))


def _read_spec(path: Path) -> dict[str, Any]:
    """sweep.json, checked: ValueError naming the file and the problem."""
    spec = read_json(path, "a sweep description written by sweep")
    for key, kind in (("base", dict), ("grid", dict), ("seeds", list)):
        if not isinstance(spec.get(key), kind):
            raise ValueError(f"{path}: {key!r} missing or not a JSON {kind.__name__}")
    try:
        points = expand_grid(spec["grid"])
        if not all(is_integer(s) for s in spec["seeds"]):
            raise ValueError(f"seeds must be integers, got {spec['seeds']!r}")
        seeds = _seeds(spec["seeds"])
        plan(Config.from_dict(spec["base"]), points[:1], seeds[:1])
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
    return spec


def _extends(new: dict[str, Any], old: dict[str, Any]) -> str | None:
    """None if the sweep ``new`` contains ``old`` (the same base and grid names, every old
    value and seed among the new ones); otherwise what differs."""
    if new["base"] != old["base"]:
        changed = sorted(
            k
            for k in set(new["base"]) | set(old["base"])
            if new["base"].get(k) != old["base"].get(k)
        )
        return (
            "another base config ("
            + ", ".join(
                f"{k}: {old['base'].get(k)!r} -> {new['base'].get(k)!r}"
                for k in changed
            )
            + ")"
        )
    if list(new["grid"]) != list(old["grid"]):
        return (
            f"another grid ({', '.join(old['grid']) or 'none'} -> "
            f"{', '.join(new['grid']) or 'none'})"
        )
    for name, values in old["grid"].items():
        dropped = [v for v in values if v not in new["grid"][name]]
        if dropped:
            return f"other {name} values (without {dropped})"
    dropped = [s for s in old["seeds"] if s not in new["seeds"]]
    if dropped:
        return f"other seeds (without {dropped})"
    return None


class _Store:
    """The persist stage: a sweep's directory, locked while this sweep writes to it."""

    def __init__(
        self,
        out: Path,
        spec: dict[str, Any],
        columns: list[str],
        fresh: bool,
        exclusive: bool,
        trainer: str = POPULATION,
    ) -> None:
        self.out, self.columns, self.trainer = out, columns, trainer
        (out / "runs").mkdir(parents=True, exist_ok=True)
        self._lock = open(out / LOCK_NAME, "a+b")  # held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ValueError(
                f"{out} is in use by another sweep (it holds the lock "
                f"{LOCK_NAME}); wait for it to finish or choose another "
                "directory"
            ) from None
        try:
            spec_file = out / "sweep.json"
            if fresh:
                self._clear()
            elif spec_file.exists() and exclusive:
                try:
                    old = _read_spec(spec_file)
                except ValueError as err:
                    raise ValueError(
                        f"{err}; pass fresh=True (--overwrite) to discard "
                        "the sweep in it"
                    ) from None
                differs = _extends(
                    spec,
                    _spec(
                        Config.from_dict(old["base"]),
                        old["grid"],
                        tuple(old["grid"]),
                        _seeds(old["seeds"]),
                    ),
                )
                if differs is not None:
                    raise ValueError(
                        f"{out} holds a different sweep ({differs}); pass "
                        "fresh=True (--overwrite) to replace it, or choose "
                        "another directory"
                    )
            atomic_write(spec_file, lambda f: f.write(json.dumps(spec, indent=2)))
        except BaseException:
            self.close()
            raise

    def _clear(self) -> None:
        """Delete the files a sweep writes (and nothing else)."""
        for f in (self.out / "runs").glob("*.npz"):
            f.unlink()
        for name in ("results.csv", "sweep.json", "sweep.png"):
            with contextlib.suppress(FileNotFoundError):
                (self.out / name).unlink()

    def load(self, task: Task) -> Outcome | None:
        """The finished run of ``task`` saved here, if there is a usable one trained
        the way this sweep trains (a population, or the same ``train_fn``)."""
        saved = _load_run(
            self.out / "runs" / f"{task.run_id}.npz", task.config, self.trainer
        )
        return None if saved is None or saved[0].get("error") is not None else saved

    def save(
        self, task: Task, row: Row, returns: np.ndarray, lengths: np.ndarray
    ) -> None:
        _save_run(
            self.out / "runs" / f"{task.run_id}.npz",
            task.config,
            row,
            returns,
            lengths,
            self.trainer,
        )

    def write_table(self, rows: list[Row]) -> None:
        _write_csv(self.out / "results.csv", self.columns, rows)

    def close(self) -> None:
        if not self._lock.closed:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()


# ---------------------------------------------------------------- the run stage


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(
        1
    )  # the parent is gone (killed, even by SIGKILL): stop computing for nobody


def _worker_init() -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the workers itself
    (a terminal sends SIGINT to every process in its group; each would print a
    traceback), and exit when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def connect_dask(address: str, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, after a handshake that
    must finish within ``timeout`` seconds: a server that accepts the connection but never
    answers would otherwise keep the Client waiting for minutes. TimeoutError (an OSError)
    if nothing answers in time."""
    import asyncio

    from distributed import Client
    from distributed.comm import connect

    async def handshake() -> None:
        comm = await connect(address, timeout=f"{timeout}s")
        await comm.close()

    failed: list[BaseException] = []

    def probe() -> (
        None
    ):  # in a thread of its own: the caller may be inside an event loop
        try:
            asyncio.run(asyncio.wait_for(handshake(), timeout))
        except BaseException as err:  # handed to the caller below
            failed.append(err)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 5.0)
    if thread.is_alive() or (
        failed and isinstance(failed[0], (asyncio.TimeoutError, TimeoutError))
    ):
        raise TimeoutError(f"no Dask scheduler answered within {timeout:g} s")
    if failed and isinstance(failed[0], OSError):
        raise OSError(str(failed[0]).replace("\n", " "))
    if failed:
        raise failed[0]
    return Client(address, timeout=f"{timeout}s")


@contextlib.contextmanager
def _backend(backend: str | None, scheduler: Any) -> Iterator[None]:
    """joblib's backend: local processes (loky) by default, Dask given a scheduler."""
    import joblib

    if scheduler is None:
        # in a web browser (Pyodide) there are no processes or threads: one at a time
        backend = backend or ("sequential" if lite.BROWSER else "loky")
        options = {"initializer": _worker_init} if backend == "loky" else {}
        with joblib.parallel_config(backend=backend, **options):
            yield
        return
    if backend not in (None, "dask"):
        raise ValueError(
            f"backend must be None or 'dask' with a scheduler, got {backend!r}"
        )
    own = isinstance(scheduler, str)
    client = connect_dask(scheduler) if own else scheduler
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield
    finally:
        if own:
            client.close()


def _check_jobs(n_jobs: int | None, local: bool) -> None:
    if n_jobs is None:
        return
    if not is_integer(n_jobs) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer or None, got {n_jobs!r}")
    cores = os.cpu_count() or 1
    if local and not -cores <= n_jobs <= JOBS_PER_CORE * cores:
        raise ValueError(
            f"n_jobs must be between -{cores} and {JOBS_PER_CORE * cores} "
            f"({JOBS_PER_CORE} processes per core at most), got {n_jobs}"
        )


def run_configs(
    configs: Sequence[Config],
    *,
    n_jobs: int | None = None,
    backend: str | None = None,
    scheduler: Any = None,
    train_fn: Callable[[Config], History] | None = None,
    max_population: int = MAX_POPULATION,
) -> Generator[tuple[int, Outcome], None, None]:
    """Train every Config, in parallel; yield ``(index in configs, (row, returns, lengths))``
    as each run finishes (in any order). A run that raises yields a row with its error.

    By default (``train_fn`` None) the runs that share structure are trained together
    by :func:`reinforce.train_population`, grouped by
    :func:`reinforce.population.plan_populations` into populations of at most
    ``max_population`` runs and at least one per worker; a population's runs arrive
    together when it finishes. Each run's result is the one it gives alone
    (:func:`train_alone`), whatever the grouping, the number of workers or the backend.
    With ``train_fn`` (e.g. :func:`reinforce.train`) each run is ``train_fn(config)``,
    one at a time per worker.

    Closing the generator early (or Ctrl-C) cancels the runs not yet finished.
    """
    import joblib
    from joblib import Parallel, delayed

    if not configs:
        return
    with _backend(backend, scheduler):
        n = -1 if n_jobs is None else n_jobs
        if train_fn is None:
            workers = max(1, joblib.effective_n_jobs(n))
            chunks = plan_populations(configs, workers=workers, max_size=max_population)
            tasks = [
                delayed(_run_population)(chunk, [configs[i] for i in chunk])
                for chunk in chunks
            ]
        else:
            tasks = [
                delayed(_indexed_run)(i, c, train_fn) for i, c in enumerate(configs)
            ]
        outputs = Parallel(n_jobs=n, return_as="generator_unordered")(tasks)
        try:
            for output in outputs:
                yield from output
        finally:
            with warnings.catch_warnings():
                # joblib warns that closing early cancels tasks: that is the point
                warnings.filterwarnings(
                    "ignore", r".*tasks .*(cancelled|not used)", UserWarning
                )
                outputs.close()  # on an exception: cancel the runs still queued


def _indexed_run(
    i: int, config: Config, train_fn: Callable[[Config], History]
) -> list[tuple[int, Outcome]]:
    return [(i, _run(config, train_fn))]


# ---------------------------------------------------------------- the sweep


def sweep(
    base: Config | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: int | Sequence[int] = 5,
    *,
    out: str | Path | None = None,
    n_jobs: int | None = None,
    backend: str | None = None,
    scheduler: Any = None,
    fresh: bool = False,
    exclusive: bool = False,
    progress: bool = True,
    catch_interrupt: bool = False,
    train_fn: Callable[[Config], History] | None = None,
    callback: Callable[[Row], None] | None = None,
    trained: Mapping[str, Outcome] | None = None,
) -> SweepResult:
    """Train ``base`` changed at every point of ``grid``, once per seed, in parallel.

    ``seeds`` is a count n (seeds 0 … n−1) or a list; each becomes ``Config.seed``.
    Every Config is built and validated before any run starts. Runs go to joblib:
    ``n_jobs`` workers (None: one per core; at most 4 per core) of ``backend``
    (default ``"loky"``, processes), or, given ``scheduler`` (a Dask scheduler address
    such as ``"tcp://10.0.0.1:8786"``, or a ``distributed.Client``), the workers of that
    cluster, which must have this package installed.

    The runs are trained as populations (:func:`reinforce.train_population`): the runs
    that share structure (they differ only in seed and per-member hyperparameters such
    as ``lr`` or ``gamma``) are grouped, at least one population per worker, and each
    population is one NumPy computation. A run's row is :func:`train_alone`'s for its
    config, bit for bit, whatever the grouping, ``n_jobs`` or backend; only
    ``wall_seconds`` differs. With ``train_fn`` (e.g. ``train_fn=train``) each run is
    ``train_fn(config)`` instead, one at a time: for the wall-clock seconds of single
    runs, or :func:`reinforce.train`'s own histories.

    With ``out``, results are written as they finish (a population's runs when the
    population finishes) and a second call resumes (see the module docstring)
    unless ``fresh``; with ``exclusive``, ``out`` must hold this sweep or a smaller one
    (fewer seeds or grid values), not another. ``callback(row)`` runs in this process
    after each finished run.
    Ctrl-C propagates after the finished rows are saved; with ``catch_interrupt`` it
    returns them instead, with ``interrupted`` set. ``trained`` holds runs already
    trained elsewhere, by :func:`run_id`, as :func:`run_configs` yields them: those
    runs are taken from it, not trained again (several sweeps that share runs, as
    :func:`reinforce.protocol.one_at_a_time`'s do, train each run once).
    """
    base = Config() if base is None else base
    if not isinstance(base, Config):
        raise TypeError(f"base must be a Config, got {base!r}")
    _check_jobs(n_jobs, local=scheduler is None and backend in (None, "loky"))
    points = expand_grid(grid)
    seed_list = _seeds(seeds)
    tasks = plan(base, points, seed_list)
    result = SweepResult(params=tuple(grid or {}), points=points, seeds=seed_list)
    order = {t.run_id: i for i, t in enumerate(tasks)}
    done: dict[str, Row] = {}

    def add(task: Task, metrics: Row, returns: np.ndarray, lengths: np.ndarray) -> Row:
        row = {
            **task.point,
            "seed": task.config.seed,
            **{m: metrics.get(m) for m in METRICS},
            "run_id": task.run_id,
        }
        done[task.run_id] = row
        result.configs[task.run_id] = task.config
        if row["error"] is None:
            result.returns[task.run_id] = returns
            result.lengths[task.run_id] = lengths
        return row

    def table() -> list[Row]:
        return sorted(done.values(), key=lambda r: order[r["run_id"]])  # grid order

    store = None
    if out is not None:
        result.out = Path(out)
        store = _Store(
            result.out,
            _spec(base, grid, result.params, seed_list),
            result.columns,
            fresh,
            exclusive,
            _trainer(train_fn),
        )
    try:
        todo = []
        for task in tasks:
            known = (trained or {}).get(task.run_id)
            saved = known or (None if store is None else store.load(task))
            if saved is None:
                todo.append(task)
                continue
            row = add(task, *saved)
            if known is not None and store is not None:
                store.save(task, row, *known[1:])
        if store is not None:
            store.write_table(table())

        from tqdm import tqdm

        try:
            with tqdm(
                total=len(todo),
                unit="run",
                desc="sweep",
                disable=not progress or not todo or None,
            ) as bar:
                outputs = run_configs(
                    [t.config for t in todo],
                    n_jobs=n_jobs,
                    backend=backend,
                    scheduler=scheduler,
                    train_fn=train_fn,
                )
                try:
                    for i, (metrics, returns, lengths) in outputs:
                        task = todo[i]
                        row = add(task, metrics, returns, lengths)
                        if (
                            store is not None
                        ):  # the file first, then the table: both whole
                            store.save(task, row, returns, lengths)
                            store.write_table(table())
                        result.computed += 1
                        bar.update(1)
                        if callback is not None:
                            callback(row)
                finally:
                    outputs.close()
        except KeyboardInterrupt:
            result.interrupted = True
            if not catch_interrupt:
                raise
        finally:
            result.rows = table()
    finally:
        if store is not None:
            store.close()
    return result


def load_sweep(out: str | Path) -> SweepResult:
    """Read back a sweep written to ``out`` (the runs that finished), without running any.

    A missing sweep.json is a FileNotFoundError, an unreadable one a ValueError naming
    it; an unreadable run file is skipped with a :class:`SweepWarning`.
    """
    out_dir = Path(out)
    spec_file = out_dir / "sweep.json"
    if not spec_file.is_file():
        raise FileNotFoundError(
            f"{str(out_dir)!r} has no sweep.json: not a sweep directory"
        )
    spec = _read_spec(spec_file)
    points = expand_grid(spec["grid"])
    tasks = plan(Config.from_dict(spec["base"]), points, spec["seeds"])
    result = SweepResult(
        params=tuple(spec["grid"]), points=points, seeds=spec["seeds"], out=out_dir
    )
    for task in tasks:
        saved = _load_run(out_dir / "runs" / f"{task.run_id}.npz", task.config)
        if saved is None:
            continue
        metrics, returns, lengths = saved
        row = {
            **task.point,
            "seed": task.config.seed,
            **{m: metrics.get(m) for m in METRICS},
            "run_id": task.run_id,
        }
        result.rows.append(row)
        result.configs[task.run_id] = task.config
        if row["error"] is None:
            result.returns[task.run_id] = returns
            result.lengths[task.run_id] = lengths
    return result
