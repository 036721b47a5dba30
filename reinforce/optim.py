r"""Optimisers written out by hand: SGD, RMSProp and Adam.

**Sign convention.** Policy gradients *maximise* J(θ). Every optimiser here takes
``grads`` = ∇_θ J (the direction of steepest *ascent*) and moves the parameters
along it::

    θ ← θ + Δθ,   Δθ = lr · (something positive) ⊙ g

so ``step`` is gradient ascent. To minimise a loss L, pass ``-∇L``.

The internal state is plain attributes, dicts of arrays shaped like the parameters,
so it can be inspected and plotted: ``last_update`` (Δθ of the latest step) and
:meth:`Optimizer.effective_lr` (the per-parameter step size that multiplies g).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer", "RMSProp", "make_optimizer"]

#: names accepted by :func:`make_optimizer` (and ``Config.optimizer``)
OPTIMIZERS = ("sgd", "rmsprop", "adam")

Params = dict[str, np.ndarray]


def _check_lr(lr: float) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)):
        raise TypeError(f"lr must be a number, got {lr!r}")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    return float(lr)


def _check_unit(name: str, value: float, *, closed: bool = False) -> float:
    ok = 0.0 <= value <= 1.0 if closed else 0.0 <= value < 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not ok:
        raise ValueError(f"{name} must be a number in [0, 1{']' if closed else ')'}, got {value!r}")
    return float(value)


def _check_eps(eps: float) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"eps must be a number, got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be finite and > 0, got {eps!r}")
    return float(eps)


class Optimizer(ABC):
    """Gradient ascent on a dict of parameters, updated in place."""

    name: str = "optimizer"

    def __init__(self, lr: float) -> None:
        self.lr = _check_lr(lr)
        self.steps = 0
        self.last_update: Params = {}

    def step(self, params: Params, grads: Params) -> Params:
        """θ ← θ + Δθ for every entry; returns Δθ (also kept as ``last_update``)."""
        if params.keys() != grads.keys():
            raise ValueError(f"grads keys {sorted(grads)} differ from params keys {sorted(params)}")
        self.steps += 1
        update = {}
        for k, g in grads.items():
            if g.shape != params[k].shape:
                raise ValueError(f"grads[{k!r}] has shape {g.shape}, params {params[k].shape}")
            update[k] = self._update(k, np.asarray(g, dtype=np.float64))
            params[k] += update[k]
        self.last_update = update
        return update

    @abstractmethod
    def _update(self, key: str, g: np.ndarray) -> np.ndarray:
        """Δθ for one parameter array, updating any running state."""

    @abstractmethod
    def effective_lr(self) -> Params:
        """The per-parameter step size that multiplied the gradient in the last step."""

    def state(self) -> dict[str, Any]:
        """Every piece of internal state, as a dict (arrays are copies)."""
        return {"steps": self.steps, "lr": self.lr}


class SGD(Optimizer):
    """Plain gradient ascent: Δθ = lr · g."""

    name = "sgd"

    def __init__(self, lr: float) -> None:
        super().__init__(lr)
        self._shapes: dict[str, tuple[int, ...]] = {}

    def _update(self, key: str, g: np.ndarray) -> np.ndarray:
        self._shapes[key] = g.shape
        return self.lr * g

    def effective_lr(self) -> Params:
        return {k: np.full(s, self.lr) for k, s in self._shapes.items()}


class RMSProp(Optimizer):
    r"""RMSProp as in the reference post (Tieleman & Hinton 2012).

    .. math::

        v \leftarrow \rho\, v + (1-\rho)\, g^2, \qquad
        \Delta\theta = \frac{\alpha\, g}{\sqrt{v} + \epsilon}

    with ρ = ``decay_rate`` (0.99: a memory of about 100 steps) and ε = ``eps`` added
    *outside* the square root. ``cache`` holds v, starting at zero.
    """

    name = "rmsprop"

    def __init__(self, lr: float = 1e-3, decay_rate: float = 0.99, eps: float = 1e-5) -> None:
        super().__init__(lr)
        self.decay_rate = _check_unit("decay_rate", decay_rate)
        self.eps = _check_eps(eps)
        self.cache: Params = {}  # v: running mean of g², per parameter

    def _update(self, key: str, g: np.ndarray) -> np.ndarray:
        rho = self.decay_rate
        v = self.cache.get(key, np.zeros_like(g))
        self.cache[key] = rho * v + (1.0 - rho) * g**2
        return self.lr * g / (np.sqrt(self.cache[key]) + self.eps)

    def effective_lr(self) -> Params:
        return {k: self.lr / (np.sqrt(v) + self.eps) for k, v in self.cache.items()}

    def state(self) -> dict[str, Any]:
        return {**super().state(), "cache": {k: v.copy() for k, v in self.cache.items()}}


class Adam(Optimizer):
    r"""Adam with bias correction (Kingma & Ba 2015).

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \Delta\theta = \alpha\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}
    """

    name = "adam"

    def __init__(
        self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = _check_unit("beta1", beta1)
        self.beta2 = _check_unit("beta2", beta2)
        self.eps = _check_eps(eps)
        self.m: Params = {}  # first moment
        self.v: Params = {}  # second moment

    def _update(self, key: str, g: np.ndarray) -> np.ndarray:
        b1, b2, t = self.beta1, self.beta2, self.steps
        self.m[key] = b1 * self.m.get(key, np.zeros_like(g)) + (1.0 - b1) * g
        self.v[key] = b2 * self.v.get(key, np.zeros_like(g)) + (1.0 - b2) * g**2
        m_hat = self.m[key] / (1.0 - b1**t)  # undo the pull towards the zero start
        v_hat = self.v[key] / (1.0 - b2**t)
        return self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def effective_lr(self) -> Params:
        t = max(self.steps, 1)
        c1 = 1.0 - self.beta1**t
        c2 = 1.0 - self.beta2**t
        # Δθ = [lr / (c1 (sqrt(v̂) + ε))] · m: the factor multiplying the first moment
        return {k: self.lr / (c1 * (np.sqrt(v / c2) + self.eps)) for k, v in self.v.items()}

    def state(self) -> dict[str, Any]:
        return {
            **super().state(),
            "m": {k: v.copy() for k, v in self.m.items()},
            "v": {k: v.copy() for k, v in self.v.items()},
        }


def make_optimizer(
    name: str,
    lr: float,
    *,
    decay_rate: float = 0.99,
    eps: float = 1e-5,
    beta1: float = 0.9,
    beta2: float = 0.999,
) -> Optimizer:
    """The optimiser called ``name`` (one of :data:`OPTIMIZERS`)."""
    if name == "sgd":
        return SGD(lr)
    if name == "rmsprop":
        return RMSProp(lr, decay_rate=decay_rate, eps=eps)
    if name == "adam":
        return Adam(lr, beta1=beta1, beta2=beta2, eps=eps)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
