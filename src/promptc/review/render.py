"""A message's IR as template-like text, for reviewing changes.

The IR already has fragments expanded, so this text shows exactly what a prompt sends,
including text that came from a shared module: a one-word edit to `shared.tone` appears in
the diff of every prompt it reaches. Placeholders keep the author's vocabulary
(`{{ name | upper }}`, `{% if tier == "pro" %}`) so a reviewer reads what was written, not
rendered output for one set of inputs.
"""

from __future__ import annotations

from promptc.runtime.template_text import content_text


def message_text(message: dict) -> str:
    """One `spec.messages[]` entry as reviewable text (`runtime.template_text`, which
    `promptc show`, `identify` and the dashboard use too)."""
    return content_text(message.get("content") or [])


def short_hash(bundle_hash: str | None) -> str:
    """A hash as reports print it: "sha256:" and 12 hex digits, enough to tell versions apart."""
    return (bundle_hash or "")[:19]
