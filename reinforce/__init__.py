"""REINFORCE from scratch: policy gradients written by hand in NumPy."""

# first: light mode, and the Pyodide guard that lets Gymnasium import in a browser
from . import lite  # noqa: F401
from .animation import (
    CARTPOLE,
    INVERTED_PENDULUM,
    CartPoleGeometry,
    animate_cartpole,
    cartpole_html,
    draw_cartpole,
)
from .baselines import (
    BASELINES,
    Baseline,
    MeanBaseline,
    NoBaseline,
    StandardizeBaseline,
    ValueBaseline,
    make_baseline,
    standardize,
)
from .checkpoint import load_policy, save_policy
from .config import Config
from .credit import CREDITS, assign_credit, blame_window, reward_to_go, total_return
from .dqn import DQNConfig, DQNHistory, QNetwork, ReplayBuffer, train_dqn
from .envs import make_env, make_vec_env
from .exercises import check
from .gradcheck import numerical_gradient, relative_error
from .history import History, RunHistory, trailing_mean
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
from .population import train_population
from .presets import PRESETS, preset
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
from .tabular import (
    TabularEpisodes,
    TabularMDP,
    TabularSoftmaxPolicy,
    chain_mdp,
    discounted_visitation,
    objective,
    one_hot,
    policy_evaluation,
    policy_gradient,
    random_mdp,
    reinforce_estimates,
    sample_episodes,
    softmax_policy,
)
from .train import entropy_gradient, reinforce_gradient, seed_streams, train
from .variance import (
    FixedBaseline,
    GradientStats,
    fit_value_baseline,
    flatten,
    gradient_samples,
    gradient_stats,
    variance_ratio,
)

__version__ = "0.1.0"

__all__ = [
    "BASELINES",
    "CARTPOLE",
    "CREDITS",
    "INVERTED_PENDULUM",
    "OPTIMIZERS",
    "PRESETS",
    "SGD",
    "Adam",
    "Baseline",
    "BernoulliPolicy",
    "CartPoleGeometry",
    "CategoricalPolicy",
    "Config",
    "DQNConfig",
    "DQNHistory",
    "Episode",
    "Estimate",
    "FixedBaseline",
    "GaussianPolicy",
    "GradientStats",
    "History",
    "MeanBaseline",
    "NoBaseline",
    "Optimizer",
    "Policy",
    "QNetwork",
    "RMSProp",
    "ReplayBuffer",
    "RunHistory",
    "SolveTime",
    "StandardizeBaseline",
    "SweepResult",
    "TabularEpisodes",
    "TabularMDP",
    "TabularSoftmaxPolicy",
    "ValueBaseline",
    "__version__",
    "animate_cartpole",
    "assign_credit",
    "blame_window",
    "bootstrap_ci",
    "cartpole_html",
    "chain_mdp",
    "check",
    "collect_episodes",
    "discounted_visitation",
    "draw_cartpole",
    "entropy_gradient",
    "expand_grid",
    "fit_value_baseline",
    "flatten",
    "gradient_samples",
    "gradient_stats",
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
    "objective",
    "one_hot",
    "plot_fraction_solved",
    "plot_learning_curves",
    "plot_sweep",
    "policy_evaluation",
    "policy_gradient",
    "preset",
    "probability_of_improvement",
    "probability_of_improvement_ci",
    "random_mdp",
    "reinforce_estimates",
    "reinforce_gradient",
    "relative_error",
    "reward_to_go",
    "run_episode",
    "sample_episodes",
    "save_policy",
    "seed_streams",
    "sigmoid",
    "softmax_policy",
    "standardize",
    "sweep",
    "total_return",
    "trailing_mean",
    "train",
    "train_dqn",
    "train_population",
    "variance_ratio",
]
