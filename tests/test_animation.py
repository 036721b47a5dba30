"""Tests for reinforce.animation: geometry by hand and against MuJoCo, frame counts, and
real rollouts of CartPole and InvertedPendulum."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reinforce import BernoulliPolicy, make_env, make_policy, run_episode
from reinforce.animation import (
    CARTPOLE,
    INVERTED_PENDULUM,
    CartPoleGeometry,
    animate_cartpole,
    cartpole_html,
    draw_cartpole,
    frame_steps,
    pole_tip,
)

POLE_LENGTH = 1.0  # Gymnasium's CartPole: twice its half-length 0.5


@pytest.mark.parametrize(
    ("state", "tip"),
    [
        ([0.0, 0.0, 0.0, 0.0], (0.0, POLE_LENGTH)),  # upright
        ([1.0, 0.0, np.pi / 2, 0.0], (1.0 + POLE_LENGTH, 0.0)),  # flat, leaning right
        (
            [-0.5, 3.0, -np.pi / 6, 1.0],
            (-0.5 - POLE_LENGTH / 2, POLE_LENGTH * np.sqrt(3) / 2),
        ),
    ],
    ids=["upright", "flat-right", "30deg-left"],
)
def test_pole_tip_by_hand(state, tip):
    np.testing.assert_allclose(pole_tip(np.array(state)), tip, atol=1e-12)


def test_draw_places_cart_and_pole():
    fig, ax = plt.subplots()
    try:
        d = draw_cartpole(ax, np.array([0.8, 0.0, 0.2, 0.0]), label="hello")
        assert d.cart.get_x() + d.cart.get_width() / 2 == pytest.approx(0.8)
        xs, ys = d.pole.get_data()
        np.testing.assert_allclose(xs, [0.8, 0.8 + np.sin(0.2)])
        np.testing.assert_allclose(ys, [0.0, np.cos(0.2)])
        assert d.label.get_text() == "hello"
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("T", "every", "steps"),
    [(1, 1, [0]), (4, 1, [0, 1, 2, 3]), (10, 3, [0, 3, 6, 9]), (9, 3, [0, 3, 6, 8])],
)
def test_frame_steps_end_on_the_last_state(T, every, steps):
    np.testing.assert_array_equal(frame_steps(T, every), steps)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((0, 4)),
        np.zeros((5, 3)),
        np.zeros((2, 2, 4)),
        np.array([[0, 0, np.nan, 0]]),
    ],
    ids=["empty", "three-columns", "3d", "nan"],
)
def test_bad_states_raise(bad):
    with pytest.raises(ValueError, match="CartPole states"):
        animate_cartpole(bad)


@pytest.mark.parametrize(
    ("every", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)],
)
def test_bad_every_raises(every, error):
    with pytest.raises(error, match="every"):
        frame_steps(3, every)


def test_html_from_a_real_rollout_closes_its_figure():
    env = make_env("CartPole-v1")
    rng = np.random.default_rng(0)
    policy = BernoulliPolicy(4, 8, rng)
    episode = run_episode(env, policy, rng, seed=0)
    env.close()
    before = plt.get_fignums()
    html = cartpole_html(episode.observations, every=2, dpi=40)
    assert plt.get_fignums() == before
    frames = frame_steps(episode.length, 2).size
    assert html.count("data:image/png;base64") == frames
    assert "<script" in html
    assert "http://" not in html and "https://" not in html  # works offline
    online = cartpole_html(episode.observations[:3], offline=False, dpi=40)
    assert 'rel="stylesheet"' in online


# ---------------------------------------------------------------- other geometries


@pytest.mark.parametrize(
    ("state", "tip"),
    [
        ([0.0, 0.0, 0.0, 0.0], (0.0, 0.6)),  # upright
        (
            [0.5, 0.2, -3.0, 7.0],
            (0.5 + 0.6 * np.sin(0.2), 0.6 * np.cos(0.2)),
        ),  # θ is column 1
        ([-1.0, -np.pi / 2, 0.0, 0.0], (-1.6, 0.0)),  # flat, leaning left
    ],
    ids=["upright", "theta-in-column-1", "flat-left"],
)
def test_inverted_pendulum_tip_by_hand(state, tip):
    np.testing.assert_allclose(
        pole_tip(np.array(state), INVERTED_PENDULUM), tip, atol=1e-12
    )


def test_cartpole_is_the_default_geometry():
    state = np.array([0.3, 1.0, -0.4, 2.0])
    assert pole_tip(state) == pole_tip(state, CARTPOLE)
    assert CARTPOLE.pole_length == POLE_LENGTH


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"theta_index": 4}, "theta_index must be an integer in"),
        ({"x_index": -1}, "x_index must be an integer in"),
        ({"x_index": 1.0}, "x_index must be an integer in"),
        ({"theta_index": 0}, "must differ"),
        ({"pole_length": 0.0}, "pole_length must be finite and > 0"),
        ({"x_limit": np.inf}, "x_limit must be finite and > 0"),
    ],
    ids=[
        "theta-out-of-range",
        "negative-x",
        "float-index",
        "same-column",
        "zero-pole",
        "infinite-track",
    ],
)
def test_bad_geometry_raises(changes, match):
    fields = {
        "name": "test",
        "x_index": 0,
        "theta_index": 1,
        "pole_length": 1.0,
        "x_limit": 1.0,
        **changes,
    }
    with pytest.raises(ValueError, match=match):
        CartPoleGeometry(**fields)


def test_bad_states_name_the_geometry_and_a_bad_geometry_is_refused():
    with pytest.raises(
        ValueError, match=r"InvertedPendulum states must have shape \(4,\)"
    ):
        cartpole_html(np.zeros((3, 5)), geometry=INVERTED_PENDULUM)
    with pytest.raises(TypeError, match="geometry must be a CartPoleGeometry"):
        pole_tip(np.zeros(4), "InvertedPendulum")  # type: ignore[arg-type]


def test_inverted_pendulum_matches_mujoco():
    """The middle of our pole is where MuJoCo puts the centre of the pole's capsule."""
    mujoco = pytest.importorskip("mujoco")
    env = make_env("InvertedPendulum-v5")
    env.reset(seed=0)
    sim = env.unwrapped
    pole = mujoco.mj_name2id(sim.model, mujoco.mjtObj.mjOBJ_GEOM, "cpole")
    try:
        for x, theta in [(0.0, 0.0), (0.4, 0.15), (-0.7, -0.5)]:
            sim.set_state(np.array([x, theta]), np.zeros(2))  # runs mj_forward
            tip = pole_tip(np.array([x, theta, 0.0, 0.0]), INVERTED_PENDULUM)
            centre = sim.data.geom_xpos[pole]  # (x, y, z) of the capsule's centre
            # the capsule runs from the pivot to (0.001, 0, 0.6) in the pole's frame
            np.testing.assert_allclose(
                [(x + tip[0]) / 2, tip[1] / 2], centre[[0, 2]], atol=1e-3
            )
    finally:
        env.close()


def test_inverted_pendulum_html_from_a_real_rollout():
    pytest.importorskip("mujoco")
    env = make_env("InvertedPendulum-v5")
    rng = np.random.default_rng(0)
    policy = make_policy(env.observation_space, env.action_space, 8, rng)
    episode = run_episode(env, policy, rng, seed=0)
    env.close()
    fig, ax = plt.subplots()
    try:
        last = episode.observations[-1]
        d = draw_cartpole(ax, last, geometry=INVERTED_PENDULUM)
        assert d.cart.get_x() + d.cart.get_width() / 2 == pytest.approx(last[0])
        assert (
            ax.get_xlim()[1]
            > INVERTED_PENDULUM.x_limit + INVERTED_PENDULUM.cart_width / 2
        )
    finally:
        plt.close(fig)
    before = plt.get_fignums()
    html = cartpole_html(episode.observations, geometry=INVERTED_PENDULUM, dpi=40)
    assert plt.get_fignums() == before
    assert html.count("data:image/png;base64") == episode.length
