"""Checks for values that cross the package's boundary: configs, factories, loaders.

Each check takes the parameter's ``name`` and its ``value``, raises ``TypeError`` (wrong
type) or ``ValueError`` (right type, bad value) with a message naming both, and returns
the value as a plain Python ``int``, ``float``, ``bool`` or ``str``, so a config built
from NumPy scalars (``np.int64(8)``) still serialises to JSON. ``bool`` is never
accepted as a number, although Python treats it as one.

The algorithmic functions (returns, baselines, policies, optimisers, TD targets) do not
call these: they trust their inputs, and read like their equations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np

__all__ = [
    "choice",
    "flag",
    "generator",
    "integer",
    "interval",
    "is_integer",
    "is_number",
    "name_string",
    "non_negative",
    "optional_integer",
    "optional_number",
    "positive",
]


def is_integer(value: Any) -> TypeGuard[int | np.integer[Any]]:
    """An ``int`` or NumPy integer, and not a ``bool``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A real ``int``, ``float`` or NumPy scalar, and not a ``bool``."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )


def integer(name: str, value: Any, *, low: int | None = None) -> int:
    """An integer, at least ``low`` if given."""
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def optional_integer(name: str, value: Any, *, low: int = 1) -> int | None:
    """None, or an integer of at least ``low``."""
    if value is None:
        return None
    if not is_integer(value):
        raise TypeError(f"{name} must be an integer >= {low} or None, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low} or None, got {value!r}")
    return int(value)


def _number(name: str, value: Any, what: str) -> float:
    if not is_number(value):
        raise TypeError(f"{name} must be a number {what}, got {value!r}")
    return float(value)


def positive(name: str, value: Any) -> float:
    """A finite number > 0."""
    x = _number(name, value, "> 0")
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return x


def non_negative(name: str, value: Any) -> float:
    """A finite number >= 0."""
    x = _number(name, value, ">= 0")
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return x


def interval(
    name: str, value: Any, low: float, high: float, *, closed: str = "both"
) -> float:
    """A number in [low, high]; ``closed`` is ``"both"``, ``"low"`` ([low, high)),
    ``"high"`` ((low, high]) or ``"neither"`` ((low, high))."""
    left = "[" if closed in ("both", "low") else "("
    right = "]" if closed in ("both", "high") else ")"
    where = f"{left}{low:g}, {high:g}{right}"
    x = _number(name, value, f"in {where}")
    above = x >= low if left == "[" else x > low
    below = x <= high if right == "]" else x < high
    if not (above and below):  # also refuses NaN
        raise ValueError(f"{name} must be in {where}, got {value!r}")
    return x


def optional_number(name: str, value: Any) -> float | None:
    """None, or a finite number."""
    if value is None:
        return None
    if not (is_number(value) and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number or None, got {value!r}")
    return float(value)


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """One of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def flag(name: str, value: Any) -> bool:
    """``True`` or ``False`` (NumPy's ``bool_`` too), not 0 or 1."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def generator(name: str, value: Any) -> np.random.Generator:
    """A ``numpy.random.Generator`` (the package draws every random number from one)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(f"{name} must be a numpy.random.Generator, got {value!r}")
    return value


def name_string(name: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value
