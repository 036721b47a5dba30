"""Sweeps: a grid of configurations × seeds, run in parallel, kept as one tidy table.

::

    grid {gamma: [0.95, 0.99]} × seeds [0, 1, 2]
        → 6 Configs → joblib (local processes, or a Dask cluster) → 6 rows
                                                                  + 6 learning curves

Every run is a pure function of its :class:`~reinforce.train.Config` (the seed is a
field), so the table is the same whatever the number of jobs or the backend; only
``wall_seconds`` differs. With ``out=DIR`` each run is written as soon as it finishes::

    DIR/sweep.json          the base config, the grid and the seeds
    DIR/results.csv         one row per finished run (appended as runs finish)
    DIR/runs/<run_id>.npz   its learning curve (returns, lengths) and its row

so Ctrl-C loses only the runs still going, and calling :func:`sweep` again with the
same ``out`` resumes: a run whose file is there is loaded, not recomputed. The
``run_id`` is a hash of the run's full Config; after changing the library's code,
start afresh (``fresh=True``). A run that raises is recorded with its error (and
retried on the next resume); the sweep goes on.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import itertools
import json
import os
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .stats import Estimate, SolveTime, bootstrap_ci, median_episodes_to_solve
from .train import Config, History, train

__all__ = ["METRICS", "SweepResult", "expand_grid", "load_sweep", "run_id", "sweep"]

METRICS = ("solved_at", "episodes", "env_steps", "wall_seconds", "final_rolling_mean", "error")
"""The columns every row has after the grid parameters and ``seed`` (then ``run_id``)."""

Row = dict[str, Any]
Point = Mapping[str, Any]


# ---------------------------------------------------------------- the plan


def expand_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last name varying fastest.

    ``{"gamma": [0.95, 0.99], "lr": [1e-3]}`` → ``[{"gamma": 0.95, "lr": 1e-3},
    {"gamma": 0.99, "lr": 1e-3}]``. Names must be Config fields other than ``seed``;
    each must have at least one value and no repeats.
    """
    grid = {} if grid is None else grid
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a mapping from Config field to values, got {grid!r}")
    names = {f.name for f in dataclasses.fields(Config)}
    for name, values in grid.items():
        if name == "seed":
            raise ValueError("grid must not contain 'seed': give the seeds separately")
        if name not in names:
            raise ValueError(f"grid name {name!r} is not a Config field "
                             f"(choose from {sorted(names - {'seed'})})")
        if isinstance(values, np.ndarray):
            values = values.tolist()
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"grid[{name!r}] must be a non-empty list of values, got {values!r}")
        if len({_dumps(v) for v in values}) != len(values):
            raise ValueError(f"grid[{name!r}] has repeated values: {list(values)!r}")
    keys = list(grid)
    columns = [[_plain(v) for v in grid[k]] for k in keys]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*columns)]


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python scalar it holds (so it can be written as JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def _dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, default=_plain, **kwargs)


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, np.ndarray):
        seeds = seeds.tolist()
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds!r}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must be a count >= 1 or a non-empty list of seeds, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat, got {list(seeds)!r}")
    return [int(s) for s in seeds]


def run_id(config: Config) -> str:
    """A short stable name for a run: a hash of its full configuration."""
    text = _dumps(config.to_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Task:
    point: dict[str, Any]
    config: Config
    run_id: str


def _plan(base: Config, points: list[dict[str, Any]], seeds: list[int]) -> list[_Task]:
    """Validate every Config of the sweep, before anything runs."""
    tasks = []
    for point in points:
        for seed in seeds:
            try:
                config = base.replace(**point, seed=seed)
            except (ValueError, TypeError) as err:
                where = ", ".join(f"{k}={v!r}" for k, v in point.items()) or "base config"
                raise type(err)(f"grid point {where}, seed {seed}: {err}") from err
            tasks.append(_Task(point, config, run_id(config)))
    return tasks


# ---------------------------------------------------------------- one run


Outcome = tuple[Row, np.ndarray, np.ndarray]


def _run(config: Config, train_fn: Callable[[Config], History]) -> Outcome:
    """Train one configuration; never raises an Exception (it is recorded instead)."""
    try:
        history = train_fn(config)
    except Exception as err:  # a failed run is a result too: record it, go on
        message = f"{type(err).__name__}: {err}".replace("\n", " ")
        empty = np.zeros(0)
        return {m: None for m in METRICS} | {"error": message}, empty, empty.astype(np.int64)
    final = history.rolling_mean()
    row = {
        "solved_at": history.solved_at,
        "episodes": history.episodes,
        "env_steps": history.env_steps,
        "wall_seconds": history.wall_seconds,
        "final_rolling_mean": float(final[-1]) if final.size else None,
        "error": None,
    }
    return (row, np.asarray(history.returns, dtype=np.float64),
            np.asarray(history.lengths, dtype=np.int64))


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
        return frame.astype({"solved_at": "Int64", "episodes": "Int64", "env_steps": "Int64"})

    def select(self, point: Point | None = None, *, errors: bool = False) -> list[Row]:
        """The rows at grid point ``point`` (all rows if None), without failed runs
        unless ``errors``."""
        point = {} if point is None else dict(point)
        unknown = sorted(set(point) - set(self.params))
        if unknown:
            raise ValueError(f"point has names that are not grid parameters: {unknown}")
        return [r for r in self.rows
                if all(r[k] == v for k, v in point.items()) and (errors or r["error"] is None)]

    def metric(self, name: str, point: Point | None = None) -> np.ndarray:
        """Column ``name`` of the successful runs at ``point``, float64 (n,); NaN for None."""
        if name not in METRICS or name == "error":
            raise ValueError(f"name must be one of {[m for m in METRICS if m != 'error']}, "
                             f"got {name!r}")
        return np.array([np.nan if r[name] is None else r[name] for r in self.select(point)],
                        dtype=np.float64)

    def curves(self, point: Point | None = None) -> list[np.ndarray]:
        """The per-episode returns of each successful run at ``point``: a list of (E_i,)."""
        return [self.returns[r["run_id"]] for r in self.select(point)]

    def solve_time(self, point: Point | None = None, *, rng: np.random.Generator | None = None,
                   n_boot: int = 2000) -> SolveTime:
        """Median episodes-to-solve at ``point``, unsolved runs censored (see stats)."""
        rows = self.select(point)
        if not rows:
            raise ValueError(f"no successful runs at point {dict(point or {})!r}")
        return median_episodes_to_solve([r["solved_at"] for r in rows],
                                        [r["episodes"] for r in rows], rng=rng, n_boot=n_boot)

    def aggregate(self, metric: str = "final_rolling_mean", statistic: str = "iqm", *,
                  rng: np.random.Generator, n_boot: int = 2000,
                  confidence: float = 0.95) -> list[tuple[dict[str, Any], Estimate]]:
        """``statistic`` of ``metric`` over seeds, with a bootstrap CI, at every grid
        point that has a successful run."""
        out = []
        for point in self.points:
            values = self.metric(metric, point)
            if values.size and np.all(np.isfinite(values)):
                out.append((point, bootstrap_ci(values, statistic, rng=rng, n_boot=n_boot,
                                                confidence=confidence)))
        return out

    @staticmethod
    def label(point: Point) -> str:
        """``"gamma=0.99, lr=0.001"`` (``"base"`` for the empty point)."""
        return ", ".join(f"{k}={v}" for k, v in point.items()) or "base"


# ---------------------------------------------------------------- files


def _atomic_write(path: Path, write: Callable[[Any], None], binary: bool = False) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        f = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _csv_line(columns: list[str], row: Row) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if row[c] is None else row[c]
                                                   for c in columns])
    return buf.getvalue()


def _write_csv(path: Path, columns: list[str], rows: list[Row]) -> None:
    _atomic_write(path, lambda f: f.write(
        _csv_line(columns, dict(zip(columns, columns, strict=True)))
        + "".join(_csv_line(columns, r) for r in rows)))


def _save_run(path: Path, config: Config, row: Row, returns: np.ndarray,
              lengths: np.ndarray) -> None:
    def write(f: Any) -> None:
        np.savez(f, returns=returns, lengths=lengths, row=np.array(_dumps(row)),
                 config=np.array(_dumps(config.to_dict())))

    _atomic_write(path, write, binary=True)


def _load_run(path: Path) -> Outcome | None:
    """A saved run, or None if the file is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as f:
            row = json.loads(str(f["row"]))
            return row, f["returns"].astype(np.float64), f["lengths"].astype(np.int64)
    except (OSError, ValueError, KeyError):
        return None


def _clear(out: Path) -> None:
    """Delete the files a sweep writes in ``out`` (and nothing else)."""
    runs = out / "runs"
    if runs.is_dir():
        for f in runs.glob("*.npz"):
            f.unlink()
    for name in ("results.csv", "sweep.json"):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()


# ---------------------------------------------------------------- the sweep


def _ignore_sigint() -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the workers itself
    (a terminal sends SIGINT to every process in its group; each would print a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _backend(backend: str | None, scheduler: Any) -> Iterator[None]:
    """joblib's backend: local processes (loky) by default, Dask given a scheduler."""
    import joblib

    if scheduler is None:
        backend = backend or "loky"
        options = {"initializer": _ignore_sigint} if backend == "loky" else {}
        with joblib.parallel_config(backend=backend, **options):
            yield
        return
    if backend not in (None, "dask"):
        raise ValueError(f"backend must be None or 'dask' with a scheduler, got {backend!r}")
    from distributed import Client

    own = isinstance(scheduler, str)
    client = Client(scheduler) if own else scheduler
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield
    finally:
        if own:
            client.close()


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
    progress: bool = True,
    catch_interrupt: bool = False,
    train_fn: Callable[[Config], History] = train,
    callback: Callable[[Row], None] | None = None,
) -> SweepResult:
    """Train ``base`` changed at every point of ``grid``, once per seed, in parallel.

    ``seeds`` is a count n (seeds 0 … n−1) or a list; each becomes ``Config.seed``.
    Every Config is built and validated before any run starts. Runs go to joblib:
    ``n_jobs`` workers (None: one per core) of ``backend`` (default ``"loky"``,
    processes), or, given ``scheduler`` (a Dask scheduler address such as
    ``"tcp://10.0.0.1:8786"``, or a ``distributed.Client``), the workers of that
    cluster, which must have this package installed. With ``out``, results are
    written as they finish and a second call resumes (see the module docstring)
    unless ``fresh``. ``callback(row)`` runs in this process after each finished run.
    Ctrl-C propagates after the finished rows are saved; with ``catch_interrupt`` it
    returns them instead, with ``interrupted`` set.
    """
    base = Config() if base is None else base
    if not isinstance(base, Config):
        raise TypeError(f"base must be a Config, got {base!r}")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                               or n_jobs == 0):
        raise ValueError(f"n_jobs must be a non-zero integer or None, got {n_jobs!r}")
    points = expand_grid(grid)
    seed_list = _seeds(seeds)
    tasks = _plan(base, points, seed_list)
    result = SweepResult(params=tuple(grid or {}), points=points, seeds=seed_list)
    columns = result.columns
    order = {t.run_id: i for i, t in enumerate(tasks)}
    done: dict[str, Row] = {}

    def full(task: _Task, metrics: Row) -> Row:
        return {**task.point, "seed": task.config.seed, **metrics, "run_id": task.run_id}

    def add(task: _Task, row: Row, returns: np.ndarray, lengths: np.ndarray) -> None:
        done[task.run_id] = row
        result.configs[task.run_id] = task.config
        if row["error"] is None:
            result.returns[task.run_id] = returns
            result.lengths[task.run_id] = lengths

    csv_path = None
    todo = tasks
    if out is not None:
        out_dir = Path(out)
        result.out = out_dir
        (out_dir / "runs").mkdir(parents=True, exist_ok=True)
        if fresh:
            _clear(out_dir)
        todo = []
        for task in tasks:
            saved = _load_run(out_dir / "runs" / f"{task.run_id}.npz")
            if saved is not None and saved[0].get("error") is None:
                add(task, full(task, {m: saved[0].get(m) for m in METRICS}), saved[1], saved[2])
            else:
                todo.append(task)
        spec = {"base": base.to_dict(), "grid": {k: list((grid or {})[k]) for k in result.params},
                "seeds": seed_list}
        _atomic_write(out_dir / "sweep.json", lambda f: f.write(_dumps(spec, indent=2)))
        csv_path = out_dir / "results.csv"
        _write_csv(csv_path, columns, sorted(done.values(), key=lambda r: order[r["run_id"]]))

    from joblib import Parallel, delayed
    from tqdm import tqdm

    by_id = {t.run_id: t for t in todo}
    csv_file = None if csv_path is None else open(csv_path, "a", encoding="utf-8", newline="")
    try:
        if todo:
            with _backend(backend, scheduler), tqdm(total=len(todo), unit="run", desc="sweep",
                                                    disable=not progress or None) as bar:
                jobs = Parallel(n_jobs=-1 if n_jobs is None else n_jobs,
                                return_as="generator_unordered")
                outputs = jobs(delayed(_named_run)(t.run_id, t.config, train_fn) for t in todo)
                try:
                    for rid, (metrics, returns, lengths) in outputs:
                        task = by_id[rid]
                        row = full(task, metrics)
                        if out is not None:  # the file first: a row in memory is on disk
                            _save_run(Path(out) / "runs" / f"{rid}.npz", task.config, row,
                                      returns, lengths)
                        add(task, row, returns, lengths)
                        if csv_file is not None:
                            csv_file.write(_csv_line(columns, row))
                            csv_file.flush()  # a finished row is on disk at once
                        result.computed += 1
                        bar.update(1)
                        if callback is not None:
                            callback(row)
                finally:
                    with warnings.catch_warnings():
                        # joblib warns that closing early cancels tasks: that is the point
                        warnings.filterwarnings("ignore", r".*tasks .*(cancelled|not used)",
                                                UserWarning)
                        outputs.close()  # on an exception: cancel the runs still queued
    except KeyboardInterrupt:
        result.interrupted = True
        if not catch_interrupt:
            raise
    finally:
        if csv_file is not None:
            csv_file.close()
        result.rows = sorted(done.values(), key=lambda r: order[r["run_id"]])
        if csv_path is not None:
            _write_csv(csv_path, columns, result.rows)  # grid order, same for any n_jobs
    return result


def _named_run(rid: str, config: Config,
               train_fn: Callable[[Config], History]) -> tuple[str, Outcome]:
    return rid, _run(config, train_fn)


def load_sweep(out: str | Path) -> SweepResult:
    """Read back a sweep written to ``out`` (the runs that finished), without running any."""
    out_dir = Path(out)
    spec_file = out_dir / "sweep.json"
    if not spec_file.is_file():
        raise FileNotFoundError(f"{str(out_dir)!r} has no sweep.json: not a sweep directory")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    points = expand_grid(spec["grid"])
    tasks = _plan(Config.from_dict(spec["base"]), points, spec["seeds"])
    result = SweepResult(params=tuple(spec["grid"]), points=points, seeds=spec["seeds"],
                         out=out_dir)
    for task in tasks:
        saved = _load_run(out_dir / "runs" / f"{task.run_id}.npz")
        if saved is None:
            continue
        row, returns, lengths = saved
        result.rows.append(row)
        result.configs[task.run_id] = task.config
        if row.get("error") is None:
            result.returns[task.run_id] = returns
            result.lengths[task.run_id] = lengths
    return result

