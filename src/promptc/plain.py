"""Lint plain prompt files (`.txt`, `.md`) before they are migrated to `.prompt` modules.

The whole file is one literal `system` message: no template processing, so `{{ x }}` in
it is plain text. The project's lint configuration applies; rules about front matter
(owner, purpose, eval) do not, since a plain file has none. Findings point into the file itself: the text block's lines start at the
file's line starts, so every offset in the message is the same offset in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Project
from .diagnostics import Diagnostic, diag
from .lint import runner as lint_runner
from .semantic.checker import CheckedMessage, CheckedModule
from .semantic.symbols import Exports
from .source import DecodeError, SourceFile, Span, decode_source
from .syntax import ast
from .syntax.template import ParsedTemplate

PLAIN_SUFFIXES = (".txt", ".md")
#: Rules about front matter: a plain file has none, so they apply once it is imported.
FRONT_MATTER_RULES = frozenset({"missing-owner", "missing-purpose", "missing-eval", "stale-evaluation",
                                "missing-version"})


def is_plain(path: Path | str) -> bool:
    return Path(path).suffix.lower() in PLAIN_SUFFIXES


@dataclass
class PlainResult:
    sources: dict[str, SourceFile] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plain_module(src: SourceFile) -> CheckedModule:
    """A checked module with one literal system message holding the whole file."""
    text = src.text
    whole = src.span(0, len(text)) if text else Span.point(src.path, 1, 1)
    block = ast.TextBlock(text, src.line_starts, whole)
    parsed = ParsedTemplate(block, src, None)
    message = CheckedMessage("system", [{"kind": "text", "text": text, "origin": (parsed, 0)}] if text else [],
                             parsed, whole)
    decl = ast.MessageDecl(ast.Ident("system", whole), block, whole)
    syntax = ast.Module(src.module, src.path, None, {}, (decl,))
    # A plain file cannot declare its output: rules must not assume text or JSON for it.
    return CheckedModule(src.module, src, syntax, None, Exports(src.module), messages=[message],
                         output={"type": "undeclared"})


def read_plain(project: Project, path: Path) -> tuple[SourceFile | None, list[Diagnostic]]:
    display = project.display(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        from .driver import UsageError

        raise UsageError(f"cannot read `{display}`: {exc.strerror or exc}") from None
    try:
        text = decode_source(data)
    except DecodeError as exc:
        return None, [diag("not-utf8", f"`{display}` is not UTF-8 text: {exc.reason}",
                           Span.point(display, exc.line, exc.column),
                           notes=("save the file as UTF-8",))]
    stem = display.rsplit(".", 1)[0] if "." in display.rsplit("/", 1)[-1] else display
    return SourceFile(display, text, stem.replace("/", ".")), []


def lint_plain(project: Project, paths: list[Path], *, report_config: bool = True) -> PlainResult:
    """Run the project's configured lint rules over each plain prompt file."""
    from .driver import UsageError, lint_facts

    result = PlainResult()
    where = Span.point(project.display(project.config_file) if project.config_file else "promptc.toml", 1, 1)
    rules, problems = lint_runner.configure(project.config.lint, where)
    rules = [r for r in rules if r.code.name not in FRONT_MATTER_RULES]
    if report_config:
        result.diagnostics.extend(project.diagnostics)
        result.diagnostics.extend(problems)
    facts = lint_facts(project)
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise UsageError(f"`{path}` does not exist")
        if not path.is_file():
            raise UsageError(f"`{path}` is not a file")
        src, diags = read_plain(project, path)
        result.diagnostics.extend(diags)
        if src is None:
            continue
        result.sources[src.path] = src
        module = plain_module(src)
        found = lint_runner.lint_module(module, rules, facts, facts.today)
        result.diagnostics.extend(lint_runner.apply_config(found, project.config.lint, module, {src.path: src}))
    return result
