"""The one orchestrator of the pipeline, shared by the CLI and the language server.

parse → resolve → check → lower → emit. Every function returns data plus diagnostics;
nothing here prints or exits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, MutableMapping

from . import cache as build_cache
from .clikit import UsageError  # re-exported: a problem with how promptc was called (exit 2)
from .config import Project, find_root, load_project
from .diagnostics import Diagnostic, DiagnosticSink, diag, sorted_diagnostics
from .emit import lock as lockfile
from .lint import runner as lint_runner
from .lint.rule import ProjectFacts
from .emit.bundle import BundleConflict, atomic_write, build_bundle, build_spec, write_bundle, write_index
from .modules.hints import with_import_hints
from .modules.loader import Location, ModuleIndex, discover, module_name
from .modules.resolver import ModuleGraph, build_graph
from .modules.store import ModuleStore
from .semantic.checker import Program, check_module, check_program
from .limits import MAX_BRACKET_DEPTH, MAX_FILE_BYTES, SAFE_RANGE
from .runtime.limits import json_depth, unportable_number
from .source import SourceFile, Span, read_limited
from .tokens import UnknownEncoding, check_encoding




@dataclass
class CompileResult:
    project: Project
    graph: ModuleGraph | None
    program: Program | None
    bundles: dict[str, dict] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {s.path: s for s in self.graph.sources.values()} if self.graph else {}

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def open_project(path: Path | str | None, required: bool = True) -> Project:
    """The project of a directory or file: the nearest `promptc.toml` (or pyproject.toml with
    `[tool.promptc]`) in it or a parent directory, as cargo finds Cargo.toml. Raise
    UsageError if the path is missing or, when `required`, if no parent holds a project.
    Without `required` (the language server, a file opened on its own) the directory
    itself stands in for one."""
    start = Path(path or ".")
    if not start.exists():
        raise UsageError(f"`{start}` does not exist")
    root = find_root(start)
    if root is None and required:
        shown = "the current directory" if path is None else f"`{start}`"
        raise UsageError(f"no promptc.toml in {shown} or any parent directory, so there is no promptc project "
                         "here; create one with `promptc init`")
    if root is None:
        root = start.resolve() if start.is_dir() else start.resolve().parent
    project, diags = load_project(root)
    if project.config_file is None and not (root / "prompts").is_dir():
        project = Project(root, project.config.model_copy(
            update={"project": project.config.project.model_copy(update={"sources": ["."]})}), None)
    return replace(project, diagnostics=tuple(diags))


def _schema_reader(project: Project):
    def read(path: str) -> tuple[Any, str | None]:
        target = (project.root / path).resolve()
        try:
            target.relative_to(project.root.resolve())
        except ValueError:
            return None, f"schema file `{path}` is outside the project"
        if not target.exists():
            return None, f"schema file `{path}` does not exist"
        try:
            data = json.loads(read_limited(target, MAX_FILE_BYTES).decode("utf-8"))
        except OSError as exc:
            return None, f"cannot read schema file `{path}`: {exc.strerror or exc}"
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return None, f"schema file `{path}` is not valid JSON: {exc}"
        except (ValueError, RecursionError):  # an integer of more than 4,300 digits; deep nesting
            return None, f"schema file `{path}` holds a number or nesting beyond the limits"
        if json_depth(data) > MAX_BRACKET_DEPTH:
            return None, f"schema file `{path}` nests deeper than {MAX_BRACKET_DEPTH} levels (the limit)"
        bad = unportable_number(data)
        if bad is not None:
            shown = str(bad) if len(str(bad)) <= 24 else str(bad)[:20] + "…"
            return None, (f"schema file `{path}` holds the number {shown}, outside the portable range "
                          f"{SAFE_RANGE} of finite numbers")
        return data, None
    return read


def compile_project(project: Project, targets: Iterable[Path] | None = None,
                    overlays: dict[str, str] | None = None, use_cache: bool = True,
                    progress: Callable[[str, int, int], None] | None = None, lint: bool = True,
                    parallel: bool = True, index: ModuleIndex | None = None,
                    parse_memo: MutableMapping | None = None, check_memo: MutableMapping | None = None) -> CompileResult:
    """Compile the project (or the modules of `targets`) into bundles in memory.

    `overlays` maps module names to unsaved text (the language server's open buffers).
    With `parallel`, prompts that nothing imports are checked in forked workers, and
    `CompileResult.program` then holds only the modules checked in this process.
    A long-lived caller (the language server) may pass the `index` of the source roots it
    keeps up to date, a `parse_memo` that keeps parsed modules, keyed by their text,
    and a `check_memo` that keeps checked modules, keyed by their import closure, from one
    compilation to the next.
    """
    plan = _plan(project, targets, overlays, use_cache, progress, lint, index, parse_memo)
    if isinstance(plan, CompileResult):
        return plan
    return _execute(plan, progress, parallel, check_memo)


@dataclass
class _Plan:
    """What a compilation will do: the module graph and each module's cache key."""

    project: Project
    roots: list[str]
    graph: ModuleGraph
    store: build_cache.Cache | None
    reader: Callable
    rules: list
    facts: ProjectFacts | None
    keys: dict[str, str]
    diagnostics: list[Diagnostic]
    index: ModuleIndex | None = None

    @property
    def fingerprint(self) -> str:
        """Changes whenever any module's results could: the identity of a whole build."""
        parts = [",".join(self.roots), self.project.config.model_dump_json()]
        for name in sorted(self.graph.headers):
            src = self.graph.sources.get(name)
            parts.append(f"{name}={self.keys.get(name) or (src.digest if src else '?')}")
        parts += sorted(f"{d.code.id}:{d.span}:{d.message}" for d in self.diagnostics)
        return build_cache.key(*parts)


def _plan(project: Project, targets, overlays, use_cache: bool, progress, lint: bool,
          index: ModuleIndex | None = None, parse_memo: MutableMapping | None = None) -> _Plan | CompileResult:
    diagnostics: list[Diagnostic] = list(project.diagnostics)
    index = index if index is not None else discover(project)
    diagnostics.extend(index.diagnostics)
    roots = _roots(project, index, targets)
    try:
        check_encoding(project.config.tokens.encoding)
    except UnknownEncoding as exc:
        diagnostics.append(diag("invalid-config", str(exc), Span.point("promptc.toml", 1, 1)))
        return CompileResult(project, None, None, {}, sorted_diagnostics(diagnostics))

    store = build_cache.Cache(project.cache_dir, batch=True) if use_cache and not overlays else None
    graph = build_graph(index, roots, ModuleStore(store, overlays, parse_memo), progress=progress)
    diagnostics.extend(graph.diagnostics)
    rules, lint_problems = lint_runner.configure(project.config.lint, _config_span(project)) if lint else ([], [])
    diagnostics.extend(lint_problems)
    facts = lint_facts(project) if rules else None

    # A module's results depend only on the text of its import closure (and the schema
    # files it names): reuse them when that closure is unchanged.
    lint_key = project.config.lint.model_dump_json() + (f"|{facts.today}" if rules else "|nolint")
    keys = {n: _closure_key(project, graph, n, lint_key) for n in graph.order if n not in graph.in_cycle}
    return _Plan(project, roots, graph, store, _schema_reader(project), rules, facts, keys, diagnostics, index)


def _execute(plan: _Plan, progress, parallel: bool, check_memo: MutableMapping | None = None) -> CompileResult:
    project, roots, graph, store, reader = plan.project, plan.roots, plan.graph, plan.store, plan.reader
    rules, facts, keys = plan.rules, plan.facts, plan.keys
    diagnostics = list(plan.diagnostics)
    cached: dict[str, tuple] = {}
    if store is not None:
        for name, k in keys.items():
            hit = store.get("module", k)
            if hit is not None:
                cached[name] = hit
    stale = [n for n in graph.order if n in graph.sources and n not in cached]
    need: set[str] = set()
    for name in stale:
        need.update(graph.closure(name))
    # Prompts nothing imports (most of a project) are checked last, in parallel when there
    # are many; the modules they import are checked first, in dependency order.
    imported = {target for edges in graph.edges.values() for target, _ in edges}
    leaves = [n for n in graph.order if n in need and n not in imported and graph.headers[n].is_prompt]
    program = check_program(graph, reader, only=need - set(leaves), progress=progress, memo=check_memo, keys=keys)
    error_files = frozenset(d.span.file for d in graph.diagnostics if d.is_error and d.span)
    job = _Job(project, graph, reader, rules, facts, program, error_files)
    results: dict[str, tuple[list[Diagnostic], dict | None]] = {
        name: job.results(module) for name, module in program.modules.items()}
    results.update(job.leaves(leaves, parallel, progress))

    bundles: dict[str, dict] = {}
    wanted = set(roots)
    for name in graph.order:
        if name not in graph.sources:
            continue
        if name in cached:
            module_diags, bundle = cached[name]
        else:
            module_diags, bundle = results[name]
            if store is not None and name in keys:
                store.put("module", keys[name], (module_diags, bundle))
        diagnostics.extend(module_diags)
        if bundle is not None and name in wanted:
            bundles[name] = bundle
    diagnostics = _name_foreign_files(graph, diagnostics)
    if plan.index is not None:
        diagnostics = with_import_hints(diagnostics, plan.index)
    if store is not None:
        store.flush()
    return CompileResult(project, graph, program, bundles, sorted_diagnostics(_with_chains(graph, roots, diagnostics)))


def _name_foreign_files(graph: ModuleGraph, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """A Dotprompt or Prompty file among the modules gets one finding that says what it is and
    how to import it, in place of the syntax errors it would otherwise produce."""
    from .interop import foreign_format

    failing = {d.span.file for d in diagnostics if d.is_error and d.span is not None}
    foreign = {}
    for src in graph.sources.values():
        if src.path in failing:
            kind = foreign_format(src.text, src.path)
            if kind:
                foreign[src.path] = kind
    if not foreign:
        return diagnostics
    kept = [d for d in diagnostics if d.span is None or d.span.file not in foreign]
    for path, kind in sorted(foreign.items()):
        kept.append(diag("foreign-format", f"`{path}` is a {kind} file, not a promptc module", Span.point(path, 1, 1),
                         notes=(f"convert it with `promptc import {path} --out NEW.prompt` (then remove or move "
                                "the original out of the source roots)",)))
    return kept


PARALLEL_MIN = 64  # below this many prompts, worker start-up costs more than it saves


@dataclass
class _Job:
    """Turns checked modules into their results: diagnostics, bundle, lint findings."""

    project: Project
    graph: ModuleGraph
    reader: Callable
    rules: list
    facts: ProjectFacts | None
    program: Program
    error_files: frozenset[str] = frozenset()

    def results(self, module) -> tuple[list[Diagnostic], dict | None]:
        diags, bundle = list(module.diagnostics), None
        if not module.is_prompt:
            return diags, None
        sink = DiagnosticSink()
        spec = build_spec(module, sink)
        diags.extend(sink.items)
        closure = self.graph.closure(module.name)
        digests = {n: self.graph.sources[n].digest for n in closure if n in self.graph.sources}
        bundle = build_bundle(module, spec, digests, self.project.config.tokens.encoding)
        # Lint only what compiles: findings beside errors are noise (an import that failed
        # to resolve is also "unused").
        if self.rules and not any(d.is_error for d in diags) and module.source.path not in self.error_files:
            found = lint_runner.lint_module(module, self.rules, self.facts, self.facts.today, bundle)
            sources = {self.graph.sources[n].path: self.graph.sources[n] for n in closure if n in self.graph.sources}
            diags.extend(lint_runner.apply_config(found, self.project.config.lint, module, sources))
        return diags, bundle

    def leaf(self, name: str) -> tuple[str, list[Diagnostic], dict | None]:
        module = check_module(self.graph, name, self.program.exports, self.reader)
        return (name, *self.results(module))

    def leaves(self, names: list[str], parallel: bool, progress) -> dict[str, tuple]:
        out: dict[str, tuple] = {}
        workers = min(os.cpu_count() or 1, 8)
        if parallel and workers > 1 and len(names) >= PARALLEL_MIN and "fork" in mp.get_all_start_methods():
            global _FORKED_JOB
            _FORKED_JOB = self
            chunks = [names[i::workers * 4] for i in range(workers * 4)]
            try:
                with mp.get_context("fork").Pool(workers) as pool:
                    for batch in pool.imap_unordered(_leaf_batch, chunks):
                        for name, diags, bundle in batch:
                            out[name] = (diags, bundle)
                        if progress:
                            progress("Checking", len(out), len(names))
            finally:
                _FORKED_JOB = None
            return out
        for i, name in enumerate(names):
            if progress:
                progress("Checking", i, len(names))
            module = check_module(self.graph, name, self.program.exports, self.reader)
            self.program.modules[name] = module
            out[name] = self.results(module)
        return out


_FORKED_JOB: _Job | None = None


def _leaf_batch(names: list[str]) -> list[tuple]:
    """Runs in a forked worker, which inherits the job (graph, exports) from the parent."""
    return [_FORKED_JOB.leaf(name) for name in names]


def _with_chains(graph: ModuleGraph, roots: list[str], diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Attach "imported from …" to diagnostics in modules reached only through imports."""
    by_file = {src.path: name for name, src in graph.sources.items()}
    root_set = set(roots)
    parents: dict[str, tuple[str, int]] = {}
    queue = [r for r in roots if r in graph.headers]
    seen = set(queue)
    while queue:
        name = queue.pop(0)
        for target, decl in graph.edges.get(name, []):
            if target not in seen:
                seen.add(target)
                parents[target] = (name, decl.span.line)
                queue.append(target)
    out = []
    for d in diagnostics:
        module = by_file.get(d.span.file) if d.span else None
        if module is None or module in root_set or module not in parents or d.import_chain:
            out.append(d)
            continue
        chain, node = [], module
        while node in parents:
            parent, line = parents[node]
            chain.append(f"{graph.sources[parent].path}:{line} (`{parent}`)")
            node = parent
        out.append(replace(d, import_chain=tuple(chain)))
    return out


def _config_span(project: Project) -> Span:
    return Span.point(project.display(project.config_file) if project.config_file else "promptc.toml", 1, 1)


def lint_facts(project: Project) -> ProjectFacts:
    from .lint.stdlib_index import stdlib_paragraph_index

    return ProjectFacts(today=dt.date.today(), stdlib_paragraphs=stdlib_paragraph_index())


def _closure_key(project: Project, graph: ModuleGraph, name: str, extra: str = "") -> str:
    parts = [name, project.config.tokens.encoding, extra]
    for dep in sorted(graph.closure(name)):
        src = graph.sources.get(dep)
        parts.append(f"{dep}={src.path}:{src.digest}" if src else f"{dep}=?")
    for path in graph.headers[name].schema_files:
        try:
            parts.append(f"schema={path}:" + hashlib.sha256(read_limited(project.root / path, MAX_FILE_BYTES)).hexdigest())
        except OSError:
            parts.append(f"schema={path}:missing")
    return build_cache.key(*parts)


def _roots(project: Project, index: ModuleIndex, targets: Iterable[Path] | None) -> list[str]:
    if not targets:
        return index.project_names()
    names = []
    for target in targets:
        target = Path(target)
        if not target.exists():
            raise UsageError(f"`{target}` does not exist")
        files = sorted(target.rglob("*.prompt")) if target.is_dir() else [target]
        for f in files:
            names.append(_module_for(project, index, f.resolve()))
    return sorted(set(names))


def _module_for(project: Project, index: ModuleIndex, path: Path) -> str:
    for root in project.source_roots:
        try:
            path.relative_to(root)
        except ValueError:
            continue
        return module_name(root, path)
    name = path.stem
    index.modules.setdefault(name, Location(name, project.display(path), path, False))
    return name


# --- build --------------------------------------------------------------------------

@dataclass
class BuildResult:
    compiled: CompileResult
    written: list[Path] = field(default_factory=list)
    lock_changed: bool = False

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.compiled.diagnostics

    @property
    def ok(self) -> bool:
        return self.compiled.ok


def read_lock(project: Project) -> tuple[lockfile.Lock, str | None, list[Diagnostic]]:
    path = project.lock_path
    if not path.is_file():
        return lockfile.Lock({}), None, []
    text = path.read_text(encoding="utf-8")
    # Parsing TOML is slow for large locks; a parsed lock is cached by its text (the build
    # that writes a lock caches it too).
    hit = build_cache.Cache(project.cache_dir).get("lock", build_cache.key("lock", text))
    if hit is not None:
        return hit, text, []
    try:
        lock = lockfile.Lock.loads(text)
        _cache_lock(project, text, lock)
        return lock, text, []
    except lockfile.LockError as exc:
        return lockfile.Lock({}), text, [diag("invalid-lock", f"promptc.lock cannot be read: {exc}",
                                               Span.point("promptc.lock", exc.line or 1, 1),
                                               notes=("restore it from version control, or delete it to "
                                                      "start a new one",))]


def _cache_lock(project: Project, text: str, lock: lockfile.Lock) -> None:
    store = build_cache.Cache(project.cache_dir)
    store.put("lock", build_cache.key("lock", text), lock)
    store.flush()


def version_span(result: CompileResult, name: str) -> Span | None:
    header = result.graph.headers.get(name) if result.graph else None
    if header is None:
        return None
    return header.version_span or Span.point(result.graph.displays[name], 1, 1)


def build(project: Project, *, locked: bool = False, out: Path | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> BuildResult:
    out_dir = out or project.out_dir
    plan = _plan(project, None, None, True, progress, True)
    if isinstance(plan, CompileResult):
        return BuildResult(plan)
    stamp = _read_stamp(plan, out_dir)
    unchanged = _up_to_date(plan, out_dir, stamp)
    if unchanged is not None:
        return unchanged
    # Bundles whose module results are unchanged since the last build need no new file.
    previous = stamp[2] if stamp else {}
    compiled = _execute(plan, progress, True)
    result = BuildResult(compiled)
    lock, lock_text, lock_diags = read_lock(project)
    compiled.diagnostics.extend(lock_diags)
    for finding in lockfile.check_versions(lock, compiled.bundles.values()):
        compiled.diagnostics.append(diag(finding.rule, finding.message, version_span(compiled, finding.name),
                                         notes=finding.notes))
    compiled.diagnostics = sorted_diagnostics(compiled.diagnostics)
    if not compiled.ok:
        return result
    new_lock = lockfile.updated(lock, compiled.bundles.values())
    new_text = new_lock.dumps()
    result.lock_changed = new_text != lock_text
    if locked and result.lock_changed:
        changed = _lock_delta(lock, lockfile.Lock.loads(new_text))
        compiled.diagnostics.append(diag(
            "lock-out-of-date", "promptc.lock is out of date" + (f": {changed}" if changed else ""),
            Span.point("promptc.lock", 1, 1),
            notes=("run `promptc build` without --locked and commit promptc.lock",)))
        return result
    index_entries = {}
    written_by: dict[str, Path] = {}
    for name, bundle in sorted(compiled.bundles.items()):
        try:
            seen = previous.get(name)
            known = seen[1:3] if seen and seen[0] is not None and seen[0] == plan.keys.get(name) else None
            path = write_bundle(out_dir, bundle, known)
        except BundleConflict as exc:
            compiled.diagnostics.append(diag(
                "bundle-conflict", f"`{project.display(exc.path)}` exists with different content",
                Span.point(project.display(exc.path), 1, 1), notes=("remove the file; bundle files never change",)))
            continue
        result.written.append(path)
        written_by[name] = path
        index_entries[name] = {"version": bundle["version"], "hash": bundle["hash"], "file": path.name}
    if compiled.ok:
        write_index(out_dir, index_entries)
        if result.lock_changed:
            atomic_write(project.lock_path, new_text.encode("utf-8"))
            _cache_lock(project, new_text, new_lock)
        _write_stamp(plan, out_dir, result, written_by)
    return result


# A build stamp records a successful build: its fingerprint, the lock and index it left,
# and its findings. When nothing changed since, `build` checks that and stops there,
# without loading a single module's results.

def _stamp_state(project: Project, out_dir: Path) -> tuple[str, str]:
    def digest(path: Path) -> str:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return "missing"
    return digest(project.lock_path), digest(out_dir / "index.json")


def _stamp_key(out_dir: Path) -> str:
    return build_cache.key("stamp", str(out_dir.resolve()))


def _write_stamp(plan: _Plan, out_dir: Path, result: BuildResult, written_by: dict[str, Path]) -> None:
    if plan.store is None:
        return
    files = {name: (plan.keys.get(name), path.name, *_stat(path)) for name, path in written_by.items()}
    plan.store.put("stamp", _stamp_key(out_dir),
                   (plan.fingerprint, _stamp_state(plan.project, out_dir), files, result.compiled.diagnostics))
    plan.store.flush()


def _read_stamp(plan: _Plan, out_dir: Path) -> tuple | None:
    return plan.store.get("stamp", _stamp_key(out_dir)) if plan.store is not None else None


def _up_to_date(plan: _Plan, out_dir: Path, stamp: tuple | None) -> BuildResult | None:
    if stamp is None:
        return None
    fingerprint, state, files, diagnostics = stamp
    if fingerprint != plan.fingerprint or state != _stamp_state(plan.project, out_dir):
        return None
    # Bundle files are checked by size and modification time, as make does: an edited or
    # removed file sends the build down the full path, which reports or rewrites it.
    if not all(_stat(out_dir / fname) == (size, mtime) for _, fname, size, mtime in files.values()):
        return None
    compiled = CompileResult(plan.project, plan.graph, None, {}, list(diagnostics))
    written = [out_dir / files[name][1] for name in sorted(files)]
    return BuildResult(compiled, written=written, lock_changed=False)


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def _lock_delta(old: lockfile.Lock, new: lockfile.Lock) -> str:
    added = sorted(set(new.entries) - set(old.entries))
    removed = sorted(set(old.entries) - set(new.entries))
    changed = sorted(n for n in set(old.entries) & set(new.entries) if old.entries[n] != new.entries[n])
    parts = []
    for label, names in (("new", added), ("removed", removed), ("changed", changed)):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return "; ".join(parts)


# --- version bump -------------------------------------------------------------------

@dataclass
class BumpResult:
    compiled: CompileResult
    bumped: list[tuple[str, str, str]] = field(default_factory=list)  # name, old, new


def version_bump(project: Project, names: list[str] | None = None) -> BumpResult:
    """Rewrite `version:` in front matter to the smallest correct version for each change."""
    compiled = compile_project(project)
    result = BumpResult(compiled)
    lock, _, lock_diags = read_lock(project)
    compiled.diagnostics.extend(lock_diags)
    wanted = set(names or compiled.bundles)
    unknown = wanted - set(compiled.bundles)
    if unknown:
        raise UsageError(f"no prompt named {', '.join(sorted(unknown))}")
    if not compiled.ok:
        return result
    for name in sorted(wanted):
        bundle = compiled.bundles[name]
        entry = lock.entries.get(name)
        if entry is None:
            continue
        new_version = lockfile.smallest_bump(entry, bundle)
        if new_version is None or new_version == bundle["version"]:
            continue
        from .emit.versions import compare

        if compare(bundle["version"], new_version) > 0 and not lockfile.check_versions(lock, [bundle]):
            continue  # already bumped far enough
        _rewrite_version(project, compiled, name, new_version)
        result.bumped.append((name, bundle["version"], new_version))
    return result


def _rewrite_version(project: Project, compiled: CompileResult, name: str, version: str) -> None:
    src = compiled.graph.sources[name]
    span = compiled.graph.headers[name].version_span
    path = project.root / src.path
    if span is None:
        raise UsageError(f"{src.path} has no `version:` to bump; add `version: X.Y.Z` to its front matter")
    start = src.offset(span.line, span.column)
    end = src.offset(span.end_line, span.end_column)
    text = src.text[:start] + version + src.text[end:]
    atomic_write(path, text.encode("utf-8"))


# --- render -------------------------------------------------------------------------

def find_bundle(compiled: CompileResult, name: str) -> dict:
    if name not in compiled.bundles:
        from .diagnostics import did_you_mean

        best = did_you_mean(name, compiled.bundles)
        raise UsageError(f"no prompt named `{name}`" + (f"; did you mean `{best}`?" if best else "")
                         + ("" if compiled.bundles else " (the project defines no prompts)"))
    return compiled.bundles[name]
