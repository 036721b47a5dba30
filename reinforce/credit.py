"""Credit assignment: what each action of an episode is credited with.

Each function maps one episode to one number per step, ``(T,)``, that REINFORCE uses
to weight ∇ log π(a_t | s_t) (before any baseline is applied). ``Config.credit`` picks
one by its name:

=================  =========================================================
``reward_to_go``   G_t = Σ_{k≥t} γ^{k−t} r_k, what followed the action (the
                   post's choice)
``total_return``   the whole-episode return R(τ) at every step (the simplest
                   form of the estimator)
``blame_window``   the post's original CartPole-v0 shaping: only the last N
                   actions before a failure are blamed
=================  =========================================================

The functions trust their arguments (``Config`` checks γ and N): rewards (T,), γ in
[0, 1], N ≥ 1.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CREDITS", "assign_credit", "blame_window", "reward_to_go", "total_return"]

#: names accepted by :func:`assign_credit` (and ``Config.credit``): the functions' names
CREDITS = ("reward_to_go", "total_return", "blame_window")


def reward_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted reward-to-go, computed backwards in one pass: (T,) → (T,).

    G_t = r_t + γ G_{t+1} with G_T = 0, so G_t = Σ_{k=t}^{T−1} γ^{k−t} r_k.
    This is the reference post's ``discount_rewards``. Implements eq-disc-rtg.
    """
    r = np.asarray(rewards, dtype=np.float64).tolist()  # Python floats: a faster loop
    gamma = float(gamma)
    G = [0.0] * len(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * running
        G[t] = running
    return np.array(G, dtype=np.float64)


def total_return(rewards: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """The whole-episode return R(τ) = Σ_t γ^t r_t, repeated for every step: (T,).

    Every action of the episode gets the same credit, including actions taken after
    the rewards they are credited with. Unbiased, but noisier than
    :func:`reward_to_go`. Implements eq-disc-episode.
    """
    r = np.asarray(rewards, dtype=np.float64)
    R = float(np.sum(r * gamma ** np.arange(r.size)))
    return np.full(r.size, R)


def blame_window(length: int, terminated: bool, window: int) -> np.ndarray:
    """The post's original CartPole-v0 shaping: blame the last ``window`` actions.

    For an episode of T = ``length`` steps and N = ``window``, s_t = −1 if the episode
    terminated and t ≥ T − N, else 0. Implements eq-blame-window.

    Only a *failure* (``terminated``: the pole fell or the cart left the track) is
    blamed. An episode cut off by the time limit (truncated) did not fail, so its
    signal is all zeros and, after per-episode standardisation, it teaches nothing,
    so the shaping can stall below the time limit (the ceiling the post describes;
    the blame-window chapter measures when). Rewards are not used: CartPole's reward
    is +1 at every step.
    """
    s = np.zeros(length)
    if terminated:
        s[max(0, length - window) :] = -1.0
    return s


def assign_credit(
    kind: str, rewards: np.ndarray, terminated: bool, gamma: float, window: int = 10
) -> np.ndarray:
    """The credit of ``kind`` (one of :data:`CREDITS`) for one episode: (T,)."""
    if kind == "reward_to_go":
        return reward_to_go(rewards, gamma)
    if kind == "total_return":
        return total_return(rewards, gamma)
    if kind == "blame_window":
        return blame_window(len(rewards), terminated, window)
    raise ValueError(f"credit must be one of {CREDITS}, got {kind!r}")
