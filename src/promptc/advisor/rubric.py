"""What the model is asked, and how its reply is read.

The instructions (`INSTRUCTIONS`) are the same for every prompt; `request_text` gives the
prompt itself with its declared interface. Both, with the model's name and
`RUBRIC_VERSION`, decide whether a cached reply still answers: change the instructions and
bump the version (a test holds the two together).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..diagnostics import Code, Severity

RUBRIC_VERSION = "1"


@dataclass(frozen=True)
class Kind:
    name: str  # as the model writes it
    code: Code
    quotes: int  # how many quotes a finding of this kind needs at least
    static: frozenset[str]  # static rules whose finding on the same passages makes this one redundant
    ask: str  # how the instructions describe it


def _code(number: int, name: str, description: str) -> Code:
    return Code(f"PCR{number:02d}", f"review/{name}", description, Severity.INFO)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("conflict", _code(1, "conflict", "A reviewing model found two passages that cannot both be followed."), 2,
         frozenset({"conflicting-instructions", "format-conflict", "tone-collision"}),
         "two passages a model cannot both satisfy in the same situation, where nothing in the prompt "
         "scopes them apart. Give its `conflict_kind`: numeric (incompatible quantities for the same thing), "
         "polarity (the same action required and forbidden), length (brevity against elaboration for the "
         "same output), format (incompatible output formats), example (the prompt's own example or template "
         "contradicts its instruction), schema (a declared structure disagrees with itself or with the "
         "declared output), identifier (a name the prompt defines is referred to under another spelling), "
         "scope (a blanket rule with an unmarked exception elsewhere), or other."),
    Kind("tone-collision", _code(2, "tone-collision", "A reviewing model found registers that cannot be heard at once."),
         2, frozenset({"tone-collision", "conflicting-instructions"}),
         "two passages asking for registers that cannot both be heard in one reply (strictly formal against "
         "casual with emojis; \"no jokes\" against \"be playful\")."),
    Kind("stale-tool", _code(3, "stale-tool", "A reviewing model found prose naming a tool or capability that is "
                                              "not declared."), 1,
         frozenset({"stale-tool-reference"}),
         "prose telling the model to call or use a tool, function or capability that the declared tools do "
         "not provide, or under a name that differs from the declared one. Quote the name as the prose "
         "writes it. Skip this kind when the interface declares no tools (they are supplied elsewhere)."),
    Kind("unvalidated-input", _code(4, "unvalidated-input", "A reviewing model found an input placed where it can "
                                                            "pass for instructions."), 1,
         frozenset({"unvalidated-variable"}),
         "an input (shown as {{name}}) whose value the caller controls, placed in the text so that the model "
         "could take it for instructions: not delimited (by tags, a fence or quotes) and not introduced as "
         "data. Quote the passage that includes the {{name}} placeholder."),
    Kind("format-locking", _code(5, "format-locking", "A reviewing model found a rigid prescription with no "
                                                      "fallback."), 1,
         frozenset({"format-locking"}),
         "a rigid prescription with no way out when the content does not fit: an exact count (\"exactly 3 "
         "bullet points\") with no fallback, or absolute capitals stacked on one rule."),
)}

CONFLICT_KINDS = ("numeric", "polarity", "length", "format", "example", "schema", "identifier", "scope", "other")
SEVERITY_KEYS = ("default", *KINDS, *(k.code.name for k in KINDS.values()))


def check_severity_keys(value):
    """The `[review] severity` table names kinds (or `default`); anything else is a mistake."""
    if isinstance(value, dict):
        for key in value:
            if key not in SEVERITY_KEYS:
                raise ValueError(f"unknown kind `{key}`; use one of {', '.join(('default', *KINDS))}")
    return value


def severity_of(kind: str, setting) -> Severity | None:
    """The configured severity of a kind's findings; None when the kind is off."""
    if isinstance(setting, str):
        return Severity(setting)
    level = setting.get(kind) or setting.get(KINDS[kind].code.name) or setting.get("default") or "info"
    return None if level == "off" else Severity(level)


def _kind_lines() -> str:
    return "\n".join(f"- `{k.name}`: {k.ask}" for k in KINDS.values())


INSTRUCTIONS = f"""\
You review prompts that a team sends to a language model, as a careful human reviewer would,
and report only defects you are sure of. You are one part of a linter: your findings are
shown to the prompt's authors next to the file and line of each passage you quote.

The prompt comes as its declared interface (inputs, tools, output) followed by its messages.
Fragments it imports are already inlined. `{{{{name}}}}` marks where the value of input `name`
is inserted at run time. `{{% if #N branch K %}}` … `{{% endif #N %}}` enclose text that is sent
only in branch K of conditional #N (`else` is the last branch): different branches of one
conditional are never sent together, so they never conflict.

Report findings of these kinds only:
{_kind_lines()}

These are not findings: passages in different branches, modes, sections or conditions that
the prompt keeps apart; a general rule with an explicitly marked exception; instructions
about different objects; hedges a reader can satisfy together ("concise but complete");
quoted user text, examples of bad output marked as bad, and content the model is told to
analyse; repeated boilerplate (repetition is not a conflict).

Quote exactly. Each quote must be copied character for character from the messages (not
from the interface), 5 to 200 characters, one passage per quote, without added ellipses or
changes of case, spacing or punctuation. A finding whose quotes do not appear in the
messages is discarded. For a conflict or tone collision, quote both passages.

Reply with one JSON object and nothing else:
{{"findings": [{{"kind": "conflict", "conflict_kind": "numeric",
                "quotes": ["first passage", "second passage"],
                "message": "One sentence: why both cannot hold.",
                "suggestion": "One sentence: what to write instead."}}]}}
`conflict_kind` is only for kind `conflict`. With no findings, reply {{"findings": []}}.
"""


def request_text(name: str, path: str, interface: dict, messages: list[tuple[str, str]]) -> str:
    """The text sent for one prompt: its name, interface and messages (role, text)."""
    lines = [f"Prompt `{name}` ({path}).", "", "Interface:"]
    inputs = interface.get("inputs")
    if inputs is None:
        lines.append("- inputs: none declared (a plain prompt file: placeholders in it are text)")
    else:
        props = inputs.get("properties") or {}
        required = set(inputs.get("required") or ())
        if not props:
            lines.append("- inputs: none")
        for input_name, schema in props.items():
            need = "required" if input_name in required else "optional"
            lines.append(f"- input `{input_name}` ({need}): {json.dumps(schema, ensure_ascii=False, sort_keys=True)}")
    tools = interface.get("tools")
    if tools is None:
        lines.append("- tools: none declared (any the prose names are supplied elsewhere)")
    elif not tools:
        lines.append("- tools: none")
    for tool in tools or ():
        params = json.dumps(tool.get("parameters") or {}, ensure_ascii=False, sort_keys=True)
        lines.append(f"- tool `{tool['name']}`: {tool.get('description') or ''} Parameters: {params}")
    output = interface.get("output")
    if output is None:
        lines.append("- output: not declared")
    elif output.get("type") == "json":
        lines.append(f"- output: JSON, schema {json.dumps(output.get('schema') or {}, ensure_ascii=False, sort_keys=True)}")
    else:
        lines.append(f"- output: {output.get('type', 'text')}")
    for i, (role, text) in enumerate(messages, 1):
        lines += ["", f"<message {i} role=\"{role}\">", text, f"</message {i}>"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RawFinding:
    """A finding as the model wrote it, before its quotes are looked up."""

    kind: str
    quotes: tuple[str, ...]
    message: str
    conflict_kind: str | None = None
    suggestion: str | None = None


class ReplyError(ValueError):
    """The model's reply is not the JSON object the instructions ask for."""


_FENCE_RE = re.compile(r"```(?:json)?\s*\n(.*?)\n\s*```", re.S)


def _json_object(content: str) -> dict:
    text = content.strip()
    candidates = [text]
    fenced = _FENCE_RE.search(text)
    if fenced:
        candidates.append(fenced.group(1))
    if "{" in text:
        candidates.append(text[text.index("{"):text.rindex("}") + 1] if "}" in text else text)
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ReplyError(f"the reply is not a JSON object: {_excerpt(content)}")


def _excerpt(text: str, limit: int = 120) -> str:
    one = " ".join(text.split())
    return json.dumps(one if len(one) <= limit else one[:limit] + "…", ensure_ascii=False)


def parse_reply(content: str) -> tuple[list[RawFinding], int]:
    """The findings of a reply and the number left out because they were not understood
    (unknown kind, too few quotes, wrong types). Raises ReplyError when the reply as a
    whole is not `{"findings": [...]}`."""
    data = _json_object(content)
    items = data.get("findings")
    if not isinstance(items, list):
        raise ReplyError(f"the reply has no `findings` list: {_excerpt(content)}")
    found: list[RawFinding] = []
    malformed = 0
    for item in items:
        finding = _finding(item)
        if finding is None:
            malformed += 1
        else:
            found.append(finding)
    return found, malformed


def _finding(item) -> RawFinding | None:
    if not isinstance(item, dict):
        return None
    kind = KINDS.get(item.get("kind"))
    quotes = item.get("quotes")
    message = item.get("message")
    if kind is None or not isinstance(quotes, list) or not isinstance(message, str) or not message.strip():
        return None
    if not all(isinstance(q, str) and q.strip() for q in quotes) or len(quotes) < kind.quotes:
        return None
    sub = item.get("conflict_kind")
    sub = sub if isinstance(sub, str) and sub in CONFLICT_KINDS and kind.name == "conflict" else None
    suggestion = item.get("suggestion")
    suggestion = suggestion.strip() if isinstance(suggestion, str) and suggestion.strip() else None
    return RawFinding(kind.name, tuple(q.strip() for q in quotes), message.strip(), sub, suggestion)
