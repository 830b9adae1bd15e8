"""Parameter checks shared by the DEC estimators: a ValueError naming the parameter."""

from __future__ import annotations

import numbers


def is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name, value, minimum, allow_none=False):
    if allow_none and value is None:
        return
    if not (is_int(value) and value >= minimum):
        none = "None or " if allow_none else ""
        raise ValueError(f"{name} must be {none}an int >= {minimum}; got {value!r}.")


def check_real(name, value, low, high, lower_open=False, upper_open=False):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = (value > low if lower_open else value >= low) and (
            value < high if upper_open else value <= high)
    if not ok:
        left, right = "(" if lower_open else "[", ")" if upper_open else "]"
        raise ValueError(f"{name} must be a float in {left}{low}, {high}{right}; got {value!r}.")
