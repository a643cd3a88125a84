"""Open documents, the projects they belong to, and what the driver made of them.

The language server keeps no compiler state of its own: every analysis is one call of
`driver.compile_project` with the open buffers as `overlays`, for the edited modules and
the open modules that import them. This module decides what to compile (a `Job`, a
snapshot of the buffers), runs it, and splits the result into per-file publications.
Nothing here speaks the protocol; `server.py` does.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable, Iterable

from .. import driver
from ..config import Project, find_root
from ..diagnostics import Diagnostic, diag
from ..modules.loader import STD_PREFIX, SUFFIX, ModuleIndex as SourceIndex, discover, module_name
from ..resources import stdlib_root
from ..semantic.checker import CheckedModule
from ..source import SourceFile, Span, decode_source
from ..syntax import ast, parse_module
from .navigation import Bindings, ModuleIndex, bindings_of, exports_of, index_module
from .positions import LineText, lines_of

CONFIG_NAMES = ("promptc.toml", "pyproject.toml")


def uri_to_path(uri: str) -> Path | None:
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(urllib.request.url2pathname(urllib.parse.unquote(parsed.path))).resolve()


def normalise(text: str) -> str:
    """Buffers as promptc reads files: no BOM, LF line breaks."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Document:
    uri: str
    path: Path
    root: Path  # the project root
    module: str
    text: str  # normalised
    version: int | None

    @property
    def is_module(self) -> bool:
        return self.path.suffix == SUFFIX


@dataclass
class Analysis:
    """One compilation, as seen from one open document at one version."""

    version: int | None
    text: str
    module: str
    result: driver.CompileResult
    checked: CheckedModule | None
    _index: ModuleIndex | None = None
    _bindings: Bindings | None = None

    def index(self) -> ModuleIndex | None:
        if self._index is None and self.checked is not None:
            self._index = index_module(self.result, self.checked)
        return self._index

    def bindings(self) -> Bindings | None:
        if self._bindings is None and self.checked is not None:
            self._bindings = bindings_of(self.result, self.checked)
        return self._bindings


class ParseMemo(dict):
    """Parsed modules kept from one compilation to the next (keyed by path and text).

    Entries that none of the last `keep` compilations used are dropped, so old versions
    of an edited buffer do not pile up.
    """

    def __init__(self, keep: int = 8):
        super().__init__()
        self.keep = keep
        self.generation = 0
        self.used: dict[Hashable, int] = {}

    def __contains__(self, key: object) -> bool:
        found = dict.__contains__(self, key)
        if found:
            self.used[key] = self.generation
        return found

    def __setitem__(self, key, value) -> None:
        self.used[key] = self.generation
        dict.__setitem__(self, key, value)

    def end_compilation(self) -> None:
        self.generation += 1
        for key in [k for k, g in self.used.items() if g <= self.generation - self.keep]:
            del self.used[key]
            self.pop(key, None)


class CompileCache:
    """What the compilations of one project share: the index of its source roots (found
    again when a folder under them gains or loses an entry) and parsed modules. Used only
    by the worker thread that runs the compilations."""

    def __init__(self) -> None:
        self.memo = ParseMemo()
        self.checks = ParseMemo()  # checked modules, by the hash of their import closure
        self._index: SourceIndex | None = None
        self._stamp: tuple | None = None

    def index(self, project: Project) -> SourceIndex:
        stamp = _tree_stamp(project)
        if self._index is None or stamp != self._stamp:
            self._index, self._stamp = discover(project), stamp
        return self._index


def _tree_stamp(project: Project) -> tuple:
    """The modification times of every folder under the source roots: a file added,
    removed or renamed changes its folder's."""
    out = []
    for root in project.source_roots:
        for dirpath, _dirs, _files in os.walk(root):
            try:
                out.append((dirpath, os.stat(dirpath).st_mtime_ns))
            except OSError:
                out.append((dirpath, None))
        out.append((str(root), root.is_dir()))
    return tuple(out)


@dataclass(frozen=True)
class Job:
    """A compilation to run in the worker: the project, targets and a snapshot of buffers."""

    project: Project
    targets: tuple[Path, ...] | None  # None: every module of the project
    overlays: dict[str, str]
    versions: dict[str, int | None]  # uri → version of every open document of the project
    documents: tuple[str, ...]  # uris of the target documents (open or just closed)
    cache: CompileCache | None = None


@dataclass(frozen=True)
class Publication:
    uri: str
    version: int | None
    diagnostics: tuple[Diagnostic, ...]
    line_text: LineText


@dataclass
class Workspace:
    projects: dict[Path, Project] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    analyses: dict[str, Analysis] = field(default_factory=dict)
    # per project root: importer → the modules it imports, from the latest graph.edges
    imports: dict[Path, dict[str, set[str]]] = field(default_factory=dict)
    published: dict[str, tuple[Diagnostic, ...]] = field(default_factory=dict)
    caches: dict[Path, CompileCache] = field(default_factory=dict)
    _module_names: dict[Path, list[str]] = field(default_factory=dict)

    # --- projects and documents ---------------------------------------------------------
    def project_for(self, path: Path) -> Project:
        key = find_root(path) or path.parent.resolve()
        project = self.projects.get(key)
        if project is None:
            project = self.projects[key] = driver.open_project(path, required=False)
        return project

    def module_of(self, project: Project, path: Path) -> str:
        """The module a file is, as the driver names it: its path under a source root."""
        for source_root in project.source_roots:
            try:
                path.relative_to(source_root)
            except ValueError:
                continue
            return module_name(source_root, path)
        return path.stem

    def open(self, uri: str, text: str, version: int | None) -> Document | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        project = self.project_for(path)
        doc = Document(uri, path, project.root, self.module_of(project, path), normalise(text), version)
        self.documents[uri] = doc
        if doc.is_module and doc.module not in self.module_names(project):
            self._module_names.pop(project.root, None)
        return doc

    def update(self, uri: str, text: str, version: int | None) -> Document | None:
        doc = self.documents.get(uri)
        if doc is None:
            return None
        doc.text = normalise(text)
        doc.version = version
        return doc

    def close(self, uri: str) -> Document | None:
        self.analyses.pop(uri, None)
        return self.documents.pop(uri, None)

    def saved(self, uri: str) -> None:
        """A file was written: configuration changes reload the project."""
        path = uri_to_path(uri)
        if path is not None and path.name in CONFIG_NAMES:
            self.projects.clear()
            self._module_names.clear()
            self.caches.clear()
            for doc in self.documents.values():
                project = self.project_for(doc.path)
                doc.root, doc.module = project.root, self.module_of(project, doc.path)

    def module_names(self, project: Project) -> list[str]:
        names = self._module_names.get(project.root)
        if names is None:
            names = discover(project).known_names()
            self._module_names[project.root] = names
        return names

    # --- what to compile ----------------------------------------------------------------
    def dependents(self, doc: Document) -> list[Document]:
        """Open documents of the same project that import `doc`'s module, directly or not."""
        graph = self.imports.get(doc.root, {})
        reverse: dict[str, set[str]] = {}
        for importer, targets in graph.items():
            for t in targets:
                reverse.setdefault(t, set()).add(importer)
        seen = {doc.module}
        stack = [doc.module]
        while stack:
            for importer in reverse.get(stack.pop(), ()):
                if importer not in seen:
                    seen.add(importer)
                    stack.append(importer)
        seen.discard(doc.module)
        return [d for d in self.documents.values() if d.root == doc.root and d.module in seen and d.is_module]

    def jobs(self, docs: Iterable[Document]) -> list[Job]:
        """One job per project: the documents, their open dependents, and every open buffer."""
        by_root: dict[Path, dict[str, Document]] = {}
        for doc in docs:
            if not doc.is_module:
                continue
            group = by_root.setdefault(doc.root, {})
            group[doc.uri] = doc
            for dep in self.dependents(doc):
                group.setdefault(dep.uri, dep)
        jobs = []
        for root, group in by_root.items():
            project = self.projects.get(root) or self.project_for(next(iter(group.values())).path)
            open_docs = [d for d in self.documents.values() if d.root == root and d.is_module]
            targets = tuple(sorted({d.path for d in group.values() if d.path.is_file()}))
            if not targets:
                continue
            cache = self.caches.setdefault(root, CompileCache())
            jobs.append(Job(project, targets, {d.module: d.text for d in open_docs},
                            {d.uri: d.version for d in open_docs}, tuple(group), cache))
        return jobs

    def project_job(self, doc: Document) -> Job:
        """A compilation of every module of `doc`'s project, with the open buffers (for
        references and rename); its result is not recorded."""
        project = self.projects.get(doc.root) or self.project_for(doc.path)
        open_docs = [d for d in self.documents.values() if d.root == doc.root and d.is_module]
        return Job(project, None, {d.module: d.text for d in open_docs},
                   {d.uri: d.version for d in open_docs}, (), self.caches.setdefault(doc.root, CompileCache()))

    def lines_for(self, project: Project, span: Span) -> LineText:
        found = self.location_of(project, span)
        return found[1] if found is not None else lines_of("")

    @staticmethod
    def run(job: Job) -> driver.CompileResult:
        """Compile a job. Touches nothing but the job (and its cache), so it may run in the
        worker thread."""
        cache = job.cache
        try:
            return driver.compile_project(job.project, targets=job.targets, overlays=job.overlays,
                                          use_cache=False, parallel=False,
                                          index=cache.index(job.project) if cache else None,
                                          parse_memo=cache.memo if cache else None,
                                          check_memo=cache.checks if cache else None)
        finally:
            if cache is not None:
                cache.memo.end_compilation()
                cache.checks.end_compilation()

    # --- results --------------------------------------------------------------------------
    def record(self, job: Job, result: driver.CompileResult) -> list[Publication]:
        """Keep the analyses of the job's documents; return the diagnostics to publish."""
        graph = result.graph
        root = job.project.root
        if graph is not None:
            edges = self.imports.setdefault(root, {})
            for name in graph.headers:
                edges[name] = {t for t, _ in graph.edges.get(name, [])}
        checked = result.program.modules if result.program else {}
        for uri in job.documents:
            doc = self.documents.get(uri)
            if doc is None or job.versions.get(uri) != doc.version:
                continue
            self.analyses[uri] = Analysis(doc.version, doc.text, doc.module, result, checked.get(doc.module))

        sources = {s.path: s for s in graph.sources.values()} if graph else {}
        by_file: dict[str, list[Diagnostic]] = {path: [] for path in sources}
        for d in result.diagnostics:
            if d.span is not None:
                by_file.setdefault(d.span.file, []).append(d)
        out = []
        for display, diags in by_file.items():
            uri = self.uri_for(job.project, display)
            if uri is None:
                continue
            doc = self.documents.get(uri)
            if doc is not None and job.versions.get(uri, doc.version) != doc.version:
                continue  # edited since the snapshot: its own run will publish
            found = tuple(diags)
            previous = self.published.get(uri)
            # The job's own documents always hear back (the version moved); other files
            # only when their diagnostics changed.
            if uri not in job.documents and (previous == found or (previous is None and not found)):
                continue
            self.published[uri] = found
            src = sources.get(display)
            text = src.text if src is not None else (doc.text if doc else _read(job.project.root / display))
            out.append(Publication(uri, doc.version if doc else None, found, lines_of(text)))
        return out

    def failed(self, job: Job, message: str) -> list[Publication]:
        """A job the driver refused (a usage error): say so on each target document."""
        out = []
        for uri in job.documents:
            doc = self.documents.get(uri)
            if doc is None:
                continue
            d = diag("invalid-config", message, Span.point(doc.path.name, 1, 1))
            self.published[uri] = (d,)
            out.append(Publication(uri, doc.version, (d,), lines_of(doc.text)))
        return out

    def uri_for(self, project: Project, display: str) -> str | None:
        """The URI of a file as diagnostics name it (relative to the root, or in the stdlib)."""
        if display.startswith(STD_PREFIX):
            node = stdlib_root()
            for part in display[len(STD_PREFIX):].split("/"):
                node = node / part
            return node.as_uri() if isinstance(node, Path) else None
        path = (project.root / display).resolve()
        for doc in self.documents.values():
            if doc.path == path:
                return doc.uri
        return path.as_uri() if path.exists() else None

    def location_of(self, project: Project, span: Span) -> tuple[str, LineText] | None:
        """A definition's URI and the lines its span counts in."""
        uri = self.uri_for(project, span.file)
        if uri is None:
            return None
        doc = self.documents.get(uri)
        if doc is not None:
            return uri, lines_of(doc.text)
        path = uri_to_path(uri)
        return uri, lines_of(_read(path) if path else "")

    def exports_for(self, doc: Document, module: str) -> list[tuple[str, str, str | None]]:
        """(name, kind, detail) of what a module exports, for `from M import …` completion."""
        for analysis in [self.analyses.get(doc.uri), *self.analyses.values()]:
            if analysis is None:
                continue
            ex = exports_of(analysis.result, module)
            if ex is not None:
                return ([(n, "fragment", f"fragment from {module}") for n in ex.fragments]
                        + [(n, "type", f"type from {module}") for n in ex.types]
                        + [(n, "tool", f"tool from {module}") for n in ex.tools])
        return self._declared_names(doc, module)

    def _declared_names(self, doc: Document, module: str) -> list[tuple[str, str, str | None]]:
        project = self.project_for(doc.path)
        index = discover(project)
        loc = index.find(module)
        if loc is None:
            return []
        try:
            text = decode_source(loc.read_bytes())
        except Exception:
            return []
        parsed, _ = parse_module(SourceFile(loc.display, text, module))
        out: list[tuple[str, str, str | None]] = []
        for decl in parsed.decls:
            if isinstance(decl, ast.FragmentDecl):
                out.append((decl.name.text, "fragment", f"fragment from {module}"))
            elif isinstance(decl, ast.TypeDecl):
                out.append((decl.name.text, "type", f"type from {module}"))
            elif isinstance(decl, ast.ToolDecl):
                out.append((decl.name.text, "tool", f"tool from {module}"))
        return out


def _read(path: Path) -> str:
    try:
        return normalise(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ""
