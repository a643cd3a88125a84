"""Resolve imports into a module graph; report unknown modules, escapes and cycles."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Label, diag, suggestion_note
from ..source import SourceFile
from ..syntax import ast, parse_module
from .loader import ModuleIndex, read_source


@dataclass
class ModuleGraph:
    """Parsed modules, their sources, resolved import edges and a dependency order."""

    modules: dict[str, ast.Module] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    # importer → list of (target module name, the import declaration)
    edges: dict[str, list[tuple[str, ast.Import | ast.FromImport]]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # dependencies before dependents
    in_cycle: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def imports_of(self, name: str) -> list[str]:
        return [t for t, _ in self.edges.get(name, [])]

    def closure(self, name: str) -> list[str]:
        """The module and everything it imports, transitively."""
        seen: list[str] = []
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in self.modules:
                continue
            seen.append(n)
            stack.extend(self.imports_of(n))
        return seen


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


def build_graph(index: ModuleIndex, roots: list[str], parse=parse_module) -> ModuleGraph:
    """Parse `roots` and everything they import; `parse` may be a caching wrapper."""
    graph = ModuleGraph()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in graph.modules:
            continue
        loc = index.find(name)
        if loc is None:
            continue
        src, read_diags = read_source(loc)
        graph.diagnostics.extend(read_diags)
        if src is None:
            graph.modules[name] = ast.Module(name, loc.display, None, {}, ())
            continue
        module, parse_diags = parse(src)
        graph.diagnostics.extend(parse_diags)
        graph.modules[name] = module
        graph.sources[name] = src
        edges = graph.edges.setdefault(name, [])
        for decl in module.decls:
            if not isinstance(decl, (ast.Import, ast.FromImport)):
                continue
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
    color = {n: WHITE for n in graph.modules}
    reported: set[frozenset] = set()
    for start in sorted(graph.modules):
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
