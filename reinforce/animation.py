r"""Drawing a CartPole from its state vector, and animating a recorded episode.

CartPole's observation is the whole state, s = [x, ẋ, θ, θ̇], so a picture of the
system needs nothing but the observations an :class:`~reinforce.Episode` recorded —
no ``render_mode``, no pygame::

                 tip = (x + L sin θ, y₀ + L cos θ)
                  o
                 /   θ: angle from the vertical, > 0 leaning right
                /    L: pole length (Gymnasium: 2 × 0.5)
          +----/----+
          |  cart   |  centred on x, pivot at height y₀
          +---------+
    ===|===========|============|===  track, |x| ≤ 2.4 (episode ends outside)
     -2.4          0           2.4

Only matplotlib is used; :func:`animate_cartpole` returns a ``FuncAnimation`` whose
``to_jshtml()`` embeds in a web page (:func:`cartpole_html` does both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

__all__ = ["CartPoleDrawing", "animate_cartpole", "cartpole_html", "draw_cartpole", "frame_steps",
           "pole_tip"]

#: Gymnasium's CartPole geometry: full pole length 2 × 0.5 and the track limit |x| ≤ 2.4
POLE_LENGTH = 1.0
X_LIMIT = 2.4
CART_WIDTH = 0.5
CART_HEIGHT = 0.3


def _states(states: np.ndarray) -> np.ndarray:
    s = np.asarray(states, dtype=np.float64)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] != 4 or s.shape[0] == 0:
        raise ValueError(f"CartPole states must have shape (4,) or (T, 4), T >= 1; got {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("CartPole states must be finite")
    return s


def pole_tip(state: np.ndarray, pole_length: float = POLE_LENGTH) -> tuple[float, float]:
    """Where the tip of the pole is for ``state`` (4,), with the pivot at height 0."""
    x, _, theta, _ = _states(state)[0]
    return float(x + pole_length * np.sin(theta)), float(pole_length * np.cos(theta))


@dataclass
class CartPoleDrawing:
    """The matplotlib artists of one cart and pole; :meth:`update` moves them."""

    ax: Axes
    cart: Rectangle
    pole: Line2D
    label: Text
    pole_length: float = POLE_LENGTH

    def update(self, state: np.ndarray, label: str = "") -> None:
        """Redraw for ``state`` (4,) = [x, ẋ, θ, θ̇]; ``label`` goes in the corner."""
        x = float(_states(state)[0, 0])
        tip_x, tip_y = pole_tip(state, self.pole_length)
        self.cart.set_x(x - CART_WIDTH / 2)
        self.pole.set_data([x, tip_x], [0.0, tip_y])
        self.label.set_text(label)


def draw_cartpole(ax: Axes, state: np.ndarray, *, pole_length: float = POLE_LENGTH,
                  label: str = "") -> CartPoleDrawing:
    """Draw the track, the cart and the pole for ``state`` (4,) on ``ax``."""
    from matplotlib.patches import Rectangle

    if not (np.isfinite(pole_length) and pole_length > 0):
        raise ValueError(f"pole_length must be finite and > 0, got {pole_length!r}")
    ax.set_xlim(-X_LIMIT - 0.3, X_LIMIT + 0.3)
    ax.set_ylim(-CART_HEIGHT - 0.2, pole_length + 0.2)
    ax.set_aspect("equal")
    ax.set_yticks([])
    ax.set_xticks([-X_LIMIT, 0.0, X_LIMIT])
    ax.axhline(-CART_HEIGHT / 2, color="0.5", linewidth=1)  # the track
    for edge in (-X_LIMIT, X_LIMIT):  # leaving the track ends the episode
        ax.axvline(edge, color="C3", linestyle=":", linewidth=1)
    cart = Rectangle((0.0, -CART_HEIGHT / 2), CART_WIDTH, CART_HEIGHT, color="0.25")
    ax.add_patch(cart)
    (pole,) = ax.plot([], [], color="C1", linewidth=4, solid_capstyle="round")
    text = ax.text(0.02, 0.95, "", transform=ax.transAxes, va="top", fontsize=9)
    drawing = CartPoleDrawing(ax=ax, cart=cart, pole=pole, label=text, pole_length=pole_length)
    drawing.update(state, label)
    return drawing


def frame_steps(T: int, every: int) -> np.ndarray:
    """The steps an animation of T states shows: 0, every, 2·every, … and always T − 1."""
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be an integer >= 1, got {T!r}")
    steps = np.arange(0, T, every)
    return steps if steps[-1] == T - 1 else np.append(steps, T - 1)  # end on the final state


def animate_cartpole(states: np.ndarray, *, every: int = 1, interval: int = 40,
                     figsize: tuple[float, float] = (6.0, 2.4), dpi: int = 72,
                     title: str | None = None) -> FuncAnimation:
    """An animation of a recorded episode: one frame per ``every`` rows of ``states`` (T, 4).

    The last state is always shown, so a failure is visible. ``interval`` is the time
    between frames in milliseconds. The figure stays open; for a web page use
    :func:`cartpole_html`, which renders the animation and closes its figure.
    """
    return _animation(states, every, interval, figsize, dpi, title)[1]


def _animation(states: np.ndarray, every: int, interval: int, figsize: tuple[float, float],
               dpi: int, title: str | None) -> tuple[Figure, FuncAnimation]:
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    s = _states(states)  # (T, 4)
    steps = frame_steps(s.shape[0], every)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    if title:
        ax.set_title(title, fontsize=10)
    drawing = draw_cartpole(ax, s[0])
    fig.tight_layout()

    def frame(i: int) -> tuple[Rectangle, Line2D, Text]:
        t = int(steps[i])
        drawing.update(s[t], f"step {t + 1} / {s.shape[0]}")
        return drawing.cart, drawing.pole, drawing.label

    return fig, FuncAnimation(fig, frame, frames=len(steps), interval=interval, blit=False)


#: matplotlib's player links the Font Awesome stylesheet for its button icons from a CDN
_EXTERNAL_STYLESHEET = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*"\s*/?>\s*')


def cartpole_html(states: np.ndarray, *, offline: bool = True, every: int = 1,
                  interval: int = 40, figsize: tuple[float, float] = (6.0, 2.4), dpi: int = 72,
                  title: str | None = None) -> str:
    """:func:`animate_cartpole` rendered as self-contained HTML: a JavaScript player with
    the PNG frames inlined. The figure is closed so a notebook does not show it twice.

    With ``offline`` (for the book, whose theme has its own Font Awesome) the player's
    link to a CDN stylesheet is removed, so the page makes no request to another site;
    pass ``offline=False`` in a plain notebook to keep the icons on the buttons. The other
    arguments are those of :func:`animate_cartpole`.
    """
    import matplotlib.pyplot as plt

    fig, anim = _animation(states, every, interval, figsize, dpi, title)
    try:
        html = anim.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    return _EXTERNAL_STYLESHEET.sub("", html) if offline else html
