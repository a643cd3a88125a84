"""Prompty (`.prompty`, Microsoft) to a promptc module.

Front matter: `model` (id, options) → `model:`; `description` → `purpose`; `inputs`
(kinds, defaults, enum values, required) → typed inputs; `outputs` → `output json`;
`tools` of kind `function` → tool declarations; `sample` values type inputs the file does
not declare. Body: the role markers (`system:`, `user:`, `assistant:` on their own line)
→ messages, each with its leading and trailing empty lines removed as Prompty's parser
does; its Jinja (rendered with significant whitespace: no trim_blocks) → promptc's subset,
with `{%- -%}` resolved and every newline kept. Anything else raises InteropError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

from ..importer import block_source, string_literal
from ..semantic.portability import ALLOWED_FILTERS, expression_hint, statement_hint, unknown_tag_hint
from ..syntax.template import _OffsetLexer
from .common import IDENT, InteropError, Module, Shape, add_samples, shape_type, value_source
from .dotprompt import Conversion
from .picoschema import SchemaError, to_type

FRONT_RE = re.compile(r"^\s*(?:---|\+\+\+)(.*?)(?:---|\+\+\+)\s*(.+)$", re.S | re.M)
ROLE_RE = re.compile(r"^\s*#?\s*(system|user|assistant|developer)(\[[^\]]*\])?\s*:\s*$", re.I)
PROMPTY_KEYS = {"name", "displayName", "description", "metadata", "model", "inputs", "outputs", "tools", "template",
                "sample", "authors", "version", "tags", "inputSchema", "outputSchema", "kind", "id"}
OPTIONS = {"temperature": "temperature", "maxOutputTokens": "max_tokens", "max_tokens": "max_tokens", "topP": "top_p",
           "top_p": "top_p", "frequencyPenalty": "frequency_penalty", "frequency_penalty": "frequency_penalty",
           "presencePenalty": "presence_penalty", "presence_penalty": "presence_penalty", "seed": "seed",
           "stopSequences": "stop", "stop": "stop"}
KINDS = {"string": "str", "integer": "int", "float": "float", "number": "float", "boolean": "bool"}
RICH = {"thread", "image", "file", "audio"}


def is_prompty(text: str) -> bool:
    """Whether a file's text is a Prompty file: front matter in Prompty's shape."""
    m = FRONT_RE.match(text)
    if not m:
        return False
    try:
        front = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return False
    if not isinstance(front, dict) or not set(front) <= PROMPTY_KEYS:
        return False
    model = front.get("model")
    return bool({"inputs", "outputs", "template", "sample", "inputSchema"} & set(front)) or (
        isinstance(model, dict) and bool({"id", "api", "apiType", "configuration", "connection", "options",
                                          "parameters"} & set(model))) or bool(
        re.search(r"^\s*#?\s*(system|user|assistant)\s*:\s*$", m.group(2), re.M | re.I))


def _env() -> Environment:
    return Environment(keep_trailing_newline=True, autoescape=False)


@dataclass
class _Segment:
    role: str
    offset: int  # of its first line in the file
    text: str


@dataclass
class _State:
    inputs: dict[str, Shape] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)


def convert(text: str, *, module_name: str, samples: list[dict] | None = None, origin: str = "") -> Conversion:
    """The promptc module for a Prompty file's text (LF line ends)."""
    m = FRONT_RE.match(text)
    front: dict = {}
    body, body_offset = text, 0
    if m:
        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = _line_start(text, m.start(1), mark.line) if mark else 0
            raise InteropError(at, f"the front matter is not YAML: {getattr(exc, 'problem', exc)}",
                               "fix the YAML between the `---` lines") from None
        front = loaded if isinstance(loaded, dict) else {}
        body, body_offset = m.group(2), m.start(2)
    module = Module()
    files: dict[str, str] = {}
    declared, defaults, descriptions = _front(text, front, module, module_name, origin, files)
    sample_list = list(samples or [])
    if isinstance(front.get("sample"), dict):
        sample_list.append(front["sample"])
    state = _State(declared=declared)
    segments = _segments(body, body_offset)
    for seg in segments:
        _check_segment(seg, state, text)
    for sample in sample_list:
        for name, shape in state.inputs.items():
            add_samples(shape, sample.get(name))
    for name, value in defaults.items():
        if name in state.inputs:
            add_samples(state.inputs[name], value)
    converted = [(seg.role, _template(seg, state, text)) for seg in segments]
    names = list(declared) + [n for n in state.inputs if n not in declared]
    for name in names:
        ty = declared.get(name) or shape_type(state.inputs[name], name)
        comment = f"  # {descriptions[name]}" if name in descriptions else ""
        if name in defaults:
            module.inputs.append(f"input {name}: {ty.removesuffix('?')} = {value_source(defaults[name])}{comment}")
        else:
            module.inputs.append(f"input {name}: {ty}{comment}")
    for role, parts in converted:
        module.messages.append((role, block_source(parts)))
    return Conversion(module.source(), None, files, names)


def _line_start(text: str, base: int, line: int) -> int:
    at = base
    for _ in range(line):
        at = text.find("\n", at) + 1
    return at


def _key_offset(text: str, key: str) -> int:
    m = re.search(rf"^\s*-?\s*{re.escape(key)}\s*:", text, re.M)
    return m.start() + len(m.group(0)) - len(m.group(0).lstrip(" -")) if m else 0


def _front(text: str, front: dict, module: Module, module_name: str, origin: str,
           files: dict[str, str]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    module.front.append("version: 0.1.0")
    if front.get("description"):
        module.front.append(f"purpose: {json.dumps(str(front['description']).strip(), ensure_ascii=False)}")
    else:
        module.front.append("# purpose: say in one sentence what this prompt is for, then remove the `#`")
    module.front.append("# owner: name@example.com (who approves the wording), then remove the `#`")
    model_doc = front.get("model")
    model: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    if isinstance(model_doc, str):
        model["name"] = model_doc
    elif isinstance(model_doc, dict):
        name = model_doc.get("id") or (model_doc.get("configuration") or {}).get("name") or \
            (model_doc.get("configuration") or {}).get("azure_deployment")
        if name:
            model["name"] = str(name)
        if model_doc.get("provider"):
            model["provider"] = str(model_doc["provider"])
        api = model_doc.get("apiType") or model_doc.get("api")
        if api not in (None, "chat"):
            raise InteropError(_key_offset(text, "apiType" if "apiType" in model_doc else "api"),
                               f"`{api}` models take no chat messages; promptc prompts are chat messages",
                               "import only chat prompts", 7)
        options = {**(model_doc.get("parameters") or {}), **(model_doc.get("options") or {})}
        for key, value in options.items():
            if key not in OPTIONS:
                raise InteropError(_key_offset(text, key), f"the model option `{key}` has no promptc equivalent",
                                   "promptc's model settings are temperature, max_tokens, top_p, stop, seed, "
                                   "frequency_penalty, presence_penalty; remove it", len(key))
            model[OPTIONS[key]] = value
        for key in ("connection", "configuration"):
            if model_doc.get(key) is not None:
                kept[f"model.{key}"] = model_doc[key]
    if model:
        module.front.append("model: " + json.dumps(model, ensure_ascii=False))
    template = front.get("template")
    kind = template if isinstance(template, str) else ((template or {}).get("format") or {}).get("kind", "jinja2") \
        if isinstance((template or {}).get("format"), dict) else (template or {}).get("format", "jinja2")
    if kind not in (None, "jinja2"):
        raise InteropError(_key_offset(text, "format" if isinstance(template, dict) else "template"),
                           f"the template format `{kind}`: the importer reads Jinja2 templates",
                           "convert the template to Jinja2 (`template: jinja2`) first", 6)
    module.header.append(f"# Imported from {origin} by `promptc import`." if origin
                         else "# Imported from a Prompty file by `promptc import`.")
    for key in ("name", "displayName", "metadata", "authors", "tags"):
        if front.get(key) is not None:
            kept[key] = front[key]
    if kept:
        module.header.append("# Prompty metadata promptc does not use (kept here for reference):")
        module.header += [f"#   {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in kept.items()]
    declared, defaults, descriptions = _properties(text, front.get("inputs"), "inputs")
    outputs = front.get("outputs")
    if outputs:
        schema = _output_schema(text, outputs)
        path = f"schemas/{module_name.replace('.', '_')}.output.json"
        files[path] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        module.output = f'output json "{path}"'
    for tool in front.get("tools") or []:
        module.tools.append(_tool(text, tool))
    return declared, defaults, descriptions


def _property_list(doc: Any) -> list[dict]:
    if isinstance(doc, list):
        return [p for p in doc if isinstance(p, dict)]
    if isinstance(doc, dict):
        out = []
        for name, p in doc.items():
            if isinstance(p, dict):
                out.append({"name": name, **p})
            else:  # scalar shorthand: the value is the default
                out.append({"name": name, "default": p})
        return out
    return []


def _kind_of(p: dict) -> str | None:
    kind = p.get("kind") or p.get("type")
    if kind is None and "default" in p:
        v = p["default"]
        kind = ("boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else "float"
                if isinstance(v, float) else "string" if isinstance(v, str) else "array" if isinstance(v, list)
                else "object" if isinstance(v, dict) else None)
    return kind


def _property_type(text: str, p: dict, where: str) -> str | None:
    """promptc's type for a Prompty property; None when only its use can tell (array/object)."""
    name = str(p.get("name"))
    kind = _kind_of(p)
    if kind in RICH:
        raise InteropError(_key_offset(text, "name") if False else _name_offset(text, name),
                           f"`{name}` is a `{kind}` input, which Prompty turns into "
                           f"{'messages' if kind == 'thread' else 'a media part'}; promptc inputs are values in text",
                           "declare it as a string or a list and render it in the text", len(name))
    values = p.get("enumValues") or p.get("enum")
    if values:
        if not all(isinstance(v, str) for v in values):
            raise InteropError(_name_offset(text, name), f"`{name}` has enum values that are not strings",
                               "use string values, or drop the enum", len(name))
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in values)
    if kind in KINDS:
        return KINDS[kind]
    if kind in ("array", "object", None):
        if isinstance(p.get("properties"), (list, dict)) and kind == "object":
            fields = []
            for sub in _property_list(p["properties"]):
                ty = _property_type(text, sub, where) or "str"
                fields.append(f"{sub['name']}: {ty}{'' if sub.get('required') else '?'}")
            return "{" + ", ".join(fields) + "}"
        if kind == "array" and isinstance(p.get("items"), dict):
            inner = _property_type(text, {"name": name, **p["items"]}, where)
            return f"list[{inner}]" if inner else None
        return None
    raise InteropError(_name_offset(text, name), f"`{name}` has the kind `{kind}`, which promptc cannot declare",
                       "use string, integer, float, boolean, array or object", len(name))


def _name_offset(text: str, name: str) -> int:
    for pattern in (rf"^\s*-\s*name\s*:\s*[\"']?{re.escape(name)}\b", rf"^\s*{re.escape(name)}\s*:"):
        m = re.search(pattern, text, re.M)
        if m:
            return m.start() + len(m.group(0)) - len(m.group(0).lstrip(" -"))
    return 0


def _properties(text: str, doc: Any, where: str) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(declared types, defaults, descriptions) of Prompty properties."""
    declared: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for p in _property_list(doc):
        if p.get("description"):
            descriptions[str(p.get("name"))] = " ".join(str(p["description"]).split())
        name = str(p.get("name"))
        if not IDENT.match(name) or name in ("loop", "tools"):
            raise InteropError(_name_offset(text, name), f"the input name `{name}` is not a promptc name",
                               "rename it to letters, digits and `_`", len(name))
        ty = _property_type(text, p, where)
        if "default" in p:
            defaults[name] = p["default"]
        if ty is not None:
            declared[name] = ty if p.get("required") or name in defaults else (
                f"({ty})?" if " | " in ty else ty + "?")
    return declared, defaults, descriptions


def _json_property(text: str, p: dict) -> dict:
    kind = _kind_of(p) or "string"
    schema: dict[str, Any] = {"type": {"float": "number"}.get(kind, kind)}
    if p.get("description"):
        schema["description"] = p["description"]
    if p.get("enumValues"):
        schema["enum"] = p["enumValues"]
    if kind == "object" and p.get("properties"):
        schema.update(_output_schema(text, p["properties"]))
    if kind == "array" and isinstance(p.get("items"), dict):
        schema["items"] = _json_property(text, p["items"])
    return schema


def _output_schema(text: str, doc: Any) -> dict:
    props = _property_list(doc)
    return {"type": "object",
            "properties": {str(p["name"]): _json_property(text, p) for p in props},
            "required": [str(p["name"]) for p in props if p.get("required", True)],
            "additionalProperties": False}


def _tool(text: str, tool: Any) -> str:
    name = str((tool or {}).get("name"))
    kind = (tool or {}).get("kind", "function")
    if kind != "function":
        raise InteropError(_name_offset(text, name), f"the `{kind}` tool `{name}` is served by Prompty's runtime",
                           f"declare it as a function: `tool {name}(param: type) \"what it does\"`", len(name))
    if tool.get("bindings"):
        raise InteropError(_name_offset(text, name), f"the tool `{name}` binds parameters at run time",
                           "remove the bindings and pass those values in your tool code", len(name))
    params = []
    parameters = tool.get("parameters") or {}
    if isinstance(parameters, dict) and "properties" in parameters:
        parameters = parameters["properties"]
    for p in _property_list(parameters):
        try:
            ty = _property_type(text, p, "tools") or to_type({"type": _kind_of(p)}, str(p["name"]))
        except SchemaError as exc:
            raise InteropError(_name_offset(text, str(p["name"])), exc.message, exc.hint) from None
        default = f" = {value_source(p['default'])}" if "default" in p else ""
        params.append(f"{p['name']}: {ty}{'' if p.get('required') or default else '?'}{default}")
    desc = f" {string_literal(str(tool['description']))}" if tool.get("description") else ""
    return f"tool {name}({', '.join(params)}){desc}"


# --- body -----------------------------------------------------------------------------

def _segments(body: str, base: int) -> list[_Segment]:
    """Split the body at its role markers; text before the first is a system message.
    As Prompty's parser reads lines (`splitlines`, so a final line break ends the last line),
    a marker with no line after it gives no message."""
    segments: list[_Segment] = []
    role, start, lines = "system", base, []
    at = base
    pieces = body.split("\n")
    if body.endswith("\n"):
        pieces.pop()
    for number, line in enumerate(pieces):
        m = ROLE_RE.match(line)
        if m and (pieces[number - 1].rstrip().endswith(("-%}", "-}}", "-#}")) if number else False or
                  number + 1 < len(pieces) and pieces[number + 1].lstrip().startswith(("{%-", "{{-", "{#-"))):
            raise InteropError(at, f"whitespace control (`-`) next to the role marker `{line.strip()}` joins it "
                                   "to the text around it, so Prompty does not read it as a marker",
                               "remove the `-` next to the marker line", len(line))
        if m:
            if lines:
                segments.append(_Segment(role, start, "\n".join(lines)))
            if m.group(2):
                raise InteropError(at, f"the role marker `{line.strip()}` carries attributes, which promptc "
                                       "messages do not have", f"write `{m.group(1).lower()}:` alone", len(line))
            if m.group(1).lower() == "developer":
                raise InteropError(at, "the `developer` role has no promptc message", "use `system:`", len(line))
            role, lines = m.group(1).lower(), []
            start = at + len(line) + 1
        else:
            lines.append(line)
        at += len(line) + 1
    if lines:
        segments.append(_Segment(role, start, "\n".join(lines)))
    return segments


def _check_segment(seg: _Segment, state: _State, text: str) -> None:
    """Raise InteropError for what one message's template cannot carry; record input uses."""
    source = seg.text
    env = _env()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        at = _line_start(text, seg.offset, (exc.lineno or 1) - 1)
        message = exc.message or "invalid template syntax"
        if "end of template" in message or "Unexpected end" in message:
            raise InteropError(at, f"a block is still open where the `{seg.role}:` message ends: promptc messages "
                                   "cannot start or end inside `{% if %}` or `{% for %}`",
                               "close the block before the next role marker", 2) from None
        if "unknown tag" in message:
            tag = message.split("'")[1] if "'" in message else "?"
            raise InteropError(at, f"`{{% {tag} %}}` is not part of promptc's template subset",
                               unknown_tag_hint(tag, []), 2) from None
        raise InteropError(at, f"template syntax error: {message}", "fix the Jinja syntax", 2) from None
    _check(tree, seg, state, text, [])


def _template(seg: _Segment, state: _State, text: str) -> list[tuple[str, str]]:
    """The parts (text and template code) of one message, as Prompty renders and trims it:
    its parser drops the message's leading and trailing line breaks, so those are removed
    here, also where they come from inside `{% if %}` (moved into the branches that render
    text) or depend on whether a loop runs (`{% if items %}…{% endif %}`)."""
    parts = _parts(seg.text, _env(), state)
    where = "end"
    try:
        items = _strip_end(_tree(parts))
        where = "start"
        items = _mirror(_strip_end(_mirror(items)))
    except _Unstrippable as exc:
        raise InteropError(seg.offset, f"the `{seg.role}:` message can {where} with a line break that comes "
                                       f"from {exc}; Prompty drops it when it renders, promptc would keep it",
                           "put the line breaks between items inside the block, e.g. "
                           "`{% if not loop.last %}` … `{% endif %}`", 1) from None
    return _flatten(items)


class _Unstrippable(Exception):
    """Line breaks at a message's edge whose removal depends on more than the template."""


# A message as a tree: ("lit", text) | ("expr", code) | ("if", [(tag, body), …], else body or
# None) | ("for", tag, body). `_mirror` reverses it (texts too), so one function strips both ends.

def _tree(parts: list[tuple[str, str]]) -> list:
    root: list = []
    stack: list[tuple[list, tuple]] = []
    current = root
    for kind, value in parts:
        word = value[2:].split()[0] if kind == "tag" else ""
        if kind != "tag":
            current.append((kind, value))
        elif word in ("if", "for"):
            node = ("if", [(value, [])], None) if word == "if" else ("for", value, [])
            current.append(node)
            stack.append((current, node))
            current = node[1][0][1] if word == "if" else node[2]
        elif word == "elif":
            node = stack[-1][1]
            node[1].append((value, []))
            current = node[1][-1][1]
        elif word == "else":
            parent, node = stack[-1]
            new = (node[0], node[1], [])
            parent[parent.index(node)] = new
            stack[-1] = (parent, new)
            current = new[2]
        else:  # endif / endfor
            current = stack.pop()[0]
    return root


def _flatten(items: list) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        if item[0] in ("lit", "expr"):
            out.append(item)
        elif item[0] == "if":
            for tag, body in item[1]:
                out.append(("tag", tag))
                out += _flatten(body)
            if item[2] is not None:
                out.append(("tag", "{% else %}"))
                out += _flatten(item[2])
            out.append(("tag", "{% endif %}"))
        else:
            out.append(("tag", item[1]))
            out += _flatten(item[2])
            out.append(("tag", "{% endfor %}"))
    return out


def _mirror(items: list) -> list:
    out = []
    for item in reversed(items):
        if item[0] == "lit":
            out.append(("lit", item[1][::-1]))
        elif item[0] == "expr":
            out.append(item)
        elif item[0] == "if":
            out.append(("if", [(tag, _mirror(body)) for tag, body in item[1]],
                        None if item[2] is None else _mirror(item[2])))
        else:
            out.append(("for", item[1], _mirror(item[2])))
    return out


def _strip_end(items: list) -> list:
    """The items with the line breaks at the end of what they render removed."""
    items = list(items)
    while items and items[-1][0] == "lit":
        kept = items[-1][1].rstrip("\n")
        if kept:
            return items[:-1] + [("lit", kept)]
        items.pop()
    if not items or items[-1][0] == "expr":
        return items  # a value's own line breaks at the edge: a documented difference
    last = items[-1]
    if last[0] == "if":
        branches = [(tag, _strip_end(body)) for tag, body in last[1]]
        other = _strip_end(last[2] or [])
        if not any(b for _, b in branches) and not other:  # renders nothing: the end is before it
            return _strip_end(items[:-1]) + [("if", branches, None)]
    moved, rest = _split_breaks(items[:-1])
    if last[0] == "if":
        if moved and any(b and not any(x[0] == "lit" and x[1] for x in b) for b in [*(b for _, b in branches), other]):
            raise _Unstrippable("text before a block whose branch may render nothing")
        branches = [(tag, ([("lit", moved)] if moved and b else []) + b) for tag, b in branches]
        other = ([("lit", moved)] if moved and other else []) + other
        return rest + [("if", branches, other if (other or last[2] is not None) else None)]
    if _ends_with_break(last[2]):
        raise _Unstrippable("text inside `{% for %}`")
    if moved:  # the breaks before the loop end the message only when it runs no item
        iterated = last[1][2:-2].strip().split(" in ", 1)[1]
        rest = rest + [("if", [("{% if " + iterated + " %}", [("lit", moved)])], None)]
    return rest + [last]


def _split_breaks(items: list) -> tuple[str, list]:
    """(the line breaks that end `items`' text, `items` without them); the breaks must come
    from text at the end, not from inside a block."""
    items = list(items)
    moved = ""
    while items and items[-1][0] == "lit":
        value = items[-1][1]
        kept = value.rstrip("\n")
        moved = value[len(kept):] + moved
        if kept:
            items[-1] = ("lit", kept)
            return moved, items
        items.pop()
    if items and items[-1][0] in ("if", "for") and _ends_with_break(items):
        raise _Unstrippable("text inside a block followed by another block")
    return moved, items


def _ends_with_break(items: list) -> bool:
    """Whether what `items` render can end with a line break from their text."""
    for item in reversed(items):
        if item[0] == "lit" and item[1]:
            return item[1].endswith("\n")
        if item[0] == "expr":
            return False
        if item[0] == "if":
            bodies = [b for _, b in item[1]] + [item[2] or []]
            if any(_ends_with_break(b) for b in bodies):
                return True
            if all(any(x[0] == "lit" and x[1] for x in b) for b in bodies):
                return False  # every branch ends in text without a break
        if item[0] == "for" and _ends_with_break(item[2]):
            return True
        # a block that may render nothing: what comes before it may end the text
    return False


def _parts(source: str, env: Environment, state: _State) -> list[tuple[str, str]]:
    """Text and code of a template, with `-` whitespace control applied to the text, and
    expressions printed in promptc's subset (see `_print`)."""
    lexer = _OffsetLexer(env)
    printer = _Printer(state)
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    kind = ""
    start = 0
    for offset, token, value in lexer._with_offsets(source, None, None, None):
        at = offset - 1
        if token == "data":
            parts.append(("lit", value))
        elif token in ("variable_begin", "block_begin"):
            kind, start = ("expr" if token == "variable_begin" else "tag"), at + len(value)
            current = []
        elif token in ("variable_end", "block_end"):
            inner = source[start:at].strip().removeprefix("-").removeprefix("+").removesuffix("-").removesuffix(
                "+").strip()
            parts.append((kind, "{{ " + printer.source(inner, env) + " }}" if kind == "expr" else
                          "{% " + printer.tag(inner, env) + " %}"))
        elif token == "raw_begin":
            kind = "raw"
    return parts


def _check(node: nodes.Node, seg: _Segment, state: _State, text: str, scopes: list[dict[str, Shape]]) -> None:
    """Raise InteropError at the first construct outside the subset; record how inputs are used."""
    def fail(n: nodes.Node, what: str, hint: str) -> InteropError:
        at = _line_start(text, seg.offset, n.lineno - 1)
        line_end = text.find("\n", at)
        return InteropError(at, f"{what} is not part of promptc's template subset", hint,
                            (line_end if line_end != -1 else len(text)) - at)

    def expr(n: nodes.Node, use: str) -> Shape | None:
        if isinstance(n, nodes.Name):
            for scope in reversed(scopes):
                if n.name in scope:
                    return scope[n.name]
            if n.name == "loop":
                return None
            if n.name not in state.inputs:
                if not IDENT.match(n.name) or n.name == "tools":
                    raise fail(n, f"the name `{n.name}`", "rename the input")
                state.inputs[n.name] = Shape(where=_line_start(text, seg.offset, n.lineno - 1))
            return state.inputs[n.name]
        if isinstance(n, nodes.Getattr):
            base = expr(n.node, "field")
            if isinstance(n.node, nodes.Name) and n.node.name == "loop":
                if n.attr not in ("index", "first", "last"):
                    raise fail(n, f"`loop.{n.attr}`", "promptc loops have `loop.index` (from 1), `loop.first` "
                                                        "and `loop.last`")
                return None
            return base.child(n.attr, base.where) if base is not None else None
        if isinstance(n, nodes.Const):
            return None
        if isinstance(n, nodes.Filter):
            if n.name not in ALLOWED_FILTERS:
                raise fail(n, f"the filter `{n.name}`", f"use one of {', '.join(ALLOWED_FILTERS)}")
            if n.name == "join" and not n.args:
                raise fail(n, "`join` without a separator", 'write the separator: `join("")`')
            if n.kwargs or n.dyn_args or n.dyn_kwargs:
                raise fail(n, f"`{n.name}` with keyword arguments", "pass arguments by position")
            for a in n.args:
                expr(a, "value")
            shape = expr(n.node, "filtered") if n.node is not None else None
            if shape is not None and n.name in ("join",):
                shape.items(shape.where)
            elif shape is not None and n.name not in ("length", "default", "tojson"):
                shape.rendered = True
            return None
        if isinstance(n, nodes.Compare):
            ordered = any(op.op in ("lt", "lteq", "gt", "gteq") for op in n.ops)
            for side in [n.expr, *[op.expr for op in n.ops]]:
                s = expr(side, "compared")
                if s is not None and not s.fields and not s.looped:
                    s.rendered = True
                    # Jinja fails on an ordered comparison with a missing value: so does promptc,
                    # when the input is required.
                    s.required = s.required or ordered
            return None
        if isinstance(n, (nodes.And, nodes.Or)) and use == "tested":  # truthiness alone: the same in both
            expr(n.left, "tested")
            expr(n.right, "tested")
            return None
        if isinstance(n, (nodes.And, nodes.Or)):
            raise fail(n, f"`{'and' if isinstance(n, nodes.And) else 'or'}`",
                       "nest the conditions: `{% if a %}{% if b %}…{% endif %}{% endif %}`")
        if isinstance(n, nodes.Not):
            expr(n.node, "tested" if use == "tested" else "negated")
            return None
        if isinstance(n, nodes.Getitem) and isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str):
            raise fail(n, f"`[\"{n.arg.value}\"]`", f"write `.{n.arg.value}`")
        what, hint = expression_hint(n)
        raise fail(n, what, hint)

    if isinstance(node, nodes.Template):
        for child in node.body:
            _check(child, seg, state, text, scopes)
    elif isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            shape = expr(child, "rendered")
            if shape is not None and not shape.looped and not shape.fields:
                shape.rendered = True
    elif isinstance(node, nodes.If):
        expr(node.test, "tested")
        for child in node.body:
            _check(child, seg, state, text, scopes)
        for elif_ in node.elif_:
            _check(elif_, seg, state, text, scopes)
        for child in node.else_:
            _check(child, seg, state, text, scopes)
    elif isinstance(node, nodes.For):
        if node.else_ or node.test is not None or node.recursive:
            raise fail(node, "`{% for %}` with `else`, a filter or `recursive`",
                       "write `{% if xs %}{% for x in xs %}…{% endfor %}{% else %}…{% endif %}`")
        if not isinstance(node.target, nodes.Name):
            raise fail(node, "unpacking in `{% for %}`", "loop over one value: `{% for item in items %}`")
        iterated = expr(node.iter, "looped")
        item = iterated.items(iterated.where) if iterated is not None else Shape()
        scopes.append({node.target.name: item})
        for child in node.body:
            _check(child, seg, state, text, scopes)
        scopes.pop()
    else:
        what, hint = statement_hint(node)
        raise fail(node, what, hint)


_NEEDS_VALUE = ("upper", "lower", "trim", "title", "join", "length")


class _Printer:
    """promptc's source for Jinja expressions already checked by `_check`. A filter that
    promptc refuses on a missing value gets `default(…)` first: Jinja renders a missing
    value's `upper`, `join`, `length` … as empty (or 0), and so does `x | default("") | upper`."""

    def __init__(self, state: _State):
        self.state = state
        self.loops: list[tuple[str, Shape | None]] = []

    def source(self, source: str, env: Environment) -> str:
        node = env.parse("{{ " + source + " }}").body[0]
        assert isinstance(node, nodes.Output)
        return self.print(node.nodes[0])

    def tag(self, source: str, env: Environment) -> str:
        word, _, rest = source.strip().partition(" ")
        if word in ("if", "elif"):
            return f"{word} {self.source(rest, env)}"
        if word == "for":
            target, _, iterated = rest.partition(" in ")
            node = env.parse("{{ " + iterated + " }}").body[0].nodes[0]  # type: ignore[attr-defined]
            shape = self.shape(node)
            self.loops.append((target.strip(), shape.item if shape is not None else None))
            return f"for {target.strip()} in {self.print(node)}"
        if word == "endfor" and self.loops:
            self.loops.pop()
        return source.strip()

    def shape(self, n: nodes.Node) -> Shape | None:
        if isinstance(n, nodes.Name):
            for name, shape in reversed(self.loops):
                if name == n.name:
                    return shape
            return self.state.inputs.get(n.name)
        if isinstance(n, nodes.Getattr):
            base = self.shape(n.node)
            return base.fields.get(n.attr) if base is not None else None
        return None

    def optional(self, n: nodes.Node) -> bool:
        if isinstance(n, nodes.Getattr):
            return not _is_loop(n)
        if isinstance(n, nodes.Name):
            if any(name == n.name for name, _ in self.loops):
                return False
            declared = self.state.declared.get(n.name)
            if declared is not None:
                return declared.endswith("?")
            shape = self.state.inputs.get(n.name)
            return shape is None or not shape.required
        return False

    def print(self, n: nodes.Node) -> str:
        if isinstance(n, nodes.Name):
            return n.name
        if isinstance(n, nodes.Getattr):
            return f"{self.print(n.node)}.{n.attr}"
        if isinstance(n, nodes.Const):
            return json.dumps(n.value, ensure_ascii=False)
        if isinstance(n, nodes.Filter):
            assert n.node is not None
            base = self.print(n.node)
            if n.name in _NEEDS_VALUE and self.optional(n.node):
                shape = self.shape(n.node)
                declared = self.state.declared.get(n.node.name, "") if isinstance(n.node, nodes.Name) else ""
                listy = n.name == "join" or declared.startswith("list") or (shape is not None and (
                    shape.looped or any(isinstance(v, list) for v in shape.samples)))
                base = f"{base} | default({'[]' if listy else chr(34) * 2})"
            args = f"({', '.join(self.print(a) for a in n.args)})" if n.args else ""
            return f"{base} | {n.name}{args}"
        if isinstance(n, nodes.Compare):
            ops = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "in": "in",
                   "notin": "not in"}
            return " ".join([self.print(n.expr), *[f"{ops[o.op]} {self.print(o.expr)}" for o in n.ops]])
        if isinstance(n, nodes.Not):
            return f"not {self.print(n.node)}"
        if isinstance(n, nodes.And):
            return f"({self.print(n.left)} and {self.print(n.right)})"
        if isinstance(n, nodes.Or):
            return f"({self.print(n.left)} or {self.print(n.right)})"
        raise AssertionError(f"unchecked expression {type(n).__name__}")


def _is_loop(n: nodes.Node) -> bool:
    while isinstance(n, nodes.Getattr):
        n = n.node
    return isinstance(n, nodes.Name) and n.name == "loop"
