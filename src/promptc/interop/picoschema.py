"""Dotprompt's Picoschema to JSON Schema, as its reference implementation converts it
(dotprompt `src/picoschema.ts`), and JSON Schema to promptc's type syntax."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

SCALARS = ("any", "boolean", "integer", "null", "number", "string")
WILDCARD = "(*)"


class SchemaError(Exception):
    """A schema the conversion cannot carry; `key` names where (a dotted path)."""

    def __init__(self, message: str, hint: str, key: str = ""):
        super().__init__(message)
        self.message, self.hint, self.key = message, hint, key


def _description(text: str) -> tuple[str, str | None]:
    if "," not in text:
        return text, None
    m = re.match(r"(.*?), *(.*)$", text, re.S)
    return (m.group(1), m.group(2)) if m else (text, None)


def to_json_schema(schema: Any, resolve: Callable[[str], dict | None] = lambda name: None) -> dict | None:
    """A Picoschema (or a JSON Schema, passed through) as JSON Schema."""
    if not schema:
        return None
    if isinstance(schema, str):
        kind, description = _description(schema)
        if kind in SCALARS:
            return {"type": kind, **({"description": description} if description else {})}
        return _named(kind, description, resolve)
    if isinstance(schema, dict) and schema.get("type") in (*SCALARS, "object", "array"):
        return schema
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return {**schema, "type": "object"}
    if isinstance(schema, dict) and "properties" in schema:
        object_properties(schema)  # raises: malformed properties
    return _pico(schema, resolve, "")


def _named(kind: str, description: str | None, resolve) -> dict:
    found = resolve(kind)
    if not found:
        raise SchemaError(f"the schema type `{kind}` is neither a Picoschema scalar nor a named schema",
                          f"use one of {', '.join(SCALARS)}, or define the schema `{kind}`", kind)
    return {**found, "description": description} if description else dict(found)


def _pico(obj: Any, resolve, path: str) -> dict:
    if isinstance(obj, str):
        kind, description = _description(obj)
        if kind not in SCALARS:
            return _named(kind, description, resolve)
        if kind == "any":
            return {"description": description} if description else {}
        return {"type": kind, **({"description": description} if description else {})}
    if not isinstance(obj, dict):
        raise SchemaError(f"Picoschema is made of objects and strings, not {json.dumps(obj)}",
                          "write `field: type, description`", path)
    schema: dict[str, Any] = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    for key, value in obj.items():
        where = f"{path}.{key}" if path else key
        if key == WILDCARD:
            schema["additionalProperties"] = _pico(value, resolve, where)
            continue
        name, _, info = key.partition("(")
        optional = name.endswith("?")
        prop_name = name[:-1] if optional else name
        if not optional:
            schema["required"].append(prop_name)
        if not info:
            prop = dict(_pico(value, resolve, where))
            if optional and isinstance(prop.get("type"), str):
                prop["type"] = [prop["type"], "null"]
            schema["properties"][prop_name] = prop
            continue
        kind, description = _description(info[:-1])
        if kind == "array":
            prop = {"type": ["array", "null"] if optional else "array", "items": _pico(value, resolve, where)}
        elif kind == "object":
            prop = _pico(value, resolve, where)
            if optional:
                prop["type"] = [prop["type"], "null"]
        elif kind == "enum":
            prop = {"enum": list(value)}
            if optional and None not in prop["enum"]:
                prop["enum"].append(None)
        else:
            raise SchemaError(f"`({kind})` is not a Picoschema parenthetical type", "write `(object)`, `(array)` or `(enum)`",
                              where)
        if description:
            prop["description"] = description
        schema["properties"][prop_name] = prop
    if not schema["required"]:
        del schema["required"]
    return schema


_CONSTRAINTS = {
    "string": {"maxLength": "max_len", "minLength": "min_len", "pattern": "pattern"},
    "integer": {"minimum": "min", "maximum": "max"},
    "number": {"minimum": "min", "maximum": "max"},
    "array": {"maxItems": "max_items", "minItems": "min_items"},
}
_IGNORED = {"description", "title", "$schema", "examples", "default", "$comment"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def object_properties(schema: Any, key: str = "") -> dict:
    """The `properties` of an object schema ({} when it has none); SchemaError when malformed."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise SchemaError(f"the `properties` of `{key or 'the schema'}` are not a mapping",
                          "write `properties: {name: {type: …}}`", key)
    return props


def to_type(schema: Any, key: str = "") -> str:
    """promptc's type syntax for a JSON Schema, or SchemaError for what it cannot say."""
    if not isinstance(schema, dict):
        raise SchemaError(f"`{json.dumps(schema)}` is not a JSON Schema object", "write a schema object", key)
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list) and set(schema) - _IGNORED == {"anyOf"}:
        rest = [a for a in alternatives if a != {"type": "null"}]
        if len(rest) == 1 and len(alternatives) == 2:  # promptc's own `T?`
            inner = to_type(rest[0], key)
            return f"({inner})?" if " | " in inner else inner.removesuffix("?") + "?"
    kinds = schema.get("type")
    enum = schema.get("enum")
    nullable = False
    if isinstance(kinds, list):
        nullable = "null" in kinds
        rest = [k for k in kinds if k != "null"]
        if len(rest) != 1:
            raise SchemaError(f"`{key or 'the schema'}` allows several types ({', '.join(map(str, kinds))})",
                              "give it one type (optionally with null)", key)
        kinds = rest[0]
    if enum is not None:
        values = [v for v in enum if v is not None]
        nullable = nullable or None in enum
        if not values or not all(isinstance(v, str) for v in values):
            raise SchemaError(f"`{key}` is an enum of non-string values", "use a string enum or a plain type", key)
        out = " | ".join(json.dumps(v, ensure_ascii=False) for v in values)
        return f"({out})?" if nullable and len(values) > 1 else out + ("?" if nullable else "")
    unknown = set(schema) - _IGNORED - {"type", "enum", "items", "properties", "required", "additionalProperties"} - set(
        _CONSTRAINTS.get(kinds if isinstance(kinds, str) else "", {}))
    if unknown:
        word = sorted(unknown)[0]
        raise SchemaError(f"the JSON Schema keyword `{word}` in `{key or 'the schema'}` has no promptc type",
                          "use types, `?`, string enums and the constraints max_len, min_len, pattern, min, max, max_items",
                          key)
    args = [f"{_CONSTRAINTS[kinds][k]}={json.dumps(v, ensure_ascii=False)}" for k, v in schema.items()
            if isinstance(kinds, str) and k in _CONSTRAINTS.get(kinds, {})]
    suffix = f"({', '.join(args)})" if args else ""
    if kinds == "string":
        out = "str" + suffix
    elif kinds == "integer":
        out = "int" + suffix
    elif kinds == "number":
        out = "float" + suffix
    elif kinds == "boolean":
        out = "bool"
    elif kinds == "array":
        out = f"list[{to_type(schema.get('items', {}), key + '[]')}]" + suffix
    elif kinds == "object" or (kinds is None and "properties" in schema):
        props = object_properties(schema, key)
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict):
            out = f"map[{to_type(extra, key + '.*')}]"
        else:
            if extra not in (None, False) and props:
                raise SchemaError(f"`{key or 'the schema'}` has both fixed fields and other keys (`(*)`)",
                                  "keep fixed fields only, or make it a map", key)
            required = set(schema.get("required") or [])
            fields = []
            for name, sub in props.items():
                if not _IDENT.match(name):
                    raise SchemaError(f"the field name `{name}` is not an identifier", "rename it", f"{key}.{name}")
                ty = to_type(sub, f"{key}.{name}" if key else name)
                fields.append(f"{name}: {ty}{'' if name in required or ty.endswith('?') else '?'}")
            out = "{" + ", ".join(fields) + "}"
    elif kinds is None:
        raise SchemaError(f"`{key or 'the schema'}` accepts any value", "give it a type", key)
    else:
        raise SchemaError(f"`{key}` has the type `{kinds}`, which promptc cannot declare", "use another type", key)
    return out + "?" if nullable else out
