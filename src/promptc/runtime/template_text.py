"""Bundle IR back to readable template text, for people: `promptc show`, diffs, the dashboard.

Text nodes come out as they are; expressions, conditions and loops in the template syntax
authors write (`{{ customer.name | upper }}`, `{% if tier == "pro" %}`). Fragments were
expanded by the compiler, so a change to a shared module shows in every prompt it reaches.
The output is for reading and diffing only: it is not parsed back.
"""

from __future__ import annotations

import json
from typing import Any

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "filter": 5, "var": 6, "const": 6}


def content_text(nodes: list) -> str:
    """One message's content as template text."""
    out: list[str] = []
    _nodes(nodes, out)
    return "".join(out)


def _nodes(nodes: list, out: list[str]) -> None:
    for node in nodes:
        kind = node["kind"]
        if kind == "text":
            out.append(node["text"])
        elif kind == "expr":
            out.append("{{ " + expr_text(node["expr"]) + " }}")
        elif kind == "if":
            for index, branch in enumerate(node["branches"]):
                out.append("{% " + ("if" if index == 0 else "elif") + " " + expr_text(branch["cond"]) + " %}")
                _nodes(branch["body"], out)
            if node.get("else"):
                out.append("{% else %}")
                _nodes(node["else"], out)
            out.append("{% endif %}")
        elif kind == "for":
            out.append("{% for " + node["var"] + " in " + expr_text(node["iter"]) + " %}")
            if node.get("loop", "loop") != "loop":  # a fragment's loop that must not hide the caller's
                out.append("{# loop fields as " + node["loop"] + " #}")
            _nodes(node["body"], out)
            out.append("{% endfor %}")
        else:  # a node this reader does not know: show it rather than hide it
            out.append("{# " + json.dumps(node, sort_keys=True) + " #}")


def expr_text(expr: dict, parent: int = 0) -> str:
    kind = expr["kind"]
    if kind == "var":
        text = ".".join(str(p) for p in expr["path"])
    elif kind == "const":
        text = _const(expr["value"])
    elif kind == "filter":
        args = expr.get("args") or []
        call = expr["name"] + ("(" + ", ".join(expr_text(a) for a in args) + ")" if args else "")
        text = expr_text(expr["arg"], _PRECEDENCE["filter"]) + " | " + call
    elif kind == "compare":
        op = {"not-in": "not in"}.get(expr["op"], expr["op"])
        level = _PRECEDENCE["compare"]
        text = f"{expr_text(expr['left'], level + 1)} {op} {expr_text(expr['right'], level + 1)}"
    elif kind in ("and", "or"):
        level = _PRECEDENCE[kind]
        text = f" {kind} ".join(expr_text(a, level) for a in expr["args"])
    elif kind == "not":
        # `not a == b` means `not (a == b)`, but few readers know that: say it.
        text = "not " + expr_text(expr["arg"], _PRECEDENCE["compare"] + 1)
    else:
        text = json.dumps(expr, sort_keys=True)
    return f"({text})" if _PRECEDENCE.get(kind, 6) < parent else text


def _const(value: Any) -> str:
    if value is None:
        return "none"
    if value is True or value is False:
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)
