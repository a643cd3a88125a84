"""Where front-matter findings point: a key's value, or the opening `---` when the key
is absent (the front matter is the place to add it)."""

from __future__ import annotations

from ..semantic.checker import CheckedModule
from ..source import Span


def header_span(module: CheckedModule) -> Span | None:
    """The opening `---` of the front matter (line 1), or None without a source."""
    if module.source is None:
        return None
    return Span.point(module.source.path, 1, 1, 3)


def value_span(module: CheckedModule, *path: str) -> Span | None:
    """The span of a front-matter value (`value_span(m, "model", "context_window")`),
    falling back to its key, then to the header."""
    spans = module.syntax.front_spans or {}
    return spans.get((*path, "$value")) or spans.get(tuple(path)) or header_span(module)
