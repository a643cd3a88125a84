"""Every lint rule, in one explicit list. A rule that is not listed here does not run."""

from __future__ import annotations

from .rule import Rule
from .rules.stale_tool_reference import StaleToolReference, UnusedTool

RULES: list[type[Rule]] = [
    StaleToolReference,
    UnusedTool,
]


def rule_by_name(name: str) -> type[Rule] | None:
    for rule in RULES:
        if rule.code.name == name or rule.code.id == name:
            return rule
    return None
