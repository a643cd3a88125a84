"""The few git operations the review commands need, each a plain `git` subprocess.

A base revision is built in a temporary, detached worktree: the user's working tree, index
and `dist/` are never touched, and the worktree is removed again even when the build
fails. Every failure becomes a one-line `UsageError` naming what was wrong.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from ..clikit import UsageError


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                              errors="replace")
    except FileNotFoundError:
        raise UsageError("`git` is not installed or not on PATH; --base needs it") from None
    if check and done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise UsageError(f"git {args[0]} failed: {message}")
    return done


def repo_root(path: Path) -> Path:
    """The top of the git repository holding `path`."""
    done = _git(path, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise UsageError(f"`{path}` is not inside a git repository; --base needs one")
    return Path(done.stdout.strip()).resolve()


def resolve(root: Path, rev: str) -> str:
    """The commit id of `rev`; a UsageError naming the revision when git does not know it."""
    if not rev or rev.startswith("-"):
        raise UsageError(f"`{rev}` is not a git revision")
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if done.returncode != 0:
        raise UsageError(f"unknown git revision `{rev}` (fetch it first in a shallow clone: "
                         f"git fetch origin {rev})")
    return done.stdout.strip()


def short(root: Path, commit: str) -> str:
    return _git(root, "rev-parse", "--short", commit).stdout.strip()


@contextlib.contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached checkout of `commit` in a temporary directory, removed on exit."""
    parent = Path(tempfile.mkdtemp(prefix="promptc-base-"))
    path = parent / "tree"
    try:
        _git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        if path.exists():
            _git(root, "worktree", "remove", "--force", str(path), check=False)
        shutil.rmtree(parent, ignore_errors=True)
        _git(root, "worktree", "prune", check=False)


def authors(root: Path, base: str, files: Iterable[Path]) -> set[str]:
    """Who changed `files` since `base`: commit authors (name and email) of `base..HEAD`,
    and the configured user when the files have uncommitted changes.

    Only commits touching the prompt's own sources count, so a reviewer who commits nothing
    but an approval in promptc.lock does not become an author of the change.
    """
    paths = sorted({str(p) for p in files})
    if not paths:
        return set()
    found: set[str] = set()
    log = _git(root, "log", "--format=%an%x00%ae", f"{base}..HEAD", "--", *paths, check=False)
    for line in log.stdout.splitlines():
        found.update(part.strip() for part in line.split("\x00") if part.strip())
    status = _git(root, "status", "--porcelain", "--", *paths, check=False)
    if status.stdout.strip():
        for key in ("user.name", "user.email"):
            value = _git(root, "config", key, check=False).stdout.strip()
            if value:
                found.add(value)
    return found
