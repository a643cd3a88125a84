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
from typing import Any

import yaml
from jinja2.exceptions import TemplateSyntaxError

from ..importer import block_source, string_literal
from ..syntax.frontmatter import load_bounded
from ..semantic.portability import unknown_tag_hint
from .common import IDENT, InteropError, Module, add_samples, key_offset, name_offset, shape_type, value_source
from .dotprompt import Conversion
from .jinja import Segment, State, check, environment, line_start, template_parts
from .linebreaks import Unstrippable, flatten, mirror, strip_end, tree
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
        front = load_bounded(m.group(1))
    except yaml.YAMLError:
        return False
    if not isinstance(front, dict) or not set(front) <= PROMPTY_KEYS:
        return False
    model = front.get("model")
    return bool({"inputs", "outputs", "template", "sample", "inputSchema"} & set(front)) or (
        isinstance(model, dict) and bool({"id", "api", "apiType", "configuration", "connection", "options",
                                          "parameters"} & set(model))) or bool(
        re.search(r"^\s*#?\s*(system|user|assistant)\s*:\s*$", m.group(2), re.M | re.I))


def convert(text: str, *, module_name: str, samples: list[dict] | None = None, origin: str = "") -> Conversion:
    """The promptc module for a Prompty file's text (LF line ends)."""
    m = FRONT_RE.match(text)
    front: dict = {}
    body, body_offset = text, 0
    if m:
        try:
            loaded = load_bounded(m.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = line_start(text, m.start(1), mark.line) if mark else 0
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
    state = State(declared=declared)
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


def _shaped(text: str, front: dict, key: str, kinds: tuple[type, ...], what: str) -> Any:
    """front[key] (None when absent) when it has one of `kinds`; InteropError otherwise."""
    value = front.get(key)
    if value is not None and not isinstance(value, kinds):
        raise InteropError(key_offset(text, key), f"`{key}` must be {what}", f"write `{key}:` as {what}", len(key))
    return value


def _front(text: str, front: dict, module: Module, module_name: str, origin: str,
           files: dict[str, str]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    module.front.append("version: 0.1.0")
    if front.get("description"):
        module.front.append(f"purpose: {json.dumps(str(front['description']).strip(), ensure_ascii=False)}")
    else:
        module.front.append("# purpose: say in one sentence what this prompt is for, then remove the `#`")
    module.front.append("# owner: name@example.com (who approves the wording), then remove the `#`")
    model_doc = _shaped(text, front, "model", (str, dict), "a model id or a mapping")
    for key in ("options", "parameters", "configuration"):
        if isinstance(model_doc, dict):
            _shaped(text, model_doc, key, (dict,), "a mapping")
    _shaped(text, front, "inputs", (list, dict), "a list of properties")
    _shaped(text, front, "outputs", (list, dict), "a list of properties")
    _shaped(text, front, "tools", (list,), "a list of tools")
    _shaped(text, front, "template", (str, dict), "a format name or a mapping")
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
            raise InteropError(key_offset(text, "apiType" if "apiType" in model_doc else "api"),
                               f"`{api}` models take no chat messages; promptc prompts are chat messages",
                               "import only chat prompts", 7)
        options = {**(model_doc.get("parameters") or {}), **(model_doc.get("options") or {})}
        for key, value in options.items():
            if key not in OPTIONS:
                raise InteropError(key_offset(text, key), f"the model option `{key}` has no promptc equivalent",
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
        raise InteropError(key_offset(text, "format" if isinstance(template, dict) else "template"),
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
        if not isinstance(tool, dict):
            raise InteropError(key_offset(text, "tools"), "each tool must be a mapping",
                               "write `- name: …` with `kind`, `description` and `parameters`", 5)
        module.tools.append(_tool(text, tool))
    return declared, defaults, descriptions


def _property_list(doc: Any, text: str = "", key: str = "inputs") -> list[dict]:
    """Prompty properties, given as a list of mappings or a mapping of name → property (or of
    name → default value); InteropError for an item that is neither."""
    if isinstance(doc, list):
        for p in doc:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                raise InteropError(key_offset(text, key), f"an item of `{key}` is not a named property",
                                   "write `- name: …` with `kind:` (and `default:`, `description:`)", len(key))
        return doc
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
        raise InteropError(key_offset(text, "name") if False else name_offset(text, name),
                           f"`{name}` is a `{kind}` input, which Prompty turns into "
                           f"{'messages' if kind == 'thread' else 'a media part'}; promptc inputs are values in text",
                           "declare it as a string or a list and render it in the text", len(name))
    values = p.get("enumValues") or p.get("enum")
    if values is not None and not isinstance(values, list):
        raise InteropError(name_offset(text, name), f"the enum values of `{name}` are not a list",
                           "write `enumValues: [a, b]`", len(name))
    if values:
        if not all(isinstance(v, str) for v in values):
            raise InteropError(name_offset(text, name), f"`{name}` has enum values that are not strings",
                               "use string values, or drop the enum", len(name))
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in values)
    if kind in KINDS:
        return KINDS[kind]
    if kind in ("array", "object", None):
        if p.get("properties") is not None and not isinstance(p["properties"], (list, dict)):
            raise InteropError(name_offset(text, name), f"the properties of `{name}` are not a list",
                               "write `properties:` with `- name: …` items", len(name))
        if isinstance(p.get("properties"), (list, dict)) and kind == "object":
            fields = []
            for sub in _property_list(p["properties"], text, name):
                ty = _property_type(text, sub, where) or "str"
                fields.append(f"{sub['name']}: {ty}{'' if sub.get('required') else '?'}")
            return "{" + ", ".join(fields) + "}"
        if kind == "array" and isinstance(p.get("items"), dict):
            inner = _property_type(text, {"name": name, **p["items"]}, where)
            return f"list[{inner}]" if inner else None
        return None
    raise InteropError(name_offset(text, name), f"`{name}` has the kind `{kind}`, which promptc cannot declare",
                       "use string, integer, float, boolean, array or object", len(name))


def _properties(text: str, doc: Any, where: str) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(declared types, defaults, descriptions) of Prompty properties."""
    declared: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for p in _property_list(doc, text, where):
        if p.get("description"):
            descriptions[str(p.get("name"))] = " ".join(str(p["description"]).split())
        name = str(p.get("name"))
        if not IDENT.match(name) or name in ("loop", "tools"):
            raise InteropError(name_offset(text, name), f"the input name `{name}` is not a promptc name",
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
    if kind not in (*KINDS, "array", "object"):
        raise InteropError(name_offset(text, str(p.get("name"))), f"the output `{p.get('name')}` has the kind "
                           f"`{kind}`, which a JSON output cannot have", "use string, integer, float, boolean, array "
                           "or object", len(str(p.get("name"))))
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
    props = _property_list(doc, text, "outputs")
    return {"type": "object",
            "properties": {str(p["name"]): _json_property(text, p) for p in props},
            "required": [str(p["name"]) for p in props if p.get("required", True)],
            "additionalProperties": False}


def _tool(text: str, tool: Any) -> str:
    name = tool.get("name") if isinstance(tool.get("name"), str) else ""
    if not IDENT.match(name):
        raise InteropError(key_offset(text, "tools"), f"the tool name `{name}` is not a promptc name",
                           "give each tool a `name:` of letters, digits and `_`", 5)
    kind = (tool or {}).get("kind", "function")
    if kind != "function":
        raise InteropError(name_offset(text, name), f"the `{kind}` tool `{name}` is served by Prompty's runtime",
                           f"declare it as a function: `tool {name}(param: type) \"what it does\"`", len(name))
    if tool.get("bindings"):
        raise InteropError(name_offset(text, name), f"the tool `{name}` binds parameters at run time",
                           "remove the bindings and pass those values in your tool code", len(name))
    params = []
    parameters = tool.get("parameters") or {}
    if isinstance(parameters, dict) and "properties" in parameters:
        parameters = parameters["properties"]
    if not isinstance(parameters, (list, dict)):
        raise InteropError(name_offset(text, name), f"the parameters of the tool `{name}` are not a list",
                           "write `parameters:` with `- name: …, kind: …` items", len(name))
    for p in _property_list(parameters, text, "parameters"):
        try:
            ty = _property_type(text, p, "tools") or to_type({"type": _kind_of(p)}, str(p["name"]))
        except SchemaError as exc:
            raise InteropError(name_offset(text, str(p["name"])), exc.message, exc.hint) from None
        default = f" = {value_source(p['default'])}" if "default" in p else ""
        params.append(f"{p['name']}: {ty}{'' if p.get('required') or default else '?'}{default}")
    desc = f" {string_literal(str(tool['description']))}" if tool.get("description") else ""
    return f"tool {name}({', '.join(params)}){desc}"


# --- body -----------------------------------------------------------------------------

def _segments(body: str, base: int) -> list[Segment]:
    """Split the body at its role markers; text before the first is a system message.
    As Prompty's parser reads lines (`splitlines`, so a final line break ends the last line),
    a marker with no line after it gives no message."""
    segments: list[Segment] = []
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
                segments.append(Segment(role, start, "\n".join(lines)))
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
        segments.append(Segment(role, start, "\n".join(lines)))
    return segments


def _check_segment(seg: Segment, state: State, text: str) -> None:
    """Raise InteropError for what one message's template cannot carry; record input uses."""
    source = seg.text
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        at = line_start(text, seg.offset, (exc.lineno or 1) - 1)
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
    check(tree, seg, state, text, [])


def _template(seg: Segment, state: State, text: str) -> list[tuple[str, str]]:
    """The parts (text and template code) of one message, as Prompty renders and trims it:
    its parser drops the message's leading and trailing line breaks, so those are removed
    here, also where they come from inside `{% if %}` (moved into the branches that render
    text) or depend on whether a loop runs (`{% if items %}…{% endif %}`)."""
    parts = template_parts(seg.text, environment(), state)
    where = "end"
    try:
        items = strip_end(tree(parts))
        where = "start"
        items = mirror(strip_end(mirror(items)))
    except Unstrippable as exc:
        raise InteropError(seg.offset, f"the `{seg.role}:` message can {where} with a line break that comes "
                                       f"from {exc}; Prompty drops it when it renders, promptc would keep it",
                           "put the line breaks between items inside the block, e.g. "
                           "`{% if not loop.last %}` … `{% endif %}`", 1) from None
    return flatten(items)
