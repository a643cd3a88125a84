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
    if is_dotprompt(text):
        return "Dotprompt"
    return None
