"""format-conflict: the reply format the prose asks for must agree with the `output`
declaration, with itself, and with the output schema's field names."""

from __future__ import annotations

from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Label, Severity, did_you_mean
from ...semantic import types as T
from ...syntax import ast
from ..model import FormatDemand, MessageModel
from ..rule import LintContext, Rule


class FormatConflict(Rule):
    """
    What it does:
        Finds format instructions that cannot all be followed: prose asking for a JSON
        reply in a module whose output is text; prose asking for plain text or Markdown (or
        forbidding JSON) in a module that declares `output json` and never mentions JSON;
        "no Markdown" next to "use headings" where both render together; and prose naming
        a JSON key ("set the `urgency` field") that the output schema does not define.

    Why it matters:
        The `output` declaration decides what the runtime asks the provider for and
        validates. When the prose says otherwise, the model is torn between two formats,
        and replies fail to parse or show stray symbols. A key the schema lacks is never
        filled, or is rejected by validation.

    Example:
        output json {answer: str, escalate: bool}
        system \"\"\"Respond in plain text. Set the `urgency` field to "high" for outages.\"\"\"

    Use instead:
        Make the prose and the declaration agree: `output text` for prose replies; for
        JSON, say which field holds the text ("write `answer` in Markdown"), and name only
        keys the schema defines.

    Options:
        None.
    """

    code = Code("PC505", "format-conflict", "Format instructions contradict the output declaration or each other.",
                Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        output = ctx.module.output
        decl = ctx.module.syntax.of(ast.OutputDecl)
        labels = [Label(decl[0].span, "the output is declared here")] if decl else []
        prose = [m for m in ctx.models if m.role != "assistant"]  # assistant turns are sample replies
        if output.get("type") == "json":
            keys = _property_names(output.get("schema"))
            yield from self._against_json(ctx, prose, keys, labels)
            if keys:
                yield from self._unknown_keys(ctx, prose, keys)
        elif output.get("type") == "text":
            yield from self._against_text(prose, labels)
        for model in prose:
            yield from self._conflicts(model, output)

    def _against_text(self, prose: list[MessageModel], labels) -> Iterator[Diagnostic]:
        declared = "declares `output text`" if labels else "declares no `output`, so replies are text"
        for model in prose:
            found = _first_demand(model, json=True)
            if found:
                yield self.report(model.doc.span(found.start, found.unit.end),
                                  f"the prose asks for a JSON reply, but the module {declared}", labels=labels,
                                  notes=("declare the shape with `output json {…}` so the runtime requests and "
                                         "validates JSON",))

    def _against_json(self, ctx, prose: list[MessageModel], keys, labels) -> Iterator[Diagnostic]:
        for model in prose:
            for unit in model.units:
                ban = next((d for d in model.formats(unit) if d.whole and d.format == "json" and d.polarity == "forbid"),
                           None)
                if ban and not unit.example and not model.condition(unit):
                    yield self.report(model.doc.span(ban.start, unit.end),
                                      "the prose forbids JSON, but the module declares `output json`", labels=labels,
                                      notes=("remove the sentence, or declare `output text`",))
        # Prose that mentions JSON or the schema's keys anywhere is taken to describe the text
        # inside a JSON field ("answer" in Markdown), which is how std.format pairs them.
        if any(m.mentions_json for m in ctx.models) or any(
                m.quotes(k) for m in ctx.models for k in keys or ()):
            return
        for model in prose:
            found = _first_demand(model, json=False)
            if found:
                yield self.report(model.doc.span(found.start, found.unit.end),
                                  f"the prose asks for a {found.format} reply, but the module declares `output json`",
                                  labels=labels, notes=("declare `output text`, or say which JSON field the text "
                                                        "goes in (\"write `answer` in Markdown\")",))

    def _unknown_keys(self, ctx, prose: list[MessageModel], keys: set[str]) -> Iterator[Diagnostic]:
        others = _other_names(ctx) | _enum_values(ctx.module.output.get("schema"))
        for model in prose:
            seen: set[str] = set()
            for unit in model.units:
                for key in [] if unit.example else model.json_keys(unit, keys):
                    name = key.name
                    if name in keys or name in others or name in seen:
                        continue
                    seen.add(name)
                    best = did_you_mean(name, keys)
                    note = f"did you mean `{best}`?" if best else f"the schema's fields: {', '.join(sorted(keys))}"
                    yield self.report(model.doc.span(key.start, key.start + len(name)),
                                      f"`{name}` is not a field of the output schema", notes=(note,))

    def _conflicts(self, model: MessageModel, output: dict) -> Iterator[Diagnostic]:
        """Format conflicts inside the prose, and prose around a declared JSON reply."""
        for c in model.conflicts(output):
            if c.kind != "format":
                continue
            first = model.doc.span(*c.first) if c.label else None
            yield self.report(model.doc.span(*c.at), f"format conflict: {c.message}",
                              labels=[Label(first, c.label)] if first else [], kind="format",
                              notes=("keep one, or put them in separate `{% if %}` branches, or say where each "
                                     "applies (\"use headings in the report; no Markdown in the summary\")",))


# --- helpers ------------------------------------------------------------------------

def _reply_format(demands: tuple[FormatDemand, ...], *, json: bool) -> FormatDemand | None:
    """The unit's demand for a JSON reply (`json`), or for a text format."""
    return next((d for d in demands if d.whole and d.polarity == "require" and (d.format == "json") == json), None)


def _first_demand(model: MessageModel, *, json: bool) -> FormatDemand | None:
    """The first unconditional instruction (not a statement, not an "if …" case) outside
    examples asking for a JSON reply (`json`) or a text one, as its demand."""
    for ins in model.directives():
        found = _reply_format(model.formats(ins.unit), json=json)
        if found and ins.modality == "require" and not model.condition(ins):
            return found
    return None


def _clashes(banned: str, asked: str) -> bool:
    """Plain text rules out Markdown as such; "no Markdown" rules out every construct; a
    ban on one construct rules out that construct only."""
    if banned == "plain":
        return asked == "markdown"
    return banned == "markdown" or banned == asked


def _walk(schema) -> Iterator[dict]:
    """Every subschema (and `$defs` table) of a JSON Schema, skipping literal data such as
    `enum` and `default` values."""
    if isinstance(schema, dict):
        yield schema
        for key, value in schema.items():
            if key in ("enum", "const", "default", "examples"):
                continue
            if key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    yield from _walk(sub)
            else:
                yield from _walk(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _walk(item)


def _property_names(schema) -> set[str] | None:
    """Every property name at any depth, or None when the schema cannot be known
    (no properties, pattern properties, or a `$ref` outside the file)."""
    if not isinstance(schema, dict):
        return None
    names: set[str] = set()
    for node in _walk(schema):
        ref = node.get("$ref")
        if "patternProperties" in node or (isinstance(ref, str) and not ref.startswith("#")):
            return None
        if isinstance(node.get("properties"), dict):
            names.update(node["properties"])
    return names or None


def _enum_values(schema) -> set[str]:
    """Values the schema allows by name (`"high"` in `Set "urgency" to "high"`): not keys."""
    out: set[str] = set()
    for node in _walk(schema):
        if isinstance(node.get("enum"), list):
            out.update(str(v) for v in node["enum"])
        if isinstance(node.get("const"), str):
            out.add(node["const"])
    return out


def _other_names(ctx: LintContext) -> set[str]:
    """Inputs, their object fields, tools and tool parameters: prose may call these fields too."""
    names: set[str] = set(ctx.module.tools)
    for tool in ctx.module.tools.values():
        names.update(p.name for p in tool.params)

    def add(ty) -> None:
        ty = T.strip_optional(ty)
        if isinstance(ty, T.List):
            add(ty.item)
        elif isinstance(ty, T.Map):
            add(ty.value)
        elif isinstance(ty, T.Object):
            for key, sub in ty.fields:
                names.add(key)
                add(sub)

    for sym in ctx.module.inputs:
        names.add(sym.name)
        add(sym.type)
    return names
