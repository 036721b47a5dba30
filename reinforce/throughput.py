"""How fast populations train: environment steps per second against population size.

:func:`population_throughput` times :func:`reinforce.train_population` on K copies of
one configuration (seeds 0 … K−1) for each K, and :func:`plot_throughput` draws the
result; the Performance appendix uses both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .config import Config
from .population import train_population
from .train import train

__all__ = ["plot_throughput", "population_throughput", "train_throughput"]


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    out = [int(k) for k in sizes]
    if not out or any(k < 1 or k != s for k, s in zip(out, sizes, strict=True)):
        raise ValueError(f"sizes must be integers >= 1, got {list(sizes)!r}")
    return out


def population_throughput(
    config: Config, sizes: Sequence[int], *, repeats: int = 1
) -> np.ndarray:
    """Environment steps per second of a population of K copies of ``config`` (seeds
    0 … K−1), for each K in ``sizes``: the best of ``repeats`` timings. (len(sizes),)"""
    rates = []
    for K in _check_sizes(sizes):
        best = 0.0
        for _ in range(repeats):
            start = time.perf_counter()
            histories = train_population([config.replace(seed=s) for s in range(K)])
            seconds = time.perf_counter() - start
            best = max(best, sum(h.env_steps for h in histories) / seconds)
        rates.append(best)
    return np.array(rates)


def train_throughput(config: Config, *, repeats: int = 1) -> float:
    """Environment steps per second of one :func:`reinforce.train` run of ``config``."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        history = train(config)
        best = max(best, history.env_steps / (time.perf_counter() - start))
    return best


def plot_throughput(
    sizes: Sequence[int],
    rates: Sequence[float],
    *,
    single: float | None = None,
    ax: Any = None,
    label: str = "train_population",
) -> Any:
    """Steps per second against population size (log–log), with one ``train`` run's
    rate as a dashed line if ``single`` is given. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.loglog(sizes, rates, "o-", label=label)
    if single is not None:
        ax.axhline(single, color="C1", linestyle="--", label="one train run")
    ax.set_xlabel("population size K (runs trained together)")
    ax.set_ylabel("environment steps per second")
    ax.set_xticks(list(sizes), [str(k) for k in sizes])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
