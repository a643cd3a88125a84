"""A bundle message's IR as a Nunjucks template (the template language of promptfoo).

The IR is already free of fragments and whitespace control, so each node maps to one
Nunjucks construct and the template renders the same text promptc renders, with these
adjustments for where Nunjucks differs:

- literal text that contains `{{`, `{%` or `{#` writes those as string expressions;
- inputs with a default get it when the variable is not given
  (`{% set tier = tier if tier is defined else "free" %}` at the start of the message);
- `default(v)` applies to null as in promptc (Nunjucks' own applies only to undefined);
- a list or object tested for truth is tested by its length (an empty list is true in
  JavaScript, false in promptc);
- a list or object rendered as text, and `tojson`, use promptfoo's `dump` filter: JSON,
  but not with promptc's key order and spacing;
- `not-in` is `not (a in b)`; a comparison or logic rendered as text gives `true`/`false`.

Known differences that remain: `==` compares lists and objects by identity in JavaScript
(promptc compares them by value), floats outside [1e-4, 1e16) print as JavaScript prints them
(`0.00001` for `1e-05`, `10000000000000000` for `1e+16`; integral floats below 1e16 print as
integers in both), and `title` capitalises as JavaScript does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .budget import json_type, schema_alternatives, schema_types

_TEMPLATE_OPENERS = re.compile(r"\{[{%#]")
# In the body of a `for` node that binds its fields under another name (a fragment's loop
# inside the caller's), env maps this key to the name the caller's `loop` is kept under.
_OUTER_LOOP = "\0outer-loop"
_LOOP_FIELDS = {"type": "object", "properties": {"index": {"type": "integer"}, "first": {"type": "boolean"},
                                                 "last": {"type": "boolean"}}}


def literal(value: Any) -> str:
    """A JSON value as a Nunjucks literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {literal(v)}" for k, v in value.items()) + "}"


def text(value: str) -> str:
    return _TEMPLATE_OPENERS.sub(lambda m: "{{ " + json.dumps(m.group(0)) + " }}", value)


class _Translator:
    def __init__(self, inputs_schema: dict):
        self.props: dict = (inputs_schema or {}).get("properties", {})

    # Types, to know where a list or object is tested or printed.

    def _types(self, expr: dict, env: dict) -> set[str]:
        kind = expr["kind"]
        if kind == "const":
            return {json_type(expr["value"])}
        if kind in ("compare", "and", "or", "not"):
            return {"boolean"}
        if kind == "filter":
            if expr["name"] in ("upper", "lower", "trim", "title", "join", "tojson"):
                return {"string"}
            if expr["name"] == "length":
                return {"integer"}
            out = self._types(expr["arg"], env)
            if expr.get("args"):
                out |= self._types(expr["args"][0], env)
            return out - {"null"} if expr.get("args") else out
        head, *rest = expr["path"]
        if head == "loop" and "loop" in env:
            return {"integer"} if rest == ["index"] else {"boolean"}
        schema = env.get(head, self.props.get(head, {}))
        for name in rest:
            schema = _field(schema, name)
        return schema_types(schema)

    def _schema(self, expr: dict, env: dict) -> dict:
        if expr["kind"] != "var":
            return {}
        head, *rest = expr["path"]
        schema = env.get(head, self.props.get(head, {}))
        for name in rest:
            schema = _field(schema, name)
        return schema

    # Expressions.

    def expr(self, e: dict, env: dict) -> str:
        kind = e["kind"]
        if kind == "var":
            head = env.get(_OUTER_LOOP, "loop") if e["path"][0] == "loop" else e["path"][0]
            return ".".join([head, *e["path"][1:]])
        if kind == "const":
            return literal(e["value"])
        if kind == "filter":
            name, arg = e["name"], self.atom(e["arg"], env)
            args = [self.expr(a, env) for a in e.get("args", [])]
            if name == "default":
                return f"({arg} if {arg} != none else {args[0] if args else 'none'})"
            if name == "tojson":
                return f"{arg} | dump"
            if args:
                return f"{arg} | {name}({', '.join(args)})"
            return f"{arg} | {name}"
        if kind == "compare":
            left, right = self.atom(e["left"], env), self.atom(e["right"], env)
            if e["op"] == "not-in":
                return f"not ({left} in {right})"
            return f"{left} {e['op']} {right}"
        if kind in ("and", "or"):
            return f" {kind} ".join(self.test(a, env) for a in e["args"])
        if kind == "not":
            return f"not {self.test(e['arg'], env)}"
        raise ValueError(f"unknown expression kind {kind!r}")

    def atom(self, e: dict, env: dict) -> str:
        s = self.expr(e, env)
        return s if e["kind"] in ("var", "const") or (e["kind"] == "filter" and e["name"] == "default") else f"({s})"

    def iterable(self, e: dict, env: dict) -> str:
        """The list a `for` runs over."""
        return self.atom(e, env)

    def test(self, e: dict, env: dict) -> str:
        """An expression in a condition: lists and objects are tested by their length."""
        if self._types(e, env) & {"array", "object"} and e["kind"] in ("var", "filter"):
            return f"({self.atom(e, env)} | length)"
        return self.atom(e, env)

    def output(self, e: dict, env: dict) -> str:
        """An expression printed as text."""
        if e["kind"] in ("compare", "and", "or", "not"):
            return f'"true" if ({self.expr(e, env)}) else "false"'
        types = self._types(e, env) - {"null"}
        if types and types <= {"array", "object"}:
            return f"{self.atom(e, env)} | dump"
        return self.expr(e, env)

    # Nodes.

    def nodes(self, nodes: list[dict], env: dict) -> str:
        out: list[str] = []
        for n in nodes:
            kind = n["kind"]
            if kind == "text":
                out.append(text(n["text"]))
            elif kind == "expr":
                out.append("{{ " + self.output(n["expr"], env) + " }}")
            elif kind == "if":
                for i, branch in enumerate(n["branches"]):
                    out.append("{% " + ("if" if i == 0 else "elif") + " " + self.test(branch["cond"], env) + " %}")
                    out.append(self.nodes(branch["body"], env))
                if n["else"]:
                    out.append("{% else %}")
                    out.append(self.nodes(n["else"], env))
                out.append("{% endif %}")
            elif kind == "for":
                iterated = self._schema(n["iter"], env)
                inner = {k: v for k, v in env.items() if k != _OUTER_LOOP}
                inner.update({n["var"]: _items(iterated), "loop": {}})
                fields = n.get("loop", "loop")
                if fields != "loop":  # Nunjucks always says `loop`: keep the outer one under a name
                    outer = "__outer_" + fields
                    out.append("{% set " + outer + " = loop %}")
                    inner.update({fields: _LOOP_FIELDS, _OUTER_LOOP: outer})
                out.append("{% for " + n["var"] + " in " + self.iterable(n["iter"], env) + " %}")
                if fields != "loop":
                    out.append("{% set " + fields + " = loop %}")
                out.append(self.nodes(n["body"], inner))
                out.append("{% endfor %}")
            else:
                raise ValueError(f"unknown node kind {kind!r}")
        return "".join(out)


def message_template(content: list[dict], inputs_schema: dict) -> str:
    """The Nunjucks template of one message's content (IR nodes)."""
    translator = _Translator(inputs_schema)
    body = translator.nodes(content, {})
    preamble = []
    for name in sorted(_input_names(content) & set(translator.props)):
        schema = translator.props[name]
        if isinstance(schema, dict) and "default" in schema:
            preamble.append("{% set " + name + " = " + name + " if " + name + " is defined else "
                            + literal(schema["default"]) + " %}")
    return "".join(preamble) + body


def _input_names(nodes: list[dict], bound: frozenset = frozenset()) -> set[str]:
    names: set[str] = set()

    def walk_expr(e: dict, bound: frozenset) -> None:
        if e["kind"] == "var":
            if e["path"][0] not in bound:
                names.add(e["path"][0])
        for key in ("arg", "left", "right"):
            if key in e:
                walk_expr(e[key], bound)
        for sub in e.get("args", []):
            walk_expr(sub, bound)

    def walk(nodes: list[dict], bound: frozenset) -> None:
        for n in nodes:
            if n["kind"] == "expr":
                walk_expr(n["expr"], bound)
            elif n["kind"] == "if":
                for b in n["branches"]:
                    walk_expr(b["cond"], bound)
                    walk(b["body"], bound)
                walk(n["else"], bound)
            elif n["kind"] == "for":
                walk_expr(n["iter"], bound)
                walk(n["body"], bound | {n["var"], n.get("loop", "loop")})

    walk(nodes, bound)
    return names


def _field(schema: dict, name: str) -> dict:
    found = [alt["properties"][name] for alt in schema_alternatives(schema)
             if isinstance(alt.get("properties"), dict) and name in alt["properties"]]
    if not found:
        return {}
    return found[0] if len(found) == 1 else {"anyOf": found}


def _items(schema: dict) -> dict:
    items = [alt.get("items", {}) for alt in schema_alternatives(schema)
             if alt.get("type") == "array"]
    if not items:
        return {}
    return items[0] if len(items) == 1 else {"anyOf": items}
