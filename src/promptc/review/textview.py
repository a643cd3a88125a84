"""`promptc diff` for a terminal: per prompt, the facts first, then the text diff.

Colour only when the stream is a terminal and NO_COLOR is unset, as everywhere in promptc.
"""

from __future__ import annotations

import json

from .compare import Comparison, PromptChange
from .gate import short

_COLORS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m", "bold": "\x1b[1m"}
_RESET = "\x1b[0m"


def render(comparison: Comparison, color: bool = False) -> str:
    def paint(text: str, key: str) -> str:
        return f"{_COLORS[key]}{text}{_RESET}" if color else text

    out: list[str] = []
    for change in comparison.changed + comparison.metadata_only:
        if out:
            out.append("")
        out.append(paint(_title(change), "bold"))
        out += ["  " + line for line in _facts(change)]
        for m in change.messages:
            for line in m.lines:
                if line.startswith(("+++", "---")):
                    out.append(paint(line, "bold"))
                elif line[:1] in ("+", "-", "@"):
                    out.append(paint(line, line[0]))
                else:
                    out.append(line)
    unchanged = len(comparison.prompts) - len(comparison.changed)
    if out:
        out.append("")
    out.append(f"{len(comparison.changed)} prompt{'s' * (len(comparison.changed) != 1)} changed, "
               f"{unchanged} unchanged ({comparison.base.label} → {comparison.head.label}).")
    out += [f"note: {n}" for n in comparison.notes]
    return "\n".join(out)


def _title(change: PromptChange) -> str:
    v = change.version
    if change.status == "unchanged":
        what = "metadata changed (same hash)"
        version = f"{v.old} → {v.new}" if v and v.old != v.new else (v.new if v else "")
    elif change.status == "changed":
        what = f"changed ({change.change.level})"
        version = f"{v.old} → {v.new}" if v and v.old != v.new else f"{v.new if v else ''} (not bumped)"
    else:
        what = change.status
        version = (v.new or v.old) if v else ""
    return f"{change.name}  {what}  {version}"


def _facts(change: PromptChange) -> list[str]:
    out: list[str] = []
    v = change.version
    if v is not None and v.old and v.new and change.status == "changed":
        if v.ok:
            out.append(f"version: {v.kind} bump, the change needs {v.required}: ok")
        else:
            out.append(f"version: {v.kind or 'no'} bump, but the change needs {v.required}: use {v.suggested}")
    for r in change.interface:
        out.append(f"interface ({r.level}): {r.text}")
    for key, a, b in change.model:
        out.append(f"model {key}: {show_json(a)} → {show_json(b)}")
    for key, a, b in change.retrieval:
        out.append(f"retrieval {key}: {show_json(a)} → {show_json(b)}")
    if change.limitations_changed:
        old, new = change.limitations
        out += [f"limitation removed: {text}" for text in old if text not in new]
        out += [f"limitation added: {text}" for text in new if text not in old]
    for case in change.captured:
        out.append(f"captured, not in the eval set: {case.line()}")
    if change.status == "unchanged":
        return out
    t = change.tokens
    if t is not None:
        line = f"tokens: static {_pair(t.static)}, largest input {_pair(t.largest)}"
        if t.cost[0] is not None or t.cost[1] is not None:
            line += f"; static cost per call {_pair(t.cost, '{:.5f}')} USD"
        out.append(line)
    old, new = change.eval.old, change.eval.new
    if new is not None:
        score = f"{old.score:.3f} → {new.score:.3f} ({new.score - old.score:+.3f})" if old else f"{new.score:.3f}"
        out.append(f"eval: {score} on {new.dataset or 'an unnamed dataset'}")
        for f in change.eval.newly_failing:
            out.append(f"  newly failing: {f.example}" + (f" ({f.reason})" if f.reason else ""))
    elif change.status != "removed" and change.hash:
        out.append(f"eval: no record for {short(change.hash)}")
    for f in change.lint_new:
        out.append(f"lint, new: {f.file}:{f.line} {f.rule}: {f.message}")
    for f in change.lint_fixed:
        out.append(f"lint, fixed: {f.file} {f.rule}: {f.message}")
    return out


def show_json(value) -> str:
    return "unset" if value is None else json.dumps(value, ensure_ascii=False)


def _pair(p, fmt: str = "{:,}") -> str:
    a, b = p
    show = lambda v: "–" if v is None else fmt.format(v)  # noqa: E731
    if a == b:
        return show(a)
    delta = "" if a is None or b is None else f" ({b - a:+,})" if fmt == "{:,}" else ""
    return f"{show(a)} → {show(b)}{delta}"
