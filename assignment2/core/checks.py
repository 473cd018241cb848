"""Argument checks that turn bad input into a ValueError naming the parameter."""

import numbers


def require(condition: bool, name: str, allowed: str, value) -> None:
    """Raise ``ValueError("name must be allowed, got value")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1
    require(ok, name, "an integer >= 1", value)
    return int(value)


def non_negative(name: str, value) -> float:
    """``value`` as a finite float >= 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value < float("inf")
    require(ok, name, "a finite number >= 0", value)
    return float(value)


def one_of(name: str, value, allowed):
    """``value`` if it is one of ``allowed``."""
    require(value in allowed, name, "one of " + ", ".join(repr(a) for a in allowed), value)
    return value
