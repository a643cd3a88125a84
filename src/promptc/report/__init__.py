"""Diagnostic reports for `promptc check --format …`: one module per machine format.

`write(fmt, diagnostics, sources, project_root)` returns the whole report as text. Paths in
spans are relative to the project root; the SARIF, GitHub and JUnit writers make them
relative to the repository root (the nearest directory above the project with `.git`), as
code-scanning services and CI annotations expect.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, render_json, render_text
from ..source import SourceFile

FORMATS = ("text", "json", "sarif", "github", "junit")


def default_format(environ: Mapping[str, str] | None = None) -> str:
    """`github` inside GitHub Actions (GITHUB_ACTIONS=true), otherwise `text`."""
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


def write(fmt: str, diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile],
          project_root: Path | str) -> str:
    """The report of `diagnostics` in format `fmt` (one of FORMATS)."""
    if fmt == "text":
        return "\n\n".join(render_text(d, sources) for d in diagnostics)
    if fmt == "json":
        return render_json(diagnostics)
    if fmt == "sarif":
        from .sarif import write as write_sarif

        return write_sarif(diagnostics, sources, project_root)
    if fmt == "github":
        from .github import write as write_github

        return write_github(diagnostics, sources, project_root)
    if fmt == "junit":
        from .junit import write as write_junit

        return write_junit(diagnostics, sources, project_root)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "default_format", "write"]
