"""Locate modules: the project's source roots and the bundled standard library."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from ..config import Project
from ..diagnostics import Diagnostic, diag
from ..resources import stdlib_root
from ..limits import MAX_FILE_BYTES
from ..source import DecodeError, SourceFile, Span, decode_source, read_limited

SUFFIX = ".prompt"
STD_PREFIX = "<stdlib>/"


@dataclass(frozen=True)
class Location:
    name: str
    display: str  # path shown in diagnostics
    path: Path | Traversable
    is_std: bool

    def read_bytes(self) -> bytes:
        if isinstance(self.path, Path):
            return read_limited(self.path, MAX_FILE_BYTES)
        return self.path.read_bytes()


@dataclass
class ModuleIndex:
    """Module name → location, for the project's sources and the stdlib (found lazily)."""

    project: Project
    modules: dict[str, Location] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def find(self, name: str) -> Location | None:
        if name in self.modules:
            return self.modules[name]
        if name == "std" or name.startswith("std."):
            node: Traversable = stdlib_root()
            parts = name.split(".")
            for part in parts[:-1]:
                node = node / part
            node = node / (parts[-1] + SUFFIX)
            if node.is_file():
                loc = Location(name, STD_PREFIX + "/".join(parts) + SUFFIX, node, True)
                self.modules[name] = loc
                return loc
        return None

    def project_names(self) -> list[str]:
        return sorted(n for n, loc in self.modules.items() if not loc.is_std)

    def known_names(self) -> list[str]:
        return sorted(set(self.modules) | set(_std_names()))


def _std_names() -> list[str]:
    names: list[str] = []

    def walk(node: Traversable, prefix: list[str]) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, prefix + [child.name])
            elif child.name.endswith(SUFFIX):
                names.append(".".join(prefix + [child.name[: -len(SUFFIX)]]))

    walk(stdlib_root(), [])
    return names


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    return ".".join(rel.parts)


def discover(project: Project, only: list[Path] | None = None) -> ModuleIndex:
    """Index every `.prompt` file under the source roots (all of them, for name lookups)."""
    index = ModuleIndex(project)
    for root in project.source_roots:
        if not root.is_dir():
            index.diagnostics.append(diag(
                "invalid-config", f"source root `{project.display(root)}` does not exist",
                Span.point(project.display(project.config_file) if project.config_file else "promptc.toml", 1, 1),
                notes=("create the directory or fix `[project] sources` in promptc.toml",)))
            continue
        shown_root = project.display(root)
        for path in sorted(root.rglob("*" + SUFFIX)):
            name = module_name(root, path)
            shown = (PurePosixPath(shown_root) / path.relative_to(root).as_posix()).as_posix()
            if not all(part.isidentifier() for part in name.split(".")):
                index.diagnostics.append(diag(
                    "syntax-error", f"`{project.display(path)}` cannot be a module: `{name}` is not a dotted name",
                    Span.point(project.display(path), 1, 1),
                    notes=("rename the file and its folders to letters, digits and underscores",)))
                continue
            if name in index.modules:
                continue  # the first source root wins
            index.modules[name] = Location(name, shown, path, False)
    return index


def read_source(loc: Location) -> tuple[SourceFile | None, list[Diagnostic]]:
    try:
        data = loc.read_bytes()
    except OSError as exc:
        return None, [diag("unknown-module", f"cannot read `{loc.display}`: {exc.strerror or exc}",
                           Span.point(loc.display, 1, 1),
                           notes=(f"a module is a regular UTF-8 file of at most {MAX_FILE_BYTES:,} bytes",))]
    try:
        text = decode_source(data)
    except DecodeError as exc:
        return None, [diag("not-utf8", f"`{loc.display}` is not UTF-8 text: {exc.reason}",
                           Span.point(loc.display, exc.line, exc.column),
                           notes=("save the file as UTF-8 (without a byte-order mark is best)",))]
    return SourceFile(loc.display, text, loc.name), []
