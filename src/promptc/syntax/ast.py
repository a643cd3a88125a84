"""The module AST. Every node is frozen and carries the span it was parsed from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..source import Span


@dataclass(frozen=True)
class Ident:
    text: str
    span: Span


@dataclass(frozen=True)
class Value:
    """A literal value (default, constraint argument): plain JSON data plus its span."""

    value: Any
    span: Span


# --- types --------------------------------------------------------------------------

@dataclass(frozen=True)
class Constraint:
    name: Ident
    value: Value


@dataclass(frozen=True)
class NamedType:
    name: Ident
    constraints: tuple[Constraint, ...]
    span: Span


@dataclass(frozen=True)
class ListType:
    item: "TypeExpr"
    constraints: tuple[Constraint, ...]
    span: Span


@dataclass(frozen=True)
class MapType:
    value: "TypeExpr"
    constraints: tuple[Constraint, ...]
    span: Span


@dataclass(frozen=True)
class LiteralUnion:
    values: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class Field:
    name: Ident
    type: "TypeExpr"


@dataclass(frozen=True)
class ObjectType:
    fields: tuple[Field, ...]
    span: Span


@dataclass(frozen=True)
class OptionalType:
    inner: "TypeExpr"
    span: Span


TypeExpr = Union[NamedType, ListType, MapType, LiteralUnion, ObjectType, OptionalType]


# --- text ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TextBlock:
    """A text block after cleandoc. `origins[i]` is the file offset of cleaned line i."""

    text: str
    origins: tuple[int, ...]
    span: Span
    line_starts: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.line_starts:
            starts = [0]
            for i, ch in enumerate(self.text):
                if ch == "\n":
                    starts.append(i + 1)
            object.__setattr__(self, "line_starts", tuple(starts))

    def file_offset(self, offset: int) -> int:
        """Map an offset in the cleaned text back to an offset in the file."""
        import bisect

        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return self.origins[line] + (offset - self.line_starts[line])


# --- declarations -------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    module: tuple[str, ...]
    alias: Ident | None
    module_span: Span
    span: Span

    @property
    def binding(self) -> Ident:
        if self.alias is not None:
            return self.alias
        return Ident(self.module[-1], self.module_span)


@dataclass(frozen=True)
class ImportItem:
    name: Ident
    alias: Ident | None

    @property
    def binding(self) -> Ident:
        return self.alias or self.name


@dataclass(frozen=True)
class FromImport:
    level: int  # leading dots; 0 = absolute
    module: tuple[str, ...]
    items: tuple[ImportItem, ...]
    module_span: Span
    span: Span


@dataclass(frozen=True)
class TypeDecl:
    name: Ident
    type: TypeExpr
    span: Span


@dataclass(frozen=True)
class Param:
    name: Ident
    type: TypeExpr
    default: Value | None


@dataclass(frozen=True)
class InputDecl:
    name: Ident
    type: TypeExpr
    default: Value | None
    span: Span


@dataclass(frozen=True)
class ToolDecl:
    name: Ident
    params: tuple[Param, ...]
    description: Value | None
    requires_approval: bool
    span: Span


@dataclass(frozen=True)
class OutputDecl:
    kind: str  # "json" | "file" | "text"
    schema: ObjectType | None
    path: Value | None
    span: Span


@dataclass(frozen=True)
class FragmentDecl:
    name: Ident
    params: tuple[Param, ...] | None  # None: declared without parentheses
    body: TextBlock
    span: Span


@dataclass(frozen=True)
class MessageDecl:
    role: Ident
    body: TextBlock
    span: Span


Decl = Union[Import, FromImport, TypeDecl, InputDecl, ToolDecl, OutputDecl, FragmentDecl, MessageDecl]


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    front: Any  # syntax.frontmatter.FrontMatter | None
    front_spans: Any  # mapping of front-matter key path -> Span
    decls: tuple[Decl, ...]

    def of(self, kind: type) -> list:
        return [d for d in self.decls if isinstance(d, kind)]
