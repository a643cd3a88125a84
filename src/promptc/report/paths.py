"""Where a diagnostic's file is, seen from the repository: shared by the report writers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ..modules.loader import STD_PREFIX

STDLIB_BASE = "PROMPTC_STDLIB"
SRCROOT_BASE = "%SRCROOT%"


def repository_root(project_root: Path) -> Path | None:
    """The nearest directory at or above `project_root` holding `.git` (a directory or a
    worktree's file), or None outside a repository."""
    start = Path(project_root).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


@dataclass(frozen=True)
class PathMapper:
    """Turns the project-relative paths of spans into repository-relative ones."""

    project_root: Path
    repo_root: Path
    prefix: str  # the project root relative to the repository root, "" or "sub/dir/"

    @classmethod
    def for_project(cls, project_root: Path | str) -> "PathMapper":
        root = Path(project_root).resolve()
        repo = repository_root(root) or root
        rel = root.relative_to(repo).as_posix()
        return cls(root, repo, "" if rel in ("", ".") else rel + "/")

    @staticmethod
    def is_stdlib(path: str) -> bool:
        return path.startswith(STD_PREFIX)

    def repo_path(self, path: str) -> str:
        """A path relative to the repository root; stdlib paths stay as they are; paths
        outside the repository stay absolute."""
        if self.is_stdlib(path):
            return path
        if PurePosixPath(path).is_absolute() or Path(path).is_absolute():
            try:
                return Path(path).resolve().relative_to(self.repo_root).as_posix()
            except ValueError:
                return Path(path).as_posix()
        return self.prefix + path

    def artifact_location(self, path: str) -> dict:
        """A SARIF artifactLocation: `uri` relative to %SRCROOT% (the repository root) or to
        PROMPTC_STDLIB for the bundled standard library; absolute outside the repository."""
        if self.is_stdlib(path):
            return {"uri": quote(path[len(STD_PREFIX):], safe="/"), "uriBaseId": STDLIB_BASE}
        rel = self.repo_path(path)
        if Path(rel).is_absolute():
            return {"uri": Path(rel).as_uri()}
        return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT_BASE}
