"""Front matter: put the top-level keys in canonical order by moving their lines.

The YAML is never re-dumped. Each top-level key owns its lines (the key line, the
value's continuation lines, and the comment and blank lines just above it), and those
blocks are reordered as they are. Trailing whitespace is removed from the lines. Every
edit is checked: the YAML must load to the same data, or the front matter is kept as it
was written.
"""

from __future__ import annotations

import yaml

from ..syntax.frontmatter import _LOADER

KEY_ORDER = ("version", "purpose", "owner", "tech_owner", "risk", "model", "retrieval", "eval", "evaluated", "capture",
             "limitations", "tags", "lint")


def format_front(yaml_text: str) -> list[str]:
    """The lines between the two `---` lines, in canonical form."""
    lines = yaml_text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    stripped = [line.rstrip() for line in lines]
    for attempt in (_reorder(stripped), stripped):
        if attempt is not None and _same_data(attempt, lines):
            return attempt
    return lines


def _reorder(lines: list[str]) -> list[str] | None:
    try:
        node = yaml.compose("\n".join(lines) + "\n", Loader=_LOADER)
    except yaml.YAMLError:
        return None
    if node is None:
        return _collapse(lines, keep_leading=False, keep_trailing=False)
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return None
    starts = []
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.start_mark.column != 0:
            return None
        starts.append(key.start_mark.line)
    if not starts or starts != sorted(starts):
        return None
    names = [str(key.value) for key, _ in node.value]
    leads: list[list[str]] = [lines[: starts[0]]] + [[] for _ in starts[1:]]
    bodies = [lines[s:e] for s, e in zip(starts, starts[1:] + [len(lines)])]
    tail: list[str] = []
    for i, body in enumerate(bodies):
        # Comment and blank lines at the end of a block belong to the key below them.
        peeled: list[str] = []
        while len(body) > 1 and (not body[-1].strip() or body[-1].startswith("#")):
            peeled.insert(0, body.pop())
        if i + 1 < len(bodies):
            leads[i + 1] = peeled
        else:
            tail = peeled

    def rank(i: int) -> tuple[int, int]:
        return (KEY_ORDER.index(names[i]) if names[i] in KEY_ORDER else len(KEY_ORDER), i)

    out: list[str] = []
    for pos, i in enumerate(sorted(range(len(bodies)), key=rank)):
        out += _collapse(leads[i], keep_leading=pos > 0, keep_trailing=True) + bodies[i]
    return out + _collapse(tail, keep_leading=True, keep_trailing=False)


def _collapse(lines: list[str], *, keep_leading: bool, keep_trailing: bool) -> list[str]:
    """Runs of blank lines become one; optionally none at the start or the end."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and not out[-1]:
                continue
            if not out and not keep_leading:
                continue
            out.append("")
        else:
            out.append(line)
    if not keep_trailing:
        while out and not out[-1]:
            out.pop()
    return out


def _same_data(new: list[str], old: list[str]) -> bool:
    try:
        return yaml.load("\n".join(new) + "\n", Loader=_LOADER) == yaml.load("\n".join(old) + "\n", Loader=_LOADER)
    except yaml.YAMLError:
        return False
