"""The hyperparameters of a REINFORCE run, checked once, where they enter.

:class:`Config` defaults to the reference post's CartPole-v1 settings. Every field is
validated (and NumPy scalars turned into plain Python numbers) when a Config is made,
so the training loop and the functions it calls can trust what they are given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from . import lite
from .baselines import BASELINES
from .checks import (
    choice,
    flag,
    integer,
    interval,
    name_string,
    non_negative,
    optional_integer,
    optional_number,
    positive,
)
from .credit import CREDITS
from .optim import OPTIMIZERS

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
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
    credit: str = "reward_to_go"
    """What each action is credited with (:mod:`reinforce.credit`): ``reward_to_go``
    (discounted, the post's), ``total_return`` (the whole episode's) or ``blame_window``
    (the post's original CartPole-v0 shaping)."""
    blame_window: int = 10
    """N, the number of final actions blamed for a failure when ``credit="blame_window"``."""
    baseline: str = "standardize"
    """One of ``none``, ``mean``, ``standardize`` (per episode, the post's),
    ``standardize_batch``, ``value`` (learned V(s))."""
    value_l2: float = 1e-3
    """Ridge penalty λ of the learned value baseline."""
    entropy_coef: float = 0.0
    """β, the weight of the entropy bonus: each update adds β Σ_t ∇_θ H(π_θ(· | s_t))
    over the batch's states to the gradient, pulling the policy towards more random
    actions (0: plain REINFORCE, the post's)."""
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
        valid = {
            "env_id": name_string("env_id", self.env_id),
            "seed": integer("seed", self.seed, low=0),
            **{
                n: integer(n, getattr(self, n), low=1)
                for n in (
                    "hidden",
                    "batch_size",
                    "num_envs",
                    "blame_window",
                    "max_episodes",
                    "solved_window",
                )
            },
            "max_steps": optional_integer("max_steps", self.max_steps),
            "lr": positive("lr", self.lr),
            "eps": positive("eps", self.eps),
            "value_l2": non_negative("value_l2", self.value_l2),
            "entropy_coef": non_negative("entropy_coef", self.entropy_coef),
            "gamma": interval("gamma", self.gamma, 0, 1),
            **{
                n: interval(n, getattr(self, n), 0, 1, closed="low")
                for n in ("decay_rate", "beta1", "beta2")
            },
            "optimizer": choice("optimizer", self.optimizer, OPTIMIZERS),
            "baseline": choice("baseline", self.baseline, BASELINES),
            "credit": choice("credit", self.credit, CREDITS),
            "solved_threshold": optional_number(
                "solved_threshold", self.solved_threshold
            ),
            "stop_when_solved": flag("stop_when_solved", self.stop_when_solved),
        }
        # plain Python values: to_dict() is JSON-ready
        for name, value in valid.items():
            object.__setattr__(self, name, value)
        # in a web browser (reinforce.lite): the post's CartPole run becomes "fast"
        for name, value in lite.light_fields(self).items():
            object.__setattr__(self, name, value)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown Config fields: {unknown}")
        return cls(**values)
