"""Every lint rule is registered once, documented in the fixed sections, and has golden
cases: `tests/golden/lint/<rule>_fires.txtar` (at least three findings) and
`tests/golden/lint/<rule>_traps.txtar` (at least three traps, marked `{# trap: … #}` or
`# trap: …`, none of which may fire)."""

from __future__ import annotations

import re

import pytest

from promptc.diagnostics import CODES_BY_ID
from promptc.lint.registry import RULES
from promptc.lint.rule import SECTIONS

from . import goldens, txtar

GOLDEN = goldens.GOLDEN / "lint"


def test_codes_and_names_are_unique_and_kebab_case() -> None:
    ids = [r.code.id for r in RULES]
    names = [r.code.name for r in RULES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    assert not set(ids) & set(CODES_BY_ID), "lint codes must not reuse compiler codes"
    for rule in RULES:
        assert re.fullmatch(r"PC\d{3}", rule.code.id), rule
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.code.name), rule


@pytest.mark.parametrize("rule", RULES, ids=[r.code.name for r in RULES])
def test_rule_is_documented_in_every_section(rule) -> None:
    sections = rule.doc_sections()
    for title in SECTIONS:
        assert sections.get(title), f"{rule.code.name} lacks a '{title}' section"


@pytest.mark.parametrize("rule", RULES, ids=[r.code.name for r in RULES])
def test_rule_has_golden_cases_that_fire_and_traps_that_do_not(rule) -> None:
    tag = f"[{rule.code.id} {rule.code.name}]"
    fires = GOLDEN / f"{rule.code.name}_fires.txtar"
    traps = GOLDEN / f"{rule.code.name}_traps.txtar"
    assert fires.is_file() and traps.is_file(), f"{rule.code.name} needs {fires.name} and {traps.name}"
    fired = txtar.loads(fires.read_text(encoding="utf-8")).files.get("expect.stdout", "")
    assert fired.count(tag) >= 3, f"{fires.name} must show at least three findings of {rule.code.name}"
    archive = txtar.loads(traps.read_text(encoding="utf-8"))
    inputs = "".join(v for k, v in archive.files.items() if not k.startswith("expect"))
    assert len(re.findall(r"trap:", inputs)) >= 3, f"{traps.name} must hold at least three marked traps"
    assert tag not in archive.files.get("expect.stdout", ""), f"a trap of {rule.code.name} fires"
