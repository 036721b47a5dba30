"""Plotting helpers: they draw what they say (checked on the artists), with no warnings."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from reinforce import Config, train
from reinforce.plotting import (
    plot_fraction_solved,
    plot_learning_curve,
    plot_learning_curves,
    plot_sweep,
)
from reinforce.stats import wilson
from reinforce.sweep import SweepResult, sweep


def axes():
    return Figure().add_subplot()


def make_result(rows: list[dict], params: tuple[str, ...] = ("gamma",)) -> SweepResult:
    """A hand-made sweep result: rows need params, seed, solved_at, episodes, final mean."""
    points = list(
        {tuple(r[p] for p in params): {p: r[p] for p in params} for r in rows}.values()
    )
    result = SweepResult(
        params=params, points=points, seeds=sorted({r["seed"] for r in rows})
    )
    for i, r in enumerate(rows):
        rid = f"run{i}"
        result.rows.append(
            {"env_steps": 0, "wall_seconds": 0.0, "error": None, "run_id": rid, **r}
        )
        result.returns[rid] = np.asarray(
            r.pop("returns", np.ones(r["episodes"])), dtype=float
        )
        result.configs[rid] = Config(seed=r["seed"], solved_threshold=50.0)
    return result


def test_plot_learning_curve_of_one_run() -> None:
    history = train(Config(max_episodes=12, hidden=8))
    ax = plot_learning_curve(history, axes())
    assert len(ax.lines[0].get_xdata()) == 12
    np.testing.assert_allclose(ax.lines[1].get_ydata(), history.rolling_mean())


def test_learning_curves_median_and_quartile_band() -> None:
    curves = {
        "a": [
            np.array([1.0, 1.0, 1.0]),
            np.array([3.0, 3.0, 3.0]),
            np.array([5.0, 5.0]),
        ]
    }  # the third run stopped early
    ax = plot_learning_curves(curves, axes(), window=1, threshold=4.0)
    median_line = ax.lines[0]
    # the stopped run is held at 5: the last point is still the median of all three runs
    np.testing.assert_allclose(median_line.get_ydata(), [3.0, 3.0, 3.0])
    assert median_line.get_label() == "a (3 seeds)"
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(2.0) and band[:, 1].max() == pytest.approx(
        4.0
    )
    assert ax.lines[1].get_ydata()[0] == 4.0  # the threshold


def test_learning_curves_never_summarise_only_the_survivors() -> None:
    # two good runs solve and stop early; the survivors' median would fall to the bad run
    curves = {
        "a": [
            np.array([9.0, 9.0]),
            np.array([8.0, 8.0]),
            np.array([1.0, 1.0, 1.0, 1.0]),
        ]
    }
    held = plot_learning_curves(curves, axes(), window=1).lines[0]
    np.testing.assert_allclose(held.get_ydata(), [8.0, 8.0, 8.0, 8.0])
    stopped = plot_learning_curves(curves, axes(), window=1, after_end="stop").lines[0]
    np.testing.assert_allclose(
        stopped.get_xdata(), [1, 2]
    )  # ends with the shortest run
    np.testing.assert_allclose(stopped.get_ydata(), [8.0, 8.0])
    with pytest.raises(ValueError, match="after_end must be one of"):
        plot_learning_curves(curves, axes(), after_end="survivors")


def test_legends_sit_outside_the_axes() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.add_subplot()
    plot_learning_curves({"a": [np.arange(5.0)]}, ax, window=1, threshold=3.0)
    legend_box = ax.get_legend().get_window_extent(renderer)
    axes_box = ax.get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1  # to the right of the plotting area


def test_learning_curves_from_a_sweep() -> None:
    result = sweep(
        Config(max_episodes=15, hidden=8),
        {"gamma": [0.9, 0.99]},
        2,
        n_jobs=1,
        progress=False,
    )
    ax = plot_learning_curves(result, axes(), window=5)
    labels = [line.get_label() for line in ax.lines]
    assert labels == [
        "gamma=0.9 (2 seeds)",
        "gamma=0.99 (2 seeds)",
        "solved threshold (475)",
    ]
    with pytest.raises(ValueError, match="window must be >= 1, got 0"):
        plot_learning_curves(result, axes(), window=0)


def test_plot_sweep_numeric_parameter() -> None:
    rows = [
        {
            "gamma": g,
            "seed": s,
            "solved_at": None,
            "episodes": 3,
            "final_rolling_mean": v,
        }
        for g, vals in ((0.9, [1, 2, 3]), (0.99, [5, 5, 5]))
        for s, v in enumerate(vals)
    ]
    ax = plot_sweep(
        make_result(rows), "gamma", rng=np.random.default_rng(0), ax=axes(), n_boot=200
    )
    line = next(ln for ln in ax.lines if ln.get_linestyle() == "-")
    np.testing.assert_allclose(line.get_xdata(), [0.9, 0.99])
    np.testing.assert_allclose(
        line.get_ydata(), [2.0, 5.0]
    )  # IQM of 3 values is their mean
    assert ax.get_xlabel() == "gamma"
    with pytest.raises(ValueError, match="param must be one of the grid parameters"):
        plot_sweep(make_result(rows), "lr", rng=np.random.default_rng(0))


def test_plot_sweep_categorical_parameter_one_line_per_other_setting() -> None:
    rows = [
        {
            "baseline": b,
            "lr": lr,
            "seed": 0,
            "solved_at": None,
            "episodes": 3,
            "final_rolling_mean": 1.0 + i,
        }
        for i, (b, lr) in enumerate(
            [
                ("none", 1e-3),
                ("none", 3e-3),
                ("standardize", 1e-3),
                ("standardize", 3e-3),
            ]
        )
    ]
    result = make_result(rows, params=("baseline", "lr"))
    ax = plot_sweep(
        result, "baseline", rng=np.random.default_rng(0), ax=axes(), n_boot=10
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "standardize"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "lr=0.001",
        "lr=0.003",
    ]


def test_fraction_solved_is_the_kaplan_meier_step() -> None:
    rows = [
        {
            "gamma": 0.9,
            "seed": s,
            "solved_at": a,
            "episodes": e,
            "final_rolling_mean": 0.0,
        }
        for s, (a, e) in enumerate([(10, 10), (20, 20), (None, 30), (40, 40)])
    ]
    ax = plot_fraction_solved(make_result(rows), axes())
    step = ax.lines[0]
    np.testing.assert_array_equal(step.get_xdata(), [0, 10, 20, 40, 40])
    np.testing.assert_allclose(step.get_ydata(), [0.0, 0.25, 0.5, 1.0, 1.0])
    assert step.get_label() == "gamma=0.9 (3/4 solved)"


def test_fraction_solved_against_env_steps_with_a_wilson_band() -> None:
    rows = [
        {"solved_at": a, "episodes": e, "env_steps": st}
        for a, e, st in [
            (10, 10, 1000),
            (20, 20, 3000),
            (None, 40, 9000),
            (40, 40, 8000),
        ]
    ]
    ax = plot_fraction_solved({"g": rows}, axes(), x="env_steps")
    step = ax.lines[0]
    np.testing.assert_array_equal(step.get_xdata(), [0, 1000, 3000, 8000, 9000])
    np.testing.assert_allclose(step.get_ydata(), [0.0, 0.25, 0.5, 0.75, 0.75])
    assert ax.get_xlabel() == "environment step"
    band = (
        ax.collections[0].get_paths()[0].vertices
    )  # every unsolved run ran to the end
    assert band[:, 1].max() == pytest.approx(wilson(3, 4).high)
    assert band[:, 1].min() == pytest.approx(0.0)
    bad = [{"solved_at": 5, "episodes": 9, "env_steps": 900}]  # ran on after solving
    with pytest.raises(ValueError, match="stop_when_solved"):
        plot_fraction_solved({"g": bad}, axes(), x="env_steps")
    with pytest.raises(ValueError, match="x must be one of"):
        plot_fraction_solved({"g": rows}, axes(), x="seconds")


def test_fraction_solved_in_env_steps_stops_where_the_first_unsolved_run_stopped() -> (
    None
):
    # the unsolved run played short episodes and stopped at 2,000 steps: beyond that,
    # Kaplan-Meier would count only the runs that went on (the good ones) and reach 1
    rows = [
        {"solved_at": a, "episodes": e, "env_steps": st}
        for a, e, st in [
            (10, 10, 1000),
            (20, 20, 3000),
            (None, 40, 2000),
            (40, 40, 8000),
        ]
    ]
    ax = plot_fraction_solved({"g": rows}, axes(), x="env_steps")
    step = ax.lines[0]
    np.testing.assert_array_equal(step.get_xdata(), [0, 1000, 2000])
    np.testing.assert_allclose(step.get_ydata(), [0.0, 0.25, 0.25])  # 1 of all 4
    assert step.get_label() == "g (3/4 solved)"
    assert ax.xaxis.get_major_formatter()(2000, 0) == "2k"  # short tick labels
    band = ax.collections[0].get_paths()[0].vertices  # a plain proportion up to there
    assert band[:, 1].max() == pytest.approx(wilson(1, 4).high)


def test_fraction_solved_when_nothing_solved() -> None:
    rows = [
        {
            "gamma": 0.9,
            "seed": s,
            "solved_at": None,
            "episodes": 30,
            "final_rolling_mean": 0.0,
        }
        for s in range(3)
    ]
    step = plot_fraction_solved(make_result(rows), axes()).lines[0]
    np.testing.assert_array_equal(step.get_xdata(), [0, 30])
    np.testing.assert_array_equal(step.get_ydata(), [0.0, 0.0])


def test_learning_curves_of_a_sweep_with_failed_runs() -> None:
    result = sweep(
        Config(max_episodes=10, hidden=8, solved_window=5),
        {"env_id": ["CartPole-v1", "NoSuchEnv-v0"]},
        2,
        n_jobs=1,
        progress=False,
    )
    ax = plot_learning_curves(result, axes())
    assert [line.get_label() for line in ax.lines] == [
        "env_id=CartPole-v1 (2 seeds)",
        "solved threshold (475)",
    ]
    assert ax.get_ylabel() == "5-episode mean return"  # the runs' solved window
