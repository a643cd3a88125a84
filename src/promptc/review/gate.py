"""The eval gate: may this change merge? (DESIGN §7)

A changed or new prompt passes when promptc.lock holds an eval record for its new hash, its
score did not fall by more than its risk level allows, it reaches the level's floor, a
`risk: high` prompt (by default) carries an approval by someone other than the change's
author, its version bump is big enough for the change, and every production case captured
for it of a kind its risk level names (`require_captured`) is in its eval set. Every failure is one reason
that names the prompt and says what to do, because a red CI job that does not say how to
make it green only teaches people to skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..config import ReviewSection
from .compare import Comparison, PromptChange
from .render import short_hash as short

EPSILON = 1e-9  # scores are stored rounded to 6 digits: a drop equal to the threshold passes


@dataclass(frozen=True)
class Reason:
    prompt: str
    rule: str  # "no-eval" | "score-drop" | "score-below-minimum" | "needs-approval" | "version" | "does-not-compile"
    #            | "captured-not-in-eval-set" | "captured-unknown"
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.prompt}: {self.message}; {self.fix}"

    def to_json(self) -> dict:
        return {"prompt": self.prompt, "rule": self.rule, "message": self.message, "fix": self.fix}


@dataclass
class Verdict:
    checked: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict:
        return {"ok": self.ok, "checked": self.checked, "reasons": [r.to_json() for r in self.reasons]}


def evaluate(comparison: Comparison, review: ReviewSection,
             authors_of: Callable[[PromptChange], set[str]], captured_error: str | None = None) -> Verdict:
    """Apply the gate to every changed or new prompt of `comparison`.

    `authors_of` names who made a prompt's change (names and emails, compared without
    case); an approval by any of them does not count. Each change's `captured` lists the
    captured cases its eval set lacks; `captured_error` says why the registry holding them
    could not be read (then a policy that requires captured cases fails).
    """
    verdict = Verdict()
    if comparison.head.errors:
        n = comparison.head.errors
        verdict.reasons.append(Reason(
            "project", "does-not-compile", f"{comparison.head.label} has {n} compile error{'s' * (n != 1)}",
            "run `promptc check` and fix them"))
    for change in comparison.changed:
        if change.status == "removed":
            continue
        verdict.checked.append(change.name)
        verdict.reasons += _reasons(change, comparison, review, authors_of)
        verdict.reasons += _captured_reasons(change, review, captured_error)
    return verdict


def _captured_reasons(change: PromptChange, review: ReviewSection, error: str | None) -> list[Reason]:
    risk = change.meta.get("risk") if change.meta.get("risk") in ("low", "medium", "high") else review.default_risk
    kinds = review.policy(risk).require_captured
    if not kinds:
        return []
    if error is not None:
        return [Reason(change.name, "captured-unknown",
                       f"risk {risk} requires its captured cases in the eval set, but the registry could not be "
                       f"read: {error}", "make the registry reachable (--registry, [registry] url or "
                       "$PROMPTC_REGISTRY) and run the gate again")]
    missing = [c for c in change.captured if "*" in kinds or c.kind in kinds]
    if not missing:
        return []
    counts: dict[str, int] = {}
    for case in missing:
        counts[case.kind] = counts.get(case.kind, 0) + 1
    what = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    flags = "".join(f" --kind {k}" for k in sorted(counts))
    dataset = change.meta.get("eval") or "its eval dataset"
    return [Reason(change.name, "captured-not-in-eval-set",
                   f"risk {risk}: {len(missing)} captured case{'s' * (len(missing) != 1)} not in `{dataset}` ({what})",
                   f"run `promptc eval pull {change.name}{flags}`, write their expected behaviour, run the eval, "
                   "`promptc eval import` it and commit the dataset and promptc.lock")]


def _reasons(change: PromptChange, comparison: Comparison, review: ReviewSection,
             authors_of: Callable[[PromptChange], set[str]]) -> list[Reason]:
    name, meta = change.name, change.meta
    risk = meta.get("risk") if meta.get("risk") in ("low", "medium", "high") else review.default_risk
    policy = review.policy(risk)
    out: list[Reason] = []
    version = change.version
    if version is not None and not version.ok:
        got = "the same version" if version.kind is None else (
            "a lower version" if version.kind == "decrease" else f"a {version.kind} bump")
        out.append(Reason(name, "version",
                          f"{version.old} → {version.new} is {got}, but the change needs a {version.required} bump",
                          f"set `version: {version.suggested}` (`promptc version bump {name}`)"))
    record, old_record = change.eval.new, change.eval.old
    if record is None and policy.require_eval:
        entry = comparison.head.lock.entries.get(name)
        if not meta.get("eval"):
            fix = (f"name its dataset with `eval:` in the front matter of {name}, run the eval on this build and "
                   "`promptc eval import` the result, then commit promptc.lock")
        elif entry is None or entry.hash != change.hash:
            fix = ("run `promptc build` so promptc.lock names the new hash, run the eval on this build, "
                   "`promptc eval import` the result, and commit promptc.lock")
        else:
            fix = (f"run the eval of `{meta['eval']}` on this build and record it with `promptc eval import` "
                   "(see docs/review.md), then commit promptc.lock")
        out.append(Reason(name, "no-eval", f"no eval record for its new hash {short(change.hash)} (risk {risk})", fix))
    if record is not None and old_record is not None:
        drop = old_record.score - record.score
        if drop > policy.max_score_drop + EPSILON:
            out.append(Reason(
                name, "score-drop",
                f"eval score fell from {old_record.score:.3f} to {record.score:.3f} ({-drop:+.3f}; risk {risk} "
                f"allows at most -{policy.max_score_drop:.3f})",
                "fix the regression (the report lists the examples that newly fail) and import a new eval, or "
                f"raise [review.{risk}] max_score_drop in promptc.toml if the drop is accepted"))
    if record is not None and policy.min_score is not None and record.score + EPSILON < policy.min_score:
        out.append(Reason(name, "score-below-minimum",
                          f"eval score {record.score:.3f} is below the minimum {policy.min_score:.3f} for risk {risk}",
                          "improve the prompt until its eval reaches the minimum, and import the new eval"))
    if policy.require_approval:
        entry = comparison.head.lock.entries.get(name)
        approvals = [a for a in (entry.approvals if entry else []) if a["hash"] == change.hash]
        authors = {a.casefold() for a in authors_of(change)}
        valid = [a for a in approvals if a["by"].casefold() not in authors]
        if not valid:
            by_author = sorted({a["by"] for a in approvals})
            what = (f"approved only by its author ({', '.join(by_author)})" if by_author
                    else "changed without an approval")
            out.append(Reason(
                name, "needs-approval", f"risk {risk}: {what}",
                f"a reviewer other than the author runs `promptc approve {name}@{(change.new or {}).get('version')} "
                "--by THEIR-NAME` and commits promptc.lock"))
    return out
