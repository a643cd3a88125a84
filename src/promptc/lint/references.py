"""What a module's messages and fragments refer to, read from the checked IR and the
template trees: the inputs they use, the local fragments they reach, and the module-level
names their templates mention. The unused-* and token-budget rules share these walks.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from jinja2 import nodes

from ..semantic.checker import CheckedModule
from ..semantic.symbols import FragmentSym
from ..syntax.template import ParsedTemplate


def expr_roots(expr: dict) -> Iterator[tuple[str, ...]]:
    """Every variable path an IR expression reads (through filters, comparisons, and/or)."""
    kind = expr.get("kind")
    if kind == "var":
        yield tuple(expr["path"])
    elif kind == "filter":
        yield from expr_roots(expr["arg"])
        for a in expr.get("args", ()):
            yield from expr_roots(a)
    elif kind == "compare":
        yield from expr_roots(expr["left"])
        yield from expr_roots(expr["right"])
    elif kind in ("and", "or"):
        for a in expr["args"]:
            yield from expr_roots(a)
    elif kind == "not":
        yield from expr_roots(expr["arg"])


def used_inputs(body: list[dict], bound: frozenset[str] = frozenset()) -> set[str]:
    """Names of inputs a message body reads: in output expressions, `if` and `for` heads,
    and fragment arguments. Loop variables shadow inputs inside their loop. Fragment bodies
    are not entered: a fragment sees only its parameters, so an input reaches it only as an
    argument, which is counted at the call."""
    used: set[str] = set()

    def take(expr: dict, scope: frozenset[str]) -> None:
        for path in expr_roots(expr):
            if path and path[0] not in scope:
                used.add(path[0])

    def walk(items: list[dict], scope: frozenset[str]) -> None:
        for node in items:
            kind = node["kind"]
            if kind == "expr":
                take(node["expr"], scope)
            elif kind == "if":
                for branch in node["branches"]:
                    take(branch["cond"], scope)
                    walk(branch["body"], scope)
                walk(node["else"], scope)
            elif kind == "for":
                take(node["iter"], scope)
                walk(node["body"], scope | {node["var"], "loop"})
            elif kind == "call":
                for arg in node["args"].values():
                    take(arg, scope)

    walk(body, bound)
    return used


def called_fragments(body: list[dict]) -> Iterator[FragmentSym]:
    """The fragments a body inlines directly (in any branch or loop)."""
    for node in body:
        kind = node["kind"]
        if kind == "call":
            yield node["fragment"]
        elif kind == "if":
            for branch in node["branches"]:
                yield from called_fragments(branch["body"])
            yield from called_fragments(node["else"])
        elif kind == "for":
            yield from called_fragments(node["body"])


def reachable_local_fragments(module: CheckedModule) -> set[str]:
    """Names of the module's own fragments that some message inlines, directly or through
    other fragments of the module."""
    seen: set[str] = set()
    todo = [f for m in module.messages for f in called_fragments(m.body)]
    while todo:
        frag = todo.pop()
        if frag.module != module.name or frag.name in seen:
            continue
        seen.add(frag.name)
        todo.extend(called_fragments(frag.body or []))
    return seen


def template_names(parsed: ParsedTemplate | None, bound: Iterable[str] = ()) -> set[str]:
    """Free names a template reads (`x` in `{{ x }}`, `tone` in `{{ tone.friendly }}`),
    leaving out loop variables inside their loop and the names in `bound` (fragment
    parameters, which shadow module names in a fragment body)."""
    found: set[str] = set()
    if parsed is None or parsed.root is None:
        return found

    def visit(node: nodes.Node, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in scope:
                found.add(node.name)
            return
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            targets = [node.target, *node.target.find_all(nodes.Name)]
            inner = scope | {n.name for n in targets if isinstance(n, nodes.Name)} | {"loop"}
            for child in [*node.body, *node.else_]:
                visit(child, inner)
            if node.test is not None:
                visit(node.test, inner)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(parsed.root, frozenset(bound))
    return found


def module_template_names(module: CheckedModule) -> set[str]:
    """Free names read anywhere in the module's messages and its own fragments."""
    names: set[str] = set()
    for message in module.messages:
        names |= template_names(message.template)
    for frag in module.exports.fragments.values():
        names |= template_names(frag.template, (p.name for p in frag.params or ()))
    return names
