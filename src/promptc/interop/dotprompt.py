"""Dotprompt (`.prompt`, Genkit) to a promptc module.

Front matter: `model` and `config` → `model:`; `description` → `purpose`; `input.schema`
(Picoschema or JSON Schema) and `input.default` → typed inputs with defaults;
`output.schema`/`output.format: json` → `output json "schemas/…json"`. Without an input
schema, inputs are inferred from the template (every one optional, as Handlebars renders a
missing value as empty text), typed from sample data when given, else `str`.

Template: Handlebars as Dotprompt runs it (no HTML escaping, its whitespace rules) →
the portable subset: `{{x}}`, `{{#if}}`, `{{#unless}}`, `{{#each}}` (`@first`, `@last`,
`{{else}}`), `{{#with}}`, `{{#ifEquals}}`, `{{#unlessEquals}}`, `{{json x}}` for scalars,
`{{role}}` at the top level → messages, `{{> partial}}` → fragments of a sibling module.
Everything else raises InteropError at the construct.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..importer import block_source, string_literal
from ..syntax.frontmatter import load_bounded
from . import handlebars as hb
from .common import IDENT, InteropError, Module, Shape, add_samples, key_offset, shape_type, unique_name, value_source
from .picoschema import SchemaError, object_properties, to_json_schema, to_type

FRONT_RE = re.compile(r"^---\s*(?:\r\n|\r|\n)([\s\S]*?)(?:\r\n|\r|\n)---\s*(?:\r\n|\r|\n)([\s\S]*)$")
ROLES = {"system": "system", "user": "user", "model": "assistant"}
CONFIG_KEYS = {"temperature": "temperature", "maxOutputTokens": "max_tokens", "topP": "top_p",
               "stopSequences": "stop", "seed": "seed", "frequencyPenalty": "frequency_penalty",
               "presencePenalty": "presence_penalty"}
KNOWN_KEYS = {"model", "config", "input", "output", "description", "name", "version", "variant", "tools", "toolDefs"}


@dataclass
class Conversion:
    module: str  # the module's source
    partials: str | None = None  # the partials module's source, when the template uses partials
    files: dict[str, str] = field(default_factory=dict)  # other files, relative to the project root
    inputs: list[str] = field(default_factory=list)


@dataclass
class _Frame:
    kind: str  # "root" | "item" | "with" | "params"
    expr: str = ""
    shape: Shape | None = None
    names: dict[str, tuple[str, Shape]] = field(default_factory=dict)  # root/params: name → (expr, shape)
    param: str = ""  # an `{{#each xs as |x|}}` block parameter, which names the item itself


def is_dotprompt(text: str, *, body_only: bool = True) -> bool:
    """Whether a file's text is a Dotprompt file rather than a promptc module: front matter
    with Dotprompt's keys, or (when `body_only`, for a `.prompt` file) a body that is
    Handlebars and has none of promptc's declarations."""
    m = FRONT_RE.match(text)
    body = m.group(2) if m else text
    if m:
        try:
            front = load_bounded(m.group(1))
        except yaml.YAMLError:
            front = None
        if isinstance(front, dict) and (set(front) & {"config", "input", "output", "toolDefs", "variant"}
                                        or (isinstance(front.get("model"), str) and "version" not in front)):
            return True
    if not body_only:
        return False
    if re.search(r"^\s*(system|user|assistant)\s+\"\"\"|^\s*(input|fragment|output|import|from|tool|type)\s+\w",
                 body, re.M):
        return False
    return bool(re.search(r"\{\{~?\s*(role\s|#|>|/|!|~)|\{\{~?\s*[\w@.]+(\s[^}]*)?~?\}\}", body))


def convert(text: str, *, module_name: str, partials: dict[str, str] | None = None,
            samples: list[dict] | None = None, defaults: dict | None = None,
            schemas: dict[str, dict] | None = None, origin: str = "") -> Conversion:
    """The promptc module for a Dotprompt file's text (LF line ends)."""
    return _Converter(text, module_name, partials or {}, samples or [], defaults or {}, schemas or {}, origin).run()


class _Converter:
    def __init__(self, text: str, module_name: str, partials: dict[str, str], samples: list[dict],
                 defaults: dict, schemas: dict[str, dict], origin: str):
        self.text, self.module_name, self.partial_sources = text, module_name, partials
        self.samples, self.defaults, self.schemas, self.origin = samples, defaults, schemas, origin
        self.module = Module()
        self.inputs: dict[str, Shape] = {}
        self.declared: dict[str, str] | None = None  # from an input schema: name → type
        self.taken: set[str] = set()
        self.partials_alias = ""
        self.fragments: dict[str, tuple[str, list[tuple[str, str]], dict[str, Shape]]] = {}
        self.partial_stack: list[str] = []
        self.fragment_names: dict[str, str] = {}  # partial → its fragment's name
        self.compared: list[tuple[Shape, Shape]] = []  # values compared by ifEquals/unlessEquals
        self.descriptions: dict[str, str] = {}  # input → its schema description, kept as a comment

    # --- front matter ------------------------------------------------------------------
    def run(self) -> Conversion:
        m = FRONT_RE.match(self.text)
        front: dict = {}
        body_offset = 0
        template = self.text
        if m:
            try:
                loaded = load_bounded(m.group(1))
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                at = self._line_offset(mark.line + 1) if mark else 0
                raise InteropError(at, f"the front matter is not YAML: {getattr(exc, 'problem', exc)}",
                                   "fix the YAML between the `---` lines") from None
            front = loaded if isinstance(loaded, dict) else {}
            raw_body = m.group(2)
            body_offset = m.start(2) + len(raw_body) - len(raw_body.lstrip())
            template = raw_body.strip()
        files: dict[str, str] = {}
        self._front(front, files)
        try:
            tree = hb.parse(template)
        except hb.HandlebarsError as exc:
            raise InteropError(body_offset + exc.offset, exc.message, exc.hint, exc.length) from None
        self.base = body_offset
        segments = self._messages(tree)
        self._declare_inputs()
        for role, parts in segments:
            self.module.messages.append((role, block_source(parts)))
        partials_source = None
        if self.fragments:
            lib = Module(header=[f"# Partials of {self.origin or self.module_name}, imported by `promptc import`."])
            for name, (_, parts, params) in self.fragments.items():
                head = f"fragment {name}"
                if params:
                    head += "(" + ", ".join(f"{p}: {shape_type(s, p)}" for p, s in params.items()) + ")"
                lib.fragments.append((head, block_source(parts)))
            partials_source = lib.source()
            self.module.imports.append(f"import {self.module_name}_partials as {self.partials_alias}")
        return Conversion(self.module.source(), partials_source, files, list(self.inputs))

    def _line_offset(self, line: int) -> int:
        at = 0
        for _ in range(line - 1):
            at = self.text.find("\n", at) + 1
        return at

    def _key_offset(self, key: str) -> int:
        return key_offset(self.text, key)

    def _mapping(self, front: dict, key: str, *inner: str) -> dict:
        """front[key][inner…] as a mapping ({} when absent); InteropError when it is something else."""
        value: Any = front
        for part in (key, *inner):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                return {}
            if not isinstance(value, dict):
                raise InteropError(self._key_offset(part), f"`{'.'.join((key, *inner))}` must be a mapping",
                                   "write `key: value` pairs under it", len(part))
        return value

    def _front(self, front: dict, files: dict[str, str]) -> None:
        mod = self.module
        version = str(front.get("version", "")) if front.get("version") is not None else ""
        semver = re.fullmatch(r"\d+\.\d+\.\d+", version) is not None
        mod.front.append(f"version: {version if semver else '0.1.0'}")
        if front.get("description"):
            mod.front.append(f"purpose: {json.dumps(str(front['description']), ensure_ascii=False)}")
        else:
            mod.front.append("# purpose: say in one sentence what this prompt is for, then remove the `#`")
        mod.front.append("# owner: name@example.com (who approves the wording), then remove the `#`")
        model: dict[str, Any] = {}
        if front.get("model") is not None:
            if not isinstance(front["model"], str):
                raise InteropError(self._key_offset("model"), "`model` must be a model name",
                                   "write `model: provider/name`", 5)
            model["name"] = front["model"]
        for key, value in self._mapping(front, "config").items():
            if key not in CONFIG_KEYS:
                raise InteropError(self._key_offset(key), f"the model setting `config.{key}` has no promptc equivalent",
                                   f"promptc's model settings are {', '.join(sorted(CONFIG_KEYS))} "
                                   "(as temperature, max_tokens, top_p, stop, …); remove it", len(key))
            model[CONFIG_KEYS[key]] = value
        if model:
            mod.front.append("model: " + json.dumps(model, ensure_ascii=False))
        mod.header.append(f"# Imported from {self.origin} by `promptc import`." if self.origin
                          else "# Imported from a Dotprompt file by `promptc import`.")
        kept = {k: v for k, v in front.items() if k not in KNOWN_KEYS}
        for key in ("name", "variant"):
            if front.get(key) is not None:
                kept[key] = front[key]
        if kept:
            mod.header.append("# Dotprompt metadata promptc does not use (kept here for reference):")
            mod.header += [f"#   {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in kept.items()]
        self._tools(front)
        inputs = self._mapping(front, "input")
        defaults = {**self._mapping(front, "input", "default"), **self.defaults}
        self.default_values = defaults
        resolve = self.schemas.get
        if isinstance(inputs, dict) and inputs.get("schema") is not None:
            at = self._key_offset("schema")
            try:
                schema = to_json_schema(inputs["schema"], resolve)
            except SchemaError as exc:
                raise InteropError(at, f"input schema: {exc.message}", exc.hint, 6) from None
            if not schema or schema.get("type") != "object":
                raise InteropError(at, "the input schema is not an object: promptc inputs are named fields",
                                   "declare the input as an object of named fields (`name: string`)", 6)
            required = set(schema.get("required") or [])
            self.declared = {}
            try:
                props = object_properties(schema)
            except SchemaError as exc:
                raise InteropError(at, f"input schema: {exc.message}", exc.hint, 6) from None
            for name, sub in props.items():
                try:
                    ty = to_type(sub, name)
                except SchemaError as exc:
                    raise InteropError(at, f"input schema: {exc.message}", exc.hint, 6) from None
                optional = name not in required and not ty.endswith("?") and name not in defaults
                self.declared[name] = ty + ("?" if optional else "")
                if isinstance(sub, dict) and sub.get("description"):
                    self.descriptions[name] = " ".join(str(sub["description"]).split())
        output = self._mapping(front, "output")
        if isinstance(output, dict) and (output.get("schema") is not None or output.get("format") == "json"):
            at = self._key_offset("output")
            try:
                schema = to_json_schema(output.get("schema"), resolve) if output.get("schema") is not None else {}
            except SchemaError as exc:
                raise InteropError(at, f"output schema: {exc.message}", exc.hint, 6) from None
            path = f"schemas/{self.module_name.replace('.', '_')}.output.json"
            files[path] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
            self.module.output = f'output json "{path}"'
        elif isinstance(output, dict) and output.get("format") not in (None, "text"):
            raise InteropError(self._key_offset("format"), f"the output format `{output['format']}` has no promptc form",
                               "promptc outputs are `text` or `json`", 6)

    def _tools(self, front: dict) -> None:
        for key in ("tools", "toolDefs"):
            if front.get(key) is not None and not isinstance(front[key], list):
                raise InteropError(self._key_offset(key), f"`{key}` must be a list", f"write `{key}:` with `- ` items",
                                   len(key))
        defs = {str(d.get("name")): d for d in front.get("toolDefs") or [] if isinstance(d, dict)}
        named = [str(n) for n in front.get("tools") or []]
        for name in [*named, *[n for n in defs if n not in named]]:
            if not IDENT.match(name):
                raise InteropError(self._key_offset("tools"), f"the tool name `{name}` is not a promptc name",
                                   "rename it to letters, digits and `_`", 5)
            if name not in defs:
                raise InteropError(self._key_offset("tools"), f"the tool `{name}` is defined in code, not in this file",
                                   f"declare it in the module: `tool {name}(param: type) \"what it does\"`", 5)
            d = defs[name]
            try:
                schema = to_json_schema(d.get("inputSchema") or {"type": "object", "properties": {}})
                params = []
                required = set((schema or {}).get("required") or [])
                for p, sub in object_properties(schema, name).items():
                    ty = to_type(sub, p)
                    params.append(f"{p}: {ty}{'' if p in required or ty.endswith('?') else '?'}")
            except SchemaError as exc:
                raise InteropError(self._key_offset("toolDefs"), f"tool `{name}`: {exc.message}", exc.hint, 8) from None
            desc = f" {string_literal(str(d['description']))}" if d.get("description") else ""
            self.module.tools.append(f"tool {name}({', '.join(params)}){desc}")

    # --- inputs --------------------------------------------------------------------------
    def _root_name(self, name: str, where: int) -> tuple[str, Shape]:
        if not IDENT.match(name) or name in ("loop", "tools"):
            raise InteropError(self.base + where, f"the input name `{name}` is not a promptc name",
                               "rename it to letters, digits and `_` (not `loop` or `tools`)", len(name))
        if self.declared is not None and name not in self.declared:
            raise InteropError(self.base + where, f"`{name}` is not in the input schema",
                               f"add `{name}` to `input.schema`, or remove it from the template", len(name))
        if name not in self.inputs:
            self.inputs[name] = Shape(where=self.base + where)
            self.taken.add(name)
        return name, self.inputs[name]

    def _declare_inputs(self) -> None:
        for sample in self.samples:
            for name, shape in self.inputs.items():
                add_samples(shape, sample.get(name))
        for name, value in self.default_values.items():
            if name in self.inputs:
                add_samples(self.inputs[name], value)
        for a, b in self.compared:  # a value seen only as null takes the type of what it is compared with
            if not a.samples and b.samples:
                a.samples.append(b.samples[0])
            elif not b.samples and a.samples:
                b.samples.append(a.samples[0])
        names = list(self.declared) if self.declared is not None else list(self.inputs)
        for name in names:
            if self.declared is not None:
                ty = self.declared[name]
            else:
                ty = shape_type(self.inputs[name], name)
            comment = f"  # {self.descriptions[name]}" if name in self.descriptions else ""
            if name in self.default_values:
                ty = ty.removesuffix("?")
                self.module.inputs.append(f"input {name}: {ty} = {value_source(self.default_values[name])}{comment}")
            else:
                self.module.inputs.append(f"input {name}: {ty}{comment}")

    # --- template --------------------------------------------------------------------------
    def _messages(self, tree: hb.Program) -> list[tuple[str, list[tuple[str, str]]]]:
        segments: list[tuple[str, list[tuple[str, str]]]] = [("user", [])]
        frames = [_Frame("root")]
        for node in tree.body:
            if isinstance(node, hb.Mustache) and isinstance(node.path, hb.Path) and node.path.original in (
                    "role", "history"):
                if node.path.original == "history":
                    raise self._error(node, "`{{history}}` inserts the caller's conversation history, which promptc "
                                            "prompts do not take", "declare the turns as an input "
                                            "(`input history: list[{role: str, text: str}]`) and render them in a loop")
                role = self._role(node)
                parts = segments[-1][1]
                if all(k == "lit" and not v.strip() for k, v in parts):
                    segments[-1] = (role, [])
                else:
                    segments.append((role, []))
                continue
            self._node(node, frames, segments[-1][1])
        return [(role, parts) for role, parts in segments
                if not all(k == "lit" and not v.strip() for k, v in parts)]

    def _role(self, node: hb.Mustache) -> str:
        if len(node.params) != 1 or not isinstance(node.params[0], hb.Literal) or node.hash:
            raise self._error(node, "`{{role}}` takes one role name in quotes", 'write `{{role "system"}}`')
        role = node.params[0].value
        if role not in ROLES:
            raise self._error(node, f"the role `{role}` has no promptc message", "use system, user or model")
        return ROLES[str(role)]

    def _error(self, node, message: str, hint: str) -> InteropError:
        return InteropError(self.base + node.offset, message, hint, node.end - node.offset)

    def _body(self, program: hb.Program, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        for node in program.body:
            self._node(node, frames, out)

    def _node(self, node, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        if isinstance(node, hb.Content):
            out.append(("lit", node.value))
        elif isinstance(node, hb.Comment):
            pass
        elif isinstance(node, hb.Mustache):
            self._mustache(node, frames, out)
        elif isinstance(node, hb.Partial):
            self._partial(node, frames, out)
        elif isinstance(node, hb.Block):
            self._block(node, frames, out)

    def _mustache(self, node: hb.Mustache, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        path = node.path
        if isinstance(path, hb.Literal):
            out.append(("expr", "{{ " + json.dumps(path.value, ensure_ascii=False) + " }}"))
            return
        assert isinstance(path, hb.Path)
        name = path.original
        if name in ("role", "history"):
            raise self._error(node, f"`{{{{{name}}}}}` inside a block: promptc messages are fixed, not conditional",
                              "move it to the top level of the template")
        if name in ("section", "media"):
            raise self._error(node, f"`{{{{{name}}}}}` adds a {'media' if name == 'media' else 'section'} part to the "
                                    "message; promptc messages are text", "remove it, or pass the text as an input")
        if name == "json":
            if len(node.params) != 1:
                raise self._error(node, "`{{json}}` takes one value", "write `{{json value}}`")
            expr, shape = self._value(node.params[0], frames, node)
            if shape is not None:
                shape.rendered = True
            if shape is None or shape.fields or shape.looped or expr == "":
                raise self._error(node, "`{{json}}` of a list or an object writes JSON.stringify's layout, which "
                                        "promptc's `tojson` does not (it sorts keys and puts a space after `,` and `:`)",
                                  "render the fields you need, or accept `{{ value | tojson }}`'s layout and write it")
            out.append(("expr", "{{ " + expr + " | tojson }}"))
            return
        if name in ("lookup", "log") or node.params or node.hash:
            raise self._error(node, f"the helper `{name}` has no form in promptc's templates",
                              "use variables, `{{#if}}`, `{{#each}}`, `{{#with}}` and `{{> partial}}`")
        expr, shape = self._value(path, frames, node)
        if shape is not None:
            shape.rendered = True
        out.append(("expr", "{{ " + expr + " }}"))

    def _value(self, expr: hb.Expr, frames: list[_Frame], node) -> tuple[str, Shape | None]:
        """promptc's expression for a Handlebars value, and the shape it uses (None for a literal)."""
        if isinstance(expr, hb.Literal):
            return json.dumps(expr.value, ensure_ascii=False), None
        if isinstance(expr, hb.SubExpression):
            raise InteropError(self.base + expr.offset, "a subexpression has no form in promptc", "pass it as an input")
        path = expr
        at = self.base + path.offset
        if path.data:
            head = path.parts[0] if path.parts else ""
            if head in ("first", "last") and len(path.parts) == 1:
                if not any(f.kind == "item" for f in frames[: len(frames) - path.depth]):
                    raise InteropError(at, f"`@{head}` outside `{{{{#each}}}}`", "use it inside a loop", len(path.original))
                return f"loop.{head}", None
            if head == "index":
                raise InteropError(at, "`@index` counts from 0 and promptc's `loop.index` from 1; the importer "
                                       "does not change the numbers", "write `{{ loop.index }}` if counting from 1 "
                                       "is what you want", len(path.original))
            if head == "root" and len(path.parts) > 1:
                return self._resolve(frames[0], path.parts[1:], at, path.original)
            if head == "key":
                raise InteropError(at, "`@key` names an object key; promptc loops run over lists",
                                   "pass the keys as a list input", len(path.original))
            raise InteropError(at, f"`{path.original}` reads Dotprompt's context data, which promptc prompts "
                                   "do not have", f"pass it as an input (`input {head}: …`) and write "
                                   f"`{{{{ {'.'.join(path.parts)} }}}}`", len(path.original))
        if path.depth >= len(frames):
            raise InteropError(at, f"`{path.original}` goes above the template's inputs", "remove a `../`",
                               len(path.original))
        if not path.this and path.depth == 0 and path.parts:
            for frame in reversed(frames):
                if frame.param and frame.param == path.parts[0]:
                    return self._resolve(frame, path.parts[1:], at, path.original)
        frame = frames[len(frames) - 1 - path.depth]
        return self._resolve(frame, path.parts, at, path.original)

    def _resolve(self, frame: _Frame, parts: list[str], at: int, original: str) -> tuple[str, Shape]:
        for part in parts:
            if not IDENT.match(part):
                raise InteropError(at, f"`{original}`: the field `{part}` is not a promptc name (indexing and "
                                       "odd keys have no form)", "pass the value as its own input", len(original))
        if frame.kind in ("root", "params"):
            if not parts:
                raise InteropError(at, "`{{this}}` at the top level is the whole input object, which promptc "
                                       "templates cannot name", "render the inputs one by one", len(original))
            if frame.kind == "root":
                expr, shape = self._root_name(parts[0], at - self.base)
            else:
                if parts[0] not in frame.names:
                    frame.names[parts[0]] = (parts[0], Shape(where=at))
                expr, shape = frame.names[parts[0]]
            rest = parts[1:]
        else:
            assert frame.shape is not None
            expr, shape, rest = frame.expr, frame.shape, parts
        for part in rest:
            shape = shape.child(part, at)
            expr = f"{expr}.{part}"
        return expr, shape

    def _block(self, node: hb.Block, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        name = node.path.original
        if node.inverted:
            name = "unless"
        if name in ("if", "unless"):
            if len(node.params) != 1 or node.hash:
                raise self._error(node, f"`{{{{#{name}}}}}` takes one value (and no options such as includeZero)",
                                  f"write `{{{{#{name} value}}}}`")
            expr, _shape = self._value(node.params[0], frames, node)
            cond = expr if name == "if" else f"not {expr}"
            self._conditional(cond, node, frames, out)
        elif name in ("ifEquals", "unlessEquals"):
            if len(node.params) != 2 or node.hash:
                raise self._error(node, f"`{{{{#{name}}}}}` takes two values", f"write `{{{{#{name} a b}}}}`")
            left, ls = self._value(node.params[0], frames, node)
            right, rs = self._value(node.params[1], frames, node)
            for s in (ls, rs):
                if s is not None:
                    s.rendered = True  # compared as a scalar
            if ls is not None and rs is not None:
                self.compared.append((ls, rs))
            op = "==" if name == "ifEquals" else "!="
            self._conditional(f"{left} {op} {right}", node, frames, out)
        elif name == "each":
            if len(node.params) != 1 or node.hash:
                raise self._error(node, "`{{#each}}` takes one list", "write `{{#each items}}`")
            if len(node.block_params) > 1:
                raise self._error(node, "an `{{#each}}` index parameter counts from 0; promptc's `loop.index` "
                                        "counts from 1", "use `loop.index` if counting from 1 is what you want")
            expr, shape = self._value(node.params[0], frames, node)
            if shape is None:
                raise self._error(node, "`{{#each}}` over a literal", "loop over an input list")
            item = shape.items(self.base + node.offset)
            base = node.block_params[0] if node.block_params else _singular(expr.split(".")[-1])
            var = unique_name(base, self.taken | {f.expr for f in frames})
            self.taken.discard(var)
            body: list[tuple[str, str]] = []
            self._body(node.program, [*frames, _Frame("item", var, item, param=node.block_params[0]
                                                      if node.block_params else "")], body)
            loop = [("tag", f"{{% for {var} in {expr} %}}"), *body, ("tag", "{% endfor %}")]
            if node.inverse is not None:
                inverse: list[tuple[str, str]] = []
                self._body(node.inverse, frames, inverse)
                out += [("tag", f"{{% if {expr} %}}"), *loop, ("tag", "{% else %}"), *inverse, ("tag", "{% endif %}")]
            else:
                out += loop
        elif name == "with":
            if len(node.params) != 1 or node.hash or node.block_params:
                raise self._error(node, "`{{#with}}` takes one object", "write `{{#with value}}`")
            expr, shape = self._value(node.params[0], frames, node)
            if shape is None:
                raise self._error(node, "`{{#with}}` of a literal", "use an input")
            body = []
            self._body(node.program, [*frames, _Frame("with", expr, shape)], body)
            inverse = []
            if node.inverse is not None:
                self._body(node.inverse, frames, inverse)
            out += [("tag", f"{{% if {expr} %}}"), *body]
            if inverse:
                out += [("tag", "{% else %}"), *inverse]
            out.append(("tag", "{% endif %}"))
        else:
            raise self._error(node, f"the block helper `{{{{#{name}}}}}` has no form in promptc's templates",
                              "use `{{#if}}`, `{{#unless}}`, `{{#each}}`, `{{#with}}`, `{{#ifEquals}}` or "
                              "`{{#unlessEquals}}`")

    def _conditional(self, cond: str, node: hb.Block, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        program = node.program if not node.inverted else node.inverse
        assert program is not None
        body: list[tuple[str, str]] = []
        self._body(program, frames, body)
        out += [("tag", f"{{% if {cond} %}}"), *body]
        if node.inverse is not None and not node.inverted:
            inverse: list[tuple[str, str]] = []
            self._body(node.inverse, frames, inverse)
            out += [("tag", "{% else %}"), *inverse]
        out.append(("tag", "{% endif %}"))

    def _partial(self, node: hb.Partial, frames: list[_Frame], out: list[tuple[str, str]]) -> None:
        name = node.name
        if name not in self.partial_sources:
            raise self._error(node, f"the partial `{name}` is not found",
                              f"put it in `_{name}.prompt` next to the file")
        if node.indent:
            raise self._error(node, "an indented standalone partial: Handlebars indents every line of it, "
                                    "which a fragment cannot", "put the partial at the start of its line")
        if name in self.partial_stack:
            raise self._error(node, f"the partial `{name}` includes itself", "break the cycle")
        if len(node.params) > 1:
            raise self._error(node, "a partial takes at most one context value", "pass values as key=value")
        if not self.partials_alias:
            self.partials_alias = unique_name("partials", self.taken)
        if name not in self.fragment_names:  # a partial's fragment: its name, made a promptc name
            self.fragment_names[name] = unique_name(name, set(self.fragments))
        frag = self.fragment_names[name]
        # The partial's free names, resolved where it is called.
        context = frames
        if node.params:
            expr, shape = self._value(node.params[0], frames, node)
            if shape is None:
                raise self._error(node, "a partial's context is a literal", "pass an input")
            context = [*frames, _Frame("with", expr, shape)]
        try:
            tree = hb.parse(self.partial_sources[name])
        except hb.HandlebarsError as exc:
            raise self._error(node, f"in the partial `{name}`: {exc.message}", exc.hint) from None
        params_frame = _Frame("params")
        body: list[tuple[str, str]] = []
        self.partial_stack.append(name)
        self._body(tree, [params_frame], body)
        self.partial_stack.pop()
        args = []
        params: dict[str, Shape] = {}
        for pname, (_e, pshape) in params_frame.names.items():
            if pname in node.hash:
                value = node.hash[pname]
                expr, shape = self._value(value, context, node)
                if shape is None:
                    shape = Shape(where=self.base + node.offset)
                    shape.samples.append(value.value)  # type: ignore[union-attr]
            else:
                expr, shape = self._resolve(context[-1], [pname], self.base + node.offset, pname) \
                    if context[-1].kind != "root" else self._value(hb.Path(pname, [pname]), context, node)
            _merge(shape, pshape)
            params[pname] = shape
            args.append(f"{pname}={expr}")
        self.fragments[frag] = (name, body, params)
        prefix = "" if self.partial_stack else f"{self.partials_alias}."  # a partial in a partial: a sibling
        call = f"{prefix}{frag}" + (f"({', '.join(args)})" if args else "")
        out.append(("expr", "{{ " + call + " }}"))


def _merge(into: Shape, use: Shape) -> None:
    into.rendered = into.rendered or use.rendered
    if use.looped:
        _merge(into.items(use.where), use.item or Shape())
    for name, sub in use.fields.items():
        _merge(into.child(name, sub.where), sub)


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 1:
        return name[:-1]
    return f"{name}_item"


def partial_names(text: str) -> list[str]:
    return re.findall(r"\{\{~?>\s*([^\s}~]+)", text)
