"""A bundle as a Dotprompt file (`promptc export --format dotprompt`): each message a
`{{role}}` section of Handlebars that Dotprompt (knownHelpersOnly, noEscape) renders to
promptc's text, with Handlebars' standalone-line rules compensated; what Handlebars cannot
say (filters, `and`/`or`, ordering, `loop.index`) raises ExportError."""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..export import ExportError
from . import handlebars as hb
from .export import MODEL_TO_CONFIG, describe, front_matter, input_defaults

ROLE_TO_DOTPROMPT = {"system": "system", "user": "user", "assistant": "model"}

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
            raise self.fail(f"the expression `{describe(expr)}`", "Dotprompt's Handlebars has no filters or "
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
        raise self.fail(f"the condition `{describe(expr)}`", "Dotprompt tests one value or two for equality")

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
    defaults = input_defaults(spec)
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
    return front_matter(front) + body, notes
