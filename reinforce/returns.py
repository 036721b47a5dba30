"""Per-step learning signals computed from one episode's rewards.

Each function maps an episode to one number per step, ``(T,)``, that REINFORCE uses
to weight ∇ log π(a_t | s_t) (before any baseline is applied):

=================  =========================================================
``discount``       reward-to-go G_t = Σ_{k≥t} γ^{k−t} r_k (the post's choice)
``total_return``   the whole-episode return R(τ) at every step (the simplest
                   form of the estimator)
``blame_window``   the post's original CartPole-v0 shaping: only the last N
                   actions before a failure are blamed
=================  =========================================================
"""

from __future__ import annotations

import numpy as np

__all__ = ["RETURNS", "blame_window", "compute_returns", "discount", "standardize", "total_return"]

#: names accepted by :func:`compute_returns` (and ``Config.returns``)
RETURNS = ("reward_to_go", "episode", "blame_window")


def _rewards(rewards: np.ndarray) -> np.ndarray:
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"rewards must be one-dimensional (T,), got shape {r.shape}")
    return r


def _check_gamma(gamma: float) -> float:
    if not (isinstance(gamma, (int, float, np.floating)) and 0.0 <= gamma <= 1.0):
        raise ValueError(f"gamma must be a number in [0, 1], got {gamma!r}")
    return float(gamma)


def discount(rewards: np.ndarray, gamma: float) -> np.ndarray:
    r"""Discounted reward-to-go, computed backwards in one pass.

    .. math:: G_t = r_t + \gamma G_{t+1}, \qquad G_T = 0,

    so G_t = Σ_{k=t}^{T−1} γ^{k−t} r_k. ``rewards`` (T,) → ``G`` (T,). This is the
    reference post's ``discount_rewards``.
    """
    r = _rewards(rewards)
    gamma = _check_gamma(gamma)
    G = np.empty_like(r)
    running = 0.0
    for t in range(r.size - 1, -1, -1):
        running = r[t] + gamma * running
        G[t] = running
    return G


def total_return(rewards: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    r"""The whole-episode return R(τ) = Σ_t γ^t r_t, repeated for every step: (T,).

    Every action of the episode gets the same credit, including actions taken after
    the rewards they are credited with. Unbiased, but noisier than :func:`discount`.
    """
    r = _rewards(rewards)
    gamma = _check_gamma(gamma)
    R = float(np.sum(r * gamma ** np.arange(r.size)))
    return np.full(r.size, R)


def blame_window(length: int, terminated: bool, window: int) -> np.ndarray:
    r"""The post's original CartPole-v0 shaping: blame the last ``window`` actions.

    For an episode of ``length`` steps the signal is, for t = 0, …, T−1,

    .. math::

        s_t = \begin{cases} -1 & \text{if the episode terminated and } t \ge T - N \\
                             0 & \text{otherwise,} \end{cases}

    with N = ``window``. Only a *failure* (``terminated``: the pole fell or the cart
    left the track) is blamed. An episode cut off by the time limit (truncated)
    did not fail, so its signal is all zeros and, after per-episode
    standardisation, it teaches nothing, so the shaping can stall below the time
    limit (the ceiling the post describes; the blame-window chapter measures when).
    Rewards are not used: CartPole's reward is +1 at every step.
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a non-negative integer, got {length!r}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    s = np.zeros(int(length))
    if terminated:
        s[max(0, length - window) :] = -1.0
    return s


def standardize(x: np.ndarray) -> np.ndarray:
    """(x − mean) / std; all zeros when the std is 0 (a constant carries no signal)."""
    x = np.asarray(x, dtype=np.float64)
    # test for a constant directly: the mean of n equal floats can differ from them by
    # one rounding step, which would leave a tiny nonzero std to divide by
    if x.size == 0 or np.all(x == x.flat[0]):
        return np.zeros_like(x)
    centred = x - x.mean()
    return centred / np.sqrt(np.mean(centred**2))


def compute_returns(
    kind: str, rewards: np.ndarray, terminated: bool, gamma: float, window: int = 10
) -> np.ndarray:
    """Dispatch on ``kind`` (one of :data:`RETURNS`): the per-step signal (T,)."""
    if kind == "reward_to_go":
        return discount(rewards, gamma)
    if kind == "episode":
        return total_return(rewards, gamma)
    if kind == "blame_window":
        return blame_window(len(_rewards(rewards)), terminated, window)
    raise ValueError(f"returns must be one of {RETURNS}, got {kind!r}")
