"""`promptc export NAME --format dotprompt|prompty|github-models`: a bundle as the file a
team on that tool would use.

Each writer maps the bundle's IR onto the target's template language so that the target's
reference implementation renders the same messages promptc renders; what the target cannot
say exactly raises ExportError naming the construct (never a silent change), and what it
says slightly differently for unusual values is returned as notes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

from ..export import ExportError
from ..export.promptfoo import dump_yaml
from . import handlebars as hb

ROLE_TO_DOTPROMPT = {"system": "system", "user": "user", "assistant": "model"}
MODEL_TO_CONFIG = {"temperature": "temperature", "max_tokens": "maxOutputTokens", "top_p": "topP", "stop": "stopSequences",
                   "seed": "seed", "frequency_penalty": "frequencyPenalty", "presence_penalty": "presencePenalty"}


def _defaults(spec: Mapping) -> dict:
    return {name: prop["default"] for name, prop in (spec["inputs"].get("properties") or {}).items()
            if isinstance(prop, dict) and "default" in prop}


def _front(document: dict) -> str:
    return "---\n" + dump_yaml(document) + "---\n"


def _var_schema(props: Mapping, env: Mapping, path: list[str]) -> dict:
    head, *rest = path
    schema = env.get(head, props.get(head, {}))
    for name in rest:
        schema = _field(schema, name)
    return schema if isinstance(schema, dict) else {}


def _alternatives(schema: Mapping) -> list[dict]:
    return list(schema.get("anyOf") or [schema])


def _field(schema: Mapping, name: str) -> dict:
    for alt in _alternatives(schema):
        if isinstance(alt.get("properties"), dict) and name in alt["properties"]:
            sub = alt["properties"][name]
            if name not in (alt.get("required") or []):
                return {"anyOf": [*_alternatives(sub), {"type": "null"}]}
            return sub
    return {}


def _items(schema: Mapping) -> dict:
    for alt in _alternatives(schema):
        if isinstance(alt.get("items"), dict):
            return alt["items"]
    return {}


def _types(schema: Mapping) -> set[str]:
    out: set[str] = set()
    for alt in _alternatives(schema):
        t = alt.get("type")
        if isinstance(t, list):
            out |= set(t)
        elif isinstance(t, str):
            out.add(t)
        elif "enum" in alt:
            out |= {"string" if isinstance(v, str) else "null" if v is None else "other" for v in alt["enum"]}
        else:
            out.add("any")
    return out


# --- Dotprompt ---------------------------------------------------------------------------

class _Handlebars:
    """IR → Handlebars as Dotprompt compiles it (knownHelpersOnly, noEscape)."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, what: str, hint: str) -> ExportError:
        return ExportError(f"{self.name}: {what} has no Dotprompt form; {hint}")

    def path(self, expr: Mapping, loops: list[str]) -> str:
        if expr["kind"] == "const":
            value = expr["value"]
            if isinstance(value, str):
                return json.dumps(value)
            if value is None or isinstance(value, (bool, int, float)):
                return json.dumps(value)
            raise self.fail("a list or object literal", "pass it as an input")
        if expr["kind"] != "var":
            raise self.fail(f"the expression `{_describe(expr)}`", "Dotprompt's Handlebars has no filters or "
                            "operators in values; keep such prompts in promptc or export them to Prompty")
        path = expr["path"]
        if path[0] == "loop":
            if path[1:] in (["first"], ["last"]):
                return f"@{path[1]}"
            raise self.fail("`loop.index`", "Handlebars' `@index` counts from 0")
        return ".".join(path)

    def condition(self, expr: Mapping, loops: list[str]) -> tuple[str, str]:
        """(block helper, its arguments) testing `expr`."""
        kind = expr["kind"]
        if kind == "not":
            helper, args = self.condition(expr["arg"], loops)
            if helper == "if":
                return "unless", args
            if helper == "ifEquals":
                return "unlessEquals", args
            if helper == "unlessEquals":
                return "ifEquals", args
            raise self.fail("`not` of a negation", "simplify the condition")
        if kind == "compare" and expr["op"] in ("==", "!="):
            helper = "ifEquals" if expr["op"] == "==" else "unlessEquals"
            return helper, f"{self.path(expr['left'], loops)} {self.path(expr['right'], loops)}"
        if kind in ("var", "const"):
            return "if", self.path(expr, loops)
        raise self.fail(f"the condition `{_describe(expr)}`", "Dotprompt tests one value or two for equality")

    def nodes(self, nodes: list, loops: list[str], out: list[tuple[str, str]]) -> None:
        for n in nodes:
            kind = n["kind"]
            if kind == "text":
                out.append(("text", n["text"]))
            elif kind == "expr":
                e = n["expr"]
                if e["kind"] == "filter" and e["name"] == "tojson":
                    raise self.fail("`tojson`", "Dotprompt's `{{json}}` writes JSON.stringify's layout, not promptc's")
                out.append(("code", "{{" + self.path(e, loops) + "}}"))
            elif kind == "if":
                closers = []
                for i, branch in enumerate(n["branches"]):
                    helper, args = self.condition(branch["cond"], loops)
                    if i:
                        out.append(("code", "{{else}}"))
                    out.append(("code", f"{{{{#{helper} {args}}}}}"))
                    closers.append(helper)
                    self.nodes(branch["body"], loops, out)
                if n["else"]:
                    out.append(("code", "{{else}}"))
                    self.nodes(n["else"], loops, out)
                for helper in reversed(closers):
                    out.append(("code", f"{{{{/{helper}}}}}"))
            elif kind == "for":
                iterated = self.path(n["iter"], loops)
                out.append(("code", f"{{{{#each {iterated} as |{n['var']}|}}}}"))
                self.nodes(n["body"], [*loops, n["var"]], out)
                out.append(("code", "{{/each}}"))
            else:
                raise ExportError(f"unknown IR node kind {kind!r}")


def _describe(expr: Mapping) -> str:
    kind = expr["kind"]
    if kind == "var":
        return ".".join(expr["path"])
    if kind == "const":
        return json.dumps(expr["value"])
    if kind == "filter":
        args = ", ".join(_describe(a) for a in expr.get("args", []))
        return f"{_describe(expr['arg'])} | {expr['name']}" + (f"({args})" if args else "")
    if kind == "compare":
        return f"{_describe(expr['left'])} {expr['op']} {_describe(expr['right'])}"
    if kind == "not":
        return f"not {_describe(expr['arg'])}"
    return f" {kind} ".join(_describe(a) for a in expr["args"])


def _hb_source(pieces: list[tuple[str, str]], name: str) -> str:
    """Handlebars source for text and code pieces whose text survives Handlebars' standalone
    rules: a newline a standalone block tag would swallow is written twice."""
    texts = [i for i, (k, v) in enumerate(pieces) if k == "text" and v]
    extra: dict[int, str] = {}
    for _ in range(4):
        source, starts = _join(pieces, extra)
        tree = hb.parse(source)
        contents = {c.offset: c for c in _contents(tree)}
        changed = False
        for i in texts:
            content = contents.get(starts[i])
            want = pieces[i][1]
            if content is None:
                raise ExportError(f"{name}: internal error: lost text {want!r}")
            if content.value == extra.get(i, "") + want:
                continue
            kept = content.value
            if (extra.get(i, "") + want).endswith(kept) and want.endswith(kept[len(kept) - len(want):] if want else ""):
                removed = (extra.get(i, "") + want)[: len(extra.get(i, "") + want) - len(kept)]
                extra[i] = extra.get(i, "") + removed
                changed = True
                continue
            raise ExportError(f"{name}: the indentation before a block on its own line ({want[-20:]!r}) would be "
                              "removed by Handlebars; start the block right after the text")
        if not changed:
            return source
    raise ExportError(f"{name}: the text around a block cannot be written so that Handlebars keeps it")


def _join(pieces: list[tuple[str, str]], extra: dict[int, str]) -> tuple[str, dict[int, int]]:
    out: list[str] = []
    starts: dict[int, int] = {}
    at = 0
    for i, (kind, value) in enumerate(pieces):
        if kind == "text":
            value = _hb_escape(extra.get(i, "") + value)
            starts[i] = at
        out.append(value)
        at += len(value)
    return "".join(out), starts


def _hb_escape(text: str) -> str:
    if text.endswith("\\"):
        raise ExportError("text ending in a backslash before a Handlebars expression cannot be written")
    return text.replace("{{", "\\{{")


def _contents(program: hb.Program) -> list[hb.Content]:
    out: list[hb.Content] = []
    for node in program.body:
        if isinstance(node, hb.Content):
            out.append(node)
        elif isinstance(node, hb.Block):
            out += _contents(node.program)
            if node.inverse is not None:
                out += _contents(node.inverse)
    return out


def dotprompt_file(bundle: Mapping) -> tuple[str, list[str]]:
    spec = bundle["spec"]
    name = bundle["name"]
    notes: list[str] = []
    front: dict[str, Any] = {}
    model = dict(spec.get("model") or {})
    if model.get("name"):
        front["model"] = model.pop("name")
    config = {}
    for key, value in model.items():
        if key in MODEL_TO_CONFIG:
            config[MODEL_TO_CONFIG[key]] = value
        else:
            notes.append(f"{name}: model setting `{key}` has no Dotprompt config key; it is not exported")
    if config:
        front["config"] = config
    if (bundle.get("meta") or {}).get("purpose"):
        front["description"] = bundle["meta"]["purpose"]
    schema = {k: v for k, v in spec["inputs"].items()}
    props = {k: {kk: vv for kk, vv in v.items() if kk != "default"} for k, v in (schema.get("properties") or {}).items()}
    front["input"] = {"schema": {**schema, "properties": props}}
    defaults = _defaults(spec)
    if defaults:
        front["input"]["default"] = defaults
    if spec["output"].get("type") == "json":
        front["output"] = {"format": "json", "schema": spec["output"]["schema"]}
    if spec.get("tools"):
        front["tools"] = [t["name"] for t in spec["tools"]]
        front["toolDefs"] = [{"name": t["name"], "description": t["description"], "inputSchema": t["parameters"]}
                             for t in spec["tools"]]
    pieces: list[tuple[str, str]] = []
    translator = _Handlebars(name)
    for message in spec["messages"]:
        nodes = message["content"]
        if all(n["kind"] == "text" for n in nodes) and not "".join(n["text"] for n in nodes).strip():
            raise ExportError(f"{name}: an empty {message['role']} message; Dotprompt drops messages with no text")
        pieces.append(("code", f'{{{{role "{ROLE_TO_DOTPROMPT[message["role"]]}"}}}}'))
        translator.nodes(nodes, [], pieces)
    if pieces and pieces[-1][0] == "text" and pieces[-1][1] != pieces[-1][1].rstrip():
        pieces.append(("code", "{{!-- Dotprompt trims the template: this keeps its final whitespace --}}"))
    body = _hb_source(pieces, name)
    return _front(front) + body, notes


# --- Prompty -------------------------------------------------------------------------------

_DICT_ATTRS = frozenset(dir(dict))
_PROMPTY_ROLE = re.compile(r"^\s*#?\s*(system|user|assistant|developer)(\[[^\]]*\])?\s*:\s*$", re.I | re.M)


class _Jinja:
    """IR → Jinja as Prompty renders it (keep_trailing_newline, no trim_blocks, Python values)."""

    def __init__(self, name: str, props: Mapping):
        self.name, self.props = name, props
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
                {"boolean"} if e["path"][:1] == ["loop"] else _types(_var_schema(self.props, env, e["path"]))
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

    def nodes(self, nodes: list, env: Mapping) -> str:
        out: list[str] = []
        for n in nodes:
            kind = n["kind"]
            if kind == "text":
                out.append(re.sub(r"\{[{%#]", lambda m: "{{ " + json.dumps(m.group(0)) + " }}", n["text"]))
            elif kind == "expr":
                out.append("{{ " + self.output(n["expr"], env) + " }}")
            elif kind == "if":
                for i, branch in enumerate(n["branches"]):
                    out.append("{% " + ("if" if i == 0 else "elif") + " " + self.expr(branch["cond"], env) + " %}")
                    out.append(self.nodes(branch["body"], env))
                if n["else"]:
                    out.append("{% else %}")
                    out.append(self.nodes(n["else"], env))
                out.append("{% endif %}")
            elif kind == "for":
                schema = _var_schema(self.props, env, n["iter"]["path"]) if n["iter"]["kind"] == "var" else {}
                inner = {**env, n["var"]: _items(schema)}
                out.append("{% for " + n["var"] + " in (" + self.expr(n["iter"], env) + " or []) %}")
                out.append(self.nodes(n["body"], inner))
                out.append("{% endfor %}")
            else:
                raise ExportError(f"unknown IR node kind {kind!r}")
        return "".join(out)


def _py_literal(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _prompty_property(name: str, schema: Mapping, required: bool) -> dict:
    alts = [a for a in _alternatives(schema) if a.get("type") != "null"]
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
    return _front(front) + "\n\n".join(parts) + "\n", notes


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


# --- GitHub Models ---------------------------------------------------------------------------

def github_models_file(bundle: Mapping, root: Path) -> tuple[str, list[str]]:
    """A `.prompt.yml` for `gh models eval`: messages with `{{name}}` placeholders, model
    parameters, and `testData` from the prompt's `eval:` dataset."""
    from ..export.promptfoo import tests_for

    spec = bundle["spec"]
    name = bundle["name"]
    doc: dict[str, Any] = {"name": name}
    if (bundle.get("meta") or {}).get("purpose"):
        doc["description"] = bundle["meta"]["purpose"]
    model = spec.get("model") or {}
    notes: list[str] = []
    if not model.get("name"):
        raise ExportError(f"{name}: GitHub Models needs a model; add `model: {{name: openai/gpt-4o}}`")
    doc["model"] = model["name"] if "/" in model["name"] else f"openai/{model['name']}"
    if "/" not in model["name"]:
        notes.append(f"{name}: model `{model['name']}` written as `{doc['model']}` (GitHub Models names the publisher)")
    params = {k2: model[k] for k, k2 in (("max_tokens", "maxTokens"), ("temperature", "temperature"), ("top_p", "topP"))
              if k in model}
    if params:
        doc["modelParameters"] = params
    if spec["output"].get("type") == "json":
        doc["responseFormat"] = "json_schema"
        doc["jsonSchema"] = json.dumps({"name": name.replace(".", "_"), "strict": False,
                                        "schema": spec["output"]["schema"]}, ensure_ascii=False)
    props = spec["inputs"].get("properties") or {}
    messages = []
    for message in spec["messages"]:
        out = []
        for n in message["content"]:
            if n["kind"] == "text":
                if "{{" in n["text"]:
                    raise ExportError(f"{name}: literal `{{{{` in the text would read as a GitHub Models placeholder")
                out.append(n["text"])
            elif n["kind"] == "expr" and n["expr"]["kind"] == "var" and len(n["expr"]["path"]) == 1:
                var = n["expr"]["path"][0]
                if _types(props.get(var, {})) & {"array", "object", "any"}:
                    raise ExportError(f"{name}: `{var}` is a list or object; GitHub Models substitutes text only")
                out.append("{{" + var + "}}")
            else:
                what = n["kind"] if n["kind"] != "expr" else f"the expression `{_describe(n['expr'])}`"
                raise ExportError(f"{name}: {what} has no GitHub Models form: its prompts substitute `{{{{name}}}}` "
                                  "only (no conditions, loops, fields or filters)")
        messages.append({"role": message["role"], "content": "".join(out)})
    doc["messages"] = messages
    tests, test_notes = tests_for(bundle, root, name)
    notes += test_notes
    defaults = _defaults(spec)
    if tests:
        doc["testData"] = []
        for test in tests:
            item = {**defaults, **test.get("vars", {})}
            missing = [v for v in props if v not in item]
            if missing:
                notes.append(f"{name}: test `{test.get('description')}` gives no {', '.join(missing)}; "
                             "`gh models eval` leaves those placeholders as written")
            doc["testData"].append(item)
        evaluators = _evaluators(tests, notes, name)
        if evaluators:
            doc["evaluators"] = evaluators
    else:
        notes.append(f"{name}: no `eval:` JSONL dataset, so no testData; add test rows before `gh models eval`")
    return dump_yaml(doc), notes


def _evaluators(tests: list[dict], notes: list[str], name: str) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for test in tests:
        for check in test.get("assert") or []:
            kind, value = check.get("type"), check.get("value")
            mapped = {"contains": "contains", "equals": "equals", "starts-with": "startsWith"}.get(kind or "")
            if mapped and isinstance(value, str):
                key = f"{mapped}:{value}"
                if key not in seen:
                    seen.add(key)
                    out.append({"name": f"{mapped} {value[:40]}", "string": {mapped: value}})
            elif kind:
                seen_key = f"skip:{kind}"
                if seen_key not in seen:
                    seen.add(seen_key)
                    notes.append(f"{name}: promptfoo assertion `{kind}` has no GitHub Models string evaluator; "
                                 "not exported")
    return out


def export_file(bundle: Mapping, fmt: str, root: Path) -> tuple[str, list[str]]:
    if fmt == "dotprompt":
        return dotprompt_file(bundle)
    if fmt == "prompty":
        return prompty_file(bundle)
    return github_models_file(bundle, root)


__all__ = ["dotprompt_file", "export_file", "github_models_file", "prompty_file"]
