"""format-conflict: the reply format the prose asks for must agree with the `output`
declaration, with itself, and with the output schema's field names."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Label, Severity, did_you_mean
from ...semantic import types as T
from ...syntax import ast
from ..model import MessageModel, Unit
from ..rule import LintContext, Rule

# --- vocabulary: what a sentence asks of the reply's format -------------------------

_MODS = r"(?:(?:a|an|one|the|single|valid|raw|pure|strict|well-formed|parseable|only|strictly|just)\s+)*"
#: "Return ONLY a JSON object", "Respond with valid JSON", "Your reply must be JSON".
_JSON_REPLY_RE = re.compile(
    r"\b(?:respond|reply|answer|return|output|produce|emit|format)\s+"
    r"(?:(?:only|strictly|exclusively|just|back|always|your\s+(?:answer|response|reply|output))\s+)*"
    r"(?:(?:with|in|as|using)\s+)?" + _MODS + r"JSON\b"
    r"|\b(?:reply|response|answer|output)\s+(?:must|should|will)\s+be\s+(?:in\s+)?" + _MODS + r"JSON\b", re.I)
#: "Do not respond in JSON", "no JSON." (but not "do not wrap the JSON", "no JSON comments").
_NO_JSON_RE = re.compile(
    r"\b(?:do not|don't|never|must not|should not)\s+(?:use|return|output|respond|reply|answer|write|produce|format)\w*"
    r"\s+(?:(?:with|in|as|using)\s+)?(?:any\s+|a\s+)?JSON\b(?!\s+(?:code|fences?|blocks?|comments?|keys?))"
    r"|\bno JSON\s*(?:[.,;)]|$)|\binstead of JSON\b|\bnot (?:as |in )?JSON\s*(?:[.,;)]|$)", re.I)
_TEXT_FORMATS = r"(?P<fmt>plain[- ]text|prose|plain english|natural language|markdown)"
#: "Respond in plain text", "Format replies in Markdown", "Write plain text", "Use Markdown".
_TEXT_REPLY_RE = re.compile(
    r"\b(?:respond|reply|answer|write|format)\w*\s+(?:(?:your|the|all|replies|responses|answers|output|"
    r"everything|only|always)\s+)*(?:in|as|with|using)\s+(?:(?:simple|clean|conversational|github-flavou?red)\s+)*"
    + _TEXT_FORMATS + r"\b"
    r"|\b(?:write|use|output|return)\s+(?:only\s+)?(?P<fmt2>plain[- ]text|markdown)(?:\s+formatting)?"
    r"\s*(?:only\b|[.,:;]|$)"
    r"|\b(?:reply|response|answer|output)\s+(?:must|should)\s+be\s+(?:written\s+)?(?:in\s+)?(?P<fmt3>plain[- ]text|"
    r"prose|markdown)\b", re.I)


def _elements(group: str) -> str:
    """Markdown constructs that plain text cannot show. Lists are not among them: "- item"
    reads the same in plain text."""
    return rf"(?P<{group}>headings?|headers?|tables?|bold(?:\s+text)?|code blocks?|links?)"


#: "No Markdown", "without Markdown formatting", "avoid Markdown".
_NO_MARKDOWN_RE = re.compile(r"\b(?:no|without|avoid(?:ing)?)\s+(?:any\s+)?markdown(?:\s+(?:formatting|syntax|markup))?"
                             r"\b(?!\s+(?:links?|headings?|headers?|tables?|code|bold|italics?|lists?|bullets?))", re.I)
#: After a prohibition cue: "use Markdown", "use Markdown headings", "add tables", "Markdown".
_AFTER_NO_RE = re.compile(r"^\s*(?:ever\s+)?(?:(?:use|using|write|writing|include|including|add|adding|apply|output|"
                          r"return|format\w*)\s+|(?=markdown))(?:(?:any|markdown|section|bold)\s+)*"
                          r"(?:(?P<md>markdown)\b(?:\s+(?:formatting|syntax))?(?:\s+" + _elements("el") + r")?|"
                          + _elements("el2") + r"\b)", re.I)
#: After a requirement: "use Markdown", "use headings", "include a table".
_REQUIRE_ELEMENT_RE = re.compile(
    r"\b(?:use|add|include)\s+(?:(?:a|an|clear|short|section|markdown|descriptive|simple)\s+)*"
    + _elements("el") + r"\b"
    r"|\b(?:use|format\w*|write|respond|reply|answer)\b[^.;]{0,30}?\b(?P<md>markdown)\b(?!\s+(?:links?|headings?|"
    r"headers?|tables?|code|bold|lists?|bullets?))", re.I)
_GENERIC_PLACES = {"your", "the", "all", "any", "each", "every", "a", "response", "responses", "reply", "replies",
                   "answer", "answers", "output", "message", "messages", "text", "chat", "this", "general"}
_SCOPE_RE = re.compile(r"^[^.;]{0,25}?\b(?:in|for|inside|within)\s+(\w+)(?:\s+(\w+))?", re.I)

# --- vocabulary: prose that names a key of the JSON reply ----------------------------

_Q = r"[`\"“‘']"
_NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
_KEY_RES = [
    re.compile(r"\b(?:the|a|an|each|every|its|top-level|nested)\s+" + _Q + _NAME + _Q +
               r"\s+(?:field|key|property|attribute)s?\b", re.I),
    re.compile(r"\b(?:field|key|property|attribute)\s+(?:named\s+|called\s+)?" + _Q + _NAME + _Q, re.I),
    re.compile(r"\b(?:set|fill(?:\s+in)?|populate)\s+(?:the\s+)?" + _Q + _NAME + _Q + r"\s+(?:to|as|with)\b", re.I),
    re.compile(_Q + _NAME + _Q + r"\s*:\s*(?:true|false|null|-?\d|\"|\[|\{)"),
]
_BULLET_KEY_RE = re.compile(r"^\s*" + _Q + _NAME + _Q + r"\s*(?::|—|–| - )")


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
            yield from self._markdown_conflicts(model)

    def _against_text(self, prose: list[MessageModel], labels) -> Iterator[Diagnostic]:
        declared = "declares `output text`" if labels else "declares no `output`, so replies are text"
        for model in prose:
            found = _first_demand(model, _JSON_REPLY_RE)
            if found:
                unit, m = found
                yield self.report(model.doc.span(unit.start + m.start(), unit.end),
                                  f"the prose asks for a JSON reply, but the module {declared}", labels=labels,
                                  notes=("declare the shape with `output json {…}` so the runtime requests and "
                                         "validates JSON",))

    def _against_json(self, ctx, prose: list[MessageModel], keys, labels) -> Iterator[Diagnostic]:
        for model in prose:
            for unit in model.units:
                m = _NO_JSON_RE.search(unit.plain)
                if m and not unit.example and not model.condition(unit):
                    yield self.report(model.doc.span(unit.start + m.start(), unit.end),
                                      "the prose forbids JSON, but the module declares `output json`", labels=labels,
                                      notes=("remove the sentence, or declare `output text`",))
        # Prose that mentions JSON or the schema's keys anywhere is taken to describe the text
        # inside a JSON field ("answer" in Markdown), which is how std.format pairs them.
        if any(re.search(r"\bjson\b", m.doc.text, re.I) for m in ctx.models) or any(
                re.search(_Q + re.escape(k) + _Q, m.doc.text) for m in ctx.models for k in keys or ()):
            return
        for model in prose:
            found = _first_demand(model, _TEXT_REPLY_RE)
            if found:
                unit, m = found
                yield self.report(model.doc.span(unit.start + m.start(), unit.end),
                                  f"the prose asks for a {_fmt(m)} reply, but the module declares `output json`",
                                  labels=labels, notes=("declare `output text`, or say which JSON field the text "
                                                        "goes in (\"write `answer` in Markdown\")",))

    def _unknown_keys(self, ctx, prose: list[MessageModel], keys: set[str]) -> Iterator[Diagnostic]:
        others = _other_names(ctx) | _enum_values(ctx.module.output.get("schema"))
        for model in prose:
            seen: set[str] = set()
            for unit in model.units:
                for name, start in [] if unit.example else _key_mentions(model, unit, keys):
                    if name in keys or name in others or name in seen:
                        continue
                    seen.add(name)
                    best = did_you_mean(name, keys)
                    note = f"did you mean `{best}`?" if best else f"the schema's fields: {', '.join(sorted(keys))}"
                    yield self.report(model.doc.span(start, start + len(name)),
                                      f"`{name}` is not a field of the output schema", notes=(note,))

    def _markdown_conflicts(self, model: MessageModel) -> Iterator[Diagnostic]:
        bans: list[tuple[Unit, str, int]] = []  # (sentence, what it forbids, where in the sentence)
        asks: list[tuple[Unit, str, int]] = []
        for ins in model.directives():
            unit = ins.unit
            bans += [(unit, what, at) for what, at in _banned(unit, ins.cue if ins.modality == "prohibit" else None)]
            if ins.modality == "require":
                asks += [(unit, what, at) for what, at in _asked(unit)]
                m = _TEXT_REPLY_RE.search(unit.plain)
                if m and _fmt(m).startswith("plain"):
                    bans.append((unit, "plain", m.start()))
        reported: set[int] = set()
        for ban, banned, ban_at in bans:
            for ask, asked, ask_at in asks:
                if ask is ban or not _clashes(banned, asked) or not model.always_together(ban, ask):
                    continue
                (first, first_at), (later, later_at) = sorted(((ban, ban_at), (ask, ask_at)),
                                                              key=lambda x: x[0].start + x[1])
                if id(later) in reported:
                    continue
                reported.add(id(later))
                what = "Markdown" if asked == "markdown" else asked + "s"
                rule = "asks for plain text" if banned == "plain" else "forbids " + (
                    "Markdown" if banned == "markdown" else banned + "s")
                yield self.report(model.doc.span(later.start + later_at, later.end),
                                  f"one instruction {rule} and another asks for {what}; both apply to the same reply",
                                  labels=[Label(model.doc.span(first.start + first_at, first.end),
                                                "the other instruction")],
                                  notes=("keep one, or put them in separate `{% if %}` branches, or say where each "
                                         "applies (\"use headings in the report; no Markdown in the summary\")",))


# --- helpers ------------------------------------------------------------------------

def _first_demand(model: MessageModel, regex: re.Pattern) -> tuple[Unit, re.Match] | None:
    """The first unconditional instruction (not a statement, not an "if …" case) matching
    `regex`, outside examples, with the match."""
    for ins in model.directives():
        m = regex.search(ins.unit.plain)
        if m and ins.modality == "require" and not model.condition(ins):
            return ins.unit, m
    return None


def _fmt(m: re.Match) -> str:
    """The format a `_TEXT_REPLY_RE` match names: "plain text", "prose", "markdown", …"""
    return (m.group("fmt") or m.group("fmt2") or m.group("fmt3")).lower().replace("-", " ")


def _scoped(unit: Unit, end: int) -> bool:
    """"no Markdown in commit messages": the format word is limited to one kind of text."""
    m = _SCOPE_RE.match(unit.plain[end:])
    return bool(m and m.group(1).lower() not in _GENERIC_PLACES)


def _norm(element: str) -> str:
    """One name per construct: "Headers" → "heading", "code blocks" → "code block"."""
    e = element.lower().split()[0].rstrip("s")
    return {"header": "heading", "code": "code block"}.get(e, e)


def _banned(unit: Unit, cue: str | None) -> list[tuple[str, int]]:
    """What the sentence forbids ("markdown", or one construct such as "heading"), with the
    offset of the words that say so. `cue` is the prohibition cue, if the sentence has one."""
    plain = unit.plain
    out = []
    m = _NO_MARKDOWN_RE.search(plain)
    if m and not _scoped(unit, m.end()):
        out.append(("markdown", m.start()))
    at = re.search(r"\b" + re.escape(cue) + r"\b", plain, re.I) if cue else None
    after = _AFTER_NO_RE.match(plain[at.end():]) if at else None
    if after and not _scoped(unit, at.end() + after.end()):
        element = after.group("el") or after.group("el2")
        out.append((_norm(element) if element else "markdown", at.start()))
    return out


def _asked(unit: Unit) -> list[tuple[str, int]]:
    """What the sentence asks for ("markdown" or a construct), with offsets."""
    return [("markdown" if m.group("md") else _norm(m.group("el")), m.start())
            for m in _REQUIRE_ELEMENT_RE.finditer(unit.plain) if not _scoped(unit, m.end())]


def _clashes(banned: str, asked: str) -> bool:
    """Plain text rules out Markdown as such; "no Markdown" rules out every construct; a
    ban on one construct rules out that construct only."""
    if banned == "plain":
        return asked == "markdown"
    return banned == "markdown" or banned == asked


def _key_mentions(model: MessageModel, unit: Unit, keys: set[str]) -> Iterator[tuple[str, int]]:
    """Names the sentence uses as keys of the JSON reply, with their document offsets. A
    bulleted `"name": …` counts only in a list where another bullet names a real key."""
    for regex in _KEY_RES:
        for m in regex.finditer(unit.text):
            yield m.group("name"), unit.start + m.start("name")
    m = _BULLET_KEY_RE.match(unit.text)
    if m and unit.kind == "bullet":
        siblings = [u for u in model.units if u.kind == "bullet" and u.section == unit.section and u is not unit]
        if any((s := _BULLET_KEY_RE.match(u.text)) and s.group("name") in keys for u in siblings):
            yield m.group("name"), unit.start + m.start("name")


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
