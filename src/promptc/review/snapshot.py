"""One side of a comparison: the bundles of a build, with what the review needs beside them.

A side is the working tree, a git revision (built in a temporary worktree by the same
compiler, so a difference is a difference in the sources and never in the compiler), or a
set of bundle files. Only the first two have lint findings, a lock with eval records and
approvals, and a module graph to say which files each prompt is made of.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import driver
from ..config import Project
from ..emit.lock import Lock
from . import git


@dataclass(frozen=True)
class Finding:
    """A diagnostic as the review compares them: by module, rule and message (lines move)."""

    module: str
    file: str
    rule: str
    severity: str
    message: str
    line: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.rule, self.message)

    def to_json(self) -> dict:
        return {"module": self.module, "file": self.file, "line": self.line, "rule": self.rule,
                "severity": self.severity, "message": self.message}


@dataclass
class Snapshot:
    label: str
    bundles: dict[str, dict] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)
    findings: list[Finding] = field(default_factory=list)
    closures: dict[str, list[str]] = field(default_factory=dict)  # prompt → modules it is built from
    files: dict[str, str] = field(default_factory=dict)  # module → path under the project root
    compiled: bool = True  # False for bundle files: no findings, lock or sources to compare
    errors: int = 0  # compile errors: a prompt that failed to compile is missing from `bundles`
    notes: list[str] = field(default_factory=list)

    def module_files(self, prompt: str) -> list[str]:
        """The project files (not the stdlib) a prompt is built from."""
        return [self.files[m] for m in self.closures.get(prompt, [prompt]) if m in self.files]


def from_project(project: Project, label: str = "working tree") -> Snapshot:
    """Compile a project in memory (nothing is written but the build cache) and read its lock."""
    compiled = driver.compile_project(project)
    lock, _, lock_diags = driver.read_lock(project)
    graph = compiled.graph
    files = {}
    closures = {}
    by_file = {}
    if graph is not None:
        for name, src in graph.sources.items():
            if not src.path.startswith("<"):
                files[name] = src.path
                by_file[src.path] = name
        closures = {name: graph.closure(name) for name in compiled.bundles}
    findings = []
    for d in compiled.diagnostics:
        where = d.span.file if d.span else ""
        findings.append(Finding(by_file.get(where, where), where, d.code.name, d.severity.value, d.message,
                                d.span.line if d.span else 0))
    snap = Snapshot(label, dict(compiled.bundles), lock, findings, closures, files)
    errors = snap.errors = sum(d.is_error for d in compiled.diagnostics)
    if errors:
        snap.notes.append(f"{label} has {errors} compile error{'s' * (errors != 1)}; prompts that did not "
                          "compile are missing from this side")
    snap.notes += [f"{label}: {d.message}" for d in lock_diags]
    return snap


@dataclass
class Revision:
    """A built git revision, and where the project sits in its repository."""

    snapshot: Snapshot
    commit: str
    repo: Path
    rev: str


def at_revision(project: Project, rev: str) -> Revision:
    """Build the project as it was at git revision `rev` in a temporary detached worktree."""
    repo = git.repo_root(project.root)
    commit = git.resolve(repo, rev)
    label = f"{rev} ({git.short(repo, commit)})" if not commit.startswith(rev) else git.short(repo, commit)
    relative = project.root.resolve().relative_to(repo)
    with git.worktree(repo, commit) as tree:
        base_root = tree / relative
        if not base_root.is_dir():
            snap = Snapshot(label)
            snap.notes.append(f"the project did not exist at {label}: every prompt is new")
            return Revision(snap, commit, repo, rev)
        snap = from_project(driver.open_project(base_root, required=False), label)
    return Revision(snap, commit, repo, rev)


def from_bundle_files(paths: list[Path], label: str | None = None) -> Snapshot:
    """A side made of bundle files (JSON documents of format promptc.bundle/v1)."""
    bundles: dict[str, dict] = {}
    for path in paths:
        bundle = read_bundle(path)
        if bundle["name"] in bundles:
            raise driver.UsageError(f"two bundles for `{bundle['name']}` on one side ({path})")
        bundles[bundle["name"]] = bundle
    return Snapshot(label or ", ".join(str(p) for p in paths), bundles, compiled=False)


def read_bundle(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise driver.UsageError(f"bundle file `{path}` does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise driver.UsageError(f"`{path}` is not a bundle: not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict) or data.get("format") != "promptc.bundle/v1" \
            or not isinstance(data.get("spec"), dict) or not isinstance(data.get("name"), str):
        raise driver.UsageError(f"`{path}` is not a promptc bundle (expected \"format\": \"promptc.bundle/v1\")")
    return data


def find_release(project: Project, ref: str) -> Path:
    """The bundle file of `NAME@VERSION` among the project's built bundles (`[project] out`)."""
    name, _, version = ref.partition("@")
    if not name or not version:
        raise driver.UsageError(f"`{ref}` is neither a bundle file nor NAME@VERSION")
    out = project.out_dir
    matches = sorted(out.glob(f"{name}@{version}.*.json")) if out.is_dir() else []
    if not matches:
        known = sorted(p.name.split(".json")[0].rsplit(".", 1)[0] for p in out.glob(f"{name}@*.json")) \
            if out.is_dir() else []
        hint = f" (built: {', '.join(known)})" if known else " (run `promptc build` to write bundles)"
        raise driver.UsageError(f"no bundle for `{ref}` in {project.display(out)}/{hint}")
    if len(matches) > 1:
        raise driver.UsageError(f"`{ref}` names {len(matches)} different bundles in {project.display(out)}/; "
                                "pass the bundle file instead")
    return matches[0]
