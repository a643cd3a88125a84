"""Captured production cases meet the eval set: `promptc eval pull` appends them to a
prompt's `eval:` dataset, and the report and the gate ask which are not there yet.

A pulled case is one promptfoo test case (a JSON line) whose `metadata.captured` carries
its provenance: the content digest (`captures.digest`), the ids of the captured cases it
stands for, kind, environment, version, bundle hash, arm, time, response id, the output
that went wrong and the note. "In the eval set" means: the dataset file has a line with
that digest. The file in the repository is the truth, so a pull goes through review like
any other change; the registry's pulled marks only say who pulled what, and where.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from ..atomic import atomic_write
from ..registry import captures
from ..registry.captures import Case


class DatasetError(ValueError):
    """The dataset file cannot take pulled cases (not JSON Lines, a line that is not JSON)."""


@dataclass(frozen=True)
class Pulled:
    """What `pull` did: the new dataset lines' cases, the cases already in the set, and
    the ids of every case it covered (to mark pulled in the registry)."""

    added: list[Case]
    present: list[Case]
    ids: list[str]
    without_inputs: int
    without_expect: int


def since_time(text: Optional[str], now: Optional[dt.datetime] = None) -> Optional[str]:
    """`--since`: an ISO 8601 instant, or a duration back from now (`7d`, `12h`), as the
    stored time text. Raises ValueError saying what to write."""
    if text is None:
        return None
    from ..guard.config import parse_duration
    from ..registry.model import format_time, instant

    try:
        if not text.strip()[-1:].isalpha():  # a bare number is neither: say which unit
            raise ValueError(text)
        seconds = parse_duration(text)
    except ValueError:
        try:
            return format_time(instant(text))
        except ValueError:
            raise ValueError(f"--since `{text}` is neither a time (2026-03-15T14:47:00Z) nor a duration "
                             "back from now (7d, 12h, 30m)") from None
    return format_time((now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(seconds=seconds))


def dataset_digests(path: Path) -> set[str]:
    """Digests of the captured cases a JSON Lines dataset already holds."""
    out: set[str] = set()
    for _, case in _lines(path):
        captured = (case.get("metadata") or {}).get("captured") if isinstance(case, dict) else None
        if isinstance(captured, dict) and isinstance(captured.get("digest"), str):
            out.add(captured["digest"])
    return out


def _lines(path: Path) -> Iterable[tuple[int, Any]]:
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"{path}:{number}: not a JSON line ({exc.msg}); fix the line, then pull again") from None


def check_dataset(dataset: Optional[str], name: str) -> str:
    if not dataset:
        raise DatasetError(f"`{name}` names no eval dataset: add `eval: evals/{name.replace('.', '_')}.jsonl` to its "
                           "front matter, then pull")
    if not dataset.endswith(".jsonl"):
        raise DatasetError(f"`{name}`'s dataset `{dataset}` is not JSON Lines: `eval pull` appends one JSON test "
                           "case a line, so name a .jsonl file in `eval:`")
    return dataset


def case_line(cases: list[Case], expect: Optional[str]) -> dict:
    """One dataset test case for cases that share a digest (the newest speaks for them)."""
    case = max(cases, key=lambda c: (c.at, c.id))
    note = f": {case.note}" if case.note else ""
    provenance = {"digest": case.digest, "ids": sorted(c.id for c in cases), "kind": case.kind, "env": case.env,
                  "version": case.version, "hash": case.hash, "variant": case.variant, "at": case.at,
                  "response_id": case.response_id, "output": case.output, "note": case.note}
    if case.inputs is None:
        provenance["inputs"] = case.data.get("inputs", captures.UNKNOWN)
    return {"description": f"captured {case.kind} in {case.env} ({case.name}@{case.version}){note}",
            "vars": case.inputs if case.inputs is not None else {},
            "assert": [{"type": "llm-rubric", "value": expect}] if expect else [],
            "metadata": {"slice": f"captured:{case.kind}", "captured": provenance}}


def group_by_digest(found: Iterable[Case]) -> dict[str, list[Case]]:
    groups: dict[str, list[Case]] = {}
    for case in found:
        groups.setdefault(case.digest, []).append(case)
    return groups


def pull(path: Path, found: list[Case], expect: Optional[str]) -> Pulled:
    """Append the cases of `found` that `path` lacks (one line per digest), atomically."""
    present_digests = dataset_digests(path)
    groups = group_by_digest(found)
    added, present, lines = [], [], []
    for digest, group in groups.items():
        if digest in present_digests:
            present += group
            continue
        added += group
        lines.append(json.dumps(case_line(group, expect), ensure_ascii=False, sort_keys=False))
    if lines:
        old = path.read_bytes() if path.is_file() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, old + ("\n".join(lines) + "\n").encode("utf-8"))
    new_groups = [g for d, g in groups.items() if d not in present_digests]
    return Pulled(added, present, [c.id for c in found],
                  sum(1 for g in new_groups if g[0].inputs is None), len(new_groups) if not expect else 0)


def not_in_set(found: Iterable[Case], dataset_path: Optional[Path]) -> list[Case]:
    """The cases whose digest the dataset lacks, one (the newest) per digest, oldest first."""
    have = dataset_digests(dataset_path) if dataset_path is not None else set()
    groups = group_by_digest(c for c in found if c.digest not in have)
    return sorted((max(g, key=lambda c: (c.at, c.id)) for g in groups.values()), key=lambda c: (c.at, c.id))
