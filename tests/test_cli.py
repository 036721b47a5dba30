"""The command line, through a subprocess as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reinforce", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_help_shows_an_example_for_each_subcommand() -> None:
    out = run("--help")
    assert out.returncode == 0 and "python -m reinforce train" in out.stdout
    for sub in ("train", "evaluate"):
        out = run(sub, "--help")
        assert out.returncode == 0 and f"python -m reinforce {sub}" in out.stdout


def test_train_then_evaluate(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    res = run("train", "--env", "CartPole-v1", "--seed", "3", "--max-episodes", "20",
              "--hidden", "16", "--out", str(out_dir))
    assert res.returncode == 0, res.stderr
    files = {p.name for p in out_dir.iterdir()}
    assert {"config.json", "history.csv", "policy.npz", "policy.json", "learning_curve.png",
            "summary.json"} <= files
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["episodes"] == 20 and summary["solved_at_episode"] is None
    assert {"env_steps", "wall_seconds"} <= summary.keys()
    config = json.loads((out_dir / "config.json").read_text())
    assert config["seed"] == 3 and config["hidden"] == 16
    assert (out_dir / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"

    res = run("evaluate", str(out_dir), "--episodes", "3")
    assert res.returncode == 0, res.stderr
    assert "3 episodes: length" in res.stdout and "±" in res.stdout

    # the same seed from the CLI gives the same history
    again = tmp_path / "again"
    run("train", "--seed", "3", "--max-episodes", "20", "--hidden", "16", "--out", str(again))
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
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message) -> None:
    out_dir = tmp_path / "out"
    res = run("train", *args, "--out", str(out_dir))
    assert res.returncode == 2
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not out_dir.exists()


def test_non_empty_out_dir_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    res = run("train", "--max-episodes", "5", "--out", str(tmp_path))
    assert res.returncode == 2 and "is not empty; pass --overwrite" in res.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"keep.txt"}
    res = run("train", "--max-episodes", "5", "--hidden", "4", "--out", str(tmp_path),
              "--overwrite")
    assert res.returncode == 0 and (tmp_path / "summary.json").is_file()


def test_evaluate_bad_input(tmp_path: Path) -> None:
    res = run("evaluate", str(tmp_path), "--episodes", "3")
    assert res.returncode == 2 and "no config.json" in res.stderr
    res = run("evaluate", str(tmp_path), "--episodes", "0")
    assert res.returncode == 2 and "--episodes must be >= 1" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unknown_subcommand_is_one_line() -> None:
    res = run("fly")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_ctrl_c_keeps_what_was_trained(tmp_path: Path) -> None:
    import signal
    import time

    out_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reinforce", "train", "--max-episodes", "100000", "--out",
         str(out_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    res = run("train", "--preset", "fast", "--seed", "2", "--max-episodes", "16", "--lr", "0.02",
              "--quiet", "--out", str(out_dir))
    assert res.returncode == 0, res.stderr
    config = json.loads((out_dir / "config.json").read_text())
    from reinforce.presets import PRESETS

    assert config["num_envs"] == PRESETS["fast"]["num_envs"] and config["lr"] == 0.02
    res = run("train", "--preset", "turbo", "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "preset must be one of" in res.stderr
