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

import copy
import dataclasses
import itertools
import time
from collections.abc import Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv

from .baselines import Baseline, make_baseline
from .checks import integer
from .config import Config
from .envs import make_env
from .history import History
from .optim import make_optimizer
from .policies import Policy, make_policy, stack_policies
from .rollout import Episode, split_episodes
from .train import one_blas_thread, reinforce_gradient, seed_streams

__all__ = [
    "PER_MEMBER",
    "MemberStreams",
    "check_population",
    "one_blas_thread",
    "plan_populations",
    "structure_key",
    "train_population",
]

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
    "entropy_coef",
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


# ---------------------------------------------------------------- random streams


class MemberStreams:
    """Random draws for a stacked population, each member's from its own generator.

    ``random(size)`` and ``standard_normal(size)`` with ``size = (R, ...)`` return, in
    row r, the next draws of member ``order[r]``: the numbers its generator's
    ``random(size[1:])`` would give it alone. They are drawn ahead in blocks of
    ``block`` calls (a generator fills an array in order, so a block holds exactly
    the numbers of ``block`` successive calls); pass it as ``rng`` to a stacked policy.
    Every member in ``order`` draws at every call (a population steps in lockstep), and
    one stream serves one kind and shape of draw, as a policy's sampling does.
    """

    def __init__(
        self, generators: Sequence[np.random.Generator], block: int = 256
    ) -> None:
        self.generators = list(generators)
        self.block = block
        self._order = np.arange(len(self.generators))
        # kind -> [draws (block, R, ...) for the members of `order`, calls used]
        self._buffers: dict[str, list[Any]] = {}

    @property
    def order(self) -> np.ndarray:
        """The member in each row (set it when members leave)."""
        return self._order

    @order.setter
    def order(self, members: np.ndarray) -> None:
        row = {int(k): r for r, k in enumerate(self._order)}
        keep = np.array([row[int(k)] for k in members], dtype=np.intp)
        for buffer in self._buffers.values():
            buffer[0] = buffer[0][:, keep]
        self._order = np.asarray(members)

    def random(self, size: tuple[int, ...]) -> np.ndarray:
        return self._next("random", tuple(size))

    def standard_normal(self, size: tuple[int, ...]) -> np.ndarray:
        return self._next("standard_normal", tuple(size))

    def _next(self, kind: str, size: tuple[int, ...]) -> np.ndarray:
        if size[0] != self._order.size:
            raise ValueError(
                f"size must start with {self._order.size} members, got {size}"
            )
        buffer = self._buffers.get(kind)
        if buffer is None or buffer[1] == self.block or buffer[0].shape[2:] != size[1:]:
            shape = (self.block, *size[1:])
            draws = [getattr(self.generators[k], kind)(shape) for k in self._order]
            buffer = self._buffers[kind] = [np.stack(draws, axis=1), 0]
        buffer[1] += 1
        return buffer[0][buffer[1] - 1]


# ---------------------------------------------------------------- environments


class _CartPoleBank:
    """CartPole sub-environments as one ``CartPoleVectorEnv`` (Gymnasium's physics),
    with every reset drawn from the owning member's generator.

    Row r (a member) owns sub-environments r·M … r·M + M − 1. The start states of a
    step's resets are one draw per member that has any, from the uniform distribution
    Gymnasium uses, written into the vector env in one array operation.
    """

    def __init__(
        self, env: CartPoleVectorEnv, generators: Sequence[np.random.Generator], M: int
    ) -> None:
        self.env, self.M = env, M
        env.reset(seed=0)  # every state is overwritten from a member's stream
        self.generators = list(generators)  # by row

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, ...]:
        obs, r, terminated, truncated, _ = self.env.step(
            actions.astype(np.int64, copy=False)
        )
        return obs, r, terminated, truncated

    def reset(self, i: np.ndarray) -> np.ndarray:
        """Start new episodes on sub-environments ``i`` (grouped by row, rows in
        ascending order); their first observations."""
        env = self.env
        state = cast(np.ndarray, env.state)  # (4, N): x, ẋ, θ, θ̇ of every sub-env
        # (row, its sub-environments) for each row with resets, rows in ascending order
        runs = itertools.groupby((i // self.M).tolist())
        state[:, i] = np.concatenate(
            [
                self.generators[row].uniform(
                    env.low, env.high, size=(state.shape[0], len(list(envs)))
                )
                for row, envs in runs
            ],
            axis=1,
        )
        env.steps[i] = 0
        env.prev_done[i] = False  # no autoreset on the next step: it was done here
        return state[:, i].T.astype(np.float32)

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the sub-environments of ``rows`` (in this order), as they are."""
        i = (rows[:, None] * self.M + np.arange(self.M)).reshape(-1)
        old = self.env
        new = type(old)(num_envs=i.size, max_episode_steps=old.max_episode_steps)
        new.reset(seed=0)
        new.state = cast(Any, cast(np.ndarray, old.state)[:, i].copy())
        new.steps, new.prev_done = old.steps[i].copy(), old.prev_done[i].copy()
        old.close()
        self.env = new
        self.generators = [self.generators[r] for r in rows]

    def close(self) -> None:
        self.env.close()


class _EnvList:
    """Ordinary Gymnasium environments; sub-environment i is seeded once from its
    member's generator and afterwards resets from its own."""

    def __init__(
        self,
        envs: list[gym.Env],
        obs_dim: int,
        generators: Sequence[np.random.Generator],
        M: int,
    ) -> None:
        self.envs, self.obs_dim, self.M = envs, obs_dim, M
        self.generators = list(generators)  # by row
        self.seeded = np.zeros(len(envs), dtype=bool)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, ...]:
        n = len(self.envs)
        obs = np.zeros((n, self.obs_dim))
        r = np.zeros(n)
        terminated, truncated = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for i, env in enumerate(self.envs):
            obs[i], r[i], terminated[i], truncated[i], _ = env.step(actions[i])
        return obs, r, terminated, truncated

    def reset(self, i: np.ndarray) -> np.ndarray:
        rows = []
        for j in map(int, i):
            rng = self.generators[j // self.M]
            seed = None if self.seeded[j] else int(rng.integers(2**63))
            self.seeded[j] = True
            rows.append(self.envs[j].reset(seed=seed)[0])
        return np.array(rows, dtype=np.float64)

    def keep(self, rows: np.ndarray) -> None:
        i = (rows[:, None] * self.M + np.arange(self.M)).reshape(-1)
        for j in set(range(len(self.envs))) - set(map(int, i)):
            self.envs[j].close()
        self.envs = [self.envs[j] for j in map(int, i)]
        self.seeded = self.seeded[i]
        self.generators = [self.generators[r] for r in rows]

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _make_bank(
    config: Config, generators: Sequence[np.random.Generator], obs_dim: int
) -> _CartPoleBank | _EnvList:
    M = config.num_envs
    n = len(generators) * M
    if config.max_steps is None:
        vec = gym.make_vec(config.env_id, num_envs=n)
        if isinstance(vec, CartPoleVectorEnv):
            return _CartPoleBank(vec, generators, M)
        vec.close()
    envs = [make_env(config.env_id, max_steps=config.max_steps) for _ in range(n)]
    return _EnvList(envs, obs_dim, generators, M)


# ---------------------------------------------------------------- batches in progress


class _Batches:
    """The batch each active member is playing, one row per member (arrays (R, ...)).

    ``slot[r, j]`` is the episode (of row r's batch) that sub-environment j plays, or −1
    once there is none left to start; ``n[r]`` episodes make the batch, ``started[r]``
    have started and ``ended[r]`` ended; episode e was played on ``env_of[r, e]`` and
    ended as (``terminated[r, e]``, ``truncated[r, e]``); the batch began at step
    ``first[r]``.
    """

    def __init__(self, R: int, M: int, batch_size: int) -> None:
        self.slot = np.full((R, M), -1)
        self.n, self.started, self.ended, self.first = (
            np.zeros(R, dtype=np.int64) for _ in range(4)
        )
        self.env_of = np.zeros((R, batch_size), dtype=np.int64)
        self.terminated = np.zeros((R, batch_size), dtype=bool)
        self.truncated = np.zeros((R, batch_size), dtype=bool)

    def start(self, row: int, n: int, t: int) -> None:
        """Plan row's next batch: ``n`` episodes, the first min(M, n) starting now."""
        M = self.slot.shape[1]
        self.slot[row] = np.where(np.arange(M) < n, np.arange(M), -1)
        self.env_of[row, : min(M, n)] = np.arange(min(M, n))
        self.n[row], self.started[row], self.ended[row] = n, min(M, n), 0
        self.first[row] = t

    def episodes_ended(
        self,
        rows: np.ndarray,
        envs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
    ) -> np.ndarray:
        """Sub-environments ``(rows, envs)`` (row-major order) finished an episode; each
        starts its member's next unstarted episode, if any. The rows whose batch this
        completed."""
        playing = self.slot[rows, envs] >= 0
        rows, envs = rows[playing], envs[playing]
        episode = self.slot[rows, envs]
        self.terminated[rows, episode] = terminated[rows, envs]
        self.truncated[rows, episode] = truncated[rows, envs]
        # the k-th finisher of a row (in sub-environment order) starts its k-th next
        following = self.started[rows] + np.arange(rows.size)
        following -= np.searchsorted(rows, rows)
        more = following < self.n[rows]
        self.slot[rows, envs] = np.where(more, following, -1)
        self.env_of[rows[more], following[more]] = envs[more]
        count = np.bincount(rows, minlength=self.n.size)
        self.started = np.minimum(self.started + count, self.n)
        self.ended += count
        return np.flatnonzero((count > 0) & (self.ended == self.n))

    def episodes(
        self, row: int, X: np.ndarray, A: np.ndarray, R: np.ndarray, S: np.ndarray
    ) -> list[Episode]:
        """Row's finished batch from the log of its steps (observations, actions,
        rewards, slots: (steps, M, ...)), episodes in the order they started."""
        n = int(self.n[row])
        ended = {
            e: (bool(self.terminated[row, e]), bool(self.truncated[row, e]))
            for e in range(n)
        }
        env_of = dict(enumerate(self.env_of[row, :n].tolist()))
        return split_episodes(X, A, R, S, env_of, ended, n)

    def keep(self, rows: np.ndarray) -> None:
        for name in (
            "slot",
            "n",
            "started",
            "ended",
            "first",
            "env_of",
            "terminated",
            "truncated",
        ):
            setattr(self, name, getattr(self, name)[rows])


class _StepLog:
    """Every step's observations, actions, rewards and episode slots, (M, ...) per
    row (member in training), from the step the oldest batch in progress began: a ring
    of steps, so a row's batch is one gather whatever its length (it grows when full).
    """

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self.arrays: list[np.ndarray] = []
        self.start = 0  # the oldest step kept
        self.t = 0  # steps written

    def append(self, *values: np.ndarray) -> None:
        """Step t's arrays, (R, M, ...): one row per member in training."""
        if not self.arrays:
            self.arrays = [
                np.zeros((self.capacity, *v.shape), dtype=v.dtype) for v in values
            ]
        elif self.t - self.start == self.capacity:
            self._grow()
        at = self.t % self.capacity
        for array, value in zip(self.arrays, values, strict=True):
            array[at] = value
        self.t += 1

    def _grow(self) -> None:
        steps = np.arange(self.start, self.t)
        bigger = 2 * self.capacity
        for n, array in enumerate(self.arrays):
            new = np.zeros((bigger, *array.shape[1:]), dtype=array.dtype)
            new[steps % bigger] = array[steps % self.capacity]
            self.arrays[n] = new
        self.capacity = bigger

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (in this order): the members still training."""
        self.arrays = [array[:, rows] for array in self.arrays]

    def row(self, row: int, first: int) -> list[np.ndarray]:
        """Row's arrays (steps, M, ...) from step ``first`` to the last."""
        at = np.arange(first, self.t) % self.capacity
        return [array[at, row] for array in self.arrays]

    def forget(self, first: int) -> None:
        """No batch in progress needs the steps before ``first``."""
        self.start = first


# ---------------------------------------------------------------- one member


class _Member:
    """The bookkeeping of one run: its streams, baseline and history."""

    def __init__(self, k: int, config: Config, threshold: float | None):
        self.k, self.config = k, config
        self.init_rng, self.rng, env_seed = seed_streams(config.seed)
        self.reset_rng = np.random.default_rng(env_seed)
        self.baseline: Baseline = make_baseline(config.baseline, l2=config.value_l2)
        self.history = History(config=config, threshold=threshold)
        self.active = True


def _non_finite(what: str, member: _Member, step: int) -> ValueError:
    return ValueError(
        f"environment returned a non-finite {what} at step {step} of episode "
        f"{member.history.episodes + 1} or later of the member with seed {member.config.seed}"
    )


def _rows(policy: Policy, members: np.ndarray) -> Policy:
    """The stacked policy of ``members`` only (parameters copied)."""
    rows = copy.copy(policy)
    rows.params = {name: v[members] for name, v in policy.params.items()}
    rows.members = members.size
    return rows


# ---------------------------------------------------------------- the loop


def train_population(configs: Sequence[Config]) -> list[History]:
    """Train every config in ``configs`` with REINFORCE, all at once; one History each.

    The configs may differ only in the fields listed in :data:`PER_MEMBER` (seed,
    learning rate, discount, optimiser constants, value-baseline ridge, blame window,
    stopping rules); any other difference is a ValueError naming the field. Each
    History is the one its config alone would give here, whatever the other members.

    Bookkeeping: ``active`` lists the members still training, one row each of the
    arrays stepped together (observations, actions, sub-environments); a member that
    retires is dropped from them, so the rest run at the speed of a smaller population.
    """
    configs = check_population(configs)
    with one_blas_thread():
        return _train_population(configs)


def _train_population(configs: list[Config]) -> list[History]:
    c0 = configs[0]
    K, M = len(configs), c0.num_envs
    probe = make_env(c0.env_id, max_steps=c0.max_steps)  # the checks train makes
    threshold = None
    if probe.spec is not None and probe.spec.reward_threshold is not None:
        threshold = float(probe.spec.reward_threshold)
    members = [
        _Member(k, c, threshold if c.solved_threshold is None else c.solved_threshold)
        for k, c in enumerate(configs)
    ]
    master = stack_policies(
        [
            make_policy(
                probe.observation_space, probe.action_space, c0.hidden, m.init_rng
            )
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
    D = master.obs_dim
    bank = _make_bank(c0, [m.reset_rng for m in members], D)
    streams = MemberStreams([m.rng for m in members])
    batches = _Batches(K, M, c0.batch_size)
    log = _StepLog()
    active = np.arange(K)  # the member in each row
    row_of = np.arange(K)  # the row of each member (−1: retired)
    policy = _rows(master, active)
    x = np.zeros((K, M, D))  # the current observation of every sub-env, by row
    episode_steps = np.zeros((K, M), dtype=np.int64)  # by row: steps into the episode
    t = 0  # steps taken
    start = time.perf_counter()

    def begin(m: _Member) -> None:
        """Start m's next batch: ``batch_size`` episodes, or what is left of its budget."""
        c, row = m.config, int(row_of[m.k])
        batches.start(row, min(c.batch_size, c.max_episodes - m.history.episodes), t)
        x[row] = bank.reset(row * M + np.arange(M))
        episode_steps[row] = 0

    def finish_batch(m: _Member) -> None:
        """Record the batch as train does, update, and start the next batch or retire."""
        c, history, row = m.config, m.history, int(row_of[m.k])
        batch: list[Episode] = []
        stop = False
        for episode in batches.episodes(row, *log.row(row, int(batches.first[row]))):
            history.record(episode)
            batch.append(episode)
            if c.stop_when_solved and history.solved_at is not None:
                stop = True
                break
        if len(batch) == c.batch_size:
            before = master.member(m.k)
            grads = reinforce_gradient(
                before,
                batch,
                gamma=c.gamma,
                credit=c.credit,
                baseline=m.baseline,
                blame_window=c.blame_window,
                entropy_coef=c.entropy_coef,
            )
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                optimizer.step(
                    master.params, {n: g[None] for n, g in grads.items()}, [m.k]
                )
            if all(np.isfinite(v[m.k]).all() for v in master.params.values()):
                for name, value in master.params.items():
                    policy.params[name][row] = value[m.k]
                history.updates += 1
            else:  # diverged: keep the last finite policy and stop, as train does
                for name, value in master.params.items():
                    value[m.k] = before.params[name]
                history.diverged = True
                stop = True
        if stop or history.episodes >= c.max_episodes:
            m.active = False
            history.policy = master.member(m.k)
            history.optimizer = optimizer.member(m.k)
            history.wall_seconds = time.perf_counter() - start
        else:
            begin(m)

    try:
        for m in members:
            begin(m)
        while active.size:
            R = active.size
            if not np.isfinite(x).all():
                bad = members[
                    active[np.flatnonzero(~np.isfinite(x).all(axis=(1, 2)))[0]]
                ]
                raise _non_finite("observation", bad, t)
            # (R, M) or (R, M, k) actions, each member's drawn from its own generator
            a = policy.sample(x, cast(np.random.Generator, streams))
            env_a = policy.env_action(a)
            obs, r, terminated, truncated = bank.step(
                env_a.reshape(R * M, *env_a.shape[2:])
            )
            r = np.asarray(r, dtype=np.float64).reshape(R, M)
            terminated = np.asarray(terminated, dtype=bool).reshape(R, M)
            truncated = np.asarray(truncated, dtype=bool).reshape(R, M)
            episode_steps += 1
            if c0.max_steps is not None:  # the step cap, as run_episode applies it
                truncated |= (episode_steps >= c0.max_steps) & ~terminated
            if not np.isfinite(r).all() and not np.isfinite(r[batches.slot >= 0]).all():
                bad_row = np.flatnonzero(
                    ~np.isfinite(np.where(batches.slot >= 0, r, 0)).all(1)
                )[0]
                raise _non_finite("reward", members[active[bad_row]], t)
            log.append(x, a, r, batches.slot)
            t += 1
            x = np.array(obs, dtype=np.float64).reshape(R, M, D)
            done = terminated | truncated
            if not done.any():
                continue
            rows, envs = np.nonzero(done)
            x[rows, envs] = bank.reset(rows * M + envs)
            episode_steps[rows, envs] = 0
            finished = [
                members[active[row]]
                for row in batches.episodes_ended(rows, envs, terminated, truncated)
            ]
            for m in finished:
                finish_batch(m)
            if any(not m.active for m in finished):  # drop the retired members' rows
                keep = np.flatnonzero([members[k].active for k in active])
                active = active[keep]
                row_of = np.full(K, -1)
                row_of[active] = np.arange(active.size)
                streams.order = active
                policy = _rows(master, active)
                x, episode_steps = x[keep], episode_steps[keep]
                batches.keep(keep)
                log.keep(keep)
                if active.size:
                    bank.keep(keep)
            if finished and active.size:  # forget the steps no batch in progress needs
                log.forget(int(batches.first.min()))
    finally:
        bank.close()
    return [m.history for m in members]


# ---------------------------------------------------------------- many runs, many workers


def plan_populations(
    configs: Sequence[Config], workers: int = 1, max_size: int = 32
) -> list[list[int]]:
    """Group runs into populations for ``workers`` processes: lists of indices into
    ``configs``.

    Runs that share structure (:func:`structure_key`) go together, in their order,
    in as few chunks of at most ``max_size`` as will hold them, of equal sizes (±1);
    chunks are then split further (the largest first) until there are at least
    ``workers`` of them, so every worker gets one, or every chunk is a single run.
    Because a member's history does not depend on its population, any grouping gives
    every run the same result; this one only decides the speed. A sweep's run stage
    calls it and hands each chunk to :func:`train_population` on a worker.
    """
    workers = integer("workers", workers, low=1)
    max_size = integer("max_size", max_size, low=1)
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for i, config in enumerate(configs):
        groups.setdefault(structure_key(config), []).append(i)
    chunks = []
    for group in groups.values():
        parts = -(-len(group) // max_size)  # the fewest chunks of at most max_size
        size, extra = divmod(len(group), parts)
        start = 0
        for j in range(parts):
            end = start + size + (j < extra)  # the first `extra` chunks hold one more
            chunks.append(group[start:end])
            start = end
    while len(chunks) < workers and any(len(c) > 1 for c in chunks):
        largest = max(range(len(chunks)), key=lambda j: len(chunks[j]))
        chunk = chunks.pop(largest)
        half = (len(chunk) + 1) // 2
        chunks[largest:largest] = [chunk[:half], chunk[half:]]
    return chunks
