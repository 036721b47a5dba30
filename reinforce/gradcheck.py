"""Checking a hand-written gradient against central finite differences.

For a scalar function f of the parameters θ, every entry of the numerical gradient is
∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h, whose error is O(h²). Comparing it with
a backward pass written by hand catches a wrong sign, a missing factor or a forgotten
ReLU mask at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]

Params = dict[str, np.ndarray]


def numerical_gradient(
    f: Callable[[], float],
    params: Params,
    h: float = 1e-6,
) -> Params:
    """Central differences of ``f()`` with respect to every entry of ``params``.

    ``f`` takes no argument: it reads ``params``, which is perturbed one entry at a
    time, in place, and restored exactly afterwards. Costs 2 × (number of entries)
    calls of ``f``.
    """
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be finite and > 0, got {h!r}")
    grads = {}
    for key, theta in params.items():
        if theta.dtype != np.float64:
            raise TypeError(f"params[{key!r}] must be float64, got {theta.dtype}")
        g = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            old = theta[i]
            theta[i] = old + h
            up = float(f())
            theta[i] = old - h
            down = float(f())
            theta[i] = old  # restore the exact value, not old + h - h
            g[i] = (up - down) / (2 * h)
        grads[key] = g
    return grads


def relative_error(a: Params, b: Params) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖) over all entries together; 0 when both are zero."""
    if a.keys() != b.keys():
        raise ValueError(f"keys differ: {sorted(a)} vs {sorted(b)}")
    diff = np.sqrt(sum(float(np.sum((a[k] - b[k]) ** 2)) for k in a))
    size = np.sqrt(sum(float(np.sum(a[k] ** 2)) for k in a)) + np.sqrt(
        sum(float(np.sum(b[k] ** 2)) for k in b)
    )
    return 0.0 if size == 0 else float(diff / size)
