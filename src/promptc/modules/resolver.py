"""Resolve imports into a module graph; report unknown modules, escapes and cycles."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Label, diag, suggestion_note
from ..source import SourceFile
from ..syntax import ast
from .loader import ModuleIndex, read_source
from .store import Header, ModuleStore


@dataclass
class ModuleGraph:
    """Module headers, their sources, resolved import edges and a dependency order.

    Full modules are parsed on demand (`module`), so a graph of unchanged modules costs
    only their headers.
    """

    store: ModuleStore
    headers: dict[str, Header] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    displays: dict[str, str] = field(default_factory=dict)
    # importer → list of (target module name, the import declaration)
    edges: dict[str, list[tuple[str, ast.Import | ast.FromImport]]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # dependencies before dependents
    in_cycle: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def module(self, name: str) -> ast.Module:
        src = self.sources.get(name)
        if src is None:
            return ast.Module(name, self.displays.get(name, name), None, {}, ())
        return self.store.parse(src)[0]

    def imports_of(self, name: str) -> list[str]:
        return [t for t, _ in self.edges.get(name, [])]

    def closure(self, name: str) -> list[str]:
        """The module and everything it imports, transitively."""
        seen: set[str] = set()
        out: list[str] = []
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in self.headers:
                continue
            seen.add(n)
            out.append(n)
            stack.extend(self.imports_of(n))
        return out


def target_name(importer: str, level: int, parts: tuple[str, ...]) -> str | None:
    """The absolute module an import names; None when a relative import leaves the root."""
    if level == 0:
        return ".".join(parts)
    package = importer.split(".")[:-1]
    if level - 1 > len(package) or (importer.startswith("std.") and level - 1 >= len(package)):
        return None
    base = package[: len(package) - (level - 1)]
    full = base + list(parts)
    return ".".join(full) if full else None


def build_graph(index: ModuleIndex, roots: list[str], store: ModuleStore, progress=None) -> ModuleGraph:
    """Resolve `roots` and everything they import, from module headers."""
    graph = ModuleGraph(store)
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in graph.headers:
            continue
        if progress:
            progress("Parsing", len(graph.headers), max(len(roots), len(graph.headers) + 1))
        loc = index.find(name)
        if loc is None:
            continue
        graph.displays[name] = loc.display
        src, read_diags = read_source(loc)
        graph.diagnostics.extend(read_diags)
        if src is None:
            graph.headers[name] = Header((), (), None, False, ())
            continue
        src = store.source(src)
        header = store.header(src)
        graph.diagnostics.extend(header.diagnostics)
        graph.headers[name] = header
        graph.sources[name] = src
        edges = graph.edges.setdefault(name, [])
        for decl in header.imports:
            level = decl.level if isinstance(decl, ast.FromImport) else 0
            target = target_name(name, level, decl.module)
            shown = "." * level + ".".join(decl.module)
            if target is None:
                graph.diagnostics.append(diag(
                    "import-outside-root",
                    f"relative import `{shown}` from `{name}` leaves the source root",
                    decl.module_span,
                    notes=("use fewer leading dots, or an absolute import such as "
                           f"`from {'.'.join(decl.module) or 'package.module'} import …`",)))
                continue
            if index.find(target) is None:
                graph.diagnostics.append(diag(
                    "unknown-module", f"no module named `{target}`", decl.module_span,
                    notes=suggestion_note(target, index.known_names()) or (
                        f"module `{target}` would be the file `{target.replace('.', '/')}.prompt` under a source root",)))
                continue
            edges.append((target, decl))
            pending.append(target)
    _order_and_cycles(graph)
    return graph


def _order_and_cycles(graph: ModuleGraph) -> None:
    """Topological order (iterative DFS); each cycle reported once, naming every module."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph.headers}
    reported: set[frozenset] = set()
    for start in sorted(graph.headers):
        if color[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = GREY
        while stack:
            node, i = stack[-1]
            edges = graph.edges.get(node, [])
            if i < len(edges):
                stack[-1] = (node, i + 1)
                target, _decl = edges[i]
                if target not in color:
                    continue
                if color[target] == WHITE:
                    color[target] = GREY
                    stack.append((target, 0))
                    path.append(target)
                elif color[target] == GREY:
                    cycle = path[path.index(target):]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        graph.in_cycle.update(cycle)
                        graph.diagnostics.append(_cycle_diag(graph, cycle))
            else:
                color[node] = BLACK
                graph.order.append(node)
                stack.pop()
                path.pop()


def _cycle_diag(graph: ModuleGraph, cycle: list[str]) -> Diagnostic:
    # Start the cycle at its smallest name so the message is stable.
    k = cycle.index(min(cycle))
    cycle = cycle[k:] + cycle[:k]
    ring = cycle + [cycle[0]]
    decls = []
    for a, b in zip(ring, ring[1:]):
        decls.append(next(d for t, d in graph.edges[a] if t == b))
    labels = [Label(d.module_span, f"`{a}` imports `{b}` here") for (a, b), d in zip(zip(ring[1:], ring[2:]), decls[1:])]
    return diag("import-cycle", "import cycle: " + " → ".join(ring), decls[0].module_span, labels=labels,
                notes=("move what the modules share into a new module that both import",))
