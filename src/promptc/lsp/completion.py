"""Completion: what may be written at the cursor, judged from the buffer's text.

The buffer being edited rarely compiles, so the context (inside `{{ … }}`, after `import`,
after `:`, in the front matter) is read from the text itself, and the names offered come
from the last checked version of the module (`Bindings`) and the project's module index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from ..semantic import types as T
from ..semantic.portability import ALLOWED_FILTERS
from ..semantic.symbols import FragmentSym, ParamSym
from ..semantic.templates import LOOP_FIELDS
from ..syntax.frontmatter import (CaptureSettings, ChunkingSettings, FrontMatter, LintSettings, ModelSettings,
                                 RetrievalSettings, split_front_matter)
from .hover import tool_signature
from .navigation import Bindings

DECL_KEYWORDS = ("import", "from", "type", "input", "tool", "output", "fragment", "system", "user", "assistant")
BLOCK_TAGS = ("if", "elif", "else", "endif", "for", "endfor")
BUILTIN_TYPES = ("str", "int", "float", "bool", "list", "map")
FRONT_VALUES = {"risk": ("low", "medium", "high"),
                "reasoning_effort": ("minimal", "low", "medium", "high")}


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # variable | fragment | module | tool | type | keyword | property | field | filter | value
    detail: str | None = None
    documentation: str | None = None
    insert_text: str | None = None
    start_column: int | None = None  # 1-based: the text from here to the cursor is replaced


@dataclass
class Context:
    """What completion may offer, besides the buffer text."""

    bindings: Bindings | None
    module: str  # the module being edited
    module_names: Callable[[], Iterable[str]]
    exports_of: Callable[[str], Iterable[tuple[str, str, str | None]]]  # module → (name, kind, detail)
    fragment_params: Callable[[str], tuple[ParamSym, ...] | None] = lambda name: None


def complete(text: str, line: int, column: int, ctx: Context) -> list[Item]:
    offset = _offset(text, line, column)
    line_start = text.rfind("\n", 0, offset) + 1
    prefix = text[line_start:offset]
    fm = split_front_matter(text)
    if fm is not None and (fm[2] == -1 or offset < fm[2]) and offset >= fm[0]:
        if fm[2] != -1 and offset >= fm[1]:
            return []  # on the closing `---`
        return _front_matter(text[fm[0]:offset], text[fm[0]:fm[1]], prefix, column)
    body_start = fm[2] if fm is not None and fm[2] != -1 else 0
    where, start = _lex(text, body_start, offset)
    if where == "string":
        return []
    if where == "block":
        return _in_block(text, start, offset, column, ctx)
    return _in_code(text, offset, prefix, column, ctx)


def _offset(text: str, line: int, column: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nxt = text.find("\n", pos)
        if nxt == -1:
            return len(text)
        pos = nxt + 1
    end = text.find("\n", pos)
    end = len(text) if end == -1 else end
    return min(pos + column - 1, end)


def _lex(text: str, start: int, offset: int) -> tuple[str, int]:
    """Where `offset` is: in "code", a one-line "string", or a text "block" (and its start)."""
    i = start
    while i < offset:
        if text.startswith('"""', i):
            end = text.find('"""', i + 3)
            if end == -1 or end + 3 > offset:
                return "block", i + 3
            i = end + 3
            continue
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            if nl == -1 or nl >= offset:
                return "string", i  # a comment: nothing to offer
            i = nl + 1
            continue
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            if j >= offset:
                return "string", i
            i = j + 1
            continue
        i += 1
    return "code", start


# --- inside a text block ------------------------------------------------------------------

_FOR = re.compile(r"\{%-?\s*for\s+(\w+)\s+in\s+(.*?)\s*-?%\}|\{%-?\s*endfor\s*-?%\}", re.S)
_WORD = re.compile(r"\w*$")


def _in_block(text: str, block_start: int, offset: int, column: int, ctx: Context) -> list[Item]:
    seg = text[block_start:offset]
    opens = {k: seg.rfind(k) for k in ("{{", "{%", "{#")}
    closes = max(seg.rfind("}}"), seg.rfind("%}"), seg.rfind("#}"))
    kind, at = max(opens.items(), key=lambda kv: kv[1])
    if at < 0 or at < closes or kind == "{#":
        return []
    expr = seg[at + 2:].lstrip("-")
    word = _WORD.search(expr).group(0)
    start = column - len(word)
    fragment = _enclosing_fragment(text, block_start)
    loops = _open_loops(seg[:at])
    env = _Env(ctx, fragment, loops)

    member = re.search(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(\w*)$", expr)
    if member:
        return _members(member.group(1), env, column - len(member.group(2)))
    if re.search(r"\|\s*\w*$", expr):
        return [Item(f, "filter", "filter", start_column=start) for f in ALLOWED_FILTERS]
    before = expr[: len(expr) - len(word)]
    if kind == "{%" and not before.strip():
        return [Item(t, "keyword", "block tag", start_column=start) for t in BLOCK_TAGS]
    if kind == "{%" and re.fullmatch(r"\s*for\s+", before):
        return []  # naming a new loop variable
    call = re.search(r"(\w+(?:\.\w+)?)\(([^()]*)$", expr)
    if call and re.search(r"(^|,)\s*\w*$", call.group(2)) and ctx.bindings is not None:
        params = _call_params(call.group(1), env)
        if params:
            return [Item(p.name, "variable", f"{p.name}: {T.display(p.type)}", insert_text=f"{p.name}=",
                         start_column=start) for p in params]
    return env.names(start)


class _Env:
    """The names visible at the cursor in a text block."""

    def __init__(self, ctx: Context, fragment: str | None, loops: list[tuple[str, str]]):
        self.ctx = ctx
        self.b = ctx.bindings or Bindings()
        self.fragment = fragment
        self.params: dict[str, ParamSym] = {}
        if fragment is not None:
            sym = self.b.fragments.get(fragment)
            for p in (sym.params if sym and sym.params else ()) or ctx.fragment_params(fragment) or ():
                self.params[p.name] = p
        self.loops: dict[str, T.Type | None] = {}
        for var, source in loops:
            self.loops[var] = _item(self.type_of(source.strip()))

    def type_of(self, path: str) -> T.Type | None:
        path = path.split("|")[0].strip()
        parts = path.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        head, rest = parts[0], parts[1:]
        ty: T.Type | None
        if head in self.loops:
            ty = self.loops[head]
        elif head in self.params:
            ty = self.params[head].type
        elif self.fragment is None and head in self.b.inputs:
            ty = self.b.inputs[head].type
        else:
            return None
        for field in rest:
            base = T.strip_optional(ty) if ty is not None else None
            ty = base.field(field) if isinstance(base, T.Object) else None
        return ty

    def names(self, start: int) -> list[Item]:
        out: list[Item] = []
        for var, ty in self.loops.items():
            out.append(Item(var, "variable", f"(loop variable) {var}: {T.display(ty) if ty else 'unknown'}",
                            start_column=start))
        if self.loops:
            out.append(Item("loop", "variable", "loop.index, loop.first, loop.last", start_column=start))
        if self.fragment is not None:
            for p in self.params.values():
                out.append(Item(p.name, "variable", f"(parameter) {p.name}: {T.display(p.type)}", start_column=start))
        else:
            for sym in self.b.inputs.values():
                out.append(Item(sym.name, "variable", f"(input) {sym.name}: {T.display(sym.type)}",
                                start_column=start))
        for name, frag in self.b.fragments.items():
            out.append(_fragment_item(name, frag, start))
        for alias, module in self.b.aliases.items():
            out.append(Item(alias, "module", f"module {module}", start_column=start))
        out.append(Item("tools", "keyword", "the declared and imported tools: tools.NAME", start_column=start))
        seen: set[str] = set()
        return [i for i in out if not (i.label in seen or seen.add(i.label))]


def _fragment_item(name: str, frag: FragmentSym, start: int) -> Item:
    params = "" if frag.params is None else "(" + ", ".join(
        f"{p.name}: {T.display(p.type)}" for p in frag.params) + ")"
    text = frag.template.block.text if frag.template is not None else ""
    return Item(name, "fragment", f"fragment {frag.name}{params} from {frag.module}",
                documentation=text[:500] or None, start_column=start)


def _members(base: str, env: _Env, start: int) -> list[Item]:
    b = env.b
    if base == "tools" and "tools" not in env.loops:
        return [Item(name, "tool", tool_signature(t), documentation=t.description or None, start_column=start)
                for name, t in sorted(b.tools.items())]
    if base == "loop" and env.loops:
        return [Item(k, "field", f"loop.{k}: {T.display(v)}", start_column=start) for k, v in LOOP_FIELDS.items()]
    if base in b.aliases and base not in env.loops:
        module = b.aliases[base]
        return [Item(name, "fragment", detail, start_column=start)
                for name, kind, detail in env.ctx.exports_of(module) if kind == "fragment"]
    ty = env.type_of(base)
    base_ty = T.strip_optional(ty) if ty is not None else None
    if isinstance(base_ty, T.Object):
        return [Item(k, "field", f"{k}: {T.display(v)}", start_column=start) for k, v in base_ty.fields]
    return []


def _call_params(callee: str, env: _Env) -> tuple[ParamSym, ...]:
    if "." in callee:
        return ()
    frag = env.b.fragments.get(callee)
    return tuple(frag.params or ()) if frag else ()


def _item(ty: T.Type | None) -> T.Type | None:
    base = T.strip_optional(ty) if ty is not None else None
    return base.item if isinstance(base, T.List) else None


def _open_loops(seg: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for m in _FOR.finditer(seg):
        if m.group(1):
            stack.append((m.group(1), m.group(2)))
        elif stack:
            stack.pop()
    return stack


_BLOCK_OWNER = re.compile(r"^(fragment\s+(\w+)|system|user|assistant)\b", re.M)


def _enclosing_fragment(text: str, block_start: int) -> str | None:
    """The fragment whose body starts at `block_start`, or None for a message."""
    owner = None
    for m in _BLOCK_OWNER.finditer(text, 0, block_start):
        owner = m
    return owner.group(2) if owner is not None and owner.group(2) else None


# --- outside text blocks ------------------------------------------------------------------

_IMPORT = re.compile(r"^\s*(?:import|from)\s+(\.*[\w.]*)$")
_FROM_NAMES = re.compile(r"(?:^|\n)\s*from\s+(\.*[\w.]+)\s+import\s*(\(?)([^()\n]*|[^()]*)$")
_TYPE_POS = re.compile(r"[:\[]\s*(\w*)$")


def _in_code(text: str, offset: int, prefix: str, column: int, ctx: Context) -> list[Item]:
    m = _IMPORT.match(prefix)
    if m:
        return _modules(m.group(1), column, ctx)
    m = _FROM_NAMES.search(text, 0, offset)
    if m and (m.group(2) == "(" or "\n" not in m.group(3)):
        word = _WORD.search(prefix).group(0)
        module = _absolute(m.group(1), ctx.module)
        taken = set(re.findall(r"\w+", m.group(3)[: len(m.group(3)) - len(word)]))
        return [Item(name, kind, detail, start_column=column - len(word))
                for name, kind, detail in ctx.exports_of(module) if name not in taken]
    word = _WORD.search(prefix).group(0)
    start = column - len(word)
    if _TYPE_POS.search(prefix) and not re.match(r"^\s*(?:system|user|assistant|fragment)\b", prefix):
        return _types(ctx, start)
    if not prefix[: len(prefix) - len(word)].strip():
        return [Item(k, "keyword", "declaration", start_column=start) for k in DECL_KEYWORDS]
    return []


def _absolute(name: str, importer: str) -> str:
    level = len(name) - len(name.lstrip("."))
    if not level:
        return name
    package = importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level - 1 <= len(package) else []
    return ".".join(base + [p for p in name[level:].split(".") if p])


def _modules(typed: str, column: int, ctx: Context) -> list[Item]:
    start = column - len(typed)
    names = sorted(set(ctx.module_names()) - {ctx.module})
    if typed.startswith("."):
        level = len(typed) - len(typed.lstrip("."))
        package = ".".join(ctx.module.split(".")[:-1][: max(len(ctx.module.split(".")) - level, 0)])
        head = package + "." if package else ""
        rel = ["." * level + n[len(head):] for n in names if n.startswith(head) and n != package]
        return [Item(n, "module", _absolute(n, ctx.module), start_column=start) for n in rel]
    return [Item(n, "module", "standard library" if n.startswith("std.") else "module", start_column=start)
            for n in names]


def _types(ctx: Context, start: int) -> list[Item]:
    out = [Item(t, "type", "built-in type", insert_text=t + ("[" if t in ("list", "map") else ""),
                start_column=start) for t in BUILTIN_TYPES]
    if ctx.bindings is not None:
        for name, target in sorted(ctx.bindings.types.items()):
            where = f" from {target.module}" if target.module and target.module != ctx.module else ""
            out.append(Item(name, "type", f"type {name}{where}", start_column=start))
    return out


# --- front matter -------------------------------------------------------------------------

FRONT_KEYS = {(): FrontMatter.model_fields, ("model",): ModelSettings.model_fields,
              ("lint",): LintSettings.model_fields, ("retrieval",): RetrievalSettings.model_fields,
              ("retrieval", "chunking"): ChunkingSettings.model_fields, ("capture",): CaptureSettings.model_fields}


def _front_matter(yaml_text: str, whole: str, prefix: str, column: int) -> list[Item]:
    """`yaml_text` runs from the front matter's start to the cursor; `whole` is all of it."""
    word = _WORD.search(prefix).group(0)
    start = column - len(word)
    value = re.match(r"^\s*(\w+):\s*(\w*)$", prefix)
    if value:
        return [Item(v, "value", value.group(1), start_column=start) for v in FRONT_VALUES.get(value.group(1), ())]
    flow = re.match(r"^(\w+):\s*\{([^}]*)$", prefix)
    if flow and (flow.group(1),) in FRONT_KEYS:
        inner = flow.group(2)
        before = inner[: len(inner) - len(word)].rstrip()
        if before and not before.endswith(","):
            return []  # a value inside the braces
        return _keys((flow.group(1),), set(re.findall(r"(\w+)\s*:", inner)), start)
    if not re.fullmatch(r"\s*\w*", prefix):
        return []
    indent = len(prefix) - len(prefix.lstrip())
    lines = yaml_text.split("\n")[:-1]
    parent: tuple[str, ...] = ()
    if indent:
        for previous in reversed(lines):
            m = re.match(r"^(\s*)(\w+):\s*$", previous)
            if m and len(m.group(1)) < indent:
                parent = (m.group(2),)
                break
            if previous.strip() and len(previous) - len(previous.lstrip()) < indent:
                return []
    present = {m.group(1) for m in re.finditer(r"(?m)^(\w+):", whole)} if not parent else set()
    return _keys(parent, present, start)


FRONT_DOCS = {
    "version": "semver MAJOR.MINOR.PATCH; required for a module with messages",
    "purpose": "what the prompt is for, in a sentence",
    "owner": "business owner (edits, approves wording)",
    "tech_owner": "technical owner (wiring, release)",
    "risk": "low | medium | high: how strict the gates are",
    "model": "model settings: {name, temperature, max_tokens, …}; part of the hash",
    "eval": "the eval dataset, relative to the project root",
    "evaluated": "date of the last eval run (YYYY-MM-DD)",
    "tags": "list of free-form tags",
    "lint": "per-module lint settings: {ignore: [rule, …]}",
    "ignore": "lint rules silenced in this module",
    "retrieval": "what the app passes to its retriever: {index, top_k, filters, reranker, chunking}; part of the hash",
    "limitations": "known limitations, in plain sentences; shown in `show` and the review report",
    "capture": "what `client.capture` may store: {inputs: true} to keep a captured case's inputs",
}


def _keys(parent: tuple[str, ...], present: set[str], start: int) -> list[Item]:
    fields = FRONT_KEYS.get(parent, {})
    return [Item(k, "property", FRONT_DOCS.get(k) or f"{'.'.join(parent)}.{k}".lstrip("."),
                 insert_text=f"{k}: ", start_column=start)
            for k, f in fields.items() if k not in present]
