"""Conceptual diagrams: each draws what it says (checked on the artists), with no warnings."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.text import Annotation

from reinforce.baselines import standardize
from reinforce.credit import reward_to_go
from reinforce.diagrams import (
    chapter_levels,
    plot_agent_environment_loop,
    plot_chapter_map,
    plot_policy_network,
    plot_reinforce_update,
)


def axes():
    return Figure().add_subplot()


def arrows(ax) -> list[Annotation]:
    return [t for t in ax.texts if isinstance(t, Annotation)]


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]


MAP = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_chapter_levels_are_longest_paths() -> None:
    assert chapter_levels(MAP) == {"a": 0, "b": 1, "c": 1, "d": 2}


@pytest.mark.parametrize(
    ("prerequisites", "message"),
    [
        ({"a": ["z"]}, "not chapters"),
        ({"a": ["b"], "b": ["a"]}, "cycle"),
    ],
    ids=["unknown", "cycle"],
)
def test_chapter_levels_rejects_bad_maps(prerequisites, message) -> None:
    with pytest.raises(ValueError, match=message):
        chapter_levels(prerequisites)


def test_chapter_map_draws_a_box_per_chapter_and_an_arrow_per_prerequisite() -> None:
    ax = plot_chapter_map(MAP, axes())
    assert sorted(labels(ax)) == ["a", "b", "c", "d"]
    assert len(arrows(ax)) == sum(len(v) for v in MAP.values())
    boxes = {
        t.get_text(): t.get_position()
        for t in ax.texts
        if not isinstance(t, Annotation)
    }
    assert boxes["b"][1] == boxes["c"][1] < boxes["a"][1]  # one row per level, top down
    assert boxes["b"][0] < boxes["c"][0]  # reading order within a row


def test_agent_environment_loop_has_both_boxes_and_both_arrows() -> None:
    ax = plot_agent_environment_loop(axes())
    text = " ".join(labels(ax))
    assert "agent" in text and "environment" in text
    assert "action $a_t$" in text and "reward $r_t$" in text
    assert len(arrows(ax)) == 2


@pytest.mark.parametrize(("n_inputs", "n_hidden"), [(4, 5), (2, 3)])
def test_policy_network_draws_every_unit_and_connection(n_inputs, n_hidden) -> None:
    ax = plot_policy_network(axes(), n_inputs=n_inputs, n_hidden=n_hidden)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == n_inputs + n_hidden + 2  # s, h, z, p
    assert len(ax.lines) == n_inputs * n_hidden + n_hidden + 1
    backward = [t for t in labels(ax) if "partial L" in t]
    assert len(backward) == 2  # ∂L/∂w2 and ∂L/∂W1, as in eq-backward


def test_policy_network_rejects_empty_layers() -> None:
    with pytest.raises(ValueError, match="n_hidden"):
        plot_policy_network(axes(), n_hidden=0)


def test_reinforce_update_draws_the_package_arithmetic() -> None:
    rewards, gamma = np.ones(12), 0.9
    ax_r, ax_g, ax_a = plot_reinforce_update(rewards, gamma, Figure().subplots(3, 1))
    heights = [
        np.array([b.get_height() for b in ax.patches]) for ax in (ax_r, ax_g, ax_a)
    ]
    np.testing.assert_array_equal(heights[0], rewards)
    np.testing.assert_allclose(heights[1], reward_to_go(rewards, gamma))
    np.testing.assert_allclose(heights[2], standardize(reward_to_go(rewards, gamma)))
    assert heights[2][0] > 0 > heights[2][-1]  # early actions encouraged, late ones not


def test_reinforce_update_needs_three_axes() -> None:
    with pytest.raises(ValueError, match="3 axes"):
        plot_reinforce_update(np.ones(3), 0.9, [axes()])
