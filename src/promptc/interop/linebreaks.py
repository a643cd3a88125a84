"""Prompty's parser drops each message's leading and trailing line breaks after rendering.
`strip_end` removes them from a message's template instead, also where they come from
inside `{% if %}` (moved into the branches that render text) or depend on whether a loop
runs; where that depends on more than the template it raises `Unstrippable`."""

from __future__ import annotations


class Unstrippable(Exception):
    """Line breaks at a message's edge whose removal depends on more than the template."""


# A message as a tree: ("lit", text) | ("expr", code) | ("if", [(tag, body), …], else body or
# None) | ("for", tag, body). `mirror` reverses it (texts too), so one function strips both ends.

def tree(parts: list[tuple[str, str]]) -> list:
    root: list = []
    stack: list[tuple[list, tuple]] = []
    current = root
    for kind, value in parts:
        word = value[2:].split()[0] if kind == "tag" else ""
        if kind != "tag":
            current.append((kind, value))
        elif word in ("if", "for"):
            node = ("if", [(value, [])], None) if word == "if" else ("for", value, [])
            current.append(node)
            stack.append((current, node))
            current = node[1][0][1] if word == "if" else node[2]
        elif word == "elif":
            node = stack[-1][1]
            node[1].append((value, []))
            current = node[1][-1][1]
        elif word == "else":
            parent, node = stack[-1]
            new = (node[0], node[1], [])
            parent[parent.index(node)] = new
            stack[-1] = (parent, new)
            current = new[2]
        else:  # endif / endfor
            current = stack.pop()[0]
    return root


def flatten(items: list) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in items:
        if item[0] in ("lit", "expr"):
            out.append(item)
        elif item[0] == "if":
            for tag, body in item[1]:
                out.append(("tag", tag))
                out += flatten(body)
            if item[2] is not None:
                out.append(("tag", "{% else %}"))
                out += flatten(item[2])
            out.append(("tag", "{% endif %}"))
        else:
            out.append(("tag", item[1]))
            out += flatten(item[2])
            out.append(("tag", "{% endfor %}"))
    return out


def mirror(items: list) -> list:
    out = []
    for item in reversed(items):
        if item[0] == "lit":
            out.append(("lit", item[1][::-1]))
        elif item[0] == "expr":
            out.append(item)
        elif item[0] == "if":
            out.append(("if", [(tag, mirror(body)) for tag, body in item[1]],
                        None if item[2] is None else mirror(item[2])))
        else:
            out.append(("for", item[1], mirror(item[2])))
    return out


def strip_end(items: list) -> list:
    """The items with the line breaks at the end of what they render removed."""
    items = list(items)
    while items and items[-1][0] == "lit":
        kept = items[-1][1].rstrip("\n")
        if kept:
            return items[:-1] + [("lit", kept)]
        items.pop()
    if not items or items[-1][0] == "expr":
        return items  # a value's own line breaks at the edge: a documented difference
    last = items[-1]
    if last[0] == "if":
        branches = [(tag, strip_end(body)) for tag, body in last[1]]
        other = strip_end(last[2] or [])
        if not any(b for _, b in branches) and not other:  # renders nothing: the end is before it
            return strip_end(items[:-1]) + [("if", branches, None)]
    moved, rest = _split_breaks(items[:-1])
    if last[0] == "if":
        if moved and any(b and not any(x[0] == "lit" and x[1] for x in b) for b in [*(b for _, b in branches), other]):
            raise Unstrippable("text before a block whose branch may render nothing")
        branches = [(tag, ([("lit", moved)] if moved and b else []) + b) for tag, b in branches]
        other = ([("lit", moved)] if moved and other else []) + other
        return rest + [("if", branches, other if (other or last[2] is not None) else None)]
    if _ends_with_break(last[2]):
        raise Unstrippable("text inside `{% for %}`")
    if moved:  # the breaks before the loop end the message only when it runs no item
        iterated = last[1][2:-2].strip().split(" in ", 1)[1]
        rest = rest + [("if", [("{% if " + iterated + " %}", [("lit", moved)])], None)]
    return rest + [last]


def _split_breaks(items: list) -> tuple[str, list]:
    """(the line breaks that end `items`' text, `items` without them); the breaks must come
    from text at the end, not from inside a block."""
    items = list(items)
    moved = ""
    while items and items[-1][0] == "lit":
        value = items[-1][1]
        kept = value.rstrip("\n")
        moved = value[len(kept):] + moved
        if kept:
            items[-1] = ("lit", kept)
            return moved, items
        items.pop()
    if items and items[-1][0] in ("if", "for") and _ends_with_break(items):
        raise Unstrippable("text inside a block followed by another block")
    return moved, items


def _ends_with_break(items: list) -> bool:
    """Whether what `items` render can end with a line break from their text."""
    for item in reversed(items):
        if item[0] == "lit" and item[1]:
            return item[1].endswith("\n")
        if item[0] == "expr":
            return False
        if item[0] == "if":
            bodies = [b for _, b in item[1]] + [item[2] or []]
            if any(_ends_with_break(b) for b in bodies):
                return True
            if all(any(x[0] == "lit" and x[1] for x in b) for b in bodies):
                return False  # every branch ends in text without a break
        if item[0] == "for" and _ends_with_break(item[2]):
            return True
        # a block that may render nothing: what comes before it may end the text
    return False
