"""Saving and loading policies."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce.checkpoint import load_policy, save_policy
from reinforce.envs import make_env
from reinforce.policies import make_policy


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
def test_save_and_load_round_trip_exactly(tmp_path, env_id: str) -> None:
    env = make_env(env_id)
    policy = make_policy(
        env.observation_space, env.action_space, 12, np.random.default_rng(0)
    )
    path = save_policy(
        tmp_path / "p",
        policy,
        env.observation_space,
        env.action_space,
        {"env_id": env_id},
    )
    assert path.name == "p.npz" and (tmp_path / "p.json").is_file()
    loaded, meta = load_policy(path, env)
    assert type(loaded) is type(policy) and meta["config"] == {"env_id": env_id}
    for k in policy.params:
        np.testing.assert_array_equal(loaded.params[k], policy.params[k])
    obs = np.random.default_rng(1).standard_normal((5, policy.obs_dim))
    a = policy.sample(obs, np.random.default_rng(2))
    np.testing.assert_array_equal(loaded.log_prob(obs, a), policy.log_prob(obs, a))
    env.close()


def test_loading_into_different_spaces_is_refused(tmp_path) -> None:
    env = make_env("CartPole-v1")
    policy = make_policy(
        env.observation_space, env.action_space, 4, np.random.default_rng(0)
    )
    save_policy(tmp_path / "p.npz", policy, env.observation_space, env.action_space)
    other = make_env("Acrobot-v1")
    with pytest.raises(ValueError, match="trained with observation_space"):
        load_policy(tmp_path / "p.npz", other)
    env.close()
    other.close()


def test_missing_checkpoint(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no saved policy"):
        load_policy(tmp_path / "nothing.npz")


def _saved(tmp_path):
    env = make_env("CartPole-v1")
    policy = make_policy(
        env.observation_space, env.action_space, 4, np.random.default_rng(0)
    )
    path = save_policy(tmp_path / "p", policy, env.observation_space, env.action_space)
    return env, policy, path


@pytest.mark.parametrize(
    ("which", "content", "match"),
    [
        ("npz", b"", r"p\.npz: not a readable \.npz archive \(empty file\)"),
        ("npz", b"PK\x03\x04 half a zip", r"p\.npz: not a readable \.npz archive"),
        ("npz", b"\x93NUMPY garbage", r"p\.npz: not a readable \.npz archive"),
        ("json", b"", r"p\.json: empty file"),
        ("json", b'{"format_version": 1, "policy"', r"p\.json: invalid JSON"),
        ("json", b"[1, 2]", r"p\.json: expected .*, got a JSON list"),
        ("json", b"\xff\xfe\x00", r"p\.json: not a text file"),
        ("json", b'{"format_version": 1}', r"p\.json: 'policy' missing"),
        ("json", b'{"format_version": 7}', r"p\.json: format_version 7, expected 1"),
    ],
    ids=[
        "npz-empty",
        "npz-truncated",
        "npz-garbage",
        "json-empty",
        "json-truncated",
        "json-list",
        "json-binary",
        "json-no-policy",
        "json-version",
    ],
)
def test_a_damaged_file_is_one_clear_error_naming_it(
    tmp_path, which, content, match
) -> None:
    env, _, path = _saved(tmp_path)
    (tmp_path / f"p.{which}").write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_policy(path, env)
    assert "\n" not in str(info.value)
    env.close()


def test_a_truncated_real_archive_is_refused(tmp_path) -> None:
    env, _, path = _saved(tmp_path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"p\.npz: not a readable"):
            load_policy(path, env)
    env.close()


def test_wrong_shapes_and_kinds_in_the_description_are_refused(tmp_path) -> None:
    import json

    env, _, path = _saved(tmp_path)
    meta = tmp_path / "p.json"
    info = json.loads(meta.read_text())
    info["policy"]["hidden"] = 7
    meta.write_text(json.dumps(info))
    with pytest.raises(
        ValueError, match=r"p\.npz: does not match p\.json .*wrong shape"
    ):
        load_policy(path, env)
    info["policy"] = {"kind": "quantum"}
    meta.write_text(json.dumps(info))
    with pytest.raises(
        ValueError, match=r"p\.npz: does not match p\.json .*unknown policy kind"
    ):
        load_policy(path, env)
    env.close()


def test_non_finite_weights_are_refused_at_save_and_at_load(tmp_path) -> None:
    env, policy, path = _saved(tmp_path)
    name = next(iter(policy.params))
    policy.params[name].flat[0] = np.nan
    with pytest.raises(ValueError, match=f"parameter '{name}' has 1 non-finite"):
        save_policy(tmp_path / "q", policy, env.observation_space, env.action_space)
    assert not (tmp_path / "q.npz").exists() and not (tmp_path / "q.json").exists()
    good = dict(np.load(path))
    good[name] = good[name] * np.inf
    np.savez(path, **good)
    with pytest.raises(
        ValueError, match=rf"p\.npz: parameter '{name}' has .* non-finite"
    ):
        load_policy(path, env)
    env.close()


def test_a_failed_save_leaves_the_previous_checkpoint_whole(
    tmp_path, monkeypatch
) -> None:
    import errno

    env, policy, path = _saved(tmp_path)
    before = path.read_bytes(), (tmp_path / "p.json").read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_policy(path, policy, env.observation_space, env.action_space)
    assert (path.read_bytes(), (tmp_path / "p.json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "p.json",
        "p.npz",
    ]  # no temporaries
    env.close()
