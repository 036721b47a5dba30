"""Figures the book and the command line draw from a training :class:`History`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .train import History

__all__ = ["plot_learning_curve"]


def plot_learning_curve(history: History, ax: Axes | None = None, *, window: int | None = None,
                        label: str | None = None) -> Axes:
    """Per-episode returns (faint) and their rolling mean, with the solved threshold."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    window = history.config.solved_window if window is None else window
    episodes = np.arange(1, history.episodes + 1)
    ax.plot(episodes, history.returns, color="C0", alpha=0.2, linewidth=0.6)
    ax.plot(episodes, history.rolling_mean(window), color="C0", linewidth=1.5,
            label=label or f"{window}-episode rolling mean")
    if history.threshold is not None:
        ax.axhline(history.threshold, color="C2", linestyle="--", linewidth=1,
                   label=f"solved threshold ({history.threshold:g})")
    if history.solved_at is not None:
        ax.axvline(history.solved_at, color="C3", linestyle=":", linewidth=1,
                   label=f"solved at episode {history.solved_at}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_title(f"REINFORCE on {history.config.env_id} (seed {history.config.seed})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax
