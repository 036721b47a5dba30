"""The package's top level: what ``from reinforce import ...`` offers is exactly ``__all__``."""

from __future__ import annotations

import importlib
import types
from pathlib import Path

import pytest

import reinforce

MODULES = sorted(
    p.stem
    for p in Path(reinforce.__file__).parent.glob("*.py")
    if not p.stem.startswith("_")
)


def test_all_lists_exactly_the_public_top_level_names() -> None:
    public = {
        n
        for n in dir(reinforce)
        if not n.startswith("_")
        and not isinstance(getattr(reinforce, n), types.ModuleType)
    }
    assert public == set(reinforce.__all__) - {"__version__"}
    assert len(reinforce.__all__) == len(set(reinforce.__all__))


@pytest.mark.parametrize("module", MODULES)
def test_every_module_all_names_exist(module: str) -> None:
    mod = importlib.import_module(f"reinforce.{module}")
    missing = [n for n in getattr(mod, "__all__", []) if not hasattr(mod, n)]
    assert not missing, (
        f"reinforce.{module}.__all__ names what it does not define: {missing}"
    )


def test_the_split_modules_hold_the_training_pieces() -> None:
    from reinforce.config import Config
    from reinforce.history import History, RunHistory, trailing_mean
    from reinforce.train import reinforce_gradient, seed_streams, train

    assert reinforce.Config is Config and reinforce.History is History
    assert (
        reinforce.train is train and reinforce.reinforce_gradient is reinforce_gradient
    )
    assert (
        reinforce.seed_streams is seed_streams
        and reinforce.trailing_mean is trailing_mean
    )
    assert issubclass(History, RunHistory) and issubclass(
        reinforce.DQNHistory, RunHistory
    )
