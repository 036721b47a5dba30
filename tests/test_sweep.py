"""Sweeps: the same table for any jobs or backend (a real Dask LocalCluster too),
fault handling, Ctrl-C, resume, and the ``sweep`` command line."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _helpers import run_cli, start_cli

from reinforce import Config, History, train, train_population
from reinforce.cli import main, parse_grid
from reinforce.sweep import (
    METRICS,
    SweepResult,
    SweepWarning,
    expand_grid,
    load_sweep,
    plan,
    run_configs,
    run_id,
    sweep,
    train_alone,
)

sweep_module = import_module(
    "reinforce.sweep"
)  # the name reinforce.sweep is the function
BASE = Config(max_episodes=25, hidden=16)  # a run takes a few milliseconds
GRID = {"gamma": [0.95, 0.99], "batch_size": [3, 5]}


def comparable(result: SweepResult) -> list[dict[str, Any]]:
    """Every column except the wall-clock time, which no two machines agree on."""
    return [{k: v for k, v in r.items() if k != "wall_seconds"} for r in result.rows]


def assert_same_results(a: SweepResult, b: SweepResult) -> None:
    assert comparable(a) == comparable(b)
    assert a.returns.keys() == b.returns.keys()
    for rid in a.returns:
        np.testing.assert_array_equal(a.returns[rid], b.returns[rid])
        np.testing.assert_array_equal(a.lengths[rid], b.lengths[rid])


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def reference() -> SweepResult:
    """The sweep run one at a time in this process."""
    return sweep(BASE, GRID, 3, n_jobs=1, progress=False)


# ---------------------------------------------------------------- the grid


def test_expand_grid_order_last_name_fastest() -> None:
    assert expand_grid({"gamma": [0.9, 0.99], "lr": [1e-3, 3e-3]}) == [
        {"gamma": 0.9, "lr": 1e-3},
        {"gamma": 0.9, "lr": 3e-3},
        {"gamma": 0.99, "lr": 1e-3},
        {"gamma": 0.99, "lr": 3e-3},
    ]
    assert expand_grid(None) == [{}]


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({"gama": [0.9]}, "grid name 'gama' is not a Config field"),
        ({"seed": [1, 2]}, "must not contain 'seed'"),
        ({"gamma": []}, r"grid\['gamma'\] must be a non-empty list"),
        ({"gamma": 0.9}, r"grid\['gamma'\] must be a non-empty list"),
        ({"optimizer": "adam"}, r"grid\['optimizer'\] must be a non-empty list"),
        ({"gamma": [0.9, 0.9]}, "repeated values"),
    ],
    ids=["unknown", "seed", "empty", "scalar", "string", "repeat"],
)
def test_bad_grid_is_rejected(grid: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        expand_grid(grid)


def test_bad_values_are_rejected_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match=r"point gamma=1.5, seed 0: gamma must be in \[0, 1\]"
    ):
        sweep(BASE, {"gamma": [0.99, 1.5]}, 2, out=tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()
    with pytest.raises(ValueError, match="seeds must be >= 1, got 0"):
        sweep(BASE, GRID, 0, progress=False)
    with pytest.raises(ValueError, match="seeds must not repeat"):
        sweep(BASE, GRID, [1, 1], progress=False)
    with pytest.raises(
        ValueError, match="n_jobs must be a non-zero integer or None, got 0"
    ):
        sweep(BASE, GRID, 2, n_jobs=0, progress=False)


def test_run_id_is_a_hash_of_the_whole_config() -> None:
    assert run_id(BASE) == run_id(Config(max_episodes=25, hidden=16))
    assert run_id(BASE) != run_id(BASE.replace(seed=1))
    assert run_id(BASE) != run_id(BASE.replace(lr=2e-3))


# ---------------------------------------------------------------- the table


def test_one_row_per_config_and_seed_in_grid_order(reference: SweepResult) -> None:
    r = reference
    assert r.params == ("gamma", "batch_size") and r.seeds == [0, 1, 2]
    assert r.columns == ["gamma", "batch_size", "seed", *METRICS, "run_id"]
    assert [(row["gamma"], row["batch_size"], row["seed"]) for row in r.rows] == [
        (g, b, s) for g in (0.95, 0.99) for b in (3, 5) for s in (0, 1, 2)
    ]
    for row in r.rows:
        config = r.configs[row["run_id"]]
        assert (config.gamma, config.batch_size, config.seed) == (
            row["gamma"],
            row["batch_size"],
            row["seed"],
        )
        # each row is, bit for bit, its config trained alone (a population of one)
        (history,) = train_population([config])
        assert (
            row["episodes"] == 25 and row["error"] is None and row["solved_at"] is None
        )
        assert row["env_steps"] == history.env_steps
        assert row["final_rolling_mean"] == history.rolling_mean()[-1]
        np.testing.assert_array_equal(r.returns[row["run_id"]], history.returns)
        np.testing.assert_array_equal(r.lengths[row["run_id"]], history.lengths)
    assert r.computed == 12 and not r.interrupted


def test_frame_and_selections(reference: SweepResult) -> None:
    frame = reference.to_frame()
    assert list(frame.columns) == reference.columns and len(frame) == 12
    point = {"gamma": 0.99, "batch_size": 5}
    assert len(reference.select(point)) == 3
    assert reference.metric("episodes", point).tolist() == [25.0, 25.0, 25.0]
    assert np.all(np.isnan(reference.metric("solved_at", point)))
    assert [c.size for c in reference.curves(point)] == [25, 25, 25]
    assert reference.solve_time(point).censored
    assert SweepResult.label(point) == "gamma=0.99, batch_size=5"
    agg = reference.aggregate(
        "final_rolling_mean", rng=np.random.default_rng(0), n_boot=100
    )
    assert [p for p, _ in agg] == reference.points
    with pytest.raises(ValueError, match="not grid parameters: \\['lr'\\]"):
        reference.select({"lr": 1e-3})
    with pytest.raises(ValueError, match="name must be one of"):
        reference.metric("error")


# ---------------------------------------------------------------- same results everywhere


@pytest.mark.parametrize(
    ("n_jobs", "backend"),
    [(2, "loky"), (3, "loky"), (2, "threading")],
    ids=["loky-2", "loky-3", "threading-2"],
)
def test_same_table_whatever_the_jobs_or_backend(
    reference: SweepResult, n_jobs: int, backend: str
) -> None:
    assert_same_results(
        sweep(BASE, GRID, 3, n_jobs=n_jobs, backend=backend, progress=False), reference
    )


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A real Dask cluster on loopback: a scheduler and two workers, threads in-process."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        protocol="tcp",
        dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_same_table_on_a_dask_cluster(
    reference: SweepResult, dask_cluster: Any
) -> None:
    address = dask_cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    on_dask = sweep(BASE, GRID, 3, scheduler=address, progress=False)
    assert_same_results(on_dask, reference)


def test_dask_with_a_client_and_files(
    reference: SweepResult, dask_cluster: Any, tmp_path: Path
) -> None:
    from distributed import Client

    with Client(dask_cluster) as client:
        on_dask = sweep(BASE, GRID, 3, scheduler=client, out=tmp_path, progress=False)
        assert client.status == "running"  # a client we were given is left open
    assert_same_results(on_dask, reference)
    assert len(read_csv(tmp_path / "results.csv")) == 12


# ---------------------------------------------------------------- faults


FAILING_SEEDS = {1}


def flaky_train(config: Config) -> History:
    """The seeds in FAILING_SEEDS fail half-way through building their run."""
    if config.seed in FAILING_SEEDS:
        raise RuntimeError(f"boom at gamma={config.gamma}")
    return train(config)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = sweep(
        BASE,
        {"gamma": [0.95, 0.99]},
        3,
        n_jobs=1,
        train_fn=flaky_train,
        out=tmp_path,
        progress=False,
    )
    errors = [row["error"] for row in r.rows]
    assert errors == [
        None,
        "RuntimeError: boom at gamma=0.95",
        None,
        None,
        "RuntimeError: boom at gamma=0.99",
        None,
    ]
    failed = [row for row in r.rows if row["error"]]
    assert all(row[m] is None for row in failed for m in METRICS if m != "error")
    assert len(r.select()) == 4 and len(r.select(errors=True)) == 6
    assert len(r.curves({"gamma": 0.95})) == 2  # failed runs have no curve
    on_disk = read_csv(tmp_path / "results.csv")
    assert [row["error"] for row in on_disk] == [e or "" for e in errors]

    # resuming (with the same train_fn, now working) retries the failed runs only
    monkeypatch.setattr(sys.modules[__name__], "FAILING_SEEDS", set())
    computed: list[int] = []
    again = sweep(
        BASE,
        {"gamma": [0.95, 0.99]},
        3,
        n_jobs=1,
        train_fn=flaky_train,
        out=tmp_path,
        progress=False,
        callback=lambda row: computed.append(row["seed"]),
    )
    assert computed == [1, 1] and again.computed == 2
    assert all(row["error"] is None for row in again.rows)


def test_a_failing_member_does_not_take_its_population_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A population that raises is trained again run by run: the failing run gets its
    error, the others the rows they give alone."""
    real = sweep_module.train_population

    def fails_with_seed_1(configs: list[Config]) -> list[History]:
        if any(c.seed == 1 for c in configs):
            raise RuntimeError("boom")
        return real(configs)

    fine = sweep(BASE, {"gamma": [0.95]}, 3, n_jobs=1, progress=False)
    monkeypatch.setattr(sweep_module, "train_population", fails_with_seed_1)
    r = sweep(BASE, {"gamma": [0.95]}, 3, n_jobs=1, progress=False)
    assert [row["error"] for row in r.rows] == [None, "RuntimeError: boom", None]
    assert comparable(r)[::2] == comparable(fine)[::2]


def test_a_failing_run_in_a_worker_process(tmp_path: Path) -> None:
    r = sweep(
        BASE, {"env_id": ["CartPole-v1", "NoSuchEnv-v0"]}, 2, n_jobs=2, progress=False
    )
    assert [row["error"] is None for row in r.rows] == [True, True, False, False]
    assert "not a registered Gymnasium environment" in r.rows[2]["error"]


def test_runs_trained_elsewhere_are_taken_not_trained_again(
    reference: SweepResult, tmp_path: Path
) -> None:
    """``trained`` (outcomes by run_id, as run_configs yields them) fills the rows it
    has; only the others are trained, and the rows are the same either way."""
    configs = [t.config for t in plan(BASE, expand_grid(GRID), [0, 1, 2])]
    outcomes = dict(run_configs(configs[:7], n_jobs=1))
    trained = {run_id(configs[i]): outcome for i, outcome in outcomes.items()}
    computed: list[int] = []
    result = sweep(
        BASE,
        GRID,
        3,
        n_jobs=1,
        out=tmp_path,
        progress=False,
        trained=trained,
        callback=lambda row: computed.append(row["seed"]),
    )
    assert result.computed == len(computed) == len(configs) - 7
    assert_same_results(result, reference)
    assert_same_results(load_sweep(tmp_path), reference)  # the taken runs were saved


# ---------------------------------------------------------------- resume and Ctrl-C


def test_resume_computes_only_the_missing_runs(
    reference: SweepResult, tmp_path: Path
) -> None:
    first = sweep(BASE, GRID, 2, n_jobs=2, out=tmp_path, progress=False)
    assert first.computed == 8
    more = sweep(BASE, GRID, 3, n_jobs=2, out=tmp_path, progress=False)  # one more seed
    assert more.computed == 4
    assert_same_results(more, reference)
    assert [row["run_id"] for row in read_csv(tmp_path / "results.csv")] == [
        row["run_id"] for row in reference.rows
    ]
    assert sweep(BASE, GRID, 3, out=tmp_path, progress=False).computed == 0
    assert (
        sweep(
            BASE, GRID, 3, n_jobs=2, out=tmp_path, fresh=True, progress=False
        ).computed
        == 12
    )
    assert_same_results(load_sweep(tmp_path), reference)


def test_resume_ignores_an_unreadable_run_file(tmp_path: Path) -> None:
    r = sweep(BASE, {"gamma": [0.99]}, 2, n_jobs=1, out=tmp_path, progress=False)
    bad = tmp_path / "runs" / f"{r.rows[0]['run_id']}.npz"
    bad.write_bytes(b"half a file")
    with pytest.warns(
        SweepWarning, match=f"{bad}: not a readable run file.*recomputed"
    ):
        again = sweep(
            BASE, {"gamma": [0.99]}, 2, n_jobs=1, out=tmp_path, progress=False
        )
    assert again.computed == 1
    assert comparable(again) == comparable(r)


class Interrupt:
    """A callback that presses Ctrl-C after ``after`` finished runs."""

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    def __call__(self, row: dict[str, Any]) -> None:
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_finished_rows_and_resume_completes(
    reference: SweepResult, tmp_path: Path
) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep(
            BASE, GRID, 3, n_jobs=1, out=tmp_path, progress=False, callback=Interrupt(5)
        )
    kept = read_csv(tmp_path / "results.csv")
    assert len(kept) == 5 and len(list((tmp_path / "runs").glob("*.npz"))) == 5
    partial = load_sweep(tmp_path)
    assert len(partial.rows) == 5

    resumed = sweep(BASE, GRID, 3, n_jobs=2, out=tmp_path, progress=False)
    assert resumed.computed == 7
    assert_same_results(resumed, reference)


def test_ctrl_c_can_be_caught(tmp_path: Path) -> None:
    r = sweep(
        BASE,
        GRID,
        3,
        n_jobs=2,
        out=tmp_path,
        progress=False,
        catch_interrupt=True,
        callback=Interrupt(3),
    )
    assert r.interrupted and len(r.rows) == len(read_csv(tmp_path / "results.csv"))
    assert 3 <= len(r.rows) < 12


# ---------------------------------------------------------------- the command line


def run_sweep(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("sweep", *args, cwd=cwd)


def test_parse_grid() -> None:
    assert parse_grid(
        [
            "gamma=0.95,0.99",
            "batch-size=5, 10",
            "env=CartPole-v1",
            "max_steps=none,100",
            "stop-when-solved=true,no",
        ]
    ) == {
        "gamma": [0.95, 0.99],
        "batch_size": [5, 10],
        "env_id": ["CartPole-v1"],
        "max_steps": [None, 100],
        "stop_when_solved": [True, False],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grid", "gama=0.9"], "unknown hyperparameter 'gama'"),
        (["--grid", "gamma=abc"], "--grid gamma: cannot parse 'abc' as float"),
        (["--grid", "batch-size=2.5"], "--grid batch_size: cannot parse '2.5' as int"),
        (
            ["--grid", "gamma=0.9,1.5"],
            "grid point gamma=1.5, seed 0: gamma must be in [0, 1]",
        ),
        (["--grid", "optimizer=sgd,lion"], "optimizer must be one of"),
        (["--grid", "gamma"], "--grid 'gamma': expected NAME=V1,V2,..."),
        (["--grid", "gamma=0.9,"], "with no empty value"),
        (["--grid", "seed=1,2"], "seed is not a grid parameter; use --seeds N"),
        (["--grid", "gamma=0.9", "--grid", "gamma=0.99"], "gamma given twice"),
        (
            ["--grid", "env=NoSuchEnv-v0"],
            "'NoSuchEnv-v0' is not a registered Gymnasium",
        ),
        (["--seeds", "0"], "--seeds must be >= 1, got 0"),
        (["--jobs", "0"], "--jobs must be between 1 and"),
        (["--jobs", "100000"], "--jobs must be between 1 and"),
        (["--seeds", "1000000000"], "ask for 1,000,000,000 runs; at most 100,000"),
        (["--lr", "-1"], "lr must be finite and > 0"),
        (["--preset", "nope"], "preset must be one of"),
    ],
    ids=[
        "unknown",
        "float",
        "int",
        "rejected",
        "choice",
        "no-values",
        "empty-value",
        "seed",
        "twice",
        "env",
        "seeds",
        "jobs",
        "jobs-huge",
        "seeds-huge",
        "base",
        "preset",
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_runs_nothing(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status = main(["sweep", *args, "--out", str(out), "--max-episodes", "5", "--quiet"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.out == ""
    assert not out.exists()


def test_cli_bad_input_from_a_shell(tmp_path: Path) -> None:
    res = run_sweep("--grid", "gama=0.9", "--out", str(tmp_path / "out"))
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("reinforce: --grid: unknown hyperparameter 'gama'")
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr


def test_cli_refuses_a_non_empty_directory_that_is_not_a_sweep(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    res = run_sweep("--out", str(tmp_path), "--max-episodes", "5", "--quiet")
    assert res.returncode == 2 and "is not empty and holds no sweep" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_cli_sweep_writes_table_and_plot_then_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = (
        "--grid",
        "gamma=0.95,0.99",
        "--seeds",
        "2",
        "--jobs",
        "2",
        "--max-episodes",
        "20",
        "--hidden",
        "16",
        "--out",
        str(out),
        "--quiet",
    )
    res = run_sweep(*args)
    assert res.returncode == 0, res.stderr
    assert "gamma=0.95: 2 runs" in res.stdout and "4 runs (4 new)" in res.stdout
    rows = read_csv(out / "results.csv")
    assert [(r["gamma"], r["seed"]) for r in rows] == [
        ("0.95", "0"),
        ("0.95", "1"),
        ("0.99", "0"),
        ("0.99", "1"),
    ]
    assert all(r["episodes"] == "20" and r["error"] == "" for r in rows)
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    api = sweep(
        Config(max_episodes=20, hidden=16),
        {"gamma": [0.95, 0.99]},
        2,
        n_jobs=1,
        progress=False,
    )
    assert [r["run_id"] for r in rows] == [r["run_id"] for r in api.rows]
    assert [int(r["env_steps"]) for r in rows] == [r["env_steps"] for r in api.rows]

    assert main(["sweep", *args, "--jobs", "1"]) == 0  # resumes, in this process
    assert "4 runs (0 new)" in capsys.readouterr().out
    assert main(["sweep", *args, "--jobs", "1", "--fresh"]) == 0
    assert "4 runs (4 new)" in capsys.readouterr().out


def test_cli_ctrl_c_keeps_the_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # two quick runs finish; two long ones are still going when Ctrl-C comes
    proc = start_cli(
        "sweep",
        "--grid",
        "max-episodes=10,100000",
        "--seeds",
        "2",
        "--jobs",
        "2",
        "--out",
        str(out),
        "--quiet",
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "results.csv").is_file() and len(
                read_csv(out / "results.csv")
            ) >= 2:
                break
            time.sleep(0.05)
        os.killpg(
            proc.pid, signal.SIGINT
        )  # as a terminal's Ctrl-C: the whole process group
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "interrupted: kept 2 finished runs" in stderr and "Traceback" not in stderr
    rows = read_csv(out / "results.csv")
    assert [(r["max_episodes"], r["seed"], r["episodes"]) for r in rows] == [
        ("10", "0", "10"),
        ("10", "1", "10"),
    ]
    assert len(list((out / "runs").glob("*.npz"))) == 2


def test_numpy_values_and_seeds_are_accepted(tmp_path: Path) -> None:
    grid = {"gamma": np.array([0.95, 0.99]), "hidden": [np.int64(8)]}
    r = sweep(BASE, grid, np.arange(2), n_jobs=1, out=tmp_path, progress=False)
    assert [(row["gamma"], row["hidden"], row["seed"]) for row in r.rows] == [
        (0.95, 8, 0),
        (0.95, 8, 1),
        (0.99, 8, 0),
        (0.99, 8, 1),
    ]
    assert all(type(row["hidden"]) is int for row in r.rows)
    assert comparable(load_sweep(tmp_path)) == comparable(r)


def test_cli_on_a_dask_cluster(
    dask_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = [
        "sweep",
        "--grid",
        "gamma=0.95,0.99",
        "--seeds",
        "2",
        "--max-episodes",
        "20",
        "--hidden",
        "16",
        "--quiet",
    ]
    assert (
        main(
            [
                *args,
                "--dask-scheduler",
                dask_cluster.scheduler_address,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert main([*args, "--jobs", "1", "--out", str(tmp_path / "local")]) == 0
    capsys.readouterr()
    on_dask, local = (
        read_csv(out / "results.csv"),
        read_csv(tmp_path / "local" / "results.csv"),
    )
    for row in on_dask + local:
        del row["wall_seconds"]
    assert on_dask == local and len(on_dask) == 4


def test_cli_bad_dask_address_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "sweep",
            "--dask-scheduler",
            "nonsense",
            "--out",
            str(tmp_path / "o"),
            "--max-episodes",
            "5",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("reinforce: --dask-scheduler 'nonsense': ")
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()


# ---------------------------------------------------------------- the stages, locks, damaged files


def test_run_configs_is_the_narrow_run_stage() -> None:
    configs = [BASE.replace(seed=s) for s in range(3)]
    for train_fn in (None, train):  # populations, then one train per run
        outcomes = dict(run_configs(configs, n_jobs=1, train_fn=train_fn))
        assert sorted(outcomes) == [0, 1, 2]
        for i, (row, returns, lengths) in outcomes.items():
            history = (train_fn or train_alone)(configs[i])
            assert row["episodes"] == 25 and row["error"] is None
            np.testing.assert_array_equal(returns, history.returns)
            np.testing.assert_array_equal(lengths, history.lengths)
    assert [t.config for t in plan(BASE, [{}], [0, 1, 2])] == configs


# ---------------------------------------------------------------- populations


def test_train_fn_train_gives_train_s_histories() -> None:
    r = sweep(
        BASE, {"gamma": [0.95, 0.99]}, 2, n_jobs=2, train_fn=train, progress=False
    )
    for row in r.rows:
        history = train(r.configs[row["run_id"]])
        assert row["env_steps"] == history.env_steps
        np.testing.assert_array_equal(r.returns[row["run_id"]], history.returns)


def test_population_sweep_is_sweep(reference: SweepResult, tmp_path: Path) -> None:
    from reinforce.protocol import population_sweep

    assert_same_results(population_sweep(BASE, GRID, [0, 1, 2], n_jobs=2), reference)
    population_sweep(BASE, GRID, [0, 1, 2], n_jobs=1, out=tmp_path)  # options: sweep's
    assert_same_results(load_sweep(tmp_path), reference)
    with pytest.raises(TypeError, match="call sweep for train_fn"):
        population_sweep(BASE, GRID, [0], train_fn=train)


def test_resume_reuses_only_runs_trained_the_same_way(tmp_path: Path) -> None:
    """A run file records its trainer; a resume with another trainer (populations
    after train_fn=train, or a file from before populations) trains the run again."""
    grid = {"gamma": [0.95]}
    by_train = sweep(
        BASE, grid, 2, n_jobs=1, train_fn=train, out=tmp_path, progress=False
    )
    assert (
        sweep(
            BASE, grid, 2, n_jobs=1, train_fn=train, out=tmp_path, progress=False
        ).computed
        == 0
    )
    by_population = sweep(BASE, grid, 2, n_jobs=1, out=tmp_path, progress=False)
    assert by_population.computed == 2
    assert comparable(by_population) != comparable(by_train)  # other random streams
    assert comparable(load_sweep(tmp_path)) == comparable(by_population)
    # a file written before populations names no trainer: it was train's
    path = tmp_path / "runs" / f"{by_train.rows[0]['run_id']}.npz"
    with np.load(path) as f:
        saved = {k: v for k, v in f.items() if k != "trainer"}
    np.savez(path, **saved)
    assert comparable(load_sweep(tmp_path)) == comparable(by_population)
    again = sweep(BASE, grid, 2, n_jobs=1, train_fn=train, out=tmp_path, progress=False)
    assert again.computed == 1  # the other file is the population's


def test_a_different_sweep_in_out_is_refused(tmp_path: Path) -> None:
    sweep(BASE, {"gamma": [0.95, 0.99]}, 2, n_jobs=1, out=tmp_path, progress=False)
    before = (tmp_path / "results.csv").read_text()
    for grid, base, match in [
        ({"gamma": [0.95]}, BASE, r"other gamma values \(without \[0.99\]\)"),
        ({"lr": [1e-3]}, BASE, r"another grid \(gamma -> lr\)"),
        (
            {"gamma": [0.95, 0.99]},
            BASE.replace(hidden=8),
            r"another base config \(hidden: 16",
        ),
    ]:
        with pytest.raises(ValueError, match=f"holds a different sweep.*{match}"):
            sweep(base, grid, 2, n_jobs=1, out=tmp_path, exclusive=True, progress=False)
        assert (tmp_path / "results.csv").read_text() == before
    r = sweep(
        BASE,
        {"lr": [1e-3]},
        1,
        n_jobs=1,
        out=tmp_path,
        fresh=True,
        exclusive=True,
        progress=False,
    )
    assert r.computed == 1 and len(read_csv(tmp_path / "results.csv")) == 1


def test_by_default_a_directory_is_a_cache_shared_by_different_sweeps(
    tmp_path: Path,
) -> None:
    first = sweep(
        BASE, {"gamma": [0.95, 0.99]}, 2, n_jobs=1, out=tmp_path, progress=False
    )
    other = sweep(
        BASE, {"batch_size": [3, 5]}, 2, n_jobs=1, out=tmp_path, progress=False
    )
    assert (
        other.computed == 2
    )  # batch_size 5 with gamma 0.99 is the base: already there
    assert (
        len(read_csv(tmp_path / "results.csv")) == 4
        and len(load_sweep(tmp_path).rows) == 4
    )
    assert len(list((tmp_path / "runs").glob("*.npz"))) == 6
    assert first.computed == 4


def test_two_sweeps_cannot_write_one_directory(tmp_path: Path) -> None:
    seen: list[str] = []

    def second(row: dict[str, Any]) -> None:
        if not seen:
            with pytest.raises(ValueError, match="is in use by another sweep"):
                sweep(
                    BASE, {"gamma": [0.95]}, 1, n_jobs=1, out=tmp_path, progress=False
                )
        seen.append(row["run_id"])

    sweep(
        BASE,
        {"gamma": [0.95]},
        2,
        n_jobs=1,
        out=tmp_path,
        progress=False,
        callback=second,
    )
    assert len(seen) == 2 and len(read_csv(tmp_path / "results.csv")) == 2
    assert (
        sweep(
            BASE, {"gamma": [0.95]}, 2, n_jobs=1, out=tmp_path, progress=False
        ).computed
        == 0
    )  # the lock is released at the end


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "sweep.json: empty file"),
        ('{"base": ', "sweep.json: invalid JSON"),
        ("[]", "sweep.json: expected"),
        ('{"base": {}, "grid": {}}', "sweep.json: 'seeds' missing"),
        ('{"base": {"lr": -1}, "grid": {}, "seeds": [0]}', "sweep.json: lr must be"),
        (
            '{"base": {}, "grid": {"gamma": 0.9}, "seeds": [0]}',
            r"sweep.json: grid\['gamma'\]",
        ),
        ('{"base": {}, "grid": {}, "seeds": ["a"]}', "sweep.json: seeds must be"),
    ],
    ids=["empty", "truncated", "list", "no-seeds", "bad-base", "bad-grid", "bad-seeds"],
)
def test_a_damaged_sweep_json_is_one_line_naming_it(
    tmp_path: Path, content: str, match: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep(BASE, {"gamma": [0.95]}, 1, n_jobs=1, out=tmp_path, progress=False)
    (tmp_path / "sweep.json").write_text(content)
    with pytest.raises(ValueError, match=match):
        load_sweep(tmp_path)
    with pytest.raises(ValueError, match=f"{match}.*pass fresh=True"):
        sweep(
            BASE,
            {"gamma": [0.95]},
            1,
            n_jobs=1,
            out=tmp_path,
            exclusive=True,
            progress=False,
        )
    status = main(
        [
            "sweep",
            "--grid",
            "gamma=0.95",
            "--seeds",
            "1",
            "--max-episodes",
            "25",
            "--hidden",
            "16",
            "--jobs",
            "1",
            "--quiet",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert (
        status == 2
        and err.count("\n") == 1
        and "sweep.json" in err
        and "--overwrite" in err
    )


@pytest.mark.parametrize("damage", ["truncated", "empty", "other-config", "bad-row"])
def test_a_damaged_run_file_is_recomputed_with_a_warning(
    tmp_path: Path, damage: str
) -> None:
    first = sweep(BASE, {"gamma": [0.95]}, 2, n_jobs=1, out=tmp_path, progress=False)
    path = tmp_path / "runs" / f"{first.rows[1]['run_id']}.npz"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with np.load(path) as f:
            saved = dict(f)
        if damage == "other-config":
            saved["config"] = np.array('{"seed": 99}')
        else:
            saved["row"] = np.array("[1, 2, 3]")
        np.savez(path, **saved)
    with pytest.warns(SweepWarning, match=f"{path.name}: .*; the run is recomputed"):
        partial = load_sweep(tmp_path)
    assert len(partial.rows) == 1
    with pytest.warns(SweepWarning):
        again = sweep(
            BASE, {"gamma": [0.95]}, 2, n_jobs=1, out=tmp_path, progress=False
        )
    assert again.computed == 1 and comparable(again) == comparable(first)
    assert comparable(load_sweep(tmp_path)) == comparable(first)  # no warning now


def test_workers_exit_when_their_parent_dies(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys\n"
        "from reinforce import Config\n"
        "from reinforce.sweep import sweep\n"
        "def slow(config):\n"
        "    os.write(1, f'{os.getpid()}\\n'.encode())  # one write: lines never interleave\n"
        "    import time; time.sleep(600)\n"
        "sweep(Config(), {'gamma': [0.9, 0.99]}, 1, n_jobs=2, train_fn=slow, progress=False)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    with proc.stdout:
        workers = [int(proc.stdout.readline()) for _ in range(2)]
    proc.kill()  # SIGKILL: the parent cannot tidy up
    proc.wait()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers {alive} outlived their parent"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False
