r"""How noisy is a REINFORCE gradient, and what does a baseline do to the noise?

Hold the policy fixed, play K independent batches of B episodes, and compute the
REINFORCE estimate ĝ_k of every batch, flattened to one vector of the P parameters::

    episodes  e_1 … e_B | e_{B+1} … e_{2B} | … | … e_{KB}
                 ↓              ↓                   ↓
    samples   ĝ_1 (P,)       ĝ_2 (P,)      …      ĝ_K (P,)      → (K, P)

The same batches can be given to every baseline (common random numbers), so the
baselines are compared on exactly the same episodes, and :func:`variance_ratio`
resamples the batches *in pairs* to put a bootstrap interval on the ratio of two
variances. :func:`gradient_stats` then
summarises the K samples: the total variance tr Σ̂ (chapter *Baselines and variance*,
Eq. ``eq-total-variance``), the variance along the mean direction, and two numbers that
do not change when the gradient is rescaled — the relative variance
tr Σ̂ / ‖μ‖² (Eq. ``eq-relative-variance``) and the mean cosine between a sample and
the mean of the others (Eq. ``eq-cosine``). Rescaling matters because standardised
returns shrink every estimate by the returns' standard deviation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .baselines import Arrays, Baseline, ValueBaseline, make_baseline
from .checks import generator, integer, interval
from .credit import assign_credit
from .policies import Params, Policy
from .rollout import Episode
from .stats import Estimate
from .train import reinforce_gradient

__all__ = [
    "FixedBaseline",
    "GradientStats",
    "fit_value_baseline",
    "flatten",
    "gradient_samples",
    "gradient_stats",
    "variance_ratio",
]


def flatten(grads: Params) -> np.ndarray:
    """A gradient dict as one float64 vector, the arrays raveled in sorted key order: (P,)."""
    if not grads:
        raise ValueError("grads must contain at least one array")
    return np.concatenate(
        [np.asarray(grads[k], dtype=np.float64).ravel() for k in sorted(grads)]
    )


class FixedBaseline(Baseline):
    """A_t = G_t − b(s_t) with a fixed function b that never learns from the batch.

    ``value`` maps observations (T, D) to (T,), e.g. the ``predict`` of a
    :class:`~reinforce.baselines.ValueBaseline` fitted beforehand. Because b does not
    depend on the batch's actions, the estimate stays exactly unbiased.
    """

    name = "fixed"

    def __init__(
        self, value: Callable[[np.ndarray], np.ndarray], name: str = "fixed"
    ) -> None:
        if not callable(value):
            raise TypeError(
                f"value must be a function of the observations, got {value!r}"
            )
        self.value = value
        self.name = name

    def advantages(
        self, returns: Sequence[np.ndarray], observations: Sequence[np.ndarray]
    ) -> Arrays:
        out = []
        for G, s in zip(returns, observations, strict=True):
            G = np.asarray(G, dtype=np.float64)
            b = np.asarray(self.value(s), dtype=np.float64)
            if b.shape != G.shape:
                raise ValueError(
                    f"value returned shape {b.shape} for {G.shape[0]} observations"
                )
            out.append(G - b)
        return out


def fit_value_baseline(
    episodes: Sequence[Episode],
    *,
    gamma: float,
    credit: str = "reward_to_go",
    l2: float = 1e-3,
    blame_window: int = 10,
) -> FixedBaseline:
    """Fit V(s) (the learned baseline's ridge regression) on ``episodes``, then freeze it.

    Give it episodes *other* than those whose gradients it will baseline: a trained,
    fixed value baseline, as fair a comparison as the other baselines get.
    """
    if not episodes:
        raise ValueError("episodes must contain at least one episode")
    V = ValueBaseline(l2=l2)
    G = [
        assign_credit(credit, e.rewards, e.terminated, gamma, blame_window)
        for e in episodes
    ]
    V.fit([e.observations for e in episodes], G)
    return FixedBaseline(V.predict, name="value")


def gradient_samples(
    policy: Policy,
    episodes: Sequence[Episode],
    batch_size: int,
    *,
    gamma: float,
    baseline: Baseline | str,
    credit: str = "reward_to_go",
    blame_window: int = 10,
) -> np.ndarray:
    """One flattened REINFORCE estimate per batch of ``batch_size`` consecutive episodes.

    ``len(episodes)`` must be a multiple K of ``batch_size``; returns (K, P). A baseline
    given by name is made once and used for every batch in order, as in training (so
    ``"value"`` learns from earlier batches); pass a :class:`FixedBaseline` for one that
    does not change.
    """
    B = integer("batch_size", batch_size, low=1)
    K, left = divmod(len(episodes), B)
    if K == 0 or left:
        raise ValueError(
            f"the number of episodes ({len(episodes)}) must be a positive "
            f"multiple of batch_size ({batch_size})"
        )
    base = make_baseline(baseline) if isinstance(baseline, str) else baseline
    return np.stack(
        [
            flatten(
                reinforce_gradient(
                    policy,
                    episodes[k * B : (k + 1) * B],
                    gamma=gamma,
                    credit=credit,
                    baseline=base,
                    blame_window=blame_window,
                )
            )
            for k in range(K)
        ]
    )  # (K, P)


@dataclass(frozen=True)
class GradientStats:
    """What K gradient estimates ĝ_1 … ĝ_K of one fixed policy say about the estimator."""

    n: int
    """K, the number of estimates."""
    mean: np.ndarray
    """ḡ, their mean, (P,): an estimate of the estimator's expectation μ."""
    total_variance: float
    """tr Σ̂, the sum over parameters of the sample variances (ddof 1)."""
    variance_along_mean: float
    """The sample variance of ĝ_k · u with u = ḡ / ‖ḡ‖: the noise in the direction of travel."""
    mean_norm2: float
    """‖ḡ‖² − tr Σ̂ / K, an unbiased estimate of ‖μ‖² (it can come out ≤ 0 if K is small)."""
    relative_variance: float
    """tr Σ̂ / ‖μ‖² with the estimate above: noise per unit of signal, unchanged by
    rescaling the gradient (``inf`` if the signal estimate is ≤ 0)."""
    cosine: float
    """The mean over k of cos(ĝ_k, ḡ_{−k}), ḡ_{−k} the mean of the *other* K − 1
    estimates (so a sample is never compared with itself): 1 for a noiseless estimator."""


def gradient_stats(samples: ArrayLike) -> GradientStats:
    """Summarise gradient estimates ``samples`` (K, P), K ≥ 2, one estimate per row.

    Implements eq-total-variance, eq-relative-variance and eq-cosine.
    """
    g = _check_samples(samples)  # (K, P), K >= 2, finite
    K = g.shape[0]
    mean = g.mean(axis=0)  # (P,)
    total = float(g.var(axis=0, ddof=1).sum())  # tr Σ̂
    norm = float(np.linalg.norm(mean))
    along = float(np.var(g @ (mean / norm), ddof=1)) if norm > 0 else 0.0
    signal = float(mean @ mean) - total / K
    relative = total / signal if signal > 0 else float("inf")
    loo = (K * mean - g) / (K - 1)  # (K, P): row k is the mean of the others
    denom = np.linalg.norm(g, axis=1) * np.linalg.norm(loo, axis=1)  # (K,)
    num = np.einsum("kp,kp->k", g, loo)
    cos = np.divide(num, denom, out=np.zeros(K), where=denom > 0)  # zero vector: 0
    return GradientStats(
        n=K,
        mean=mean,
        total_variance=total,
        variance_along_mean=along,
        mean_norm2=signal,
        relative_variance=relative,
        cosine=float(cos.mean()),
    )


def _check_samples(samples: ArrayLike) -> np.ndarray:
    g = np.asarray(samples, dtype=np.float64)
    if g.ndim != 2 or g.shape[0] < 2 or g.shape[1] < 1:
        raise ValueError(
            f"samples must have shape (K, P) with K >= 2 and P >= 1, got {g.shape}"
        )
    if not np.all(np.isfinite(g)):
        raise ValueError("samples must be finite")
    return g


def _moments(g: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tr Σ̂ and the signal ‖ḡ‖² − tr Σ̂ / K of resamples of the rows of g (K, P).

    ``counts`` (R, K) says how often each row is drawn in each of R resamples (rows sum
    to K). Returns two (R,) arrays, without forming any (R, K, P) array.
    """
    K = g.shape[0]
    mean = counts @ g / K  # (R, P)
    sq = counts @ np.einsum("kp,kp->k", g, g)  # (R,): Σ_k c_k ‖g_k‖²
    total = (sq - K * np.einsum("rp,rp->r", mean, mean)) / (K - 1)
    return total, np.einsum("rp,rp->r", mean, mean) - total / K


def variance_ratio(
    samples: ArrayLike,
    reference: ArrayLike,
    *,
    rng: np.random.Generator,
    relative: bool = False,
    n_boot: int = 1000,
    confidence: float = 0.95,
) -> Estimate:
    """tr Σ̂ of ``samples`` over tr Σ̂ of ``reference``, with a paired bootstrap interval.

    Both are (K, P), row k of each computed from the *same* batch k. Each bootstrap
    resample draws K batch indices with replacement and uses them for both, so the
    interval reflects the pairing. With ``relative=True`` the ratio is of the relative
    variances tr Σ̂ / ‖μ‖² instead (scale-free). Percentile interval, as in
    :func:`~reinforce.stats.bootstrap_ci`.
    """
    a, b = (
        np.asarray(samples, dtype=np.float64),
        np.asarray(reference, dtype=np.float64),
    )
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(
            f"samples and reference must both be (K, P) with K >= 2, got "
            f"{a.shape} and {b.shape}"
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("samples and reference must be finite")
    generator("rng", rng)
    integer("n_boot", n_boot, low=1)
    interval("confidence", confidence, 0, 1, closed="neither")
    K = a.shape[0]
    idx = rng.integers(0, K, size=(int(n_boot), K))  # (R, K): the same batches for both
    counts = np.zeros((int(n_boot) + 1, K))
    counts[0] = 1.0  # row 0: the sample itself
    np.add.at(counts[1:], (np.arange(int(n_boot))[:, None], idx), 1.0)
    (ta, sa), (tb, sb) = _moments(a, counts), _moments(b, counts)
    if relative:  # a resample with no signal left has an infinite relative variance
        ta = np.divide(ta, sa, out=np.full_like(ta, np.inf), where=sa > 0)
        tb = np.divide(tb, sb, out=np.full_like(tb, np.inf), where=sb > 0)
    # no noise in the reference: the ratio is infinite (nothing to divide by)
    ratio = np.divide(
        ta, tb, out=np.full_like(ta, np.inf), where=(tb > 0) & np.isfinite(tb)
    )
    alpha = 1.0 - confidence
    # quantiles without interpolation: well defined even if some resamples are infinite
    low, high = np.quantile(
        ratio[1:], [alpha / 2, 1.0 - alpha / 2], method="inverted_cdf"
    )
    return Estimate(float(ratio[0]), float(low), float(high), float(confidence))
