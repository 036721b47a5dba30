"""Populations: a member's run depends only on its own config; the algorithm per member
is train's (exact batches, independent updates, members drop out on their own)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from joblib import Parallel, delayed

from reinforce import (
    Config,
    History,
    preset,
    probability_of_improvement_ci,
    train,
    train_population,
)
from reinforce.population import (
    PER_MEMBER,
    MemberStreams,
    check_population,
    plan_populations,
    structure_key,
)


def _assert_same_run(a: History, b: History) -> None:
    """Bit-identical histories: every episode, the counters and the final weights."""
    assert a.lengths == b.lengths
    assert a.returns == b.returns
    assert (a.env_steps, a.updates, a.solved_at, a.threshold) == (
        b.env_steps,
        b.updates,
        b.solved_at,
        b.threshold,
    )
    assert a.policy is not None and b.policy is not None
    for name, value in a.policy.params.items():
        np.testing.assert_array_equal(b.policy.params[name], value, err_msg=name)
    assert a.optimizer is not None and b.optimizer is not None
    assert a.optimizer.steps == b.optimizer.steps == a.updates


def test_seed_3_is_bit_identical_alone_in_5_and_in_20() -> None:
    """The fast preset (16 sub-environments per member, one CartPole vector env), with
    neighbours that differ in seed and in every kind of elementwise hyperparameter."""
    base = preset("fast", max_episodes=96)
    me = base.replace(seed=3)
    (alone,) = train_population([me])
    others = [
        base.replace(
            seed=10 + i,
            lr=0.02 + 0.01 * i,
            gamma=0.95 + 0.01 * i,
            beta1=0.8,
            beta2=0.99,
            eps=1e-6,
        )
        for i in range(4)
    ]
    five = train_population([*others[:2], me, *others[2:]])
    twenty = train_population([base.replace(seed=20 + i) for i in range(19)] + [me])
    assert alone.episodes == 96 and alone.updates == 6
    _assert_same_run(alone, five[2])
    _assert_same_run(alone, twenty[19])
    assert five[0].lengths != alone.lengths  # the neighbours did run their own course


POPULATION_CASES = {
    "categorical (Acrobot)": Config(
        env_id="Acrobot-v1",
        hidden=16,
        batch_size=2,
        num_envs=2,
        max_episodes=4,
        optimizer="adam",
        lr=0.01,
    ),
    "value baseline, sgd": Config(
        baseline="value", optimizer="sgd", lr=0.01, batch_size=3, max_episodes=9
    ),
    "episode returns, mean baseline": Config(
        credit="total_return",
        baseline="mean",
        num_envs=4,
        batch_size=4,
        max_episodes=12,
    ),
    "blame window, batch standardisation": Config(
        credit="blame_window",
        blame_window=5,
        baseline="standardize_batch",
        batch_size=2,
        max_episodes=6,
    ),
    "none baseline, step cap (env list)": Config(
        baseline="none", max_steps=30, num_envs=3, batch_size=4, max_episodes=10
    ),
}


@pytest.mark.parametrize("case", POPULATION_CASES)
def test_members_are_independent_of_their_neighbours(case: str) -> None:
    base = POPULATION_CASES[case]
    me = base.replace(seed=7)
    (alone,) = train_population([me])
    varied = [
        base.replace(
            seed=1,
            lr=base.lr * 3,
            gamma=0.9,
            value_l2=0.1,
            blame_window=3,
            decay_rate=0.9,
        ),
        base.replace(seed=2, max_episodes=base.max_episodes * 2),
    ]
    crowd = train_population([varied[0], me, varied[1]])
    _assert_same_run(alone, crowd[1])
    assert crowd[2].episodes == base.max_episodes * 2


def test_gaussian_policy_population() -> None:
    pytest.importorskip("mujoco")
    base = preset("inverted-pendulum", max_episodes=8)
    (alone,) = train_population([base.replace(seed=5)])
    crowd = train_population([base.replace(seed=4, lr=0.01), base.replace(seed=5)])
    _assert_same_run(alone, crowd[1])
    assert alone.policy is not None and alone.policy.kind == "gaussian"


def test_every_update_uses_exactly_one_batch_and_the_last_partial_batch_none() -> None:
    configs = [
        Config(seed=s, batch_size=4, num_envs=3, max_episodes=10 + s) for s in range(3)
    ]
    for config, h in zip(configs, train_population(configs), strict=True):
        assert h.episodes == config.max_episodes
        assert h.updates == config.max_episodes // config.batch_size  # 2 full batches
        assert h.env_steps == sum(h.lengths)
        assert all(1 <= n <= 500 for n in h.lengths)
        assert h.optimizer is not None and h.optimizer.steps == h.updates
        assert h.policy is not None and h.policy.members is None


def test_members_that_solve_drop_out_while_the_others_go_on() -> None:
    """A threshold of 20 is reached quickly; a member without stop_when_solved and one
    with a higher threshold keep training up to their own max_episodes."""
    easy = Config(
        seed=0,
        solved_threshold=20.0,
        solved_window=5,
        stop_when_solved=True,
        max_episodes=200,
    )
    configs = [
        easy,
        easy.replace(stop_when_solved=False, max_episodes=40),
        easy.replace(seed=1, solved_threshold=1e9, max_episodes=30),
    ]
    stopped, kept_on, unsolved = train_population(configs)
    assert stopped.solved_at is not None and stopped.episodes == stopped.solved_at
    assert stopped.episodes < 40
    assert kept_on.solved_at == stopped.solved_at and kept_on.episodes == 40
    assert unsolved.solved_at is None and unsolved.episodes == 30
    assert stopped.threshold == 20.0 and unsolved.threshold == 1e9


def test_the_default_threshold_is_the_environments() -> None:
    (h,) = train_population([Config(max_episodes=1)])
    assert h.threshold == 475.0 and h.updates == 0


def test_structural_fields_must_agree() -> None:
    base = Config()
    for field, value in [
        ("batch_size", 7),
        ("hidden", 8),
        ("env_id", "CartPole-v0"),
        ("optimizer", "adam"),
        ("baseline", "value"),
        ("num_envs", 2),
        ("credit", "total_return"),
        ("max_steps", 100),
    ]:
        with pytest.raises(ValueError, match=f"structural field '{field}'"):
            train_population([base, base.replace(**{field: value})])
    with pytest.raises(ValueError, match="at least one"):
        train_population([])
    with pytest.raises(TypeError, match=r"configs\[1\] must be a Config"):
        train_population([base, {"seed": 1}])  # type: ignore[list-item]


def test_per_member_fields_do_not_split_populations() -> None:
    base = Config()
    changed = base.replace(
        seed=9,
        lr=0.5,
        gamma=0.5,
        decay_rate=0.5,
        eps=0.5,
        beta1=0.5,
        beta2=0.5,
        value_l2=0.5,
        blame_window=2,
        max_episodes=3,
        solved_threshold=1.0,
        solved_window=2,
        stop_when_solved=True,
    )
    assert structure_key(base) == structure_key(changed)
    assert check_population([base, changed]) == [base, changed]
    assert set(PER_MEMBER) >= {
        "seed",
        "lr",
        "gamma",
        "decay_rate",
        "eps",
        "beta1",
        "beta2",
        "value_l2",
        "blame_window",
    }


# ---------------------------------------------------------------- same distribution as train

SEEDS_BOTH_WAYS = range(40)
CAP = 3000  # episodes; an unsolved run counts as solved at CAP + 1 (the worst rank)


def _train_summary(seed: int) -> tuple[int | None, int]:
    h = train(preset("fast", seed=seed, max_episodes=CAP, stop_when_solved=True))
    return h.solved_at, h.episodes


def _population_summaries(seeds: Sequence[int]) -> list[tuple[int | None, int]]:
    configs = [
        preset("fast", seed=s, max_episodes=CAP, stop_when_solved=True) for s in seeds
    ]
    return [(h.solved_at, h.episodes) for h in train_population(configs)]


@pytest.mark.slow
def test_populations_and_train_agree_in_distribution() -> None:
    """40 seeds of the fast preset both ways (train: joblib over 2 workers; populations:
    two of 20). The streams differ, so the runs do not match one by one, but the
    episodes-to-solve must come from the same distribution: the bootstrap 95% interval of
    the ratio of medians contains 1, so does the interval of P(population run solves
    sooner than a train run) contain 1/2, and the solve rates differ by at most 2 of 40."""
    seeds = list(SEEDS_BOTH_WAYS)
    single = Parallel(n_jobs=2)(delayed(_train_summary)(s) for s in seeds)
    halves = Parallel(n_jobs=2)(
        delayed(_population_summaries)(h) for h in (seeds[::2], seeds[1::2])
    )
    lockstep = [r for pair in zip(*halves, strict=True) for r in pair]

    def solve_times(runs: list[tuple[int | None, int]]) -> np.ndarray:
        return np.array(
            [CAP + 1 if s is None else s for s, _ in runs], dtype=np.float64
        )

    a, b = solve_times(single), solve_times(lockstep)
    rng = np.random.default_rng(0)
    boot = 4000
    ra = np.median(rng.choice(a, (boot, a.size)), axis=1)
    rb = np.median(rng.choice(b, (boot, b.size)), axis=1)
    low, high = np.quantile(rb / ra, [0.025, 0.975])
    poi = probability_of_improvement_ci(b, a, rng=rng, higher_is_better=False)
    solved_single = sum(s is not None for s, _ in single)
    solved_lockstep = sum(s is not None for s, _ in lockstep)
    report = (
        f"medians {np.median(a):.0f} (train) vs {np.median(b):.0f} (population), "
        f"ratio CI [{low:.2f}, {high:.2f}], P(population sooner) {poi.value:.2f} "
        f"[{poi.low:.2f}, {poi.high:.2f}], solved {solved_single} vs {solved_lockstep}"
    )
    print(report)
    assert low <= 1.0 <= high, report
    assert poi.low <= 0.5 <= poi.high, report
    assert abs(solved_single - solved_lockstep) <= 2, report


# ---------------------------------------------------------------- grouping runs for a sweep


def test_plan_populations_groups_by_structure_and_feeds_every_worker() -> None:
    base = Config(max_episodes=6)
    configs = [base.replace(seed=s, lr=lr) for lr in (1e-3, 1e-2) for s in range(3)]
    configs += [
        base.replace(seed=s, batch_size=2) for s in range(2)
    ]  # another structure
    chunks = plan_populations(configs, workers=1)
    assert chunks == [[0, 1, 2, 3, 4, 5], [6, 7]]
    assert plan_populations(configs, workers=2) == chunks  # already two chunks
    assert plan_populations(configs, workers=3) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert plan_populations(configs, workers=1, max_size=4) == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
    ]  # as few chunks of at most 4 as hold the 6 runs, of equal sizes
    many = configs[:6] * 17  # 102 runs of one structure
    assert [len(c) for c in plan_populations(many, max_size=32)] == [26, 26, 25, 25]
    assert sorted(i for c in plan_populations(configs, workers=50) for i in c) == list(
        range(8)
    )
    assert len(plan_populations(configs, workers=50)) == 8
    for chunk in plan_populations(configs, workers=3):
        check_population([configs[i] for i in chunk])  # one structure per chunk
    with pytest.raises(ValueError, match="workers must be >= 1"):
        plan_populations(configs, workers=0)


def test_a_sweep_row_is_the_same_whichever_chunk_computed_it() -> None:
    """What a sweep's run stage relies on: a run gives the same history in a chunk of
    the plan as alone (so resuming, or another --jobs, cannot change a row)."""
    configs = [
        Config(seed=s, lr=lr, max_episodes=10) for lr in (1e-3, 3e-3) for s in range(3)
    ]
    by_chunk: dict[int, History] = {}
    for chunk in plan_populations(configs, workers=2):
        for i, h in zip(
            chunk, train_population([configs[i] for i in chunk]), strict=True
        ):
            by_chunk[i] = h
    for i in (0, 4):
        (alone,) = train_population([configs[i]])
        _assert_same_run(alone, by_chunk[i])


def test_member_streams_give_each_member_its_own_successive_draws() -> None:
    """Row r holds member order[r]'s next draws, the numbers of successive calls on
    its own generator, however the draws are blocked and whoever else is drawing
    (one kind of draw per stream, as a policy makes)."""
    streams = MemberStreams([np.random.default_rng(k) for k in range(3)], block=4)
    alone = [np.random.default_rng(k) for k in range(3)]
    for step in range(10):
        if step == 5:
            streams.order = np.array([2, 0])  # member 1 retired
        u = streams.random((streams.order.size, 6))
        for row, k in enumerate(streams.order):
            np.testing.assert_array_equal(u[row], alone[k].random(6))
    normal = MemberStreams(
        [np.random.default_rng(5), np.random.default_rng(6)], block=2
    )
    gen6_draws = np.random.default_rng(6).standard_normal((3, 3, 2))  # 3 calls at once
    for i in range(3):
        z = normal.standard_normal((2, 3, 2))
        np.testing.assert_array_equal(z[1], gen6_draws[i])
    with pytest.raises(ValueError, match="size must start with 2 members"):
        streams.random((3, 6))


def test_a_diverging_member_stops_with_its_last_finite_policy() -> None:
    """An absurd step overflows the weights: that member stops (diverged), keeping the
    weights from before the update; its neighbour is unaffected."""
    wild = Config(
        optimizer="sgd", lr=1e308, baseline="none", batch_size=2, max_episodes=10
    )
    calm = wild.replace(seed=1, lr=1e-3)
    (calm_alone,) = train_population([calm])
    diverged, neighbour = train_population([wild, calm])
    assert getattr(diverged, "diverged", False) and diverged.updates == 0
    assert diverged.episodes == 2
    assert diverged.policy is not None
    assert all(np.isfinite(v).all() for v in diverged.policy.params.values())
    _assert_same_run(calm_alone, neighbour)


def test_throughput_helpers() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from reinforce.throughput import (
        plot_throughput,
        population_throughput,
        train_throughput,
    )

    config = Config(max_episodes=3, batch_size=3)
    rates = population_throughput(config, [1, 3])
    assert rates.shape == (2,) and (rates > 0).all()
    assert train_throughput(config) > 0
    ax = plot_throughput([1, 3], rates, single=1000.0)
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="sizes must be integers >= 1"):
        population_throughput(config, [0])


def test_a_population_trains_with_one_blas_thread() -> None:
    """Its many small products run on one BLAS thread (several only contend), so a
    population gives the same bits in the main process as in a worker process."""
    from threadpoolctl import threadpool_info

    from reinforce.population import one_blas_thread

    with one_blas_thread():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)


def test_train_runs_on_one_blas_thread() -> None:
    """`train` steps and updates inside one_blas_thread too, so a seed gives the same
    bits in a notebook (several BLAS threads by default) as in a worker process."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from reinforce import train
    from reinforce.config import Config

    seen: list[list[int]] = []

    def spy(history: object) -> None:
        seen.append(
            [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        )

    with threadpool_limits(limits=2, user_api="blas"):  # as a notebook might run
        train(Config(seed=0, max_episodes=2), callback=spy)
    assert seen and all(threads and set(threads) == {1} for threads in seen)
