"""The REINFORCE training loop.

One update, as in the reference post::

    repeat batch_size times:  play an episode with π_θ, keep (s_t, a_t, r_t)
    for every episode:         G_t = credit (reward-to-go by default)
    for the batch:             A_t = baseline(G)          (standardised by default)
    g = Σ_episodes Σ_t A_t ∇_θ log π_θ(a_t | s_t)        (hand-written backprop)
    θ ← θ + optimiser step on g                           (RMSProp by default)

:func:`train` runs the loop on a :class:`~reinforce.config.Config` and returns a
:class:`~reinforce.history.History`. The helpers below it are bookkeeping: where the
episodes come from (one environment or a vector env), when to stop, Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import gymnasium as gym
import numpy as np

from . import lite
from .baselines import Baseline, make_baseline
from .config import Config
from .credit import assign_credit
from .envs import make_env, make_vec_env
from .history import History, RunHistory, solved_threshold
from .optim import Optimizer, make_optimizer
from .policies import Params, Policy, make_policy
from .rollout import Episode, collect_episodes, run_episode

__all__ = [
    "EpisodeSource",
    "entropy_gradient",
    "interruptible",
    "reinforce_gradient",
    "seed_streams",
    "stacked",
    "step_unless_diverged",
    "stop_requested",
    "train",
]

Callback = Callable[[History], bool | None]


def seed_streams(seed: int, n_rngs: int = 2) -> tuple[Any, ...]:
    """One seed → ``n_rngs`` independent generators and an environment seed.

    ``seed_streams(seed)`` is (init rng, action rng, env seed): REINFORCE's split.
    ``np.random.SeedSequence(seed).spawn`` makes the streams statistically independent,
    so changing how many actions are drawn never changes the initial weights, and the
    first stream (the initial weights) is the same whatever ``n_rngs`` is.
    """
    *children, env_child = np.random.SeedSequence(seed).spawn(n_rngs + 1)
    env_seed = int(env_child.generate_state(1)[0])
    return (*(np.random.default_rng(c) for c in children), env_seed)


def reinforce_gradient(
    policy: Policy,
    episodes: Sequence[Episode],
    *,
    gamma: float,
    credit: str = "reward_to_go",
    baseline: Baseline | str = "standardize",
    blame_window: int = 10,
    entropy_coef: float = 0.0,
) -> Params:
    """The REINFORCE estimate of ∇_θ J from a batch of episodes.

    ĝ = Σ_i Σ_t A^i_t ∇_θ log π_θ(a^i_t | s^i_t), with A the ``baseline``'s
    advantages of the ``credit`` G. Episodes are summed, not averaged, as in the
    reference post (RMSProp and Adam are insensitive to the scale).
    Implements eq-reinforce-estimator and eq-baseline-estimator. With
    ``entropy_coef`` β > 0 it adds β Σ_i Σ_t ∇_θ H(π_θ(· | s^i_t)), the entropy bonus
    (eq-more-actions-entropy-bonus).
    """
    if not episodes:
        raise ValueError("episodes must contain at least one episode")
    base = make_baseline(baseline) if isinstance(baseline, str) else baseline
    G = [
        assign_credit(credit, e.rewards, e.terminated, gamma, blame_window)
        for e in episodes
    ]
    obs = [e.observations for e in episodes]
    advantages = base.advantages(G, obs)
    states = np.concatenate(obs)
    grads = policy.grad_log_prob(
        states,
        np.concatenate([e.actions for e in episodes]),
        np.concatenate(advantages),
    )
    if entropy_coef == 0.0:
        return grads
    bonus = entropy_gradient(policy, states)  # Σ_t ∇_θ H(π_θ(· | s_t))
    return {name: g + entropy_coef * bonus[name] for name, g in grads.items()}


def entropy_gradient(policy: Policy, obs: np.ndarray) -> Params:
    """Σ_t ∇_θ H(π_θ(· | s_t)) over the states ``obs`` (T, D).
    Implements eq-more-actions-entropy-grad.

    For n discrete actions, ∇H = −Σ_k π_k log π_k ∇ log π_k (since Σ_k ∇π_k = 0):
    a sum of scores with weights −π_k log π_k, one grad_log_prob per action. A
    Gaussian's entropy Σ_j (log σ_j + ½ log 2πe) depends on log σ alone.
    """
    T = len(obs)
    grads = policy.zeros_like_params()
    if policy.kind == "gaussian":
        grads["log_std"] += T  # ∂H/∂log σ_j = 1 in every state
        return grads
    n = getattr(policy, "n_actions", 2)  # a Bernoulli policy has two actions
    for k in range(n):
        a = np.full(T, k)
        log_pi = policy.log_prob(obs, a)  # (T,): log π_k(s_t)
        g = policy.grad_log_prob(obs, a, -np.exp(log_pi) * log_pi)
        for name in grads:
            grads[name] += g[name]
    return grads


def train(
    config: Config | None = None,
    callback: Callback | None = None,
    *,
    catch_interrupt: bool = False,
) -> History:
    """Train a policy with REINFORCE: repeat eq-reinforce-estimator and an optimiser
    step. Returns the :class:`History`, with the trained policy in it.

    ``callback(history)`` runs after every episode; if it returns ``False`` training
    stops. With ``catch_interrupt=True``, Ctrl-C ends training and returns what was
    learnt so far (``history.interrupted`` is set); otherwise it propagates. An update
    that makes a weight non-finite (or the policy's log-probabilities overflow) is
    undone and ends training (``history.diverged``).
    """
    config = Config() if config is None else config
    env = make_env(config.env_id, max_steps=config.max_steps)
    init_rng, action_rng, env_seed = seed_streams(config.seed)
    policy = make_policy(
        env.observation_space, env.action_space, config.hidden, init_rng
    )
    optimizer = make_optimizer(
        config.optimizer,
        config.lr,
        decay_rate=config.decay_rate,
        eps=config.eps,
        beta1=config.beta1,
        beta2=config.beta2,
    )
    baseline = make_baseline(config.baseline, l2=config.value_l2)
    history = History(
        config=config,
        threshold=solved_threshold(config.solved_threshold, env),
        policy=policy,
        optimizer=optimizer,
    )
    source = EpisodeSource(env, config, policy, action_rng, env_seed)  # bookkeeping
    with source, interruptible(history, catch_interrupt), one_blas_thread():
        stop = False
        while not stop and history.episodes < config.max_episodes:
            batch: list[Episode] = []
            for episode in source.play(config.batch_size, history.episodes):
                history.record(episode)
                batch.append(episode)
                stop = stop_requested(history, callback)
                if stop:
                    break
            if len(batch) < config.batch_size:
                break  # the run ended mid-batch: no update from a partial batch
            grads = reinforce_gradient(
                policy,
                batch,
                gamma=config.gamma,
                credit=config.credit,
                baseline=baseline,
                blame_window=config.blame_window,
                entropy_coef=config.entropy_coef,
            )
            obs, actions = stacked(batch)
            if not step_unless_diverged(
                optimizer, policy.params, grads, history, policy.log_prob, obs, actions
            ):
                break  # the step would have overflowed: keep the last finite policy
            history.updates += 1
    return history


# ---------------------------------------------------------------- bookkeeping


class EpisodeSource:
    """The next episodes of a run, all played with the current policy.

    With ``config.num_envs == 1`` the episodes are played one after another on ``env``
    (as the post does); with more, on a vector env of that many sub-environments
    (:func:`~reinforce.rollout.collect_episodes`). The environment is seeded on the
    first reset only. Use as a context manager: leaving it closes the environments.
    """

    def __init__(
        self,
        env: gym.Env,
        config: Config,
        policy: Policy,
        rng: np.random.Generator,
        env_seed: int,
    ) -> None:
        self.env, self.config, self.policy, self.rng = env, config, policy, rng
        self.seed: int | None = env_seed  # used by the first reset, then None
        self.vec_env = (
            None
            if config.num_envs == 1
            else make_vec_env(
                config.env_id, config.num_envs, max_steps=config.max_steps
            )
        )

    def play(self, batch_size: int, done: int) -> Iterator[Episode]:
        """Up to ``batch_size`` episodes, never beyond ``config.max_episodes`` in all
        (``done`` have been played)."""
        n = min(batch_size, self.config.max_episodes - done)
        seed, self.seed = self.seed, None
        if self.vec_env is not None:
            yield from collect_episodes(
                self.vec_env,
                self.policy,
                self.rng,
                n,
                seed=seed,
                first_episode=done + 1,
            )
            return
        for k in range(n):
            yield run_episode(
                self.env,
                self.policy,
                self.rng,
                seed=seed if k == 0 else None,
                max_steps=self.config.max_steps,
                episode=done + 1 + k,
            )

    def __enter__(self) -> EpisodeSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.env.close()
        if self.vec_env is not None:
            self.vec_env.close()


def stop_requested(
    history: RunHistory, callback: Callable[[Any], bool | None] | None
) -> bool:
    """True if the callback returned ``False``, or the task is solved and the config
    says to stop then."""
    stop = callback is not None and callback(history) is False
    return stop or (history.config.stop_when_solved and history.solved_at is not None)


def stacked(batch: Sequence[Episode]) -> tuple[np.ndarray, np.ndarray]:
    """The batch's observations and actions, all episodes in one array each."""
    return (
        np.concatenate([e.observations for e in batch]),
        np.concatenate([e.actions for e in batch]),
    )


def step_unless_diverged(
    optimizer: Optimizer,
    params: Params,
    grads: Params,
    history: RunHistory,
    outputs: Callable[..., np.ndarray],
    *inputs: np.ndarray,
) -> bool:
    """``optimizer.step(params, grads)``, unless it diverges: if it makes a weight NaN or
    infinite, or weights so large that the network's ``outputs(*inputs)`` overflow, put
    the weights back, set ``history.diverged`` and return False."""
    before = {k: v.copy() for k, v in params.items()}
    with np.errstate(all="ignore"):  # an overflow is detected just below
        optimizer.step(params, grads)
        finite = all(np.isfinite(v).all() for v in params.values())
        if finite and np.isfinite(outputs(*inputs)).all():
            return True
    for k, v in before.items():
        params[k][...] = v
    history.diverged = True
    return False


def one_blas_thread() -> AbstractContextManager[Any]:
    """A block in which BLAS (NumPy's matrix products) runs on one thread.

    Training makes many small products (a (T, D) by (D, H) product per update, D = 4 for
    CartPole; K of them in a population); spreading each over several threads costs
    many times more in start-up and synchronisation than it saves, and the thread count
    can change a product's last bits. Worker processes (joblib's, as in a sweep) already
    get one thread each; this gives a run trained in the main process the same, so a
    seed gives the same bits wherever it runs. (Pyodide, in the browser, has no
    threads: nothing to do.)
    """
    if lite.BROWSER:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


@contextmanager
def interruptible(history: RunHistory, catch_interrupt: bool) -> Iterator[None]:
    """With ``catch_interrupt``, Ctrl-C ends the block and sets ``history.interrupted``.
    Either way ``history.wall_seconds`` is the time until the block ended."""
    try:
        yield
    except KeyboardInterrupt:
        if not catch_interrupt:
            raise
        history.interrupted = True
    finally:
        history.wall_seconds = time.perf_counter() - history.started
