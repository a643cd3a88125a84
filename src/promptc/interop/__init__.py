"""Other prompt-file formats: Dotprompt (`.prompt`, Genkit) and Prompty (`.prompty`).

`promptc import` converts their files into modules (`dotprompt.py`, `prompty.py`);
`promptc export` writes a bundle back out in their formats (`export.py`);
`foreign_format` recognises them by content, so that `promptc check` names what a file is
instead of reporting promptc syntax errors in it.
"""

from __future__ import annotations


def foreign_format(text: str, path: str = "") -> str | None:
    """"Dotprompt" or "Prompty" when the text is a file of that format, else None."""
    from .dotprompt import is_dotprompt
    from .prompty import is_prompty

    if is_prompty(text) or (path.endswith(".prompty") and text.strip()):
        return "Prompty"
    # Front matter in Dotprompt's shape says so in any file; a Handlebars body only in a
    # `.prompt` file (a plain .txt with `{{name}}` stays plain text).
    if is_dotprompt(text, body_only=path.endswith(".prompt")):
        return "Dotprompt"
    return None


def is_foreign_file(path) -> bool:
    """Whether a file named on the command line is a Prompty file, or a `.prompt` file that
    is Dotprompt's rather than a promptc module."""
    from pathlib import Path

    from ..source import DecodeError, decode_source

    path = Path(path)
    if path.suffix == ".prompty":
        return True
    if path.suffix != ".prompt" or not path.is_file():
        return False
    try:
        return foreign_format(decode_source(path.read_bytes()), str(path)) is not None
    except (OSError, DecodeError):
        return False


def foreign_diagnostics(project, paths) -> tuple[list, dict]:
    """One `foreign-format` finding per Dotprompt or Prompty file named on the command line."""
    from pathlib import Path

    from ..diagnostics import diag
    from ..source import DecodeError, SourceFile, Span, decode_source

    found, sources = [], {}
    for path in paths:
        shown = project.display(Path(path))
        try:
            text = decode_source(Path(path).read_bytes())
        except (OSError, DecodeError):
            text = ""
        kind = foreign_format(text, str(path)) or "Prompty"
        sources[shown] = SourceFile(shown, text)
        found.append(diag("foreign-format", f"`{shown}` is a {kind} file, not a promptc module",
                          Span.point(shown, 1, 1), notes=(f"convert it with `promptc import {shown}`",)))
    return found, sources
