"""Figures the book and the command line draw from a training :class:`History` or a sweep.

Each helper draws on the ``ax`` it is given (or a new one) and returns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .checks import choice, integer, is_number
from .history import trailing_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .history import RunHistory
    from .sweep import SweepResult

__all__ = [
    "plot_fraction_solved",
    "plot_learning_curve",
    "plot_learning_curves",
    "plot_sweep",
]


def plot_learning_curve(
    history: RunHistory,
    ax: Axes | None = None,
    *,
    window: int | None = None,
    label: str | None = None,
) -> Axes:
    """Per-episode returns (faint) and their rolling mean, with the solved threshold."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    window = history.config.solved_window if window is None else window
    episodes = np.arange(1, history.episodes + 1)
    ax.plot(episodes, history.returns, color="C0", alpha=0.2, linewidth=0.6)
    ax.plot(
        episodes,
        history.rolling_mean(window),
        color="C0",
        linewidth=1.5,
        label=label or f"{window}-episode rolling mean",
    )
    if history.threshold is not None:
        ax.axhline(
            history.threshold,
            color="C2",
            linestyle="--",
            linewidth=1,
            label=f"solved threshold ({history.threshold:g})",
        )
    if history.solved_at is not None:
        ax.axvline(
            history.solved_at,
            color="C3",
            linestyle=":",
            linewidth=1,
            label=f"solved at episode {history.solved_at}",
        )
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_title(f"REINFORCE on {history.config.env_id} (seed {history.config.seed})")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    return ax


# ---------------------------------------------------------------- many seeds


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 4))[1]


def _common(result: SweepResult, name: str) -> Any:
    """The value of Config field ``name`` shared by a sweep's successful runs, or None."""
    found = {getattr(result.configs[rid], name) for rid in result.returns}
    return found.pop() if len(found) == 1 else None


def _threshold_of(result: SweepResult) -> float | None:
    """The solved threshold of a sweep's successful runs, if they all share one."""
    import gymnasium as gym

    found = set()
    for (
        rid
    ) in result.returns:  # runs that failed may name an environment that does not exist
        config = result.configs[rid]
        t = config.solved_threshold
        if t is None:
            spec = gym.spec(config.env_id)
            t = None if spec.reward_threshold is None else float(spec.reward_threshold)
        found.add(t)
    return found.pop() if len(found) == 1 else None


_AFTER_END = ("hold", "stop")


def _legend_outside(ax: Axes) -> None:
    """The legend to the right of the axes, where it can cover no data."""
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize="small",
    )


def plot_learning_curves(
    curves: SweepResult | Mapping[str, Sequence[np.ndarray]],
    ax: Axes | None = None,
    *,
    window: int | None = None,
    threshold: float | None = None,
    after_end: str = "hold",
) -> Axes:
    """Rolling-mean return against episode: the median across seeds, the quartiles as a band.

    ``curves`` maps a label to the per-episode returns of each seed, a list of (E_i,)
    arrays, or is a :class:`~reinforce.sweep.SweepResult` (one label per grid point;
    ``window`` and ``threshold`` then default to the runs' solved window and
    threshold). ``window`` is otherwise 100.

    Every point of a curve summarises *all* its runs, never only the runs still going
    (whose median rises or dips as good runs stop). Runs stop at different episodes
    (e.g. when solved), so ``after_end`` says what a run counts as after its end:
    ``"hold"`` (default) its last rolling mean, as if it kept that level; ``"stop"``
    nothing: the curve ends where its shortest run ends.
    """
    after_end = choice("after_end", after_end, _AFTER_END)
    if not isinstance(curves, Mapping):
        result = curves
        if threshold is None:
            threshold = _threshold_of(result)
        if window is None:
            window = _common(result, "solved_window")
        curves = {
            result.label(p): result.curves(p) for p in result.points if result.curves(p)
        }
    window = 100 if window is None else window
    window = integer("window", window, low=1)
    ax = _axes(ax)
    for i, (label, runs) in enumerate(curves.items()):
        runs = [trailing_mean(r, window) for r in runs if len(r)]
        if not runs:
            continue
        E = (
            max(r.size for r in runs)
            if after_end == "hold"
            else min(r.size for r in runs)
        )
        table = np.empty((len(runs), E))  # (seeds, E)
        for j, r in enumerate(runs):
            table[j] = (
                r[:E]
                if r.size >= E
                else np.concatenate([r, np.full(E - r.size, r[-1])])
            )
        q25, q50, q75 = np.percentile(
            table, [25, 50, 75], axis=0
        )  # (E,) each, all runs
        episodes = np.arange(1, E + 1)
        color = f"C{i % 10}"
        ax.fill_between(episodes, q25, q75, color=color, alpha=0.25, linewidth=0)
        ax.plot(
            episodes,
            q50,
            color=color,
            linewidth=1.5,
            label=f"{label} ({len(runs)} seeds)",
        )
    if threshold is not None:
        ax.axhline(
            threshold,
            color="0.3",
            linestyle="--",
            linewidth=1,
            label=f"solved threshold ({threshold:g})",
        )
    ax.set_xlabel("episode")
    ax.set_ylabel(f"{window}-episode mean return")
    ax.set_title(
        "median of all seeds, interquartile band"
        + (" (a finished run holds its last value)" if after_end == "hold" else ""),
        fontsize="medium",
    )
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    return ax


def plot_sweep(
    result: SweepResult,
    param: str,
    metric: str = "final_rolling_mean",
    statistic: str = "iqm",
    *,
    rng: np.random.Generator,
    ax: Axes | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
) -> Axes:
    """``statistic`` of ``metric`` across seeds, with a bootstrap CI, against ``param``.

    One line per combination of the sweep's other parameters. Numeric values of
    ``param`` are placed at their values, others (e.g. baseline names) side by side.
    Each seed is drawn as a faint dot.
    """
    if param not in result.params:
        raise ValueError(
            f"param must be one of the grid parameters {list(result.params)}, "
            f"got {param!r}"
        )
    ax = _axes(ax)
    values = list(dict.fromkeys(p[param] for p in result.points))
    numeric = all(is_number(v) for v in values)
    position = {v: (float(v) if numeric else float(i)) for i, v in enumerate(values)}
    groups: dict[str, list[tuple[float, Any, np.ndarray]]] = {}
    for point, est in result.aggregate(
        metric, statistic, rng=rng, n_boot=n_boot, confidence=confidence
    ):
        rest = {k: v for k, v in point.items() if k != param}
        groups.setdefault(result.label(rest) if rest else "", []).append(
            (position[point[param]], est, result.metric(metric, point))
        )
    for i, (label, items) in enumerate(groups.items()):
        color = f"C{i % 10}"
        x = np.array([it[0] for it in items])
        y = np.array([it[1].value for it in items])
        err = np.array(
            [
                [it[1].value - it[1].low for it in items],
                [it[1].high - it[1].value for it in items],
            ]
        )
        for xi, _, seeds in items:
            ax.plot(
                np.full(seeds.size, xi),
                seeds,
                "o",
                color=color,
                alpha=0.25,
                markersize=3,
            )
        ax.errorbar(
            x,
            y,
            yerr=err,
            color=color,
            marker="o",
            capsize=4,
            label=label or f"{statistic}, {confidence:.0%} CI",
        )
    if not numeric:
        ax.set_xticks([position[v] for v in values], [str(v) for v in values])
    ax.set_xlabel(param)
    ax.set_ylabel(f"{metric} ({statistic})")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    return ax


Rows = Sequence[Mapping[str, Any]]

_SOLVE_AXES = {"episodes": "episode", "env_steps": "environment step"}


def _solve_times(rows: Rows, x: str) -> tuple[list[Any], list[float]]:
    """(solved_at, last time) of each run, on the ``x`` axis (episodes or env steps)."""
    if x == "episodes":
        return [r["solved_at"] for r in rows], [r["episodes"] for r in rows]
    if any(
        r["solved_at"] is not None and r["solved_at"] != r["episodes"] for r in rows
    ):
        raise ValueError(
            "x='env_steps' needs runs that stopped when they solved "
            "(stop_when_solved=True): env_steps is counted at the stop"
        )
    return (
        [None if r["solved_at"] is None else r["env_steps"] for r in rows],
        [r["env_steps"] for r in rows],
    )


def plot_fraction_solved(
    result: SweepResult | Mapping[str, Rows],
    ax: Axes | None = None,
    *,
    x: str = "episodes",
    confidence: float | None = 0.95,
) -> Axes:
    """Kaplan–Meier fraction of runs solved against episode (or env step), one step
    curve per group: a survival curve, read upside down.

    ``result`` is a :class:`~reinforce.sweep.SweepResult` (one curve per grid point) or
    maps a label to sweep rows (dicts with ``solved_at``, ``episodes``, ``env_steps``).
    ``x="env_steps"`` puts the environment steps at the solve on the x axis.
    Unsolved runs count as not solved until they stopped (censored), so a curve that
    never reaches 1 shows the runs that failed; it ends at the longest run. When every
    unsolved run lasted the whole budget (no censoring before it), the fraction solved
    by t is a plain proportion, and its Wilson interval is drawn as a band
    (``confidence=None``: no band). In environment steps the unsolved runs stop at
    different step counts, and the failing ones early (short episodes), so the curve
    is the plain fraction of all runs solved and stops at the fewest steps any
    unsolved run used (:func:`reinforce.stats.truncate_at_first_censoring`).
    """
    from .stats import kaplan_meier, truncate_at_first_censoring, wilson

    x = choice("x", x, tuple(_SOLVE_AXES))
    groups = (
        result
        if isinstance(result, Mapping)
        else {result.label(point): result.select(point) for point in result.points}
    )
    ax = _axes(ax)
    for i, (label, rows) in enumerate(groups.items()):
        if not rows:
            continue
        solved_at, last = _solve_times(rows, x)
        if x != "episodes":  # censoring in steps depends on the outcome: stop at it
            cut, used = truncate_at_first_censoring(solved_at, last)
            solved_at = [None if np.isnan(s) else float(s) for s in cut]
            last = [float(u) for u in used]
        t, F = kaplan_meier(solved_at, last)
        horizon = max(last)
        xs = np.concatenate([[0], t, [horizon]])
        ys = np.concatenate([[0.0], F, [F[-1] if F.size else 0.0]])
        n_solved = sum(r["solved_at"] is not None for r in rows)
        color = f"C{i % 10}"
        ax.step(
            xs,
            ys,
            where="post",
            color=color,
            label=f"{label} ({n_solved}/{len(rows)} solved)",
        )
        common_budget = all(
            e == horizon for s, e in zip(solved_at, last, strict=True) if s is None
        )
        if confidence is not None and common_budget:
            n = len(rows)
            bands = [wilson(round(f * n), n, confidence=confidence) for f in ys]
            ax.fill_between(
                xs,
                [b.low for b in bands],
                [b.high for b in bands],
                step="post",
                color=color,
                alpha=0.15,
                linewidth=0,
            )
    ax.axhline(0.5, color="0.5", linestyle=":", linewidth=1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(_SOLVE_AXES[x])
    if x == "env_steps":  # "250k", not "250000": long tick labels collide
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k"))
    ax.set_ylabel("fraction of runs solved")
    if confidence is not None:
        ax.set_title(f"band: {confidence:.0%} Wilson interval", fontsize="medium")
    ax.grid(True, alpha=0.3)
    _legend_outside(ax)
    return ax
