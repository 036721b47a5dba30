"""Saving a trained policy and loading it back exactly.

A checkpoint is two files side by side: ``policy.npz`` (the parameters, float64) and
``policy.json`` (what kind of policy, its sizes, the environment's spaces and the
training config). Loading checks the spaces against the environment it will act in.

Both files are written to a temporary name and renamed into place, so a crash never
leaves half a file; a policy with a non-finite weight is refused on the way out and on
the way in. Every problem with a file is a ValueError (FileNotFoundError if it is
missing) whose message names the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import gymnasium as gym
import numpy as np

from .envs import describe_space
from .policies import Policy, policy_from_spec

__all__ = ["NPZ_ERRORS", "atomic_write", "load_policy", "read_json", "save_policy"]

#: What reading a damaged, truncated or foreign ``.npz`` file can raise.
NPZ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    MemoryError,
    zipfile.BadZipFile,
    zlib.error,
)

FORMAT_VERSION = 1


def atomic_write(
    path: Path, write: Callable[[IO[Any]], object], binary: bool = False
) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it into
    place: a reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        f = (
            os.fdopen(fd, "wb")
            if binary
            else os.fdopen(fd, "w", encoding="utf-8", newline="")
        )
        with f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_json(path: Path, what: str = "a JSON object") -> Any:
    """The JSON object in ``path``; ValueError naming the file if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (expected {what})") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory (expected {what})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        problem = "empty file" if not text.strip() else f"invalid JSON ({err})"
        raise ValueError(f"{path}: {problem} (expected {what})") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply (expected {what})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected {what}, got a JSON {type(value).__name__}")
    return value


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix != ".npz":
        p = p.with_suffix(".npz") if p.suffix else p.with_name(p.name + ".npz")
    return p, p.with_suffix(".json")


def check_finite_params(params: dict[str, np.ndarray], where: str) -> None:
    """ValueError naming the first parameter with a NaN or infinite entry."""
    for name, value in params.items():
        if not np.all(np.isfinite(value)):
            bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
            raise ValueError(
                f"{where}: parameter {name!r} has {bad} non-finite "
                "(NaN or infinite) values"
            )


def save_policy(
    path: str | Path,
    policy: Policy,
    observation_space: gym.Space,
    action_space: gym.Space,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write ``<path>.npz`` and ``<path>.json``; returns the ``.npz`` path.

    Refuses (ValueError) a policy with a non-finite weight: it cannot act.
    """
    npz, meta = _paths(path)
    check_finite_params(policy.params, f"cannot save the policy to {npz}")
    info = {
        "format_version": FORMAT_VERSION,
        "policy": policy.spec(),
        "observation_space": describe_space(observation_space),
        "action_space": describe_space(action_space),
        "config": config,
    }
    text = json.dumps(info, indent=2) + "\n"
    # numpy's stub misreads **kwargs
    atomic_write(npz, lambda f: np.savez(f, **policy.params), binary=True)  # type: ignore[arg-type]
    atomic_write(meta, lambda f: f.write(text))
    return npz


def _read_params(npz: Path) -> dict[str, np.ndarray]:
    try:
        with open(npz, "rb") as f:  # ours to close, whatever np.load makes of it
            data = np.load(f, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ValueError("a single array, not an .npz archive")
            with data:
                params = {k: data[k] for k in data.files}
    except NPZ_ERRORS as err:
        problem = (
            "empty file" if npz.stat().st_size == 0 else f"{err}".replace("\n", " ")
        )
        raise ValueError(f"{npz}: not a readable .npz archive ({problem})") from None
    for name, value in params.items():
        if value.dtype.kind not in "fiu":
            raise ValueError(
                f"{npz}: parameter {name!r} is not numeric (dtype {value.dtype})"
            )
    return params


def load_policy(
    path: str | Path, env: gym.Env | None = None
) -> tuple[Policy, dict[str, Any]]:
    """Load a policy saved by :func:`save_policy`; returns ``(policy, metadata)``.

    If ``env`` is given, its observation and action spaces must equal the saved ones.
    A missing file is a FileNotFoundError; an unreadable, inconsistent or non-finite
    one a ValueError naming the file.
    """
    npz, meta = _paths(path)
    if not npz.is_file() or not meta.is_file():
        raise FileNotFoundError(
            f"no saved policy at {npz} (needs {npz.name} and {meta.name})"
        )
    info = read_json(meta, "the policy's description written by save_policy")
    if info.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{meta}: format_version {info.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}"
        )
    for key in ("policy", "observation_space", "action_space"):
        if not isinstance(info.get(key), dict):
            raise ValueError(f"{meta}: {key!r} missing or not an object")
    if env is not None:
        for name in ("observation_space", "action_space"):
            have = describe_space(getattr(env, name))
            if have != info[name]:
                raise ValueError(
                    f"{meta}: the saved policy was trained with {name} {info[name]}, "
                    f"but this environment has {have}"
                )
    params = _read_params(npz)
    numbers = sum(int(np.size(v)) for v in params.values())
    for key, size in info["policy"].items():  # before any allocation of that size
        if (
            key in ("obs_dim", "hidden", "n_actions")
            and isinstance(size, int)
            and size > numbers
        ):
            raise ValueError(
                f"{meta}: {key} {size} cannot fit the {numbers} numbers in {npz.name}"
            )
    try:
        policy = policy_from_spec(info["policy"], params)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        OverflowError,
        MemoryError,
    ) as err:
        raise ValueError(f"{npz}: does not match {meta.name} ({err})") from None
    check_finite_params(policy.params, str(npz))
    return policy, info
