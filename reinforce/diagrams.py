"""Conceptual figures the book draws at build time: pictures of ideas, not of results.

Each function draws on the axes it is given (or new ones) and returns them, like the helpers
in :mod:`reinforce.plotting`. Nothing here trains anything; :func:`plot_reinforce_update`
computes its numbers with the package's own :func:`~reinforce.credit.reward_to_go` and
:func:`~reinforce.baselines.standardize`, so the picture is the code's arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .baselines import standardize
from .credit import reward_to_go

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "chapter_levels",
    "plot_agent_environment_loop",
    "plot_chapter_map",
    "plot_policy_network",
    "plot_reinforce_update",
]

FORWARD = "0.25"  # colour of the forward pass and of plain arrows
BACKWARD = "C3"  # colour of the backward pass
BOX = {"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.3"}


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def _canvas(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """A blank drawing area with equal units on both axes."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    color: str = FORWARD,
    rad: float = 0.0,
    **kw: Any,
) -> None:
    """An arrow from ``start`` to ``end`` (an annotation without text)."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "linewidth": 1.3,
            "shrinkA": 0,
            "shrinkB": 0,
            "connectionstyle": f"arc3,rad={rad}",
            **kw,
        },
    )


# ------------------------------------------------------------------ the chapter map


def chapter_levels(prerequisites: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Depth of every chapter in the dependency graph: 0 without prerequisites, else one more
    than its deepest prerequisite. Raises ``ValueError`` for an unknown prerequisite or a cycle.
    """
    for name, needs in prerequisites.items():
        unknown = [n for n in needs if n not in prerequisites]
        if unknown:
            raise ValueError(f"prerequisites of {name!r} are not chapters: {unknown}")
    levels: dict[str, int] = {}

    def level(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(
                f"prerequisites form a cycle: {' -> '.join((*path, name))}"
            )
        if name not in levels:
            needs = prerequisites[name]
            levels[name] = 1 + max((level(n, (*path, name)) for n in needs), default=-1)
        return levels[name]

    for name in prerequisites:
        level(name, ())
    return levels


def plot_chapter_map(
    prerequisites: Mapping[str, Sequence[str]], ax: Axes | None = None
) -> Axes:
    """Chapters as boxes in rows by :func:`chapter_levels`, an arrow from each prerequisite.

    ``prerequisites`` maps a chapter's short title to the titles it builds on, in reading
    order; within a row the boxes keep that order.
    """
    levels = chapter_levels(prerequisites)
    rows: dict[int, list[str]] = {}
    for name in prerequisites:
        rows.setdefault(levels[name], []).append(name)
    ax = _axes(ax, (10, 1.1 * len(rows) + 0.5))
    gap = 3.0  # horizontal distance between neighbouring boxes
    pos: dict[str, tuple[float, float]] = {}
    for depth in sorted(rows):
        names = rows[depth]
        # each box wants to sit under the mean of its prerequisites (reading order breaks ties)
        want = [
            float(np.mean([pos[n][0] for n in prerequisites[name]]))
            if prerequisites[name]
            else gap * (i - (len(names) - 1) / 2)
            for i, name in enumerate(names)
        ]
        order = sorted(range(len(names)), key=lambda i: want[i])  # stable
        row = [want[i] for i in order]
        for k in range(1, len(row)):  # push apart, left to right
            row[k] = max(row[k], row[k - 1] + gap)
        shift = float(np.mean(want) - np.mean(row))  # keep the row's centre
        for k, i in enumerate(order):
            pos[names[i]] = (row[k] + shift, -1.1 * depth)
    for name, needs in prerequisites.items():
        for need in needs:
            (x0, y0), (x1, y1) = pos[need], pos[name]
            _arrow(ax, (x0, y0 - 0.25), (x1, y1 + 0.25), color="0.55")
    for name, (x, y) in pos.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=9, bbox=BOX, zorder=3)
    xs = [x for x, _ in pos.values()]
    ax.set_xlim(min(xs) - 0.5 * gap, max(xs) + 0.5 * gap)
    ax.set_ylim(-1.1 * max(rows) - 0.6, 0.6)
    ax.axis("off")
    return ax


# ------------------------------------------------------------------ the agent and its world


def plot_agent_environment_loop(ax: Axes | None = None) -> Axes:
    """The agent-environment loop: the policy picks an action, the environment answers with a
    reward and the next state, and the loop repeats until the episode ends.
    """
    ax = _axes(ax, (7, 3.2))
    _canvas(ax, (0, 10), (0, 4.6))
    ax.text(
        5,
        3.7,
        "agent\npolicy $\\pi_\\theta(a \\mid s)$",
        ha="center",
        va="center",
        fontsize=11,
        bbox=BOX,
    )
    ax.text(
        5,
        0.9,
        "environment\n$P(s' \\mid s, a)$, $R(s, a)$",
        ha="center",
        va="center",
        fontsize=11,
        bbox=BOX,
    )
    _arrow(ax, (6.9, 3.7), (6.9, 0.9), rad=-0.6)
    ax.text(
        8.7,
        2.3,
        "action $a_t$\n(drawn at random)",
        ha="center",
        va="center",
        fontsize=10,
    )
    _arrow(ax, (3.1, 0.9), (3.1, 3.7), rad=-0.6)
    ax.text(
        1.3,
        2.3,
        "reward $r_t$\nnext state $s_{t+1}$",
        ha="center",
        va="center",
        fontsize=10,
    )
    ax.text(
        5,
        2.3,
        "$t \\to t + 1$ until the episode\nends (fails or times out)",
        ha="center",
        va="center",
        fontsize=9,
        color="0.35",
    )
    return ax


def plot_policy_network(
    ax: Axes | None = None, *, n_inputs: int = 4, n_hidden: int = 5
) -> Axes:
    """The Bernoulli policy network (eq-forward) with its backward pass (eq-backward).

    Grey: the forward pass s → h = max(0, W₁s) → z = w₂ᵀh → p = σ(z). Red: the backward pass,
    the weighted score δ = w (a − p) at the logit carried back to w₂ and W₁.
    ``n_hidden`` units stand for the network's H.
    """
    if n_inputs < 1 or n_hidden < 1:
        raise ValueError(
            f"n_inputs and n_hidden must be >= 1, got {n_inputs}, {n_hidden}"
        )
    from matplotlib.patches import Circle

    ax = _axes(ax, (9, 4.8))
    _canvas(ax, (-1.2, 11.2), (-2.6, 4.4))

    def column(x: float, n: int) -> list[tuple[float, float]]:
        return [
            (x, 1.0 - 2.8 * (i - (n - 1) / 2) / max(n - 1, 1)) for i in range(n)
        ]  # top down

    inputs, hidden = column(0.5, n_inputs), column(4.0, n_hidden)
    z_at, p_at = (7.0, 1.0), (9.5, 1.0)
    for a in inputs:
        for b in hidden:
            ax.plot([a[0], b[0]], [a[1], b[1]], color="0.75", linewidth=0.7, zorder=1)
    for b in hidden:
        ax.plot([b[0], z_at[0]], [b[1], z_at[1]], color="0.6", linewidth=0.9, zorder=1)
    ax.plot(
        [z_at[0], p_at[0]], [z_at[1], p_at[1]], color="0.6", linewidth=0.9, zorder=1
    )
    for x, y in [*inputs, *hidden, z_at, p_at]:
        ax.add_patch(
            Circle((x, y), 0.28, facecolor="white", edgecolor=FORWARD, zorder=2)
        )
    for i, (x, y) in enumerate(inputs):
        ax.text(x - 0.45, y, f"$s_{i + 1}$", ha="right", va="center", fontsize=10)
    ax.text(z_at[0], z_at[1], "$z$", ha="center", va="center", fontsize=10, zorder=3)
    ax.text(p_at[0], p_at[1], "$p$", ha="center", va="center", fontsize=10, zorder=3)
    ax.text(0.5, 3.7, "state $s$", ha="center", fontsize=10)
    ax.text(4.0, 3.7, "hidden $h = \\max(0, W_1 s)$", ha="center", fontsize=10)
    ax.text(7.0, 2.0, "logit\n$z = w_2^\\top h$", ha="center", fontsize=10)
    ax.text(
        9.5,
        2.0,
        "$p = \\sigma(z)$\n$= \\pi_\\theta(1 \\mid s)$",
        ha="center",
        fontsize=10,
    )
    ax.text(2.25, 2.8, "$W_1$", ha="center", fontsize=10, color=FORWARD)
    ax.text(5.6, 2.3, "$w_2$", ha="center", fontsize=10, color=FORWARD)
    _arrow(ax, (0.2, 4.25), (9.8, 4.25))
    ax.text(
        5, 4.32, "forward pass", ha="center", va="bottom", fontsize=9, color=FORWARD
    )
    # the backward pass, right to left, below the network
    _arrow(ax, (9.5, 0.6), (7.3, -0.9), color=BACKWARD, rad=-0.2)
    ax.text(
        9.3,
        -1.0,
        "$\\delta = w\\,(a - p)$",
        ha="center",
        va="top",
        fontsize=10,
        color=BACKWARD,
    )
    _arrow(ax, (7.0, -0.9), (4.3, -0.9), color=BACKWARD)
    ax.text(
        5.65,
        -1.05,
        "$\\partial L / \\partial w_2 = \\delta\\, h$",
        ha="center",
        va="top",
        fontsize=10,
        color=BACKWARD,
    )
    _arrow(ax, (4.0, -0.9), (0.8, -0.9), color=BACKWARD)
    ax.text(
        2.4,
        -1.05,
        "$\\partial L / \\partial W_1 = "
        "(\\delta\\, w_2 \\odot \\mathbb{1}[h > 0])\\, s^\\top$",
        ha="center",
        va="top",
        fontsize=10,
        color=BACKWARD,
    )
    ax.text(5, -2.2, "backward pass", ha="center", fontsize=9, color=BACKWARD)
    return ax


# ------------------------------------------------------------------ the update as a picture


def plot_reinforce_update(
    rewards: Sequence[float] | np.ndarray,
    gamma: float,
    axes: Sequence[Axes] | None = None,
) -> Sequence[Axes]:
    """One episode's way through REINFORCE, on three stacked axes: the rewards r_t, the
    reward-to-go G_t (:func:`reward_to_go`) and the per-episode standardised advantage A_t
    (:func:`standardize`, the package's default baseline), which multiplies ∇ log π(a_t | s_t).
    """
    r = np.asarray(rewards, dtype=np.float64)
    G = reward_to_go(r, gamma)
    A = standardize(G)
    if axes is None:
        import matplotlib.pyplot as plt

        axes = plt.subplots(3, 1, figsize=(8, 5.5), sharex=True)[1]
    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 axes, got {len(axes)}")
    t = np.arange(r.size)
    ax_r, ax_g, ax_a = axes
    ax_r.bar(t, r, color="0.5", width=0.8)
    ax_r.set_ylabel("reward $r_t$")
    ax_g.bar(t, G, color="C0", width=0.8)
    ax_g.set_ylabel("reward-to-go\n$G_t$")
    colours = np.where(A > 0, "C2", "C3")
    ax_a.bar(t, A, color=colours, width=0.8)
    ax_a.axhline(0.0, color="0.3", linewidth=0.8)
    ax_a.set_ylabel("advantage\n$A_t$")
    ax_a.set_xlabel("step $t$ of the episode")
    top, bottom = A.max(initial=0.0), A.min(initial=0.0)
    margin = 0.35 * (top - bottom) if top > bottom else 1.0  # room for the two notes
    ax_a.text(
        0.01,
        0.97,
        "$A_t > 0$: make $a_t$ more likely",
        transform=ax_a.transAxes,
        ha="left",
        va="top",
        fontsize=9,
        color="C2",
    )
    ax_a.text(
        0.99,
        0.03,
        "$A_t < 0$: make $a_t$ less likely",
        transform=ax_a.transAxes,
        ha="right",
        va="bottom",
        fontsize=9,
        color="C3",
    )
    ax_a.set_ylim(bottom - margin, top + margin)
    for ax in axes:
        ax.grid(True, axis="y", alpha=0.3)
    return axes
