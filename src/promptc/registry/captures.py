"""Captured production cases: renders that went wrong, kept so they can become eval cases.

A service calls `client.capture(trace, output=…, kind=…, note=…)` when a response it served
was bad (an unexpected refusal, a wrong tool sequence, a hallucinated field, …). The case
is stored here with the bundle hash, version, environment and arm of the trace;
`promptc eval captured` lists the cases and `promptc eval pull` appends chosen ones to the
prompt's `eval:` dataset (`promptc.review.captured`), which marks them pulled.

Tables (`store.py`; both only ever receive INSERTs):

    captures(id, at, name, version, hash, env, variant, response_id, kind, note, inputs,
             output, digest, data)
        One row per captured case. `inputs` is NULL unless the prompt's front matter says
        `capture: {inputs: true}` (and the redaction hook kept them); `data` says why inputs
        are missing and what was cut to keep the case within `MAX_CASE_BYTES`.
    capture_pulls(id, at, dataset, actor)
        One row per case appended to a dataset file by `promptc eval pull`.

Nothing reaches these tables before the client's redaction hook has run: `prepare` takes
the redacted inputs and output, and the runtime client calls the hook before `prepare`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from .model import RegistryError, utc_now
from .store import MAX_CASE_BYTES, Store

#: Kinds of failure the docs name; any other kebab-case kind is accepted too.
KINDS = ("unexpected-refusal", "wrong-tool-sequence", "hallucinated-field", "verbosity", "format-error")
KIND = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_KIND_CHARS = 64
MAX_NOTE_CHARS = 2000
#: Why a case has no inputs, in `data["inputs"]`.
NOT_ALLOWED = "not stored: the prompt's front matter does not set `capture: {inputs: true}`"
UNKNOWN = "not stored: the client that captured the case did not render it and was given no inputs"
REDACTED = "not stored: the redaction hook removed them"
TOO_LARGE = f"not stored: larger than {MAX_CASE_BYTES // 1024} KiB"

_COLUMNS = "id, at, name, version, hash, env, variant, response_id, kind, note, inputs, output, digest, data"


class CaptureError(ValueError):
    """A case that cannot be captured: no bundle in the trace, a malformed kind."""


@dataclass(frozen=True)
class Case:
    """One captured case, as stored (`pulled` lists the datasets it was pulled into)."""

    id: str
    at: str
    name: str
    version: str
    hash: str
    env: str
    variant: str
    response_id: Optional[str]
    kind: str
    note: str
    inputs: Optional[dict]
    output: Any
    digest: str
    data: dict = field(default_factory=dict)
    pulled: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"id": self.id, "at": self.at, "name": self.name, "version": self.version, "hash": self.hash,
                "env": self.env, "variant": self.variant, "response_id": self.response_id, "kind": self.kind,
                "note": self.note, "inputs": self.inputs, "output": self.output, "digest": self.digest,
                **({"detail": self.data} if self.data else {}), "pulled": list(self.pulled)}

    def line(self) -> str:
        """One line for people: kind, where and when, and the note."""
        note = f": {self.note}" if self.note else ""
        return f"{self.kind} in {self.env} ({self.name}@{self.version}, {self.at[:16]}Z, {self.id[:8]}){note}"


def check_kind(kind: Any) -> str:
    if not isinstance(kind, str) or not KIND.fullmatch(kind) or len(kind) > MAX_KIND_CHARS:
        raise CaptureError(f"`{kind}` is not a kind of failure: write it in kebab-case (at most {MAX_KIND_CHARS} "
                           f"characters), such as {', '.join(KINDS)}")
    return kind


def _canonical(value: Any) -> bytes:
    from promptc.runtime.hashing import canonical_json

    try:
        return canonical_json(value)
    except (TypeError, ValueError):  # an integer beyond ±(2**53-1), NaN: still a stable digest
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def digest(kind: str, inputs: Optional[Mapping], output: Any) -> str:
    """What makes two cases the same regression case: the kind and the inputs (or the
    output, when the inputs were not stored). Dataset lines carry it, so a case is pulled once."""
    body = {"kind": kind, "inputs": inputs} if inputs is not None else {"kind": kind, "output": output}
    return "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def _cut(text: str, room: int) -> str:
    """The longest prefix of `text` whose JSON form fits in `room` bytes (escapes such as
    `\\u0000` take up to six bytes a character, so the bound is on the stored form)."""
    low, high = 0, min(len(text), room)
    while low < high:
        mid = (low + high + 1) // 2
        if _json_size(text[:mid]) <= room:
            low = mid
        else:
            high = mid - 1
    return text[:low]


def prepare(trace: Mapping, *, kind: str, output: Any, note: str = "", inputs: Optional[Mapping] = None,
            withheld: Optional[str] = None, at: Optional[str] = None, id: Optional[str] = None) -> Case:
    """The case to store for a served response, already redacted, within the size bound.

    `inputs` is what may be stored (None: nothing, and `withheld` says why). The output is
    cut when the case would exceed `MAX_CASE_BYTES`; inputs that alone exceed it are not
    stored. Raises CaptureError for a trace with no bundle or a malformed kind."""
    check_kind(kind)
    missing = [k for k in ("name", "version", "hash", "env") if not isinstance(trace.get(k), str) or not trace.get(k)]
    if missing:
        raise CaptureError("the trace names no rendered bundle (" + ", ".join(f"`{k}`" for k in missing)
                           + " missing): capture takes the trace of a render that was served, not of `NotServed`")
    if not isinstance(note, str):
        raise CaptureError(f"`note` must be text, not {type(note).__name__}")
    if output is not None and not isinstance(output, (str, int, float, bool, list, dict)):
        raise CaptureError(f"`output` must be the model's text or a JSON value, not {type(output).__name__}")
    data: dict = {}
    note = note[:MAX_NOTE_CHARS]
    stored_inputs = dict(inputs) if inputs is not None else None
    if stored_inputs is None:
        data["inputs"] = withheld or UNKNOWN
    elif _json_size(stored_inputs) > MAX_CASE_BYTES // 2:
        stored_inputs, data["inputs"] = None, TOO_LARGE
    room = MAX_CASE_BYTES - _json_size(stored_inputs) - _json_size(note) - 512
    if _json_size(output) > room:
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, default=str)
        output = _cut(text, room)
        data["output"] = f"cut to {len(output):,} of {len(text):,} characters"
    return Case(id=id or uuid.uuid4().hex, at=at or utc_now(), name=trace["name"], version=trace["version"],
                hash=trace["hash"], env=trace["env"], variant=str(trace.get("variant") or "stable"),
                response_id=trace.get("response_id") if isinstance(trace.get("response_id"), str) else None,
                kind=kind, note=note, inputs=stored_inputs, output=output,
                digest=digest(kind, stored_inputs, output), data=data)


def record(store: Store, case: Case) -> Case:
    """Append one case. The store must have been opened writable (which creates the table
    in a registry made before captures existed)."""
    record_all(store, [case])
    return case


def record_all(store: Store, found: Iterable[Case]) -> int:
    """Append cases in one transaction; a case whose id is stored already is skipped (an
    ingested file read twice). Returns how many were new."""
    new = 0
    with store.write_batch():
        for case in found:
            row = (case.id, case.at, case.name, case.version, case.hash, case.env, case.variant, case.response_id,
                   case.kind, case.note,
                   json.dumps(case.inputs, ensure_ascii=False, sort_keys=True) if case.inputs is not None else None,
                   json.dumps(case.output, ensure_ascii=False), case.digest,
                   json.dumps(case.data, ensure_ascii=False, sort_keys=True))
            new += store._execute(f"INSERT INTO captures ({_COLUMNS}) VALUES ({', '.join('?' * len(row))}) "
                                  "ON CONFLICT (id) DO NOTHING", row).rowcount
    return new


#: The format of a captured case written as a JSON line (the JavaScript client's sink).
LINE_FORMAT = "promptc.capture/v1"
_LINE_KEYS = {"format", "at", "name", "version", "hash", "env", "variant", "response_id", "kind", "note", "inputs",
              "output", "withheld"}


def from_line(store: Store, obj: Any) -> Case:
    """A case from one JSON line of a capture file, checked against the registry: its
    bundle must be stored there, and its inputs are dropped unless that bundle's front
    matter allows them. The id derives from the line, so ingesting a file twice is a no-op.
    Raises CaptureError saying what is wrong."""
    from .model import format_time, instant

    if not isinstance(obj, dict):
        raise CaptureError("each line must be a JSON object")
    if obj.get("format") != LINE_FORMAT:
        raise CaptureError(f"`format` must be \"{LINE_FORMAT}\" (a line written by a promptc client's capture)")
    unknown = sorted(set(obj) - _LINE_KEYS)
    if unknown:
        raise CaptureError(f"unknown key `{unknown[0]}`; a case has {', '.join(sorted(_LINE_KEYS))}")
    try:
        at = format_time(instant(str(obj.get("at"))))
    except ValueError:
        raise CaptureError("`at` must be the ISO 8601 time the case was captured") from None
    if not isinstance(obj.get("hash"), str) or store.bundle_text(obj["hash"]) is None:
        raise CaptureError(f"the registry has no bundle {obj.get('hash')}: publish it first")
    meta = (store.bundle(obj["hash"]) or {}).get("meta") or {}
    inputs, withheld = obj.get("inputs"), obj.get("withheld")
    if inputs is not None and not isinstance(inputs, dict):
        raise CaptureError("`inputs` must be an object or null")
    if not ((meta.get("capture") or {}).get("inputs")):
        inputs, withheld = None, NOT_ALLOWED
    if withheld is not None and not isinstance(withheld, str):
        raise CaptureError("`withheld` must be text")
    line_id = hashlib.sha256(_canonical(obj)).hexdigest()[:32]
    return prepare(obj, kind=obj.get("kind"), output=obj.get("output"), note=obj.get("note") or "", inputs=inputs,
                   withheld=withheld, at=at, id=line_id)


def cases(store: Store, name: Optional[str] = None, kinds: Iterable[str] = (), since: Optional[str] = None,
          env: Optional[str] = None) -> list[Case]:
    """Captured cases, oldest first, with the datasets each was pulled into. A registry
    created before captures existed (opened read-only, so not migrated) has none."""
    if not store.has_table("captures"):
        return []
    where, params = [], []
    for clause, value in (("name = ?", name), ("at >= ?", since), ("env = ?", env)):
        if value is not None:
            where.append(clause)
            params.append(value)
    kinds = list(kinds)
    if kinds:
        where.append("kind IN (" + ", ".join("?" for _ in kinds) + ")")
        params += kinds
    sql = f"SELECT {_COLUMNS} FROM captures" + (" WHERE " + " AND ".join(where) if where else "")
    rows = store._query(sql + " ORDER BY at, id", tuple(params))
    pulls: dict[str, list[str]] = {}
    if rows and store.has_table("capture_pulls"):
        for case_id, dataset in store._query("SELECT id, dataset FROM capture_pulls ORDER BY at, dataset"):
            pulls.setdefault(case_id, []).append(dataset)
    out = []
    for row in rows:
        (id_, at, name_, version, hash_, env_, variant, response_id, kind, note, inputs, output, digest_,
         data) = row
        out.append(Case(id_, at, name_, version, hash_, env_, variant, response_id, kind, note,
                        json.loads(inputs) if inputs is not None else None, json.loads(output), digest_,
                        json.loads(data), tuple(dict.fromkeys(pulls.get(id_, ())))))
    return out


def mark_pulled(store: Store, ids: Iterable[str], dataset: str, actor: str) -> int:
    """Record that these cases were appended to `dataset`; returns how many were new."""
    if store.readonly:
        raise RegistryError("the registry was opened read-only")
    new = 0
    at = utc_now()
    with store.write_batch():
        for case_id in ids:
            new += store._execute("INSERT INTO capture_pulls (id, at, dataset, actor) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (id, dataset) DO NOTHING", (case_id, at, dataset, actor)).rowcount
    return new


def summary(found: Iterable[Case]) -> list[dict]:
    """Counts by prompt, kind, version and environment (with how many were pulled), for
    `eval captured` and the dashboard."""
    groups: dict[tuple[str, str, str, str], dict] = {}
    for case in found:
        key = (case.name, case.kind, case.version, case.env)
        group = groups.setdefault(key, {"name": case.name, "kind": case.kind, "version": case.version,
                                        "env": case.env, "count": 0, "pulled": 0, "first": case.at,
                                        "last": case.at})
        group["count"] += 1
        group["pulled"] += bool(case.pulled)
        group["first"], group["last"] = min(group["first"], case.at), max(group["last"], case.at)
    return [groups[k] for k in sorted(groups)]
