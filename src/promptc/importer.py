"""`promptc import`: turn a plain prompt file into a `.prompt` module.

The module has front matter (`version: 0.1.0`, and `purpose` and `owner` to fill in), one
`input NAME: str` per placeholder, and one `system` text block that renders the
original text exactly:

- placeholders `{x}`, `{{x}}`, `${x}` and `<X_Y>` (an ALL_CAPS or snake_case name alone in
  angle brackets, with no closing tag `</X_Y>` anywhere in the file) become `{{ x }}`;
- every other `{{`, `{%` and `{#` is written as a string expression (`{{ "{%" }}`), so the
  template engine leaves it alone; a run of three or more `"` (which would close the text
  block) is written the same way;
- whitespace that the text-block rules would remove (leading and trailing blank lines, and
  indentation common to every line) is kept by writing it as a string expression too.

The one normalisation (see `normalise`): the text is the file decoded as UTF-8 with a BOM
dropped, CRLF and CR turned into LF, and the file's final line terminator (one `\\n` at the
very end) not part of the prompt. Rendering the module with every placeholder bound to a
value gives exactly that text with the placeholders replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .source import decode_source
from .syntax.textblock import common_margin

# Names a placeholder cannot take as an input (it stays literal text): the template
# language's literals and operator words, and the names it reserves.
_RESERVED = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "elif", "endif", "for", "endfor", "true", "false", "none",
    "True", "False", "None", "loop", "tools",
})

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# `<X>` is a slot only for ALL_CAPS (`<USER_NAME>`, `<NAME>`) or snake_case with an
# underscore (`<user_name>`): single lowercase words are HTML/XML tags (`<br>`, `<context>`).
_ANGLE = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
PLACEHOLDER_RE = re.compile(
    r"\{\{\s*(?P<mustache>" + _IDENT + r")\s*\}\}"
    r"|\$\{\s*(?P<dollar>" + _IDENT + r")\s*\}"
    r"|\{(?P<brace>" + _IDENT + r")\}"
    r"|<(?P<angle>" + _ANGLE + r")>"
)
_SPECIAL_RE = re.compile(r'\{[{%#]|"{3,}')


def normalise(text: str) -> str:
    """What a plain prompt file's text is: CRLF/CR → LF, and no final line terminator."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:-1] if text.endswith("\n") else text


@dataclass(frozen=True)
class Placeholder:
    name: str
    start: int
    end: int
    form: str  # "mustache" | "dollar" | "brace" | "angle"


def find_placeholders(text: str) -> list[Placeholder]:
    """The placeholders of `text`, in order, not overlapping."""
    out = []
    for m in PLACEHOLDER_RE.finditer(text):
        form = m.lastgroup or ""
        name = m.group(form)
        if name in _RESERVED:
            continue
        if form == "angle" and f"</{name}>" in text:
            continue  # an XML-style section such as <EXAMPLES>…</EXAMPLES>
        out.append(Placeholder(name, m.start(), m.end(), form))
    return out


@dataclass
class Imported:
    source: str  # the `.prompt` module text
    inputs: list[str] = field(default_factory=list)
    text: str = ""  # the prompt text it renders (with placeholders in place)


def string_literal(value: str) -> str:
    """A template string literal for `value`, with no raw newline and never three `"` in a row."""
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == " " or (ch.isprintable() and not ch.isspace()):
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _expr(value: str) -> str:
    return "{{ " + string_literal(value) + " }}"


def _escape_literal(text: str) -> list[tuple[str, str]]:
    """Split literal text into ("lit", s) and ("expr", source) parts."""
    parts: list[tuple[str, str]] = []
    at = 0
    for m in _SPECIAL_RE.finditer(text):
        if m.start() > at:
            parts.append(("lit", text[at:m.start()]))
        parts.append(("expr", _expr(m.group(0))))
        at = m.end()
    if at < len(text):
        parts.append(("lit", text[at:]))
    return parts


def body_source(text: str, placeholders: list[Placeholder]) -> str:
    """The text of a text block that renders `text`, with `placeholders` as variables."""
    parts: list[tuple[str, str]] = []
    at = 0
    for p in placeholders:
        parts.append(("lit", text[at:p.start]))
        parts.append(("expr", "{{ " + p.name + " }}"))
        at = p.end
    parts.append(("lit", text[at:]))
    return block_source(parts)


def block_source(parts: list[tuple[str, str]]) -> str:
    """The text of a text block that renders exactly the concatenation of `parts`:
    ("lit", text) is literal text, ("expr", "{{ … }}") and ("tag", "{% … %}") template code.

    Whatever the text-block rules (leading and trailing blank lines, common indentation) or
    the template's block-tag rules (the newline after a tag, the indentation before one)
    would remove is written as a string expression, so nothing is lost.
    """
    parts = [(k, v) for k, v in parts if k != "lit" or v]
    if not parts:
        return ""
    if all(k == "lit" for k, _ in parts) and not "".join(v for _, v in parts).strip():
        return _expr("".join(v for _, v in parts))
    out: list[tuple[str, str]] = []
    last = len(parts) - 1
    for i, (kind, value) in enumerate(parts):
        if kind != "lit":
            out.append((kind, value))
            continue
        prev = parts[i - 1][0] if i > 0 else None
        nxt = parts[i + 1][0] if i < last else None
        head: list[tuple[str, str]] = []
        tail: list[tuple[str, str]] = []
        if i == 0:  # leading blank lines
            lead = value[: len(value) - len(value.lstrip())]
            lead = lead[: lead.rfind("\n") + 1]
            if lead:
                head.append(("expr", _expr(lead)))
                value = value[len(lead):]
        elif prev == "tag" and value.startswith("\n"):  # a tag swallows the newline after it
            head.append(("expr", _expr("\n")))
            value = value[1:]
        if i == last:  # trailing blank lines
            trail = value[len(value.rstrip()):]
            trail = trail[trail.find("\n"):] if "\n" in trail else ""
            if trail and value.strip():
                tail.insert(0, ("expr", _expr(trail)))
                value = value[: len(value) - len(trail)]
            elif trail:  # whitespace only, after code
                tail.insert(0, ("expr", _expr(value)))
                value = ""
        elif nxt == "tag":  # a tag swallows the indentation before it on its line
            m = re.search(r"[ \t]+\Z", value)
            if m and (value[: m.start()].endswith("\n") or (m.start() == 0 and i == 0 and not head)):
                tail.insert(0, ("expr", _expr(m.group(0))))
                value = value[: m.start()]
        out.extend(head)
        out.extend(_escape_literal(value) if value else [])
        out.extend(tail)
    # A literal `{` right before code would merge with its `{{` or `{%`.
    fixed: list[tuple[str, str]] = []
    for i, (kind, value) in enumerate(out):
        nxt = out[i + 1][0] if i + 1 < len(out) else None
        if kind == "lit" and nxt in ("expr", "tag") and value.endswith("{"):
            if value[:-1]:
                fixed.append(("lit", value[:-1]))
            fixed.append(("expr", _expr("{")))
        else:
            fixed.append((kind, value))
    body = "".join(value for _, value in fixed)
    # Indentation common to every line (when the first line is not already an expression).
    lines = body.split("\n")
    if (common_margin(lines) or 0) > 0 or lines[0][:1] in (" ", "\t"):
        first = lines[0]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        if indent:
            lines[0] = _expr(indent) + first[len(indent):]
            body = "\n".join(lines)
    return body


def convert(data: bytes | str, *, origin: str = "") -> Imported:
    """Build the `.prompt` module for a plain prompt file's content."""
    text = normalise(decode_source(data) if isinstance(data, bytes) else data)
    placeholders = find_placeholders(text)
    inputs: list[str] = []
    for p in placeholders:
        if p.name not in inputs:
            inputs.append(p.name)
    lines = ["---", "version: 0.1.0",
             "# purpose: say in one sentence what this prompt is for, then remove the `#`",
             "# owner: name@example.com (who approves the wording), then remove the `#`",
             "---"]
    if origin:
        lines.append(f"# Imported from {origin} by `promptc import`.")
    if inputs:
        lines.append("")
        lines.extend(f"input {name}: str" for name in inputs)
    lines.append("")
    body = body_source(text, placeholders)
    lines.append('system """')
    if body:
        lines.append(body)
    lines.append('"""')
    return Imported("\n".join(lines) + "\n", inputs, text)
