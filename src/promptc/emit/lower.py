"""Lower checked templates to the portable IR: inline fragments, fold constants.

After lowering, message content holds only the node kinds of docs/ir.md: fragments and
whitespace control are resolved, so the IR is the final text plus the dynamic parts.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import DiagnosticSink
from ..limits import MAX_INCLUDE_DEPTH, MAX_IR_DEPTH, MAX_MESSAGE_SIZE
from ..runtime.limits import ir_depth
from ..runtime.values import stringify
from ..semantic.symbols import FragmentSym
from ..source import Span


class Lowerer:
    def __init__(self, sink: DiagnosticSink):
        self.sink = sink
        self._stack: list[FragmentSym] = []
        self._calls: list[dict] = []  # the call nodes being inlined, outermost first
        self._blocks = 0  # `if`/`for` bodies open around the node being lowered
        self._size = 0  # characters of text plus nodes emitted for the current message
        self._over = False  # a limit was hit in the current message: stop inlining

    def message(self, body: list[dict], span: Span) -> list[dict]:
        """Lower one message within the limits on its inlined size and nesting."""
        self._size, self._over = 0, False
        out = self.nodes(body)
        if not self._over:
            depth = ir_depth(out)
            if depth > MAX_IR_DEPTH:
                self.sink.error("limit-exceeded", f"this message nests `if`, `for` and expressions {depth} deep "
                                f"with its fragments inlined; the limit is {MAX_IR_DEPTH}", span,
                                notes=(f"bundles nest at most {MAX_IR_DEPTH} levels so that every runtime can "
                                       "read them; flatten conditions (`a and b` instead of nested `if`s)",))
        return out

    def _limit(self, message: str, span: Span, help_: str) -> None:
        self._over = True
        self.sink.error("limit-exceeded", message, span, notes=(help_,))

    def nodes(self, body: list[dict], env: dict[str, dict] | None = None, bound: frozenset = frozenset()) -> list[dict]:
        """Lower `body`; `env` maps fragment parameters to the caller's expressions."""
        out: list[dict] = []
        for node in body:
            if self._over:
                break
            kind = node["kind"]
            self._size += 1 + len(node.get("text", ""))
            if self._size > MAX_MESSAGE_SIZE:
                # at the include in the message itself: the one its author can change
                span = _origin_span(self._calls[0] if self._calls else node) or (
                    self._stack[-1].span if self._stack else None)
                self._limit(f"with its fragments inlined, this message grows past the limit of {MAX_MESSAGE_SIZE:,} "
                            "(characters of text, plus one per template part) here", span,
                            "a fragment that includes another several times multiplies its size: "
                            "include it once, or pass the repeated part as an input")
                break
            if kind in ("if", "for") and self._blocks >= MAX_IR_DEPTH:
                self._limit(f"with its fragments inlined, `{kind}` blocks nest deeper than {MAX_IR_DEPTH} levels here",
                            _origin_span(node) or (self._stack[-1].span if self._stack else None),
                            "move the inner part into its own message or flatten the conditions")
                break
            self._blocks += kind in ("if", "for")
            try:
                self._lower_node(node, env, bound, out)
            finally:
                self._blocks -= kind in ("if", "for")
        return _fold(out)

    def _lower_node(self, node: dict, env, bound, out: list[dict]) -> None:
        kind = node["kind"]
        if kind == "text":
            out.append({"kind": "text", "text": node["text"]})
        elif kind == "expr":
            out.append({"kind": "expr", "expr": self.expr(node["expr"], env, bound)})
        elif kind == "if":
            out.append({"kind": "if",
                        "branches": [{"cond": self.expr(b["cond"], env, bound),
                                      "body": self.nodes(b["body"], env, bound)} for b in node["branches"]],
                        "else": self.nodes(node["else"], env, bound)})
        elif kind == "for":
            var, loop = node["var"], node.get("loop", "loop")
            lowered = {"kind": "for", "var": var, "iter": self.expr(node["iter"], env, bound),
                       "body": self.nodes(node["body"], env, bound | {var, loop})}
            if loop != "loop":
                lowered["loop"] = loop
            out.append(lowered)
        elif kind == "call":
            out.extend(self.inline(node, env, bound))

    def inline(self, node: dict, env, bound) -> list[dict]:
        frag: FragmentSym = node["fragment"]
        if frag in self._stack:
            cycle = " → ".join(f.name for f in self._stack[self._stack.index(frag):] + [frag])
            self.sink.error("fragment-recursion", f"fragments include each other: {cycle}", frag.span,
                            notes=("a fragment cannot include itself, directly or through others",))
            return []
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            self._limit(f"fragments include each other more than {MAX_INCLUDE_DEPTH} levels deep here",
                        _origin_span(node) or frag.span,
                        "include the inner fragments directly from a shallower one")
            return []
        args = {name: self.expr(e, env, bound) for name, e in node["args"].items()}
        body = _hygienic(frag.body or [], args, [p.name for p in frag.params or ()])
        self._stack.append(frag)
        self._calls.append(node)
        try:
            return self.nodes(body, args, frozenset())
        finally:
            self._stack.pop()
            self._calls.pop()

    def expr(self, e: dict, env: dict[str, dict] | None, bound: frozenset) -> dict:
        kind = e["kind"]
        if kind == "var":
            head, rest = e["path"][0], e["path"][1:]
            if env is None or head in bound or head not in env:
                return e
            return _project(env[head], rest)
        if kind == "const":
            return e
        if kind == "filter":
            return {**e, "arg": self.expr(e["arg"], env, bound), "args": [self.expr(a, env, bound) for a in e["args"]]}
        if kind == "compare":
            return {**e, "left": self.expr(e["left"], env, bound), "right": self.expr(e["right"], env, bound)}
        if kind in ("and", "or"):
            return {"kind": kind, "args": [self.expr(a, env, bound) for a in e["args"]]}
        if kind == "not":
            return {"kind": "not", "arg": self.expr(e["arg"], env, bound)}
        raise ValueError(f"unknown expression kind {kind!r}")


def _origin_span(node: dict) -> Span | None:
    origin = node.get("origin")
    if not origin:
        return None
    parsed, offset = origin
    return parsed.span_at(offset)


def _project(arg: dict, rest: list[str]) -> dict:
    """The caller's expression for a parameter, followed by the fields the fragment reads."""
    if not rest:
        return arg
    if arg["kind"] == "var":
        return {"kind": "var", "path": arg["path"] + rest}
    if arg["kind"] == "const":
        value: Any = arg["value"]
        for key in rest:
            value = value.get(key) if isinstance(value, dict) else None
        return {"kind": "const", "value": value}
    # Fields of a computed value (e.g. `x | default(…)` on an object): read them from the
    # value itself by rendering through tojson is not possible; the checker never lets
    # such an argument reach here because filters return scalars or the argument's type.
    return {"kind": "const", "value": None}


def _free_heads(e: Any) -> set[str]:
    if isinstance(e, dict):
        if e.get("kind") == "var":
            return {e["path"][0]}
        return set().union(*(_free_heads(v) for v in e.values())) if e else set()
    if isinstance(e, list):
        return set().union(*(_free_heads(v) for v in e)) if e else set()
    return set()


def _hygienic(body: list[dict], args: dict[str, dict], params: list[str]) -> list[dict]:
    """Rename what the fragment's loops bind where it would capture a name the caller passes.

    Arguments are values at the call (as in Jinja2): a fragment's `{% for x in … %}` must not
    capture the caller's `x`, and its loop fields must not hide the caller's `loop`, so such
    a loop variable gets a fresh name and such a loop binds its fields under a fresh name
    (the `for` node's `loop` key). A fresh name is none of the caller's names, the
    fragment's parameters, or any name the fragment's body uses.
    """
    caller_names = _free_heads(list(args.values()))
    if not caller_names:
        return body
    body = _copy(body)
    taken = caller_names | set(params) | _bound_and_used(body)

    def fresh(name: str) -> str:
        new = name + "_"
        while new in taken:
            new += "_"
        return new

    def walk(nodes: list[dict], renames: dict[str, str]) -> None:
        for n in nodes:
            if n["kind"] == "for":
                n["iter"] = _rename(n["iter"], renames)
                inner = dict(renames)
                if n["var"] in caller_names:
                    inner[n["var"]] = n["var"] = fresh(n["var"])
                if "loop" in caller_names:
                    inner["loop"] = n["loop"] = fresh("loop")
                walk(n["body"], inner)
            elif n["kind"] == "expr":
                n["expr"] = _rename(n["expr"], renames)
            elif n["kind"] == "if":
                for b in n["branches"]:
                    b["cond"] = _rename(b["cond"], renames)
                    walk(b["body"], renames)
                walk(n["else"], renames)
            elif n["kind"] == "call":
                n["args"] = {k: _rename(v, renames) for k, v in n["args"].items()}

    walk(body, {})
    return body


def _bound_and_used(e: Any) -> set[str]:
    """Every name a fragment body reads or binds (loop variables included)."""
    if isinstance(e, dict):
        if e.get("kind") == "var":
            return {e["path"][0]}
        names = {e[k] for k in ("var", "loop") if e.get("kind") == "for" and k in e}
        return names.union(*(_bound_and_used(v) for v in e.values()))
    if isinstance(e, list):
        return set().union(*(_bound_and_used(v) for v in e))
    return set()


def _copy(o: Any) -> Any:
    """Copy the IR's dicts and lists; leave leaves (and source origins) shared."""
    if isinstance(o, dict):
        return {k: _copy(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_copy(v) for v in o]
    return o


def _rename(e: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return e
    if isinstance(e, dict):
        if e.get("kind") == "var" and e["path"][0] in renames:
            return {"kind": "var", "path": [renames[e["path"][0]]] + e["path"][1:]}
        return {k: _rename(v, renames) for k, v in e.items()}
    if isinstance(e, list):
        return [_rename(v, renames) for v in e]
    return e


def _fold(nodes: list[dict]) -> list[dict]:
    """Constant expressions become text; adjacent texts merge; empty texts vanish."""
    out: list[dict] = []
    for n in nodes:
        if n["kind"] == "expr" and n["expr"]["kind"] == "const":
            n = {"kind": "text", "text": stringify(n["expr"]["value"])}
        if n["kind"] == "text":
            if not n["text"]:
                continue
            if out and out[-1]["kind"] == "text":
                out[-1] = {"kind": "text", "text": out[-1]["text"] + n["text"]}
                continue
        out.append(n)
    return out
