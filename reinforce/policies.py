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
returns; the same call with all weights 1 gives the summed score.

Which policy fits an environment is decided by its action space; see
:func:`make_policy`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

__all__ = [
    "BernoulliPolicy",
    "CategoricalPolicy",
    "GaussianPolicy",
    "Policy",
    "as_batch",
    "log_sigmoid",
    "log_softmax",
    "make_policy",
    "sigmoid",
]

Params = dict[str, np.ndarray]


# ---------------------------------------------------------------- stable primitives


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """log σ(z) = -log(1 + e^{-z}), computed as ``-logaddexp(0, -z)``: finite for any z."""
    return -np.logaddexp(0.0, -np.asarray(z, dtype=np.float64))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}) without overflow: exp of the log-sigmoid."""
    return np.exp(log_sigmoid(z))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax by the log-sum-exp trick (shift by the row maximum)."""
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)  # largest entry becomes 0: exp cannot overflow
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def as_batch(obs: np.ndarray, obs_dim: int) -> np.ndarray:
    """``obs`` as a float64 batch (T, obs_dim); one observation (obs_dim,) becomes (1, obs_dim)."""
    x = np.asarray(obs, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != obs_dim:
        raise ValueError(f"obs must have shape ({obs_dim},) or (T, {obs_dim}), got {x.shape}")
    return x


def _init_weight(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """randn / sqrt(fan_in), fan_in = the last axis: the post's ("Xavier") initialisation."""
    return rng.standard_normal(shape) / np.sqrt(shape[-1])


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return int(value)


# ---------------------------------------------------------------- base class


class Policy(ABC):
    """A parametrised stochastic policy π_θ(a | s) with a hand-written gradient.

    Subclasses set ``params`` (a dict of float64 arrays) and implement the three
    operations below. ``obs`` is always float64; a single observation has shape
    ``(D,)`` and a batch ``(T, D)``.
    """

    #: short name used in saved files and error messages
    kind: ClassVar[str] = "policy"

    obs_dim: int
    hidden: int
    params: Params

    @abstractmethod
    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        """Draw an action for ``obs`` (D,) — or one per row of ``obs`` (N, D)."""

    @abstractmethod
    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """log π(a_t | s_t) for each row: ``obs`` (T, D), ``actions`` (T, ...) → (T,)."""

    @abstractmethod
    def grad_log_prob(self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray) -> Params:
        """Σ_t w_t ∇_θ log π(a_t | s_t), a dict shaped like ``params``."""

    def env_action(self, action: Any) -> Any:
        """The action to hand to the environment (identity except for clipping)."""
        return action

    # --- helpers shared by subclasses

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        return as_batch(obs, self.obs_dim)

    def _weights(self, weights: np.ndarray, T: int) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (T,):
            raise ValueError(f"weights must have shape ({T},), got {w.shape}")
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
        self.obs_dim = _check_positive_int("obs_dim", obs_dim)
        self.hidden = _check_positive_int("hidden", hidden)
        self.params = {
            "W1": _init_weight(rng, (self.hidden, self.obs_dim)),  # (H, D)
            "W2": _init_weight(rng, (self.hidden,)),  # (H,): one output unit
        }

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits z (T,) and hidden activations h (T, H) for a batch of observations."""
        x = self._batch(obs)
        h = np.maximum(x @ self.params["W1"].T, 0.0)  # (T, H)
        z = h @ self.params["W2"]  # (T,)
        return z, h

    def prob(self, obs: np.ndarray) -> np.ndarray:
        """p = P(a = 1 | s), shape (T,) (or a scalar for a single observation)."""
        z, _ = self.forward(obs)
        p = sigmoid(z)
        return p[0] if np.ndim(obs) == 1 else p

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        if np.ndim(obs) == 1 and len(obs) == self.obs_dim:
            # one observation, the per-step hot path: the same arithmetic, fewer array calls
            h = self.params["W1"] @ obs  # (H,)
            np.maximum(h, 0.0, out=h)
            z = float(self.params["W2"] @ h)
            e = math.exp(-abs(z))  # σ(z) without overflow for either sign of z
            p = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
            return int(rng.random() < p)
        probs = self.prob(obs)
        return (rng.random(np.shape(probs)) < probs).astype(np.int64)  # 1 with probability p

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        z, _ = self.forward(obs)
        a = np.asarray(actions, dtype=np.float64).reshape(z.shape)
        # log p if a = 1, log(1 - p) = log σ(−z) if a = 0
        return a * log_sigmoid(z) + (1.0 - a) * log_sigmoid(-z)

    def grad_log_prob(self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray) -> Params:
        z, h = self.forward(obs)  # (T,), (T, H)
        x = self._batch(obs)  # (T, D)
        a = np.asarray(actions, dtype=np.float64).reshape(z.shape)
        dz = (a - sigmoid(z)) * self._weights(weights, z.shape[0])  # modulate the score by w_t
        dW2 = h.T @ dz  # (H,)
        dh = np.outer(dz, self.params["W2"])  # (T, H)
        dh[h <= 0] = 0.0  # backprop through the ReLU
        dW1 = dh.T @ x  # (H, D)
        return {"W1": dW1, "W2": dW2}


# ---------------------------------------------------------------- Categorical


class CategoricalPolicy(Policy):
    """n actions, a softmax over n logits.

    ::

        s (D,) --W1,b1--> relu --> h (H,) --W2,b2--> z (n,) --softmax--> π(· | s)

    The score with respect to the logits is ``onehot(a) − π(· | s)``.
    """

    kind = "categorical"

    def __init__(self, obs_dim: int, n_actions: int, hidden: int, rng: np.random.Generator):
        self.obs_dim = _check_positive_int("obs_dim", obs_dim)
        self.hidden = _check_positive_int("hidden", hidden)
        self.n_actions = _check_positive_int("n_actions", n_actions)
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
        """Logits (T, n) and hidden activations (T, H)."""
        x = self._batch(obs)
        h = np.maximum(x @ self.params["W1"].T + self.params["b1"], 0.0)  # (T, H)
        return h @ self.params["W2"].T + self.params["b2"], h  # (T, n)

    def probs(self, obs: np.ndarray) -> np.ndarray:
        """π(· | s): (n,) for one observation, (T, n) for a batch."""
        logits, _ = self.forward(obs)
        p = np.exp(log_softmax(logits))
        return p[0] if np.ndim(obs) == 1 else p

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        p = np.atleast_2d(self.probs(obs))  # (N, n)
        u = rng.random((p.shape[0], 1))
        # inverse-CDF sampling; min() guards against a cumulative sum of 1 - 1e-16
        a = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), self.n_actions - 1)
        return int(a[0]) if np.ndim(obs) == 1 else a.astype(np.int64)

    def _actions(self, actions: np.ndarray, T: int) -> np.ndarray:
        a = np.asarray(actions).reshape(-1)
        if a.shape != (T,) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"actions must be {T} integers, got {np.asarray(actions)!r}")
        if a.min(initial=0) < 0 or a.max(initial=0) >= self.n_actions:
            raise ValueError(f"actions must lie in [0, {self.n_actions}), got {a!r}")
        return a

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        logits, _ = self.forward(obs)
        a = self._actions(actions, logits.shape[0])
        return log_softmax(logits)[np.arange(a.size), a]

    def grad_log_prob(self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray) -> Params:
        logits, h = self.forward(obs)  # (T, n), (T, H)
        x = self._batch(obs)
        T = logits.shape[0]
        a = self._actions(actions, T)
        dz = -np.exp(log_softmax(logits))  # (T, n): −π(· | s)
        dz[np.arange(T), a] += 1.0  # onehot(a) − π
        dz *= self._weights(weights, T)[:, None]
        dh = dz @ self.params["W2"]  # (T, H)
        dh[h <= 0] = 0.0  # backprop through the ReLU
        return {"W1": dh.T @ x, "b1": dh.sum(axis=0), "W2": dz.T @ h, "b2": dz.sum(axis=0)}


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
        self.obs_dim = _check_positive_int("obs_dim", obs_dim)
        self.hidden = _check_positive_int("hidden", hidden)
        self.low = np.asarray(low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(high, dtype=np.float64).reshape(-1)
        if self.low.shape != self.high.shape:
            raise ValueError(f"low and high differ in shape: {self.low.shape} vs {self.high.shape}")
        if not (np.all(np.isfinite(self.low)) and np.all(np.isfinite(self.high))):
            raise ValueError(
                f"GaussianPolicy needs finite action bounds, got low={self.low}, high={self.high}"
            )
        if not np.all(self.low < self.high):
            raise ValueError(f"action bounds need low < high, got low={self.low}, high={self.high}")
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
        h = np.tanh(x @ self.params["W1"].T + self.params["b1"])  # (T, H)
        return h @ self.params["W2"].T + self.params["b2"], h

    def std(self) -> np.ndarray:
        """σ = exp(log_std), shape (k,)."""
        return np.exp(self.params["log_std"])

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        mu, _ = self.forward(obs)  # (N, k)
        a = mu + self.std() * rng.standard_normal(mu.shape)
        return a[0] if np.ndim(obs) == 1 else a

    def env_action(self, action: Any) -> Any:
        return np.clip(action, self.low, self.high)

    def _actions(self, actions: np.ndarray, T: int) -> np.ndarray:
        a = np.asarray(actions, dtype=np.float64).reshape(T, self.action_dim)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"actions must be finite, got {a!r}")
        return a

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        mu, _ = self.forward(obs)
        a = self._actions(actions, mu.shape[0])
        log_std = self.params["log_std"]
        zscore = (a - mu) / np.exp(log_std)  # (T, k)
        per_dim = -0.5 * zscore**2 - log_std - 0.5 * np.log(2.0 * np.pi)
        return per_dim.sum(axis=1)

    def grad_log_prob(self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray) -> Params:
        mu, h = self.forward(obs)  # (T, k), (T, H)
        x = self._batch(obs)
        T = mu.shape[0]
        a = self._actions(actions, T)
        w = self._weights(weights, T)[:, None]  # (T, 1)
        sigma = self.std()
        zscore = (a - mu) / sigma  # (T, k)
        dmu = w * zscore / sigma  # (T, k): w (a − μ) / σ²
        dlog_std = (w * (zscore**2 - 1.0)).sum(axis=0)  # (k,)
        dh = (dmu @ self.params["W2"]) * (1.0 - h**2)  # (T, H): through tanh
        return {
            "W1": dh.T @ x,
            "b1": dh.sum(axis=0),
            "W2": dmu.T @ h,
            "b2": dmu.sum(axis=0),
            "log_std": dlog_std,
        }


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
    raise ValueError(f"action_space {space!r} ({type(space).__name__}) is not supported")


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
        policy = CategoricalPolicy(spec["obs_dim"], spec["n_actions"], spec["hidden"], rng)
    elif kind == "gaussian":
        policy = GaussianPolicy(spec["obs_dim"], spec["low"], spec["high"], spec["hidden"], rng)
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
