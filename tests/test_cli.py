"""The command line, through a subprocess as a user would run it."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import pytest
from _helpers import assert_complete_run, run_cli, start_cli


def test_help_shows_an_example_for_each_subcommand() -> None:
    out = run_cli("--help")
    assert out.returncode == 0 and "python -m reinforce train" in out.stdout
    for sub in ("train", "evaluate"):
        out = run_cli(sub, "--help")
        assert out.returncode == 0 and f"python -m reinforce {sub}" in out.stdout


def test_train_then_evaluate(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    res = run_cli(
        "train",
        "--env",
        "CartPole-v1",
        "--seed",
        "3",
        "--max-episodes",
        "20",
        "--hidden",
        "16",
        "--out",
        str(out_dir),
    )
    assert res.returncode == 0, res.stderr
    assert_complete_run(out_dir)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["episodes"] == 20 and summary["solved_at_episode"] is None
    assert {"env_steps", "wall_seconds"} <= summary.keys()
    config = json.loads((out_dir / "config.json").read_text())
    assert config["seed"] == 3 and config["hidden"] == 16
    assert (out_dir / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"

    res = run_cli("evaluate", str(out_dir), "--episodes", "3")
    assert res.returncode == 0, res.stderr
    assert "3 episodes (mode actions): length" in res.stdout and "±" in res.stdout
    evaluation = json.loads((out_dir / "evaluation.json").read_text())
    assert evaluation["actions"] == "mode" and evaluation["seed"] == 3
    assert len(evaluation["returns"]) == 3
    assert evaluation["mean_return"] == pytest.approx(sum(evaluation["returns"]) / 3)
    assert not any(p.name.endswith(".tmp") for p in out_dir.iterdir())

    # the same seed from the CLI gives the same history
    again = tmp_path / "again"
    run_cli(
        "train",
        "--seed",
        "3",
        "--max-episodes",
        "20",
        "--hidden",
        "16",
        "--out",
        str(again),
    )
    assert (again / "history.csv").read_text() == (out_dir / "history.csv").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gamma", "1.5"], "gamma must be in [0, 1], got 1.5"),
        (["--gamma", "-0.1"], "gamma must be in [0, 1], got -0.1"),
        (["--lr", "0"], "lr must be finite and > 0, got 0.0"),
        (["--lr", "nan"], "lr must be finite and > 0, got nan"),
        (["--lr", "inf"], "lr must be finite and > 0, got inf"),
        (["--batch-size", "0"], "batch_size must be >= 1, got 0"),
        (["--hidden", "0"], "hidden must be >= 1, got 0"),
        (["--seed", "1.5"], "--seed: invalid int value: '1.5'"),
        (["--env", "NoSuchEnv-v0"], "'NoSuchEnv-v0' is not a registered"),
        (["--optimizer", "adagrad"], "optimizer must be one of"),
        (["--baseline", "median"], "baseline must be one of"),
        (["--credit", "gae"], "credit must be one of"),
        (["--max-episodes", "0"], "max_episodes must be >= 1, got 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, args, message
) -> None:
    out_dir = tmp_path / "out"
    res = run_cli("train", *args, "--out", str(out_dir))
    assert res.returncode == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not out_dir.exists()


def test_non_empty_out_dir_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    res = run_cli("train", "--max-episodes", "5", "--out", str(tmp_path))
    assert res.returncode == 2 and "is not empty; pass --overwrite" in res.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"keep.txt"}
    # --overwrite replaces a run, never a directory of other files
    res = run_cli("train", "--max-episodes", "5", "--out", str(tmp_path), "--overwrite")
    assert res.returncode == 2 and "holds no run written by train" in res.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"keep.txt"}


def test_overwrite_swaps_the_whole_directory(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    assert (
        run_cli(
            "train", "--max-episodes", "5", "--hidden", "4", "--out", str(out_dir)
        ).returncode
        == 0
    )
    (out_dir / "stray.txt").write_text("from the old run")
    res = run_cli(
        "train",
        "--max-episodes",
        "6",
        "--hidden",
        "4",
        "--seed",
        "1",
        "--out",
        str(out_dir),
        "--overwrite",
    )
    assert res.returncode == 0, res.stderr
    assert not (out_dir / "stray.txt").exists()
    assert json.loads((out_dir / "config.json").read_text())["seed"] == 1
    assert json.loads((out_dir / "summary.json").read_text())["episodes"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run"
    ]  # no temporary left behind


def test_evaluate_bad_input(tmp_path: Path) -> None:
    res = run_cli("evaluate", str(tmp_path), "--episodes", "3")
    assert res.returncode == 2 and "no config.json" in res.stderr
    res = run_cli("evaluate", str(tmp_path), "--episodes", "0")
    assert res.returncode == 2 and "--episodes must be >= 1" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unknown_subcommand_is_one_line() -> None:
    res = run_cli("fly")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_ctrl_c_keeps_what_was_trained(tmp_path: Path) -> None:
    import signal
    import time

    out_dir = tmp_path / "run"
    proc = start_cli("train", "--max-episodes", "100000", "--out", str(out_dir))
    deadline = time.monotonic() + 60
    while not (out_dir / "config.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # let it train for a while
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: kept" in stderr and "Traceback" not in stderr
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["interrupted"] is True and 0 < summary["episodes"] < 100000
    assert (out_dir / "policy.npz").is_file() and (out_dir / "history.csv").is_file()


def test_preset_with_an_explicit_override(tmp_path: Path) -> None:
    out_dir = tmp_path / "fast"
    res = run_cli(
        "train",
        "--preset",
        "fast",
        "--seed",
        "2",
        "--max-episodes",
        "16",
        "--lr",
        "0.02",
        "--quiet",
        "--out",
        str(out_dir),
    )
    assert res.returncode == 0, res.stderr
    config = json.loads((out_dir / "config.json").read_text())
    from reinforce.presets import PRESETS

    assert config["num_envs"] == PRESETS["fast"]["num_envs"] and config["lr"] == 0.02
    res = run_cli("train", "--preset", "turbo", "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "preset must be one of" in res.stderr


# ---------------------------------------------------------------- faults, in this process


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from reinforce.cli import main

    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


SMALL = ("--max-episodes", "6", "--hidden", "4", "--batch-size", "3", "--quiet")


@pytest.fixture
def trained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out_dir = tmp_path / "run"
    assert cli(capsys, "train", *SMALL, "--out", str(out_dir))[0] == 0
    return out_dir


def test_history_csv_holds_numbers(trained: Path) -> None:
    with open(trained / "history.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    for row in rows:
        assert all(
            math.isfinite(float(row[k])) for k in ("length", "return", "rolling_mean")
        )


@pytest.mark.parametrize(
    "flag", ["--lr", "--gamma", "--eps", "--value-l2", "--decay-rate"]
)
@pytest.mark.parametrize("value", ["-inf", "-1e-3", "-nan", "-.5"])
def test_negative_and_non_finite_values_reach_the_check(
    capsys, tmp_path, flag, value
) -> None:
    status, _, err = cli(capsys, "train", flag, value, "--out", str(tmp_path / "o"))
    assert status == 2 and one_line(err)
    assert f"{flag[2:].replace('-', '_')} must" in err, err
    assert not (tmp_path / "o").exists()


def test_fewer_episodes_than_one_batch_warns(capsys, tmp_path) -> None:
    status, _, err = cli(
        capsys,
        "train",
        "--max-episodes",
        "2",
        "--batch-size",
        "5",
        "--hidden",
        "4",
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    )
    assert status == 0 and one_line(err)
    assert "warning: max_episodes 2 < batch_size 5: no update is made" in err
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["updates"] == 0


def test_a_diverging_run_says_so_in_one_line(capsys, tmp_path) -> None:
    import dataclasses

    from reinforce import History

    if "diverged" not in {f.name for f in dataclasses.fields(History)}:
        pytest.skip("needs the training loop's divergence stop (History.diverged)")
    out_dir = tmp_path / "o"
    status, _, err = cli(
        capsys,
        "train",
        "--lr",
        "1e308",
        "--optimizer",
        "sgd",
        "--max-episodes",
        "30",
        "--hidden",
        "4",
        "--quiet",
        "--out",
        str(out_dir),
    )
    assert status == 1 and one_line(
        err.split("\n", 1)[-1] if err.count("\n") > 1 else err
    )
    assert "diverged" in err and "Traceback" not in err
    if out_dir.exists():  # the loop stops at divergence: the last finite policy is kept
        assert json.loads((out_dir / "summary.json").read_text())["diverged"] is True
        assert cli(capsys, "evaluate", str(out_dir), "--episodes", "1")[0] == 0
    else:  # a loop that does not stop: nothing non-finite is saved
        assert "nothing saved" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["o"] if out_dir.exists() else []
    )


def test_missing_optional_dependency_is_one_line(capsys, tmp_path, monkeypatch) -> None:
    import reinforce.cli as cli_module

    def make_env(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'mujoco'")

    monkeypatch.setattr(cli_module, "make_env", make_env)
    status, _, err = cli(capsys, "train", "--out", str(tmp_path / "o"))
    assert status == 2 and one_line(err)
    assert "--env 'CartPole-v1' needs a package that is not installed" in err
    assert "mujoco" in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "config.json",
            "{}",
            "config.json: not a configuration written by train (missing",
        ),
        ("config.json", "", "config.json: empty file"),
        ("config.json", '{"env_id": ', "config.json: invalid JSON"),
        ("config.json", "[]", "config.json: expected"),
        ("policy.json", "{", "policy.json: invalid JSON"),
        ("policy.npz", "", "policy.npz: not a readable .npz archive (empty file)"),
        ("policy.npz", "PK\x03\x04", "policy.npz: not a readable .npz archive"),
    ],
    ids=[
        "config-empty-object",
        "config-empty",
        "config-truncated",
        "config-list",
        "policy-json",
        "npz-empty",
        "npz-truncated",
    ],
)
def test_evaluate_names_the_damaged_file(
    capsys, trained, name, content, message
) -> None:
    (trained / name).write_text(content, encoding="utf-8")
    status, out, err = cli(capsys, "evaluate", str(trained), "--episodes", "1")
    assert status == 2 and out == "" and one_line(err)
    assert message in err and str(trained) in err


def test_evaluate_refuses_nan_weights_and_mixed_runs(capsys, trained) -> None:
    import numpy as np

    good = (trained / "policy.npz").read_bytes()
    params = dict(np.load(trained / "policy.npz"))
    name = next(iter(params))
    params[name] = params[name] * np.nan
    np.savez(trained / "policy.npz", **params)
    status, _, err = cli(capsys, "evaluate", str(trained), "--episodes", "1")
    assert status == 2 and one_line(err) and "non-finite" in err and "policy.npz" in err
    (trained / "policy.npz").write_bytes(good)

    config = json.loads((trained / "config.json").read_text())
    (trained / "config.json").write_text(json.dumps({**config, "seed": 9}))
    status, _, err = cli(capsys, "evaluate", str(trained), "--episodes", "1")
    assert status == 2 and one_line(err) and "different runs" in err


@pytest.mark.parametrize("where", ["under-a-file", "read-only", "too-long"])
def test_an_unusable_out_is_one_line_and_leaves_nothing(
    capsys, tmp_path, where
) -> None:
    import os

    if where == "under-a-file":
        (tmp_path / "file").write_text("x")
        out_dir = tmp_path / "file" / "run"
    elif where == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        (tmp_path / "ro").mkdir(mode=0o555)
        out_dir = tmp_path / "ro" / "run"
    else:
        out_dir = tmp_path / ("x" * 300)
    status, _, err = cli(capsys, "train", *SMALL, "--out", str(out_dir))
    assert status in (1, 2) and one_line(err), err
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["file"], ["ro"])


def test_jobs_and_dask_handshake_are_bounded(capsys, tmp_path) -> None:
    import socket
    import threading
    import time

    status, _, err = cli(
        capsys, "sweep", "--jobs", "1000000", "--out", str(tmp_path / "s")
    )
    assert status == 2 and one_line(err) and "--jobs must be between 1 and" in err

    server = socket.socket()  # accepts connections, never speaks Dask
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted: list[socket.socket] = []
    threading.Thread(
        target=lambda: accepted.append(server.accept()[0]), daemon=True
    ).start()
    start = time.monotonic()
    status, _, err = cli(
        capsys,
        "sweep",
        "--dask-scheduler",
        f"tcp://127.0.0.1:{server.getsockname()[1]}",
        "--max-episodes",
        "5",
        "--out",
        str(tmp_path / "s"),
    )
    assert time.monotonic() - start < 30
    assert status == 2 and one_line(err) and "no Dask scheduler answered" in err
    for s in [*accepted, server]:
        s.close()


def test_leftovers_of_a_killed_run_are_removed_and_a_raced_out_is_kept(
    capsys, tmp_path, monkeypatch
) -> None:
    import reinforce.cli as cli_module

    dead = 2**22 + 12345  # beyond pid_max: no such process
    for kind in ("partial", "old"):
        (tmp_path / f".run.{dead}.abc_{kind}.{kind}").mkdir()
    (tmp_path / f".run.{os.getpid()}.live.partial").mkdir()  # a live process's: kept
    (
        tmp_path / f".run.5.{dead}.x.partial"
    ).mkdir()  # the run "run.5": not ours to judge
    assert cli(capsys, "train", *SMALL, "--out", str(tmp_path / "run"))[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".run.{os.getpid()}.live.partial", f".run.5.{dead}.x.partial", "run"]
    )

    # another process fills --out while this one trains: nothing of either is lost
    raced = tmp_path / "raced"
    real_train = cli_module.train

    def train_while_another_writes(*args, **kwargs):
        raced.mkdir()
        (raced / "theirs.txt").write_text("theirs")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(cli_module, "train", train_while_another_writes)
    status, _, err = cli(capsys, "train", *SMALL, "--out", str(raced))
    assert status == 1 and one_line(err) and "filled by another process" in err
    assert (raced / "theirs.txt").read_text() == "theirs"
    assert (tmp_path / f"raced.{os.getpid()}" / "summary.json").is_file()


# ---------------------------------------------------------------- DQN


def test_train_dqn_then_evaluate_greedy(tmp_path: Path) -> None:
    out_dir = tmp_path / "dqn"
    args = ["--algo", "dqn", "--preset", "rl-zoo", "--seed", "2", "--max-env-steps"]
    small = ["--hidden", "16", "--learning-starts", "200", "--train-every", "100"]
    res = run_cli("train", *args, "600", *small, "--out", str(out_dir), "--quiet")
    assert res.returncode == 0, res.stderr
    files = {p.name for p in out_dir.iterdir()}
    assert {
        "config.json",
        "history.csv",
        "q_network.npz",
        "learning_curve.png",
        "summary.json",
    } <= files
    config = json.loads((out_dir / "config.json").read_text())
    assert config["algo"] == "dqn" and config["seed"] == 2
    assert (config["hidden"], config["hidden_layers"]) == (16, 2)  # preset + flag
    assert config["gradient_steps"] == 128 and config["max_env_steps"] == 600
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["algo"] == "dqn" and summary["env_steps"] == 600

    res = run_cli("evaluate", str(out_dir), "--episodes", "4")
    assert res.returncode == 0, res.stderr
    assert "4 episodes (greedy actions)" in res.stdout
    first = json.loads((out_dir / "evaluation.json").read_text())
    assert first["algo"] == "dqn" and first["actions"] == "greedy"
    assert len(first["returns"]) == 4 and first["seed"] == 2
    # greedy actions on a seeded evaluation stream: the same numbers again
    assert run_cli("evaluate", str(out_dir), "--episodes", "4").returncode == 0
    assert json.loads((out_dir / "evaluation.json").read_text()) == first
    # the same seed trains the same network
    again = tmp_path / "again"
    run_cli("train", *args, "600", *small, "--out", str(again), "--quiet")
    assert (again / "history.csv").read_text() == (out_dir / "history.csv").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--algo", "dqn", "--preset", "fast"], "--preset must be one of"),
        (["--algo", "dqn", "--baseline", "none"], "--baseline is not a hyperparameter"),
        (["--gradient-steps", "3"], "--gradient-steps is not a hyperparameter"),
        (["--algo", "dqn", "--gradient-steps", "0"], "gradient_steps must be >= 1"),
        (["--algo", "dqn", "--max-grad-norm", "-1"], "max_grad_norm must be"),
        (["--algo", "sarsa"], "invalid choice: 'sarsa'"),
    ],
)
def test_dqn_bad_input_is_one_line_exit_2(capsys, tmp_path, args, message) -> None:
    status, _, err = cli(capsys, "train", *args, "--out", str(tmp_path / "o"))
    assert status == 2 and one_line(err) and message in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_evaluate_names_a_damaged_q_network(capsys, tmp_path) -> None:
    out_dir = tmp_path / "dqn"
    status, _, err = cli(
        capsys,
        "train",
        "--algo",
        "dqn",
        "--hidden",
        "8",
        "--max-env-steps",
        "50",
        "--quiet",
        "--out",
        str(out_dir),
    )
    assert status == 0, err
    npz = out_dir / "q_network.npz"
    import numpy as np

    params = dict(np.load(npz))
    np.savez(npz, **{**params, "W2": np.zeros((3, 3))})
    status, out, err = cli(capsys, "evaluate", str(out_dir), "--episodes", "1")
    assert status == 2 and out == "" and one_line(err)
    assert "q_network.npz" in err and "not the Q-network" in err
    npz.write_text("garbage", encoding="utf-8")
    status, _, err = cli(capsys, "evaluate", str(out_dir), "--episodes", "1")
    assert status == 2 and one_line(err) and "not a readable .npz" in err
