"""Light mode: the book's chapters run in a web browser (JupyterLite, Pyodide) in minutes.

In the browser NumPy runs 15–25× slower than natively and there is one core and no
processes. Light mode, on automatically under Pyodide (``sys.platform == "emscripten"``)
or natively with the environment variable ``REINFORCE_LITE=1`` (to reproduce a browser
run), changes one thing: a :class:`~reinforce.config.Config` made with the reference
post's hyperparameters on CartPole-v1 gets the ``fast`` preset's batch, vectorised
environments, optimiser, step and baseline instead (see :func:`light_fields`); it
solves in about a tenth of the environment steps. A Config with any of those fields
set to another value is left alone, and so is every other field (seed, episode budget,
stopping rule, network width...). Since the change is made where a Config is made,
what a notebook prints of its config is what trains.

Importing this module (``reinforce`` does it first) also makes Gymnasium and joblib
importable under Pyodide, which has no ``_multiprocessing``: see :func:`guard_pyodide`.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

__all__ = ["ACTIVE", "BROWSER", "PRESET", "guard_pyodide", "light_fields"]

#: running under Pyodide (in a web browser, or Node.js)
BROWSER = sys.platform == "emscripten"
#: light mode is on: in the browser, or natively with REINFORCE_LITE=1
ACTIVE = BROWSER or os.environ.get("REINFORCE_LITE") == "1"
#: the preset a run with the reference post's hyperparameters becomes in light mode
PRESET = "fast"


def guard_pyodide() -> None:
    """Let Gymnasium and joblib import under Pyodide, which lacks ``_multiprocessing``.

    ``import gymnasium`` imports its process-based vector env, which imports
    ``multiprocessing.synchronize``, which needs the C module ``_multiprocessing``. A
    stand-in whose semaphores cannot be created lets the import succeed; a process-based
    env then fails when created, with that error. joblib is told there are no processes
    (``JOBLIB_MULTIPROCESSING=0``), so it runs every job in the calling thread. Where
    Pyodide also lacks ``fcntl`` (a sweep locks its output folder with ``flock``), a
    stand-in whose locks always succeed takes its place: the page is the only process
    that can write to its in-browser file system. Does nothing outside Pyodide.
    """
    if not BROWSER:
        return
    os.environ.setdefault("JOBLIB_MULTIPROCESSING", "0")
    try:
        import _multiprocessing  # noqa: F401
    except ModuleNotFoundError:
        sys.modules["_multiprocessing"] = _no_processes_module()
    try:
        import fcntl  # noqa: F401
    except ModuleNotFoundError:
        sys.modules["fcntl"] = _one_process_fcntl()


def _no_processes_module() -> types.ModuleType:
    module = types.ModuleType("_multiprocessing", "stand-in: Pyodide has no processes")

    class SemLock:
        SEM_VALUE_MAX = 2**31 - 1  # read by multiprocessing.synchronize at import

        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError("no semaphores in the browser: Pyodide has no processes")

    def sem_unlink(name: str) -> None:
        raise OSError(f"no semaphore {name!r}: Pyodide has no processes")

    module.SemLock = SemLock  # type: ignore[attr-defined]
    module.sem_unlink = sem_unlink  # type: ignore[attr-defined]
    module.flags = {}  # type: ignore[attr-defined]
    return module


def _one_process_fcntl() -> types.ModuleType:
    module = types.ModuleType("fcntl", "stand-in: one process, so every lock is free")

    def flock(fd: object, operation: int) -> None:
        """Nothing to wait for: no other process shares the file system."""

    module.flock = flock  # type: ignore[attr-defined]
    for value, name in enumerate(("LOCK_SH", "LOCK_EX", "LOCK_NB", "LOCK_UN")):
        setattr(module, name, 1 << value)
    return module


def light_fields(config: Config) -> dict[str, Any]:
    """The fields light mode changes in ``config`` (``Config`` applies them when made).

    Empty unless light mode is on and ``config`` is a CartPole-v1 run whose preset fields
    (batch size, number of environments, optimiser, step, baseline) all still have the
    reference post's values; then the ``fast`` preset's values for those fields.
    """
    if not ACTIVE or config.env_id != "CartPole-v1":
        return {}
    from .presets import PRESETS

    fast = PRESETS[PRESET]
    defaults = {f.name: f.default for f in fields(config)}
    if any(getattr(config, name) != defaults[name] for name in fast):
        return {}
    return dict(fast)


guard_pyodide()
