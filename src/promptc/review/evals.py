"""Eval records: what an eval run measured, for exactly one bundle hash.

Two inputs are read. promptfoo's output JSON (`promptfoo eval -o out.json` on a config from
`promptc export --format promptfoo`): each prompt label is a prompt name, and the prompt
template it ran (`results.prompts[].raw`) must be the one the working tree builds, which is
how the record learns the hash it evaluated. And a plain record, for any other harness:

    {"prompt": "support.answer", "hash": "sha256:…", "score": 0.9,
     "dataset": "evals/support_answer.jsonl", "dataset_hash": "sha256:…",
     "slices": {"billing": 0.8}, "counts": {"pass": 45, "fail": 5},
     "latency_ms": 812.5, "cost": 0.0213,
     "failures": [{"example": "refund twice", "reason": "promised a refund"}]}

(a JSON object, or a list of them). A score is a fraction in [0, 1]; for promptfoo it is the
share of passing test cases, and a slice is the `metadata.slice` of a dataset record. In
promptc.lock a record is one `[[prompt.eval]]` table with keys in a fixed order.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FAILURES = 25  # failing examples kept per record: enough to review, small enough to commit
MAX_REASON = 200
_HASH_PREFIX = "sha256:"


class EvalFileError(ValueError):
    """The eval file cannot be read as promptfoo output or a plain record."""


@dataclass(frozen=True)
class Failure:
    example: str
    reason: str = ""


@dataclass(frozen=True)
class EvalRecord:
    prompt: str
    hash: str
    score: float
    source: str = "record"
    dataset: str | None = None
    dataset_hash: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    slices: dict[str, float] = field(default_factory=dict)
    failures: tuple[Failure, ...] = ()
    latency_ms: float | None = None
    cost: float | None = None

    def to_lock(self) -> dict:
        """The `[[prompt.eval]]` table: keys in a fixed order, absent values left out."""
        out: dict[str, Any] = {"hash": self.hash, "source": self.source}
        if self.dataset is not None:
            out["dataset"] = self.dataset
        if self.dataset_hash is not None:
            out["dataset_hash"] = self.dataset_hash
        out["score"] = self.score
        if self.latency_ms is not None:
            out["latency_ms"] = self.latency_ms
        if self.cost is not None:
            out["cost"] = self.cost
        if self.counts:
            out["counts"] = {k: self.counts[k] for k in sorted(self.counts)}
        if self.slices:
            out["slices"] = {k: self.slices[k] for k in sorted(self.slices)}
        if self.failures:
            out["failures"] = [{"example": f.example, **({"reason": f.reason} if f.reason else {})}
                               for f in self.failures]
        return out

    def to_json(self) -> dict:
        return {"prompt": self.prompt, **self.to_lock()}

    @classmethod
    def from_lock(cls, prompt: str, table: dict) -> "EvalRecord | None":
        """A record from a lock table; None for a table without a hash and a numeric score."""
        score = table.get("score")
        if not isinstance(table.get("hash"), str) or not _number(score):
            return None
        failures = tuple(Failure(str(f.get("example", "")), str(f.get("reason", "")))
                         for f in table.get("failures", []) if isinstance(f, dict))
        slices = {str(k): float(v) for k, v in (table.get("slices") or {}).items() if _number(v)}
        counts = {str(k): int(v) for k, v in (table.get("counts") or {}).items() if _number(v)}
        return cls(prompt, table["hash"], float(score), str(table.get("source", "record")),
                   table.get("dataset"), table.get("dataset_hash"), counts, slices, failures,
                   table.get("latency_ms") if _number(table.get("latency_ms")) else None,
                   table.get("cost") if _number(table.get("cost")) else None)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def file_hash(path: Path) -> str:
    return _HASH_PREFIX + hashlib.sha256(path.read_bytes()).hexdigest()


def records_for(entry, bundle_hash: str) -> list[EvalRecord]:
    """The eval records of a lock entry that describe `bundle_hash` (oldest first)."""
    if entry is None:
        return []
    found = (EvalRecord.from_lock(entry.name, table) for table in entry.evals)
    return [r for r in found if r is not None and r.hash == bundle_hash]


def latest(entry, bundle_hash: str) -> EvalRecord | None:
    records = records_for(entry, bundle_hash)
    return records[-1] if records else None


# --------------------------------------------------------------------------- reading files


@dataclass
class Run:
    """What one prompt's part of an eval file says, before the hash is known for sure.

    `template` is the prompt template promptfoo ran (None for a plain record); `hash` is
    the hash a plain record claims."""

    prompt: str
    score: float
    source: str
    template: str | None = None
    hash: str | None = None
    dataset: str | None = None
    dataset_hash: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    slices: dict[str, float] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    latency_ms: float | None = None
    cost: float | None = None

    def record(self, bundle_hash: str, dataset: str | None, dataset_hash: str | None) -> EvalRecord:
        return EvalRecord(self.prompt, bundle_hash, round(self.score, 6), self.source, dataset, dataset_hash,
                          dict(self.counts), {k: round(v, 6) for k, v in self.slices.items()},
                          tuple(self.failures[:MAX_FAILURES]),
                          None if self.latency_ms is None else round(self.latency_ms, 1),
                          None if self.cost is None else round(self.cost, 6))


def read_eval_file(path: Path) -> list[Run]:
    """Parse promptfoo output JSON or plain record(s); EvalFileError names what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalFileError(f"eval file `{path}` does not exist") from None
    except UnicodeDecodeError:
        raise EvalFileError(f"`{path}` is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise EvalFileError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and "results" in data:
        return _promptfoo(path, data)
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) and "prompt" in i for i in items):
        raise EvalFileError(f"`{path}` is neither promptfoo output (no `results`) nor a plain eval record "
                            "(an object with `prompt`, `hash` and `score`)")
    return [_plain(path, i, n) for n, i in enumerate(items, 1)]


def _plain(path: Path, item: dict, n: int) -> Run:
    where = f"{path}: record {n}"

    def fail(message: str) -> EvalFileError:
        return EvalFileError(f"{where}: {message}")

    prompt, bundle_hash, score = item.get("prompt"), item.get("hash"), item.get("score")
    if not isinstance(prompt, str) or not prompt:
        raise fail("`prompt` must be a prompt name such as \"support.answer\"")
    if not isinstance(bundle_hash, str) or not bundle_hash.startswith(_HASH_PREFIX) or len(bundle_hash) != 71:
        raise fail("`hash` must be the bundle hash that was evaluated (\"sha256:\" and 64 hex digits)")
    if not _number(score) or not 0 <= score <= 1:
        raise fail("`score` must be a number from 0 to 1")
    slices = item.get("slices") or {}
    if not isinstance(slices, dict) or not all(_number(v) and 0 <= v <= 1 for v in slices.values()):
        raise fail("`slices` must map slice names to scores from 0 to 1")
    counts = item.get("counts") or {}
    if not isinstance(counts, dict) or not all(isinstance(v, int) and v >= 0 for v in counts.values()):
        raise fail("`counts` must map outcomes (pass, fail) to counts")
    failures = item.get("failures") or []
    if not isinstance(failures, list) or not all(isinstance(f, dict) and "example" in f for f in failures):
        raise fail("`failures` must be a list of {\"example\", \"reason\"} objects")
    for key in ("dataset", "dataset_hash"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise fail(f"`{key}` must be a string")
    for key in ("latency_ms", "cost"):
        if item.get(key) is not None and not _number(item[key]):
            raise fail(f"`{key}` must be a number")
    unknown = sorted(set(item) - {"prompt", "hash", "score", "dataset", "dataset_hash", "slices", "counts",
                                  "failures", "latency_ms", "cost"})
    if unknown:
        raise fail(f"unknown key `{unknown[0]}`")
    return Run(prompt, float(score), "record", hash=bundle_hash, dataset=item.get("dataset"),
               dataset_hash=item.get("dataset_hash"), counts=dict(counts),
               slices={str(k): float(v) for k, v in slices.items()},
               failures=[Failure(_clip(f["example"]), _clip(f.get("reason", ""))) for f in failures],
               latency_ms=item.get("latency_ms"), cost=item.get("cost"))


def _clip(value: Any) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def _promptfoo(path: Path, data: dict) -> list[Run]:
    body = data["results"]
    results = body.get("results") if isinstance(body, dict) else body
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise EvalFileError(f"`{path}`: promptfoo output without a `results.results` list of test results")
    templates: dict[str, str] = {}
    for prompt in (body.get("prompts") or []) if isinstance(body, dict) else []:
        if isinstance(prompt, dict) and isinstance(prompt.get("raw"), str):
            templates.setdefault(str(prompt.get("label") or prompt.get("id") or ""), prompt["raw"])
    runs: dict[str, dict] = {}
    for n, result in enumerate(results, 1):
        prompt = result.get("prompt") if isinstance(result.get("prompt"), dict) else {}
        label = prompt.get("label") or prompt.get("id")
        if not isinstance(label, str) or not label:
            raise EvalFileError(f"`{path}`: result {n} names no prompt label")
        passed = bool(result.get("success", (result.get("gradingResult") or {}).get("pass", False)))
        case = result.get("testCase") if isinstance(result.get("testCase"), dict) else {}
        run = runs.setdefault(label, {"pass": 0, "fail": 0, "slices": {}, "failures": [], "latency": [],
                                      "cost": 0.0, "costed": False})
        run["pass" if passed else "fail"] += 1
        slice_name = (case.get("metadata") or {}).get("slice") if isinstance(case.get("metadata"), dict) else None
        if isinstance(slice_name, str) and slice_name:
            counts = run["slices"].setdefault(slice_name, [0, 0])
            counts[0] += passed
            counts[1] += 1
        if _number(result.get("latencyMs")):
            run["latency"].append(float(result["latencyMs"]))
        if _number(result.get("cost")):
            run["cost"] += float(result["cost"])
            run["costed"] = True
        if not passed:
            vars_ = result.get("vars") if isinstance(result.get("vars"), dict) else case.get("vars") or {}
            example = case.get("description") or "vars " + json.dumps(vars_, sort_keys=True, ensure_ascii=False)
            reason = (result.get("gradingResult") or {}).get("reason") or result.get("error") or ""
            run["failures"].append(Failure(_clip(example), _clip(reason)))
    if not runs:
        raise EvalFileError(f"`{path}`: the promptfoo output has no test results")
    out = []
    for label, run in sorted(runs.items()):
        total = run["pass"] + run["fail"]
        out.append(Run(label, run["pass"] / total, "promptfoo", template=templates.get(label),
                       counts={"pass": run["pass"], "fail": run["fail"]},
                       slices={k: v[0] / v[1] for k, v in sorted(run["slices"].items())},
                       failures=run["failures"],
                       latency_ms=sum(run["latency"]) / len(run["latency"]) if run["latency"] else None,
                       cost=run["cost"] if run["costed"] else None))
    return out
