"""Run the configured rules over checked modules, once per module, and apply the
configuration and the suppressions: `lint: {ignore: […]}` in front matter, and
`{# promptc: ignore[rule-name] #}` on a line, which silences the rule's findings on that
line and those whose other half (a secondary label) is there."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Iterable, Mapping

from ..config import LintSection
from ..diagnostics import Diagnostic, Severity, diag, suggestion_note
from ..semantic.checker import CheckedModule
from ..source import SourceFile, Span
from .document import build_document
from .model import build_model
from .registry import RULES, rule_by_name
from .rule import LintContext, ProjectFacts, Rule

_IGNORE_RE = re.compile(r"\{#-?\s*promptc:\s*ignore\[([^\]]*)\]\s*-?#\}")
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def configure(config: LintSection, where: Span | None = None) -> tuple[list[Rule], list[Diagnostic]]:
    """The rules to run, with their options; unknown names in the config are reported."""
    problems: list[Diagnostic] = []
    names = {r.code.name for r in RULES}

    def known(name: str) -> bool:
        if name in names or name == "all":
            return True
        problems.append(diag("invalid-config", f"`[lint]` names an unknown rule `{name}`", where,
                             notes=suggestion_note(name, names) or ("`promptc rules` lists them",)))
        return False

    selected = [n for n in config.select if known(n)]
    ignored = {n for n in config.ignore if known(n)}
    for n in config.severity:
        known(n)
    for n in config.options:
        known(n)
    rules: list[Rule] = []
    for cls in RULES:
        name = cls.code.name
        if selected and "all" not in selected and name not in selected:
            continue
        if name in ignored or config.severity.get(name) == "off":
            continue
        try:
            rules.append(cls(cls.Options.model_validate(config.options.get(name, {}))))
        except Exception as exc:  # pydantic ValidationError: a config problem, not a crash
            problems.append(diag("invalid-config", f"options of `{name}`: {exc}".splitlines()[0], where))
            rules.append(cls())
    return rules, problems


def lint_module(module: CheckedModule, rules: list[Rule], facts: ProjectFacts,
                today: dt.date | None = None, bundle: dict | None = None) -> list[Diagnostic]:
    models = [build_model(build_document(m)) for m in module.messages]
    ctx = LintContext(module, models, facts, today or dt.date.today(), bundle)
    out: list[Diagnostic] = []
    for rule in rules:
        out.extend(rule.check(ctx))
    return out


def apply_config(diags: Iterable[Diagnostic], config: LintSection, module: CheckedModule | None,
                 sources: Mapping[str, SourceFile]) -> list[Diagnostic]:
    """Drop suppressed findings and apply severity overrides."""
    module_ignores = set(module.front.lint.ignore) if module and module.front and module.front.lint else set()
    inline = _inline_ignores(sources)
    out = []
    for d in diags:
        name = d.code.name
        if name in module_ignores:
            continue
        # An ignore comment on the line of the finding, or of a line it points to (the
        # other half of a conflict), silences it.
        lines = [d.span] + [label.span for label in d.labels] if d.span else []
        if any(name in inline.get((s.file, s.line), ()) for s in lines):
            continue
        level = config.severity.get(name)
        if level in _SEVERITIES:
            d = replace(d, severity=_SEVERITIES[level])
        out.append(d)
    return out


def _inline_ignores(sources: Mapping[str, SourceFile]) -> dict[tuple[str, int], set[str]]:
    found: dict[tuple[str, int], set[str]] = {}
    for src in sources.values():
        if "promptc:" not in src.text:
            continue
        for m in _IGNORE_RE.finditer(src.text):
            line, _ = src.position(m.start())
            names = {n.strip() for n in m.group(1).split(",") if n.strip()}
            found.setdefault((src.path, line), set()).update(names)
    return found


__all__ = ["configure", "lint_module", "apply_config", "rule_by_name", "RULES"]
