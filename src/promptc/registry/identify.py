"""`promptc identify`: which registered prompt version can render a text seen in production.

Each message's IR becomes an automaton: text is literal, a `{{ value }}` is any text, an
`if` is one of its branches (or nothing), a `for` repeats its body. A bundle can render
the observed text when one of its messages, or all of them in order, match it whole (up to
the whitespace a log or a dashboard trims at the ends). Before any regular expression runs,
the literal text outside conditions and loops must occur in order in the observation; that
cheap check rejects almost every bundle before an automaton is built.

A match must rest on the prompt's fixed text: a message that is only `{{ question }}` can
render anything, so it names nothing. Of the views that can render the text, those with the
most fixed text (non-blank characters outside values, conditions and loops) win; a tie
between different prompts is reported as ambiguous. Either way the answer says how much of
the observed text was fixed text.

When nothing matches, the nearest message (by difflib's ratio of lines against its template text) is
named with a unified diff, which is usually the answer to "which prompt was this, and what
was changed by hand".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Iterator, Optional

from promptc.runtime.template_text import content_text

from .store import Store

MAX_OBSERVED = 500_000


@dataclass
class Match:
    name: str
    version: str
    hash: str
    messages: list[str]
    live: list[str] = field(default_factory=list)
    fixed: int = 0  # non-blank characters of the observed text that are the prompt's fixed text

    def to_json(self) -> dict:
        return {"name": self.name, "version": self.version, "hash": self.hash, "messages": self.messages,
                "live_in": self.live, "fixed_chars": self.fixed}


@dataclass
class Identification:
    matches: list[Match]
    nearest: Optional[dict] = None
    observed: int = 0  # non-blank characters of the observed text
    #: prompts that could render the text with no fixed text at all (`{{ question }}`)
    unanchored: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """"match", "ambiguous" (several prompts, as much fixed text each) or "no match"."""
        if not self.matches:
            return "no match"
        return "ambiguous" if len({m.name for m in self.matches}) > 1 else "match"

    def fixed_share(self) -> str:
        fixed = self.matches[0].fixed if self.matches else 0
        share = 100 * fixed / self.observed if self.observed else 0
        return f"{fixed:,} of the text's {self.observed:,} non-blank characters are the prompt's fixed text ({share:.0f} %)"

    def to_json(self) -> dict:
        return {"status": self.status, "matches": [m.to_json() for m in self.matches],
                "observed_chars": self.observed, "unanchored": self.unanchored, "nearest": self.nearest}

    def text(self) -> str:
        if self.matches:
            lines = []
            if self.status == "ambiguous":
                lines.append(f"Ambiguous: {len({m.name for m in self.matches})} prompts can render this text with "
                             "as much fixed text each; add --name, or more of the text.")
            for m in self.matches:
                live = f"  (live in {', '.join(m.live)})" if m.live else ""
                lines.append(f"{m.name}@{m.version}  {m.hash}  renders it ({', '.join(m.messages)}){live}")
            lines.append(self.fixed_share() + ".")
            return "\n".join(lines)
        note = ""
        if self.unanchored:
            note = (f"\n{', '.join(self.unanchored)} could render it, but only from values: none of the text is "
                    "the prompt's fixed text, so that is no evidence.")
        if not self.nearest:
            return "No match: no registered prompt can render this text from its fixed text, and none resembles it." + note
        n = self.nearest
        head = (f"No match: no registered prompt can render this text. Nearest: {n['name']}@{n['version']} {n['hash']} "
                f"({n['message']}, {100 * n['similarity']:.0f} % similar).")
        where = n.get("diverges_at")
        if where:
            expected = ", ".join(repr(c) for c in where["expected"]) or "the end of the text"
            head += (f"\nThe text stops matching it at line {where['line']}, column {where['column']}:\n"
                     f"  {where['observed']}\n  {' ' * (where['column'] - 1)}^ the prompt has {expected} here")
        return f"{head}\nDiff against its template:\n{n['diff']}{note}"


def identify(store: Store, observed: str, name: Optional[str] = None) -> Identification:
    text = observed.replace("\r\n", "\n")[:MAX_OBSERVED]
    stripped = text.strip()
    live = _live_index(store)
    matches: list[Match] = []
    unanchored: list[str] = []
    candidates = []
    for hash_, bundle_name, version, document in store.all_bundles():
        if name and bundle_name != name:
            continue
        messages = json.loads(document)["spec"]["messages"]
        found = [(label, _fixed(nodes)) for label, nodes in _views(messages) if _renders(nodes, stripped)]
        anchored = [(label, fixed) for label, fixed in found if fixed]
        if anchored:
            best = max(fixed for _, fixed in anchored)
            matches.append(Match(bundle_name, version, hash_, [label for label, fixed in anchored if fixed == best],
                                 live.get(hash_, []), best))
        else:
            if found:
                unanchored.append(f"{bundle_name}@{version}")
            candidates.append((bundle_name, version, hash_, messages))
    if matches:
        most = max(m.fixed for m in matches)
        matches = [m for m in matches if m.fixed == most]
    nearest = None if matches else _nearest(stripped, candidates)
    return Identification(matches, nearest, _nonblank(stripped), unanchored)


def _nonblank(text: str) -> int:
    return sum(not c.isspace() for c in text)


def _fixed(nodes: list) -> int:
    """The non-blank characters of a view's text that every rendering has: text outside
    values, conditions and loops."""
    return sum(_nonblank(n["text"]) for n in nodes if n["kind"] == "text")


def _live_index(store: Store) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for state in store.labels():
        for arm in state.serving():
            if arm.served:
                index.setdefault(arm.hash, []).append(state.env)
    return index


def _views(messages: list) -> Iterator[tuple[str, list]]:
    """Each message alone, then the whole conversation in order."""
    for index, message in enumerate(messages):
        yield f"message {index + 1} ({message['role']})", message["content"]
    if len(messages) > 1:
        joined: list = []
        for index, message in enumerate(messages):
            if index:
                joined.append({"kind": "gap"})
            joined.extend(message["content"])
        yield "all messages", joined


def _renders(nodes: list, text: str) -> bool:
    anchors = [n["text"].strip() for n in nodes if n["kind"] == "text" and n["text"].strip()]
    position = 0
    for anchor in anchors:
        found = text.find(anchor, position)
        if found < 0:
            return False
        position = found + len(anchor)
    return _Automaton(nodes).matches(text)


class _Automaton:
    """A Thompson NFA over characters: text nodes are chains of character states, a value
    (`{{ … }}`) is a state that consumes any run of characters, `if` splits into its
    branches, `for` loops over its body. Simulating it keeps a set of live states per input
    character, so matching is linear in the text for a fixed template: no backtracking."""

    def __init__(self, nodes: list) -> None:
        self.kind: list[str] = []   # "char", "any", "split", "match"
        self.char: list[str] = []
        self.next: list[list[int]] = []
        end = self._state("match", "", [])
        tail = self._state("any_ws", "", [end])
        self.start = self._state("any_ws", "", [self._seq(nodes, tail)])
        self._closures: dict[int, frozenset[int]] = {}

    def _state(self, kind: str, char: str, nxt: list[int]) -> int:
        self.kind.append(kind)
        self.char.append(char)
        self.next.append(nxt)
        return len(self.kind) - 1

    def _seq(self, nodes: list, nxt: int) -> int:
        for node in reversed(nodes):
            nxt = self._node(node, nxt)
        return nxt

    def _node(self, node: dict, nxt: int) -> int:
        kind = node["kind"]
        if kind == "text":
            for char in reversed(node["text"]):
                nxt = self._state("char", char, [nxt])
            return nxt
        if kind in ("expr", "gap"):
            return self._state("any", "", [nxt])
        if kind == "if":
            starts = [self._seq(b["body"], nxt) for b in node["branches"]]
            return self._state("split", "", starts + [self._seq(node.get("else") or [], nxt)])
        if kind == "for":
            loop = self._state("split", "", [])
            self.next[loop] = [self._seq(node["body"], loop), nxt]
            return loop
        return nxt

    def _closure(self, state: int) -> frozenset[int]:
        """`state` and every state reachable from it without consuming a character."""
        cached = self._closures.get(state)
        if cached is not None:
            return cached
        seen = {state}
        stack = [state]
        while stack:
            current = stack.pop()
            if self.kind[current] in ("split", "any", "any_ws"):
                for target in self.next[current]:
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
        result = frozenset(seen)
        self._closures[state] = result
        return result

    def _skip_blank(self, states: set[int]) -> set[int]:
        """`states` plus those reached by template whitespace alone: a log or a dashboard
        may have trimmed the whitespace a message starts or ends with."""
        result = set(states)
        stack = list(states)
        while stack:
            state = stack.pop()
            if self.kind[state] == "char" and self.char[state].isspace():
                for target in self._closure(self.next[state][0]):
                    if target not in result:
                        result.add(target)
                        stack.append(target)
        return result

    def matches(self, text: str) -> bool:
        return self.run(text) is None

    def run(self, text: str) -> Optional[tuple[int, str]]:
        """None when the template can render `text`; else where it stops being able to:
        the offset into `text` and the characters the template could have had there."""
        live = self._skip_blank(set(self._closure(self.start)))
        for index, char in enumerate(text):
            following: set[int] = set()
            for state in live:
                kind = self.kind[state]
                if kind == "char":
                    if self.char[state] == char:
                        following |= self._closure(self.next[state][0])
                elif kind == "any" or (kind == "any_ws" and char.isspace()):
                    following |= self._closure(state)
            if not following:
                return index, self._expected(live)
            live = following
        if any(self.kind[s] == "match" for s in self._skip_blank(live)):
            return None
        return len(text), self._expected(live)

    def _expected(self, live: set[int]) -> str:
        return "".join(sorted({self.char[s] for s in live if self.kind[s] == "char"}))


def _nearest(text: str, candidates: list) -> Optional[dict]:
    # Lines, not characters: difflib is quadratic, and prompts are long.
    observed_lines = text.splitlines()
    best = None
    for name, version, hash_, messages in candidates:
        for label, nodes in _views(messages):
            template = content_text([n for n in nodes if n["kind"] != "gap"]).strip()
            matcher = difflib.SequenceMatcher(None, template.splitlines(), observed_lines, autojunk=False)
            if best is not None and matcher.real_quick_ratio() <= best[0]:
                continue
            if best is not None and matcher.quick_ratio() <= best[0]:
                continue
            ratio = matcher.ratio()
            if best is None or ratio > best[0]:
                best = (ratio, name, version, hash_, label, template, nodes)
    if best is None:
        return None
    ratio, name, version, hash_, label, template, nodes = best
    stop = _Automaton(nodes).run(text)
    divergence = None
    if stop is not None and stop[0] < len(text):  # at the end it says little: a value may have swallowed the edit
        offset, expected = stop
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        divergence = {"line": line, "column": column, "observed": text.splitlines()[line - 1] if text else "",
                      "expected": expected}
    diff = "".join(difflib.unified_diff(template.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=f"{name}@{version}", tofile="observed"))
    return {"name": name, "version": version, "hash": hash_, "message": label, "similarity": round(ratio, 4),
            "diverges_at": divergence, "diff": diff}
