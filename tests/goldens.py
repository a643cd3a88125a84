"""Where the golden projects live: `tests/golden/STAGE/NAME.txtar`, one folder per stage
of the pipeline whose findings (or output) the case pins down, so a failing golden names
its stage, as `parse/unclosed-if` or `lint/unused-tool_fires`.

    parse    PC0xx: reading, front matter and the grammar (syntax/)
    resolve  PC1xx: modules, imports and names (modules/, semantic name lookup)
    check    PC2xx–PC402: types, the template subset and schema files (semantic/)
    lint     PC5xx, the lint rules (lint/): `<rule>_fires`, `<rule>_traps` and their configuration
    emit     PC403–PC499 and built bundles: versions, the lock, bundle files (emit/)
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from . import txtar

GOLDEN = Path(__file__).parent / "golden"
STAGES = ("parse", "resolve", "check", "lint", "emit")
#: A finding's first line in `promptc check` text output: file, line, column, code.
FINDING = re.compile(r"^(?P<where>\S+:\d+:\d+): (?P<severity>error|warning|info)\[(?P<id>PC\d{3}) [a-z0-9-]+\]: ",
                     re.M)


def cases(stage: str | None = None) -> list[Path]:
    """The golden projects of one stage, or of all of them in stage order."""
    return [case for s in ([stage] if stage else STAGES) for case in sorted((GOLDEN / s).glob("*.txtar"))]


def case_id(case: Path) -> str:
    """`stage/name`, as test ids show a case."""
    return f"{case.parent.name}/{case.stem}"


def stage_of(code_id: str) -> str:
    """The stage a compiler or lint code belongs to, by its number (`PC104` → resolve)."""
    number = int(code_id[2:])
    if number < 100:
        return "parse"
    if number < 200:
        return "resolve"
    if number <= 402:
        return "check"
    if number < 500:
        return "emit"
    return "lint"


def findings(stdout: str) -> list[str]:
    """The first lines of the findings in a text report."""
    return [m.group(0) + stdout[m.end():].split("\n", 1)[0] for m in FINDING.finditer(stdout)]


def materialise(archive: txtar.Archive, root: Path) -> None:
    """Write a case's input files under `root` (a name ending in ` [base64]` is decoded)."""
    for name, text in archive.files.items():
        if name.startswith("expect") or name == "args":
            continue
        path = root / name.removesuffix(" [base64]")
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(" [base64]"):
            path.write_bytes(base64.b64decode(text))
        else:
            path.write_text(text, encoding="utf-8")
