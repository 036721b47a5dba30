r"""Deep Q-learning (DQN) written by hand: the value-based method REINFORCE is compared with.

DQN (Mnih et al. 2015) learns the action values Q_θ(s, a) of the greedy policy and acts
ε-greedily with respect to them. Four pieces make it work::

    act:      a_t = argmax_a Q_θ(s_t, a), or a uniform action with probability ε_t
    store:    (s_t, a_t, r_t, s_{t+1}, terminated) → replay buffer (a ring of N slots)
    learn:    a uniform mini-batch of B stored transitions,
              y = r + γ (1 − terminated) max_a' Q_θ⁻(s', a')         (TD target)
              L(θ) = mean Huber(Q_θ(s, a) − y)                       (TD loss)
              θ ← optimiser step on −∇_θ L                           (hand-written backprop)
    sync:     θ⁻ ← θ every K environment steps (or θ⁻ ← τθ + (1 − τ)θ⁻)

Only Discrete action spaces are supported: the max over actions is an enumeration.
A time-limit *truncation* still bootstraps from s'; only a true termination zeroes the
future value. :class:`DQNConfig` holds the hyperparameters; :func:`train_dqn` runs the
loop and returns a :class:`DQNHistory` with the same fields as
:class:`reinforce.train.History`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Collection, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from gymnasium import spaces

from . import checks
from .checkpoint import _read_params, atomic_write, check_finite_params
from .envs import make_env
from .history import RunHistory, solved_threshold
from .optim import OPTIMIZERS, make_optimizer
from .policies import _init_weight, as_batch, check_observation_space
from .train import interruptible, one_blas_thread, seed_streams, stop_requested

__all__ = [
    "DQN_PRESETS",
    "LOSSES",
    "DQNConfig",
    "DQNHistory",
    "QNetwork",
    "ReplayBuffer",
    "Transitions",
    "clip_grad_norm",
    "dqn_preset",
    "epsilon_at",
    "load_q_network",
    "save_q_network",
    "sync_target",
    "td_loss",
    "td_loss_and_grad",
    "td_targets",
    "train_dqn",
]

Params = dict[str, np.ndarray]

#: names accepted by ``DQNConfig.loss`` and :func:`td_loss`
LOSSES = ("huber", "mse")
#: names accepted by ``DQNConfig.init`` and :class:`QNetwork`
INITS = ("normal", "uniform")


# ---------------------------------------------------------------- the Q-network


class QNetwork:
    """Q_θ(s, ·): L hidden ReLU layers, one linear output per action.

    ::

        s (D,) --W1,b1--> relu --> h1 (H1,) ... --WL,bL--> relu --> hL (HL,)
               --W(L+1),b(L+1)--> Q(s, ·) (n,)

    ``hidden`` is one width (one hidden layer) or a sequence of widths, e.g. ``(256, 256)``.
    ``init`` chooses the initial weights, layer by layer (W then b, from ``rng``):

    - ``normal``: like :class:`~reinforce.policies.CategoricalPolicy`, weights
      ``randn / sqrt(fan_in)``, biases zero;
    - ``uniform``: PyTorch's default for ``nn.Linear`` (which Stable-Baselines3's DQN
      keeps), weights and biases U(−1/√fan_in, 1/√fan_in), a third of the variance.

    ``params`` is a dict of float64 arrays, ``W1, b1, …, W(L+1), b(L+1)``.
    """

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden: int | Sequence[int],
        rng: np.random.Generator,
        init: str = "normal",
    ):
        self.obs_dim = checks.integer("obs_dim", obs_dim, low=1)
        self.n_actions = checks.integer("n_actions", n_actions, low=1)
        widths = [hidden] if isinstance(hidden, int | np.integer) else list(hidden)
        if not widths:
            raise ValueError("hidden must name at least one layer width, got ()")
        self.hidden = tuple(checks.integer("hidden", h, low=1) for h in widths)
        init = checks.choice("init", init, INITS)
        sizes = (self.obs_dim, *self.hidden, self.n_actions)
        self.params: Params = {}
        for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), 1):
            if init == "normal":
                self.params[f"W{layer}"] = _init_weight(rng, (fan_out, fan_in))
                self.params[f"b{layer}"] = np.zeros(fan_out)
            else:  # uniform: bound 1/sqrt(fan_in) for the weights and the biases
                bound = 1.0 / math.sqrt(fan_in)
                self.params[f"W{layer}"] = rng.uniform(-bound, bound, (fan_out, fan_in))
                self.params[f"b{layer}"] = rng.uniform(-bound, bound, fan_out)

    @property
    def layers(self) -> int:
        """The number of weight layers, L + 1 (hidden layers plus the output)."""
        return len(self.hidden) + 1

    def _batch(self, obs: np.ndarray) -> np.ndarray:
        return as_batch(obs, self.obs_dim)

    def forward(self, obs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Q-values (B, n) and the hidden activations [h1 (B, H1), …, hL (B, HL)]."""
        p, x = self.params, self._batch(obs)
        activations = []
        for layer in range(1, self.layers):
            x = np.maximum(x @ p[f"W{layer}"].T + p[f"b{layer}"], 0.0)  # (B, H_l)
            activations.append(x)
        out = self.layers
        return x @ p[f"W{out}"].T + p[f"b{out}"], activations  # (B, n)

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·): (n,) for one observation, (B, n) for a batch."""
        q, _ = self.forward(obs)
        return q[0] if np.ndim(obs) == 1 else q

    def greedy(self, obs: np.ndarray) -> int:
        """argmax_a Q(s, a) for one observation (D,); ties go to the lowest action."""
        p, x = self.params, obs
        for layer in range(1, self.layers):  # the per-step hot path, without batching
            x = p[f"W{layer}"] @ x + p[f"b{layer}"]
            np.maximum(x, 0.0, out=x)
        return int(np.argmax(p[f"W{self.layers}"] @ x + p[f"b{self.layers}"]))

    def copy(self) -> QNetwork:
        """An independent copy (same shapes, copied arrays): a target network."""
        other = object.__new__(QNetwork)
        other.obs_dim, other.n_actions, other.hidden = (
            self.obs_dim,
            self.n_actions,
            self.hidden,
        )
        other.params = {k: v.copy() for k, v in self.params.items()}
        return other

    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return int(sum(v.size for v in self.params.values()))

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.params.items())
        return f"QNetwork({shapes})"


def save_q_network(path: Path, q: QNetwork) -> None:
    """Write the network's parameters to the ``.npz`` file ``path`` (atomically)."""
    check_finite_params(q.params, f"cannot save the Q-network to {path}")
    # numpy's stub misreads **kwargs
    atomic_write(path, lambda f: np.savez(f, **q.params), binary=True)  # type: ignore[arg-type]


def load_q_network(
    path: Path, obs_dim: int, n_actions: int, hidden: Sequence[int]
) -> QNetwork:
    """The network saved by :func:`save_q_network`; ValueError naming the file if its
    arrays are not those of a (obs_dim, *hidden, n_actions) network, or not finite."""
    q = QNetwork(obs_dim, n_actions, hidden, np.random.default_rng(0))
    params = _read_params(path)
    expected = {k: v.shape for k, v in q.params.items()}
    found = {k: v.shape for k, v in params.items()}
    if found != expected:
        raise ValueError(
            f"{path}: holds arrays {found}, not the Q-network of the run's "
            f"config {expected}"
        )
    check_finite_params(params, str(path))
    q.params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    return q


# ---------------------------------------------------------------- TD target and loss


def td_targets(
    rewards: np.ndarray,
    next_q: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
    next_q_online: np.ndarray | None = None,
) -> np.ndarray:
    """The TD target y = r + γ (1 − terminated) max_a' Q⁻(s', a').

    Implements eq-dqn-target. ``rewards`` (B,), ``next_q`` (B, n) the target
    network's values at s', ``terminated`` (B,) bool. A terminal s' has no future,
    so its value is not bootstrapped; a truncated one (time limit) is, and must be
    passed with ``terminated`` False. Given ``next_q_online`` (B, n), the online
    network's values at s', the target is Double DQN's: the online network picks
    a' = argmax, the target network rates it.
    """
    _check_target_inputs(rewards, next_q, terminated, next_q_online)  # (B,) (B, n) (B,)
    if next_q_online is None:
        future = next_q.max(axis=1)  # (B,)
    else:  # Double DQN
        future = next_q[np.arange(len(next_q)), next_q_online.argmax(axis=1)]  # (B,)
    return rewards + gamma * np.where(terminated, 0.0, future)  # (B,)


def _check_target_inputs(
    rewards: np.ndarray,
    next_q: np.ndarray,
    terminated: np.ndarray,
    next_q_online: np.ndarray | None,
) -> None:
    """Refuse arrays whose shapes disagree: rewards (B,), next_q (B, n), terminated (B,),
    next_q_online None or (B, n)."""
    r, q, done = np.shape(rewards), np.shape(next_q), np.shape(terminated)
    if len(q) != 2 or r != (q[0],) or done != r:
        raise ValueError(
            f"rewards (B,), next_q (B, n) and terminated (B,) disagree: "
            f"{r}, {q}, {done}"
        )
    if next_q_online is not None and np.shape(next_q_online) != q:
        raise ValueError(
            f"next_q_online must have shape {q}, got {np.shape(next_q_online)}"
        )


def _loss_and_slope(
    u: np.ndarray, loss: str, delta: float
) -> tuple[np.ndarray, np.ndarray]:
    """ℓ(u) and dℓ/du for TD errors u (B,): u²/2 and u (``mse``); Huber's quadratic
    inside |u| ≤ δ, δ(|u| − δ/2) with the constant slope ±δ outside (``huber``)."""
    if loss == "mse":
        return 0.5 * u**2, u
    if loss == "huber":
        a = np.abs(u)
        huber = np.where(a <= delta, 0.5 * u**2, delta * (a - 0.5 * delta))
        return huber, np.clip(u, -delta, delta)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def td_loss(
    q: QNetwork,
    obs: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    *,
    loss: str = "huber",
    delta: float = 1.0,
) -> float:
    """L(θ) = (1/B) Σ_i ℓ(Q_θ(s_i, a_i) − y_i) on the chosen actions. Implements eq-dqn-loss.

    ℓ(u) = u²/2 for ``mse``; for ``huber``, u²/2 while |u| ≤ δ and δ(|u| − δ/2) beyond.
    ``obs`` (B, D), ``actions`` (B,) integers, ``targets`` (B,) held fixed.
    """
    values, _ = q.forward(obs)  # (B, n)
    u = values[np.arange(values.shape[0]), actions] - targets  # (B,): TD errors
    return float(np.mean(_loss_and_slope(u, loss, delta)[0]))


def td_loss_and_grad(
    q: QNetwork,
    obs: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    *,
    loss: str = "huber",
    delta: float = 1.0,
) -> tuple[float, Params]:
    """:func:`td_loss` and its gradient ∇_θ L, a dict shaped like ``q.params``.

    Implements eq-dqn-loss and its gradient.

    ∂ℓ/∂u is u (``mse``) or clip(u, −δ, δ) (``huber``); only the Q-value of the action
    taken receives it, and backprop carries it down through every W and ReLU mask.
    The targets are constants: no gradient flows into the target network.
    """
    x = q._batch(obs)  # (B, D)
    B = x.shape[0]
    _check_batch(B, q.n_actions, actions, targets)  # actions in [0, n), targets (B,)
    values, hs = q.forward(x)  # (B, n), [(B, H1), …, (B, HL)]
    rows = np.arange(B)
    u = values[rows, actions] - targets  # (B,): TD errors
    losses, du = _loss_and_slope(u, loss, delta)  # (B,), (B,)
    value = float(np.mean(losses))
    dz = np.zeros_like(values)  # (B, n): only the action taken has a loss
    dz[rows, actions] = du / B
    inputs = [x, *hs]  # the input of weight layer l is inputs[l − 1]
    grads: Params = {}
    for layer in range(q.layers, 0, -1):  # backprop, output layer first
        a = inputs[layer - 1]  # (B, fan_in)
        grads[f"W{layer}"] = dz.T @ a  # (fan_out, fan_in)
        grads[f"b{layer}"] = dz.sum(axis=0)  # (fan_out,)
        if layer > 1:
            dz = (dz @ q.params[f"W{layer}"]) * (a > 0)  # through W and the ReLU
    return value, {k: grads[k] for k in q.params}


def _check_batch(
    B: int, n_actions: int, actions: np.ndarray, targets: np.ndarray
) -> None:
    """Refuse actions that are not B integers in [0, n_actions), or targets not (B,)."""
    a, t = np.asarray(actions), np.asarray(targets)
    if a.shape != (B,) or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(
            f"actions must be {B} integers, got shape {a.shape} ({a.dtype})"
        )
    if a.min(initial=0) < 0 or a.max(initial=0) >= n_actions:
        raise ValueError(f"actions must lie in [0, {n_actions}), got {a!r}")
    if t.shape != (B,):
        raise ValueError(f"targets must have shape ({B},), got {t.shape}")


# ---------------------------------------------------------------- replay and target network


class Transitions(NamedTuple):
    """A mini-batch of B transitions (arrays are copies)."""

    obs: np.ndarray  # (B, D)
    actions: np.ndarray  # (B,) int64
    rewards: np.ndarray  # (B,)
    next_obs: np.ndarray  # (B, D)
    terminated: np.ndarray  # (B,) bool


class ReplayBuffer:
    """The last ``capacity`` transitions in preallocated arrays, overwritten in a ring.

    ::

        slot:   0   1   2   3   4        capacity 5, 7 transitions added:
        holds:  t5  t6  t2  t3  t4       the next one overwrites slot 2 (the oldest, t2)
                        ^ next
    """

    def __init__(self, capacity: int, obs_dim: int) -> None:
        self.capacity = checks.integer("capacity", capacity, low=1)
        obs_dim = checks.integer("obs_dim", obs_dim, low=1)
        self.obs = np.zeros((self.capacity, obs_dim))  # (N, D)
        self.actions = np.zeros(self.capacity, dtype=np.int64)  # (N,)
        self.rewards = np.zeros(self.capacity)  # (N,)
        self.next_obs = np.zeros((self.capacity, obs_dim))  # (N, D)
        self.terminated = np.zeros(self.capacity, dtype=bool)  # (N,)
        self.next = 0  # the slot the next transition goes to
        self.size = 0  # slots filled so far (≤ capacity)
        self.added = 0  # transitions added in all

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: np.ndarray,
        action: int,
        reward: float,
        next_obs: np.ndarray,
        terminated: bool,
    ) -> None:
        """Store one transition, overwriting the oldest once the buffer is full."""
        i = self.next
        self.obs[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self.next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        self.added += 1

    def sample(self, batch_size: int, rng: np.random.Generator) -> Transitions:
        """``batch_size`` filled slots drawn uniformly, with replacement."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch_size)  # only slots that hold data
        return Transitions(
            self.obs[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_obs[idx],
            self.terminated[idx],
        )


def sync_target(target: QNetwork, online: QNetwork, tau: float = 1.0) -> None:
    """θ⁻ ← τ θ + (1 − τ) θ⁻ in place: a hard copy for τ = 1, Polyak averaging below."""
    for k, theta in online.params.items():
        if tau == 1.0:
            target.params[k][...] = theta
        else:
            target.params[k] += tau * (theta - target.params[k])


def clip_grad_norm(grads: Params, max_norm: float) -> Params:
    """g · min(1, c / ‖g‖), with ‖g‖ the L2 norm of all the gradients together."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    scale = min(1.0, max_norm / (norm + 1e-6))
    if scale == 1.0:  # inside the ball: g as it is (multiplying by 1 changes nothing)
        return grads
    return {k: g * scale for k, g in grads.items()}


def epsilon_at(step: int, start: float, end: float, decay_steps: int) -> float:
    """ε after ``step`` environment steps: linear from ``start`` to ``end`` over
    ``decay_steps`` steps, then ``end``. Implements eq-dqn-epsilon."""
    frac = min(step / decay_steps, 1.0)
    return float(start + frac * (end - start))


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class DQNConfig:
    """Every hyperparameter of a DQN run.

    Defaults: chosen by a small search on CartPole-v1 (a few seeds, about 100,000 steps
    each) for stable learning; the plain max target with a faster sync diverged there.
    """

    env_id: str = "CartPole-v1"
    """Gymnasium environment id (Discrete actions only)."""
    seed: int = 0
    """The one seed behind the initial weights, replay sampling, exploration and the env."""
    hidden: int = 64
    """H, the number of units of each hidden layer of the Q-network."""
    hidden_layers: int = 1
    """L, the number of hidden ReLU layers (each of ``hidden`` units)."""
    init: str = "normal"
    """Initial weights (:class:`QNetwork`): ``normal``, randn/√fan_in with zero biases, or
    ``uniform``, PyTorch's ``nn.Linear`` default U(−1/√fan_in, 1/√fan_in) for weights and
    biases (Stable-Baselines3's DQN)."""
    gamma: float = 0.98
    """Discount factor γ in [0, 1] of the TD target."""
    lr: float = 1e-3
    """Learning rate α of the optimiser."""
    optimizer: str = "adam"
    """One of ``sgd``, ``rmsprop``, ``adam``."""
    decay_rate: float = 0.99
    """RMSProp decay ρ."""
    eps: float = 1e-8
    """ε added to the root in RMSProp and Adam."""
    beta1: float = 0.9
    """Adam's first-moment decay β₁."""
    beta2: float = 0.999
    """Adam's second-moment decay β₂."""
    double: bool = True
    """Double DQN: the online network chooses the next action, the target network rates it."""
    loss: str = "huber"
    """TD loss on the chosen actions: ``huber`` or ``mse``."""
    huber_delta: float = 1.0
    """δ, where the Huber loss turns from quadratic to linear."""
    buffer_size: int = 50_000
    """N, the capacity of the replay buffer (transitions)."""
    batch_size: int = 128
    """B, transitions per mini-batch."""
    learning_starts: int = 1_000
    """Environment steps taken before the first update (only once more than this many
    transitions are stored does a round of updates run)."""
    random_warmup: bool = False
    """Act uniformly at random during the first ``learning_starts`` steps, whatever ε is
    (Stable-Baselines3's warm-up); False: ε-greedy from the first step."""
    train_every: int = 2
    """A round of updates every this many environment steps (SB3's ``train_freq``)."""
    gradient_steps: int = 1
    """Updates (mini-batches) per round (SB3's ``gradient_steps``)."""
    max_grad_norm: float | None = None
    """Clip the gradient to this global L2 norm before each update; None: no clipping."""
    target_update: int = 250
    """K: the target network is synced after every K-th environment step, counted from
    step 0, before that step's round of updates (as Stable-Baselines3 does)."""
    tau: float = 1.0
    """Sync weight τ in (0, 1]: 1 copies θ into θ⁻; below 1 is Polyak averaging."""
    epsilon_start: float = 1.0
    """ε at step 0 (probability of a uniform random action)."""
    epsilon_end: float = 0.02
    """ε after ``epsilon_decay_steps`` steps, and from then on."""
    epsilon_decay_steps: int = 10_000
    """Steps over which ε falls linearly from ``epsilon_start`` to ``epsilon_end``."""
    max_episodes: int = 5000
    """Stop after this many episodes."""
    max_env_steps: int | None = None
    """Stop after this many environment steps in all (an unfinished episode is dropped)."""
    max_steps: int | None = None
    """Cap on steps per episode; required if the environment has no time limit."""
    solved_threshold: float | None = None
    """Mean return over ``solved_window`` episodes that counts as solved; None uses the
    environment's ``reward_threshold`` (CartPole-v1: 475)."""
    solved_window: int = 100
    """Number of recent episodes averaged for the solved test."""
    stop_when_solved: bool = False
    """End training at the first episode where the task counts as solved."""

    def __post_init__(self) -> None:
        valid = {
            "env_id": checks.name_string("env_id", self.env_id),
            **{
                n: checks.integer(n, getattr(self, n), low=0)
                for n in ("seed", "learning_starts")
            },
            **{
                n: checks.integer(n, getattr(self, n), low=1)
                for n in (
                    "hidden",
                    "hidden_layers",
                    "gradient_steps",
                    "buffer_size",
                    "batch_size",
                    "train_every",
                    "target_update",
                    "epsilon_decay_steps",
                    "max_episodes",
                    "solved_window",
                )
            },
            **{
                n: checks.optional_integer(n, getattr(self, n))
                for n in ("max_env_steps", "max_steps")
            },
            **{
                n: checks.positive(n, getattr(self, n))
                for n in ("lr", "eps", "huber_delta")
            },
            **{
                n: checks.interval(n, getattr(self, n), 0, 1)
                for n in ("gamma", "epsilon_start", "epsilon_end")
            },
            **{
                n: checks.interval(n, getattr(self, n), 0, 1, closed="low")
                for n in ("decay_rate", "beta1", "beta2")
            },
            "tau": checks.interval("tau", self.tau, 0, 1, closed="high"),
            "optimizer": checks.choice("optimizer", self.optimizer, OPTIMIZERS),
            "loss": checks.choice("loss", self.loss, LOSSES),
            "init": checks.choice("init", self.init, INITS),
            "random_warmup": checks.flag("random_warmup", self.random_warmup),
            "double": checks.flag("double", self.double),
            "solved_threshold": checks.optional_number(
                "solved_threshold", self.solved_threshold
            ),
            "max_grad_norm": None
            if self.max_grad_norm is None
            else checks.positive("max_grad_norm", self.max_grad_norm),
            "stop_when_solved": checks.flag("stop_when_solved", self.stop_when_solved),
        }
        # plain Python values: to_dict() is JSON-ready
        for name, value in valid.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> DQNConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DQNConfig:
        """The inverse of :meth:`to_dict`; an unknown field is a ValueError naming it."""
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ValueError(f"unknown DQNConfig field(s): {', '.join(unknown)}")
        return cls(**values)


#: Named DQN configurations. ``rl-zoo`` is the RL Baselines3 Zoo's CartPole-v1 recipe
#: (hyperparams/dqn.yml) with Stable-Baselines3's DQN defaults where the zoo sets none:
#: the plain max target, Huber (smooth-L1) loss, gradients clipped to norm 10, Adam's
#: ε 1e-8, PyTorch's uniform initial weights, uniformly random actions for the first
#: ``learning_starts`` steps, and ε falling over exploration_fraction 0.16 of
#: n_timesteps 50,000 = 8,000 steps.
DQN_PRESETS: dict[str, DQNConfig] = {
    "default": DQNConfig(),
    "rl-zoo": DQNConfig(
        hidden=256,
        hidden_layers=2,
        init="uniform",
        lr=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1_000,
        random_warmup=True,
        gamma=0.99,
        target_update=10,
        train_every=256,
        gradient_steps=128,
        epsilon_start=1.0,
        epsilon_end=0.04,
        epsilon_decay_steps=8_000,
        double=False,
        loss="huber",
        huber_delta=1.0,
        max_grad_norm=10.0,
        eps=1e-8,
        max_env_steps=50_000,
    ),
}


def dqn_preset(name: str, **changes: Any) -> DQNConfig:
    """The DQN preset ``name`` with some fields changed (validated again)."""
    if name not in DQN_PRESETS:
        raise ValueError(
            f"DQN preset must be one of {', '.join(DQN_PRESETS)}, got {name!r}"
        )
    return DQN_PRESETS[name].replace(**changes)


# ---------------------------------------------------------------- the result


@dataclass
class DQNHistory(RunHistory):
    """What a DQN run produced: :class:`~reinforce.train.RunHistory` (the fields and
    methods of REINFORCE's ``History``, so the same statistics and plots apply) and
    DQN's own ``q_network``, ``losses`` and ``epsilons``. ``env_steps`` includes an
    unfinished last episode.
    """

    config: DQNConfig
    """The configuration that was run."""
    q_network: QNetwork | None = None
    """The trained online Q-network."""
    losses: list[float] = field(default_factory=list)
    """Mean TD loss of the updates made during each episode (NaN if none)."""
    epsilons: list[float] = field(default_factory=list)
    """ε at the end of each episode."""
    snapshots: dict[int, QNetwork] = field(default_factory=dict)
    """Copies of the online network at the env steps asked for by ``snapshot_at``."""


# ---------------------------------------------------------------- training


def train_dqn(
    config: DQNConfig | None = None,
    callback: Callable[[DQNHistory], bool | None] | None = None,
    *,
    snapshot_at: Collection[int] = (),
) -> DQNHistory:
    """Train a Q-network with DQN; returns the :class:`DQNHistory` with the network in it.

    ``callback(history)`` runs after every episode; if it returns ``False`` training stops.
    After each environment step listed in ``snapshot_at``, a copy of the online network
    goes into ``history.snapshots`` (for evaluation at fixed checkpoints).
    """
    config = DQNConfig() if config is None else config
    if not isinstance(config, DQNConfig):
        raise TypeError(f"config must be a DQNConfig, got {config!r}")
    env = make_env(config.env_id, max_steps=config.max_steps)
    if not isinstance(env.action_space, spaces.Discrete):
        env.close()
        raise ValueError(
            f"action_space {env.action_space!r} is not Discrete: DQN takes a max "
            "over actions, so it needs a finite set of them"
        )
    obs_dim, n_actions = (
        check_observation_space(env.observation_space),
        int(env.action_space.n),
    )
    init_rng, replay_rng, explore_rng, env_seed = seed_streams(config.seed, 3)
    q = QNetwork(
        obs_dim,
        n_actions,
        (config.hidden,) * config.hidden_layers,
        init_rng,
        config.init,
    )
    q_target = q.copy()
    buffer = ReplayBuffer(config.buffer_size, obs_dim)
    optimizer = make_optimizer(
        config.optimizer,
        config.lr,
        decay_rate=config.decay_rate,
        eps=config.eps,
        beta1=config.beta1,
        beta2=config.beta2,
    )
    history = DQNHistory(
        config=config,
        threshold=solved_threshold(config.solved_threshold, env),
        q_network=q,
        optimizer=optimizer,
    )
    step_cap = math.inf if config.max_env_steps is None else config.max_env_steps
    snapshot_at = frozenset(snapshot_at)

    with closing(env), interruptible(history, catch_interrupt=False), one_blas_thread():
        obs = np.asarray(env.reset(seed=env_seed)[0], dtype=np.float64)
        length, total, losses = 0, 0.0, []
        stop = False
        while (
            not stop
            and history.episodes < config.max_episodes
            and history.env_steps < step_cap
        ):
            epsilon = epsilon_at(
                history.env_steps,
                config.epsilon_start,
                config.epsilon_end,
                config.epsilon_decay_steps,
            )
            if config.random_warmup and history.env_steps < config.learning_starts:
                epsilon = 1.0  # the warm-up: every action uniformly random
            if explore_rng.random() < epsilon:
                action = int(
                    explore_rng.integers(n_actions)
                )  # explore: a uniform action
            else:
                action = q.greedy(obs)
            next_obs, reward, terminated, truncated, _ = env.step(action)
            next_obs = np.asarray(next_obs, dtype=np.float64)
            buffer.add(obs, action, float(reward), next_obs, bool(terminated))
            history.env_steps += 1
            length += 1
            total += float(reward)
            obs = next_obs

            steps = history.env_steps
            if steps % config.target_update == 0:  # from step 0, before the updates
                sync_target(q_target, q, config.tau)
            if steps > config.learning_starts and steps % config.train_every == 0:
                round_losses = _update_round(
                    q, q_target, buffer, replay_rng, optimizer, history
                )
                if round_losses is None:  # diverged: the network before the round
                    break
                losses.extend(round_losses)
            if steps in snapshot_at:
                history.snapshots[steps] = q.copy()

            if terminated or truncated:
                history.add_episode(length, total)
                history.losses.append(float(np.mean(losses)) if losses else math.nan)
                history.epsilons.append(epsilon)
                stop = stop_requested(history, callback)
                obs = np.asarray(env.reset()[0], dtype=np.float64)
                length, total, losses = 0, 0.0, []
    return history


def _update_round(
    q: QNetwork,
    q_target: QNetwork,
    buffer: ReplayBuffer,
    replay_rng: np.random.Generator,
    optimizer: Any,
    history: DQNHistory,
) -> list[float] | None:
    """A round of ``gradient_steps`` updates, each on a fresh mini-batch; their TD losses.

    Divergence is checked once per round, not per update (the check costs as much as a
    fifth of an update): if the round leaves a weight NaN or infinite, or weights so
    large that the network's output overflows, the weights are put back as they were
    before the round, ``history.diverged`` is set and None is returned.
    """
    config = history.config
    before = {k: v.copy() for k, v in q.params.items()}
    losses = []
    with np.errstate(all="ignore"):  # an overflow is detected just below
        for _ in range(config.gradient_steps):
            batch = buffer.sample(config.batch_size, replay_rng)
            losses.append(_gradient_step(q, q_target, batch, optimizer, config))
        finite = all(np.isfinite(v).all() for v in q.params.values())
        # one observation is enough to see an overflowing output
        if finite and np.isfinite(q.q_values(batch.obs[:1])).all():
            history.updates += config.gradient_steps
            return losses
    for k, v in before.items():
        q.params[k][...] = v
    history.diverged = True
    return None


def _gradient_step(
    q: QNetwork,
    q_target: QNetwork,
    batch: Transitions,
    optimizer: Any,
    config: DQNConfig,
) -> float:
    """One update on a mini-batch; its TD loss."""
    online_next = q.q_values(batch.next_obs) if config.double else None
    y = td_targets(
        batch.rewards,
        q_target.q_values(batch.next_obs),
        batch.terminated,
        config.gamma,
        online_next,
    )  # (B,), held fixed
    loss, grads = td_loss_and_grad(
        q, batch.obs, batch.actions, y, loss=config.loss, delta=config.huber_delta
    )
    if config.max_grad_norm is not None:
        grads = clip_grad_norm(grads, config.max_grad_norm)
    # the optimisers climb (ascent convention): hand them −∇L to descend the loss
    optimizer.step(q.params, {k: -g for k, g in grads.items()})
    return loss
