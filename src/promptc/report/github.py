"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

    ::error file=prompts/a.prompt,line=8,col=10,endLine=8,endColumn=22,title=PC104 undeclared-variable::`x` is not declared

Escaping follows GitHub's toolkit: in the message `%`, CR and LF become `%25`, `%0D`,
`%0A`; in property values `:` and `,` also become `%3A` and `%2C`. Infos are notices.
Findings in the bundled standard library have no file in the repository: they carry their
location in the message instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, Severity
from ..source import SourceFile
from .paths import PathMapper

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic, paths: PathMapper) -> str:
    props: list[tuple[str, str]] = []
    lines = [d.message]
    s = d.span
    if s is not None and not paths.is_stdlib(s.file):
        props += [("file", paths.repo_path(s.file)), ("line", str(s.line)), ("col", str(s.column)),
                  ("endLine", str(s.end_line)), ("endColumn", str(s.end_column))]
    elif s is not None:
        lines[0] = f"{s.file}:{s.line}:{s.column}: {d.message}"
    props.append(("title", f"{d.code.id} {d.code.name}"))
    lines += [f"imported from {step}" for step in d.import_chain]
    lines += [note if note.startswith("note:") else f"help: {note}" for note in d.notes]
    if d.fix:
        lines.append(f"fix: {d.fix.message}")
    shown = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[d.severity]} {shown}::{escape_data(chr(10).join(lines))}"


def write(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], project_root: Path | str) -> str:
    paths = PathMapper.for_project(Path(project_root))
    return "\n".join(command(d, paths) for d in diagnostics)
