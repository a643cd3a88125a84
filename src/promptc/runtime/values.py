"""JSON value semantics shared by the renderer: type names, truthiness, stringify, tojson
and deep equality, exactly as docs/bundle-format.md (§8) defines them for every promptc runtime."""

from __future__ import annotations

import json
from typing import Any


def type_name(value: Any) -> str:
    """The JSON type of a value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def truthy(value: Any) -> bool:
    """null, false, 0, 0.0, "", [] and {} are false; Python's bool() agrees on JSON values."""
    return bool(value)


# Integral floats below this magnitude render as integers: the bundle hash (RFC 8785) writes
# 2.0 as `2`, the same bytes as the integer 2, so the hash cannot tell them apart and neither
# may the rendering. Below 1e16 the integer text is also exactly the float's shortest digits;
# from 1e16 on, floats keep Python's exponent form (`1e+16`).
_INTEGRAL_LIMIT = 1e16


def _integral(x: float) -> bool:
    return x.is_integer() and -_INTEGRAL_LIMIT < x < _INTEGRAL_LIMIT


def _integral_floats_as_ints(value: Any) -> Any:
    """A copy of a JSON value with integral floats below 1e16 as ints (-0.0 as 0); the value
    itself when it holds none, so plain data is not copied."""
    if isinstance(value, float):
        return int(value) if _integral(value) else value
    if isinstance(value, list):
        items = [_integral_floats_as_ints(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value)) else value
    if isinstance(value, dict):
        members = {k: _integral_floats_as_ints(v) for k, v in value.items()}
        return members if any(members[k] is not v for k, v in value.items()) else value
    return value


def tojson(value: Any) -> str:
    """JSON with sorted keys, `", "` / `": "` separators and non-ASCII kept as is; integral
    floats below 1e16 written as integers (`2.0` as `2`), as stringify writes them."""
    return json.dumps(_integral_floats_as_ints(value), ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def stringify(value: Any) -> str:
    """The text an `expr` node renders for a value."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: True is an int in Python
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if _integral(value):
            return int.__repr__(int(value))  # 2.0 → "2", -0.0 → "0": the hash's view of it
        return float.__repr__(value)  # shortest round trip, Python's layout
    return tojson(value)


def is_number(value: Any) -> bool:
    """True for JSON numbers; booleans are not numbers even though Python says so."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """JSON deep equality: 1 == 1.0, but true != 1 and "1" != 1."""
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None
