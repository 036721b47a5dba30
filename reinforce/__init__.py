"""REINFORCE from scratch: policy gradients written by hand in NumPy."""

from .animation import animate_cartpole, cartpole_html, draw_cartpole
from .baselines import (
    BASELINES,
    Baseline,
    MeanBaseline,
    NoBaseline,
    StandardizeBaseline,
    ValueBaseline,
    make_baseline,
)
from .checkpoint import load_policy, save_policy
from .envs import make_env, make_vec_env
from .gradcheck import numerical_gradient, relative_error
from .optim import OPTIMIZERS, SGD, Adam, Optimizer, RMSProp, make_optimizer
from .plotting import plot_fraction_solved, plot_learning_curves, plot_sweep
from .policies import (
    BernoulliPolicy,
    CategoricalPolicy,
    GaussianPolicy,
    Policy,
    log_sigmoid,
    log_softmax,
    make_policy,
    sigmoid,
)
from .presets import PRESETS, preset
from .returns import RETURNS, blame_window, compute_returns, discount, standardize, total_return
from .rollout import Episode, collect_episodes, run_episode
from .stats import (
    Estimate,
    SolveTime,
    bootstrap_ci,
    iqm,
    kaplan_meier,
    median_episodes_to_solve,
    probability_of_improvement,
    probability_of_improvement_ci,
)
from .sweep import SweepResult, expand_grid, load_sweep, sweep
from .train import Config, History, reinforce_gradient, seed_streams, train

__version__ = "0.1.0"

__all__ = [
    "BASELINES",
    "OPTIMIZERS",
    "PRESETS",
    "RETURNS",
    "SGD",
    "Adam",
    "Baseline",
    "BernoulliPolicy",
    "CategoricalPolicy",
    "Config",
    "Episode",
    "Estimate",
    "GaussianPolicy",
    "History",
    "MeanBaseline",
    "NoBaseline",
    "Optimizer",
    "Policy",
    "RMSProp",
    "SolveTime",
    "StandardizeBaseline",
    "SweepResult",
    "ValueBaseline",
    "__version__",
    "animate_cartpole",
    "blame_window",
    "bootstrap_ci",
    "cartpole_html",
    "collect_episodes",
    "compute_returns",
    "discount",
    "draw_cartpole",
    "expand_grid",
    "iqm",
    "kaplan_meier",
    "load_policy",
    "load_sweep",
    "log_sigmoid",
    "log_softmax",
    "make_baseline",
    "make_env",
    "make_optimizer",
    "make_policy",
    "make_vec_env",
    "median_episodes_to_solve",
    "numerical_gradient",
    "plot_fraction_solved",
    "plot_learning_curves",
    "plot_sweep",
    "preset",
    "probability_of_improvement",
    "probability_of_improvement_ci",
    "reinforce_gradient",
    "relative_error",
    "run_episode",
    "save_policy",
    "seed_streams",
    "sigmoid",
    "standardize",
    "sweep",
    "total_return",
    "train",
]
