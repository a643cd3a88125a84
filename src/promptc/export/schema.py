"""JSON Schemas as provider APIs take them."""

from __future__ import annotations

from typing import Any

#: Keywords whose value is one schema, a list of schemas, or a map of names to schemas.
_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")

#: Composition keywords OpenAI's strict mode rejects (it supports `anyOf`).
_NOT_STRICT = ("oneOf", "allOf", "not", "if", "then", "else", "patternProperties", "dependentRequired",
               "dependentSchemas")


def clean_schema(schema: Any, root: bool = True) -> Any:
    """A copy without promptc's `x-` annotations (`x-max-tokens`), `$schema`, and the
    root `$id`: keywords the APIs do not need and strict modes may reject."""
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    for key, value in schema.items():
        if key.startswith("x-") or key == "$schema" or (root and key == "$id"):
            continue
        if key in _ONE:
            out[key] = ([clean_schema(v, False) for v in value] if isinstance(value, list)
                        else clean_schema(value, False))
        elif key in _LIST and isinstance(value, list):
            out[key] = [clean_schema(v, False) for v in value]
        elif key in _MAP and isinstance(value, dict):
            out[key] = {name: clean_schema(v, False) for name, v in value.items()}
        else:
            out[key] = value
    return out


def strict_problem(schema: Any) -> str | None:
    """Why OpenAI's strict mode would reject `schema`, or None when it satisfies the rules:
    the root is an object, every object has `additionalProperties: false` and lists all its
    properties in `required`, and no unsupported composition keyword is used."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return "the root is not an object"
    return _strict_walk(schema, "$")


def _strict_walk(schema: Any, where: str) -> str | None:
    if not isinstance(schema, dict):
        return None
    for key in _NOT_STRICT:
        if key in schema:
            return f"{where} uses `{key}`"
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types) or "properties" in schema
    if is_object:
        if schema.get("additionalProperties") is not False:
            return f"{where} does not set additionalProperties: false"
        props = schema.get("properties") or {}
        missing = sorted(set(props) - set(schema.get("required") or []))
        if missing:
            return f"{where} does not require {', '.join(missing)}"
    for key in _ONE:
        if key in schema:
            value = schema[key]
            for i, sub in enumerate(value if isinstance(value, list) else [value]):
                problem = _strict_walk(sub, f"{where}.{key}")
                if problem:
                    return problem
    for key in _LIST:
        for i, sub in enumerate(schema.get(key) or []):
            problem = _strict_walk(sub, f"{where}.{key}[{i}]")
            if problem:
                return problem
    for key in _MAP:
        for name, sub in (schema.get(key) or {}).items():
            problem = _strict_walk(sub, f"{where}.{name}" if key == "properties" else f"{where}.{key}.{name}")
            if problem:
                return problem
    return None


def strict_ok(schema: Any) -> bool:
    return strict_problem(schema) is None
