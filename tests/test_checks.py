"""The boundary checks: each names the parameter and the value, and returns plain Python."""

from __future__ import annotations

import numpy as np
import pytest

from reinforce import checks


def test_integer_accepts_numpy_integers_and_returns_int() -> None:
    value = checks.integer("n", np.int64(3), low=1)
    assert value == 3 and type(value) is int
    assert checks.optional_integer("n", None) is None
    assert type(checks.optional_integer("n", np.int32(4))) is int


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: checks.integer("n", True),
            TypeError,
            "n must be an integer, got True",
        ),
        (lambda: checks.integer("n", 2.0), TypeError, "n must be an integer, got 2.0"),
        (lambda: checks.integer("n", 0, low=1), ValueError, "n must be >= 1, got 0"),
        (
            lambda: checks.optional_integer("m", 0),
            ValueError,
            "m must be an integer >= 1 or None, got 0",
        ),
        (
            lambda: checks.positive("lr", 0.0),
            ValueError,
            "lr must be finite and > 0, got 0.0",
        ),
        (
            lambda: checks.positive("lr", np.inf),
            ValueError,
            "lr must be finite and > 0",
        ),
        (lambda: checks.positive("lr", "1"), TypeError, "lr must be a number"),
        (lambda: checks.positive("lr", False), TypeError, "lr must be a number"),
        (
            lambda: checks.non_negative("l2", -1),
            ValueError,
            "l2 must be finite and >= 0",
        ),
        (
            lambda: checks.interval("g", 1.5, 0, 1),
            ValueError,
            r"g must be in \[0, 1\], got 1.5",
        ),
        (
            lambda: checks.interval("g", np.nan, 0, 1),
            ValueError,
            r"g must be in \[0, 1\]",
        ),
        (
            lambda: checks.interval("d", 1.0, 0, 1, closed="low"),
            ValueError,
            r"d must be in \[0, 1\), got 1.0",
        ),
        (
            lambda: checks.interval("t", 0.0, 0, 1, closed="high"),
            ValueError,
            r"t must be in \(0, 1\], got 0.0",
        ),
        (
            lambda: checks.optional_number("s", np.nan),
            ValueError,
            "s must be a finite number or None, got nan",
        ),
        (
            lambda: checks.choice("kind", "x", ("a", "b")),
            ValueError,
            r"kind must be one of \('a', 'b'\), got 'x'",
        ),
        (lambda: checks.flag("f", 1), TypeError, "f must be True or False, got 1"),
        (
            lambda: checks.name_string("env_id", ""),
            ValueError,
            "env_id must be a non-empty",
        ),
    ],
)
def test_bad_values_name_the_parameter_and_value(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_numbers_come_back_as_plain_floats_and_bools() -> None:
    assert type(checks.positive("lr", np.float32(0.5))) is float
    assert checks.interval("g", np.float64(1.0), 0, 1) == 1.0
    assert checks.interval("t", 1, 0, 1, closed="high") == 1.0
    assert checks.flag("f", np.bool_(True)) is True
    assert checks.optional_number("s", np.int64(3)) == 3.0


def test_generator() -> None:
    rng = np.random.default_rng(0)
    assert checks.generator("rng", rng) is rng
    with pytest.raises(
        TypeError, match=r"rng must be a numpy\.random\.Generator, got 0"
    ):
        checks.generator("rng", 0)
