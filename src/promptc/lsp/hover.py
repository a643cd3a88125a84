"""Hover text: an input's type and constraints, a fragment's text, a tool's signature, a
message's token count. Markdown, built from the checked program, never from the editor."""

from __future__ import annotations

import json
from typing import Any

from ..driver import CompileResult
from ..semantic import types as T
from ..semantic.checker import CheckedModule, InputSym
from ..semantic.symbols import FragmentSym, ParamSym, ToolSym, TypeSym
from ..syntax import ast
from .navigation import Target

MAX_FRAGMENT_LINES = 40


def hover_markdown(target: Target, result: CompileResult, checked: CheckedModule) -> str | None:
    kind = target.kind
    d = target.detail
    if kind == "input" and isinstance(d, InputSym):
        return _input(d, checked)
    if kind == "param" and isinstance(d, ParamSym):
        return _block(f"(parameter) {d.name}: {T.display(d.type)}{_default(d)}") + _constraints(d.type)
    if kind == "fragment" and isinstance(d, FragmentSym):
        return _fragment(d)
    if kind == "tool" and isinstance(d, ToolSym):
        return _tool(d)
    if kind == "type":
        return _type(target)
    if kind == "module":
        return _module(target.name, result)
    if kind == "message" and isinstance(d, int):
        return _message(d, result, checked)
    if kind == "loop":
        if target.name == "loop":
            return _block("(loop) loop: {index: int, first: bool, last: bool}") + \
                "\n`loop.index` counts from 1; `loop.first` and `loop.last` are booleans."
        shown = T.display(d) if d is not None else "unknown"
        return _block(f"(loop variable) {target.name}: {shown}") + (_fields(d) if d is not None else "")
    if kind in ("field", "loop-field") and d is not None:
        return _block(f"(field) {target.name}: {T.display(d)}") + _constraints(d)
    return None


def _block(code: str) -> str:
    return f"```promptc\n{code}\n```\n"


def _default(sym: InputSym | ParamSym) -> str:
    return f" = {json.dumps(sym.default, ensure_ascii=False)}" if sym.has_default else ""


def _input(sym: InputSym, checked: CheckedModule) -> str:
    written = None
    for decl in checked.syntax.of(ast.InputDecl):
        if decl.name.span == sym.span and checked.source is not None:
            src = checked.source
            written = src.text[src.offset(decl.span.line, decl.span.column):src.offset(decl.span.end_line,
                                                                                        decl.span.end_column)]
            break
    head = _block(written.strip() if written else f"input {sym.name}: {T.display(sym.type)}{_default(sym)}")
    lines = [f"Type: `{T.display(sym.type)}`" + (f" ({_expanded(sym.type)})" if _expanded(sym.type) else "")]
    required = not T.is_optional(sym.type) and not sym.has_default
    lines.append("Required." if required else
                 f"Optional; defaults to `{json.dumps(sym.default, ensure_ascii=False)}`." if sym.has_default
                 else "Optional; may be null.")
    return head + "\n" + "\n\n".join(lines) + _constraints(sym.type)


def _expanded(ty: T.Type) -> str:
    base = T.strip_optional(ty)
    if isinstance(base, T.Object) and base.name:
        return "{" + ", ".join(f"{k}: {T.display(v)}" for k, v in base.fields) + "}"
    return ""


def constraint_list(ty: T.Type) -> list[str]:
    base = T.strip_optional(ty)
    out: list[str] = []
    for attr in ("min_len", "max_len", "pattern", "max_tokens", "min", "max", "min_items", "max_items"):
        value = getattr(base, attr, None)
        if value is not None:
            out.append(f"{attr}={json.dumps(value, ensure_ascii=False)}")
    return out


def _constraints(ty: T.Type) -> str:
    parts = constraint_list(ty)
    base = T.strip_optional(ty)
    if isinstance(base, T.List):
        inner = constraint_list(base.item)
        if inner:
            parts.append("items: " + ", ".join(inner))
    if isinstance(base, T.Literal):
        parts.append("one of " + ", ".join(f'"{v}"' for v in base.values))
    return ("\n\nConstraints: " + "; ".join(f"`{p}`" if not p.startswith(("items", "one of")) else p
                                           for p in parts)) if parts else ""


def _fields(ty: T.Type) -> str:
    base = T.strip_optional(ty)
    if isinstance(base, T.Object):
        return "\nFields: " + ", ".join(f"`{k}: {T.display(v)}`" for k, v in base.fields)
    return ""


def _params(params) -> str:
    return ", ".join(f"{p.name}: {T.display(p.type)}{_default(p)}" for p in params)


def _fragment(sym: FragmentSym) -> str:
    sig = f"fragment {sym.name}" + (f"({_params(sym.params)})" if sym.params is not None else "")
    text = sym.template.block.text if sym.template is not None else ""
    lines = text.split("\n")
    if len(lines) > MAX_FRAGMENT_LINES:
        lines = lines[:MAX_FRAGMENT_LINES] + [f"… ({len(text.splitlines()) - MAX_FRAGMENT_LINES} more lines)"]
    body = "\n".join(lines)
    return _block(sig) + f"\nFrom `{sym.module}`.\n\n```jinja\n{body}\n```\n"


def tool_signature(sym: ToolSym) -> str:
    return f"tool {sym.name}({_params(sym.params)})" + (" requires approval" if sym.requires_approval else "")


def _tool(sym: ToolSym) -> str:
    out = _block(tool_signature(sym))
    if sym.description:
        out += f"\n{sym.description}\n"
    out += f"\nFrom `{sym.module}`." + (" Calls need a person's approval." if sym.requires_approval else "")
    return out


def _type(target: Target) -> str:
    d: Any = target.detail
    if isinstance(d, TypeSym):
        ty = d.type
        base = T.strip_optional(ty)
        if isinstance(base, T.Object):
            body = "{\n" + "".join(f"  {k}: {T.display(v)},\n" for k, v in base.fields) + "}"
            return _block(f"type {d.name} {body}") + f"\nFrom `{d.module}`."
        return _block(f"type {d.name} = {T.display(ty)}") + f"\nFrom `{d.module}`." + _constraints(ty)
    if target.name in T.SCALAR_NAMES or target.name in ("list", "map"):
        return _block(f"(built-in type) {target.name}")
    return _block(f"type {target.name}")


def _module(name: str, result: CompileResult) -> str:
    graph = result.graph
    out = _block(f"module {name}")
    if graph is None or name not in graph.headers:
        return out
    out += f"\n`{graph.displays.get(name, name)}`"
    front = graph.module(name).front
    if front is not None:
        if front.purpose:
            out += f"\n\n{front.purpose}"
        if front.version:
            out += f"\n\nVersion {front.version}"
    return out


def _message(index: int, result: CompileResult, checked: CheckedModule) -> str:
    message = checked.messages[index]
    bundle = result.bundles.get(checked.name)
    tokens = (bundle or {}).get("tokens") or {}
    counts = tokens.get("messages") or []
    head = _block(f"{message.role} message {index + 1} of {len(checked.messages)}")
    if index >= len(counts):
        return head + "\nToken count unavailable (the module does not compile)."
    exact = "exact" if tokens.get("exact") else "estimate"
    note = f"; {tokens['method']}" if tokens.get("method") else ""
    return head + (f"\n**{counts[index]:,} tokens** of static text ({tokens.get('encoding')}, {exact}{note}). "
                   "Every branch and loop body is counted once; values of inputs are not.")
