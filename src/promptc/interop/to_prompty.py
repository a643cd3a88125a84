"""A bundle as a Prompty file (`promptc export --format prompty`): Jinja that Prompty
(significant whitespace, Python values) renders to promptc's text: booleans as
`true`/`false`, null as nothing, integral floats as integers, `default` on null too. A
message whose edge line break Prompty's parser would drop raises ExportError."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from ..export import ExportError
from ..export.nunjucks import _Translator as NunjucksTranslator
from .export import MODEL_TO_CONFIG, front_matter, schema_alternatives, schema_types, var_schema

_DICT_ATTRS = frozenset(dir(dict))
_PROMPTY_ROLE = re.compile(r"^\s*#?\s*(system|user|assistant|developer)(\[[^\]]*\])?\s*:\s*$", re.I | re.M)


class _Jinja(NunjucksTranslator):
    """IR → Jinja as Prompty renders it (keep_trailing_newline, no trim_blocks, Python values).
    The walk over the IR is the Nunjucks exporter's; the expressions are Jinja's own."""

    def __init__(self, name: str, props: Mapping):
        super().__init__({"properties": props})
        self.name = name
        self.notes: list[str] = []

    def var(self, path: list[str]) -> str:
        out = path[0]
        for part in path[1:]:
            out += f"[{json.dumps(part)}]" if part in _DICT_ATTRS else f".{part}"
        return out

    def expr(self, e: Mapping, env: Mapping) -> str:
        kind = e["kind"]
        if kind == "var":
            return self.var(e["path"])
        if kind == "const":
            return _py_literal(e["value"])
        if kind == "filter":
            arg = self.atom(e["arg"], env)
            args = [self.expr(a, env) for a in e.get("args", [])]
            if e["name"] == "default":
                # promptc's default replaces null and a missing value; Jinja's only a missing one.
                return f"(({arg} if {arg} is not none else {args[0]}) | default({args[0]}))"
            if e["name"] == "tojson":
                self.notes.append(f"{self.name}: Jinja's `tojson` writes <, >, & and ' as \\u escapes; "
                                  "promptc writes them as they are")
            if e["name"] == "title":
                self.notes.append(f"{self.name}: Jinja's `title` also capitalises after punctuation")
            return f"{arg} | {e['name']}" + (f"({', '.join(args)})" if args else "")
        if kind == "compare":
            op = {"not-in": "not in"}.get(e["op"], e["op"])
            return f"{self.atom(e['left'], env)} {op} {self.atom(e['right'], env)}"
        if kind in ("and", "or"):
            return f" {kind} ".join(self.atom(a, env) for a in e["args"])
        if kind == "not":
            return f"not {self.atom(e['arg'], env)}"
        raise ExportError(f"unknown IR expression kind {kind!r}")

    def atom(self, e: Mapping, env: Mapping) -> str:
        s = self.expr(e, env)
        return s if e["kind"] in ("var", "const") else f"({s})"

    def output(self, e: Mapping, env: Mapping) -> str:
        """An expression printed as text, as promptc prints it (true/false, null as nothing)."""
        if e["kind"] in ("compare", "and", "or", "not"):
            return f'"true" if {self.atom(e, env)} else "false"'
        types = {"any"}
        if e["kind"] == "var":
            types = {"integer"} if e["path"][:1] == ["loop"] and e["path"][1:] == ["index"] else \
                {"boolean"} if e["path"][:1] == ["loop"] else schema_types(var_schema(self.props, env, e["path"]))
        elif e["kind"] == "const":
            return _py_literal(e["value"]) if not isinstance(e["value"], bool) else json.dumps(json.dumps(e["value"]))
        elif e["kind"] == "filter" and e["name"] != "default":
            types = {"string"}
        s = self.atom(e, env)
        if types & {"boolean", "any"}:
            s = f'("true" if {s} is sameas true else "false" if {s} is sameas false else {s})'
        if types & {"null", "any"}:
            s = f'({s} if {s} is not none else "")'
        if types & {"number", "any"}:  # an integral float prints as an integer in promptc (2.0 as `2`)
            s = f"({s} | int if {s} is float and {s} == {s} | int and {s} | abs < 1e16 else {s})"
        return s

    def test(self, e: Mapping, env: Mapping) -> str:
        return self.expr(e, env)  # Python's truthiness is promptc's: null, false, 0, "", [] and {} are false

    def iterable(self, e: Mapping, env: Mapping) -> str:
        return f"({self.expr(e, env)} or [])"  # promptc runs no item over null; Jinja would fail

    def _schema(self, e: Mapping, env: Mapping) -> dict:
        return var_schema(self.props, env, e["path"]) if e["kind"] == "var" else {}


def _py_literal(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _prompty_property(name: str, schema: Mapping, required: bool) -> dict:
    alts = [a for a in schema_alternatives(dict(schema)) if a.get("type") != "null"]
    main = alts[0] if alts else {}
    kind = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean", "array": "array",
            "object": "object"}.get(main.get("type") if isinstance(main.get("type"), str) else "", "string")
    prop: dict[str, Any] = {"name": name, "kind": kind}
    if main.get("description"):
        prop["description"] = main["description"]
    if "enum" in main:
        prop["enumValues"] = [v for v in main["enum"] if v is not None]
    if kind == "array":
        item = _prompty_property("", main.get("items") or {}, True)
        item.pop("name")
        item.pop("required", None)
        prop["items"] = item
    if kind == "object":
        fields = main.get("properties") or {}
        prop["properties"] = [_prompty_property(k, v, k in (main.get("required") or [])) for k, v in fields.items()]
    if "default" in schema:
        prop["default"] = schema["default"]
    if required:
        prop["required"] = True
    return prop


def prompty_file(bundle: Mapping) -> tuple[str, list[str]]:
    spec = bundle["spec"]
    name = bundle["name"]
    front: dict[str, Any] = {"name": name}
    if (bundle.get("meta") or {}).get("purpose"):
        front["description"] = bundle["meta"]["purpose"]
    model = dict(spec.get("model") or {})
    out_model: dict[str, Any] = {}
    if model.get("name"):
        out_model["id"] = model.pop("name")
    if model.get("provider"):
        out_model["provider"] = model.pop("provider")
    out_model["apiType"] = "chat"
    options = {MODEL_TO_CONFIG[k]: v for k, v in model.items() if k in MODEL_TO_CONFIG}
    notes = [f"{name}: model setting `{k}` has no Prompty option; it is not exported"
             for k in model if k not in MODEL_TO_CONFIG]
    if options:
        out_model["options"] = options
    front["model"] = out_model
    schema = spec["inputs"]
    required = set(schema.get("required") or [])
    props = schema.get("properties") or {}
    front["inputs"] = [_prompty_property(k, v, k in required) for k, v in props.items()]
    if spec["output"].get("type") == "json":
        front["outputs"] = _prompty_outputs(spec["output"]["schema"], name)
    if spec.get("tools"):
        front["tools"] = [{"name": t["name"], "kind": "function", "description": t["description"],
                           "parameters": [_prompty_property(p, s, p in (t["parameters"].get("required") or []))
                                          for p, s in (t["parameters"].get("properties") or {}).items()]}
                          for t in spec["tools"]]
    front["template"] = {"format": {"kind": "jinja2"}, "parser": {"kind": "prompty"}}
    translator = _Jinja(name, props)
    parts = []
    for message in spec["messages"]:
        nodes = message["content"]
        texts = [n for n in nodes if n["kind"] == "text"]
        for edge, where in ((0, "start"), (-1, "end")):
            if _may_touch(nodes, edge):
                raise ExportError(f"{name}: the {message['role']} message can {where} with a line break (text or "
                                  f"a block's text at its {where}), which Prompty's parser removes; move the line "
                                  "break inside the message")
        for t in _all_texts(nodes):
            if _PROMPTY_ROLE.search(t["text"]):
                raise ExportError(f"{name}: a line of the {message['role']} message reads as a Prompty role "
                                  "marker (`user:` alone on a line); reword it")
        parts.append(f"{message['role']}:\n{translator.nodes(nodes, {})}")
    notes += list(dict.fromkeys(translator.notes))
    return front_matter(front) + "\n\n".join(parts) + "\n", notes


def _may_touch(nodes: list, edge: int) -> bool:
    """Whether the message's rendered text can start (edge 0) or end (edge -1) with a newline
    that comes from its text (values are not looked at)."""
    if not nodes:
        return False
    n = nodes[edge]
    if n["kind"] == "text":
        if not n["text"]:
            return _may_touch(nodes[:-1] if edge == -1 else nodes[1:], edge)
        return n["text"][edge] == "\n"
    if n["kind"] == "if":
        bodies = [b["body"] for b in n["branches"]] + [n["else"]]
        rest = nodes[:-1] if edge == -1 else nodes[1:]
        return any(_may_touch(b, edge) for b in bodies) or (not all(bodies) and _may_touch(rest, edge))
    if n["kind"] == "for":
        rest = nodes[:-1] if edge == -1 else nodes[1:]
        return _may_touch(n["body"], edge) or _may_touch(rest, edge)
    return False


def _all_texts(nodes: list) -> list[dict]:
    out = []
    for n in nodes:
        if n["kind"] == "text":
            out.append(n)
        elif n["kind"] == "if":
            for b in n["branches"]:
                out += _all_texts(b["body"])
            out += _all_texts(n["else"])
        elif n["kind"] == "for":
            out += _all_texts(n["body"])
    return out


def _prompty_outputs(schema: Mapping, name: str) -> list[dict]:
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ExportError(f"{name}: Prompty outputs are named fields; this output schema is not an object")
    required = set(schema.get("required") or [])
    return [_prompty_property(k, v, k in required) for k, v in schema["properties"].items()]
