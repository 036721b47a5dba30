"""Stochastic policies with hand-written forward and backward passes.

Every policy is a small neural network whose parameters live in a dict of float64
arrays, ``policy.params``. Three operations make up the whole interface the rest of
the package needs:

``sample(obs, rng)``
    draw an action for one observation ``(D,)`` or a batch ``(N, D)``.
``log_prob(obs, actions)``
    log π(a_t | s_t) for a batch, shape ``(T,)``.
``grad_log_prob(obs, actions, weights)``
    Σ_t w_t ∇_θ log π(a_t | s_t), a dict shaped like ``params``, by backprop by hand.

The REINFORCE gradient is ``grad_log_prob`` with the weights set to the (baselined)
returns; the same call with all weights 1 gives the summed score. ``entropy(obs)``
and ``mode(obs)`` describe the action distribution in each state.

**Populations.** The same methods run K independent networks at once. A policy made
by :func:`stack_policies` holds every parameter with a leading member axis K
(``W1`` of shape ``(K, H, D)``); it then takes observations ``(K, T, D)``, actions
``(K, T, ...)`` and weights ``(K, T)``, and returns ``(K, T)`` log-probabilities and
``(K, ...)`` gradients (to give each member its own random stream, ``sample`` takes
any ``rng`` whose ``random``/``standard_normal`` fill a leading axis K from the
members' own generators, as :class:`reinforce.population.MemberStreams` does). The
maths is written once: the products are stacked
``@`` (matrix-vector products as ``@`` with a unit axis), which give each member the bits of
its own unstacked product, so a member computes the same numbers alone or in a
population of any size. :meth:`Policy.member` is member k as a single policy.

Which policy fits an environment is decided by its action space; see
:func:`make_policy`.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from .checks import integer

__all__ = [
    "BernoulliPolicy",
    "CategoricalPolicy",
    "GaussianPolicy",
    "Policy",
    "as_batch",
    "inverse_cdf",
    "log_sigmoid",
    "log_softmax",
    "make_policy",
    "sigmoid",
    "softmax_entropy",
    "stack_policies",
]

Params = dict[str, np.ndarray]


# ---------------------------------------------------------------- stable primitives


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log σ(z) = −log(1 + e^{−z}) as ``-logaddexp(0, -z)``: finite for any z."""
    if not isinstance(z, (np.ndarray, np.float64)) or z.dtype != np.float64:
        z = np.asarray(z, dtype=np.float64)  # (a float64 scalar stays one: faster)
    return -np.logaddexp(0.0, -z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}) without overflow: exp of the log-sigmoid."""
    return np.exp(log_sigmoid(z))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax by the log-sum-exp trick (shift by the row maximum)."""
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)  # the largest entry is 0: no overflow
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_entropy(logits: np.ndarray) -> np.ndarray:
    """−Σ_a π(a) log π(a) in nats for π = softmax(logits), over the last axis."""
    log_pi = log_softmax(logits)
    return -(np.exp(log_pi) * log_pi).sum(axis=-1)


def inverse_cdf(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling: the first index whose cumulative probability exceeds u.

    ``probs`` (..., n) are distributions over n outcomes, ``u`` (...) uniform draws
    in [0, 1); returns integer indices (...). The ``minimum`` guards against a
    cumulative sum that ends at 1 − 1e-16 < u.
    """
    below = np.cumsum(probs, axis=-1) < np.asarray(u)[..., None]
    return np.minimum(below.sum(axis=-1), np.shape(probs)[-1] - 1).astype(np.int64)


def as_batch(obs: np.ndarray, obs_dim: int, members: int | None = None) -> np.ndarray:
    """``obs`` as a finite float64 batch: (T, obs_dim), or (K, T, obs_dim) for K members.

    One observation (obs_dim,) becomes (1, obs_dim). The one check every forward pass
    shares: a wrong shape or a NaN/inf observation raises a ValueError.
    """
    x = np.asarray(obs, dtype=np.float64)
    if members is None:
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != obs_dim:
            raise ValueError(
                f"obs must have shape ({obs_dim},) or (T, {obs_dim}), got {x.shape}"
            )
    elif x.ndim != 3 or x.shape[0] != members or x.shape[2] != obs_dim:
        raise ValueError(
            f"obs must have shape ({members}, T, {obs_dim}), got {x.shape}"
        )
    if not np.isfinite(x).all():
        raise ValueError(f"obs must be finite, got {np.asarray(obs)!r}")
    return x


def _init_weight(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """randn / sqrt(fan_in), fan_in = the last axis: the post's ("Xavier") initialisation."""
    return rng.standard_normal(shape) / np.sqrt(shape[-1])


def _one_or_many(obs: np.ndarray, values: Any) -> Any:
    """The first row for a single observation (D,), else every row."""
    return values[0] if np.ndim(obs) == 1 else values


# ---------------------------------------------------------------- base class


class Policy(ABC):
    """A parametrised stochastic policy π_θ(a | s) with a hand-written gradient.

    Subclasses set ``params`` (a dict of float64 arrays) and implement the three
    operations below, and ``entropy`` and ``mode`` (the action distribution in each
    state). ``obs`` is always float64; a single observation has shape ``(D,)`` and a
    batch ``(T, D)``; with ``members = K`` (a stacked population, see
    :func:`stack_policies`) every array gains a leading axis K.
    """

    #: short name used in saved files and error messages
    kind: ClassVar[str] = "policy"

    obs_dim: int
    hidden: int
    params: Params
    #: K for a stacked population (every parameter has a leading axis K), else None
    members: int | None = None

    @abstractmethod
    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        """Draw an action for ``obs`` (D,) — or one per row of ``obs`` (N, D)."""

    @abstractmethod
    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """log π(a_t | s_t) for each row: ``obs`` (T, D), ``actions`` (T, ...) → (T,)."""

    @abstractmethod
    def grad_log_prob(
        self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> Params:
        """Σ_t w_t ∇_θ log π(a_t | s_t), a dict shaped like ``params``."""

    @abstractmethod
    def entropy(self, obs: np.ndarray) -> np.ndarray:
        """The entropy of π(· | s) in nats for each row (T,); a scalar for one
        observation (D,)."""

    @abstractmethod
    def mode(self, obs: np.ndarray) -> Any:
        """The most likely action in each state, shaped as :meth:`sample`'s draws."""

    def env_action(self, action: Any) -> Any:
        """The action to hand to the environment (identity except for clipping)."""
        return action

    # --- populations

    def member(self, k: int, *, view: bool = False) -> Policy:
        """Member k of a stacked population as a single policy: its parameters copied,
        or with ``view=True`` views into the population's (updates then reach both)."""
        if self.members is None:
            raise ValueError("member() needs a stacked population (see stack_policies)")
        single = copy.copy(self)
        single.params = {
            name: v[k] if view else v[k].copy() for name, v in self.params.items()
        }
        single.members = None
        return single

    # --- helpers shared by subclasses

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        return as_batch(obs, self.obs_dim, self.members)

    def _weights(self, weights: np.ndarray, shape: int | tuple[int, ...]) -> np.ndarray:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != shape:
            raise ValueError(f"weights must have shape {shape}, got {w.shape}")
        return w

    def zeros_like_params(self) -> Params:
        """A dict of zero arrays shaped like ``params`` (for accumulating gradients)."""
        return {k: np.zeros_like(v) for k, v in self.params.items()}

    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(v.size for v in self.params.values()))

    def spec(self) -> dict[str, Any]:
        """What is needed besides ``params`` to rebuild this policy (JSON-serialisable)."""
        return {"kind": self.kind, "obs_dim": self.obs_dim, "hidden": self.hidden}

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


def stack_policies(policies: Sequence[Policy]) -> Policy:
    """K policies of one kind and size as one population: parameters stacked on axis 0."""
    first = policies[0] if len(policies) else None
    if first is None or any(p.members is not None for p in policies):
        raise ValueError("stack_policies needs at least one single (unstacked) policy")
    for p in policies:
        if type(p) is not type(first) or p.spec() != first.spec():
            raise ValueError(f"cannot stack {p.spec()} with {first.spec()}")
    stacked = copy.copy(first)
    stacked.params = {
        name: np.stack([p.params[name] for p in policies]) for name in first.params
    }
    stacked.members = len(policies)
    return stacked


# ---------------------------------------------------------------- Bernoulli (the post's)


class BernoulliPolicy(Policy):
    """Two actions, one sigmoid output: the reference post's 4 → 100 → 1 network.

    ::

        s (D,) --W1--> relu --> h (H,) --W2--> z (scalar) --σ--> p = P(a = 1 | s)

    No biases, weights initialised as ``randn / sqrt(fan_in)``. Action 1 is drawn
    with probability p. The score with respect to the logit is

        ∂ log π(a | s) / ∂z = a − p,

    which backprop carries to ``W2`` and, through the ReLU mask, to ``W1``.
    """

    kind = "bernoulli"

    def __init__(self, obs_dim: int, hidden: int, rng: np.random.Generator) -> None:
        self.obs_dim = integer("obs_dim", obs_dim, low=1)
        self.hidden = integer("hidden", hidden, low=1)
        self.params = {
            "W1": _init_weight(rng, (self.hidden, self.obs_dim)),  # (H, D)
            "W2": _init_weight(rng, (self.hidden,)),  # (H,): one output unit
        }

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits z (T,) and hidden activations h (T, H). Implements eq-forward.

        For K stacked members: obs (K, T, D) → z (K, T), h (K, T, H).
        """
        x = self._batch(obs)
        h = x @ self.params["W1"].mT
        np.maximum(h, 0.0, out=h)  # (T, H): relu(W1 s)
        z = (h @ self.params["W2"][..., None])[..., 0]  # (T,): w2ᵀ h
        return z, h

    def prob(self, obs: np.ndarray) -> np.ndarray:
        """p = P(a = 1 | s), shape (T,) (or a scalar for a single observation)."""
        z, _ = self.forward(obs)
        return sigmoid(_one_or_many(obs, z))

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        """Action 1 with probability p: a = 1 if u < p, with u ~ Uniform(0, 1).

        One observation (D,) gives an ``int`` (the per-step loop's case: one scalar
        draw), a batch an int64 array.
        """
        p = self.prob(obs)
        if np.ndim(p) == 0:
            return int(rng.random() < p)
        return (rng.random(p.shape) < p).astype(np.int64)

    def _actions(self, actions: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        a = np.asarray(actions)
        if a.size != np.prod(shape) or not ((a == 0) | (a == 1)).all():
            raise ValueError(f"actions must be {shape} values in {{0, 1}}, got {a!r}")
        return a.reshape(shape).astype(np.float64)

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """log π(a | s) = a log σ(z) + (1 − a) log σ(−z), for each row: (T,)."""
        z, _ = self.forward(obs)
        a = self._actions(actions, z.shape)
        return a * log_sigmoid(z) + (1.0 - a) * log_sigmoid(-z)

    def grad_log_prob(
        self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> Params:
        """Σ_t w_t ∇ log π(a_t | s_t). Implements eq-backward (with eq-score)."""
        x = self._batch(obs)  # (T, D)
        z, h = self.forward(x)  # (T,), (T, H)
        a = self._actions(actions, z.shape)
        dz = self._weights(weights, z.shape) * (a - sigmoid(z))  # δ_t = w_t (a_t − p_t)
        dW2 = (dz[..., None, :] @ h)[..., 0, :]  # (H,): Σ_t δ_t h_t
        # (T, H): δ_t w2 ⊙ 1[h_t > 0], written over h (no longer needed) rather than
        # into new arrays of the batch's largest size
        relu_on = h > 0
        dh = np.multiply(dz[..., None], self.params["W2"][..., None, :], out=h)
        dh *= relu_on
        dW1 = dh.mT @ x  # (H, D): Σ_t (δ_t w2 ⊙ 1[h_t > 0]) s_tᵀ
        return {"W1": dW1, "W2": dW2}

    def entropy(self, obs: np.ndarray) -> np.ndarray:
        """−p log p − (1 − p) log(1 − p) in nats, per row (T,)."""
        z, _ = self.forward(obs)
        p = sigmoid(z)
        return _one_or_many(obs, -(p * log_sigmoid(z) + (1.0 - p) * log_sigmoid(-z)))

    def mode(self, obs: np.ndarray) -> Any:
        """The more likely action: 1 where p > 1/2 (z > 0), else 0."""
        z, _ = self.forward(obs)
        return _one_or_many(obs, (z > 0).astype(np.int64))


# ---------------------------------------------------------------- Categorical


class CategoricalPolicy(Policy):
    """n actions, a softmax over n logits.

    ::

        s (D,) --W1,b1--> relu --> h (H,) --W2,b2--> z (n,) --softmax--> π(· | s)

    The score with respect to the logits is ``onehot(a) − π(· | s)``.
    """

    kind = "categorical"

    def __init__(
        self, obs_dim: int, n_actions: int, hidden: int, rng: np.random.Generator
    ):
        self.obs_dim = integer("obs_dim", obs_dim, low=1)
        self.hidden = integer("hidden", hidden, low=1)
        self.n_actions = integer("n_actions", n_actions, low=1)
        if self.n_actions < 2:
            raise ValueError(f"n_actions must be >= 2, got {n_actions!r}")
        self.params = {
            "W1": _init_weight(rng, (self.hidden, self.obs_dim)),  # (H, D)
            "b1": np.zeros(self.hidden),  # (H,)
            "W2": _init_weight(rng, (self.n_actions, self.hidden)),  # (n, H)
            "b2": np.zeros(self.n_actions),  # (n,)
        }

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "n_actions": self.n_actions}

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits (T, n) and hidden activations (T, H). Implements eq-more-actions-softmax."""
        x = self._batch(obs)
        p = self.params
        h = np.maximum(x @ p["W1"].mT + p["b1"][..., None, :], 0.0)  # (T, H)
        return h @ p["W2"].mT + p["b2"][..., None, :], h  # (T, n)

    def probs(self, obs: np.ndarray) -> np.ndarray:
        """π(· | s): (n,) for one observation, (T, n) for a batch."""
        logits, _ = self.forward(obs)
        return _one_or_many(obs, np.exp(log_softmax(logits)))

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        """Inverse-CDF sampling from π(· | s) with u ~ Uniform(0, 1)."""
        p = self.probs(obs)
        return inverse_cdf(p, rng.random(p.shape[:-1]))

    def _actions(self, actions: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        a = np.asarray(actions)
        if a.size != np.prod(shape) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"actions must be {shape} integers, got {a!r}")
        if a.min(initial=0) < 0 or a.max(initial=0) >= self.n_actions:
            raise ValueError(f"actions must lie in [0, {self.n_actions}), got {a!r}")
        return a.reshape(shape)

    def _log_pi_taken(self, logits: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(log_softmax(logits), a[..., None], axis=-1)[..., 0]

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """log π(a_t | s_t) from the log-softmax of the logits: (T,)."""
        logits, _ = self.forward(obs)
        return self._log_pi_taken(logits, self._actions(actions, logits.shape[:-1]))

    def grad_log_prob(
        self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> Params:
        """Σ_t w_t ∇ log π(a_t | s_t). Implements eq-more-actions-score."""
        x = self._batch(obs)  # (T, D)
        logits, h = self.forward(x)  # (T, n), (T, H)
        a = self._actions(actions, logits.shape[:-1])
        w = self._weights(weights, a.shape)
        onehot = np.eye(self.n_actions)[a]  # (T, n)
        dz = w[..., None] * (
            onehot - np.exp(log_softmax(logits))
        )  # w_t (onehot(a_t) − π)
        dh = dz @ self.params["W2"]  # (T, H)
        dh *= h > 0  # back through the ReLU
        return {
            "W1": dh.mT @ x,
            "b1": dh.sum(axis=-2),
            "W2": dz.mT @ h,
            "b2": dz.sum(axis=-2),
        }

    def entropy(self, obs: np.ndarray) -> np.ndarray:
        """−Σ_a π(a | s) log π(a | s) in nats, per row (T,)."""
        logits, _ = self.forward(obs)
        return _one_or_many(obs, softmax_entropy(logits))

    def mode(self, obs: np.ndarray) -> Any:
        """The most likely action in each state (the largest logit)."""
        logits, _ = self.forward(obs)
        return _one_or_many(obs, logits.argmax(axis=-1))


# ---------------------------------------------------------------- Gaussian


class GaussianPolicy(Policy):
    """Continuous actions in a box: a diagonal Gaussian with a learned, state-free std.

    ::

        s (D,) --W1,b1--> tanh --> h (H,) --W2,b2--> μ (k,)      a ~ N(μ, diag(σ²)),
                                                                 σ = exp(log_std)  (k,)

    ``log_prob`` is the density of the *unclipped* sample; the environment receives
    the sample clipped to the action box (:meth:`env_action`). The scores are

        ∂ log π / ∂μ = (a − μ) / σ²,   ∂ log π / ∂ log σ = ((a − μ) / σ)² − 1.
    """

    kind = "gaussian"

    def __init__(
        self,
        obs_dim: int,
        low: np.ndarray,
        high: np.ndarray,
        hidden: int,
        rng: np.random.Generator,
        init_log_std: float = 0.0,
    ) -> None:
        self.obs_dim = integer("obs_dim", obs_dim, low=1)
        self.hidden = integer("hidden", hidden, low=1)
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        if self.low.shape != self.high.shape:
            raise ValueError(
                f"low and high differ in shape: {self.low.shape} vs {self.high.shape}"
            )
        if not (np.all(np.isfinite(self.low)) and np.all(np.isfinite(self.high))):
            raise ValueError(
                f"GaussianPolicy needs finite action bounds, got low={self.low}, high={self.high}"
            )
        if not np.all(self.low < self.high):
            raise ValueError(
                f"action bounds need low < high, got low={self.low}, high={self.high}"
            )
        if not np.isfinite(init_log_std):
            raise ValueError(f"init_log_std must be finite, got {init_log_std!r}")
        self.action_dim = self.low.size
        k = self.action_dim
        self.params = {
            "W1": _init_weight(rng, (self.hidden, self.obs_dim)),  # (H, D)
            "b1": np.zeros(self.hidden),  # (H,)
            "W2": _init_weight(rng, (k, self.hidden)),  # (k, H)
            "b2": np.zeros(k),  # (k,)
            "log_std": np.full(k, float(init_log_std)),  # (k,)
        }

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "low": self.low.tolist(), "high": self.high.tolist()}

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means μ (T, k) and hidden activations h (T, H)."""
        x = self._batch(obs)
        p = self.params
        h = np.tanh(x @ p["W1"].mT + p["b1"][..., None, :])  # (T, H)
        return h @ p["W2"].mT + p["b2"][..., None, :], h  # (T, k)

    def std(self) -> np.ndarray:
        """σ = exp(log_std), shape (k,) (or (K, k) for a population)."""
        return np.exp(self.params["log_std"])

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        """a = μ(s) + σ ⊙ ε with ε ~ N(0, I): one (k,) action per row."""
        mu, _ = self.forward(obs)  # (N, k)
        a = mu + self.std()[..., None, :] * rng.standard_normal(mu.shape)
        return _one_or_many(obs, a)

    def env_action(self, action: Any) -> Any:
        return np.clip(action, self.low, self.high)

    def _actions(self, actions: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        a = np.asarray(actions, dtype=np.float64)
        if a.size != np.prod(shape) or not np.isfinite(a).all():
            raise ValueError(f"actions must be {shape} finite numbers, got {a!r}")
        return a.reshape(shape)

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """log N(a; μ(s), diag σ²) per row (T,). Implements eq-continuous-log-density."""
        mu, _ = self.forward(obs)
        a = self._actions(actions, mu.shape)
        log_std = self.params["log_std"][..., None, :]
        zscore = (a - mu) / np.exp(log_std)  # (T, k)
        per_dim = -0.5 * zscore**2 - log_std - 0.5 * np.log(2.0 * np.pi)
        return per_dim.sum(axis=-1)

    def grad_log_prob(
        self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> Params:
        """Σ_t w_t ∇ log π(a_t | s_t). Implements eq-continuous-scores."""
        x = self._batch(obs)  # (T, D)
        mu, h = self.forward(x)  # (T, k), (T, H)
        a = self._actions(actions, mu.shape)
        w = self._weights(weights, mu.shape[:-1])[..., None]  # (T, 1)
        sigma = self.std()[..., None, :]  # (1, k)
        zscore = (a - mu) / sigma  # (T, k)
        dmu = w * zscore / sigma  # (T, k): w (a − μ) / σ²
        dh = dmu @ self.params["W2"]  # (T, H)
        dh *= 1.0 - h**2  # back through tanh
        return {
            "W1": dh.mT @ x,
            "b1": dh.sum(axis=-2),
            "W2": dmu.mT @ h,
            "b2": dmu.sum(axis=-2),
            "log_std": (w * (zscore**2 - 1.0)).sum(axis=-2),  # (k,)
        }

    def entropy(self, obs: np.ndarray) -> np.ndarray:
        """Σ_j (log σ_j + ½ log 2πe) in nats, the same in every state: (T,)."""
        mu, _ = self.forward(obs)
        per_dim = self.params["log_std"][..., None, :] + 0.5 * np.log(
            2.0 * np.pi * np.e
        )
        return _one_or_many(obs, np.broadcast_to(per_dim, mu.shape).sum(axis=-1))

    def mode(self, obs: np.ndarray) -> Any:
        """The most likely action, μ(s) (unclipped; :meth:`env_action` clips)."""
        mu, _ = self.forward(obs)
        return _one_or_many(obs, mu)


# ---------------------------------------------------------------- factory


_UNSUPPORTED = (spaces.MultiDiscrete, spaces.MultiBinary, spaces.Dict, spaces.Tuple)


def check_observation_space(space: spaces.Space) -> int:
    """Return the observation dimension D, or raise if the space is not a flat Box."""
    if not isinstance(space, spaces.Box) or len(space.shape) != 1:
        raise ValueError(
            f"observation_space must be a flat Box of shape (D,), got {space!r}; "
            "wrap the environment (e.g. gymnasium.wrappers.FlattenObservation) first"
        )
    return int(space.shape[0])


def check_action_space(space: spaces.Space) -> None:
    """Raise a ValueError naming the space unless some policy here can act in it."""
    if isinstance(space, _UNSUPPORTED):
        raise ValueError(
            f"action_space {space!r} ({type(space).__name__}) is not supported: "
            "use Discrete or a bounded Box"
        )
    if isinstance(space, spaces.Discrete):
        if space.n < 2:
            raise ValueError(f"action_space {space!r} needs at least 2 actions")
        if space.start != 0:
            raise ValueError(f"action_space {space!r} must start at 0")
        return
    if isinstance(space, spaces.Box):
        if len(space.shape) != 1:
            raise ValueError(f"action_space {space!r} must be a flat Box of shape (k,)")
        if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
            raise ValueError(
                f"action_space {space!r} has infinite bounds; GaussianPolicy needs finite ones"
            )
        return
    raise ValueError(
        f"action_space {space!r} ({type(space).__name__}) is not supported"
    )


def make_policy(
    observation_space: spaces.Space,
    action_space: spaces.Space,
    hidden: int,
    rng: np.random.Generator,
) -> Policy:
    """The policy that fits the spaces.

    =====================  ======================
    action space           policy
    =====================  ======================
    ``Discrete(2)``        :class:`BernoulliPolicy`
    ``Discrete(n)``, n>2   :class:`CategoricalPolicy`
    bounded ``Box((k,))``  :class:`GaussianPolicy`
    =====================  ======================
    """
    obs_dim = check_observation_space(observation_space)
    check_action_space(action_space)
    if isinstance(action_space, spaces.Discrete):
        if action_space.n == 2:
            return BernoulliPolicy(obs_dim, hidden, rng)
        return CategoricalPolicy(obs_dim, int(action_space.n), hidden, rng)
    assert isinstance(action_space, spaces.Box)  # narrowed by check_action_space
    return GaussianPolicy(obs_dim, action_space.low, action_space.high, hidden, rng)


def policy_from_spec(spec: dict[str, Any], params: Params) -> Policy:
    """Rebuild a policy from :meth:`Policy.spec` and its parameters (used by loading)."""
    rng = np.random.default_rng(0)  # initial values are overwritten below
    kind = spec.get("kind")
    policy: Policy
    if kind == "bernoulli":
        policy = BernoulliPolicy(spec["obs_dim"], spec["hidden"], rng)
    elif kind == "categorical":
        policy = CategoricalPolicy(
            spec["obs_dim"], spec["n_actions"], spec["hidden"], rng
        )
    elif kind == "gaussian":
        policy = GaussianPolicy(
            spec["obs_dim"], spec["low"], spec["high"], spec["hidden"], rng
        )
    else:
        raise ValueError(f"unknown policy kind {kind!r} in saved spec")
    for name, value in policy.params.items():
        saved = params.get(name)
        if saved is None or np.shape(saved) != value.shape:
            got = None if saved is None else np.shape(saved)
            raise ValueError(
                f"saved parameter {name!r} missing or of the wrong shape "
                f"(expected {value.shape}, got {got})"
            )
        policy.params[name] = np.array(params[name], dtype=np.float64)
    return policy
