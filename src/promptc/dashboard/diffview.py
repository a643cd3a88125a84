"""Side-by-side comparison of two bundles of one prompt, for the diff page.

Messages are compared as the template text a reviewer reads (`promptc.review.render`: the IR
with fragments already expanded, placeholders in the author's syntax), all messages as one
document with a heading line per message, so inserting a message shows as one insertion
rather than every later message looking changed. Long unchanged stretches fold to a count.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Optional

from promptc.review.render import message_text

from .present import pretty_json

#: Unchanged lines kept around each change; the rest of an unchanged stretch folds.
CONTEXT = 3


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side table. `kind` is equal, change, insert, delete, fold or
    heading; line numbers are None where a side has no line."""

    kind: str
    left_no: Optional[int]
    left: str
    right_no: Optional[int]
    right: str


def message_lines(spec: dict) -> list[tuple[str, bool]]:
    """Every message as lines, each message opened by a heading line `(text, True)`."""
    lines: list[tuple[str, bool]] = []
    for index, message in enumerate(spec.get("messages") or [], start=1):
        lines.append((f"{message.get('role', '?')} message", True))
        lines.extend((line, False) for line in message_text(message).split("\n"))
    return lines


def side_by_side(left: list[tuple[str, bool]], right: list[tuple[str, bool]], context: int = CONTEXT) -> list[Row]:
    """Rows pairing `left` and `right` lines, with unchanged stretches folded to `context`
    lines either side of a change. Heading lines are never folded away."""
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    opcodes = matcher.get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            keep = _kept(i1, i2, n, len(opcodes), context)
            keep |= {i for i in range(i1, i2) if left[i][1]}
            folded = 0
            for i in range(i1, i2):
                if i not in keep:
                    folded += 1
                    continue
                if folded:
                    rows.append(Row("fold", None, f"{folded} unchanged line{'s' * (folded != 1)}", None, ""))
                    folded = 0
                j = j1 + (i - i1)
                kind = "heading" if left[i][1] else "equal"
                rows.append(Row(kind, i + 1, left[i][0], j + 1, right[j][0]))
            if folded:
                rows.append(Row("fold", None, f"{folded} unchanged line{'s' * (folded != 1)}", None, ""))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            has_left, has_right = i < i2, j < j2
            kind = "change" if has_left and has_right else ("delete" if has_left else "insert")
            rows.append(Row(kind, i + 1 if has_left else None, left[i][0] if has_left else "",
                            j + 1 if has_right else None, right[j][0] if has_right else ""))
    return rows


def _kept(i1: int, i2: int, n: int, count: int, context: int) -> set[int]:
    """Which lines of an unchanged stretch stay visible: the ends next to changes."""
    keep: set[int] = set()
    if n > 0:
        keep |= set(range(i1, min(i2, i1 + context)))
    if n < count - 1:
        keep |= set(range(max(i1, i2 - context), i2))
    return keep


def plain_lines(text: str) -> list[tuple[str, bool]]:
    return [(line, False) for line in text.split("\n")]


def interface(spec: dict) -> str:
    """What a caller must pass and gets back: inputs, output and tools as sorted JSON."""
    return pretty_json({"inputs": spec.get("inputs"), "output": spec.get("output"), "tools": spec.get("tools")})


@dataclass(frozen=True)
class SettingRow:
    key: str
    left: str
    right: str

    @property
    def changed(self) -> bool:
        return self.left != self.right


def settings(left: dict, right: dict) -> list[SettingRow]:
    """Model settings (`spec.model`) key by key."""
    def show(model: dict, key: str) -> str:
        return pretty_json(model[key]) if key in model else "—"

    keys = sorted(set(left) | set(right))
    return [SettingRow(k, show(left, k), show(right, k)) for k in keys]


@dataclass(frozen=True)
class TokenRow:
    label: str
    left: Optional[int]
    right: Optional[int]

    @property
    def delta(self) -> str:
        if self.left is None or self.right is None:
            return "—"
        change = self.right - self.left
        return f"{change:+d}" if change else "0"


def tokens(left: dict, right: dict) -> list[TokenRow]:
    """Token counts per message and in total, as the compiler recorded them in `tokens`."""
    def counts(bundle: dict) -> list[int]:
        values = (bundle.get("tokens") or {}).get("messages") or []
        return [v for v in values if isinstance(v, int)]

    def roles(bundle: dict) -> list[str]:
        return [m.get("role", "?") for m in (bundle.get("spec") or {}).get("messages") or []]

    a, b, ra, rb = counts(left), counts(right), roles(left), roles(right)
    rows = []
    for i in range(max(len(a), len(b))):
        role = (ra[i] if i < len(ra) else rb[i] if i < len(rb) else "?")
        rows.append(TokenRow(f"message {i + 1} ({role})", a[i] if i < len(a) else None, b[i] if i < len(b) else None))
    rows.append(TokenRow("total", sum(a), sum(b)))
    return rows


@dataclass(frozen=True)
class Comparison:
    left: dict
    right: dict
    messages: list[Row]
    interface: list[Row]
    settings: list[SettingRow]
    tokens: list[TokenRow]

    @property
    def identical(self) -> bool:
        return self.left.get("hash") == self.right.get("hash")


def compare(left: dict, right: dict) -> Comparison:
    ls, rs = left.get("spec") or {}, right.get("spec") or {}
    return Comparison(
        left, right,
        side_by_side(message_lines(ls), message_lines(rs)),
        side_by_side(plain_lines(interface(ls)), plain_lines(interface(rs))),
        settings(ls.get("model") or {}, rs.get("model") or {}),
        tokens(left, right),
    )
