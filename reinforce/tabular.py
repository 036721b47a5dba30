"""A small tabular MDP in which J(θ) and ∇J(θ) are known exactly.

The policy gradient theorem says what REINFORCE estimates; on a finite MDP the
quantity itself can be computed by a few linear solves, so the estimator can be
checked against it. This module provides the pieces:

=============================  ===============================================
:class:`TabularMDP`            P (S, A, S), R (S, A), μ₀ (S,), discount γ
:func:`softmax_policy`         π_θ(a | s) = softmax(θ[s])_a for θ (S, A)
:func:`policy_evaluation`      V^π (S,) and Q^π (S, A) by a linear solve
:func:`discounted_visitation`  d^π(s) = Σ_t γ^t Pr(s_t = s), a linear solve
:func:`objective`              J(θ) = Σ_s μ₀(s) V^π(s)
:func:`policy_gradient`        ∇J(θ) = Σ_s d^π(s) Σ_a π ∇log π Q^π, exactly
:func:`sample_episodes`        episodes with *discount as termination*
:func:`reinforce_estimates`    one REINFORCE estimate of ∇J per episode
:class:`TabularSoftmaxPolicy`  the same policy as a package :class:`Policy`
=============================  ===============================================

**The objective** is the expected discounted return from a start state drawn from μ₀,
J(θ) = E[Σ_{t≥0} γ^t R(s_t, a_t)] with 0 ≤ γ < 1 (eq-pgt-objective).

**Discount as termination.** Sampled episodes do not discount: after every step the
episode goes on with probability γ and ends with probability 1 − γ (a coin flipped
after the reward is collected), so it lasts T ≥ 1 steps with P(T > t) = γ^t. Step t
is reached with probability γ^t, which is exactly the weight the discount gives it.
Hence the *undiscounted* return Σ_t r_t of such an episode has expectation J(θ),
and the REINFORCE estimate with undiscounted reward-to-go,
ĝ = Σ_{t=0}^{T−1} ∇_θ log π_θ(a_t | s_t) Σ_{k=t}^{T−1} r_k, has expectation ∇J(θ)
exactly: the γ^t that the theorem puts in front of step t is the probability that
step t happens at all. In the package's terms this is
``reinforce_gradient(policy, episodes, gamma=1.0, credit="reward_to_go",
baseline="none")`` on :meth:`TabularEpisodes.to_episodes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .checks import integer, interval
from .policies import Params, Policy, inverse_cdf, log_softmax, softmax_entropy
from .rollout import Episode

__all__ = [
    "TabularEpisodes",
    "TabularMDP",
    "TabularSoftmaxPolicy",
    "chain_mdp",
    "discounted_visitation",
    "objective",
    "one_hot",
    "policy_evaluation",
    "policy_gradient",
    "random_mdp",
    "reinforce_estimates",
    "sample_episodes",
    "softmax_policy",
]

#: how far a row of probabilities may be from summing to 1
_ATOL = 1e-10


def _float_array(name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    x = np.array(value, dtype=np.float64)  # a copy: the caller's array stays theirs
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


def _check_distributions(name: str, x: np.ndarray) -> None:
    """Every slice along the last axis of ``x`` must be a probability vector."""
    if np.any(x < 0):
        where = tuple(int(i) for i in np.argwhere(x < 0)[0])
        value = float(x[where])
        raise ValueError(
            f"{name} must be non-negative, got {name}{list(where)} = {value!r}"
        )
    sums = x.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _ATOL
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if sums.ndim else ()
        row = f"{name}[{', '.join(map(str, where))}, :]" if where else name
        raise ValueError(f"{row} must sum to 1, got {float(sums[where])!r}")


# ---------------------------------------------------------------- the MDP


@dataclass(frozen=True)
class TabularMDP:
    """A finite discounted MDP. Arrays are copied, checked and made read-only.

    ======  ==========  ==================================================
    field   shape       meaning
    ======  ==========  ==================================================
    ``P``   (S, A, S)   P[s, a, s'] = Pr(s_{t+1} = s' | s_t = s, a_t = a)
    ``R``   (S, A)      R[s, a], the reward for taking a in s
    ``mu0`` (S,)        Pr(s_0 = s)
    gamma   scalar      discount γ in [0, 1)
    ======  ==========  ==================================================
    """

    P: np.ndarray
    """Transition probabilities (S, A, S); every row P[s, a, :] sums to 1."""
    R: np.ndarray
    """Expected rewards (S, A)."""
    mu0: np.ndarray
    """Initial state distribution (S,)."""
    gamma: float
    """Discount γ in [0, 1); 1 − γ is the per-step probability that a sampled episode ends."""

    def __post_init__(self) -> None:
        P = np.array(self.P, dtype=np.float64)
        if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] < 1 or P.shape[1] < 1:
            raise ValueError(
                f"P must have shape (S, A, S) with S, A >= 1, got {P.shape}"
            )
        S, A, _ = P.shape
        P = _float_array("P", P, (S, A, S))
        _check_distributions("P", P)
        R = _float_array("R", self.R, (S, A))
        mu0 = _float_array("mu0", self.mu0, (S,))
        _check_distributions("mu0", mu0)
        gamma = interval("gamma", self.gamma, 0, 1, closed="low")
        for name, value in (("P", P), ("R", R), ("mu0", mu0)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "gamma", gamma)

    @property
    def n_states(self) -> int:
        """S, the number of states."""
        return int(self.P.shape[0])

    @property
    def n_actions(self) -> int:
        """A, the number of actions."""
        return int(self.P.shape[1])


def chain_mdp(n_states: int = 3, slip: float = 0.1, gamma: float = 0.9) -> TabularMDP:
    """A corridor with a small reward at the left wall and a large one at the right.

    ::

        +0.2 for pushing                                   +1 for pushing
        against the left wall                              against the right wall
               ↺ [0] <--> [1] <--> ... <--> [S−1] ↻
                           ^ start (the middle state)

    Action 0 moves left and action 1 moves right; each move goes the other way with
    probability ``slip``, and a move into a wall stays put. The left reward is close
    and small, the right one far and large: which one a policy should go for depends
    on γ.
    """
    S = integer("n_states", n_states, low=2)
    slip = interval("slip", slip, 0, 1)
    P = np.zeros((S, 2, S))
    for s in range(S):
        left, right = max(s - 1, 0), min(s + 1, S - 1)
        P[s, 0, left] += 1.0 - slip
        P[s, 0, right] += slip
        P[s, 1, right] += 1.0 - slip
        P[s, 1, left] += slip
    R = np.zeros((S, 2))
    R[0, 0] = 0.2
    R[S - 1, 1] = 1.0
    mu0 = np.zeros(S)
    mu0[S // 2] = 1.0
    return TabularMDP(P=P, R=R, mu0=mu0, gamma=gamma)


def random_mdp(
    n_states: int, n_actions: int, gamma: float, rng: np.random.Generator
) -> TabularMDP:
    """Dirichlet(1) transition rows and start distribution, standard normal rewards."""
    S = integer("n_states", n_states, low=1)
    A = integer("n_actions", n_actions, low=1)
    P = rng.dirichlet(np.ones(S), size=(S, A))  # (S, A, S)
    R = rng.standard_normal((S, A))
    mu0 = rng.dirichlet(np.ones(S))
    return TabularMDP(P=P, R=R, mu0=mu0, gamma=gamma)


# ---------------------------------------------------------------- the policy


def _check_theta(mdp: TabularMDP, theta: Any) -> np.ndarray:
    return _float_array("theta", theta, (mdp.n_states, mdp.n_actions))


def _check_pi(mdp: TabularMDP, pi: Any) -> np.ndarray:
    p = _float_array("pi", pi, (mdp.n_states, mdp.n_actions))
    _check_distributions("pi", p)
    return p


def softmax_policy(theta: np.ndarray) -> np.ndarray:
    """π_θ(a | s) = exp θ[s, a] / Σ_b exp θ[s, b], row by row (log-sum-exp): (S, A).

    Implements eq-pgt-softmax.
    """
    return np.exp(log_softmax(np.asarray(theta, dtype=np.float64)))


def one_hot(states: np.ndarray, n_states: int) -> np.ndarray:
    """Integer states (...,) → float64 one-hot rows (..., S)."""
    s = np.asarray(states)
    if not np.issubdtype(s.dtype, np.integer) or (
        s.size and (s.min() < 0 or s.max() >= n_states)
    ):
        raise ValueError(f"states must be integers in [0, {n_states}), got {s!r}")
    return np.eye(n_states)[s]


class TabularSoftmaxPolicy(Policy):
    """The tabular softmax policy as a package :class:`Policy`, acting on one-hot states.

    ::

        s (one-hot, S) --θ (S, A)--> z = θ[s] (A,) --softmax--> π(· | s)

    Observations are the rows of ``one_hot(states, S)``, so the logits are θ[s] and
    the score ∂ log π(a | s) / ∂θ[s', b] = 1[s' = s] (1[b = a] − π(b | s)). Having the
    package interface, it goes through :func:`reinforce.reinforce_gradient` unchanged.
    """

    kind = "tabular_softmax"

    def __init__(self, theta: np.ndarray) -> None:
        t = np.array(theta, dtype=np.float64)
        if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 1:
            raise ValueError(f"theta must have shape (S, A), got {t.shape}")
        if not np.all(np.isfinite(t)):
            raise ValueError(f"theta must be finite, got {t!r}")
        self.obs_dim, self.n_actions = t.shape
        self.hidden = 0  # no hidden layer
        self.params = {"theta": t}  # (S, A)

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n_states": self.obs_dim,
            "n_actions": self.n_actions,
        }

    def probs(self, obs: np.ndarray) -> np.ndarray:
        """π(· | s) for each row of ``obs``: (T, A)."""
        return np.exp(log_softmax(self._batch(obs) @ self.params["theta"]))

    def _actions(self, actions: np.ndarray, T: int) -> np.ndarray:
        a = np.asarray(actions).reshape(-1)
        if a.shape != (T,) or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(
                f"actions must be {T} integers, got {np.asarray(actions)!r}"
            )
        if a.size and (a.min() < 0 or a.max() >= self.n_actions):
            raise ValueError(f"actions must lie in [0, {self.n_actions}), got {a!r}")
        return a

    def sample(self, obs: np.ndarray, rng: np.random.Generator) -> Any:
        p = self.probs(obs)  # (N, A)
        a = inverse_cdf(p, rng.random(size=(p.shape[0],)))
        return int(a[0]) if np.ndim(obs) == 1 else a

    def log_prob(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        logp = log_softmax(self._batch(obs) @ self.params["theta"])  # (T, A)
        a = self._actions(actions, logp.shape[0])
        return logp[np.arange(a.size), a]

    def grad_log_prob(
        self, obs: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> Params:
        x = self._batch(obs)  # (T, S)
        T = x.shape[0]
        a = self._actions(actions, T)
        dz = -self.probs(x)  # (T, A): −π(· | s)
        dz[np.arange(T), a] += 1.0  # onehot(a) − π
        dz *= self._weights(weights, T)[:, None]
        return {"theta": x.T @ dz}  # (S, A)

    def entropy(self, obs: np.ndarray) -> np.ndarray:
        """−Σ_a π(a | s) log π(a | s) in nats, per row (T,) (a scalar for one state)."""
        h = softmax_entropy(self._batch(obs) @ self.params["theta"])
        return h[0] if np.ndim(obs) == 1 else h

    def mode(self, obs: np.ndarray) -> Any:
        """The most likely action in each state (the largest θ[s, a])."""
        a = (self._batch(obs) @ self.params["theta"]).argmax(axis=-1)
        return int(a[0]) if np.ndim(obs) == 1 else a


# ---------------------------------------------------------------- exact evaluation


def _transitions(mdp: TabularMDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_π[s, s'] = Σ_a π(a | s) P[s, a, s'] (S, S) and r_π[s] = Σ_a π(a | s) R[s, a] (S,)."""
    return np.einsum("sa,sat->st", pi, mdp.P), (pi * mdp.R).sum(axis=1)


def policy_evaluation(mdp: TabularMDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """V^π (S,) and Q^π (S, A) of the policy with probabilities ``pi`` (S, A).

    Solves the Bellman equation V = r_π + γ P_π V, that is (I − γ P_π) V = r_π, a
    linear system that is non-singular for γ < 1; then Q = R + γ P V.
    Implements eq-pgt-bellman.
    """
    pi = _check_pi(mdp, pi)
    P_pi, r_pi = _transitions(mdp, pi)
    V = np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * P_pi, r_pi)  # (S,)
    Q = mdp.R + mdp.gamma * mdp.P @ V  # (S, A)
    return V, Q


def discounted_visitation(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """d^π(s) = Σ_t γ^t Pr(s_t = s), shape (S,); it sums to 1 / (1 − γ).

    The row vector d^⊤ = μ₀^⊤ Σ_t (γ P_π)^t = μ₀^⊤ (I − γ P_π)⁻¹ solves
    (I − γ P_π)^⊤ d = μ₀. Implements eq-pgt-visitation.

    Not normalised: d^π(s) is the expected number of discounted visits to s, and,
    with discount as termination, the expected number of visits in one episode.
    """
    pi = _check_pi(mdp, pi)
    P_pi, _ = _transitions(mdp, pi)
    return np.linalg.solve((np.eye(mdp.n_states) - mdp.gamma * P_pi).T, mdp.mu0)


def objective(mdp: TabularMDP, theta: np.ndarray) -> float:
    """J(θ) = Σ_s μ₀(s) V^π(s) for the softmax policy with parameters ``theta`` (S, A).

    Implements eq-pgt-objective.
    """
    V, _ = policy_evaluation(mdp, softmax_policy(_check_theta(mdp, theta)))
    return float(mdp.mu0 @ V)


def policy_gradient(mdp: TabularMDP, theta: np.ndarray) -> np.ndarray:
    """∇J(θ), shape (S, A), exactly, by the policy gradient theorem.

    ∇J = Σ_s d^π(s) Σ_a π(a | s) ∇ log π(a | s) Q^π(s, a). For the tabular softmax
    ∂ log π(a | s)/∂θ[s, b] = 1[a = b] − π(b | s), and the sum over a collapses to
    ∂J/∂θ[s, b] = d^π(s) π(b | s) (Q^π(s, b) − V^π(s)). Implements eq-pgt and
    eq-pgt-tabular.
    """
    pi = softmax_policy(_check_theta(mdp, theta))  # (S, A)
    V, Q = policy_evaluation(mdp, pi)
    d = discounted_visitation(mdp, pi)  # (S,)
    return d[:, None] * pi * (Q - V[:, None])  # (S, A)


# ---------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class TabularEpisodes:
    """n episodes of a :class:`TabularMDP`, padded to the longest one, T_max steps.

    Entries at and after an episode's length are padding: state and action 0,
    reward 0. Use :attr:`mask` (or :attr:`lengths`) to tell them apart.
    """

    states: np.ndarray
    """s_t, intp (n, T_max)."""
    actions: np.ndarray
    """a_t, intp (n, T_max)."""
    rewards: np.ndarray
    """r_t = R[s_t, a_t], float64 (n, T_max); 0 in the padding."""
    lengths: np.ndarray
    """T of each episode, int64 (n,); every T >= 1."""
    n_states: int
    """S, for the one-hot encoding."""

    @property
    def mask(self) -> np.ndarray:
        """True at the real steps, False in the padding: bool (n, T_max)."""
        return np.arange(self.states.shape[1]) < self.lengths[:, None]

    @property
    def returns(self) -> np.ndarray:
        """Undiscounted return Σ_t r_t of each episode, (n,): an unbiased estimate of J."""
        return self.rewards.sum(axis=1)

    def to_episodes(self) -> list[Episode]:
        """The package's :class:`~reinforce.rollout.Episode` objects, one-hot observations."""
        out = []
        for s, a, r, T in zip(
            self.states, self.actions, self.rewards, self.lengths, strict=True
        ):
            out.append(
                Episode(
                    observations=one_hot(s[:T], self.n_states),
                    actions=a[:T].copy(),
                    rewards=r[:T].copy(),
                    terminated=True,
                    truncated=False,
                )
            )
        return out


def _draw(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of the distributions ``probs`` (n, K), by inverse CDF."""
    return inverse_cdf(probs, rng.random(size=(probs.shape[0],)))


def sample_episodes(
    mdp: TabularMDP, theta: np.ndarray, n_episodes: int, rng: np.random.Generator
) -> TabularEpisodes:
    """Play ``n_episodes`` episodes of the softmax policy θ (S, A), all at once.

    Discount as termination: after each step (action drawn, reward collected) the
    episode goes on with probability γ, to a next state drawn from P. The episodes
    advance together, one vectorised step at a time, over those still running; the
    result depends only on the arguments and the state of ``rng``.
    """
    n = integer("n_episodes", n_episodes, low=1)
    pi = softmax_policy(_check_theta(mdp, theta))
    idx = np.arange(n)  # the episodes still running
    s = _draw(np.broadcast_to(mdp.mu0, (n, mdp.n_states)), rng)  # (n,)
    steps = []  # one (idx, s, a) per time step
    while idx.size:
        a = _draw(pi[s], rng)
        steps.append((idx, s, a))
        go_on = rng.random(idx.size) < mdp.gamma  # go on with probability γ
        idx, s = idx[go_on], _draw(mdp.P[s[go_on], a[go_on]], rng)
    # (n, T_max), padded with 0; intp, NumPy's index type (32 bits under WebAssembly)
    states = np.zeros((n, len(steps)), dtype=np.intp)
    actions = np.zeros((n, len(steps)), dtype=np.intp)
    for t, (i, s_t, a_t) in enumerate(steps):
        states[i, t], actions[i, t] = s_t, a_t
    lengths = np.bincount(np.concatenate([i for i, _, _ in steps]), minlength=n)  # (n,)
    mask = np.arange(len(steps)) < lengths[:, None]  # (n, T_max)
    rewards = np.where(
        mask, mdp.R[states, actions], 0.0
    )  # (n, T_max): r_t = R[s_t, a_t]
    return TabularEpisodes(
        states=states,
        actions=actions,
        rewards=rewards,
        lengths=lengths,
        n_states=mdp.n_states,
    )


def reinforce_estimates(episodes: TabularEpisodes, theta: np.ndarray) -> np.ndarray:
    """One REINFORCE estimate of ∇J per episode, (n, S, A).

    ĝ_i = Σ_t ∇_θ log π_θ(a_t | s_t) G_t with G_t = Σ_{k≥t} r_k: undiscounted
    reward-to-go, because the episodes of :func:`sample_episodes` already end with
    probability 1 − γ per step. Their mean is an unbiased estimate of ∇J(θ)
    (implements eq-pgt-mc); their sum equals the package's ``reinforce_gradient(...,
    gamma=1.0, credit="reward_to_go", baseline="none")`` for
    :class:`TabularSoftmaxPolicy`.
    """
    t = _check_theta_for(episodes, theta)  # (S, A), A > every action taken
    pi = softmax_policy(t)  # (S, A)
    n, S, A = episodes.states.shape[0], episodes.n_states, t.shape[1]
    G = np.cumsum(episodes.rewards[:, ::-1], axis=1)[:, ::-1]  # (n, T_max): G_t
    mask = episodes.mask
    i = np.nonzero(mask)[0]  # episode of each real step, (N_steps,)
    s, a, G = episodes.states[mask], episodes.actions[mask], G[mask]  # (N_steps,) each
    score = -pi[s]  # (N_steps, A)
    score[np.arange(s.size), a] += 1.0  # onehot(a) − π(· | s)
    g = np.empty((n, S, A))
    for b in range(A):  # ĝ[i, s, b] = Σ_(steps of i in state s) G · score_b
        sums = np.bincount(i * S + s, weights=G * score[:, b], minlength=n * S)
        g[:, :, b] = sums.reshape(n, S)
    return g


def _check_theta_for(episodes: TabularEpisodes, theta: np.ndarray) -> np.ndarray:
    t = np.array(theta, dtype=np.float64)
    S = episodes.n_states
    if t.ndim != 2 or t.shape[0] != S or t.shape[1] <= episodes.actions.max(initial=0):
        raise ValueError(
            f"theta must have shape ({S}, A) with A > every action, got {t.shape}"
        )
    if not np.all(np.isfinite(t)):
        raise ValueError(f"theta must be finite, got {t!r}")
    return t
