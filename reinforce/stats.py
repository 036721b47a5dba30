r"""Honest statistics for a handful of noisy runs, in NumPy only.

REINFORCE is noisy: two seeds of the same configuration can differ by thousands of
episodes. Following Agarwal et al. (2021), *Deep Reinforcement Learning at the Edge of
the Statistical Precipice*, we summarise runs by robust aggregates with bootstrap
confidence intervals rather than by a mean of three seeds:

``median`` and ``iqm``
    the interquartile mean is the mean of the middle 50 % of the runs: less noisy than
    the median, far less swayed by one outlier than the mean.
``bootstrap_ci``
    the stratified percentile bootstrap: runs are resampled with replacement *within*
    each task (column), so every task keeps its number of runs.
``probability_of_improvement``
    P(X > Y), the chance that a run of one configuration beats a run of another.

Episodes-to-solve is *censored*: a run stopped at 5,000 episodes without solving says
only "more than 5,000". :func:`kaplan_meier` and :func:`median_episodes_to_solve` keep
those runs in (an unsolved run counts as at risk until it stopped) instead of dropping
them, which would flatter a configuration that often fails.

Small, separated samples need intervals that do not collapse. When every run of X beats
every run of Y, each bootstrap resample says the same, and a percentile interval for
P(X > Y) is the point "1.00 (1.00 to 1.00)". Three tools that stay honest there:

``wilson``
    the Wilson score interval for a proportion (a solve rate): never of zero width, even
    at 0 of n or n of n (Wilson 1927; Brown, Cai and DasGupta 2001).
``compare``
    P(X > Y) with Newcombe's score interval (Newcombe 2006, method 5), which reaches 1
    only in the limit, and the two-sided permutation p-value of the Mann–Whitney
    statistic for P(X > Y) = ½.
``holm``
    Holm's step-down correction of several p-values tested together (Holm 1979).
``PValue`` and ``holm_p``
    a p-value as it may be printed: when no sampled relabelling reached the observed
    statistic, the test only shows p ≤ 1/(B + 1), its resolution, and the p-value
    prints as that bound ("≤ 0.00005"), never as an exact number; ``holm_p`` corrects
    several of them and keeps the bounds (a Holm value that rests on a bound is one).

A run that never solved within a budget shared by every run is *censored* at that
budget: as an episodes-to-solve it ties with the other unsolved runs and loses to every
solved one, so comparing runs by min(episodes-to-solve, budget) with ties counted ½
(Gehan's generalised Wilcoxon comparison) uses all of them and assumes nothing more.

Scores are ``(n,)`` (n runs of one task) or ``(n, k)`` (n runs × k tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import comb
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

from .checks import flag, generator, integer, interval

__all__ = [
    "Comparison",
    "Estimate",
    "PValue",
    "SolveTime",
    "bootstrap_ci",
    "compare",
    "holm",
    "holm_p",
    "iqm",
    "kaplan_meier",
    "median",
    "median_episodes_to_solve",
    "probability_of_improvement",
    "probability_of_improvement_ci",
    "truncate_at_first_censoring",
    "wilson",
]

Statistic = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval [low, high]."""

    value: float
    low: float
    high: float
    confidence: float

    def __str__(self) -> str:
        return f"{self.value:.4g} [{self.low:.4g}, {self.high:.4g}]"


# ---------------------------------------------------------------- checks


def _scores(x: object, name: str) -> np.ndarray:
    """``x`` as a finite float64 array of shape (n, k) with n >= 1 runs."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"{name} must have shape (n,) or (n, k) with n, k >= 1, got {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return a


def _check_bootstrap(n_boot: int, confidence: float, rng: object) -> None:
    integer("n_boot", n_boot, low=1)
    interval("confidence", confidence, 0, 1, closed="neither")
    generator("rng", rng)


# ---------------------------------------------------------------- aggregates


def median(x: ArrayLike, axis: int | None = -1) -> np.ndarray:
    """The median along ``axis`` (default: the last), e.g. (B, m) → (B,)."""
    return np.asarray(np.median(np.asarray(x, dtype=np.float64), axis=axis))


def iqm(x: ArrayLike, axis: int | None = -1) -> np.ndarray:
    """Interquartile mean along ``axis``: drop ⌊m/4⌋ values at each end, average
    the rest. Implements eq-iqm.

    This is ``scipy.stats.trim_mean(x, 0.25)``, the definition rliable uses; for m = 8
    it averages the 3rd to 6th smallest values. (B, m) → (B,).
    """
    a = np.asarray(x, dtype=np.float64)
    if axis is None:
        a, axis = a.reshape(-1), -1
    m = a.shape[axis]
    if m == 0:
        raise ValueError("iqm of an empty array is undefined")
    cut = m // 4  # whole values trimmed from each end
    s = np.sort(a, axis=axis)
    return np.asarray(np.take(s, np.arange(cut, m - cut), axis=axis).mean(axis=axis))


_STATISTICS: dict[str, Statistic] = {
    "iqm": iqm,
    "median": median,
    "mean": lambda x: np.mean(x, axis=-1),
}


def _statistic(statistic: str | Statistic) -> Statistic:
    if callable(statistic):
        return statistic
    if statistic not in _STATISTICS:
        raise ValueError(
            f"statistic must be one of {sorted(_STATISTICS)} or a callable, "
            f"got {statistic!r}"
        )
    return _STATISTICS[statistic]


# ---------------------------------------------------------------- stratified bootstrap


def _resample(a: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` stratified resamples of the runs of ``a`` (n, k): (n_boot, n, k).

    Each column (task) gets its own run indices, drawn with replacement.
    """
    n, k = a.shape
    idx = rng.integers(0, n, size=(n_boot, n, k))  # (B, n, k)
    return a[idx, np.arange(k)]


def bootstrap_ci(
    scores: ArrayLike,
    statistic: str | Statistic = "iqm",
    *,
    rng: np.random.Generator,
    n_boot: int = 2000,
    confidence: float = 0.95,
) -> Estimate:
    """``statistic`` of all ``scores`` (n,) or (n, k), with a stratified-bootstrap CI.

    The interval is the percentile bootstrap: resample the n runs of every task with
    replacement, ``n_boot`` times, apply the statistic to all n·k resampled scores, and
    take the (1 ± confidence)/2 quantiles. ``statistic`` is ``"iqm"``, ``"median"``,
    ``"mean"`` or a function mapping (B, m) to (B,).
    """
    a = _scores(scores, "scores")
    f = _statistic(statistic)
    _check_bootstrap(n_boot, confidence, rng)
    value = float(np.asarray(f(a.reshape(1, -1))).reshape(-1)[0])
    boot = np.asarray(
        f(_resample(a, n_boot, rng).reshape(n_boot, -1)), dtype=np.float64
    )  # (B,)
    alpha = 1.0 - confidence
    low, high = np.quantile(boot, [alpha / 2, 1.0 - alpha / 2])
    return Estimate(value, float(low), float(high), confidence)


# ---------------------------------------------------------------- probability of improvement


_MAX_PAIRS = (
    1 << 22
)  # comparisons held in memory at once by the bootstrap (32 MiB of float64)


def _poi(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) averaged over tasks, for batches x (..., n, k) and y (..., m, k) → (...)."""
    diff = x[..., :, None, :] - y[..., None, :, :]  # (..., n, m, k)
    s = np.where(diff > 0, 1.0, np.where(diff == 0, 0.5, 0.0))  # ties count half
    return s.mean(axis=(-3, -2)).mean(axis=-1)


def _pair(
    x: ArrayLike, y: ArrayLike, higher_is_better: bool
) -> tuple[np.ndarray, np.ndarray]:
    a, b = _scores(x, "x"), _scores(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"x and y must have the same number of tasks, got {a.shape[1]} "
            f"and {b.shape[1]}"
        )
    flag("higher_is_better", higher_is_better)
    return (a, b) if higher_is_better else (-a, -b)


def probability_of_improvement(
    x: ArrayLike, y: ArrayLike, *, higher_is_better: bool = True
) -> float:
    """P(X > Y): the chance a random run of X beats a random run of Y, ties counting ½.

    P(X > Y) = (1/k) Σ_t (1/nm) Σ_i Σ_j S(x_it, y_jt), with S(a, b) = [a > b] + ½[a = b].
    ``x`` (n,) or (n, k) and ``y`` (m,) or (m, k). 0.5 means no difference.
    Implements eq-prob-improvement.
    """
    a, b = _pair(x, y, higher_is_better)
    return float(_poi(a, b))


def probability_of_improvement_ci(
    x: ArrayLike,
    y: ArrayLike,
    *,
    rng: np.random.Generator,
    n_boot: int = 2000,
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> Estimate:
    """:func:`probability_of_improvement` with a stratified-bootstrap CI.

    The runs of x and of y are resampled independently, within each task.
    """
    a, b = _pair(x, y, higher_is_better)
    _check_bootstrap(n_boot, confidence, rng)
    value = float(_poi(a, b))
    ra, rb = (
        _resample(a, n_boot, rng),
        _resample(b, n_boot, rng),
    )  # (B, n, k), (B, m, k)
    # compare in chunks of resamples: a chunk holds (chunk, n, m, k) comparisons
    chunk = max(1, _MAX_PAIRS // (a.shape[0] * b.shape[0] * a.shape[1]))
    boot = np.concatenate(
        [_poi(ra[i : i + chunk], rb[i : i + chunk]) for i in range(0, n_boot, chunk)]
    )  # (B,)
    alpha = 1.0 - confidence
    low, high = np.quantile(boot, [alpha / 2, 1.0 - alpha / 2])
    return Estimate(value, float(low), float(high), confidence)


# ---------------------------------------------------------------- censored episodes-to-solve


def _solve_data(solved_at: object, episodes: object) -> tuple[np.ndarray, np.ndarray]:
    """Event times t (n,) and solved flags (n,) from solved_at (NaN/None = unsolved)."""
    raw = np.ravel(np.asarray(solved_at, dtype=object))
    s = np.array([np.nan if v is None else v for v in raw], dtype=np.float64)
    e = np.asarray(episodes, dtype=np.float64).reshape(-1)
    if s.size == 0 or s.shape != e.shape:
        raise ValueError(
            f"solved_at and episodes must be non-empty and of the same length, "
            f"got {s.size} and {e.size}"
        )
    if not np.all(np.isfinite(e)) or np.any(e < 1):
        raise ValueError(f"episodes must be finite and >= 1, got {episodes!r}")
    solved = np.isfinite(s)
    if np.any(s[solved] < 1) or np.any(s[solved] > e[solved]):
        raise ValueError(
            f"solved_at must lie in [1, episodes] where it is set, got {solved_at!r}"
        )
    return np.where(solved, s, e), solved


def kaplan_meier(
    solved_at: ArrayLike,
    episodes: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of runs solved by each episode, with unsolved runs censored.

    ``solved_at`` (n,): the episode each run was solved at, NaN (or None) if never;
    ``episodes`` (n,): how many episodes each run lasted — an unsolved run counts as
    *not yet solved* up to there and is unknown after. The Kaplan–Meier estimate is
    F̂(t) = 1 − Π_{t_j ≤ t} (1 − d_j / r_j), with d_j runs solved at t_j and r_j runs
    still unsolved and running just before. Implements eq-kaplan-meier.
    Returns the distinct solve episodes t (K,) and F̂ just after each (K,), a
    non-decreasing step function (F̂ = 0 before t[0]). With no censoring before the
    end, F̂ is simply the fraction of runs solved by t.
    """
    t, solved = _solve_data(solved_at, episodes)
    times = np.unique(t[solved])  # (K,)
    at_risk = (t[None, :] >= times[:, None]).sum(axis=1)  # r_j: (K,)
    events = (solved[None, :] & (t[None, :] == times[:, None])).sum(axis=1)  # d_j: (K,)
    survival = np.cumprod(1.0 - events / at_risk)  # at_risk >= events >= 1
    return times, 1.0 - survival


def truncate_at_first_censoring(
    solved_at: ArrayLike, used: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Solve times on an axis where unsolved runs stop at different points, made safe
    for :func:`kaplan_meier`: (solved_at, used), each (n,), both float.

    A budget in episodes stops every unsolved run at the same episode, but on another
    axis (environment steps, seconds) an unsolved run stops wherever its episodes ran
    out, and runs that fail play short episodes: censoring then depends on the outcome,
    and Kaplan–Meier, which assumes it does not, overstates the fraction solved. Up to
    h, the least any unsolved run used, every run was still running, so the fraction
    solved by t ≤ h is a plain proportion. This censors every run at h: a run solved
    after h counts as unsolved at h (``solved_at`` NaN), ``used`` becomes min(used, h).
    With no unsolved run, nothing changes.
    """
    t, solved = _solve_data(solved_at, used)  # t: the solve time, or what was used
    h = float(t[~solved].min()) if (~solved).any() else np.inf
    kept = solved & (t <= h)
    return np.where(kept, t, np.nan), np.minimum(t, h)


@dataclass(frozen=True)
class SolveTime:
    """A median episodes-to-solve that may be censored.

    ``median`` is ``inf`` when fewer than half of the runs are known to have solved:
    the median is then only known to exceed ``horizon``, the longest run. ``low`` and
    ``high`` bound a bootstrap CI (``inf`` again meaning "beyond the horizon"; NaN if
    no interval was asked for).
    """

    median: float
    low: float
    high: float
    horizon: int
    n_solved: int
    n_runs: int

    @property
    def censored(self) -> bool:
        """True if the median lies beyond the horizon."""
        return not np.isfinite(self.median)

    def format(self, value: float | None = None) -> str:
        """``"1234"``, or ``">5000"`` for a value beyond the horizon."""
        v = self.median if value is None else value
        return f">{self.horizon}" if np.isinf(v) else f"{v:.0f}"

    def __str__(self) -> str:
        text = self.format()
        if not np.isnan(self.low):
            text += f" [{self.format(self.low)}, {self.format(self.high)}]"
        return f"{text} ({self.n_solved}/{self.n_runs} solved)"


def _km_median(t: np.ndarray, solved: np.ndarray) -> np.ndarray:
    """Kaplan–Meier medians of a batch of samples t, solved (B, n) → (B,), inf if censored."""
    order = np.argsort(
        t + np.where(solved, 0.0, 0.5), axis=-1, kind="stable"
    )  # events first
    t = np.take_along_axis(t, order, axis=-1)
    d = np.take_along_axis(solved, order, axis=-1).astype(np.float64)
    n = t.shape[-1]
    at_risk = n - np.arange(n)  # each run leaves the risk set after its own time: (n,)
    survival = np.cumprod(1.0 - d / at_risk, axis=-1)  # (B, n)
    reached = survival <= 0.5
    first = np.argmax(reached, axis=-1)
    med = np.take_along_axis(t, first[:, None], axis=-1)[:, 0]
    return np.where(reached.any(axis=-1), med, np.inf)


def median_episodes_to_solve(
    solved_at: ArrayLike,
    episodes: ArrayLike,
    *,
    rng: np.random.Generator | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
) -> SolveTime:
    """Kaplan–Meier median episodes-to-solve: the first episode where F̂ ≥ ½.

    Unsolved runs are censored at their last episode, never dropped. When fewer than
    half the runs solved, the median is ``inf`` and prints as ``">N"``. With ``rng``,
    a percentile-bootstrap CI over resampled runs is attached (bounds may be ``inf``).
    """
    t, solved = _solve_data(solved_at, episodes)
    value = float(_km_median(t[None, :], solved[None, :])[0])
    low = high = np.nan
    if rng is not None:
        _check_bootstrap(n_boot, confidence, rng)
        idx = rng.integers(0, t.size, size=(n_boot, t.size))  # (B, n)
        boot = np.sort(_km_median(t[idx], solved[idx]))  # (B,), inf sorts last
        alpha = 1.0 - confidence
        # order statistics instead of np.quantile, which cannot interpolate towards inf
        low = float(boot[int(np.floor(alpha / 2 * (n_boot - 1)))])
        high = float(boot[int(np.ceil((1.0 - alpha / 2) * (n_boot - 1)))])
    return SolveTime(value, low, high, int(t.max()), int(solved.sum()), int(t.size))


# ---------------------------------------------------------------- small, separated samples


def _z(confidence: float) -> float:
    """The two-sided normal quantile z for ``confidence`` (1.96 for 0.95)."""
    interval("confidence", confidence, 0, 1, closed="neither")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, *, confidence: float = 0.95) -> Estimate:
    """The proportion successes / n with its Wilson score interval.

    The interval is the set of p for which |p̂ − p| ≤ z √(p(1 − p)/n), in closed form
    eq-wilson. Unlike p̂ ± z √(p̂(1 − p̂)/n), it has a non-zero width at 0 of n and
    at n of n. Implements eq-wilson.
    """
    n = integer("n", n, low=1)
    k = integer("successes", successes, low=0)
    if k > n:
        raise ValueError(f"successes must be <= n = {n}, got {successes!r}")
    z = _z(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at 0/n and n/n one bound is exactly 0 or 1; the closed form leaves rounding error
    low = 0.0 if k == 0 else centre - half
    high = 1.0 if k == n else centre + half
    return Estimate(p, low, high, confidence)


def holm(p_values: ArrayLike) -> np.ndarray:
    """Holm-adjusted p-values, in the order given.

    Sort the m p-values, multiply the i-th smallest (i = 0, 1, …) by m − i, make the
    products non-decreasing and cap them at 1. Rejecting where the adjusted value is
    ≤ α keeps the chance of any false rejection among the m tests ≤ α, whatever their
    dependence (Holm 1979).
    """
    p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    if p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        raise ValueError(
            f"p_values must be a non-empty list of numbers in [0, 1], got {p_values!r}"
        )
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def _newcombe_interval(theta: float, n: int, m: int, z: float) -> tuple[float, float]:
    """Newcombe's (2006) method-5 score interval for P(X > Y) estimated as ``theta``.

    The bounds are the two θ with (θ̂ − θ)² = z² V(θ), where V is Hanley and McNeil's
    variance with both group sizes replaced by their mean N = (n + m)/2:
    V(θ) = θ(1 − θ) [1 + (N − 1)((1 − θ)/(2 − θ) + θ/(1 + θ))] / (n m).
    """
    big_n = (n + m) / 2

    def excess(t: float) -> float:  # < 0 inside the interval, > 0 outside
        v = (
            t
            * (1 - t)
            * (1 + (big_n - 1) * ((1 - t) / (2 - t) + t / (1 + t)))
            / (n * m)
        )
        return (theta - t) ** 2 - z * z * v

    def root(inside: float, outside: float) -> float:  # bisection: excess changes sign
        for _ in range(100):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if excess(mid) <= 0 else (inside, mid)
        return (inside + outside) / 2

    # theta itself is inside (excess = -z²V ≤ 0); 0 and 1 are outside unless theta is there
    low = 0.0 if theta == 0 else root(theta, 0.0)
    high = 1.0 if theta == 1 else root(theta, 1.0)
    return low, high


def _mann_whitney_u(ranks: np.ndarray, n: int) -> np.ndarray:
    """U of the first n of each row of pooled midranks (..., N): the count of pairs
    (x, y) with x > y, ties ½."""
    return ranks[..., :n].sum(axis=-1) - n * (n + 1) / 2


def _midranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1 … N of v (N,), tied values sharing the mean of their ranks."""
    order = np.argsort(v, kind="stable")
    ranks = np.empty(v.size)
    ranks[order] = np.arange(1, v.size + 1)
    _, inverse = np.unique(v, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    return np.asarray(sums[inverse] / counts[inverse])


def _round_up(x: float, digits: int) -> float:
    """x rounded up to ``digits`` significant digits (a bound stays a bound)."""
    if x <= 0:
        return 0.0
    scale = 10.0 ** (digits - 1 - int(np.floor(np.log10(x))))
    return float(np.ceil(x * scale * (1 - 1e-12)) / scale)


def _positional(x: float, digits: int) -> str:
    """x to ``digits`` significant digits without an exponent: 5e-05 → "0.00005"."""
    return np.format_float_positional(
        float(f"{x:.{digits}g}"),
        precision=digits,
        unique=False,
        fractional=False,
        trim="-",
    )


@dataclass(frozen=True)
class PValue:
    """A p-value as a permutation test can report it.

    ``bound`` is True when the test only shows ``p ≤ value``: no sampled relabelling
    reached the observed statistic, so the value is the test's resolution
    (b + 1)/(B + 1) with b = 0, and the true permutation p-value may be far smaller.
    Such a value prints as a bound, rounded *up*, so the printed bound still holds.
    """

    value: float
    bound: bool

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 1:
            raise ValueError(f"value must lie in [0, 1], got {self.value!r}")

    def format(self, digits: int = 2, *, relation: bool = False) -> str:
        """``"0.036"`` or ``"≤ 0.00005"``; with ``relation``, ``"= 0.036"`` or
        ``"≤ 0.00005"``.

        ``digits`` significant digits; a bound is rounded up, a value to the nearest.
        The same call gives the same text in a table and in a sentence.
        """
        digits = integer("digits", digits, low=1)
        if self.bound:
            return f"≤ {_positional(_round_up(self.value, digits), digits)}"
        text = _positional(self.value, digits)
        return f"= {text}" if relation else text

    def __str__(self) -> str:
        return self.format()


def holm_p(p_values: Sequence[PValue]) -> list[PValue]:
    """:func:`holm` for :class:`PValue` s: the adjusted values, in the order given.

    An adjusted value is a bound when every term (m − i) p₍ᵢ₎ that attains it (the
    running maximum of Holm's step-down) comes from a bound: Holm's formula applied
    to bounds gives a bound.
    """
    ps = list(p_values)
    if not ps or not all(isinstance(p, PValue) for p in ps):
        raise ValueError(
            f"p_values must be a non-empty list of PValue, got {p_values!r}"
        )
    raw = np.array([p.value for p in ps])
    adjusted = holm(raw)
    order = np.argsort(raw, kind="stable")
    m = raw.size
    terms = (m - np.arange(m)) * raw[order]  # (m,) in sorted order
    out: list[PValue] = [PValue(0.0, False)] * m
    for rank, i in enumerate(order):
        top = terms[: rank + 1].max()
        attaining = [ps[j] for j in order[: rank + 1][terms[: rank + 1] == top]]
        bound = bool(adjusted[i] < 1 and all(p.bound for p in attaining))
        out[i] = PValue(float(adjusted[i]), bound)
    return out


@dataclass(frozen=True)
class Comparison:
    """P(X > Y) between two groups of runs, its interval and a test of P = ½."""

    p_better: Estimate
    """P(X > Y) (ties ½) with Newcombe's score interval."""
    p_value: float
    """Two-sided permutation p-value of the Mann–Whitney statistic for P(X > Y) = ½."""
    exact: bool
    """True if every relabelling was enumerated, False if they were sampled."""
    p_floor: float
    """The smallest p-value this test could have given: its resolution."""

    @property
    def p(self) -> PValue:
        """The p-value to print: a bound when sampled and none reached the statistic."""
        return PValue(self.p_value, not self.exact and self.p_value <= self.p_floor)

    def __str__(self) -> str:
        return f"P(X > Y) = {self.p_better}, p {self.p.format(3, relation=True)}"


_EXACT_LIMIT = 20_000  # enumerate the relabellings up to this many, else sample them


def compare(
    x: ArrayLike,
    y: ArrayLike,
    *,
    rng: np.random.Generator,
    higher_is_better: bool = True,
    confidence: float = 0.95,
    n_permutations: int = 20_000,
) -> Comparison:
    """P(X > Y) for runs x (n,) and y (m,), Newcombe's interval and a permutation test.

    ``higher_is_better=False`` compares "X is lower" (e.g. episodes to solve). Unsolved
    runs enter as the shared budget (see the module notes). The p-value counts the
    relabellings of the n + m runs whose |U − nm/2| is at least the observed one: all
    of them when there are at most 20,000, else ``n_permutations`` drawn from ``rng``,
    counted as (b + 1)/(B + 1) so a sampled p-value is never 0. With b = 0 that is the
    test's resolution, and ``.p`` reports it as a bound (:class:`PValue`).
    """
    a, b = _pair(x, y, higher_is_better)
    if a.shape[1] != 1:
        raise ValueError(
            f"compare takes one task (x of shape (n,)), got {a.shape[1]} tasks"
        )
    generator("rng", rng)
    integer("n_permutations", n_permutations, low=1)
    a, b = a[:, 0], b[:, 0]
    n, m = a.size, b.size
    theta = float(_poi(a[:, None], b[:, None]))
    low, high = _newcombe_interval(theta, n, m, _z(confidence))
    ranks = _midranks(np.concatenate([a, b]))  # (N,)
    observed = abs(float(_mann_whitney_u(ranks, n)) - n * m / 2)
    exact = comb(n + m, n) <= _EXACT_LIMIT
    if exact:
        from itertools import combinations

        chosen = np.array(list(combinations(range(n + m), n)))  # (C, n)
        u = ranks[chosen].sum(axis=1) - n * (n + 1) / 2
        deviation = np.abs(u - n * m / 2)  # (C,)
        p = float(np.mean(deviation >= observed - 1e-9))
        floor = float(np.mean(deviation >= deviation.max() - 1e-9))
    else:
        perms = rng.permuted(np.tile(ranks, (n_permutations, 1)), axis=1)  # (B, N)
        u = _mann_whitney_u(perms, n)
        hits = int(np.sum(np.abs(u - n * m / 2) >= observed - 1e-9))
        p = (hits + 1) / (n_permutations + 1)
        floor = 1 / (n_permutations + 1)
    return Comparison(Estimate(theta, low, high, confidence), p, exact, floor)
