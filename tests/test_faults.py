"""Fault injection: nonsense input, damaged files, signals, a full disk, a read-only directory.

The promise under test: whatever happens, the command line prints one line per problem
(no traceback) and exits non-zero on nonsense, and every run directory is, at every
instant, either complete (loadable) or absent.

The property tests generate their cases with Hypothesis (derandomised, so the suite is
reproducible) and run the command line in this process; only the signal tests start
subprocesses.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import shutil
import signal
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _helpers import assert_complete_run, start_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from reinforce.cli import main
from reinforce.sweep import SweepWarning, load_sweep

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Sizes that keep a run to milliseconds; given last, they win over any generated value.
# batch 3 > 2 episodes: no update, so no generated learning rate can overflow a weight.
TINY = [
    "--max-episodes",
    "2",
    "--batch-size",
    "3",
    "--hidden",
    "3",
    "--num-envs",
    "1",
    "--max-steps",
    "30",
    "--quiet",
]

TRAIN_FLAGS = [
    "--baseline",
    "--batch-size",
    "--beta1",
    "--beta2",
    "--blame-window",
    "--decay-rate",
    "--env",
    "--eps",
    "--gamma",
    "--hidden",
    "--lr",
    "--max-episodes",
    "--max-steps",
    "--no-stop-when-solved",
    "--num-envs",
    "--optimizer",
    "--out",
    "--overwrite",
    "--preset",
    "--quiet",
    "--returns",
    "--seed",
    "--solved-threshold",
    "--solved-window",
    "--stop-when-solved",
    "--value-l2",
]
SWEEP_FLAGS = [f for f in TRAIN_FLAGS if f != "--seed"] + [
    "--grid",
    "--seeds",
    "--jobs",
    "--fresh",
]
EVALUATE_FLAGS = ["--episodes", "--seed"]
WORDS = [
    "-inf",
    "inf",
    "nan",
    "-nan",
    "1e308",
    "-1e-3",
    "-1",
    "0",
    "1",
    "2",
    "0.5",
    "-.5",
    "none",
    "None",
    "true",
    "no",
    "",
    " ",
    "CartPole-v1",
    "Acrobot-v1",
    "Pendulum-v1",
    "NoSuchEnv-v0",
    "test/Corridor-v0",
    "test/CorridorNoLimit-v0",
    "test/CorridorNaNObs-v0",
    "test/CorridorInfReward-v0",
    "test/CorridorMulti-v0",
    "fast",
    "default",
    "turbo",
    "adam",
    "sgd",
    "lion",
    "standardize",
    "value",
    "median",
    "episode",
    "blame_window",
    "gae",
    "gamma=0.9,0.99",
    "gamma=1.5",
    "lr=-1",
    "hidden=0",
    "gama=1",
    "seed=1,2",
    "batch-size=x",
    "gamma",
    "gamma=",
    "optimizer=sgd,adam",
    "max-steps=none,20",
    "stop-when-solved=maybe",
    "env=NoSuchEnv-v0",
    "--",
    "-",
    "-x",
    "--no-such-flag",
]
# free text without "=" (a generated "hidden=10**9" grid would be a long run, not nonsense)
TEXT = st.text(
    st.characters(blacklist_characters="=\x00", blacklist_categories=("Cs",)),
    max_size=10,
)
NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


# Values a flag might sensibly get: pairs of these get past the parser and the checks to
# training, so the property tests reach the environments, the loop and the files too.
PLAUSIBLE = {
    "--baseline": ["none", "mean", "standardize", "standardize_batch", "value"],
    "--returns": ["reward_to_go", "episode", "blame_window"],
    "--optimizer": ["sgd", "rmsprop", "adam"],
    "--env": [
        "CartPole-v1",
        "Acrobot-v1",
        "Pendulum-v1",
        "test/Corridor-v0",
        "test/CorridorNoLimit-v0",
        "test/CorridorNaNObs-v0",
        "test/CorridorInfReward-v0",
        "test/CorridorMulti-v0",
        "test/CorridorInfBox-v0",
        "test/CorridorImage-v0",
    ],
    "--preset": ["default", "fast", "sample-efficient"],
    "--gamma": ["0", "0.9", "1"],
    "--lr": ["1e-3", "0.05"],
    "--seed": ["0", "7"],
    "--beta1": ["0", "0.5"],
    "--beta2": ["0.9"],
    "--decay-rate": ["0", "0.9"],
    "--eps": ["1e-8", "1"],
    "--value-l2": ["0", "1"],
    "--blame-window": ["1", "4"],
    "--solved-threshold": ["none", "-5", "3"],
    "--solved-window": ["1", "4"],
    "--episodes": ["1", "2"],
    "--seeds": ["1", "2"],
    "--jobs": ["1"],
    "--grid": [
        "gamma=0.9,0.99",
        "baseline=none,mean",
        "env=CartPole-v1,Acrobot-v1",
        "stop-when-solved=true,false",
        "max-steps=none,20",
    ],
}


def tokens(flags: list[str]) -> st.SearchStrategy[list[str]]:
    """Flags, words and numbers in any order, often as flag-value pairs: random ones (for
    the parser and the checks) and plausible ones (which reach training)."""
    word = st.one_of(st.sampled_from(WORDS), NUMBERS, TEXT)
    pair = st.tuples(st.sampled_from(flags), word).map(list)
    known = [f for f in flags if f in PLAUSIBLE]
    plausible = st.sampled_from(known).flatmap(
        lambda f: st.sampled_from(PLAUSIBLE[f]).map(lambda v: [f, v])
    )
    single = st.one_of(st.sampled_from(flags), word).map(lambda t: [t])
    return st.lists(st.one_of(pair, plausible, plausible, single), max_size=4).map(
        lambda parts: [t for part in parts for t in part]
    )


# A token pair that no parser or check can accept (given last, where no later value of the
# same flag can override it).
NONSENSE = st.one_of(
    st.just(["--no-such-flag"]),
    st.tuples(
        st.sampled_from(["--gamma", "--lr", "--hidden", "--eps", "--max-steps"]),
        st.sampled_from(["abc", "1.2.3", "0x", "--"]),
    ).map(list),
    st.tuples(
        st.sampled_from(["--gamma", "--beta1", "--decay-rate"]),
        st.sampled_from(["1.5", "-inf", "nan", "2"]),
    ).map(list),
)
NONSENSE_SWEEP = st.one_of(
    NONSENSE,
    st.tuples(
        st.just("--grid"),
        st.sampled_from(
            [
                "gama=1",
                "seed=1,2",
                "gamma=1.5",
                "gamma",
                "batch-size=x",
                "gamma=0.9,0.9",
            ]
        ),
    ).map(list),
    st.tuples(st.just("--jobs"), st.sampled_from(["0", "100000", "-100000"])).map(list),
)


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory per generated case (Hypothesis reruns a test body many times)."""
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """main(argv) in this process: it must return (never raise) and print only one-line
    messages of its own."""
    status = main(argv)
    err = capsys.readouterr().err
    if currently_in_test_context():
        event(f"exit {status}")  # shown by --hypothesis-show-statistics
    assert isinstance(status, int)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert all(line.startswith(("reinforce", "interrupted")) for line in lines), err
    errors = [line for line in lines if not line.startswith("reinforce: warning:")]
    assert len(errors) == (0 if status == 0 else 1), err
    return status, err


def assert_complete_or_absent(out: Path) -> None:
    if out.exists():
        assert_complete_run(out)


# ---------------------------------------------------------------- random argument lists


@PROPERTY
@given(args=tokens(TRAIN_FLAGS))
def test_random_train_arguments(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with scratch() as d:
        status, _ = run_cli(["train", *args, *TINY, "--out", str(d / "run")], capsys)
        assert status in (0, 1, 2)
        if status == 0:
            assert_complete_run(d / "run")
        else:
            assert not (d / "run").exists()
        assert [p.name for p in d.iterdir()] in (
            [],
            ["run"],
        )  # no temporary left behind


@PROPERTY
@given(args=tokens(TRAIN_FLAGS), bad=NONSENSE)
def test_nonsense_train_arguments_exit_2(
    args: list[str], bad: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # the nonsense comes last: argparse keeps a flag's last value, so a valid value after
    # it would hide it
    with scratch() as d:
        status, _ = run_cli(
            ["train", *args, *TINY, *bad, "--out", str(d / "run")], capsys
        )
        assert status == 2
        assert list(d.iterdir()) == []


@settings(PROPERTY, max_examples=40)
@given(
    args=tokens(SWEEP_FLAGS),
    bad=st.one_of(st.just([]), NONSENSE_SWEEP),
)
def test_random_sweep_arguments(
    args: list[str], bad: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # the nonsense comes last: argparse keeps a flag's last value, so a valid value after
    # it (one seed and one worker are fixed here) would hide it
    with scratch() as d:
        status, _ = run_cli(
            [
                "sweep",
                *args,
                *TINY,
                "--seeds",
                "1",
                "--jobs",
                "1",
                *bad,
                "--out",
                str(d / "s"),
            ],
            capsys,
        )
        assert status in ((2,) if bad else (0, 1, 2))
        if status == 0:
            assert load_sweep(d / "s").rows


@PROPERTY
@given(
    args=tokens(EVALUATE_FLAGS),
    bad=st.one_of(st.just([]), NONSENSE),
    where=st.integers(0, 8),
)
def test_random_evaluate_arguments(
    trained: Path,
    args: list[str],
    bad: list[str],
    where: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args[where:where] = bad
    status, _ = run_cli(["evaluate", *args, str(trained), "--episodes", "1"], capsys)
    assert status in ((2,) if bad else (0, 2))


# ---------------------------------------------------------------- random JSON and bytes


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "run"
    assert (
        main(
            [
                "train",
                "--max-episodes",
                "6",
                "--batch-size",
                "3",
                "--hidden",
                "3",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "sweep"
    assert main(["sweep", *SWEEP_ARGS, "--out", str(out)]) == 0
    return out


SWEEP_ARGS = [
    "--grid",
    "gamma=0.9,0.99",
    "--seeds",
    "1",
    "--jobs",
    "1",
    "--max-episodes",
    "4",
    "--batch-size",
    "2",
    "--hidden",
    "3",
    "--quiet",
]

JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, original: dict) -> dict:
    """``original`` with some keys given random JSON values, dropped, or added."""
    value = dict(original)
    keys = sorted(value)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
        if draw(st.booleans()):
            value[key] = draw(JSON)
        else:
            del value[key]
    if draw(st.booleans()):
        value[draw(st.text(max_size=6))] = draw(JSON)
    return value


@PROPERTY
@given(
    data=st.data(),
    name=st.sampled_from(["config.json", "policy.json"]),
    whole=st.booleans(),
)
def test_random_json_in_a_run(
    trained: Path,
    data: st.DataObject,
    name: str,
    whole: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    original = json.loads((trained / name).read_text(encoding="utf-8"))
    value = data.draw(JSON) if whole else data.draw(mutated(original))
    with scratch() as d:
        run = shutil.copytree(trained, d / "run")
        (run / name).write_text(json.dumps(value), encoding="utf-8")
        status, _ = run_cli(["evaluate", str(run), "--episodes", "1"], capsys)
        if value != original and (whole or name == "config.json"):
            assert status == 2
        else:
            assert status in (0, 2)


def damage(data: st.DataObject, content: bytes) -> bytes:
    """Random bytes, a truncation, or one flipped byte of ``content``."""
    how = data.draw(st.sampled_from(["random", "truncate", "flip"]))
    if how == "random":
        return data.draw(st.binary(max_size=300))
    if how == "truncate":
        return content[: data.draw(st.integers(0, max(len(content) - 1, 0)))]
    i = data.draw(st.integers(0, len(content) - 1))
    flip = data.draw(st.integers(1, 255))
    return content[:i] + bytes([content[i] ^ flip]) + content[i + 1 :]


@PROPERTY
@given(
    data=st.data(), name=st.sampled_from(["config.json", "policy.json", "policy.npz"])
)
def test_random_bytes_in_a_run(
    trained: Path, data: st.DataObject, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with scratch() as d:
        run = shutil.copytree(trained, d / "run")
        (run / name).write_bytes(damage(data, (trained / name).read_bytes()))
        status, _ = run_cli(["evaluate", str(run), "--episodes", "1"], capsys)
        assert status in (0, 2)  # 0: the damage missed everything read (e.g. a space)


@settings(PROPERTY, max_examples=20)
@given(data=st.data())
def test_random_bytes_in_a_sweep(
    swept: Path, data: st.DataObject, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(
        p.relative_to(swept).as_posix() for p in (swept / "runs").glob("*.npz")
    )
    name = data.draw(st.sampled_from(["sweep.json", *files]))
    with scratch() as d:
        out = shutil.copytree(swept, d / "sweep")
        (out / name).write_bytes(damage(data, (swept / name).read_bytes()))
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always", SweepWarning)
            try:
                partial = load_sweep(out)
            except ValueError as err:  # only sweep.json makes the directory unreadable
                assert name == "sweep.json" and "sweep.json" in str(err)
            else:
                assert len(partial.rows) >= 1
        status, err = run_cli(["sweep", *SWEEP_ARGS, "--out", str(out)], capsys)
        if status == 2:
            assert name == "sweep.json" and "sweep.json" in err and "--overwrite" in err
        else:
            assert status == 0 and len(load_sweep(out).rows) == 2  # recomputed


# ---------------------------------------------------------------- a full disk, read-only


def _fail_on(call: int, error: int):
    """An ``os.fsync`` that fails with ``error`` on its ``call``-th use (every file the
    package writes is flushed to disk through it before being renamed into place)."""
    real, count = os.fsync, [0]

    def fsync(fd: int) -> None:
        count[0] += 1
        if count[0] == call:
            raise OSError(error, os.strerror(error))
        real(fd)

    return fsync


@pytest.mark.parametrize("call", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "overwrite"])
def test_a_full_disk_leaves_the_old_run_or_nothing(
    tmp_path: Path,
    call: int,
    existing: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "run"
    if existing:
        assert main(["train", *TINY, "--seed", "1", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()} if existing else None
    monkeypatch.setattr(os, "fsync", _fail_on(call, errno.ENOSPC))
    capsys.readouterr()
    status, err = run_cli(["train", *TINY, "--out", str(out), "--overwrite"], capsys)
    assert status == 1 and "No space left on device" in err
    if existing:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == (["run"] if existing else [])


def test_a_full_disk_during_a_sweep_keeps_the_finished_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    monkeypatch.setattr(os, "fsync", _fail_on(4, errno.ENOSPC))  # the table after run 1
    status, err = run_cli(["sweep", *SWEEP_ARGS, "--out", str(out)], capsys)
    assert status == 1 and "No space left on device" in err
    monkeypatch.undo()
    assert len(load_sweep(out).rows) == 1  # the first run, whole
    status, _ = run_cli(["sweep", *SWEEP_ARGS, "--out", str(out)], capsys)
    assert status == 0 and len(load_sweep(out).rows) == 2


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory nothing can be created in: chmod where that binds (not for root), and
    EACCES injected into os.mkdir/os.open under it either way."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real_mkdir, real_open = os.mkdir, os.open

    def refused(path: object) -> bool:
        return str(path).startswith(str(ro) + os.sep)

    def mkdir(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *args, **kwargs)

    def open_(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused(path) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)
    yield ro
    ro.chmod(0o755)


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_a_read_only_directory_is_one_line(
    read_only: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train", *TINY] if command == "train" else ["sweep", *SWEEP_ARGS]
    status, err = run_cli([*argv, "--out", str(read_only / "out")], capsys)
    assert status == 1 and "Permission denied" in err
    assert list(read_only.iterdir()) == []


# ---------------------------------------------------------------- signals (subprocesses)


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def partial_of(out: Path) -> Path:
    """The temporary directory train builds ``out`` in."""
    wait_for(out.parent)
    deadline = time.monotonic() + 60
    while True:
        found = [
            p
            for p in out.parent.glob(f".{out.name}.*.partial")
            if (p / "config.json").exists()
        ]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "train never started"
        time.sleep(0.02)


LONG = ["--max-episodes", "100000", "--hidden", "8", "--quiet"]


@pytest.mark.parametrize(
    "signals",
    [
        [signal.SIGINT, signal.SIGINT],
        [signal.SIGTERM],
        [signal.SIGTERM, signal.SIGINT, signal.SIGTERM],
    ],
    ids=["sigint-twice", "sigterm", "mixed-three"],
)
def test_interrupted_training_is_a_complete_run(
    tmp_path: Path, signals: list[int]
) -> None:
    out = tmp_path / "run"
    proc = start_cli("train", *LONG, "--out", str(out))
    partial_of(out)
    time.sleep(0.5)  # some episodes
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.05)  # the later ones arrive while the first is being handled
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert (
        "Traceback" not in err and err.count("\n") == 1 and "interrupted: kept" in err
    )
    assert_complete_run(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["episodes"] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_a_run_complete_or_absent(
    tmp_path: Path,
) -> None:
    rng = random.Random(14)
    old = tmp_path / "old"
    assert main(["train", *TINY, "--seed", "5", "--out", str(old)]) == 0
    old_files = {p.name: p.read_bytes() for p in old.iterdir()}
    for k in range(6):
        out = tmp_path / f"run{k}"
        overwrite = k % 2 == 1
        if overwrite:
            shutil.copytree(old, out)
        episodes = rng.choice(["3", "30", "300"])
        proc = start_cli(
            "train",
            "--max-episodes",
            episodes,
            "--batch-size",
            "2",
            "--hidden",
            "3",
            "--quiet",
            "--out",
            str(out),
            *(["--overwrite"] if overwrite else []),
        )
        time.sleep(rng.uniform(0.5, 3.0))  # anywhere from imports to the final rename
        proc.kill()
        proc.communicate()
        assert_complete_or_absent(out)
        if overwrite and out.exists():  # the old run, or the new one, whole
            files = {p.name: p.read_bytes() for p in out.iterdir()}
            new = json.loads(files["summary.json"])["seed"] == 0
            assert new or files == old_files


@pytest.mark.slow
def test_sigkill_during_a_sweep_leaves_every_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = [
        "sweep",
        "--grid",
        "gamma=0.9,0.95,0.99",
        "--seeds",
        "3",
        "--jobs",
        "2",
        "--max-episodes",
        "40",
        "--hidden",
        "3",
        "--quiet",
        "--out",
        str(out),
    ]
    rng = random.Random(14)
    for _ in range(3):
        proc = start_cli(*args)
        time.sleep(rng.uniform(1.0, 4.0))
        proc.kill()
        proc.communicate()
        if (out / "sweep.json").exists():
            with warnings.catch_warnings():
                warnings.simplefilter("error", SweepWarning)  # no damaged file
                load_sweep(out)
    proc = start_cli(*args)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert len(load_sweep(out).rows) == 9


def test_sigterm_twice_on_a_sweep_keeps_the_finished_runs(tmp_path: Path) -> None:
    out = tmp_path / "s"
    proc = start_cli(
        "sweep",
        "--grid",
        "max-episodes=4,100000",
        "--seeds",
        "2",
        "--jobs",
        "2",
        "--hidden",
        "3",
        "--quiet",
        "--out",
        str(out),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            if len(load_sweep(out).rows) >= 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted: kept 2 finished runs" in err
    result = load_sweep(out)
    assert len(result.rows) == 2 and all(r["episodes"] == 4 for r in result.rows)
    assert np.all(np.isfinite(np.concatenate(list(result.returns.values()))))
