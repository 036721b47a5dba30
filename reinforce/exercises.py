"""Exercises that check themselves: ``check("ex-rmsprop-1", rmsprop_step)``.

For every exercise of the book that asks for a function, this module knows the function's
name and signature, a reference (a package function where the package has one), and a
generator of test cases: random inputs drawn from an explicit ``np.random.Generator``,
plus the edge cases (an empty episode, γ = 0, huge logits). :func:`check` runs the
student's function and the reference on every case and reports the first case on which
they differ: the inputs' shapes, then what differs (type, length, shape or values). It
never prints the reference's code; it returns True when every case agrees.

From the command line: ``python -m reinforce check ex-rmsprop-1 my_answer.py``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .baselines import StandardizeBaseline
from .credit import blame_window, reward_to_go
from .dqn import td_targets
from .optim import RMSProp
from .policies import log_softmax
from .stats import iqm, probability_of_improvement
from .tabular import TabularMDP, policy_gradient, random_mdp
from .variance import gradient_stats

__all__ = [
    "EXERCISES",
    "Exercise",
    "Part",
    "check",
    "describe",
    "exercise",
    "labels",
    "load_functions",
]

RTOL = 1e-7
"""Relative tolerance: a vectorised sum and a loop round differently."""
ATOL = 1e-9
"""Absolute tolerance, for entries that should be zero."""
SEED = 2026
"""Default seed of the random cases (``check(..., seed=...)`` draws others)."""

Case = dict[str, Any]  # the arguments, by name, in the order of the signature


@dataclass(frozen=True)
class Part:
    """One function the student writes: its name, signature and what it returns."""

    name: str
    signature: str  # the argument list, as the exercise names it
    returns: str  # what it returns, in words, with shapes
    reference: Callable[..., Any]
    cases: Callable[[np.random.Generator], list[Case]]  # keyword arguments per case


@dataclass(frozen=True)
class Exercise:
    """An exercise of the book that asks for one or more functions."""

    label: str
    parts: tuple[Part, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)


# ---------------------------------------------------------------- references
# Where the package has the function, the reference *is* the package function.


def _rmsprop_step(
    theta: np.ndarray, g: np.ndarray, v: np.ndarray, lr: float, rho: float, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """One step of the package's RMSProp from cache ``v``: (new theta, new v)."""
    opt = RMSProp(lr=lr, decay_rate=rho, eps=eps)
    params = {"theta": np.array(theta, dtype=np.float64)}
    opt.step(params, {"theta": np.zeros_like(params["theta"])})  # creates the cache
    params["theta"] = np.array(theta, dtype=np.float64)
    opt.cache["theta"] = np.array(v, dtype=np.float64)
    opt.step(params, {"theta": g})
    return params["theta"], opt.cache["theta"]


def _gradient_stats(g: np.ndarray) -> tuple[float, float]:
    stats = gradient_stats(g)
    return stats.total_variance, stats.cosine


def _standardize_batch(returns: list[np.ndarray]) -> list[np.ndarray]:
    observations = [np.zeros((len(G), 0)) for G in returns]  # not used
    return StandardizeBaseline(per_episode=False).advantages(returns, observations)


def _softmax_score(logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
    return np.eye(logits.shape[1])[actions] - np.exp(log_softmax(logits))


def _gaussian_log_prob(
    a: np.ndarray, mu: np.ndarray, log_std: np.ndarray
) -> np.ndarray:
    z = (a - mu) / np.exp(log_std)  # (T, k)
    return (-0.5 * z**2 - log_std - 0.5 * np.log(2.0 * np.pi)).sum(axis=1)  # (T,)


def _gaussian_scores(
    a: np.ndarray, mu: np.ndarray, log_std: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    z = (a - mu) / np.exp(log_std)  # (T, k)
    return z / np.exp(log_std), z**2 - 1.0


def _double_dqn_targets(
    rewards: np.ndarray,
    next_q: np.ndarray,
    next_q_online: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
) -> np.ndarray:
    return td_targets(rewards, next_q, terminated, gamma, next_q_online=next_q_online)


def _td_errors(rewards: np.ndarray, values: np.ndarray, gamma: float) -> np.ndarray:
    return rewards + gamma * np.append(values[1:], 0.0) - values


def _gae(deltas: np.ndarray, gamma: float, lam: float) -> np.ndarray:
    return reward_to_go(deltas, gamma * lam)  # Σ_l (γλ)^l δ_{t+l}


def _p_fewer(x: np.ndarray, y: np.ndarray) -> float:
    return probability_of_improvement(x, y, higher_is_better=False)


def _iqm(x: np.ndarray) -> float:
    return float(iqm(x))


# ---------------------------------------------------------------- random cases


def _pgt_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for S, A, gamma, scale in [(1, 1, 0.9, 1.0), (1, 3, 0.5, 1.0), (3, 2, 0.9, 1.0),
                               (5, 4, 0.99, 1.0), (4, 3, 0.9, 20.0)]:  # fmt: skip
        mdp = random_mdp(S, A, gamma, rng)
        cases.append({"mdp": mdp, "theta": scale * rng.standard_normal((S, A))})
    return cases


def _stats_cases(rng: np.random.Generator) -> list[Case]:
    shapes = [(2, 1), (2, 5), (5, 3), (50, 20), (200, 2)]
    cases = [
        {"g": rng.standard_normal((K, P)) + rng.standard_normal(P)} for K, P in shapes
    ]
    cases.append({"g": 1e3 * rng.standard_normal((10, 4))})  # large gradients
    return cases


def _rmsprop_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape, rho, eps, scale in [((5,), 0.99, 1e-5, 1.0), ((1,), 0.0, 1e-8, 1.0),
                                   ((3, 4), 0.9, 1e-5, 100.0), ((6,), 0.99, 1e-5, 1e-4),
                                   ((2, 2), 0.5, 1e-3, 1.0)]:  # fmt: skip
        g = scale * rng.standard_normal(shape)
        cases.append({
            "theta": rng.standard_normal(shape), "g": g,
            "v": rng.random(shape) * scale**2, "lr": 10.0 ** rng.uniform(-4, -1),
            "rho": rho, "eps": eps,
        })  # fmt: skip
    cases.append({"theta": np.ones(4), "g": np.zeros(4), "v": np.zeros(4), "lr": 0.01,
                  "rho": 0.99, "eps": 1e-5})  # fmt: skip  # zero gradient, empty cache
    return cases


def _rtg_cases(rng: np.random.Generator) -> list[Case]:
    cases = [{"r": rng.standard_normal(500), "gamma": g} for g in (0.0, 0.5, 0.99, 1.0)]
    cases += [{"r": rng.standard_normal(1), "gamma": 0.9}, {"r": np.ones(37), "gamma": 0.99},
              {"r": np.zeros(0), "gamma": 0.99}]  # fmt: skip
    return cases


def _batch_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for lengths in [(10, 25, 40), (1, 2), (100,), (500, 17, 3, 88)]:
        cartpole = [reward_to_go(np.ones(T), 0.99) for T in lengths]
        cases.append({"returns": cartpole})
    cases.append({"returns": [rng.standard_normal(T) for T in (5, 1, 12)]})
    return cases


def _blame_cases(rng: np.random.Generator) -> list[Case]:
    cases = [
        {"length": T, "terminated": done, "window": w}
        for T in range(31)
        for done in (True, False)
        for w in (1, 5, 10)
    ]
    cases += [{"length": int(rng.integers(31, 500)), "terminated": True,
               "window": int(rng.integers(1, 600))} for _ in range(5)]  # fmt: skip
    return cases


def _score_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for T, n, scale in [(1, 2, 1.0), (50, 3, 1.0), (20, 6, 5.0), (10, 4, 1000.0)]:
        logits = scale * rng.standard_normal((T, n))  # the last: exp overflows if naive
        cases.append({"logits": logits, "actions": rng.integers(0, n, size=T)})
    return cases


def _gaussian_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for T, k, spread in [(1, 1, 1.0), (30, 1, 1.0), (20, 3, 1.0), (10, 2, 4.0)]:
        mu = rng.standard_normal((T, k))
        log_std = spread * rng.uniform(-1.0, 0.5, size=k)
        a = mu + np.exp(log_std) * rng.standard_normal((T, k))
        cases.append({"a": a, "mu": mu, "log_std": log_std})
    return cases


def _dqn_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for B, n, p_done, gamma in [(1, 2, 0.0, 0.99), (8, 2, 0.3, 0.99), (64, 5, 0.5, 0.9),
                                (16, 3, 1.0, 0.99), (10, 4, 0.3, 0.0)]:  # fmt: skip
        cases.append({
            "rewards": rng.standard_normal(B), "next_q": rng.standard_normal((B, n)),
            "next_q_online": rng.standard_normal((B, n)),
            "terminated": rng.random(B) < p_done, "gamma": gamma,
        })  # fmt: skip
    return cases


def _td_cases(rng: np.random.Generator) -> list[Case]:
    return [{"rewards": rng.standard_normal(T), "values": 10 * rng.standard_normal(T),
             "gamma": gamma} for T, gamma in [(1, 0.99), (5, 0.9), (200, 0.99),
                                              (50, 1.0), (7, 0.0), (0, 0.99)]]  # fmt: skip


def _gae_cases(rng: np.random.Generator) -> list[Case]:
    return [{"deltas": rng.standard_normal(T), "gamma": gamma, "lam": lam}
            for T, gamma, lam in [(1, 0.99, 0.95), (200, 0.99, 0.0), (200, 0.99, 0.95),
                                  (200, 0.99, 1.0), (30, 1.0, 1.0), (0, 0.99, 0.95)]]  # fmt: skip


def _poi_cases(rng: np.random.Generator) -> list[Case]:
    cases = [{"x": rng.integers(20, 60, size=n), "y": rng.integers(20, 60, size=m)}
             for n, m in [(1, 1), (20, 20), (5, 7), (40, 3)]]  # fmt: skip
    cases.append({"x": np.full(6, 30), "y": np.full(4, 30)})  # all ties: ½
    cases.append({"x": np.arange(10, 20), "y": np.arange(20, 30)})  # x always fewer
    return cases


def _iqm_cases(rng: np.random.Generator) -> list[Case]:
    cases = [{"x": rng.integers(20, 200, size=m).astype(float)} for m in range(1, 13)]
    cases.append({"x": np.array([1.0, 2, 3, 4, 5, 6, 7, 100])})  # an outlier
    cases.append(
        {"x": rng.permutation(np.repeat([30.0, 40.0, 90.0], 7))}
    )  # ties, unsorted
    return cases


# ---------------------------------------------------------------- the exercises

_POI = Part("p_fewer", "x, y",
            "P(a run of x needs fewer episodes than a run of y), ties ½: a float",
            _p_fewer, _poi_cases)  # fmt: skip

EXERCISES: dict[str, Exercise] = {
    e.label: e
    for e in [
        Exercise("ex-policy-gradient-theorem-1", (
            Part("my_policy_gradient", "mdp, theta",
                 "the exact gradient ∇J(θ) of eq-pgt-tabular: (S, A)",
                 policy_gradient, _pgt_cases),)),
        Exercise("ex-baselines-1", (
            Part("gradient_stats_by_hand", "g",
                 "(total variance, mean leave-one-out cosine) of the rows of g (K, P)",
                 _gradient_stats, _stats_cases),)),
        Exercise("ex-rmsprop-1", (
            Part("rmsprop_step", "theta, g, v, lr, rho, eps",
                 "(new theta, new v) after one step of eq-rmsprop",
                 _rmsprop_step, _rmsprop_cases),)),
        Exercise("ex-discounting-1", (
            Part("reward_to_go_matrix", "r, gamma",
                 "the discounted reward-to-go of r (T,): (T,)",
                 reward_to_go, _rtg_cases),)),
        Exercise("ex-standardisation-1", (
            Part("standardize_batch", "returns",
                 "a list of advantage arrays, one per episode, standardised together",
                 _standardize_batch, _batch_cases),)),
        Exercise("ex-blame-window-1", (
            Part("my_blame", "length, terminated, window",
                 "the blame-window signal of eq-blame-window: (length,)",
                 blame_window, _blame_cases),)),
        Exercise("ex-hyperparameters-1", (_POI,)),
        Exercise("ex-more-actions-1", (
            Part("softmax_score", "logits, actions",
                 "onehot(a_t) − π(· | s_t) for every row: (T, n)",
                 _softmax_score, _score_cases),)),
        Exercise("ex-continuous-actions-1", (
            Part("gaussian_log_prob", "a, mu, log_std",
                 "log N(a_t; μ_t, diag σ²) per row: (T,)",
                 _gaussian_log_prob, _gaussian_cases),
            Part("gaussian_scores", "a, mu, log_std",
                 "(score of μ, score of log σ), each (T, k)",
                 _gaussian_scores, _gaussian_cases))),
        Exercise("ex-dqn-1", (
            Part("double_dqn_targets", "rewards, next_q, next_q_online, terminated, gamma",
                 "Double DQN's target for every transition of the batch: (B,)",
                 _double_dqn_targets, _dqn_cases),)),
        Exercise("ex-beyond-reinforce-1", (
            Part("td_errors", "rewards, values, gamma",
                 "the one-step TD errors δ_t, with V(s_T) = 0: (T,)",
                 _td_errors, _td_cases),
            Part("gae", "deltas, gamma, lam",
                 "the GAE advantages of eq-beyond-gae: (T,)",
                 _gae, _gae_cases))),
        Exercise("ex-beyond-reinforce-2", (_POI,)),
        Exercise("ex-statistics-primer-1", (
            Part("iqm_by_hand", "x",
                 "the interquartile mean of x (m,): a float",
                 _iqm, _iqm_cases),)),
        Exercise("ex-statistics-primer-2", (_POI,)),
    ]
}  # fmt: skip


def exercise(label: str) -> Exercise:
    """The exercise labelled ``label``; a clear error naming the known labels if none."""
    if label not in EXERCISES:
        raise ValueError(
            f"no self-checking exercise {label!r}; known: {', '.join(sorted(EXERCISES))}"
        )
    return EXERCISES[label]


# ---------------------------------------------------------------- comparing


def _describe(value: Any) -> str:
    """An input or output in a few words: shapes of arrays, values of scalars."""
    if isinstance(value, TabularMDP):
        return (
            f"TabularMDP(S={value.n_states}, A={value.n_actions}, gamma={value.gamma})"
        )
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return repr(value.item())
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_describe(v) for v in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"{type(value).__name__} of {len(value)} [{inner}{more}]"
    return repr(value)


def _difference(got: Any, want: Any, where: str) -> str | None:
    """What differs between the student's output and the reference's, or None."""
    if isinstance(want, tuple | list):
        if not isinstance(got, tuple | list):
            return f"{where} should be a {type(want).__name__} of {len(want)}, got {_describe(got)}"
        if len(got) != len(want):
            return f"{where} has length {len(got)}, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            diff = _difference(g, w, f"{where}[{i}]")
            if diff is not None:
                return diff
        return None
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{where} should be numbers, got {_describe(got)}"
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return f"{where} has shape {g.shape}, expected {w.shape}"
    bad = ~np.isfinite(g) & np.isfinite(w)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return f"{where} has {int(bad.sum())} non-finite entries, the first at {index}: {g[index]}"
    close = np.isclose(g, w, rtol=RTOL, atol=ATOL) | ((g == w) & ~np.isfinite(w))
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    at = f" at {index}" if index else ""
    return (
        f"{where} differs in {int((~close).sum())} of {w.size} entries; the first{at}: "
        f"got {g[index]:.10g}, expected {w[index]:.10g}"
    )


def _run(function: Callable[..., Any], case: Case) -> tuple[Any, str | None]:
    """Call ``function`` on a copy of the inputs; RuntimeWarnings count as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return function(*copy.deepcopy(list(case.values()))), None
        except Exception as err:  # the student's bug, reported rather than raised
            kind = type(err).__name__
            return None, f"raised {kind}: {err}" if str(err) else f"raised {kind}"


def check_part(
    part: Part, function: Callable[..., Any], rng: np.random.Generator
) -> str | None:
    """The first case on which ``function`` and the reference differ, in words, or None."""
    cases = part.cases(rng)
    for n, case in enumerate(cases, start=1):
        want = part.reference(*copy.deepcopy(list(case.values())))
        got, error = _run(function, case)
        problem = error or _difference(got, want, "the output")
        if problem is not None:
            inputs = ", ".join(f"{k}={_describe(v)}" for k, v in case.items())
            return f"{part.name}: case {n} of {len(cases)} ({inputs}): {problem}"
    return None


def check(
    label: str, *functions: Callable[..., Any], seed: int = SEED, verbose: bool = True
) -> bool:
    """Run the student's ``functions`` against the references of exercise ``label``.

    Pass the exercise's functions in the order it names them (``check("ex-beyond-
    reinforce-1", td_errors, gae)``). Prints the first case on which a function
    differs from the reference, or that every case agrees; returns True if all do.
    Each function gets fresh copies of the inputs, drawn from
    ``np.random.default_rng(seed)``.
    """
    ex = exercise(label)
    if len(functions) != len(ex.parts):
        raise TypeError(
            f"{label} checks {len(ex.parts)} function(s), "
            f"{', '.join(ex.names)}; got {len(functions)}"
        )
    for part, function in zip(ex.parts, functions, strict=True):
        if not callable(function):
            raise TypeError(
                f"{part.name} must be a function, got {_describe(function)}"
            )
    rng = np.random.default_rng(seed)
    problems = [check_part(p, f, rng) for p, f in zip(ex.parts, functions, strict=True)]
    failed = [p for p in problems if p is not None]
    if verbose:
        for problem in failed:
            print(f"{label}: {problem}")
        if not failed:
            n = sum(len(p.cases(np.random.default_rng(seed))) for p in ex.parts)
            print(
                f"{label}: {', '.join(ex.names)}: all {n} cases agree with the reference"
            )
    return not failed


def describe(label: str) -> str:
    """What exercise ``label`` asks you to define, one function per line."""
    ex = exercise(label)
    return "\n".join(
        f"def {p.name}({p.signature}):  # returns {p.returns}" for p in ex.parts
    )


def load_functions(label: str, path: str) -> list[Callable[..., Any]]:
    """Run the Python file ``path`` and return the functions exercise ``label`` needs."""
    import runpy

    ex = exercise(label)
    try:
        namespace = runpy.run_path(path, run_name="__exercise__")
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        raise ValueError(f"cannot read {path}: {err.strerror}") from None
    except SyntaxError as err:
        raise ValueError(
            f"{path}, line {err.lineno}: syntax error: {err.msg}"
        ) from None
    except Exception as err:  # the file itself failed to run
        raise ValueError(f"{path} failed to run: {type(err).__name__}: {err}") from None
    missing = [n for n in ex.names if not callable(namespace.get(n))]
    if missing:
        raise ValueError(
            f"{path} defines no function {', '.join(missing)} (needed by {label})"
        )
    return [namespace[n] for n in ex.names]


def labels() -> Sequence[str]:
    """The labels of every self-checking exercise, in the book's order."""
    return list(EXERCISES)
