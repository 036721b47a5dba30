r"""Drawing a cart-pole from its state vector, and animating a recorded episode.

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

MuJoCo's InvertedPendulum is the same system with other sizes and its observation in
another order, s = [x, θ, ẋ, θ̇]. A :class:`CartPoleGeometry` says which entries are x
and θ, how long the pole is and where the track ends; every function here takes one
(``geometry=``), CartPole's by default:

=====================  ==============  ======  =======  ==============================
geometry               observation     L       track    at the end of the track
=====================  ==============  ======  =======  ==============================
``CARTPOLE``           [x, ẋ, θ, θ̇]    1.0     ±2.4     the episode ends
``INVERTED_PENDULUM``  [x, θ, ẋ, θ̇]    0.6     ±1.0     the cart stops (a joint limit)
=====================  ==============  ======  =======  ==============================

In both, θ is in radians and positive with the tip towards +x. Only matplotlib is used;
:func:`animate_cartpole` returns a ``FuncAnimation`` whose ``to_jshtml()`` embeds in a
web page (:func:`cartpole_html` does both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .checks import integer, is_integer, positive

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

__all__ = [
    "CARTPOLE",
    "INVERTED_PENDULUM",
    "CartPoleDrawing",
    "CartPoleGeometry",
    "animate_cartpole",
    "cartpole_html",
    "draw_cartpole",
    "frame_steps",
    "pole_tip",
]


@dataclass(frozen=True)
class CartPoleGeometry:
    """Where a cart-pole's state sits in its observation, and the sizes to draw it at."""

    name: str
    """The system's name, used in error messages."""
    x_index: int
    """Column of the observation holding the cart position x."""
    theta_index: int
    """Column holding the pole angle θ (radians from the vertical, > 0 towards +x)."""
    pole_length: float
    """L, from the pivot to the tip."""
    x_limit: float
    """The track ends at ±x_limit."""
    obs_dim: int = 4
    """Length of the observation vector."""
    cart_width: float = 0.5
    cart_height: float = 0.3

    def __post_init__(self) -> None:
        integer("obs_dim", self.obs_dim, low=2)
        for name in ("x_index", "theta_index"):
            value = getattr(self, name)
            if not (is_integer(value) and 0 <= value < self.obs_dim):
                raise ValueError(
                    f"{name} must be an integer in [0, {self.obs_dim}), got {value!r}"
                )
        if self.x_index == self.theta_index:
            raise ValueError(
                f"x_index and theta_index must differ, got {self.x_index} twice"
            )
        for name in ("pole_length", "x_limit", "cart_width", "cart_height"):
            positive(name, getattr(self, name))


#: Gymnasium's CartPole: full pole length 2 × 0.5; leaving |x| ≤ 2.4 ends the episode
CARTPOLE = CartPoleGeometry(
    name="CartPole", x_index=0, theta_index=2, pole_length=1.0, x_limit=2.4
)
#: Gymnasium's MuJoCo InvertedPendulum: a 0.6 pole on a rail of ±1 (a joint limit there)
INVERTED_PENDULUM = CartPoleGeometry(
    name="InvertedPendulum",
    x_index=0,
    theta_index=1,
    pole_length=0.6,
    x_limit=1.0,
    cart_width=0.2,
    cart_height=0.12,
)


def _states(states: np.ndarray, geometry: CartPoleGeometry) -> np.ndarray:
    if not isinstance(geometry, CartPoleGeometry):
        raise TypeError(f"geometry must be a CartPoleGeometry, got {geometry!r}")
    s = np.asarray(states, dtype=np.float64)
    if s.ndim == 1:
        s = s[None, :]
    D = geometry.obs_dim
    if s.ndim != 2 or s.shape[1] != D or s.shape[0] == 0:
        raise ValueError(
            f"{geometry.name} states must have shape ({D},) or (T, {D}), T >= 1; "
            f"got {s.shape}"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{geometry.name} states must be finite")
    return s


def pole_tip(
    state: np.ndarray, geometry: CartPoleGeometry = CARTPOLE
) -> tuple[float, float]:
    """Where the tip of the pole is for one ``state`` (D,), with the pivot at height 0."""
    s = _states(state, geometry)[0]
    x, theta, L = s[geometry.x_index], s[geometry.theta_index], geometry.pole_length
    return float(x + L * np.sin(theta)), float(L * np.cos(theta))


@dataclass
class CartPoleDrawing:
    """The matplotlib artists of one cart and pole; :meth:`update` moves them."""

    ax: Axes
    cart: Rectangle
    pole: Line2D
    label: Text
    geometry: CartPoleGeometry = CARTPOLE

    def update(self, state: np.ndarray, label: str = "") -> None:
        """Redraw for one ``state`` (D,); ``label`` goes in the corner."""
        g = self.geometry
        x = float(_states(state, g)[0, g.x_index])
        tip_x, tip_y = pole_tip(state, g)
        self.cart.set_x(x - g.cart_width / 2)
        self.pole.set_data([x, tip_x], [0.0, tip_y])
        self.label.set_text(label)


def draw_cartpole(
    ax: Axes,
    state: np.ndarray,
    *,
    geometry: CartPoleGeometry = CARTPOLE,
    label: str = "",
) -> CartPoleDrawing:
    """Draw the track, the cart and the pole for one ``state`` (D,) on ``ax``."""
    from matplotlib.patches import Rectangle

    g = geometry
    _states(state, g)  # checked before anything is drawn
    margin = 0.125 * g.x_limit
    ax.set_xlim(-g.x_limit - margin, g.x_limit + margin)
    ax.set_ylim(-g.cart_height - 0.2 * g.pole_length, 1.2 * g.pole_length)
    ax.set_aspect("equal")
    ax.set_yticks([])
    ax.set_xticks([-g.x_limit, 0.0, g.x_limit])
    ax.axhline(-g.cart_height / 2, color="0.5", linewidth=1)  # the track
    for edge in (-g.x_limit, g.x_limit):  # the end of the track
        ax.axvline(edge, color="C3", linestyle=":", linewidth=1)
    cart = Rectangle(
        (0.0, -g.cart_height / 2), g.cart_width, g.cart_height, color="0.25"
    )
    ax.add_patch(cart)
    (pole,) = ax.plot([], [], color="C1", linewidth=4, solid_capstyle="round")
    text = ax.text(0.02, 0.95, "", transform=ax.transAxes, va="top", fontsize=9)
    drawing = CartPoleDrawing(ax=ax, cart=cart, pole=pole, label=text, geometry=g)
    drawing.update(state, label)
    return drawing


def frame_steps(T: int, every: int) -> np.ndarray:
    """The steps an animation of T states shows: 0, every, 2·every, … and always T − 1."""
    integer("every", every, low=1)
    integer("T", T, low=1)
    steps = np.arange(0, T, every)
    return (
        steps if steps[-1] == T - 1 else np.append(steps, T - 1)
    )  # end on the final state


def animate_cartpole(
    states: np.ndarray,
    *,
    geometry: CartPoleGeometry = CARTPOLE,
    every: int = 1,
    interval: int = 40,
    figsize: tuple[float, float] = (6.0, 2.4),
    dpi: int = 72,
    title: str | None = None,
) -> FuncAnimation:
    """An animation of a recorded episode: one frame per ``every`` rows of ``states`` (T, D).

    The last state is always shown, so a failure is visible. ``interval`` is the time
    between frames in milliseconds. The figure stays open; for a web page use
    :func:`cartpole_html`, which renders the animation and closes its figure.
    """
    return _animation(states, geometry, every, interval, figsize, dpi, title)[1]


def _animation(
    states: np.ndarray,
    geometry: CartPoleGeometry,
    every: int,
    interval: int,
    figsize: tuple[float, float],
    dpi: int,
    title: str | None,
) -> tuple[Figure, FuncAnimation]:
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    s = _states(states, geometry)  # (T, D)
    steps = frame_steps(s.shape[0], every)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    if title:
        ax.set_title(title, fontsize=10)
    drawing = draw_cartpole(ax, s[0], geometry=geometry)
    fig.tight_layout()

    def frame(i: int) -> tuple[Rectangle, Line2D, Text]:
        t = int(steps[i])
        drawing.update(s[t], f"step {t + 1} / {s.shape[0]}")
        return drawing.cart, drawing.pole, drawing.label

    return fig, FuncAnimation(
        fig, frame, frames=len(steps), interval=interval, blit=False
    )


#: matplotlib's player links the Font Awesome stylesheet for its button icons from a CDN
_EXTERNAL_STYLESHEET = re.compile(
    r'<link rel="stylesheet"\s+href="https?://[^"]*"\s*/?>\s*'
)


def cartpole_html(
    states: np.ndarray,
    *,
    geometry: CartPoleGeometry = CARTPOLE,
    offline: bool = True,
    every: int = 1,
    interval: int = 40,
    figsize: tuple[float, float] = (6.0, 2.4),
    dpi: int = 72,
    title: str | None = None,
) -> str:
    """:func:`animate_cartpole` rendered as self-contained HTML: a JavaScript player with
    the PNG frames inlined. The figure is closed so a notebook does not show it twice.

    With ``offline`` (for the book, whose theme has its own Font Awesome) the player's
    link to a CDN stylesheet is removed, so the page makes no request to another site;
    pass ``offline=False`` in a plain notebook to keep the icons on the buttons. The other
    arguments are those of :func:`animate_cartpole`.
    """
    import matplotlib.pyplot as plt

    fig, anim = _animation(states, geometry, every, interval, figsize, dpi, title)
    try:
        html = anim.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    return _EXTERNAL_STYLESHEET.sub("", html) if offline else html
