"""The type language: str, int, float, bool, literal unions, list, map, objects, optional.

Types are frozen values. `to_schema` lowers a type to JSON Schema (draft 2020-12);
object types are inlined, so renaming a type never changes a bundle's hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Str:
    max_len: int | None = None
    min_len: int | None = None
    pattern: str | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class Int:
    min: int | float | None = None
    max: int | float | None = None


@dataclass(frozen=True)
class Float:
    min: int | float | None = None
    max: int | float | None = None


@dataclass(frozen=True)
class Bool:
    pass


@dataclass(frozen=True)
class Literal:
    values: tuple[str, ...]


@dataclass(frozen=True)
class List:
    item: "Type"
    max_items: int | None = None
    min_items: int | None = None


@dataclass(frozen=True)
class Map:
    value: "Type"
    max_items: int | None = None


@dataclass(frozen=True)
class Object:
    name: str | None
    fields: tuple[tuple[str, "Type"], ...]

    def field(self, name: str) -> "Type | None":
        for key, ty in self.fields:
            if key == name:
                return ty
        return None


@dataclass(frozen=True)
class Optional:
    inner: "Type"


@dataclass(frozen=True)
class Unknown:
    """The type of an expression that already failed to check: never reported twice."""


Type = Union[Str, Int, Float, Bool, Literal, List, Map, Object, Optional, Unknown]

#: Which constraints each base type takes, with the Python type of their argument.
CONSTRAINTS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "str": {"max_len": int, "min_len": int, "pattern": str, "max_tokens": int},
    "int": {"min": int, "max": int},
    "float": {"min": (int, float), "max": (int, float)},
    "bool": {},
    "list": {"max_items": int, "min_items": int, "max_len": int, "min_len": int},
    "map": {"max_items": int},
}

SCALAR_NAMES = ("str", "int", "float", "bool")


def strip_optional(ty: Type) -> Type:
    while isinstance(ty, Optional):
        ty = ty.inner
    return ty


def is_optional(ty: Type) -> bool:
    return isinstance(ty, Optional)


def display(ty: Type) -> str:
    if isinstance(ty, Str):
        return "str"
    if isinstance(ty, Int):
        return "int"
    if isinstance(ty, Float):
        return "float"
    if isinstance(ty, Bool):
        return "bool"
    if isinstance(ty, Literal):
        return " | ".join(f'"{v}"' for v in ty.values)
    if isinstance(ty, List):
        return f"list[{display(ty.item)}]"
    if isinstance(ty, Map):
        return f"map[{display(ty.value)}]"
    if isinstance(ty, Object):
        return ty.name or "{" + ", ".join(f"{k}: {display(v)}" for k, v in ty.fields) + "}"
    if isinstance(ty, Optional):
        inner = display(ty.inner)
        return f"({inner})?" if isinstance(ty.inner, Literal) and len(ty.inner.values) > 1 else inner + "?"
    return "unknown"


def is_scalar(ty: Type) -> bool:
    return isinstance(strip_optional(ty), (Str, Int, Float, Bool, Literal, Unknown))


def is_stringlike(ty: Type) -> bool:
    return isinstance(strip_optional(ty), (Str, Literal, Unknown))


def is_numeric(ty: Type) -> bool:
    return isinstance(strip_optional(ty), (Int, Float, Unknown))


def comparable(a: Type, b: Type) -> bool:
    """Whether `==` between values of these types can ever be true."""
    a, b = strip_optional(a), strip_optional(b)
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return True
    if is_stringlike(a) and is_stringlike(b):
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    return type(a) is type(b)


def to_schema(ty: Type) -> dict[str, Any]:
    """Lower a type to a JSON Schema (draft 2020-12) fragment."""
    if isinstance(ty, Optional):
        return {"anyOf": [to_schema(ty.inner), {"type": "null"}]}
    if isinstance(ty, Str):
        out: dict[str, Any] = {"type": "string"}
        if ty.min_len is not None:
            out["minLength"] = ty.min_len
        if ty.max_len is not None:
            out["maxLength"] = ty.max_len
        if ty.pattern is not None:
            out["pattern"] = ty.pattern
        if ty.max_tokens is not None:
            out["x-max-tokens"] = ty.max_tokens
        return out
    if isinstance(ty, (Int, Float)):
        out = {"type": "integer" if isinstance(ty, Int) else "number"}
        if ty.min is not None:
            out["minimum"] = ty.min
        if ty.max is not None:
            out["maximum"] = ty.max
        return out
    if isinstance(ty, Bool):
        return {"type": "boolean"}
    if isinstance(ty, Literal):
        return {"type": "string", "enum": list(ty.values)}
    if isinstance(ty, List):
        out = {"type": "array", "items": to_schema(ty.item)}
        if ty.min_items is not None:
            out["minItems"] = ty.min_items
        if ty.max_items is not None:
            out["maxItems"] = ty.max_items
        return out
    if isinstance(ty, Map):
        out = {"type": "object", "additionalProperties": to_schema(ty.value)}
        if ty.max_items is not None:
            out["maxProperties"] = ty.max_items
        return out
    if isinstance(ty, Object):
        return object_schema(ty.fields)
    return {}


def object_schema(fields, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object schema: optional fields and fields with defaults are not required."""
    defaults = defaults or {}
    props: dict[str, Any] = {}
    required = []
    for name, ty in fields:
        schema = to_schema(ty)
        if name in defaults:
            schema = {**schema, "default": defaults[name]}
        props[name] = schema
        if not is_optional(ty) and name not in defaults:
            required.append(name)
    return {"type": "object", "properties": props, "required": sorted(required), "additionalProperties": False}
