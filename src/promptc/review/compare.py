"""Pair two sides of a review prompt by prompt and say what changed, in the terms a reviewer
and a gate need: message text (fragments expanded), interface changes with their semver
class, model and retrieval settings, known limitations, the version bump and whether it suffices, tokens and cost, lint
findings, and the eval records of the old and the new hash.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..emit import compat
from ..emit.versions import bump, bump_kind, level_rank
from ..export import budget
from . import evals
from .render import message_text
from .snapshot import Finding, Snapshot


@dataclass
class MessageDiff:
    index: int  # 1-based position in spec.messages
    role: str
    status: str  # "added" | "removed" | "changed"
    lines: list[str]  # a unified diff, headers included

    def to_json(self) -> dict:
        return {"index": self.index, "role": self.role, "status": self.status, "diff": "\n".join(self.lines)}


@dataclass
class VersionCheck:
    old: str | None
    new: str | None
    kind: str | None  # bump_kind: "major" | "minor" | "patch" | "decrease" | None (same)
    required: str | None  # the level the change needs (None: nothing changed)
    ok: bool
    suggested: str | None  # the smallest correct version when `ok` is False

    def to_json(self) -> dict:
        return {"old": self.old, "new": self.new, "bump": self.kind, "required": self.required,
                "ok": self.ok, "suggested": self.suggested}


@dataclass
class TokenDelta:
    static: tuple[int | None, int | None]  # the message text, every branch once
    largest: tuple[int | None, int | None]  # the largest input a call can render
    cost: tuple[float | None, float | None]  # USD of the static text per call, at [prices]
    max_tokens: tuple[int | None, int | None]

    def to_json(self) -> dict:
        def pair(p):
            delta = p[1] - p[0] if p[0] is not None and p[1] is not None else None
            return {"old": p[0], "new": p[1], "delta": round(delta, 6) if isinstance(delta, float) else delta}
        return {"static_tokens": pair(self.static), "largest_input_tokens": pair(self.largest),
                "static_cost_usd": pair(self.cost), "max_tokens": pair(self.max_tokens)}


@dataclass
class EvalDelta:
    old: evals.EvalRecord | None  # the base side's record for the base hash
    new: evals.EvalRecord | None  # the head side's record for the new hash

    @property
    def score_delta(self) -> float | None:
        return round(self.new.score - self.old.score, 6) if self.old and self.new else None

    @property
    def slices(self) -> dict[str, tuple[float | None, float | None]]:
        names = sorted(set(self.old.slices if self.old else {}) | set(self.new.slices if self.new else {}))
        return {n: ((self.old.slices.get(n) if self.old else None), (self.new.slices.get(n) if self.new else None))
                for n in names}

    @property
    def newly_failing(self) -> list[evals.Failure]:
        if self.new is None:
            return []
        before = {f.example for f in self.old.failures} if self.old else set()
        return [f for f in self.new.failures if f.example not in before]

    @property
    def dataset_changed(self) -> bool:
        return bool(self.old and self.new and self.old.dataset_hash and self.new.dataset_hash
                    and self.old.dataset_hash != self.new.dataset_hash)

    def to_json(self) -> dict:
        return {"old": self.old.to_lock() if self.old else None, "new": self.new.to_lock() if self.new else None,
                "score_delta": self.score_delta,
                "slices": {k: {"old": a, "new": b} for k, (a, b) in self.slices.items()},
                "newly_failing": [{"example": f.example, "reason": f.reason} for f in self.newly_failing],
                "dataset_changed": self.dataset_changed}


@dataclass
class PromptChange:
    name: str
    status: str  # "added" | "removed" | "changed" | "unchanged"
    old: dict | None
    new: dict | None
    messages: list[MessageDiff] = field(default_factory=list)
    change: compat.Change = field(default_factory=lambda: compat.Change(None))
    interface: list[compat.Reason] = field(default_factory=list)
    model: list[tuple[str, Any, Any]] = field(default_factory=list)
    retrieval: list[tuple[str, Any, Any]] = field(default_factory=list)
    version: VersionCheck | None = None
    tokens: TokenDelta | None = None
    lint_new: list[Finding] = field(default_factory=list)
    lint_fixed: list[Finding] = field(default_factory=list)
    eval: EvalDelta = field(default_factory=lambda: EvalDelta(None, None))
    files: list[str] = field(default_factory=list)  # project files the new side is built from
    #: captured production cases of this prompt not yet in its eval set (`captures.Pending`),
    #: filled in by the commands that can read the registry
    captured: list = field(default_factory=list)

    @property
    def bundle(self) -> dict:
        return self.new or self.old or {}

    @property
    def limitations(self) -> tuple[list[str], list[str]]:
        """The known limitations (front matter `limitations:`, not hashed) before and after."""
        return (list(((self.old or {}).get("meta") or {}).get("limitations") or []),
                list(((self.new or {}).get("meta") or {}).get("limitations") or []))

    @property
    def limitations_changed(self) -> bool:
        old, new = self.limitations
        return old != new and self.old is not None and self.new is not None

    @property
    def meta(self) -> dict:
        return self.bundle.get("meta") or {}

    @property
    def hash(self) -> str | None:
        return (self.new or {}).get("hash")

    def to_json(self) -> dict:
        return {
            "name": self.name, "status": self.status,
            "old_hash": (self.old or {}).get("hash"), "new_hash": self.hash,
            "level": self.change.level, "reasons": self.change.reasons,
            "risk": self.meta.get("risk"), "owner": self.meta.get("owner"), "tech_owner": self.meta.get("tech_owner"),
            "version": self.version.to_json() if self.version else None,
            "messages": [m.to_json() for m in self.messages],
            "interface": [{"level": r.level, "change": r.text} for r in self.interface],
            "model": [{"key": k, "old": a, "new": b} for k, a, b in self.model],
            "retrieval": [{"key": k, "old": a, "new": b} for k, a, b in self.retrieval],
            "limitations": {"old": self.limitations[0], "new": self.limitations[1]},
            "captured": [c.to_json() for c in self.captured],
            "tokens": self.tokens.to_json() if self.tokens else None,
            "lint": {"new": [f.to_json() for f in self.lint_new], "fixed": [f.to_json() for f in self.lint_fixed]},
            "eval": self.eval.to_json(),
        }


@dataclass
class Comparison:
    base: Snapshot
    head: Snapshot
    prompts: list[PromptChange]  # every prompt on either side, by name
    lint_new: list[Finding]
    lint_fixed: list[Finding]

    @property
    def changed(self) -> list[PromptChange]:
        return [p for p in self.prompts if p.status != "unchanged"]

    @property
    def metadata_only(self) -> list[PromptChange]:
        """Prompts with the same hash on both sides whose known limitations changed: no
        behaviour changed, but a reviewer should see it."""
        return [p for p in self.prompts if p.status == "unchanged" and p.limitations_changed]

    @property
    def notes(self) -> list[str]:
        return self.base.notes + self.head.notes

    def to_json(self) -> dict:
        return {"base": self.base.label, "head": self.head.label,
                "changed": [p.to_json() for p in self.changed],
                "metadata_changed": [p.to_json() for p in self.metadata_only],
                "unchanged": sorted(p.name for p in self.prompts if p.status == "unchanged"),
                "lint": {"new": [f.to_json() for f in self.lint_new], "fixed": [f.to_json() for f in self.lint_fixed]},
                "notes": self.notes}


def compare(base: Snapshot, head: Snapshot, prices: dict | None = None,
            names: Iterable[str] | None = None) -> Comparison:
    """Compare every prompt of `base` and `head` (or only `names`)."""
    wanted = sorted(set(names) if names is not None else set(base.bundles) | set(head.bundles))
    prompts = [_prompt(name, base, head, prices) for name in wanted]
    lint_new, lint_fixed = _finding_delta(base.findings, head.findings)
    if not (base.compiled and head.compiled):
        lint_new, lint_fixed = [], []
    return Comparison(base, head, prompts, lint_new, lint_fixed)


def _prompt(name: str, base: Snapshot, head: Snapshot, prices: dict | None) -> PromptChange:
    old, new = base.bundles.get(name), head.bundles.get(name)
    status = ("added" if old is None else "removed" if new is None
              else "unchanged" if old["hash"] == new["hash"] else "changed")
    result = PromptChange(name, status, old, new, files=head.module_files(name) if new else base.module_files(name))
    result.version = _version(old, new, status)
    result.eval = EvalDelta(evals.latest(base.lock.entries.get(name), old["hash"]) if old else None,
                            evals.latest(head.lock.entries.get(name), new["hash"]) if new else None)
    if base.compiled and head.compiled:
        modules = set(base.closures.get(name, [])) | set(head.closures.get(name, []))
        result.lint_new, result.lint_fixed = _finding_delta(
            [f for f in base.findings if f.module in modules], [f for f in head.findings if f.module in modules])
    if status == "unchanged":
        return result
    old_spec = old["spec"] if old else {}
    new_spec = new["spec"] if new else {}
    result.messages = message_diffs(name, old_spec.get("messages", []), new_spec.get("messages", []),
                                    base.label, head.label)
    if old and new:
        result.change = compat.classify(old_spec, new_spec)
        result.interface = list(compat.classify_interface(old_spec, new_spec).details)
        result.version = _version(old, new, status, result.change.level)
        result.model = model_changes(old_spec.get("model") or {}, new_spec.get("model") or {})
        result.retrieval = model_changes(old_spec.get("retrieval") or {}, new_spec.get("retrieval") or {})
    result.tokens = _tokens(old, new, prices)
    return result


def message_diffs(name: str, old: list[dict], new: list[dict], old_label: str, new_label: str,
                  context: int = 3) -> list[MessageDiff]:
    """A unified diff of each message whose text changed, paired by position."""
    out = []
    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        a_text = message_text(a) if a else ""
        b_text = message_text(b) if b else ""
        role = (b or a or {}).get("role", "?")
        if a and b and a_text == b_text and a.get("role") == b.get("role"):
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        a_role = f"{a.get('role')} " if a else ""
        b_role = f"{b.get('role')} " if b else ""
        lines = list(difflib.unified_diff(
            a_text.splitlines(), b_text.splitlines(), lineterm="", n=context,
            fromfile=f"{name} {a_role}message {i + 1} ({old_label})" if a else "/dev/null",
            tofile=f"{name} {b_role}message {i + 1} ({new_label})" if b else "/dev/null"))
        if a and b and a.get("role") != b.get("role") and not lines:
            lines = [f"role changed from {a.get('role')} to {b.get('role')}"]
        out.append(MessageDiff(i + 1, role, status, lines))
    return out


def model_changes(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
    return [(k, old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]


def _version(old: dict | None, new: dict | None, status: str, required: str | None = None) -> VersionCheck:
    if old is None or new is None:
        version = (new or old or {}).get("version")
        return VersionCheck(None if old is None else version, None if new is None else version, None, None, True, None)
    kind = bump_kind(old["version"], new["version"])
    if status == "unchanged":
        return VersionCheck(old["version"], new["version"], kind, None, kind != "decrease", None)
    ok = kind not in (None, "decrease") and (required is None or level_rank(kind) >= level_rank(required))
    suggested = None if ok or required is None else bump(old["version"], required)
    return VersionCheck(old["version"], new["version"], kind, required, ok, suggested)


def _tokens(old: dict | None, new: dict | None, prices: dict | None) -> TokenDelta:
    def measure(bundle):
        if bundle is None:
            return None, None, None, None
        r = budget.report(bundle, prices)
        cost = r.cost()
        return r.static, r.largest.tokens, cost["static_input"] if cost else None, r.max_tokens

    a, b = measure(old), measure(new)
    return TokenDelta((a[0], b[0]), (a[1], b[1]), (a[2], b[2]), (a[3], b[3]))


def _finding_delta(old: list[Finding], new: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """Findings only in `new`, and only in `old`, matched by module, rule and message."""
    before = Counter(f.key for f in old)
    after = Counter(f.key for f in new)
    added, fixed = [], []
    for f in new:
        if before[f.key] > 0:
            before[f.key] -= 1
        else:
            added.append(f)
    for f in old:
        if after[f.key] > 0:
            after[f.key] -= 1
        else:
            fixed.append(f)
    return added, fixed

