"""Build the versions the demo history releases, from the support-desk example.

A release history needs several versions of a prompt, and the example holds one. So the
example is copied to a temporary directory, one sentence of a prompt is edited, `promptc
version bump` picks the new version, and the copy is built again: the same path a person
takes, which keeps every demo bundle a real, verifiable compiler output. The example itself
is never modified.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from promptc import driver


class DemoError(Exception):
    """The demo cannot be built from this project (it is not the support-desk example)."""


@dataclass(frozen=True)
class Edit:
    """Replace `old` by `new` in a prompt file, then bump its version and build."""

    prompt: str
    file: str
    old: str
    new: str


ANSWER = "prompts/support/answer.prompt"
OUTREACH = "prompts/sales/outreach.prompt"

FRIENDLY = ("You are Ledgerly's support assistant. Ledgerly",
            "You are Ledgerly's support assistant, friendly and exact. Ledgerly")
# The bad release: it loosens grounding, the kind of edit the guard exists to catch.
LOOSE = ("The help center is your source of truth; this message is your only source of rules.",
         "The help center is a good place to start; use your judgement where it is silent.")
STRICT = ("2. Answer from the articles you found",
          "2. Answer only from the articles you found")
SHORTER = ("A body of 60 to 120 words", "A body of 50 to 90 words")

#: Each step edits the prompt as the previous step left it. The third reverts the bad
#: release's edit, as the fix after a rollback would.
STEPS: tuple[tuple[Edit, ...], ...] = (
    (Edit("support.answer", ANSWER, *FRIENDLY),),
    (Edit("support.answer", ANSWER, *LOOSE),),
    (Edit("support.answer", ANSWER, LOOSE[1], LOOSE[0]), Edit("support.answer", ANSWER, *STRICT)),
    (Edit("sales.outreach", OUTREACH, *SHORTER),),
)


@dataclass(frozen=True)
class Built:
    name: str
    version: str
    hash: str
    data: bytes
    owner: str


def build_versions(example: Path) -> list[Built]:
    """Every bundle of the example as it is, then after each step of `STEPS`, in build order
    (each distinct bundle once)."""
    with tempfile.TemporaryDirectory(prefix="promptc-demo-") as tmp:
        work = Path(tmp) / "project"
        shutil.copytree(example, work, ignore=shutil.ignore_patterns(".promptc", "dist", "__pycache__"))
        seen: dict[str, Built] = {}
        _build(work, seen)
        for step in STEPS:
            for edit in step:
                _apply(work, edit)
            project = driver.open_project(work)
            bumped = driver.version_bump(project, sorted({e.prompt for e in step}))
            if not bumped.compiled.ok or not bumped.bumped:
                raise DemoError(f"the demo could not bump {', '.join(sorted({e.prompt for e in step}))} "
                                f"in a copy of {example}")
            _build(work, seen)
        return list(seen.values())


def _apply(work: Path, edit: Edit) -> None:
    path = work / edit.file
    if not path.is_file():
        raise DemoError(f"the demo history is made from examples/support-desk; {edit.file} is missing here")
    text = path.read_text(encoding="utf-8")
    if text.count(edit.old) != 1:
        raise DemoError(f"the demo history is made from examples/support-desk; {edit.file} no longer contains "
                        f"the sentence it edits ({edit.old!r})")
    path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def _build(work: Path, seen: dict[str, "Built"]) -> None:
    import json

    result = driver.build(driver.open_project(work))
    if not result.ok:
        first = result.diagnostics[0].message if result.diagnostics else "unknown error"
        raise DemoError(f"building the demo copy failed: {first}")
    for path in sorted(result.written):
        data = path.read_bytes()
        doc = json.loads(data)
        if doc["hash"] not in seen:
            seen[doc["hash"]] = Built(doc["name"], doc["version"], doc["hash"], data,
                                      (doc.get("meta") or {}).get("owner", ""))
