"""Input schemas compiled once per bundle into a plain Python predicate.

`compile_check(schema)` writes the schema out as Python source (one function of straight
`isinstance`/`len`/comparison tests, plus one per `anyOf` branch), compiles it once, and
returns the function that says whether an instance is valid under the
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
        return _Compiler().compile(schema)
    except (_Unsupported, PatternError, TypeError, ValueError, SyntaxError, RecursionError, MemoryError):
        return None


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, float) and v.is_integer()


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


_TYPES = {
    "string": "isinstance({v}, str)",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "integer": "_is_integer({v})",
    "number": "_is_number({v})",
}
_SIZES = {  # keyword: (the Python type it bounds, the comparison that fails)
    "maxLength": ("str", ">"), "minLength": ("str", "<"), "maxItems": ("list", ">"), "minItems": ("list", "<"),
    "maxProperties": ("dict", ">"),
}


class _Compiler:
    """Writes one Python function per schema (plus one per `anyOf` branch): statements that
    `return False` at the first failed keyword. Constants live in the function's globals."""

    def __init__(self) -> None:
        self.consts: dict[str, Any] = {"_is_integer": _is_integer, "_is_number": _is_number}
        self.functions: list[str] = []
        self.n = 0

    def compile(self, schema: Any) -> Check:
        name = self.function(schema)
        exec(compile("\n\n".join(self.functions), "<input schema>", "exec"), self.consts)
        return self.consts[name]

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, value: Any) -> str:
        name = self.fresh("_c")
        self.consts[name] = value
        return name

    def function(self, schema: Any) -> str:
        name = self.fresh("_check")
        lines: list[str] = []
        self.node(schema, "v", lines, 1)
        self.functions.append("\n".join([f"def {name}(v):", *lines, "    return True"]))
        return name

    def node(self, schema: Any, v: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        if schema is True:
            return
        if schema is False:
            out.append(f"{pad}return False")
            return
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        for kw, arg in schema.items():
            if kw in _ANNOTATIONS or kw.startswith("x-"):
                continue
            if kw == "type":
                names = [arg] if isinstance(arg, str) else arg
                if not isinstance(names, list) or not names or any(n not in _TYPES for n in names):
                    raise _Unsupported("type")
                test = " or ".join(_TYPES[n].format(v=v) for n in names)
                out.append(f"{pad}if not ({test}): return False")
            elif kw == "enum":
                if not isinstance(arg, list) or not all(isinstance(x, str) for x in arg):
                    raise _Unsupported("enum")  # jsonschema's equality of mixed values is subtle
                out.append(f"{pad}if not (isinstance({v}, str) and {v} in {self.const(frozenset(arg))}): return False")
            elif kw in _SIZES:
                kind, fails = _SIZES[kw]
                out.append(f"{pad}if isinstance({v}, {kind}) and len({v}) {fails} {_count(arg)}: return False")
            elif kw == "pattern":
                if not isinstance(arg, str):
                    raise _Unsupported("pattern")
                regex = self.const(compile_pattern(arg))
                out.append(f"{pad}if isinstance({v}, str) and not {regex}.search({v}): return False")
            elif kw in ("maximum", "minimum"):
                if not _is_number(arg) or isinstance(arg, complex):
                    raise _Unsupported("bound")
                fails = ">" if kw == "maximum" else "<"
                out.append(f"{pad}if _is_number({v}) and {v} {fails} {self.const(arg)}: return False")
            elif kw == "items":
                x = self.fresh("x")
                out.append(f"{pad}if isinstance({v}, list):")
                out.append(f"{pad}    for {x} in {v}:")
                inner: list[str] = []
                self.node(arg, x, inner, depth + 2)
                out.extend(inner or [f"{pad}        pass"])
            elif kw == "properties":
                if not isinstance(arg, dict):
                    raise _Unsupported("properties")
                out.append(f"{pad}if isinstance({v}, dict):")
                body: list[str] = []
                for prop, sub in arg.items():
                    inner = []
                    x = self.fresh("x")
                    self.node(sub, x, inner, depth + 2)
                    if inner:
                        key = self.const(prop)
                        body.append(f"{pad}    if {key} in {v}:")
                        body.append(f"{pad}        {x} = {v}[{key}]")
                        body.extend(inner)
                out.extend(body or [f"{pad}    pass"])
            elif kw == "required":
                if not isinstance(arg, list) or not all(isinstance(x, str) for x in arg):
                    raise _Unsupported("required")
                if arg:
                    names = self.const(tuple(arg))
                    out.append(f"{pad}if isinstance({v}, dict):")
                    out.append(f"{pad}    for k in {names}:")
                    out.append(f"{pad}        if k not in {v}: return False")
            elif kw == "additionalProperties":
                if "patternProperties" in schema:
                    raise _Unsupported("patternProperties")
                known = self.const(frozenset(schema.get("properties") or ()))
                k, x = self.fresh("k"), self.fresh("x")
                inner = []
                self.node(arg, x, inner, depth + 3)
                if inner:
                    out.append(f"{pad}if isinstance({v}, dict):")
                    out.append(f"{pad}    for {k}, {x} in {v}.items():")
                    out.append(f"{pad}        if {k} not in {known}:")
                    out.extend(inner)
            elif kw == "anyOf":
                if not isinstance(arg, list) or not arg:
                    raise _Unsupported("anyOf")
                branches = " or ".join(f"{self.function(sub)}({v})" for sub in arg)
                out.append(f"{pad}if not ({branches}): return False")
            else:
                raise _Unsupported(kw)


def _count(arg) -> int:
    if isinstance(arg, bool) or not isinstance(arg, int):
        raise _Unsupported("bound")
    return arg
