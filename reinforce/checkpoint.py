"""Saving a trained policy and loading it back exactly.

A checkpoint is two files side by side: ``policy.npz`` (the parameters, float64) and
``policy.json`` (what kind of policy, its sizes, the environment's spaces and the
training config). Loading checks the spaces against the environment it will act in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from .envs import describe_space
from .policies import Policy, policy_from_spec

__all__ = ["load_policy", "save_policy"]

FORMAT_VERSION = 1


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix != ".npz":
        p = p.with_suffix(".npz") if p.suffix else p.with_name(p.name + ".npz")
    return p, p.with_suffix(".json")


def save_policy(
    path: str | Path,
    policy: Policy,
    observation_space: gym.Space,
    action_space: gym.Space,
    config: dict[str, Any] | None = None,
) -> Path:
    """Write ``<path>.npz`` and ``<path>.json``; returns the ``.npz`` path."""
    npz, meta = _paths(path)
    np.savez(npz, **policy.params)  # type: ignore[arg-type]  # numpy's stub misreads **kwargs
    info = {
        "format_version": FORMAT_VERSION,
        "policy": policy.spec(),
        "observation_space": describe_space(observation_space),
        "action_space": describe_space(action_space),
        "config": config,
    }
    meta.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return npz


def load_policy(path: str | Path, env: gym.Env | None = None) -> tuple[Policy, dict[str, Any]]:
    """Load a policy saved by :func:`save_policy`; returns ``(policy, metadata)``.

    If ``env`` is given, its observation and action spaces must equal the saved ones.
    """
    npz, meta = _paths(path)
    if not npz.is_file() or not meta.is_file():
        raise FileNotFoundError(f"no saved policy at {npz} (needs {npz.name} and {meta.name})")
    info = json.loads(meta.read_text(encoding="utf-8"))
    if info.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{meta} has format_version {info.get('format_version')!r}, "
                         f"expected {FORMAT_VERSION}")
    if env is not None:
        for name in ("observation_space", "action_space"):
            have = describe_space(getattr(env, name))
            if have != info[name]:
                raise ValueError(
                    f"the saved policy was trained with {name} {info[name]}, "
                    f"but this environment has {have}"
                )
    with np.load(npz) as data:
        params = {k: data[k] for k in data.files}
    return policy_from_spec(info["policy"], params), info
