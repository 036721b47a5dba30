"""Tests for reinforce.animation: geometry by hand, frame counts, and a real rollout."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from reinforce import BernoulliPolicy, make_env, run_episode
from reinforce.animation import (
    POLE_LENGTH,
    animate_cartpole,
    cartpole_html,
    draw_cartpole,
    frame_steps,
    pole_tip,
)


@pytest.mark.parametrize(
    ("state", "tip"),
    [
        ([0.0, 0.0, 0.0, 0.0], (0.0, POLE_LENGTH)),  # upright
        ([1.0, 0.0, np.pi / 2, 0.0], (1.0 + POLE_LENGTH, 0.0)),  # flat, leaning right
        ([-0.5, 3.0, -np.pi / 6, 1.0], (-0.5 - POLE_LENGTH / 2, POLE_LENGTH * np.sqrt(3) / 2)),
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
    [np.zeros((0, 4)), np.zeros((5, 3)), np.zeros((2, 2, 4)), np.array([[0, 0, np.nan, 0]])],
    ids=["empty", "three-columns", "3d", "nan"],
)
def test_bad_states_raise(bad):
    with pytest.raises(ValueError, match="CartPole states"):
        animate_cartpole(bad)


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_bad_every_raises(every):
    with pytest.raises(ValueError, match="every"):
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
