"""Live signals in the registry: exposures, outcomes and the guard's decision log.

Layout (tables in `store.py`; every write is an INSERT, nothing is updated or deleted):

    observations(response_id, metric, env, name, hash, variant, minute, value)
        One row per response and signal. The `exposure` row is written when the response
        is served (the runtime client buffers it) or ingested with its trace fields; it
        carries the response's window, (env, prompt, hash, variant, minute). An outcome that
        arrives later, a thumbs-down an hour on, is looked up by `response_id` and stored
        with that same window, so it counts in the minute its response was served. The key
        (response_id, metric) makes a repeated report a no-op: the first value reported for
        a signal stands.
    signals(env, name, hash, variant, minute, metric, batch, count, total)
        Aggregates per window and signal, one row per write batch; readers sum over
        batches. `count` is how many responses had the signal (exposures for `exposure`),
        `total` the sum of the values. The guard reads exposures from here, so counting
        traffic costs one row per window, arm and batch rather than one per response.

Minutes are UTC, written `YYYY-MM-DDTHH:MM`: a prefix of the audit log's timestamps, so a
window compares with event times as text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from .model import Event, OutOfRange, RegistryError, instant
from .store import Store

#: Signals that are events: reporting one says the response had it. Reporting False or 0
#: records nothing, since absence is the default and a later True must still land.
EVENT_SIGNALS = ("error", "format_error", "schema_error", "fallback", "escalation", "correction")
#: Signals with a value: (lowest allowed value or None, must be an integer).
VALUE_SIGNALS: dict[str, tuple[Optional[float], bool]] = {
    "rating": (None, False),        # higher is better: thumbs-down -1 or 0, thumbs-up 1, or stars
    "latency_ms": (0.0, False),     # wall time of the model call, in milliseconds
    "input_tokens": (0.0, True),
    "output_tokens": (0.0, True),
    "cost": (0.0, False),           # in USD, or any one currency used consistently
}
SIGNALS = EVENT_SIGNALS + tuple(VALUE_SIGNALS)
EXPOSURE = "exposure"
#: Variant recorded for renders outside the experiment: a rollout in flight but no key to
#: bucket by, so the client served stable without randomising. Neither the arm comparison
#: nor the sample-ratio check counts them.
UNKEYED = "unkeyed"
#: Rows per IN (…) list when looking responses up.
_CHUNK = 500


class SignalError(ValueError):
    """A signal that cannot be recorded: an unknown name or a value of the wrong kind."""


def minute_of(moment: Any) -> str:
    """The UTC minute of a datetime, an ISO 8601 string or a POSIX timestamp."""
    if isinstance(moment, (int, float)) and not isinstance(moment, bool):
        try:
            moment = dt.datetime.fromtimestamp(float(moment), dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise SignalError(f"`{moment}` is outside the times promptc can store (a POSIX timestamp "
                              "of years 1 to 9999)") from None
    elif isinstance(moment, str):
        try:
            moment = instant(moment)
        except OutOfRange as exc:
            raise SignalError(str(exc)) from None
        except ValueError:
            raise SignalError(f"`{moment}` is not an ISO 8601 time such as 2026-03-15T14:47:05Z") from None
    if not isinstance(moment, dt.datetime):
        raise SignalError(f"{moment!r} is not a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")
    except OverflowError:
        raise SignalError(f"`{moment}` is outside the times promptc can store (years 1 to 9999, in UTC)") from None


def minute_start(minute: str) -> dt.datetime:
    return dt.datetime.strptime(minute, "%Y-%m-%dT%H:%M").replace(tzinfo=dt.timezone.utc)


def check_signals(signals: Mapping[str, Any]) -> dict[str, float]:
    """Validate reported signals; returns those to store as {metric: value}. Raises
    SignalError naming the first problem, so a misspelt signal never vanishes silently."""
    out: dict[str, float] = {}
    for name, value in signals.items():
        if name in EVENT_SIGNALS:
            if not isinstance(value, (bool, int)) or (not isinstance(value, bool) and value not in (0, 1)):
                raise SignalError(f"`{name}` is an event: report it as true or false, not {value!r}")
            if value:
                out[name] = 1.0
        elif name in VALUE_SIGNALS:
            low, integer = VALUE_SIGNALS[name]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SignalError(f"`{name}` must be a finite number, not {value!r}")
            if integer and float(value) != int(value):
                raise SignalError(f"`{name}` must be a whole number, not {value!r}")
            if low is not None and value < low:
                raise SignalError(f"`{name}` must be at least {low:g}, not {value!r}")
            out[name] = float(value)
        else:
            import difflib

            near = difflib.get_close_matches(name, SIGNALS, n=1)
            hint = f" (did you mean `{near[0]}`?)" if near else ""
            raise SignalError(f"unknown signal `{name}`{hint}; signals are {', '.join(SIGNALS)}")
    return out


@dataclass(frozen=True)
class Exposure:
    """One served response and its window."""

    response_id: str
    env: str
    name: str
    hash: str
    variant: str
    minute: str

    @property
    def window(self) -> tuple[str, str, str, str, str]:
        return (self.env, self.name, self.hash, self.variant, self.minute)


@dataclass(frozen=True)
class Outcome:
    """Signals reported for one response; `exposure` when the reporter knows its window."""

    response_id: str
    values: Mapping[str, float]
    exposure: Optional[Exposure] = None


@dataclass
class WriteResult:
    exposures: int = 0  # new exposure rows
    observations: int = 0  # new outcome rows
    duplicates: int = 0  # rows already stored (a repeated report or exposure)
    unmatched: list[str] = field(default_factory=list)  # response ids with no known window


def lookup(store: Store, response_ids: Iterable[str]) -> dict[str, Exposure]:
    """The recorded exposures of these responses."""
    ids = list(dict.fromkeys(response_ids))
    found: dict[str, Exposure] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for row in store._query("SELECT response_id, env, name, hash, variant, minute FROM observations "
                                f"WHERE metric = ? AND response_id IN ({marks})", (EXPOSURE, *chunk)):
            found[row[0]] = Exposure(*row)
    return found


def _insert(store: Store, response_id: str, metric: str, window: tuple, value: float) -> bool:
    cursor = store._execute(
        "INSERT INTO observations (response_id, metric, env, name, hash, variant, minute, value) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, metric) DO NOTHING",
        (response_id, metric, *window, value))
    return bool(getattr(cursor, "rowcount", 0))


def record(store: Store, exposures: Sequence[Exposure] = (), outcomes: Sequence[Outcome] = ()) -> WriteResult:
    """Store exposures, then outcomes, in one transaction, and append this batch's
    aggregates. Outcomes without a window are joined to their response's exposure (stored
    before or in this batch); those with none are returned in `unmatched`, not stored."""
    result = WriteResult()
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    with store.write_batch():
        for exp in exposures:
            if _insert(store, exp.response_id, EXPOSURE, exp.window, 1.0):
                result.exposures += 1
                totals[exp.window + (EXPOSURE,)][0] += 1
                totals[exp.window + (EXPOSURE,)][1] += 1.0
            else:
                result.duplicates += 1
        known = {e.response_id: e for e in exposures}
        missing = [o.response_id for o in outcomes if o.exposure is None and o.response_id not in known]
        if missing:
            known.update(lookup(store, missing))
        for outcome in outcomes:
            exp = outcome.exposure or known.get(outcome.response_id)
            if exp is None:
                result.unmatched.append(outcome.response_id)
                continue
            for metric, value in outcome.values.items():
                if _insert(store, outcome.response_id, metric, exp.window, value):
                    result.observations += 1
                    totals[exp.window + (metric,)][0] += 1
                    totals[exp.window + (metric,)][1] += value
                else:
                    result.duplicates += 1
        batch = uuid.uuid4().hex
        for (env, name, hash_, variant, minute, metric), (count, total) in totals.items():
            store._execute("INSERT INTO signals (env, name, hash, variant, minute, metric, batch, count, total) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (env, name, hash_, variant, minute, metric, batch, count, total))
    return result


# -- reads for the guard -----------------------------------------------------------------------


def _in(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)


def exposure_counts(store: Store, env: str, name: str, hashes: Sequence[str], since: str,
                    until: str) -> dict[tuple[str, str], int]:
    """{(minute, hash): exposures} for minutes in [since, until), randomised traffic only."""
    rows = store._query(
        f"SELECT minute, hash, SUM(count) FROM signals WHERE env = ? AND name = ? AND hash IN ({_in(hashes)}) "
        "AND metric = ? AND variant <> ? AND minute >= ? AND minute < ? GROUP BY minute, hash",
        (env, name, *hashes, EXPOSURE, UNKEYED, since, until))
    return {(m, h): int(c) for m, h, c in rows}


def bad_counts(store: Store, env: str, name: str, hashes: Sequence[str], metrics: Sequence[str], since: str,
               until: str, above: Optional[float] = None,
               at_most: Optional[float] = None) -> dict[tuple[str, str], int]:
    """{(minute, hash): responses with a bad event} for minutes in [since, until): any of
    `metrics` reported (events), or a value above `above` / at most `at_most`."""
    sql = (f"SELECT minute, hash, COUNT(DISTINCT response_id) FROM observations WHERE env = ? AND name = ? "
           f"AND metric IN ({_in(metrics)}) AND hash IN ({_in(hashes)}) AND variant <> ? "
           "AND minute >= ? AND minute < ?")
    params: list = [env, name, *metrics, *hashes, UNKEYED, since, until]
    if above is not None:
        sql += " AND value > ?"
        params.append(above)
    if at_most is not None:
        sql += " AND value <= ?"
        params.append(at_most)
    rows = store._query(sql + " GROUP BY minute, hash", tuple(params))
    return {(m, h): int(c) for m, h, c in rows}


def values_before(store: Store, env: str, name: str, hash_: str, metric: str, before: str,
                  limit: int = 10_000) -> list[float]:
    """The newest `limit` values of `metric` for bundle `hash_` in minutes before `before`:
    the stable version's pre-rollout sample for a latency or cost threshold."""
    rows = store._query("SELECT value FROM observations WHERE env = ? AND name = ? AND metric = ? AND hash = ? "
                        f"AND minute < ? ORDER BY minute DESC LIMIT {int(limit)}",
                        (env, name, metric, hash_, before))
    return [float(r[0]) for r in rows]


def summary(store: Store, env: str, name: str, since: str = "") -> list[dict]:
    """Per bundle and variant: exposures and each signal's count and total since `since`."""
    rows = store._query("SELECT hash, variant, metric, SUM(count), SUM(total) FROM signals WHERE env = ? AND name = ? "
                        "AND minute >= ? GROUP BY hash, variant, metric ORDER BY hash, variant, metric",
                        (env, name, since))
    out: dict[tuple[str, str], dict] = {}
    for hash_, variant, metric, count, total in rows:
        entry = out.setdefault((hash_, variant), {"hash": hash_, "variant": variant, "signals": {}})
        entry["signals"][metric] = {"count": int(count), "total": float(total)}
    return list(out.values())


def rollout_events(store: Store, name: str, env: str, rollout_id: str,
                   limit: Optional[int] = None) -> list[Event]:
    """The audit events of one rollout, oldest first. A rollout's id ends in the sequence
    number of the event that created it, so the scan starts there."""
    _, _, tail = rollout_id.rpartition("#")
    first = int(tail) if tail.isdigit() else 0
    events = store.events(name, env, limit=limit, from_seq=first)
    return [e for e in events if e.data.get("rollout") == rollout_id]


# -- the decision log --------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedDecision:
    rollout: str
    seq: int
    at: str
    name: str
    env: str
    step: Optional[float]
    verdict: str
    decision: dict
    context: dict

    def to_json(self) -> dict:
        return {"rollout": self.rollout, "seq": self.seq, "at": self.at, "name": self.name, "env": self.env,
                "step": self.step, "verdict": self.verdict, "decision": self.decision, "context": self.context}


def append_decision(store: Store, rollout: str, *, name: str, env: str, at: str, step: Optional[float],
                    verdict: str, decision_json: str, context: Mapping) -> int:
    """Append one evaluation to the rollout's decision log; returns its sequence number.
    Two guards appending at once may pick the same number: the loser retries."""
    text = json.dumps(dict(context), sort_keys=True, allow_nan=False)
    last: Optional[Exception] = None
    for _ in range(5):
        try:
            with store.write_batch():
                seq = int(store._query("SELECT COALESCE(MAX(seq), 0) FROM decisions WHERE rollout = ?",
                                       (rollout,))[0][0]) + 1
                store._execute("INSERT INTO decisions (rollout, seq, at, name, env, step, verdict, decision, context) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (rollout, seq, at, name, env, step, verdict, decision_json, text))
            return seq
        except RegistryError:
            raise
        except Exception as exc:  # a unique-key race with another guard
            last = exc
    raise RegistryError(f"could not append to the decision log of {rollout}: {last}")


def decisions(store: Store, rollout: str, limit: Optional[int] = None) -> list[LoggedDecision]:
    """The rollout's decision log, oldest first (only the newest `limit` with a limit)."""
    sql = "SELECT rollout, seq, at, name, env, step, verdict, decision, context FROM decisions WHERE rollout = ?"
    sql += " ORDER BY seq DESC" + (f" LIMIT {int(limit)}" if limit else "")
    rows = store._query(sql, (rollout,))
    out = [LoggedDecision(r[0], int(r[1]), r[2], r[3], r[4], None if r[5] is None else float(r[5]), r[6],
                          json.loads(r[7]), json.loads(r[8])) for r in rows]
    out.reverse()
    return out


def latest_rollout_id(store: Store, name: str, env: str) -> Optional[str]:
    """The newest rollout of a label, in flight or not (for `rollout show` after it ended)."""
    for event in store.events(name=name, env=env, limit=200, newest_first=True):
        if event.data.get("rollout"):
            return event.data["rollout"]
    return None


# -- buffered writes for services --------------------------------------------------------------


class Recorder:
    """Buffers a service's exposures and outcomes and writes them in batches, from a
    background thread every `interval` seconds (or sooner when `max_buffer` items wait), so
    a render costs an append to a list, never a database write.

    Outcomes whose response is not known yet (served by another process that has not
    flushed) are retried on later flushes for `pending_ttl` seconds, then dropped and
    counted in `dropped`. While the registry is unreachable the buffer keeps up to
    `max_held` items, dropping the oldest beyond that."""

    def __init__(self, open_store, lock=None, interval: float = 5.0, max_buffer: int = 1000,
                 pending_ttl: float = 60.0, max_held: int = 200_000) -> None:
        import threading

        self._open_store = open_store
        self._io_lock = lock or threading.Lock()
        self.interval = interval
        self.max_buffer = max_buffer
        self.pending_ttl = pending_ttl
        self.max_held = max_held
        self._cv = threading.Condition()
        self._exposures: list[Exposure] = []
        self._outcomes: list[tuple[float, Outcome]] = []
        self._thread = None
        self._closed = False
        self._flushing = threading.Lock()
        self.dropped = 0
        self.last_error: Optional[str] = None

    def add_exposure(self, exposure: Exposure) -> None:
        with self._cv:
            self._exposures.append(exposure)
            self._kick()

    def add_outcome(self, outcome: Outcome) -> None:
        import time

        with self._cv:
            self._outcomes.append((time.monotonic(), outcome))
            self._kick()

    def _kick(self) -> None:
        if self._thread is None and not self._closed:
            import threading

            self._thread = threading.Thread(target=self._loop, name="promptc-signals", daemon=True)
            self._thread.start()
            _live.add(self)
        if len(self._exposures) + len(self._outcomes) >= self.max_buffer:
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                if not self._closed:
                    self._cv.wait(self.interval)
                if self._closed:
                    return
            try:
                self.flush()
            except Exception:  # kept in last_error; the thread must live on
                pass

    def flush(self) -> WriteResult:
        """Write what is buffered now. Raises nothing for an outage (see `last_error`)."""
        import logging
        import time

        with self._flushing:
            with self._cv:
                exposures, self._exposures = self._exposures, []
                outcomes, self._outcomes = self._outcomes, []
            if not exposures and not outcomes:
                return WriteResult()
            try:
                with self._io_lock:
                    result = record(self._open_store(), exposures, [o for _, o in outcomes])
                self.last_error = None
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                logging.getLogger("promptc.signals").warning("could not write signals: %s", self.last_error)
                with self._cv:
                    self._exposures[:0] = exposures
                    self._outcomes[:0] = outcomes
                    over = len(self._exposures) + len(self._outcomes) - self.max_held
                    if over > 0:
                        cut = min(over, len(self._exposures))
                        del self._exposures[:cut]
                        del self._outcomes[:over - cut]
                        self.dropped += over
                return WriteResult()
            if result.unmatched:
                now = time.monotonic()
                waiting = set(result.unmatched)
                retry = [(t, o) for t, o in outcomes if o.response_id in waiting and now - t < self.pending_ttl]
                lost = len([o for _, o in outcomes if o.response_id in waiting]) - len(retry)
                if lost:
                    self.dropped += lost
                    logging.getLogger("promptc.signals").warning(
                        "dropped %d outcome(s) whose response was never recorded", lost)
                with self._cv:
                    self._outcomes[:0] = retry
            return result

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        self.flush()
        _live.discard(self)


def _flush_all() -> None:
    for recorder in list(_live):
        try:
            recorder.flush()
        except Exception:
            pass


def _live_set():
    import atexit
    import weakref

    atexit.register(_flush_all)
    return weakref.WeakSet()


#: Recorders with a running flusher, written out once more when the interpreter exits.
_live = _live_set()
