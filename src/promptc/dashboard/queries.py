"""Reads the dashboard needs that `Store` does not offer: the guard's decision log, signal
aggregates bucketed for charts, and a label's events within a range.

They are plain SELECTs over the store's own connection (`Store._query`), so they work on
every SQL backend, and they never write: the dashboard opens the registry read-only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Optional

from promptc.registry.model import Event, instant
from promptc.registry import signals
from promptc.registry.store import Store

#: Bucket signals by hour up to this span, by day beyond it: a chart keeps a few hundred
#: points per line however long the history is.
HOURLY_UP_TO = dt.timedelta(days=21)


@dataclass(frozen=True)
class DecisionRow:
    """One evaluation appended by the guard. `doc` is None when `text` is not JSON: the
    dashboard then shows the raw text instead of hiding the entry."""

    rollout: str
    seq: int
    at: str
    text: str
    doc: Optional[dict]

    @property
    def decision(self) -> str:
        return str(self.doc.get("decision", "?")) if isinstance(self.doc, dict) else "unreadable"

    @property
    def metrics(self) -> list[dict]:
        metrics = self.doc.get("metrics") if isinstance(self.doc, dict) else None
        return [m for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []


def _decision(row) -> DecisionRow:
    rollout, seq, at, text = row
    try:
        doc = json.loads(text)
    except (TypeError, ValueError):
        doc = None
    return DecisionRow(rollout, int(seq), at, text, doc if isinstance(doc, dict) else None)


def decisions(store: Store, rollout_id: str, limit: int = 500) -> list[DecisionRow]:
    """The rollout's decision log, newest first."""
    rows = store._query("SELECT rollout, seq, at, decision FROM decisions WHERE rollout = ? "
                        f"ORDER BY seq DESC LIMIT {int(limit)}", (rollout_id,))
    return [_decision(r) for r in rows]


def latest_decision(store: Store, rollout_id: str) -> Optional[DecisionRow]:
    rows = decisions(store, rollout_id, limit=1)
    return rows[0] if rows else None


def decision_count(store: Store, rollout_id: str) -> int:
    return int(store._query("SELECT COUNT(*) FROM decisions WHERE rollout = ?", (rollout_id,))[0][0])


_ROLLOUT_ID = re.compile(r"^(?P<name>[^@#]+)@(?P<env>[^@#]+)#(?P<seq>[0-9]+)$")


def parse_rollout_id(rollout_id: str) -> Optional[tuple[str, str, int]]:
    """`support.answer@prod#12` → (name, env, seq of the event that started it)."""
    match = _ROLLOUT_ID.match(rollout_id)
    return (match["name"], match["env"], int(match["seq"])) if match else None


def rollout_events(store: Store, rollout_id: str, limit: int = 1000) -> list[Event]:
    """Every event of one rollout (start, ramps, breach, end), oldest first."""
    parsed = parse_rollout_id(rollout_id)
    if parsed is None:
        return []
    return signals.rollout_events(store, parsed[0], parsed[1], rollout_id, limit)


def signal_envs(store: Store, name: str) -> list[str]:
    return [r[0] for r in store._query("SELECT DISTINCT env FROM signals WHERE name = ? ORDER BY env", (name,))]


@dataclass(frozen=True)
class SignalBucket:
    hash: str
    variant: str
    bucket: str  # the stored minute text cut to the hour (13 chars) or the day (10 chars)
    metric: str
    count: int
    total: float


def signal_span(store: Store, name: str, env: str) -> Optional[tuple[str, str]]:
    row = store._query("SELECT MIN(minute), MAX(minute) FROM signals WHERE name = ? AND env = ?", (name, env))[0]
    return (row[0], row[1]) if row[0] is not None else None


def signal_buckets(store: Store, name: str, env: str, span: tuple[str, str]) -> tuple[list[SignalBucket], int]:
    """Signal aggregates of `(name, env)` summed per hour (or per day for a long history),
    and the bucket width in characters of the minute text (13: hour, 10: day)."""
    first, last = (parse_instant(t) for t in span)
    width = 13 if first is None or last is None or last - first <= HOURLY_UP_TO else 10
    rows = store._query(
        f"SELECT hash, variant, substr(minute, 1, {width}) AS bucket, metric, SUM(count), SUM(total) "
        "FROM signals WHERE name = ? AND env = ? "
        f"GROUP BY hash, variant, substr(minute, 1, {width}), metric ORDER BY bucket, hash, variant, metric",
        (name, env))
    return [SignalBucket(h, v, b, m, int(c), float(t)) for h, v, b, m, c, t in rows], width


def parse_instant(text: Optional[str]) -> Optional[dt.datetime]:
    """A stored time (`2026-03-15T14:47:00.000000Z`, `2026-03-15T14:47Z`, or a bucket cut to
    `2026-03-15T14` / `2026-03-15`) as an aware UTC datetime; None if it is not one."""
    if not text:
        return None
    raw = text.strip()
    if len(raw.rstrip("Zz")) == 13:  # an hour bucket
        raw = raw.rstrip("Zz") + ":00"
    try:
        return instant(raw)
    except ValueError:
        return None


def arm_responses(store: Store, name: str, env: str, hash_: str, since: str) -> int:
    """Responses recorded for one bundle of a label since `since`: the largest count of any
    metric (every response reports at least one), or 0 when no signals arrived."""
    rows = store._query("SELECT metric, SUM(count) FROM signals WHERE name = ? AND env = ? AND hash = ? "
                        "AND minute >= ? GROUP BY metric", (name, env, hash_, since[:16]))
    return max((int(c) for _, c in rows), default=0)
