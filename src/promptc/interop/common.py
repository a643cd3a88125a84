"""What the Dotprompt and Prompty importers share: errors at a position of the imported
file, inferred input shapes, and writing the `.prompt` module."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Words a promptc template name cannot be (literals, operators, reserved names).
RESERVED = frozenset({"and", "or", "not", "in", "is", "if", "else", "elif", "endif", "for", "endfor", "true",
                      "false", "none", "True", "False", "None", "loop", "tools", "input", "output", "import",
                      "from", "as", "type", "fragment", "tool", "system", "user", "assistant", "text", "json",
                      "list", "map", "str", "int", "float", "bool", "requires", "approval"})


class InteropError(Exception):
    """A construct of the imported file that promptc cannot express faithfully."""

    def __init__(self, offset: int, message: str, hint: str, length: int = 1):
        super().__init__(message)
        self.offset, self.message, self.hint, self.length = offset, message, hint, max(length, 1)


def key_offset(text: str, key: str) -> int:
    """Where the YAML key `key` is written in a file's front matter: at the start of a line
    (`key:`, `- key:`) or inside a flow mapping (`{…, key: …}`); 0 when not found."""
    for pattern in (rf"^[ \t]*(?:-[ \t]*)?({re.escape(key)})[ \t]*:", rf"[{{,\[][ \t]*({re.escape(key)})[ \t]*:"):
        m = re.search(pattern, text, re.M)
        if m:
            return m.start(1)
    return 0


def name_offset(text: str, name: str) -> int:
    """Where a property or tool called `name` is declared (`name: NAME`, or `NAME:` as a key)."""
    m = re.search(rf"\bname[ \t]*:[ \t]*[\"']?({re.escape(name)})\b", text)
    return m.start(1) if m else key_offset(text, name)


@dataclass
class Shape:
    """How a template uses a value: rendered, tested, looped over, or read field by field."""

    rendered: bool = False
    looped: bool = False
    fields: dict[str, "Shape"] = field(default_factory=dict)
    item: "Shape | None" = None
    samples: list[Any] = field(default_factory=list)
    where: int = 0  # offset of the first use, for errors
    required: bool = False  # a missing value is an error in the source format (e.g. ordered comparison)

    def child(self, name: str, where: int) -> "Shape":
        if name not in self.fields:
            self.fields[name] = Shape(where=where)
        return self.fields[name]

    def items(self, where: int) -> "Shape":
        self.looped = True
        if self.item is None:
            self.item = Shape(where=where)
        return self.item


def add_samples(shape: Shape, value: Any) -> None:
    """Record a sample value at a shape and, along the shape's uses, inside it."""
    if value is None:
        return
    shape.samples.append(value)
    if isinstance(value, dict):
        for name, sub in shape.fields.items():
            add_samples(sub, value.get(name))
    elif isinstance(value, list) and shape.item is not None:
        for item in value:
            add_samples(shape.item, item)


def _scalar_type(values: list[Any], name: str, where: int) -> str:
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("int")
        elif isinstance(v, float):
            kinds.add("float")
        elif isinstance(v, str):
            kinds.add("str")
        elif isinstance(v, list):
            kinds.add("list")
        else:
            kinds.add("object")
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) > 1:
        raise InteropError(where, f"`{name}` is given values of different types ({', '.join(sorted(kinds))})",
                           "declare its type in the input schema; a promptc input has one type", len(name))
    kind = next(iter(kinds), "str")
    if kind == "list":
        inner = [x for v in values for x in v if x is not None]
        return f"list[{_scalar_type(inner, name + '[]', where)}]"
    if kind == "object":
        raise InteropError(where, f"`{name}` is an object but the template renders it as text",
                           "render its fields (`{{ x.field }}`), or declare its type in the input schema", len(name))
    return kind


def shape_type(shape: Shape, name: str) -> str:
    """The promptc type of a value used as `shape`, every part optional (Handlebars and Jinja
    render a missing value as empty text)."""
    if shape.looped:
        item = shape.item or Shape()
        return f"list[{shape_type(item, name + '[]').removesuffix('?')}]?"
    if shape.fields:
        if shape.rendered:
            raise InteropError(shape.where, f"`{name}` is both rendered as text and read field by field",
                               "render its fields only, or declare its type in the input schema", len(name))
        return "{" + ", ".join(f"{k}: {shape_type(v, name + '.' + k)}" for k, v in shape.fields.items()) + "}?"
    return _scalar_type(shape.samples, name, shape.where) + ("" if shape.required else "?")


def value_source(value: Any) -> str:
    """A value in promptc's default-value syntax."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k if IDENT.match(k) else json.dumps(k)}: {value_source(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(value_source(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Module:
    """A `.prompt` module to write: front matter lines, declarations, messages."""

    front: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # comments under the front matter
    imports: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    output: str | None = None
    fragments: list[tuple[str, str]] = field(default_factory=list)  # (head, body)
    messages: list[tuple[str, str]] = field(default_factory=list)  # (role, body)

    def source(self) -> str:
        lines: list[str] = []
        if self.front:
            lines += ["---", *self.front, "---"]
        lines += self.header
        for group in (self.imports, self.inputs, self.tools, [self.output] if self.output else []):
            if group:
                lines += ["", *group]
        for head, body in self.fragments:
            lines += ["", f'{head} """', *([body] if body else []), '"""']
        for role, body in self.messages:
            lines += ["", f'{role} """', *([body] if body else []), '"""']
        return "\n".join(lines).lstrip("\n") + "\n"


def unique_name(base: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", base) or "value"
    if not IDENT.match(base):
        base = "_" + base
    name, n = base, 2
    while name in taken or name in RESERVED:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name
