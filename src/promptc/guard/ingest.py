"""`promptc signals ingest`: outcomes from a JSON Lines file, joined on `response_id`.

One object a line. Its signals use the names of `Client.report`. A line whose response was
recorded by a client (its exposure is in the registry) needs nothing else: a thumbs-down an
hour later lands in the minute the response was served. A line for a response served
elsewhere (the JavaScript runtime, a batch job, a replay) carries the trace fields too,
flat or under "trace" as the client logs it, plus `at`, the time it was served, and then
records the exposure as well.

The whole file is checked before anything is written, so a bad line never leaves half a
file recorded; every problem is reported as FILE:LINE: message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from promptc.registry import signals
from promptc.registry.store import Store

TRACE_KEYS = {"name", "version", "hash", "env", "variant", "bucket", "rollout", "stale", "error", "at", "minute"}
_REQUIRED_TRACE = ("name", "hash", "variant", "env")
_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_UNSET = object()


@dataclass
class Line:
    where: str
    response_id: str
    values: dict[str, float]
    trace: Optional[dict] = None
    output: Any = field(default=_UNSET)


def _parse(obj: Any, default_env: Optional[str]) -> Line:
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    data = dict(obj)
    trace = data.pop("trace", None)
    if trace is not None:
        if not isinstance(trace, dict):
            raise ValueError("`trace` must be an object")
        for key, value in trace.items():
            if key in data and data[key] != value:
                raise ValueError(f"`{key}` differs between the line and its trace")
            data.setdefault(key, value)
    response_id = data.pop("response_id", None)
    if not isinstance(response_id, str) or not response_id.strip():
        raise ValueError("`response_id` is missing (a non-empty string from the render's trace)")
    output = data.pop("output", _UNSET)
    given = {k: data.pop(k) for k in list(data) if k in TRACE_KEYS}
    values = signals.check_signals(data)
    if not values and output is _UNSET and not given:
        raise ValueError("no signals on this line")
    line = Line("", response_id, values, output=output)
    if any(k in given for k in ("name", "hash", "variant", "at", "minute")):
        if default_env and "env" not in given:
            given["env"] = default_env
        missing = [k for k in _REQUIRED_TRACE if not given.get(k)]
        if "at" not in given and "minute" not in given:
            missing.append("at")
        if missing:
            raise ValueError(f"a line with trace fields needs {', '.join(missing)} too (to record the exposure of a "
                             "response no client recorded)")
        if "minute" in given and "at" not in given:
            if not isinstance(given["minute"], str) or not _MINUTE.match(given["minute"]):
                raise ValueError("`minute` must look like 2026-03-15T14:47 (UTC)")
            minute = given["minute"]
        else:
            minute = signals.minute_of(given["at"])
        variant = str(given["variant"])
        if given.get("rollout") and "bucket" in given and given["bucket"] is None and variant != "candidate":
            variant = signals.UNKEYED  # served during a rollout without a key: outside the experiment
        line.trace = {"name": str(given["name"]), "hash": str(given["hash"]), "variant": variant,
                      "env": str(given["env"]), "minute": minute}
    return line


def read_lines(text: str, shown: str, default_env: Optional[str] = None) -> tuple[list[Line], list[str]]:
    """Parse every line; returns the lines and the FILE:LINE problems."""
    lines: list[Line] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{shown}:{number}"
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            errors.append(f"{where}: not JSON: {exc}")
            continue
        try:
            line = _parse(obj, default_env)
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        line.where = where
        lines.append(line)
    if not lines and not errors:
        errors.append(f"{shown}: no lines to ingest")
    return lines, errors


def ingest(store: Store, lines: list[Line]) -> tuple[Optional[signals.WriteResult], list[str]]:
    """Join the lines to their responses, validate outputs, and record everything in one
    batch, or nothing when any line has a problem."""
    from promptc.runtime.bundle import load
    from promptc.runtime.client import check_output

    recorded = signals.lookup(store, [line.response_id for line in lines])
    errors: list[str] = []
    exposures: dict[str, signals.Exposure] = {}
    outcomes: list[signals.Outcome] = []
    bundle_names: dict[str, list[str]] = {}
    bundles: dict[str, Any] = {}
    for line in lines:
        exposure = recorded.get(line.response_id) or exposures.get(line.response_id)
        if line.trace is not None:
            t = line.trace
            given = signals.Exposure(line.response_id, t["env"], t["name"], t["hash"], t["variant"], t["minute"])
            if exposure is not None and (exposure.name, exposure.hash) != (given.name, given.hash):
                errors.append(f"{line.where}: response {line.response_id} was recorded as {exposure.name} "
                              f"{exposure.hash[:19]}, not {given.name} {given.hash[:19]}")
                continue
            if exposure is None:
                if given.hash not in bundle_names:
                    bundle_names[given.hash] = [r[0] for r in store._query(
                        "SELECT DISTINCT name FROM bundles WHERE hash = ?", (given.hash,))]
                if given.name not in bundle_names[given.hash]:
                    errors.append(f"{line.where}: the registry has no bundle {given.hash} of {given.name}")
                    continue
                exposure = exposures[line.response_id] = given
        if exposure is None:
            errors.append(f"{line.where}: no response {line.response_id} is recorded; add the trace fields "
                          "(name, hash, variant, env, at) of the render it came from")
            continue
        values = dict(line.values)
        if line.output is not _UNSET:
            if exposure.hash not in bundles:
                text = store.bundle_text(exposure.hash)
                bundles[exposure.hash] = load(text.encode("utf-8")) if text is not None else None
            if bundles[exposure.hash] is None:
                errors.append(f"{line.where}: the registry has no bundle {exposure.hash} to validate the output with")
                continue
            check = check_output(bundles[exposure.hash], line.output)
            if check.error is not None:
                values[check.error] = 1.0
        if values:
            outcomes.append(signals.Outcome(line.response_id, values, exposure))
    if errors:
        return None, errors
    return signals.record(store, list(exposures.values()), outcomes), []
