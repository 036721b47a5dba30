"""Populations: many independent REINFORCE runs trained in one NumPy computation.

:func:`train_population` runs K configurations in lockstep: one stacked policy
(every weight with a leading member axis K, see :func:`reinforce.policies.stack_policies`),
one optimiser with per-member hyperparameters, and K × M sub-environments stepped
together. Per member the algorithm is exactly :func:`reinforce.train`'s:

* every update uses exactly ``batch_size`` complete episodes of the member's current
  policy, assigned to its M = ``num_envs`` sub-environments when they start;
* a member updates as soon as its own batch is complete, independently of the others;
* a member that solves (with ``stop_when_solved``) or reaches ``max_episodes`` drops
  out while the others go on.

**A member's result depends only on its own configuration.** Its initial weights,
action draws and environment resets come from its own streams, split from its seed
by :func:`reinforce.train.seed_streams` as in :func:`reinforce.train`, so a seed gives
bit-identical histories alone and in a population of any size or composition (the
stacked products give each member the bits of its own product; the tests check it).
It is *not* bit-identical to :func:`reinforce.train` on the same seed (the random
streams are used differently); the two agree in distribution, which a slow test checks.

Environments. For CartPole (Gymnasium's NumPy ``CartPoleVectorEnv``) all K × M
sub-environments are one vector env, and Gymnasium's physics steps them all at once.
That env draws every reset from one shared generator, so a finished sub-environment
is reset here instead, right after the step that ended its episode: its state is
drawn from its member's reset stream, from the same uniform distribution Gymnasium
uses. Other environments (Acrobot, InvertedPendulum, any ``max_steps`` cap) are a list
of ordinary Gymnasium environments (:func:`reinforce.make_env`), one per
sub-environment, each seeded once from its member's stream; only the policy's forward
pass is batched there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

from .baselines import Baseline, make_baseline
from .envs import make_env
from .optim import make_optimizer
from .policies import make_policy, stack_policies
from .rollout import Episode
from .train import Config, History, reinforce_gradient, seed_streams

__all__ = ["PER_MEMBER", "check_population", "structure_key", "train_population"]

#: Config fields that may differ between the members of a population; every other
#: field is structural and must be the same for all of them
PER_MEMBER = (
    "seed",
    "lr",
    "gamma",
    "decay_rate",
    "eps",
    "beta1",
    "beta2",
    "value_l2",
    "blame_window",
    "max_episodes",
    "solved_threshold",
    "solved_window",
    "stop_when_solved",
)


def structure_key(config: Config) -> tuple[tuple[str, Any], ...]:
    """The structural fields of ``config``: runs with equal keys can share a population."""
    return tuple(
        (f.name, getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in PER_MEMBER
    )


def check_population(configs: Sequence[Config]) -> list[Config]:
    """The configs as a list, or a ValueError naming the first structural field that
    differs between two of them (or the reason the sequence is not a population)."""
    configs = list(configs)
    if not configs:
        raise ValueError("configs must contain at least one Config")
    for i, c in enumerate(configs):
        if not isinstance(c, Config):
            raise TypeError(f"configs[{i}] must be a Config, got {c!r}")
    first = dict(structure_key(configs[0]))
    for i, c in enumerate(configs[1:], start=1):
        for name, value in structure_key(c):
            if value != first[name]:
                raise ValueError(
                    f"configs differ in the structural field {name!r} "
                    f"({first[name]!r} in configs[0], {value!r} in configs[{i}]); "
                    f"only {', '.join(PER_MEMBER)} may differ within a population"
                )
    return configs


# ---------------------------------------------------------------- environments


class _CartPoleBank:
    """K × M CartPole sub-environments as one ``CartPoleVectorEnv`` (Gymnasium's
    physics), with every reset drawn from the owning member's generator."""

    def __init__(self, env: CartPoleVectorEnv) -> None:
        self.env = env
        env.reset(seed=0)  # the shared generator only restarts retired members' envs

    def step(self, actions: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, ...]:
        obs, r, terminated, truncated, _ = self.env.step(actions.astype(np.int64))
        return obs, r, terminated, truncated

    def reset(self, i: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Start new episodes on sub-environments ``i``; their first observations."""
        env = self.env
        state = cast(np.ndarray, env.state)  # (4, K * M): x, ẋ, θ, θ̇ of every sub-env
        state[:, i] = rng.uniform(env.low, env.high, size=(4, i.size))
        env.steps[i] = 0
        env.prev_done[i] = False  # no autoreset on the next step: it was done here
        return state[:, i].T.astype(np.float32)

    def close(self) -> None:
        self.env.close()


class _EnvList:
    """K × M ordinary Gymnasium environments; sub-environment i is seeded once from
    its member's generator and afterwards resets from its own."""

    def __init__(self, envs: list[gym.Env], obs_dim: int) -> None:
        self.envs = envs
        self.obs_dim = obs_dim
        self.seeded = np.zeros(len(envs), dtype=bool)

    def step(self, actions: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, ...]:
        n = len(self.envs)
        obs = np.zeros((n, self.obs_dim))
        r = np.zeros(n)
        terminated, truncated = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for i in map(int, np.flatnonzero(live)):  # retired members' envs stand still
            obs[i], r[i], terminated[i], truncated[i], _ = self.envs[i].step(actions[i])
        return obs, r, terminated, truncated

    def reset(self, i: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        rows = []
        for j in map(int, i):
            seed = None if self.seeded[j] else int(rng.integers(2**63))
            self.seeded[j] = True
            rows.append(self.envs[j].reset(seed=seed)[0])
        return np.array(rows, dtype=np.float64)

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _make_bank(config: Config, n: int, obs_dim: int) -> _CartPoleBank | _EnvList:
    if config.max_steps is None:
        vec = gym.make_vec(config.env_id, num_envs=n)
        if isinstance(vec, CartPoleVectorEnv):
            return _CartPoleBank(vec)
        vec.close()
    envs = [make_env(config.env_id, max_steps=config.max_steps) for _ in range(n)]
    return _EnvList(envs, obs_dim)


# ---------------------------------------------------------------- one member


class _Member:
    """The bookkeeping of one run: its streams, baseline, history and current batch."""

    def __init__(self, k: int, config: Config, threshold: float | None, m: int) -> None:
        self.k, self.config, self.m = k, config, m
        self.init_rng, self.rng, env_seed = seed_streams(config.seed)
        self.reset_rng = np.random.default_rng(env_seed)
        self.baseline: Baseline = make_baseline(config.baseline, l2=config.value_l2)
        self.history = History(config=config, threshold=threshold)
        self.envs = np.arange(k * m, (k + 1) * m)  # this member's sub-environments
        self.active = True

    def start_batch(self) -> None:
        """Plan the next batch: ``n`` episodes, the first min(M, n) starting now."""
        c = self.config
        self.n = min(c.batch_size, c.max_episodes - self.history.episodes)
        self.slot = np.where(np.arange(self.m) < self.n, np.arange(self.m), -1)
        self.env_of = {int(e): int(e) for e in self.slot[self.slot >= 0]}
        self.started = int((self.slot >= 0).sum())
        self.ended: dict[int, tuple[bool, bool]] = {}
        self.steps = np.zeros(self.m, dtype=np.int64)  # steps into each sub-env's episode
        self.xs: list[np.ndarray] = []
        self.acts: list[np.ndarray] = []
        self.rews: list[np.ndarray] = []
        self.slots: list[np.ndarray] = []

    def episode_ended(self, j: int, terminated: bool, truncated: bool) -> None:
        """Sub-environment j finished the episode it was playing; give it the next one."""
        self.ended[int(self.slot[j])] = (terminated, truncated)
        if self.started < self.n:
            self.slot[j] = self.started
            self.env_of[self.started] = j
            self.started += 1
        else:
            self.slot[j] = -1

    def batch(self) -> list[Episode]:
        """The finished batch, episodes in the order they started."""
        X, A = np.stack(self.xs), np.stack(self.acts)  # (steps, M, ...)
        R, S = np.stack(self.rews), np.stack(self.slots)
        episodes = []
        for e in range(self.n):
            j = self.env_of[e]
            steps = np.flatnonzero(S[:, j] == e)
            terminated, truncated = self.ended[e]
            episodes.append(
                Episode(
                    observations=X[steps, j],
                    actions=A[steps, j],
                    rewards=R[steps, j],
                    terminated=terminated,
                    truncated=truncated,
                )
            )
        return episodes


def _non_finite(what: str, member: _Member, step: int) -> ValueError:
    return ValueError(
        f"environment returned a non-finite {what} at step {step} of episode "
        f"{member.history.episodes + 1} or later of the member with seed {member.config.seed}"
    )


# ---------------------------------------------------------------- the loop


def train_population(configs: Sequence[Config]) -> list[History]:
    """Train every config in ``configs`` with REINFORCE, all at once; one History each.

    The configs may differ only in the fields listed in :data:`PER_MEMBER` (seed,
    learning rate, discount, optimiser constants, value-baseline ridge, blame window,
    stopping rules); any other difference is a ValueError naming the field. Each
    History is the one its config alone would give here, whatever the other members.
    """
    configs = check_population(configs)
    c0 = configs[0]
    K, M = len(configs), c0.num_envs
    probe = make_env(c0.env_id, max_steps=c0.max_steps)  # the checks train makes
    threshold = None
    if probe.spec is not None and probe.spec.reward_threshold is not None:
        threshold = float(probe.spec.reward_threshold)
    members = [
        _Member(k, c, threshold if c.solved_threshold is None else c.solved_threshold, M)
        for k, c in enumerate(configs)
    ]
    policy = stack_policies(
        [
            make_policy(probe.observation_space, probe.action_space, c0.hidden, m.init_rng)
            for m in members
        ]
    )
    probe.close()
    optimizer = make_optimizer(
        c0.optimizer,
        np.array([c.lr for c in configs]),
        decay_rate=np.array([c.decay_rate for c in configs]),
        eps=np.array([c.eps for c in configs]),
        beta1=np.array([c.beta1 for c in configs]),
        beta2=np.array([c.beta2 for c in configs]),
    )
    D = policy.obs_dim
    bank = _make_bank(c0, K * M, D)
    x = np.zeros((K, M, D))
    rngs = [m.rng for m in members]
    start = time.perf_counter()

    def begin(m: _Member) -> None:
        m.start_batch()
        x[m.k] = bank.reset(m.envs, m.reset_rng)

    def finish_batch(m: _Member) -> None:
        """Record the batch as train does, update, and start the next batch or retire."""
        c, history = m.config, m.history
        batch: list[Episode] = []
        stop = False
        for episode in m.batch():
            history.record(episode)
            batch.append(episode)
            if c.stop_when_solved and history.solved_at is not None:
                stop = True
                break
        if len(batch) == c.batch_size:
            grads = reinforce_gradient(
                policy.member(m.k),
                batch,
                gamma=c.gamma,
                returns=c.returns,
                baseline=m.baseline,
                blame_window=c.blame_window,
            )
            optimizer.step(policy.params, {n: g[None] for n, g in grads.items()}, members=[m.k])
            history.updates += 1
        if stop or history.episodes >= c.max_episodes:
            m.active = False
            history.policy = policy.member(m.k)
            history.optimizer = optimizer.member(m.k)
            history.wall_seconds = time.perf_counter() - start
        else:
            begin(m)

    try:
        for m in members:
            begin(m)
        t = 0
        while any(m.active for m in members):
            active = [m for m in members if m.active]
            live = np.zeros((K, M), dtype=bool)
            for m in active:
                live[m.k] = True
            if not np.isfinite(x[live]).all():
                bad = next(m for m in active if not np.isfinite(x[m.k]).all())
                raise _non_finite("observation", bad, t)
            # (K, M) or (K, M, k) actions, member k's drawn from rngs[k]
            a = policy.sample(x, rngs)  # type: ignore[arg-type]  # every head takes K rngs
            env_a = policy.env_action(a)
            obs, r, terminated, truncated = bank.step(
                env_a.reshape(K * M, *env_a.shape[2:]), live.reshape(-1)
            )
            t += 1
            r = np.asarray(r, dtype=np.float64).reshape(K, M)
            terminated = np.asarray(terminated, dtype=bool).reshape(K, M)
            truncated = np.asarray(truncated, dtype=bool).reshape(K, M)
            x_before, x = x, np.array(obs, dtype=np.float64).reshape(K, M, D)
            for m in active:
                k = m.k
                m.steps += 1
                m.xs.append(x_before[k])
                m.acts.append(a[k])
                m.rews.append(r[k])
                m.slots.append(m.slot.copy())
                if not np.isfinite(r[k][m.slot >= 0]).all():
                    raise _non_finite("reward", m, t)
                cap = m.config.max_steps
                trunc = truncated[k] | ((m.steps >= cap) & ~terminated[k] if cap else False)
                ended = np.flatnonzero(terminated[k] | trunc)
                for j in map(int, ended):
                    if m.slot[j] >= 0:
                        m.episode_ended(j, bool(terminated[k, j]), bool(trunc[j]))
                if ended.size:
                    x[k, ended] = bank.reset(m.envs[ended], m.reset_rng)
                    m.steps[ended] = 0
                if len(m.ended) == m.n:
                    finish_batch(m)
    finally:
        bank.close()
    return [m.history for m in members]
