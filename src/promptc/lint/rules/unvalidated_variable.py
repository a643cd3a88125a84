"""unvalidated-variable: text the caller supplies must be bounded, and long text must be
fenced off, before it goes into the system message."""

from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel, ConfigDict

from ...diagnostics import Code, Diagnostic, Severity
from ...semantic import types as T
from ..document import Piece
from ..model import MessageModel
from ..rule import LintContext, Rule

#: Filters whose result is bounded whatever the input (`length` gives an int).
_BOUNDING_FILTERS = {"length"}


class UnvalidatedVariableOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: A bounded string longer than this (in characters; a token counts as four) is free
    #: text that needs delimiters in the system message.
    long_text: int = 500


class UnvalidatedVariable(Rule):
    """
    What it does:
        Reports inputs interpolated into a system message without a bound: a `str` (or
        `str?`, or a list of them) with no `max_len`, `max_tokens` or `pattern`. It also
        reports long free text (unbounded, or bounded above `long_text` characters) placed
        in the system message outside delimiters: XML-like tags around the placeholder
        (`<note>…</note>`), a fenced block, or quotes. Literal unions, numbers and booleans
        are bounded. One finding per value and message, at its first interpolation.

    Why it matters:
        The system message is where instructions come from. Text the caller passes in can
        be any length (a cost and context-window problem) and can carry instructions of its
        own; undelimited, the model cannot tell where the data ends and the rules resume.

    Example:
        input note: str
        system \"\"\"Summarise this note for the account team: {{ note }}\"\"\"

    Use instead:
        input note: str(max_len=2000)
        system \"\"\"
        Summarise the note between the tags for the account team.
        <note>
        {{ note }}
        </note>
        \"\"\"
        Better still, put user text in the user message.

    Options:
        long_text (int, default 500): the length in characters above which bounded text
        still needs delimiters in a system message.
    """

    code = Code("PC508", "unvalidated-variable", "An unbounded or undelimited input in a system message.",
                Severity.WARNING)
    Options = UnvalidatedVariableOptions

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        inputs = {sym.name: sym.type for sym in ctx.module.inputs}
        for model in ctx.system_models():
            loops = _loop_sources(model.doc.message.body if model.doc.message else [], {})
            seen: set[tuple[str, ...]] = set()
            for piece in model.doc.pieces:
                if piece.kind != "expr" or not piece.var or _BOUNDING_FILTERS & set(piece.filters):
                    continue
                path = _input_path(piece, loops, inputs)
                if path is None or path in seen:
                    continue
                ty = _type_at(inputs[path[0]], path[1:])
                unbounded = _unbounded(ty)
                long = unbounded or _max_chars(ty) > self.options.long_text
                undelimited = long and not model.delimited(piece.start, piece.end)
                if unbounded or undelimited:
                    seen.add(path)
                    yield self._finding(model, piece, path, ty, inputs, unbounded, undelimited)

    def _finding(self, model: MessageModel, piece: Piece, path, ty, inputs, unbounded: bool,
                 undelimited: bool) -> Diagnostic:
        shown = f"`{'.'.join(piece.var)}`"
        if piece.var[0] != path[0]:  # a loop variable: path is the list's path, "[]", then the fields
            items = ".".join(path[: len(path) - len(piece.var)]).replace(".[]", "[]")
            shown += f" (`{piece.var[0]}` is an item of `{items}`)"
        if unbounded and undelimited:
            problem = "has no length bound and no delimiters"
        elif unbounded:
            problem = "has no length bound"
        else:
            problem = f"is free text of up to {_max_chars(ty)} characters, without delimiters"
        notes = []
        if unbounded:
            notes.append(_bound_note(path, inputs))
        if undelimited:
            tag = piece.var[-1]
            notes.append(f"wrap it in `<{tag}>…</{tag}>` on lines of their own and say that the text between the "
                         f"tags is data, or move it to the user message")
        return self.report(model.doc.span(piece.start, piece.end),
                           f"{shown} in the system message {problem}", notes=notes)


# --- helpers ------------------------------------------------------------------------

def _loop_sources(body: list[dict], env: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Loop variables of the message body (not of fragments), each mapped to the input path
    of the list it iterates plus "[]" (an item of it). The first loop to bind a name wins."""
    found: dict[str, tuple[str, ...]] = {}
    for node in body:
        if node.get("kind") == "for":
            it = node.get("iter", {})
            while it.get("kind") == "filter":
                it = it["arg"]
            if it.get("kind") != "var":
                continue
            head, rest = it["path"][0], tuple(it["path"][1:])
            inner = {**env, node["var"]: env.get(head, (head,)) + rest + ("[]",)}
            found.setdefault(node["var"], inner[node["var"]])
            for name, path in _loop_sources(node.get("body", []), inner).items():
                found.setdefault(name, path)
        elif node.get("kind") == "if":
            for branch in [*(b.get("body", []) for b in node.get("branches", [])), node.get("else", [])]:
                for name, path in _loop_sources(branch, env).items():
                    found.setdefault(name, path)
    return found


def _input_path(piece: Piece, loops: dict, inputs: dict) -> tuple[str, ...] | None:
    """The input path a placeholder shows, through loop variables; None if it is no input."""
    head, rest = piece.var[0], tuple(piece.var[1:])
    if piece.in_loop and head in loops:
        path = loops[head] + rest
    else:
        path = (head,) + rest
    return path if path[0] in inputs and path[0] != "loop" else None


def _type_at(ty: T.Type, path: tuple[str, ...]) -> T.Type:
    """The type at a path of fields and list items ("[]"); Unknown where it cannot be followed."""
    for step in path:
        ty = T.strip_optional(ty)
        if step == "[]" and isinstance(ty, T.List):
            ty = ty.item
        elif isinstance(ty, T.Object) and ty.field(step) is not None:
            ty = ty.field(step)
        else:
            return T.Unknown()
    return ty


def _unbounded(ty: T.Type) -> bool:
    """A string (or a list of strings) with no `max_len`, `max_tokens` or `pattern`."""
    ty = T.strip_optional(ty)
    if isinstance(ty, T.List):
        return _unbounded(ty.item)
    return isinstance(ty, T.Str) and ty.max_len is None and ty.max_tokens is None and ty.pattern is None


def _max_chars(ty: T.Type) -> int:
    """The longest text the value renders to, in characters (0: bounded by its type)."""
    ty = T.strip_optional(ty)
    if isinstance(ty, T.List):
        return _max_chars(ty.item) * (ty.max_items or 1)
    if not isinstance(ty, T.Str) or ty.pattern is not None:
        return 0
    return min(n for n in (ty.max_len, ty.max_tokens and ty.max_tokens * 4) if n is not None)


def _bound_note(path: tuple[str, ...], inputs: dict) -> str:
    """What to write: the input declaration, or the field of its object type. An item of a
    list (a loop variable) is bounded in the list's item type."""
    while path[-1] == "[]":
        path = path[:-1]
    ty = _type_at(inputs[path[0]], path[1:])
    shown = "str(max_len=2000)"
    if isinstance(T.strip_optional(ty), T.List):
        shown = f"list[{shown}]"
    shown += "?" if T.is_optional(ty) else ""
    hint = "(or `max_tokens=…`, or a `pattern`)"
    if len(path) == 1:
        return f"declare a bound: `input {path[0]}: {shown}` {hint}"
    owner = T.strip_optional(_type_at(inputs[path[0]], path[1:-1]))
    where = f"in type `{owner.name}`" if isinstance(owner, T.Object) and owner.name else "in its object type"
    return f"declare a bound {where}: `{path[-1]}: {shown}` {hint}"
