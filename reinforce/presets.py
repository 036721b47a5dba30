"""Named starting points for :class:`~reinforce.train.Config`.

=====================  ==================================================================
``default``            the reference post's algorithm and hyperparameters
``fast``               least wall-clock time to solve CartPole-v1: many episodes per update
                       collected on a NumPy-vectorised env, a larger step with Adam
``sample-efficient``   fewest episodes to solve: a learned value baseline, small batches
=====================  ==================================================================

A preset only sets fields; anything passed explicitly overrides it:
``preset("fast", seed=3)``. The benchmark (``make bench``) measures all three.
"""

from __future__ import annotations

from typing import Any

from .train import Config

__all__ = ["PRESETS", "preset"]

#: field values of each preset (fields not listed keep the Config defaults)
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {
        "num_envs": 64,
        "batch_size": 64,
        "optimizer": "adam",
        "lr": 1e-2,
        "baseline": "standardize_batch",
    },
    "sample-efficient": {
        "batch_size": 2,
        "optimizer": "adam",
        "lr": 3e-3,
        "baseline": "value",
    },
}


def preset(name: str, **overrides: Any) -> Config:
    """The :class:`Config` of preset ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}")
    return Config(**{**PRESETS[name], **overrides})
