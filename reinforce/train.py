r"""The REINFORCE training loop.

One update, as in the reference post::

    repeat batch_size times:  play an episode with π_θ, keep (s_t, a_t, r_t)
    for every episode:         G_t = returns (reward-to-go by default)
    for the batch:             A_t = baseline(G)          (standardised by default)
    g = Σ_episodes Σ_t A_t ∇_θ log π_θ(a_t | s_t)        (hand-written backprop)
    θ ← θ + optimiser step on g                           (RMSProp by default)

:class:`Config` holds every hyperparameter; its defaults are the post's CartPole-v1
settings. :func:`train` runs the loop and returns a :class:`History`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar

import numpy as np

from .baselines import BASELINES, Baseline, make_baseline
from .envs import make_env, make_vec_env
from .optim import OPTIMIZERS, Optimizer, make_optimizer
from .policies import Params, Policy, make_policy
from .returns import RETURNS, compute_returns
from .rollout import Episode, collect_episodes, run_episode

__all__ = ["Config", "History", "RunHistory", "reinforce_gradient", "seed_streams", "trailing_mean",
           "train"]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_run_fields(config: Any) -> None:
    """Validate the fields every training config shares: ``solved_threshold`` and
    ``stop_when_solved`` (raises ValueError / TypeError naming the field and value)."""
    threshold = config.solved_threshold
    if threshold is not None and (not _is_number(threshold) or not math.isfinite(threshold)):
        raise ValueError(f"solved_threshold must be a finite number or None, got {threshold!r}")
    if not isinstance(config.stop_when_solved, bool):
        raise TypeError(
            f"stop_when_solved must be True or False, got {config.stop_when_solved!r}"
        )


class ConfigMethods:
    """``replace`` and ``to_dict`` for a frozen configuration dataclass.

    Only mixed into dataclasses, which mypy cannot see from here: hence the ignores.
    """

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Config(ConfigMethods):
    """Every hyperparameter of a REINFORCE run. Defaults: the post's CartPole-v1 setup."""

    env_id: str = "CartPole-v1"
    """Gymnasium environment id."""
    seed: int = 0
    """The one seed behind the initial weights, every sampled action and the environment."""
    hidden: int = 100
    """H, the number of hidden units."""
    batch_size: int = 5
    """Episodes per parameter update."""
    num_envs: int = 1
    """Sub-environments stepped together while a batch is collected (``gym.make_vec``).
    1 plays the batch's episodes one after another, as the post does. More changes only
    the speed and the random stream, not the algorithm: every update still uses exactly
    ``batch_size`` complete episodes of the current policy."""
    lr: float = 1e-3
    """Learning rate α (the post raised it from 1e-4 for CartPole-v1's longer episodes)."""
    gamma: float = 0.99
    """Discount factor γ in [0, 1] (the post: 0.95 on CartPole-v0, 0.99 on v1)."""
    optimizer: str = "rmsprop"
    """One of ``sgd``, ``rmsprop``, ``adam``."""
    decay_rate: float = 0.99
    """RMSProp decay ρ of the running mean of squared gradients."""
    eps: float = 1e-5
    """ε added to the root in RMSProp and Adam (outside the square root)."""
    beta1: float = 0.9
    """Adam's first-moment decay β₁."""
    beta2: float = 0.999
    """Adam's second-moment decay β₂."""
    returns: str = "reward_to_go"
    """Per-step signal: ``reward_to_go`` (discounted), ``episode`` (whole return) or
    ``blame_window`` (the post's original CartPole-v0 shaping)."""
    blame_window: int = 10
    """N, the number of final actions blamed for a failure when ``returns="blame_window"``."""
    baseline: str = "standardize"
    """One of ``none``, ``mean``, ``standardize`` (per episode, the post's),
    ``standardize_batch``, ``value`` (learned V(s))."""
    value_l2: float = 1e-3
    """Ridge penalty λ of the learned value baseline."""
    max_episodes: int = 5000
    """Stop after this many episodes."""
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
        if not isinstance(self.env_id, str) or not self.env_id:
            raise ValueError(f"env_id must be a non-empty string, got {self.env_id!r}")
        if not _is_int(self.seed):
            raise TypeError(f"seed must be an integer, got {self.seed!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed!r}")
        for name in ("hidden", "batch_size", "num_envs", "blame_window", "max_episodes",
                     "solved_window"):
            value = getattr(self, name)
            if not _is_int(value):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if self.max_steps is not None and (not _is_int(self.max_steps) or self.max_steps < 1):
            raise ValueError(f"max_steps must be an integer >= 1 or None, got {self.max_steps!r}")
        if not _is_number(self.lr) or not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be finite and > 0, got {self.lr!r}")
        if not _is_number(self.gamma) or not (0.0 <= self.gamma <= 1.0):
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma!r}")
        for name in ("decay_rate", "beta1", "beta2"):
            value = getattr(self, name)
            if not _is_number(value) or not (0.0 <= value < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        for name in ("eps", "value_l2"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value < 0 or (
                name == "eps" and value == 0
            ):
                raise ValueError(f"{name} must be finite and {'>' if name == 'eps' else '>='} 0, "
                                 f"got {value!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {self.baseline!r}")
        if self.returns not in RETURNS:
            raise ValueError(f"returns must be one of {RETURNS}, got {self.returns!r}")
        check_run_fields(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown Config fields: {unknown}")
        return cls(**values)


def trailing_mean(x: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each index (fewer at the start): (E,) → (E,)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    c = np.cumsum(np.concatenate([[0.0], x]))
    idx = np.arange(1, x.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


class RunConfig(Protocol):
    """What :class:`RunHistory` reads from a run's configuration."""

    @property
    def env_id(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def solved_window(self) -> int: ...


C = TypeVar("C", bound=RunConfig)


@dataclass
class RunHistory(Generic[C]):
    """What a training run produced, episode by episode: the part every learner shares.

    :class:`History` (REINFORCE) and :class:`reinforce.dqn.DQNHistory` add their own
    fields, so the same statistics, plots and summaries apply to both.
    """

    config: C
    """The configuration that was run."""
    lengths: list[int] = field(default_factory=list)
    """Steps in each episode."""
    returns: list[float] = field(default_factory=list)
    """Undiscounted return Σ_t r_t of each episode."""
    env_steps: int = 0
    """Environment steps taken in all."""
    updates: int = 0
    """Parameter updates made."""
    wall_seconds: float = 0.0
    """Wall-clock time of the run."""
    threshold: float | None = None
    """The solved threshold in force (None: the task has none)."""
    solved_at: int | None = None
    """The first episode (counting from 1) at which the mean return of the last
    ``solved_window`` episodes reached ``threshold``; None if it never did."""
    interrupted: bool = False
    """True if Ctrl-C ended the run early."""
    optimizer: Optimizer | None = None
    """The optimiser, with its final internal state."""

    @property
    def episodes(self) -> int:
        """Episodes completed."""
        return len(self.lengths)

    def add_episode(self, length: int, total_reward: float) -> None:
        """Append one finished episode and update the solved test."""
        self.lengths.append(int(length))
        self.returns.append(float(total_reward))
        w = self.config.solved_window
        if (
            self.solved_at is None
            and self.threshold is not None
            and len(self.returns) >= w
            and float(np.mean(self.returns[-w:])) >= self.threshold
        ):
            self.solved_at = len(self.returns)

    def rolling_mean(self, window: int | None = None, of: str = "returns") -> np.ndarray:
        """Mean of the last ``window`` episodes at each episode (fewer at the start): (E,)."""
        window = self.config.solved_window if window is None else window
        return trailing_mean(self.lengths if of == "lengths" else self.returns, window)

    def summary(self) -> dict[str, Any]:
        """The headline numbers, JSON-serialisable."""
        final = self.rolling_mean()
        return {
            "env_id": self.config.env_id,
            "seed": self.config.seed,
            "solved_at_episode": self.solved_at,
            "threshold": self.threshold,
            "episodes": self.episodes,
            "env_steps": self.env_steps,
            "updates": self.updates,
            "wall_seconds": round(self.wall_seconds, 3),
            "final_rolling_mean": float(final[-1]) if final.size else None,
            "interrupted": self.interrupted,
        }


@dataclass
class History(RunHistory[Config]):
    """What a REINFORCE run produced: :class:`RunHistory` and the trained policy."""

    policy: Policy | None = None
    """The trained policy."""

    def record(self, episode: Episode) -> None:
        """Append one episode, count its steps and update the solved test."""
        self.add_episode(episode.length, episode.total_reward)
        self.env_steps += episode.length

    def to_csv(self, path: str | Path) -> None:
        """One row per episode: episode, length, return, rolling mean of returns."""
        rolling = self.rolling_mean()
        with open(path, "w", encoding="utf-8") as f:
            f.write("episode,length,return,rolling_mean\n")
            for i, (n, r, m) in enumerate(zip(self.lengths, self.returns, rolling, strict=True)):
                f.write(f"{i + 1},{n},{r!r},{m!r}\n")


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, int]:
    """Split one seed into independent streams: (init rng, action rng, env seed).

    ``np.random.SeedSequence`` makes the three statistically independent, so changing
    how many actions are drawn never changes the initial weights, and vice versa.
    """
    init_ss, action_ss, env_ss = np.random.SeedSequence(seed).spawn(3)
    env_seed = int(env_ss.generate_state(1)[0])
    return np.random.default_rng(init_ss), np.random.default_rng(action_ss), env_seed


def reinforce_gradient(
    policy: Policy,
    episodes: Sequence[Episode],
    *,
    gamma: float,
    returns: str = "reward_to_go",
    baseline: Baseline | str = "standardize",
    blame_window: int = 10,
) -> Params:
    r"""The REINFORCE estimate of ∇_θ J from a batch of episodes.

    .. math:: \hat g = \sum_{i} \sum_t A^i_t\, \nabla_\theta \log \pi_\theta(a^i_t \mid s^i_t)

    with A the ``baseline``'s advantages of the ``returns``. Episodes are summed, not
    averaged, as in the reference post (RMSProp and Adam are insensitive to the scale).
    """
    if not episodes:
        raise ValueError("episodes must contain at least one episode")
    base = make_baseline(baseline) if isinstance(baseline, str) else baseline
    G = [compute_returns(returns, e.rewards, e.terminated, gamma, blame_window) for e in episodes]
    obs = [e.observations for e in episodes]
    advantages = base.advantages(G, obs)
    return policy.grad_log_prob(
        np.concatenate(obs),
        np.concatenate([e.actions for e in episodes]),
        np.concatenate(advantages),
    )


def train(
    config: Config | None = None,
    callback: Callable[[History], bool | None] | None = None,
    *,
    catch_interrupt: bool = False,
) -> History:
    """Train a policy with REINFORCE; returns the :class:`History` with the policy in it.

    ``callback(history)`` runs after every episode; if it returns ``False`` training
    stops. With ``catch_interrupt=True``, Ctrl-C ends training and returns what was
    learnt so far (``history.interrupted`` is set); otherwise it propagates.
    """
    config = Config() if config is None else config
    env = make_env(config.env_id, max_steps=config.max_steps)
    init_rng, rng, env_seed = seed_streams(config.seed)
    policy = make_policy(env.observation_space, env.action_space, config.hidden, init_rng)
    optimizer = make_optimizer(
        config.optimizer,
        config.lr,
        decay_rate=config.decay_rate,
        eps=config.eps,
        beta1=config.beta1,
        beta2=config.beta2,
    )
    baseline = make_baseline(config.baseline, l2=config.value_l2)
    threshold = config.solved_threshold
    if threshold is None and env.spec is not None and env.spec.reward_threshold is not None:
        threshold = float(env.spec.reward_threshold)
    history = History(config=config, threshold=threshold, policy=policy, optimizer=optimizer)

    vec_env = None
    if config.num_envs > 1:
        vec_env = make_vec_env(config.env_id, config.num_envs, max_steps=config.max_steps)

    def play(n: int) -> Iterator[Episode]:
        """The next n episodes, all from the current policy."""
        first = history.episodes + 1
        env_seed_now = env_seed if history.episodes == 0 else None  # seed on the first reset only
        if vec_env is not None:
            yield from collect_episodes(vec_env, policy, rng, n, seed=env_seed_now,
                                        first_episode=first)
            return
        for k in range(n):
            yield run_episode(env, policy, rng, seed=env_seed_now if k == 0 else None,
                              max_steps=config.max_steps, episode=first + k)

    start = time.perf_counter()
    try:
        stop = False
        while not stop and history.episodes < config.max_episodes:
            n = min(config.batch_size, config.max_episodes - history.episodes)
            batch: list[Episode] = []
            for episode in play(n):
                history.record(episode)
                batch.append(episode)
                history.wall_seconds = time.perf_counter() - start
                if callback is not None and callback(history) is False:
                    stop = True
                if config.stop_when_solved and history.solved_at is not None:
                    stop = True
                if stop:
                    break
            if len(batch) == config.batch_size:
                grads = reinforce_gradient(
                    policy,
                    batch,
                    gamma=config.gamma,
                    returns=config.returns,
                    baseline=baseline,
                    blame_window=config.blame_window,
                )
                optimizer.step(policy.params, grads)
                history.updates += 1
    except KeyboardInterrupt:
        if not catch_interrupt:
            raise
        history.interrupted = True
    finally:
        env.close()
        if vec_env is not None:
            vec_env.close()
        history.wall_seconds = time.perf_counter() - start
    return history
