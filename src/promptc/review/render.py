"""A message's IR as template-like text, for reviewing changes.

The IR already has fragments expanded, so this text shows exactly what a prompt sends,
including text that came from a shared module: a one-word edit to `shared.tone` appears in
the diff of every prompt it reaches. Placeholders keep the author's vocabulary
(`{{ name | upper }}`, `{% if tier == "pro" %}`) so a reviewer reads what was written, not
rendered output for one set of inputs.
"""

from __future__ import annotations

import json
from typing import Any


def literal(value: Any) -> str:
    """A constant as the template language writes it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def expression(e: dict) -> str:
    kind = e.get("kind")
    if kind == "var":
        return ".".join(str(p) for p in e.get("path", []))
    if kind == "const":
        return literal(e.get("value"))
    if kind == "filter":
        args = e.get("args") or []
        call = e["name"] + (f"({', '.join(expression(a) for a in args)})" if args else "")
        return f"{_atom(e['arg'])} | {call}"
    if kind == "compare":
        op = "not in" if e["op"] == "not-in" else e["op"]
        return f"{_atom(e['left'])} {op} {_atom(e['right'])}"
    if kind in ("and", "or"):
        return f" {kind} ".join(_atom(a) for a in e.get("args", []))
    if kind == "not":
        return f"not {_atom(e['arg'])}"
    return f"<{kind}>"  # a node kind newer than this reader: still visible in the diff


def _atom(e: dict) -> str:
    text = expression(e)
    return f"({text})" if e.get("kind") in ("compare", "and", "or", "not") else text


def nodes(content: list[dict]) -> str:
    """The text of a list of IR nodes."""
    out: list[str] = []
    for node in content:
        kind = node.get("kind")
        if kind == "text":
            out.append(node.get("text", ""))
        elif kind == "expr":
            out.append("{{ " + expression(node["expr"]) + " }}")
        elif kind == "if":
            for i, branch in enumerate(node.get("branches", [])):
                out.append("{% " + ("if" if i == 0 else "elif") + " " + expression(branch["cond"]) + " %}")
                out.append(nodes(branch.get("body", [])))
            if node.get("else"):
                out.append("{% else %}")
                out.append(nodes(node["else"]))
            out.append("{% endif %}")
        elif kind == "for":
            out.append("{% for " + node["var"] + " in " + expression(node["iter"]) + " %}")
            out.append(nodes(node.get("body", [])))
            out.append("{% endfor %}")
        else:
            out.append(f"<{kind}>")
    return "".join(out)


def message_text(message: dict) -> str:
    """One `spec.messages[]` entry as reviewable text."""
    return nodes(message.get("content") or [])


def short_hash(bundle_hash: str | None) -> str:
    """A hash as reports print it: "sha256:" and 12 hex digits, enough to tell versions apart."""
    return (bundle_hash or "")[:19]
