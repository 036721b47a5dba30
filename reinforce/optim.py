"""Optimisers written out by hand: SGD, RMSProp and Adam.

**Sign convention.** Policy gradients *maximise* J(θ). Every optimiser here takes
``grads`` = ∇_θ J (the direction of steepest *ascent*) and moves the parameters
along it::

    θ ← θ + Δθ,   Δθ = lr · (something positive) ⊙ g

so ``step`` is gradient ascent. To minimise a loss L, pass ``-∇L``.

The internal state is plain attributes, dicts of arrays shaped like the parameters,
so it can be inspected and plotted: ``last_update`` (Δθ of the latest step) and
:meth:`Optimizer.effective_lr` (the per-parameter step size that multiplies g).

**Populations.** Every hyperparameter may also be an array of K values, one per
member of a population whose parameters carry a leading member axis K (see
:func:`reinforce.policies.stack_policies`). ``step(params, grads, members=[...])``
then moves only the listed members, each with its own hyperparameters, state and
step count, by the same formulas: member k's numbers are the ones it would get alone.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer", "RMSProp", "make_optimizer"]

#: names accepted by :func:`make_optimizer` (and ``Config.optimizer``)
OPTIMIZERS = ("sgd", "rmsprop", "adam")

Params = dict[str, np.ndarray]
#: a hyperparameter: one number, or one per member of a population
Hyper = float | np.ndarray
Rows = Any  # ``...`` (a single run, or every member) or an index array of members


def _check_hyper(name: str, value: Any, *, positive: bool = False) -> Hyper:
    """A number (or array of numbers) in [0, 1), or finite and > 0 if ``positive``."""
    values = np.asarray(value)
    is_number = values.dtype.kind in "iuf" and not isinstance(value, bool)
    if positive:
        if not is_number:
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not (np.isfinite(values).all() and (values > 0).all()):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    elif not (is_number and ((values >= 0) & (values < 1)).all()):
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    if values.ndim == 0:
        return float(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"{name} must be a number or one number per member, got {value!r}"
        )
    return values.astype(np.float64)


class Optimizer(ABC):
    """Gradient ascent on a dict of parameters, updated in place."""

    name: str = "optimizer"
    #: the hyperparameters (attributes) that may differ between population members
    hyperparameters: ClassVar[tuple[str, ...]] = ("lr",)
    #: the running state (attributes: dicts of arrays shaped like the parameters)
    moments: ClassVar[tuple[str, ...]] = ()
    #: running products, one number per member (0-d arrays in a single run)
    powers: ClassVar[dict[str, str]] = {}

    def __init__(self, lr: Hyper) -> None:
        self.lr = _check_hyper("lr", lr, positive=True)
        self.steps: int | np.ndarray = 0
        self.last_update: Params = {}
        self.shapes: dict[str, tuple[int, ...]] = {}

    def _start(self) -> None:
        """Per-member step counts if any hyperparameter is per member (an array)."""
        arrays = [getattr(self, h) for h in self.hyperparameters]
        sizes = {a.size for a in arrays if isinstance(a, np.ndarray)}
        if len(sizes) > 1:
            raise ValueError(
                f"per-member hyperparameters differ in length: {sorted(sizes)}"
            )
        shape: tuple[int, ...] = ()
        if sizes:
            shape = (sizes.pop(),)
            self.steps = np.zeros(shape, dtype=np.int64)
        for power in self.powers:  # h^t starts at h^0 = 1
            setattr(self, power, np.ones(shape))

    def step(
        self, params: Params, grads: Params, members: Sequence[int] | None = None
    ) -> Params:
        """θ ← θ + Δθ for every entry; returns Δθ (also kept in ``last_update``).

        In a population, ``members`` (indices into the member axis) selects the members
        that move, and ``grads`` holds their gradients only (default: every member).
        """
        rows: Rows = ... if members is None else np.asarray(members, dtype=np.intp)
        self._check(
            params, grads, rows
        )  # the one precondition: matching keys and shapes
        if isinstance(self.steps, np.ndarray):
            self.steps[rows] += 1
        else:
            self.steps += 1
        for power, base in self.powers.items():  # h^t ← h^(t−1) · h
            getattr(self, power)[rows] *= self._hyper(rows, 1, base)[0]
        update = {}
        for k, g in grads.items():
            update[k] = self._update(k, np.asarray(g, dtype=np.float64), rows)
            params[k][rows] += update[k]
            self.last_update[k][rows] = update[k]
        return update

    def _check(self, params: Params, grads: Params, rows: Rows) -> None:
        if params.keys() != grads.keys():
            raise ValueError(
                f"grads keys {sorted(grads)} differ from params keys {sorted(params)}"
            )
        for k, g in grads.items():
            if np.shape(g) != params[k][rows].shape:
                raise ValueError(
                    f"grads[{k!r}] has shape {np.shape(g)}, "
                    f"params {params[k][rows].shape}"
                )
            if k not in self.shapes:  # first sight: zero state and last update
                self.shapes[k] = params[k].shape
                self.last_update[k] = np.zeros(params[k].shape)
                for moment in self.moments:
                    getattr(self, moment)[k] = np.zeros(params[k].shape)

    def _hyper(self, rows: Rows, ndim: int, *names: str) -> list[Any]:
        """The named hyperparameters of ``rows``, shaped to broadcast against an
        ``ndim``-dimensional gradient (unchanged numbers for a single run)."""
        values = []
        for name in names:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = value[rows].reshape((-1,) + (1,) * (ndim - 1))
            values.append(value)
        return values

    @abstractmethod
    def _update(self, key: str, g: np.ndarray, rows: Rows) -> np.ndarray:
        """Δθ for one parameter array, updating any running state."""

    @abstractmethod
    def effective_lr(self) -> Params:
        """The per-parameter step size that multiplied the gradient in the last step."""

    def state(self) -> dict[str, Any]:
        """Every piece of internal state, as a dict (arrays are copies)."""
        out: dict[str, Any] = {"steps": copy.copy(self.steps), "lr": copy.copy(self.lr)}
        for moment in self.moments:
            out[moment] = {k: v.copy() for k, v in getattr(self, moment).items()}
        return out

    def member(self, k: int) -> Optimizer:
        """Member k of a population optimiser as a single-run optimiser (state copied)."""
        if not isinstance(self.steps, np.ndarray):
            raise ValueError(
                "member() needs a population optimiser (array hyperparameters)"
            )
        single = copy.copy(self)
        for name in self.hyperparameters:
            value = getattr(self, name)
            setattr(
                single,
                name,
                float(value[k]) if isinstance(value, np.ndarray) else value,
            )
        single.steps = int(self.steps[k])
        for power in self.powers:
            setattr(single, power, getattr(self, power)[k].copy())
        single.shapes = {key: shape[1:] for key, shape in self.shapes.items()}
        single.last_update = {key: v[k].copy() for key, v in self.last_update.items()}
        for moment in self.moments:
            setattr(
                single,
                moment,
                {key: v[k].copy() for key, v in getattr(self, moment).items()},
            )
        return single


class SGD(Optimizer):
    """Plain gradient ascent: Δθ = lr · g."""

    name = "sgd"

    def __init__(self, lr: Hyper) -> None:
        super().__init__(lr)
        self._start()

    def _update(self, key: str, g: np.ndarray, rows: Rows) -> np.ndarray:
        (lr,) = self._hyper(rows, g.ndim, "lr")
        return lr * g

    def effective_lr(self) -> Params:
        out = {}
        for k, shape in self.shapes.items():
            (lr,) = self._hyper(..., len(shape), "lr")
            out[k] = np.broadcast_to(lr, shape).copy()
        return out


class RMSProp(Optimizer):
    """RMSProp as in the reference post (Tieleman & Hinton 2012).

        v ← ρ v + (1 − ρ) g²,   Δθ = α g / (√v + ε)

    with ρ = ``decay_rate`` (0.99: a memory of about 100 steps) and ε = ``eps`` added
    *outside* the square root. ``cache`` holds v, starting at zero.
    """

    name = "rmsprop"
    hyperparameters = ("lr", "decay_rate", "eps")
    moments = ("cache",)

    def __init__(
        self, lr: Hyper = 1e-3, decay_rate: Hyper = 0.99, eps: Hyper = 1e-5
    ) -> None:
        super().__init__(lr)
        self.decay_rate = _check_hyper("decay_rate", decay_rate)
        self.eps = _check_hyper("eps", eps, positive=True)
        self.cache: Params = {}  # v: running mean of g², per parameter
        self._start()

    def _update(self, key: str, g: np.ndarray, rows: Rows) -> np.ndarray:
        """v ← ρ v + (1 − ρ) g², Δθ = α g / (√v + ε). Implements eq-rmsprop."""
        lr, rho, eps = self._hyper(rows, g.ndim, "lr", "decay_rate", "eps")
        v = rho * self.cache[key][rows] + (1.0 - rho) * g**2
        self.cache[key][rows] = v
        return lr * g / (np.sqrt(v) + eps)

    def effective_lr(self) -> Params:
        """η = α / (√v + ε) per parameter. Implements eq-effective-lr."""
        out = {}
        for k, v in self.cache.items():
            lr, eps = self._hyper(..., v.ndim, "lr", "eps")
            out[k] = lr / (np.sqrt(v) + eps)
        return out


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba 2015).

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    Δθ = α m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
    """

    name = "adam"
    hyperparameters = ("lr", "beta1", "beta2", "eps")
    moments = ("m", "v")
    powers: ClassVar[dict[str, str]] = {
        "beta1_t": "beta1",
        "beta2_t": "beta2",
    }  # β₁ᵗ, β₂ᵗ

    def __init__(
        self,
        lr: Hyper = 1e-3,
        beta1: Hyper = 0.9,
        beta2: Hyper = 0.999,
        eps: Hyper = 1e-8,
    ) -> None:
        super().__init__(lr)
        self.beta1 = _check_hyper("beta1", beta1)
        self.beta2 = _check_hyper("beta2", beta2)
        self.eps = _check_hyper("eps", eps, positive=True)
        self.m: Params = {}  # first moment
        self.v: Params = {}  # second moment
        self._start()

    def _update(self, key: str, g: np.ndarray, rows: Rows) -> np.ndarray:
        lr, b1, b2, eps, b1_t, b2_t = self._hyper(
            rows, g.ndim, "lr", "beta1", "beta2", "eps", "beta1_t", "beta2_t"
        )
        m = b1 * self.m[key][rows] + (1.0 - b1) * g
        v = b2 * self.v[key][rows] + (1.0 - b2) * g**2
        self.m[key][rows], self.v[key][rows] = m, v
        m_hat = m / (1.0 - b1_t)  # undo the pull towards the zero start
        v_hat = v / (1.0 - b2_t)
        return lr * m_hat / (np.sqrt(v_hat) + eps)

    def effective_lr(self) -> Params:
        out = {}
        for k, v in self.v.items():
            lr, b1, b2, eps, b1_t, b2_t = self._hyper(
                ..., v.ndim, "lr", "beta1", "beta2", "eps", "beta1_t", "beta2_t"
            )
            # before a member's first step β^t = 1: report the first step's size (t = 1)
            c1, c2 = 1.0 - np.minimum(b1_t, b1), 1.0 - np.minimum(b2_t, b2)
            # Δθ = [lr / (c1 (sqrt(v̂) + ε))] · m: the factor multiplying the first moment
            out[k] = lr / (c1 * (np.sqrt(v / c2) + eps))
        return out


def make_optimizer(
    name: str,
    lr: Hyper,
    *,
    decay_rate: Hyper = 0.99,
    eps: Hyper = 1e-5,
    beta1: Hyper = 0.9,
    beta2: Hyper = 0.999,
) -> Optimizer:
    """The optimiser called ``name`` (one of :data:`OPTIMIZERS`).

    Each hyperparameter is a number, or an array of K numbers for a population of K.
    """
    if name == "sgd":
        return SGD(lr)
    if name == "rmsprop":
        return RMSProp(lr, decay_rate=decay_rate, eps=eps)
    if name == "adam":
        return Adam(lr, beta1=beta1, beta2=beta2, eps=eps)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
