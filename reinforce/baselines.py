"""Baselines: what is subtracted from the returns before they weight the score.

For any b(s) that does not depend on the action, E_{a∼π}[∇_θ log π(a | s) b(s)] = 0,
so replacing G_t by the *advantage* A_t = G_t − b(s_t) leaves the gradient unbiased
while (for a good b) shrinking its variance. A baseline here maps one batch of
episodes — their returns and observations — to one advantage array per episode:

=======================  ====================================================
``"none"``               A_t = G_t
``"mean"``               A_t = G_t − mean of G over the whole batch
``"standardize"``        A_t = (G_t − mean) / std within each episode (the
                         reference post: it standardises every episode's
                         discounted returns on their own)
``"standardize_batch"``  the same, with the mean and std of the whole batch
``"value"``              A_t = G_t − V(s_t), a learned state-value estimate
=======================  ====================================================

Strictly, the batch statistics depend on the batch's own actions, so "mean",
"standardize" and "standardize_batch" are not baselines in the sense of the theorem
that makes baselines unbiased, and dividing by each episode's own spread reweights the
episodes. The book measures the noise of each choice, not the size of this bias.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from .checks import non_negative

__all__ = [
    "BASELINES",
    "Baseline",
    "MeanBaseline",
    "NoBaseline",
    "StandardizeBaseline",
    "ValueBaseline",
    "make_baseline",
    "quadratic_features",
    "standardize",
]

#: names accepted by :func:`make_baseline` (and ``Config.baseline``)
BASELINES = ("none", "mean", "standardize", "standardize_batch", "value")

Arrays = list[np.ndarray]


def standardize(x: np.ndarray) -> np.ndarray:
    """(x − mean) / std; all zeros when the std is 0 (a constant carries no signal).

    Implements eq-std-advantage.
    """
    x = np.asarray(x, dtype=np.float64)
    # test for a constant directly: the mean of n equal floats can differ from them by
    # one rounding step, which would leave a tiny nonzero std to divide by
    if x.size == 0 or np.all(x == x.flat[0]):
        return np.zeros_like(x)
    centred = x - x.mean()
    return centred / np.sqrt(np.mean(centred**2))


class Baseline(ABC):
    """Maps a batch's returns (one ``(T_i,)`` array per episode) to advantages."""

    name: str = "baseline"

    @abstractmethod
    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        """One advantage array per episode, shaped like ``returns``."""


class NoBaseline(Baseline):
    """A_t = G_t: the plain REINFORCE estimator."""

    name = "none"

    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        return [np.array(G, dtype=np.float64) for G in returns]


class MeanBaseline(Baseline):
    """A_t = G_t − Ḡ, with Ḡ the mean return over every step of the batch."""

    name = "mean"

    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        b = float(np.concatenate(returns).mean())
        return [np.asarray(G, dtype=np.float64) - b for G in returns]


class StandardizeBaseline(Baseline):
    """Zero mean and unit std, per episode (the post's) or over the whole batch."""

    def __init__(self, per_episode: bool = True) -> None:
        self.per_episode = per_episode
        self.name = "standardize" if per_episode else "standardize_batch"

    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        """A_t = (G_t − Ḡ) / σ_G. Implements eq-std-advantage."""
        if self.per_episode:
            return [standardize(G) for G in returns]
        flat = standardize(np.concatenate(returns))
        ends = np.cumsum([len(G) for G in returns])[:-1]
        return list(np.split(flat, ends))


def quadratic_features(obs: np.ndarray) -> np.ndarray:
    """φ(s) = [1, s_i, s_i s_j (i ≤ j)]: (T, D) → (T, 1 + D + D(D+1)/2)."""
    x = np.atleast_2d(np.asarray(obs, dtype=np.float64))
    i, j = np.triu_indices(x.shape[1])
    return np.hstack([np.ones((x.shape[0], 1)), x, x[:, i] * x[:, j]])


class ValueBaseline(Baseline):
    """A learned state value V(s) = φ(s)ᵀ w, a ridge regression of returns on φ(s).

    φ is :func:`quadratic_features`. Each call first predicts V with the weights fitted
    on *earlier* batches (so b(s_t) does not depend on this batch's actions and the
    gradient stays unbiased), then refits w on this batch by solving the ridge
    normal equations (Φᵀ Φ + λ I) w = Φᵀ G. The first batch sees V ≡ 0.
    """

    name = "value"

    def __init__(self, l2: float = 1e-3) -> None:
        self.l2 = non_negative("l2", l2)
        self.w: np.ndarray | None = None  # (F,) once fitted

    def predict(self, obs: np.ndarray) -> np.ndarray:
        """V(s) for a batch of observations (T, D) → (T,); zeros before the first fit."""
        phi = quadratic_features(obs)
        return np.zeros(phi.shape[0]) if self.w is None else phi @ self.w

    def fit(
        self,
        observations: Sequence[np.ndarray],
        returns: Sequence[np.ndarray],
    ) -> None:
        """Refit w on these episodes (ridge least squares, solved directly)."""
        Phi = quadratic_features(np.concatenate(observations))  # (N, F)
        G = np.concatenate(returns)  # (N,)
        A = Phi.T @ Phi + self.l2 * np.eye(Phi.shape[1])
        self.w = np.linalg.solve(A, Phi.T @ G)

    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        """A_t = G_t − V_w(s_t), then refit w. Implements eq-beyond-mc-advantage, the
        advantage of eq-baseline-estimator."""
        adv = [
            np.asarray(G, dtype=np.float64) - self.predict(s)
            for G, s in zip(returns, observations, strict=True)
        ]
        self.fit(observations, returns)
        return adv


def make_baseline(name: str, l2: float = 1e-3) -> Baseline:
    """The baseline called ``name`` (one of :data:`BASELINES`)."""
    if name == "none":
        return NoBaseline()
    if name == "mean":
        return MeanBaseline()
    if name == "standardize":
        return StandardizeBaseline(per_episode=True)
    if name == "standardize_batch":
        return StandardizeBaseline(per_episode=False)
    if name == "value":
        return ValueBaseline(l2=l2)
    raise ValueError(f"baseline must be one of {BASELINES}, got {name!r}")
