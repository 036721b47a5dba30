"""Named starting points for :class:`~reinforce.train.Config`.

=====================  ==================================================================
``default``            the reference post's algorithm and hyperparameters
``fast``               least wall-clock time to solve CartPole-v1: 16 episodes per update
                       played at once on a NumPy-vectorised env, Adam with a large step
``sample-efficient``   fewest episodes to solve: batches of 8 and a learned value baseline
``inverted-pendulum``  continuous actions: MuJoCo's InvertedPendulum-v5 with a Gaussian
                       policy (needs the ``mujoco`` extra), a small tanh network, batches
                       of 4, Adam; solved when 20 episodes average 950 of 1000 steps
``acrobot``            three actions: Acrobot-v1 with a softmax policy, batches of 8,
                       each step credited with its episode's return, standardised over
                       the batch, Adam, and an entropy bonus
=====================  ==================================================================

A preset only sets fields; anything passed explicitly overrides it:
``preset("fast", seed=3)``. The benchmark (``make bench``) measures the CartPole ones.
Their values were chosen by a small search on CartPole-v1 (20 seeds per candidate,
episodes to solve and wall time); on other tasks they are only a starting point.
``inverted-pendulum`` came from a smaller search on its own task (batch size, learning
rate, width; 3–10 seeds per candidate): 10 of 10 seeds solved, in 169–369 episodes.
``acrobot`` came from ``tuning/acrobot.py`` (four stages, 15 settings, 170 runs on tuning
seeds; its last stage, 20 fresh tuning seeds per setting, picked the whole-episode return
as credit by a rule fixed in the script beforehand); the chapter "More than two actions"
shows every stage's record and the result on reporting seeds.
"""

from __future__ import annotations

from typing import Any

from .train import Config

__all__ = ["PRESETS", "preset"]

#: field values of each preset (fields not listed keep the Config defaults)
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    # 16 episodes per update, all played at once on Gymnasium's NumPy-vectorised CartPole,
    # standardised over the batch, and Adam with a step 60× the post's
    "fast": {
        "num_envs": 16,
        "batch_size": 16,
        "optimizer": "adam",
        "lr": 0.06,
        "baseline": "standardize_batch",
    },
    # small batches and a learned value baseline V(s): the fewest episodes to solve
    "sample-efficient": {
        "num_envs": 8,
        "batch_size": 8,
        "optimizer": "adam",
        "lr": 0.05,
        "baseline": "value",
    },
    # a continuous action (the force on the cart, in [-3, 3]): GaussianPolicy. 16 tanh
    # units are plenty; a step above 0.03 let σ collapse on one seed in four. The
    # reward threshold (950) is Gymnasium's, averaged over 20 episodes instead of 100
    # so a solved run stops sooner.
    "inverted-pendulum": {
        "env_id": "InvertedPendulum-v5",
        "hidden": 16,
        "batch_size": 4,
        "optimizer": "adam",
        "lr": 0.03,
        "baseline": "standardize_batch",
        "solved_window": 20,
    },
    # three torques (CategoricalPolicy). Without the entropy bonus some tuning runs stayed
    # at -500 (no episode ever reached the goal); a larger bonus kept the policy too
    # random to average -100. With reward-to-go, a batch in which no episode reaches the
    # goal still gets advantages that follow the steps left; with the whole-episode
    # return they are all zero and only the bonus acts (20 of 20 fresh tuning seeds
    # solved, against 16 of 20). Gymnasium's threshold (-100) is the env's own, over the
    # default 100-episode window.
    "acrobot": {
        "env_id": "Acrobot-v1",
        "hidden": 32,
        "num_envs": 8,
        "batch_size": 8,
        "optimizer": "adam",
        "lr": 0.02,
        "baseline": "standardize_batch",
        "credit": "total_return",
        "entropy_coef": 0.01,
    },
}


def preset(name: str, **overrides: Any) -> Config:
    """The :class:`Config` of preset ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}")
    return Config(**{**PRESETS[name], **overrides})
