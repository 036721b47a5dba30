"""Named starting points for :class:`~reinforce.train.Config`.

=====================  ==================================================================
``default``            the reference post's algorithm and hyperparameters
``fast``               least wall-clock time to solve CartPole-v1: 16 episodes per update
                       played at once on a NumPy-vectorised env, Adam with a large step
``sample-efficient``   fewest episodes to solve: batches of 8 and a learned value baseline
=====================  ==================================================================

A preset only sets fields; anything passed explicitly overrides it:
``preset("fast", seed=3)``. The benchmark (``make bench``) measures all three.
The values were chosen by a small search on CartPole-v1 (20 seeds per candidate,
episodes to solve and wall time); on other tasks they are only a starting point.
"""

from __future__ import annotations

from typing import Any

from .train import Config

__all__ = ["PRESETS", "preset"]

#: field values of each preset (fields not listed keep the Config defaults)
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    # 16 episodes per update, all played at once on Gymnasium's NumPy-vectorised CartPole,
    # standardised over the batch, and Adam with a step 60× the post's
    "fast": {
        "num_envs": 16,
        "batch_size": 16,
        "optimizer": "adam",
        "lr": 0.06,
        "baseline": "standardize_batch",
    },
    # small batches and a learned value baseline V(s): the fewest episodes to solve
    "sample-efficient": {
        "num_envs": 8,
        "batch_size": 8,
        "optimizer": "adam",
        "lr": 0.05,
        "baseline": "value",
    },
}

def preset(name: str, **overrides: Any) -> Config:
    """The :class:`Config` of preset ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}")
    return Config(**{**PRESETS[name], **overrides})
