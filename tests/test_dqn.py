"""DQN: TD-loss gradient, replay buffer, ε schedule, target sync, validation, determinism,
learning."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reinforce.dqn import (
    DQN_PRESETS,
    DQNConfig,
    DQNHistory,
    QNetwork,
    ReplayBuffer,
    clip_grad_norm,
    dqn_preset,
    epsilon_at,
    sync_target,
    td_loss,
    td_loss_and_grad,
    td_targets,
    train_dqn,
)
from reinforce.gradcheck import numerical_gradient, relative_error
from reinforce.history import History
from reinforce.train import seed_streams

Params = dict[str, np.ndarray]

D, H, N_ACT, B = 4, 7, 3, 11


def _network(seed: int = 0) -> QNetwork:
    rng = np.random.default_rng(seed)
    q = QNetwork(D, N_ACT, H, rng)
    q.params["b1"] = (
        rng.standard_normal(H) * 0.1
    )  # non-zero biases exercise their gradient
    q.params["b2"] = rng.standard_normal(N_ACT) * 0.1
    return q


# ---------------------------------------------------------------- TD target and loss


@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_td_loss_gradient_matches_finite_differences(loss: str) -> None:
    q = _network()
    rng = np.random.default_rng(1)
    obs = rng.standard_normal((B, D))
    actions = rng.integers(0, N_ACT, B)
    targets = rng.standard_normal(B) * 3.0  # errors on both sides of the Huber kink
    value, analytic = td_loss_and_grad(q, obs, actions, targets, loss=loss, delta=1.0)
    assert value == pytest.approx(
        td_loss(q, obs, actions, targets, loss=loss, delta=1.0)
    )
    numeric = numerical_gradient(
        lambda: td_loss(q, obs, actions, targets, loss=loss, delta=1.0), q.params
    )
    assert relative_error(analytic, numeric) < 1e-7
    for k, g in analytic.items():
        assert g.shape == q.params[k].shape and g.dtype == np.float64


@pytest.mark.parametrize("init", ["normal", "uniform"])
@pytest.mark.parametrize("hidden", [(7, 5), (6, 5, 4)], ids=["2-hidden", "3-hidden"])
@pytest.mark.parametrize("loss", ["mse", "huber"])
def test_deep_td_loss_gradient_matches_finite_differences_in_every_layer(
    loss: str, hidden: tuple[int, ...], init: str
) -> None:
    rng = np.random.default_rng(4)
    q = QNetwork(D, N_ACT, hidden, rng, init=init)
    for k in q.params:
        if k.startswith("b") and init == "normal":  # zero biases: make some ReLUs off
            q.params[k] = rng.standard_normal(q.params[k].shape) * 0.3
    assert list(q.params) == [
        f"{w}{i}" for i in range(1, len(hidden) + 2) for w in ("W", "b")
    ]
    obs = rng.standard_normal((B, D))
    actions = rng.integers(0, N_ACT, B)
    targets = rng.standard_normal(B) * 3.0
    _, analytic = td_loss_and_grad(q, obs, actions, targets, loss=loss)
    numeric = numerical_gradient(
        lambda: td_loss(q, obs, actions, targets, loss=loss), q.params
    )
    for k in q.params:  # layer by layer: an error in one layer cannot hide in the total
        assert np.any(analytic[k] != 0), k
        assert relative_error({k: analytic[k]}, {k: numeric[k]}) < 1e-7, k


def test_uniform_init_is_pytorchs_linear_default() -> None:
    # nn.Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    q = QNetwork(4, 2, (256, 256), np.random.default_rng(0), init="uniform")
    for layer, fan_in in zip((1, 2, 3), (4, 256, 256), strict=True):
        bound = 1.0 / np.sqrt(fan_in)
        for w in (q.params[f"W{layer}"], q.params[f"b{layer}"]):
            assert np.all(np.abs(w) <= bound), layer
        w = q.params[f"W{layer}"]
        # the whole interval is used, evenly: the extremes near the bound, the variance
        # of U(-c, c), c^2 / 3, and about half the draws on each side of zero
        assert np.abs(w).max() > 0.95 * bound
        assert w.var() == pytest.approx(bound**2 / 3, rel=0.1)
        assert np.mean(w > 0) == pytest.approx(0.5, abs=0.1)
        assert np.any(q.params[f"b{layer}"] != 0)  # biases drawn too, not zero
    normal = QNetwork(4, 2, (256, 256), np.random.default_rng(0))
    assert all(np.all(normal.params[f"b{i}"] == 0) for i in (1, 2, 3))
    assert normal.params["W2"].std() == pytest.approx(1 / 16, rel=0.05)
    same = QNetwork(4, 2, (256, 256), np.random.default_rng(0), init="uniform")
    for k, v in q.params.items():  # one seed, one network
        np.testing.assert_array_equal(v, same.params[k])
    with pytest.raises(ValueError, match=r"init must be one of .*'xavier'"):
        QNetwork(4, 2, 8, np.random.default_rng(0), init="xavier")


def test_deep_network_forward_hand_computed() -> None:
    q = QNetwork(1, 2, (2, 1), np.random.default_rng(0))
    q.params = {
        "W1": np.array([[1.0], [-1.0]]),
        "b1": np.zeros(2),
        "W2": np.array([[2.0, 3.0]]),
        "b2": np.array([-1.0]),
        "W3": np.array([[1.0], [-2.0]]),
        "b3": np.array([0.5, 0.0]),
    }
    # s = 2: h1 = relu([2, -2]) = [2, 0]; h2 = relu(4 - 1) = 3; Q = [3.5, -6]
    np.testing.assert_allclose(q.q_values(np.array([2.0])), [3.5, -6.0])
    assert q.greedy(np.array([2.0])) == 0 and q.layers == 3 and q.hidden == (2, 1)
    # s = -2: h1 = [0, 2]; h2 = relu(6 - 1) = 5; Q = [5.5, -10]
    np.testing.assert_allclose(q.q_values(np.array([[-2.0]])), [[5.5, -10.0]])


def test_clip_grad_norm_hand_computed() -> None:
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}  # global norm 5
    clipped = clip_grad_norm(grads, 1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(clipped["b"], [[0.8]], rtol=1e-6)
    same = clip_grad_norm(grads, 10.0)  # already inside: unchanged
    np.testing.assert_array_equal(same["a"], grads["a"])


def test_td_loss_hand_computed() -> None:
    q = QNetwork(1, 2, 1, np.random.default_rng(0))
    q.params = {
        "W1": np.array([[1.0]]),
        "b1": np.zeros(1),
        "W2": np.array([[2.0], [-1.0]]),
        "b2": np.array([0.0, 0.5]),
    }
    obs = np.array([[1.0], [3.0]])  # h = 1, 3 → Q = [2, -0.5], [6, -2.5]
    actions = np.array([0, 1])
    targets = np.array([1.5, 0.5])  # errors u = 0.5, -3.0
    assert td_loss(q, obs, actions, targets, loss="mse") == pytest.approx(
        (0.125 + 4.5) / 2
    )
    # Huber, δ = 1: 0.5·0.25 = 0.125 and 1·(3 − 0.5) = 2.5
    assert td_loss(q, obs, actions, targets, loss="huber") == pytest.approx(
        (0.125 + 2.5) / 2
    )


def test_td_targets_bootstrap_only_non_terminal() -> None:
    next_q = np.array([[1.0, 3.0], [5.0, 2.0], [-1.0, -2.0]])
    y = td_targets(
        np.array([1.0, 1.0, 0.0]), next_q, np.array([False, True, False]), 0.5
    )
    np.testing.assert_allclose(y, [1.0 + 0.5 * 3.0, 1.0, 0.5 * -1.0])


def test_double_dqn_target_uses_the_online_argmax() -> None:
    target_q = np.array([[1.0, 3.0], [5.0, 2.0]])
    online_q = np.array([[2.0, 0.0], [0.0, 1.0]])  # prefers action 0, then action 1
    y = td_targets(np.zeros(2), target_q, np.zeros(2, dtype=bool), 1.0, online_q)
    np.testing.assert_allclose(y, [1.0, 2.0])  # not the max, 3 and 5
    with pytest.raises(ValueError, match="next_q_online"):
        td_targets(np.zeros(2), target_q, np.zeros(2, dtype=bool), 1.0, online_q[:1])


def test_gradient_only_touches_the_chosen_actions_output_row() -> None:
    q = _network()
    obs = np.random.default_rng(2).standard_normal((B, D))
    _, grads = td_loss_and_grad(q, obs, np.zeros(B, dtype=np.int64), np.zeros(B))
    assert np.all(grads["W2"][1:] == 0) and np.all(grads["b2"][1:] == 0)
    assert np.any(grads["W2"][0] != 0)


# ---------------------------------------------------------------- replay buffer


def _fill(buffer: ReplayBuffer, n: int) -> None:
    for t in range(n):
        obs = np.full(D, float(t))
        buffer.add(obs, t % N_ACT, float(t), obs + 0.5, t % 2 == 0)


def test_replay_buffer_wraps_around() -> None:
    buffer = ReplayBuffer(5, D)
    _fill(buffer, 7)  # t = 5, 6 overwrite slots 0, 1
    assert len(buffer) == 5 and buffer.added == 7 and buffer.next == 2
    np.testing.assert_array_equal(buffer.rewards, [5.0, 6.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(buffer.obs[:, 0], [5.0, 6.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(buffer.next_obs[:, 0], [5.5, 6.5, 2.5, 3.5, 4.5])
    np.testing.assert_array_equal(buffer.terminated, [False, True, True, False, True])


def test_replay_buffer_samples_only_filled_slots_with_shapes() -> None:
    buffer = ReplayBuffer(100, D)
    _fill(buffer, 3)
    batch = buffer.sample(500, np.random.default_rng(0))
    assert batch.obs.shape == (500, D) and batch.next_obs.shape == (500, D)
    assert (
        batch.actions.shape == batch.rewards.shape == batch.terminated.shape == (500,)
    )
    assert batch.actions.dtype == np.int64 and batch.terminated.dtype == bool
    assert set(batch.rewards.tolist()) == {
        0.0,
        1.0,
        2.0,
    }  # never an empty slot (would be 0s)
    np.testing.assert_array_equal(batch.obs[:, 0], batch.rewards)  # rows stay together
    np.testing.assert_array_equal(batch.actions, batch.rewards.astype(np.int64) % N_ACT)


def test_replay_buffer_sampling_is_seeded() -> None:
    buffer = ReplayBuffer(50, D)
    _fill(buffer, 50)
    a = buffer.sample(8, np.random.default_rng(3))
    b = buffer.sample(8, np.random.default_rng(3))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_replay_buffer_bad_inputs() -> None:
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, D)
    buffer = ReplayBuffer(4, D)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        DQNConfig(batch_size=0)  # the boundary: sample() trusts its batch size


# ---------------------------------------------------------------- ε schedule and target network


@pytest.mark.parametrize(
    ("step", "expected"),
    [(0, 1.0), (250, 0.7625), (500, 0.525), (1000, 0.05), (5000, 0.05)],
)
def test_epsilon_schedule_hand_computed(step: int, expected: float) -> None:
    # linear from 1 to 0.05 over 1000 steps: 1 − 0.95 · step / 1000
    assert epsilon_at(step, 1.0, 0.05, 1000) == pytest.approx(expected)


def test_epsilon_schedule_inputs_are_checked_by_the_config() -> None:
    # epsilon_at reads like its equation; the config refuses what would break it
    with pytest.raises(ValueError, match="epsilon_decay_steps must be >= 1, got 0"):
        DQNConfig(epsilon_decay_steps=0)
    with pytest.raises(ValueError, match=r"epsilon_end must be in \[0, 1\], got 1.5"):
        DQNConfig(epsilon_end=1.5)


def test_target_sync_hard_copy_is_independent() -> None:
    online, target = _network(0), _network(1)
    sync_target(target, online)
    for k in online.params:
        np.testing.assert_array_equal(target.params[k], online.params[k])
    online.params["W1"] += 1.0  # the target must not follow until the next sync
    assert not np.allclose(target.params["W1"], online.params["W1"])


def test_target_sync_polyak() -> None:
    online, target = _network(0), _network(1)
    before = {k: v.copy() for k, v in target.params.items()}
    sync_target(target, online, tau=0.25)
    for k in online.params:
        np.testing.assert_allclose(
            target.params[k], 0.25 * online.params[k] + 0.75 * before[k]
        )
    with pytest.raises(ValueError, match=r"tau must be in \(0, 1\], got 0.0"):
        DQNConfig(tau=0.0)  # the boundary: sync_target trusts its tau


def test_target_network_synced_every_k_steps_in_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reinforce.dqn as dqn

    k, starts = 50, 20
    config = DQNConfig(
        seed=0,
        learning_starts=starts,
        target_update=k,
        max_env_steps=120,
        hidden=8,
        batch_size=8,
        train_every=1,
    )
    calls: list[tuple[QNetwork, Params]] = []
    real = dqn.sync_target

    def spy(target: QNetwork, online: QNetwork, tau: float = 1.0) -> None:
        real(target, online, tau)
        calls.append((target, {n: v.copy() for n, v in online.params.items()}))

    monkeypatch.setattr(dqn, "sync_target", spy)
    history = train_dqn(config)
    assert history.env_steps == 120
    assert history.updates == 120 - starts  # one update per step after learning_starts
    assert len(calls) == 2  # at steps 50 and 100
    target, snapshot = calls[-1]
    assert history.q_network is not None and target is not history.q_network
    for n, v in target.params.items():
        np.testing.assert_array_equal(v, snapshot[n])  # untouched since step 100
    # ... while the online network kept learning for 20 more updates
    assert not np.array_equal(history.q_network.params["W1"], target.params["W1"])


def _greedy_calls(monkeypatch: pytest.MonkeyPatch, config: DQNConfig) -> list[int]:
    """The env step (0-based) of every greedy action train_dqn took."""
    import reinforce.dqn as dqn

    calls: list[int] = []
    real = dqn.QNetwork.greedy
    counter = {"obs": 0}

    def spy(self: QNetwork, obs: np.ndarray) -> int:
        calls.append(counter["obs"])
        return real(self, obs)

    monkeypatch.setattr(dqn.QNetwork, "greedy", spy)
    real_step = dqn.ReplayBuffer.add

    def count_steps(self: ReplayBuffer, *args: Any) -> None:
        counter["obs"] += 1
        real_step(self, *args)

    monkeypatch.setattr(dqn.ReplayBuffer, "add", count_steps)
    train_dqn(config)
    return calls


def test_random_warmup_takes_no_greedy_action_before_learning_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ε = 0 throughout: without the warm-up every action is greedy, from the first step
    config = DQNConfig(
        seed=0,
        hidden=8,
        learning_starts=200,
        max_env_steps=300,
        epsilon_start=0.0,
        epsilon_end=0.0,
    )
    assert _greedy_calls(monkeypatch, config) == list(range(300))
    warm = _greedy_calls(monkeypatch, config.replace(random_warmup=True))
    assert warm == list(range(200, 300))  # uniform actions for steps 0..199 only


def test_random_warmup_actions_are_uniform() -> None:
    # a warm-up as long as the run: every episode is a uniformly random policy's
    config = DQNConfig(
        seed=2, hidden=8, learning_starts=3000, max_env_steps=3000, random_warmup=True
    )
    history = train_dqn(config)
    assert history.updates == 0 and set(history.epsilons) == {1.0}
    # a random policy on CartPole-v1 lasts about 22 steps
    assert 15 < np.mean(history.lengths) < 30


def test_target_sync_counts_from_step_0_and_precedes_the_updates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reinforce.dqn as dqn

    events: list[str] = []
    real_sync, real_step = dqn.sync_target, dqn._gradient_step

    def sync(*args: Any, **kwargs: Any) -> None:
        events.append("sync")
        real_sync(*args, **kwargs)

    def step(*args: Any) -> float | None:
        events.append("update")
        return real_step(*args)

    monkeypatch.setattr(dqn, "sync_target", sync)
    monkeypatch.setattr(dqn, "_gradient_step", step)
    base = DQNConfig(seed=0, hidden=8, batch_size=8, learning_starts=0)
    train_dqn(base.replace(target_update=50, train_every=50, max_env_steps=150))
    assert events == ["sync", "update"] * 3  # at steps 50, 100, 150: sync first
    events.clear()
    train_dqn(
        base.replace(
            learning_starts=100, target_update=30, train_every=1000, max_env_steps=120
        )
    )
    assert events == ["sync"] * 4  # steps 30, 60, 90, 120: during the warm-up too


def test_gradient_steps_per_round_and_snapshots_at_fixed_steps() -> None:
    config = DQNConfig(
        seed=1,
        hidden=8,
        hidden_layers=2,
        learning_starts=100,
        train_every=50,
        gradient_steps=3,
        batch_size=8,
        max_env_steps=400,
        max_grad_norm=1.0,
    )
    history = train_dqn(config, snapshot_at=[150, 400, 10_000])
    assert history.updates == 3 * 6  # rounds at steps 150, 200, ..., 400
    assert sorted(history.snapshots) == [150, 400]  # 10,000 is never reached
    assert history.q_network is not None
    for k, v in history.q_network.params.items():  # the last snapshot is the final net
        np.testing.assert_array_equal(history.snapshots[400].params[k], v)
    assert not np.array_equal(
        history.snapshots[150].params["W3"], history.snapshots[400].params["W3"]
    )


def test_rl_zoo_preset_is_the_published_recipe() -> None:
    zoo = DQN_PRESETS["rl-zoo"]
    assert (zoo.hidden, zoo.hidden_layers, zoo.lr, zoo.batch_size) == (
        256,
        2,
        2.3e-3,
        64,
    )
    assert (zoo.buffer_size, zoo.learning_starts, zoo.gamma) == (100_000, 1_000, 0.99)
    assert (zoo.target_update, zoo.train_every, zoo.gradient_steps) == (10, 256, 128)
    # exploration_fraction 0.16 of n_timesteps 50,000, final ε 0.04
    assert zoo.epsilon_decay_steps == round(0.16 * 50_000) and zoo.epsilon_end == 0.04
    assert (zoo.loss, zoo.max_grad_norm, zoo.double) == ("huber", 10.0, False)
    # Stable-Baselines3's rules: nn.Linear's initial weights, a uniformly random
    # warm-up, torch's Adam
    assert (zoo.init, zoo.random_warmup) == ("uniform", True)
    assert (zoo.optimizer, zoo.eps, zoo.beta1, zoo.beta2) == ("adam", 1e-8, 0.9, 0.999)
    assert dqn_preset("rl-zoo", seed=5).seed == 5
    with pytest.raises(ValueError, match=r"DQN preset must be one of .*'nope'"):
        dqn_preset("nope")


def test_seed_streams_share_the_init_stream_with_reinforce() -> None:
    init_dqn, replay, explore, env_seed_dqn = seed_streams(7, 3)
    init_pg, _, env_seed_pg = seed_streams(7)
    np.testing.assert_array_equal(init_dqn.random(5), init_pg.random(5))
    assert replay.random() != explore.random() and env_seed_dqn != env_seed_pg


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden", 0),
        ("hidden_layers", 0),
        ("gradient_steps", 0),
        ("max_grad_norm", 0.0),
        ("gamma", 1.5),
        ("lr", -1e-3),
        ("lr", float("nan")),
        ("buffer_size", 0),
        ("batch_size", 0),
        ("learning_starts", -1),
        ("train_every", 0),
        ("target_update", 0),
        ("tau", 0.0),
        ("tau", 1.5),
        ("epsilon_start", 1.2),
        ("epsilon_end", -0.1),
        ("epsilon_decay_steps", 0),
        ("loss", "l1"),
        ("init", "xavier"),
        ("optimizer", "lbfgs"),
        ("huber_delta", 0.0),
        ("max_env_steps", 0),
        ("solved_window", 0),
        ("env_id", ""),
    ],
)
def test_config_rejects_bad_values_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field) as info:
        DQNConfig(**{field: value})
    assert repr(value) in str(info.value)


def test_config_rejects_wrong_types() -> None:
    with pytest.raises(TypeError, match="hidden"):
        DQNConfig(hidden=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stop_when_solved"):
        DQNConfig(stop_when_solved=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="random_warmup"):
        DQNConfig(random_warmup=1)  # type: ignore[arg-type]


def test_bad_function_inputs_name_the_parameter() -> None:
    q = _network()
    obs = np.zeros((3, D))
    with pytest.raises(ValueError, match="loss"):
        td_loss(q, obs, np.zeros(3, dtype=np.int64), np.zeros(3), loss="l1")
    with pytest.raises(
        ValueError, match=r"huber_delta must be finite and > 0, got -1\.0"
    ):
        DQNConfig(huber_delta=-1.0)  # the boundary: the loss trusts its delta
    with pytest.raises(ValueError, match="actions"):
        td_loss_and_grad(q, obs, np.array([0, 1, N_ACT]), np.zeros(3))
    with pytest.raises(ValueError, match="targets"):
        td_loss_and_grad(q, obs, np.zeros(3, dtype=np.int64), np.zeros(4))
    with pytest.raises(ValueError, match="obs"):
        q.q_values(np.zeros((3, D + 1)))
    with pytest.raises(ValueError, match="disagree"):
        td_targets(np.zeros(2), np.zeros((3, 2)), np.zeros(2, dtype=bool), 0.9)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\], got 1.1"):
        DQNConfig(gamma=1.1)  # the boundary: td_targets trusts its gamma
    with pytest.raises(ValueError, match="hidden"):
        QNetwork(D, N_ACT, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="hidden"):
        QNetwork(D, N_ACT, (), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"unknown DQNConfig field.*hiden"):
        DQNConfig.from_dict({"hiden": 3})


def test_continuous_actions_are_rejected() -> None:
    with pytest.raises(ValueError, match="action_space"):
        train_dqn(DQNConfig(env_id="Pendulum-v1", max_env_steps=10))


def test_train_dqn_rejects_a_reinforce_config() -> None:
    from reinforce.train import Config

    with pytest.raises(TypeError, match="config"):
        train_dqn(Config())  # type: ignore[arg-type]


# ---------------------------------------------------------------- runs


def test_history_has_the_fields_of_train_history() -> None:
    history = train_dqn(DQNConfig(max_env_steps=300, learning_starts=100, hidden=8))
    shared = {
        "lengths",
        "returns",
        "env_steps",
        "updates",
        "wall_seconds",
        "solved_at",
        "threshold",
        "config",
        "interrupted",
    }
    assert shared <= set(History.__dataclass_fields__) & set(
        DQNHistory.__dataclass_fields__
    )
    assert history.threshold == 475.0  # CartPole-v1's reward_threshold
    assert history.episodes == len(history.returns) == len(history.losses)
    assert sum(history.lengths) <= history.env_steps == 300
    assert history.summary()["env_steps"] == 300
    assert history.rolling_mean().shape == (history.episodes,)


def test_same_seed_gives_a_bit_identical_run() -> None:
    config = DQNConfig(
        seed=3, max_env_steps=600, learning_starts=100, target_update=50, hidden=16
    )
    a, b = train_dqn(config), train_dqn(config)
    assert a.lengths == b.lengths and a.returns == b.returns and a.updates == b.updates
    assert a.q_network is not None and b.q_network is not None
    for k in a.q_network.params:
        np.testing.assert_array_equal(a.q_network.params[k], b.q_network.params[k])
    c = train_dqn(config.replace(seed=4))
    assert c.q_network is not None
    assert not np.array_equal(a.q_network.params["W1"], c.q_network.params["W1"])


def test_callback_can_stop_training() -> None:
    history = train_dqn(
        DQNConfig(max_env_steps=5000),
        callback=lambda h: False if h.episodes >= 3 else None,
    )
    assert history.episodes == 3


@pytest.mark.slow
def test_dqn_learns_cartpole_clearly_better_than_random() -> None:
    # a random policy lasts about 22 steps on CartPole; a few thousand steps of DQN do far better
    config = DQNConfig(
        seed=0,
        max_env_steps=10_000,
        learning_starts=500,
        epsilon_decay_steps=4000,
        train_every=1,
    )
    history = train_dqn(config)
    late = np.mean(history.lengths[-10:])
    assert late > 3 * 22, f"mean length of the last 10 episodes only {late:.1f}"


def test_dqn_config_numpy_scalars_become_plain_python_values() -> None:
    import json

    c = DQNConfig(
        seed=np.int64(3),
        batch_size=np.int64(32),
        tau=np.float64(0.5),
        double=np.bool_(False),
        max_env_steps=np.int64(100),
    )
    assert type(c.seed) is int and type(c.batch_size) is int and type(c.tau) is float
    assert c.double is False and type(c.max_env_steps) is int
    assert DQNConfig(**json.loads(json.dumps(c.to_dict()))) == c
    assert c.replace(tau=0.25).tau == 0.25


def test_an_overflowing_update_stops_dqn_and_keeps_finite_weights() -> None:
    history = train_dqn(
        DQNConfig(
            optimizer="sgd", lr=1e308, max_env_steps=300, learning_starts=50, hidden=8
        )
    )
    assert history.diverged and history.updates == 0 and history.env_steps < 300
    assert history.q_network is not None
    assert all(np.isfinite(v).all() for v in history.q_network.params.values())
