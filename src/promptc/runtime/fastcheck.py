"""Input schemas compiled once per bundle into a plain Python predicate.

`compile_check(schema)` returns a function that says whether an instance is valid under the
schema, exactly as the runtime's jsonschema `Validator` (draft 2020-12 with ECMA-262
`pattern`) would; or None when the schema uses a keyword this compiler does not know, and
jsonschema then checks every render. A render calls the predicate only: when it says "valid"
no jsonschema walk runs; when it says "invalid", jsonschema runs and reports the problems in
its own words, so messages never depend on this module.

The compiled checks cover what promptc's compiler writes for inputs: `type`, `enum` of
strings, `minLength`/`maxLength`/`pattern`, `minimum`/`maximum`, `items`/`minItems`/
`maxItems`, `properties`/`required`/`additionalProperties`/`maxProperties` and `anyOf`.
Annotations (`default`, `description`, `title`, `examples`, `x-…`) are ignored, as
jsonschema ignores them.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

from .schema import PatternError, compile_pattern

Check = Callable[[Any], bool]

_ANNOTATIONS = {"default", "description", "title", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}


class _Unsupported(Exception):
    pass


def compile_check(schema: Any) -> Check | None:
    try:
        return _compile(schema)
    except (_Unsupported, PatternError, TypeError, ValueError):
        return None


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and v.is_integer()


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict):
        raise _Unsupported(schema)
    checks: list[Check] = []
    for kw, arg in schema.items():
        if kw in _ANNOTATIONS or kw.startswith("x-"):
            continue
        build = _KEYWORDS.get(kw)
        if build is None:
            raise _Unsupported(kw)
        check = build(arg, schema)
        if check is not None:
            checks.append(check)
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    checks_t = tuple(checks)
    return lambda v: all(c(v) for c in checks_t)


def _type(arg, schema) -> Check:
    names = [arg] if isinstance(arg, str) else arg
    if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
        raise _Unsupported("type")
    if len(names) == 1:
        return _TYPES[names[0]]
    fs = tuple(_TYPES[n] for n in names)
    return lambda v: any(f(v) for f in fs)


def _enum(arg, schema) -> Check:
    if not isinstance(arg, list) or not all(isinstance(x, str) for x in arg):
        raise _Unsupported("enum")  # jsonschema's equality of mixed values is subtle
    allowed = frozenset(arg)
    return lambda v: isinstance(v, str) and v in allowed


def _count(arg) -> int:
    if isinstance(arg, bool) or not isinstance(arg, int):
        raise _Unsupported("bound")
    return arg


def _size(kind: type, at_most: bool) -> Callable[[Any, dict], Check]:
    """`maxLength`, `minItems`, …: a bound on `len` of strings, lists or objects."""
    def build(arg, schema) -> Check:
        n = _count(arg)
        if at_most:
            return lambda v: not isinstance(v, kind) or len(v) <= n
        return lambda v: not isinstance(v, kind) or len(v) >= n
    return build


def _pattern(arg, schema) -> Check:
    if not isinstance(arg, str):
        raise _Unsupported("pattern")
    regex = compile_pattern(arg)
    return lambda v: not isinstance(v, str) or regex.find(v) is not None


def _number(arg) -> Any:
    if not _is_number(arg) or isinstance(arg, complex):
        raise _Unsupported("bound")
    return arg


def _maximum(arg, schema) -> Check:
    m = _number(arg)
    return lambda v: not _is_number(v) or not v > m


def _minimum(arg, schema) -> Check:
    m = _number(arg)
    return lambda v: not _is_number(v) or not v < m


def _items(arg, schema) -> Check:
    item = _compile(arg)
    return lambda v: not isinstance(v, list) or all(item(x) for x in v)


def _properties(arg, schema) -> Check:
    if not isinstance(arg, dict):
        raise _Unsupported("properties")
    props = tuple((name, _compile(sub)) for name, sub in arg.items())

    def check(v):
        if not isinstance(v, dict):
            return True
        for name, sub in props:
            if name in v and not sub(v[name]):
                return False
        return True
    return check


def _required(arg, schema) -> Check:
    if not isinstance(arg, list) or not all(isinstance(x, str) for x in arg):
        raise _Unsupported("required")
    names = tuple(arg)
    return lambda v: not isinstance(v, dict) or all(n in v for n in names)


def _additional(arg, schema) -> Check:
    if "patternProperties" in schema:
        raise _Unsupported("patternProperties")
    known = frozenset(schema.get("properties") or ())
    if arg is False:
        return lambda v: not isinstance(v, dict) or all(k in known for k in v)
    sub = _compile(arg)
    return lambda v: not isinstance(v, dict) or all(sub(x) for k, x in v.items() if k not in known)


def _any_of(arg, schema) -> Check:
    if not isinstance(arg, list) or not arg:
        raise _Unsupported("anyOf")
    subs = tuple(_compile(s) for s in arg)
    return lambda v: any(s(v) for s in subs)


_KEYWORDS: dict[str, Callable[[Any, dict], Check | None]] = {
    "type": _type, "enum": _enum, "maxLength": _size(str, True), "minLength": _size(str, False), "pattern": _pattern,
    "maximum": _maximum, "minimum": _minimum, "items": _items, "maxItems": _size(list, True),
    "minItems": _size(list, False), "maxProperties": _size(dict, True), "properties": _properties, "required": _required,
    "additionalProperties": _additional, "anyOf": _any_of,
}
