"""The pull-request report as GitHub-flavoured Markdown.

Written to be posted as one PR comment and read top-down: a summary table (one row per
changed prompt, gate failures first), the gate's reasons, captured production cases the
changed prompts' eval sets lack, known limitations changed without a hash change, the lint
delta, then one collapsed `<details>` block per prompt with its version check, interface
changes, model and retrieval settings, known limitations, tokens and cost, eval delta and
the text diff of each message. A change to a shared module shows in every prompt it
reaches; identical diffs are printed once and referred to after, and the whole comment
stays under `[review] max_report_chars` (GitHub refuses comments over 65,536 characters),
leaving out trailing details with a note that says how to see them.
"""

from __future__ import annotations

import html
import json
import re

from .compare import Comparison, PromptChange
from .gate import Verdict, short

MAX_DIFF_LINES = 150  # per prompt; the rest is one `promptc diff` away
MAX_TABLE_ROWS = 200
MAX_LIST_ITEMS = 30
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def md(text: object) -> str:
    """Text safe inside a Markdown paragraph or table cell: no markup, no HTML, one line."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def prose(text: object) -> str:
    """promptc's own sentences, whose `name` spans stay code spans; the rest as `md`."""
    parts = _CODE_SPAN.split(" ".join(str(text).split()))
    return "".join(code(p[1:-1]) if i % 2 else _MD_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(parts))


def code(text: object, in_table: bool = False) -> str:
    """An inline code span that survives any backticks in `text` (and pipes, in a table)."""
    flat = " ".join(str(text).split())
    if in_table:
        flat = flat.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced(body: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _delta(old, new, fmt: str = "{:+,}") -> str:
    if old is None and new is None:
        return "–"
    if old is None or new is None:
        return "new" if old is None else "removed"
    d = new - old
    return "±0" if abs(d) < 1e-12 else fmt.format(d)


def _score(change: PromptChange) -> str:
    old, new = change.eval.old, change.eval.new
    if new is None:
        return "**missing**" if change.status != "removed" else "–"
    if old is None:
        return f"{new.score:.3f}"
    return f"{old.score:.3f} → {new.score:.3f} ({new.score - old.score:+.3f})"


def _version(change: PromptChange) -> str:
    v = change.version
    if v is None:
        return "–"
    if v.old is None or v.new is None:
        return md(v.new or v.old)
    text = md(v.new) if v.old == v.new else f"{md(v.old)} → {md(v.new)}"
    return text + ("" if v.ok else f" ⚠️ needs {md(v.suggested or v.required)}")


def _what(change: PromptChange) -> str:
    if change.status != "changed":
        return change.status
    return f"{change.change.level} change"


def render(comparison: Comparison, verdict: Verdict | None = None, max_chars: int = 60000,
           diff_command: str = "promptc diff") -> str:
    """The report text. `diff_command` is what a reader runs to see everything locally."""
    changed = comparison.changed
    failing = {r.prompt for r in verdict.reasons} if verdict else set()
    order = sorted(changed, key=lambda c: (c.name not in failing, -_rank(c), c.name))
    counts = {s: sum(c.status == s for c in changed) for s in ("changed", "added", "removed")}
    unchanged = len(comparison.prompts) - len(changed)
    head = [f"## promptc: prompt changes since {md(comparison.base.label)}", ""]
    summary = (f"{counts['changed']} changed, {counts['added']} added, {counts['removed']} removed, "
               f"{unchanged} unchanged (compared with {md(comparison.head.label)}).")
    if verdict is not None:
        summary = ("**Gate: passed.** " if verdict.ok else
                   f"**Gate: failed** ({len(verdict.reasons)} problem{'s' * (len(verdict.reasons) != 1)}). ") + summary
    head += [summary, ""]
    if not changed:
        head += ["No prompt changed: every bundle hash is the same on both sides.", ""]
    parts = ["\n".join(head)]
    if changed:
        parts.append(_table(order, failing if verdict else None))
    if verdict is not None and verdict.reasons:
        items = [f"- {code(r.prompt)}: {prose(r.message)}. *Fix:* {prose(r.fix)}"
                 for r in verdict.reasons[:MAX_LIST_ITEMS]]
        if len(verdict.reasons) > MAX_LIST_ITEMS:
            items.append(f"- … and {len(verdict.reasons) - MAX_LIST_ITEMS} more (run `promptc gate` for all)")
        parts.append("### Gate\n\n" + "\n".join(items) + "\n")
    captured = _captured(order)
    if captured:
        parts.append(captured)
    metadata = _metadata_only(comparison)
    if metadata:
        parts.append(metadata)
    lint = _lint(comparison)
    if lint:
        parts.append(lint)
    if comparison.notes:
        parts.append("### Notes\n\n" + "\n".join(f"- {prose(n)}" for n in comparison.notes) + "\n")
    text = "\n".join(parts)
    details: list[str] = []
    seen_diffs: dict[str, str] = {}
    left_out = 0
    footer_room = 400
    if order:
        text += "\n### Details\n"
    for change in order:
        block = _details(change, seen_diffs)
        if len(text) + sum(len(d) + 1 for d in details) + len(block) + footer_room > max_chars:
            left_out += 1
            continue
        details.append(block)
    text += "\n" + "\n".join(details)
    if left_out:
        text += (f"\n> Details of {left_out} more prompt{'s' * (left_out != 1)} were left out to keep this comment "
                 f"under {max_chars:,} characters; run `{diff_command}` to see every change.\n")
    return text.rstrip("\n") + "\n"


def _rank(change: PromptChange) -> int:
    if change.status == "removed":
        return 4
    return {"major": 3, "minor": 2, "patch": 1}.get(change.change.level or "", 0)


def _table(order: list[PromptChange], failing: set[str] | None) -> str:
    columns = ["Prompt", "Change", "Version", "Risk", "Eval score", "Tokens (static)", "Cost / call"]
    if failing is not None:
        columns.append("Gate")
    rows = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for change in order[:MAX_TABLE_ROWS]:
        t = change.tokens
        tokens = _delta(*t.static) if t else "–"
        cost = _delta(*t.cost, fmt="{:+.5f} USD") if t and (t.cost[0] is not None or t.cost[1] is not None) else "–"
        cells = [code(change.name, in_table=True), md(_what(change)), _version(change), md(change.meta.get("risk") or "–"),
                 _score(change), tokens, cost]
        if failing is not None:
            cells.append("❌" if change.name in failing else "–" if change.status == "removed" else "✅")
        rows.append("| " + " | ".join(cells) + " |")
    if len(order) > MAX_TABLE_ROWS:
        rows.append("")
        rows.append(f"… and {len(order) - MAX_TABLE_ROWS} more changed prompts.")
    return "\n".join(rows) + "\n"


def _captured(order: list[PromptChange]) -> str:
    """Production cases captured for the changed prompts that their eval sets lack yet."""
    pending = [c for c in order if c.captured]
    if not pending:
        return ""
    lines = ["### Captured cases not in the eval set", ""]
    for change in pending:
        kinds: dict[str, int] = {}
        for case in change.captured:
            kinds[case.kind] = kinds.get(case.kind, 0) + 1
        counts = ", ".join(f"{n} {md(k)}" for k, n in sorted(kinds.items()))
        lines.append(f"- {code(change.name)}: {len(change.captured)} ({counts}); "
                     f"{code(f'promptc eval pull {change.name}')} adds them to its dataset")
        for case in change.captured[:MAX_LIST_ITEMS]:
            lines.append(f"  - {md(case.line())}")
        if len(change.captured) > MAX_LIST_ITEMS:
            lines.append(f"  - … and {len(change.captured) - MAX_LIST_ITEMS} more "
                         f"({code(f'promptc eval captured {change.name}')} lists them)")
    return "\n".join(lines) + "\n"


def _metadata_only(comparison: Comparison) -> str:
    """Prompts whose known limitations changed while their hash did not."""
    changes = comparison.metadata_only
    if not changes:
        return ""
    lines = ["### Known limitations changed (same hash)", ""]
    for change in changes[:MAX_TABLE_ROWS]:
        lines.append(f"- {code(change.name)}:")
        lines += _limitation_lines(change, "  ")
    return "\n".join(lines) + "\n"


def _limitation_lines(change: PromptChange, indent: str = "") -> list[str]:
    old, new = change.limitations
    if not change.limitations_changed:
        return [f"{indent}- known limitation: {md(text)}" for text in new[:MAX_LIST_ITEMS]]
    return ([f"{indent}- known limitation added: {md(text)}" for text in new if text not in old]
            + [f"{indent}- known limitation removed: {md(text)}" for text in old if text not in new]
            + [f"{indent}- known limitation: {md(text)}" for text in new if text in old])


def _lint(comparison: Comparison) -> str:
    if not comparison.lint_new and not comparison.lint_fixed:
        return ""
    lines = ["### Lint", ""]
    for label, found in (("New", comparison.lint_new), ("Fixed", comparison.lint_fixed)):
        if not found:
            continue
        lines.append(f"**{label} findings ({len(found)})**")
        lines.append("")
        for f in found[:MAX_LIST_ITEMS]:
            lines.append(f"- {code(f'{f.file}:{f.line}')} {md(f.severity)} {code(f.rule)}: {prose(f.message)}")
        if len(found) > MAX_LIST_ITEMS:
            lines.append(f"- … and {len(found) - MAX_LIST_ITEMS} more")
        lines.append("")
    return "\n".join(lines)


def _summary_tail(change: PromptChange) -> str:
    """What follows the name in a details block's summary: plain text, HTML-escaped (a
    summary is HTML, where Markdown escapes would show as backslashes)."""
    reasons = change.change.reasons[:2]
    text = f" — {_what(change)}" + (f": {'; '.join(reasons)}" if reasons and change.status == "changed" else "")
    if len(text) > 160:
        text = text[:159] + "…"
    return html.escape(" " + " ".join(text.split()))


def _details(change: PromptChange, seen_diffs: dict[str, str]) -> str:
    out = [f"<details><summary><code>{html.escape(change.name)}</code>{_summary_tail(change)}</summary>", ""]
    meta = change.meta
    who = ", ".join(f"{label} {md(meta[k])}" for k, label in (("owner", "owner"), ("tech_owner", "tech owner"))
                    if meta.get(k))
    facts = [f"risk {md(meta.get('risk') or 'not set')}"] + ([who] if who else [])
    if change.hash:
        facts.append(f"hash {code(short(change.hash))}")
    out += ["- " + "; ".join(facts)]
    v = change.version
    if v is not None and v.old and v.new:
        needs = f"; the change needs a {v.required} bump" if v.required else ""
        verdict = "ok" if v.ok else f"**too small**: use {md(v.suggested)}"
        out.append(f"- version {md(v.old)} → {md(v.new)} ({md(v.kind or 'no bump')}{needs}): {verdict}")
    for r in change.interface:
        out.append(f"- interface, {r.level}: {prose(r.text)}")
    for key, a, b in change.model:
        out.append(f"- model {code(key)}: {code(json.dumps(a)) if a is not None else 'unset'} → "
                   f"{code(json.dumps(b)) if b is not None else 'unset'}")
    for key, a, b in change.retrieval:
        out.append(f"- retrieval {code(key)}: {code(json.dumps(a)) if a is not None else 'unset'} → "
                   f"{code(json.dumps(b)) if b is not None else 'unset'}")
    out += _limitation_lines(change)
    t = change.tokens
    if t is not None:
        line = (f"- tokens: static {_pair(t.static)}, largest input {_pair(t.largest)}, "
                f"max reply {_pair(t.max_tokens)}")
        if t.cost[0] is not None or t.cost[1] is not None:
            line += f"; static cost per call {_pair(t.cost, '{:.5f}')} USD"
        out.append(line)
    out += _eval_lines(change)
    for f in change.lint_new[:MAX_LIST_ITEMS]:
        out.append(f"- new lint finding {code(f.rule)} in {code(f'{f.file}:{f.line}')}: {prose(f.message)}")
    for f in change.lint_fixed[:MAX_LIST_ITEMS]:
        out.append(f"- fixed lint finding {code(f.rule)} in {code(f.file)}: {prose(f.message)}")
    out.append("")
    if change.messages:
        body_lines: list[str] = []
        for m in change.messages:
            body_lines += m.lines
        key = "\n".join(line for line in body_lines if not line.startswith(("---", "+++")))
        if key in seen_diffs:
            out.append(f"Same text change as {code(seen_diffs[key])}.")
        else:
            seen_diffs.setdefault(key, change.name)
            if len(body_lines) > MAX_DIFF_LINES:
                more = len(body_lines) - MAX_DIFF_LINES
                body_lines = body_lines[:MAX_DIFF_LINES] + [f"… {more} more lines (`promptc diff` shows them)"]
            out.append(fenced("\n".join(body_lines), "diff"))
    elif change.status == "changed":
        out.append("The message text is unchanged.")
    out += ["", "</details>", ""]
    return "\n".join(out)


def _pair(p, fmt: str = "{:,}") -> str:
    a, b = p
    show = lambda v: "–" if v is None else fmt.format(v)  # noqa: E731
    if a == b:
        return show(a)
    return f"{show(a)} → {show(b)}"


def _eval_lines(change: PromptChange) -> list[str]:
    old, new = change.eval.old, change.eval.new
    dataset = change.meta.get("eval")
    if new is None:
        if change.status == "removed":
            return []
        return ["- eval: **no record for this hash**" + (f" (dataset {code(dataset)})" if dataset else
                                                            " (no `eval:` dataset in the front matter)")]
    ran = f"{code(new.dataset)}" if new.dataset else "an unnamed dataset"
    if new.dataset_hash:
        ran += f" ({code(short(new.dataset_hash))})"
    n = sum(new.counts.values())
    line = f"- eval ({new.source}, {ran}" + (f", {n} cases" if n else "") + "): score "
    line += f"{old.score:.3f} → {new.score:.3f} ({new.score - old.score:+.3f})" if old else f"{new.score:.3f}"
    if old and old.latency_ms is not None and new.latency_ms is not None:
        line += f"; mean latency {old.latency_ms:,.0f} → {new.latency_ms:,.0f} ms"
    elif new.latency_ms is not None:
        line += f"; mean latency {new.latency_ms:,.0f} ms"
    if old and old.cost is not None and new.cost is not None:
        line += f"; eval cost {old.cost:.4f} → {new.cost:.4f} USD"
    out = [line]
    if change.eval.dataset_changed:
        out.append("- ⚠️ the eval dataset changed between the two records: the scores are not strictly comparable")
    slices = change.eval.slices
    if slices:
        cells = []
        for name, (a, b) in slices.items():
            cells.append(f"{md(name)} " + (f"{a:.3f} → {b:.3f}" if a is not None and b is not None
                                            else f"{b:.3f}" if b is not None else f"{a:.3f} → –"))
        out.append("- slices: " + "; ".join(cells))
    failing = change.eval.newly_failing
    if failing:
        label = "newly failing examples" if old else "failing examples"
        out.append(f"- {label} ({len(failing)}):")
        for f in failing[:MAX_LIST_ITEMS]:
            out.append(f"  - {md(f.example)}" + (f": {md(f.reason)}" if f.reason else ""))
    return out
