"""Statistics: hand-computed cases, independent references, seeded determinism, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.stats import (
    Estimate,
    PValue,
    bootstrap_ci,
    compare,
    holm,
    holm_p,
    iqm,
    kaplan_meier,
    median,
    median_episodes_to_solve,
    probability_of_improvement,
    probability_of_improvement_ci,
    truncate_at_first_censoring,
    wilson,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- aggregates


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], 4.5),  # drop 2 each end: mean(3, 4, 5, 6)
        ([100, 1, 2, 3, 4], 3.0),  # drop 1 each end: mean(2, 3, 4), the outlier is gone
        ([7.0], 7.0),
        ([1, 3, 8], 4.0),  # fewer than 4 values: nothing to drop, the mean
        ([0, 0, 0, 10, 10, 10, 10, 1000], 7.5),  # mean(0, 10, 10, 10)
    ],
    ids=["8-values", "outlier", "one", "three", "skewed"],
)
def test_iqm_hand_computed(x: list[float], expected: float) -> None:
    assert iqm(x) == pytest.approx(expected)


def test_iqm_matches_a_sort_and_slice_reference_in_batches() -> None:
    x = rng(1).normal(size=(7, 13))  # (B, m)
    reference = [np.mean(sorted(row)[3:10]) for row in x]  # m // 4 = 3 dropped each end
    np.testing.assert_allclose(iqm(x), reference)
    np.testing.assert_allclose(iqm(x.T, axis=0), reference)
    assert iqm(x, axis=None) == pytest.approx(np.mean(np.sort(x.ravel())[22:-22]))


def test_median() -> None:
    assert median([3, 1, 2]) == 2.0
    assert median([4, 1, 2, 3]) == 2.5


def test_iqm_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        iqm(np.zeros(0))


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_of_identical_runs_has_no_width() -> None:
    est = bootstrap_ci(np.full(6, 3.5), "iqm", rng=rng(), n_boot=50)
    assert est == Estimate(3.5, 3.5, 3.5, 0.95)


def test_bootstrap_is_stratified_by_task() -> None:
    # Within each task the runs agree, so a resample *within* tasks always has mean 5;
    # pooling the runs and resampling across tasks would not.
    scores = np.array([[0.0, 10.0], [0.0, 10.0], [0.0, 10.0]])  # (runs, tasks)
    est = bootstrap_ci(scores, "mean", rng=rng(), n_boot=200)
    assert (est.value, est.low, est.high) == (5.0, 5.0, 5.0)


def test_bootstrap_two_runs_hand_computed() -> None:
    # Two runs, 0 and 1: a resample's mean is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4,
    # so the 95% interval is [0, 1] and the 40% interval (30th-70th percentile) is [1/2, 1/2].
    wide = bootstrap_ci([0.0, 1.0], "mean", rng=rng(), n_boot=4000)
    narrow = bootstrap_ci([0.0, 1.0], "mean", rng=rng(), n_boot=4000, confidence=0.4)
    assert (wide.value, wide.low, wide.high) == (0.5, 0.0, 1.0)
    assert (narrow.low, narrow.high) == (0.5, 0.5)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    x = rng(2).normal(10.0, 3.0, size=20)
    a = bootstrap_ci(x, "iqm", rng=rng(7))
    b = bootstrap_ci(x, "iqm", rng=rng(7))
    c = bootstrap_ci(x, "iqm", rng=rng(8))
    assert a == b and a != c
    assert a.low < a.value < a.high
    assert a.value == pytest.approx(iqm(x))
    med = bootstrap_ci(x, "median", rng=rng(7))
    assert med.value == pytest.approx(np.median(x))
    custom = bootstrap_ci(x, lambda s: s.max(axis=-1), rng=rng(7), n_boot=100)
    assert custom.value == x.max() and custom.high == x.max()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scores": [1.0, np.nan]}, ValueError, "scores must be finite"),
        ({"scores": []}, ValueError, r"scores must have shape"),
        ({"scores": [1.0], "confidence": 1.0}, ValueError, "confidence must be in"),
        ({"scores": [1.0], "n_boot": 0}, ValueError, "n_boot must be >= 1, got 0"),
        (
            {"scores": [1.0], "statistic": "mode"},
            ValueError,
            "statistic must be one of",
        ),
        (
            {"scores": [1.0], "rng": 0},
            TypeError,
            "rng must be a numpy.random.Generator",
        ),
    ],
    ids=["nan", "empty", "confidence", "n_boot", "statistic", "rng"],
)
def test_bootstrap_bad_input(kwargs: dict, error: type, match: str) -> None:
    kwargs = {"rng": rng()} | kwargs
    with pytest.raises(error, match=match):
        bootstrap_ci(**kwargs)


# ---------------------------------------------------------------- probability of improvement


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        ([3, 4], [1, 2], 1.0),
        ([1, 2], [3, 4], 0.0),
        ([1, 2, 3], [2, 2], 0.5),  # pairs: <,<,=,=,>,> → (0+0+½+½+1+1)/6
        ([1], [1], 0.5),
        ([2, 5], [1, 3, 6], 3 / 6),  # 2>1; 5>1, 5>3 → 3 wins of 6
        (
            [[1, 0], [2, 0]],
            [[0, 1], [0, 1]],
            0.5,
        ),  # task 1: always better, task 2: never
    ],
    ids=["better", "worse", "ties", "equal", "uneven", "two-tasks"],
)
def test_probability_of_improvement_hand_computed(x, y, expected: float) -> None:
    assert probability_of_improvement(x, y) == pytest.approx(expected)


def test_probability_of_improvement_lower_is_better_flips() -> None:
    x, y = [10, 20, 30], [15, 25, 35]
    p = probability_of_improvement(x, y)
    assert probability_of_improvement(x, y, higher_is_better=False) == pytest.approx(
        1 - p
    )


def test_probability_of_improvement_ci() -> None:
    x = rng(3).normal(1.0, 1.0, size=10)
    y = rng(4).normal(0.0, 1.0, size=12)
    est = probability_of_improvement_ci(x, y, rng=rng(5), n_boot=500)
    assert est.value == probability_of_improvement(x, y)
    assert 0.0 <= est.low <= est.value <= est.high <= 1.0
    assert est == probability_of_improvement_ci(x, y, rng=rng(5), n_boot=500)
    same = probability_of_improvement_ci(
        [1.0, 1.0], [1.0, 1.0, 1.0], rng=rng(), n_boot=50
    )
    assert (same.value, same.low, same.high) == (0.5, 0.5, 0.5)


def test_probability_of_improvement_ci_does_not_depend_on_memory_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reinforce.stats

    x, y = rng(3).normal(size=(10, 2)), rng(4).normal(size=(12, 2))
    whole = probability_of_improvement_ci(x, y, rng=rng(5), n_boot=301)
    monkeypatch.setattr(
        reinforce.stats, "_MAX_PAIRS", 10 * 12 * 2 * 7
    )  # chunks of 7 resamples
    assert probability_of_improvement_ci(x, y, rng=rng(5), n_boot=301) == whole


def test_probability_of_improvement_needs_matching_tasks() -> None:
    with pytest.raises(ValueError, match="same number of tasks, got 2 and 3"):
        probability_of_improvement(np.zeros((4, 2)), np.zeros((4, 3)))


# ---------------------------------------------------------------- censored episodes-to-solve


def naive_kaplan_meier(
    t: np.ndarray, solved: np.ndarray
) -> tuple[list[float], list[float]]:
    """The product-limit estimator, one event time at a time (an independent reference)."""
    times, fractions, surv = [], [], 1.0
    for tj in sorted(set(t[solved].tolist())):
        at_risk = np.sum(t >= tj)
        events = np.sum((t == tj) & solved)
        surv *= 1 - events / at_risk
        times.append(tj)
        fractions.append(1 - surv)
    return times, fractions


def test_kaplan_meier_hand_computed() -> None:
    # Solved at 10 and 20; one run stopped unsolved at 30; one solved at 40.
    # F(10) = 1/4; F(20) = 1 - 3/4·2/3 = 1/2; the censored run leaves; F(40) = 1 - 1/2·0 = 1.
    t, F = kaplan_meier([10, 20, None, 40], [10, 20, 30, 40])
    np.testing.assert_array_equal(t, [10, 20, 40])
    np.testing.assert_allclose(F, [0.25, 0.5, 1.0])


def test_kaplan_meier_without_censoring_is_the_fraction_solved() -> None:
    t, F = kaplan_meier(
        [5, 5, 9, np.nan, np.nan], [5, 5, 9, 20, 20]
    )  # unsolved at the horizon
    np.testing.assert_array_equal(t, [5, 9])
    np.testing.assert_allclose(F, [2 / 5, 3 / 5])


def test_kaplan_meier_nothing_solved() -> None:
    t, F = kaplan_meier([None, None], [100, 100])
    assert t.size == 0 and F.size == 0


def test_kaplan_meier_matches_the_naive_reference() -> None:
    g = rng(6)
    episodes = g.integers(20, 60, size=40)
    solve = g.integers(1, 80, size=40)
    solved = solve <= episodes
    solved_at = np.where(solved, solve, np.nan)
    t, F = kaplan_meier(solved_at, episodes)
    ref_t, ref_F = naive_kaplan_meier(
        np.where(solved, solve, episodes).astype(float), solved
    )
    np.testing.assert_array_equal(t, ref_t)
    np.testing.assert_allclose(F, ref_F)


@pytest.mark.parametrize(
    ("solved_at", "episodes", "expected"),
    [
        ([10, 20, None, 40], [10, 20, 30, 40], 20.0),  # F reaches ½ at 20
        ([10, 20, 30], [10, 20, 30], 20.0),
        ([10, 20, 30, 40], [10, 20, 30, 40], 20.0),  # KM: first t with F ≥ ½, not 25
        ([50, None, None, 30], [50, 60, 60, 30], 50.0),
    ],
    ids=["censored-run", "odd", "even", "half-solved"],
)
def test_median_episodes_to_solve_hand_computed(
    solved_at, episodes, expected: float
) -> None:
    st = median_episodes_to_solve(solved_at, episodes)
    assert st.median == expected and not st.censored
    assert np.isnan(st.low) and np.isnan(st.high)


def test_median_is_censored_when_most_runs_never_solve() -> None:
    st = median_episodes_to_solve([10, None, None, None], [10, 50, 50, 50])
    assert st.censored and st.median == np.inf
    assert (st.horizon, st.n_solved, st.n_runs) == (50, 1, 4)
    assert str(st) == ">50 (1/4 solved)"


def test_median_episodes_to_solve_bootstrap_ci() -> None:
    st = median_episodes_to_solve(
        [10, 20, None, 40], [10, 20, 30, 40], rng=rng(), n_boot=1000
    )
    assert (
        st.low == 10.0 and st.high == np.inf
    )  # some resamples are mostly the censored run
    assert str(st) == "20 [10, >40] (3/4 solved)"
    all_solved = median_episodes_to_solve([7, 7, 7], [9, 9, 9], rng=rng(), n_boot=100)
    assert (all_solved.median, all_solved.low, all_solved.high) == (7.0, 7.0, 7.0)


def test_median_episodes_to_solve_matches_the_naive_reference() -> None:
    g = rng(9)
    for _ in range(20):
        n = int(g.integers(1, 12))
        episodes = g.integers(5, 30, size=n)
        solve = g.integers(1, 40, size=n)
        solved = solve <= episodes
        ref_t, ref_F = naive_kaplan_meier(
            np.where(solved, solve, episodes).astype(float), solved
        )
        reached = [tj for tj, f in zip(ref_t, ref_F, strict=True) if f >= 0.5 - 1e-12]
        expected = reached[0] if reached else np.inf
        got = median_episodes_to_solve(np.where(solved, solve, np.nan), episodes).median
        assert got == expected


@pytest.mark.parametrize(
    ("solved_at", "episodes", "match"),
    [
        ([1, 2], [3], "same length"),
        ([], [], "non-empty"),
        ([5], [3], r"solved_at must lie in \[1, episodes\]"),
        ([0], [3], r"solved_at must lie in \[1, episodes\]"),
        ([None], [0], "episodes must be finite and >= 1"),
    ],
    ids=["lengths", "empty", "after-end", "zero", "no-episodes"],
)
def test_solve_data_bad_input(solved_at, episodes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        kaplan_meier(solved_at, episodes)


# ---------------------------------------------------------------- small, separated samples


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Table II, the score method
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
    ids=["81-of-263", "15-of-148", "0-of-20", "1-of-29"],
)
def test_wilson_matches_newcombe_1998(k: int, n: int, low: float, high: float) -> None:
    est = wilson(k, n)
    assert est.value == pytest.approx(k / n)
    assert est.low == pytest.approx(low, abs=1e-4)
    assert est.high == pytest.approx(high, abs=1e-4)


def test_wilson_at_the_ends_has_width_and_exact_bounds() -> None:
    z2 = 1.959963984540054**2
    none, every = wilson(0, 20), wilson(20, 20)
    assert none.low == 0.0 and none.high == pytest.approx(
        z2 / (20 + z2)
    )  # hand: z²/(n+z²)
    assert every.high == 1.0 and every.low == pytest.approx(20 / (20 + z2))
    with pytest.raises(ValueError, match="successes must be <= n = 3, got 4"):
        wilson(4, 3)
    with pytest.raises(ValueError, match="n must be >= 1"):
        wilson(0, 0)


def test_holm_hand_computed() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> monotone
    np.testing.assert_allclose(
        holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]
    )
    np.testing.assert_allclose(holm([0.5, 0.9]), [1.0, 1.0])  # capped at 1
    assert holm([0.02])[0] == 0.02  # one test: unchanged
    with pytest.raises(ValueError, match="p_values"):
        holm([0.1, 1.5])


def test_compare_does_not_collapse_under_complete_separation() -> None:
    fast, slow = (
        np.arange(6.0),
        np.arange(6.0) + 100,
    )  # every fast run beats every slow one
    c = compare(fast, slow, rng=rng(), higher_is_better=False)
    assert c.p_better.value == 1.0
    assert 0.5 < c.p_better.low < 0.9 and c.p_better.high == 1.0  # wide, not a point
    assert c.exact and c.p_value == pytest.approx(2 / 924)  # 2 of C(12, 6) relabellings
    # the percentile bootstrap, by contrast, is the point 1 (1 to 1)
    boot = probability_of_improvement_ci(fast, slow, rng=rng(), higher_is_better=False)
    assert boot.low == boot.high == 1.0


def test_newcombe_interval_solves_its_defining_equation() -> None:
    x = np.array([3.0, 5, 7, 9, 11, 12, 14])
    y = np.array([1.0, 2, 4, 6, 8])
    c = compare(x, y, rng=rng())
    theta = c.p_better.value
    assert theta == pytest.approx(29 / 35)  # pairs x > y: 2 + 3 + 4 + 5 + 5 + 5 + 5
    z, n, m = 1.959963984540054, 7, 5
    half_n = (n + m) / 2

    def excess(t: float) -> float:
        v = (
            t
            * (1 - t)
            * (1 + (half_n - 1) * ((1 - t) / (2 - t) + t / (1 + t)))
            / (n * m)
        )
        return (theta - t) ** 2 - z * z * v

    grid = np.linspace(0, 1, 200_001)
    inside = grid[np.array([excess(t) for t in grid]) <= 0]  # independent: a fine grid
    assert c.p_better.low == pytest.approx(inside.min(), abs=1e-5)
    assert c.p_better.high == pytest.approx(inside.max(), abs=1e-5)


def test_compare_exact_p_value_counts_relabellings_by_hand() -> None:
    # x = {1, 2}, y = {3, 4}: U = 0; of the C(4, 2) = 6 relabellings, U = 0 and U = 4 are
    # as extreme (|U - 2| = 2), so p = 2/6
    c = compare([1.0, 2.0], [3.0, 4.0], rng=rng())
    assert c.exact and c.p_value == pytest.approx(2 / 6)
    ties = compare([1.0, 1.0], [1.0, 1.0], rng=rng())  # nothing to tell apart
    assert ties.p_better.value == 0.5 and ties.p_value == 1.0


def test_compare_sampled_p_value_agrees_with_enumeration() -> None:
    from itertools import combinations

    g = rng(3)
    x, y = g.normal(0.8, 1, 9), g.normal(0, 1, 9)  # C(18, 9) = 48620: sampled
    c = compare(x, y, rng=rng(4), n_permutations=20_000)
    assert not c.exact
    pooled = np.concatenate([x, y])
    ranks = np.argsort(np.argsort(pooled)) + 1.0  # no ties in continuous draws
    u_obs = abs(ranks[:9].sum() - 45 - 40.5)
    us = np.array([ranks[list(s)].sum() - 45 for s in combinations(range(18), 9)])
    exact_p = np.mean(np.abs(us - 40.5) >= u_obs - 1e-9)
    assert c.p_value == pytest.approx(exact_p, abs=0.01)


def test_compare_is_seeded_and_checks_its_input() -> None:
    x, y = rng(5).normal(size=12), rng(6).normal(size=12)
    assert compare(x, y, rng=rng(1)) == compare(x, y, rng=rng(1))
    with pytest.raises(ValueError, match="one task"):
        compare(np.zeros((3, 2)), np.zeros((3, 2)), rng=rng())
    with pytest.raises(ValueError, match="x must be finite"):
        compare([np.nan, 1.0], [1.0], rng=rng())


def test_compare_covers_the_truth_about_as_often_as_it_says() -> None:
    g = rng(11)
    truth = 0.76  # P(N(1, 1) > N(0, 1)) = Φ(1/√2)
    hits = 0
    for _ in range(300):
        c = compare(g.normal(1, 1, 20), g.normal(0, 1, 20), rng=g, n_permutations=1)
        hits += c.p_better.low <= truth <= c.p_better.high
    assert 0.90 <= hits / 300 <= 0.99


# ---------------------------------------------------------------- p-values at the floor


@pytest.mark.parametrize(
    ("value", "bound", "table", "sentence"),
    [
        (0.0036, False, "0.0036", "= 0.0036"),
        (0.04567, False, "0.046", "= 0.046"),  # to the nearest
        (1.0, False, "1", "= 1"),
        (1 / 20_001, True, "≤ 0.00005", "≤ 0.00005"),  # 4.99975e-05, no exponent
        (3 / 20_001, True, "≤ 0.00015", "≤ 0.00015"),  # 1.49993e-04 rounded *up*
        (0.1231, True, "≤ 0.13", "≤ 0.13"),  # a bound is never rounded down
    ],
    ids=["value", "nearest", "one", "floor", "holm-of-floor", "up"],
)
def test_p_value_prints_a_bound_as_a_bound(
    value: float, bound: bool, table: str, sentence: str
) -> None:
    p = PValue(value, bound)
    assert p.format() == str(p) == table
    assert p.format(relation=True) == sentence
    if bound:  # the printed bound holds
        assert float(table.removeprefix("≤ ")) >= value
    with pytest.raises(ValueError, match="digits"):
        p.format(0)


def test_p_value_checks_its_range() -> None:
    with pytest.raises(ValueError, match="value must lie in"):
        PValue(1.5, False)


def test_compare_reports_a_sampled_p_value_at_its_floor_as_a_bound() -> None:
    # 20 vs 20 fully separated: C(40, 20) relabellings, so they are sampled, and none
    # of 20,000 is as extreme as the observed one: p = 1/20001, the test's resolution
    fast, slow = np.arange(20.0), np.arange(20.0) + 100
    c = compare(fast, slow, rng=rng(), higher_is_better=False)
    assert not c.exact and c.p_value == c.p_floor == pytest.approx(1 / 20_001)
    assert c.p == PValue(1 / 20_001, True) and str(c.p) == "≤ 0.00005"
    assert "p ≤ 0.00005" in str(c)
    # one sampled relabelling fewer than the observed: a value, not a bound
    g = rng(3)
    near = compare(g.normal(0.8, 1, 9), g.normal(0, 1, 9), rng=rng(4))
    assert not near.exact and near.p_value > near.p_floor and not near.p.bound


def test_compare_exact_p_value_at_its_floor_is_exact_not_a_bound() -> None:
    c = compare(np.arange(6.0), np.arange(6.0) + 100, rng=rng())
    assert c.exact and c.p_floor == pytest.approx(2 / 924) == c.p_value
    assert not c.p.bound  # every relabelling was counted: 2/924 is the p-value
    ties = compare([1.0, 1.0], [1.0, 1.0], rng=rng())
    assert ties.p_floor == 1.0 and not ties.p.bound


def test_holm_p_keeps_bounds_and_matches_holm() -> None:
    f = 1 / 20_001
    ps = [PValue(f, True), PValue(0.01, False), PValue(f, True), PValue(0.3, False)]
    adjusted = holm_p(ps)
    np.testing.assert_allclose([p.value for p in adjusted], holm([p.value for p in ps]))
    # 4f and 4f (bounds: Holm of a bound is a bound), 2 x 0.01, capped 0.3
    assert [p.bound for p in adjusted] == [True, False, True, False]
    assert adjusted[0].format() == "≤ 0.0002"
    # a value whose Holm adjustment is carried by a bound's larger term is a bound too:
    # sorted f (x 3) and 1.1f (x 2): the running maximum 3f comes from the bound
    carried = holm_p([PValue(f, True), PValue(1.1 * f, False), PValue(0.5, False)])
    assert carried[1].value == pytest.approx(3 * f) and carried[1].bound
    assert not holm_p([PValue(1.0, True)])[0].bound  # p = 1 is no bound
    with pytest.raises(ValueError, match="PValue"):
        holm_p([0.01, 0.02])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="PValue"):
        holm_p([])


def test_truncate_at_first_censoring_hand_computed() -> None:
    # steps used: solved at 1000, 3000, 8000; one unsolved run stopped at 2000
    solved_at, used = truncate_at_first_censoring(
        [1000, 3000, None, 8000], [1000, 3000, 2000, 8000]
    )
    np.testing.assert_array_equal(solved_at, [1000, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(used, [1000, 2000, 2000, 2000])
    times, F = kaplan_meier(solved_at, used)
    np.testing.assert_array_equal(times, [1000])
    np.testing.assert_allclose(F, [0.25])  # 1 of all 4 runs by step 2000
    # untruncated, Kaplan-Meier would claim every run solved by 8000
    assert kaplan_meier([1000, 3000, None, 8000], [1000, 3000, 2000, 8000])[1][-1] == 1
    st = median_episodes_to_solve(solved_at, used)
    assert st.censored and st.format() == ">2000"
    # nothing unsolved: nothing changes
    a, u = truncate_at_first_censoring([5, 7], [5, 7])
    np.testing.assert_array_equal(a, [5, 7])
    np.testing.assert_array_equal(u, [5, 7])
    with pytest.raises(ValueError, match="same length"):
        truncate_at_first_censoring([1, 2], [1])
