"""Persistence of the registry in SQL, shared by the SQLite and PostgreSQL backends.

Both backends run the same statements (written with `?` placeholders; the PostgreSQL
backend rewrites them for its driver) and differ only in how a write transaction takes the
registry's single writer lock: SQLite with `BEGIN IMMEDIATE`, PostgreSQL with `SELECT … FOR
UPDATE` on the one `head` row. Serialising writers on `head` is what keeps the audit log a
chain: each event's `seq` and `prev` come from the head read under that lock, and the event,
the label it moved and the new head are committed together or not at all.

Tables:
    bundles(name, version, hash, document, published_at)  never updated; a version names one hash,
                                                          a hash may carry several versions
    events(seq, at, actor, kind, name, env, old_hash, new_hash, reason, data, prev, hash)
    labels(name, env, seq, state)                          the newest state of each label
    head(id = 1, seq, hash, at)                            the end of the chain
    signals(env, name, hash, variant, minute, metric, batch, count, total)
                                                          live outcome aggregates, appended per batch
    observations(response_id, metric, env, name, hash, variant, minute, value)
                                                          one row per response and signal, never updated
    decisions(rollout, seq, at, name, env, step, verdict, decision, context)
                                                          the guard's per-rollout decision log
    captures(id, at, name, version, hash, env, variant, response_id, kind, note, inputs, output, digest, data)
    capture_pulls(id, at, dataset, actor)                 captured production cases and where they went
    schema_version(id = 1, version, migrated_at)          which of `MIGRATIONS` the registry has
(`signals.py` reads and writes signals, observations and decisions; `captures.py` the last two.)

The schema is versioned: `MIGRATIONS` lists, in order, the statements that take a registry
from one version to the next. Opening a registry for writing applies the ones it lacks, in
one transaction under the backend's schema lock, and records the new version; a registry
of a newer version than this code knows is refused, since this code would not keep what
the newer one stored. A read-only open never changes the schema.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from .. import __version__
from .model import GENESIS, Event, LabelState, RegistryError, RegistryUsageError, utc_now

#: The most a captured case may take in the registry (inputs, output and note; `captures.py`).
MAX_CASE_BYTES = 64 * 1024

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bundles (
        name TEXT NOT NULL, version TEXT NOT NULL, hash TEXT NOT NULL,
        document TEXT NOT NULL, published_at TEXT NOT NULL, PRIMARY KEY (name, version))""",
    "CREATE INDEX IF NOT EXISTS bundles_hash ON bundles (hash)",
    """CREATE TABLE IF NOT EXISTS events (
        seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
        name TEXT NOT NULL, env TEXT NOT NULL, old_hash TEXT, new_hash TEXT, reason TEXT NOT NULL,
        data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_label_at ON events (name, env, at, seq)",
    "CREATE INDEX IF NOT EXISTS events_at ON events (at, seq)",
    """CREATE TABLE IF NOT EXISTS labels (
        name TEXT NOT NULL, env TEXT NOT NULL, seq BIGINT NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (name, env))""",
    """CREATE TABLE IF NOT EXISTS head (
        id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL)""",
    f"INSERT INTO head (id, seq, hash, at) VALUES (1, 0, '{GENESIS}', '') ON CONFLICT (id) DO NOTHING",
    # Live signals (`signals.py`): per-response rows, keyed so a repeated report is a no-op,
    # and per-batch aggregates that readers sum; both only ever receive INSERTs.
    """CREATE TABLE IF NOT EXISTS signals (
        env TEXT NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL, variant TEXT NOT NULL,
        minute TEXT NOT NULL, metric TEXT NOT NULL, batch TEXT NOT NULL, count BIGINT NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (env, name, hash, variant, minute, metric, batch))""",
    """CREATE TABLE IF NOT EXISTS observations (
        response_id TEXT NOT NULL, metric TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
        hash TEXT NOT NULL, variant TEXT NOT NULL, minute TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (response_id, metric))""",
    "CREATE INDEX IF NOT EXISTS observations_window ON observations (env, name, metric, hash, minute)",
    """CREATE TABLE IF NOT EXISTS decisions (
        rollout TEXT NOT NULL, seq BIGINT NOT NULL, at TEXT NOT NULL, name TEXT NOT NULL, env TEXT NOT NULL,
        step DOUBLE PRECISION, verdict TEXT NOT NULL, decision TEXT NOT NULL, context TEXT NOT NULL,
        PRIMARY KEY (rollout, seq))""",
)
#: Captured production cases (`captures.py`): INSERTs only, each case bounded in size. A
#: registry opened read-only before it is migrated has none of these tables; readers treat
#: that as no cases.
CAPTURES = (
    f"""CREATE TABLE IF NOT EXISTS captures (
        id TEXT PRIMARY KEY, at TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, hash TEXT NOT NULL,
        env TEXT NOT NULL, variant TEXT NOT NULL, response_id TEXT, kind TEXT NOT NULL, note TEXT NOT NULL,
        inputs TEXT, output TEXT NOT NULL, digest TEXT NOT NULL, data TEXT NOT NULL,
        CHECK (length(coalesce(inputs, '')) + length(output) + length(note) <= {MAX_CASE_BYTES}))""",
    "CREATE INDEX IF NOT EXISTS captures_name_at ON captures (name, at)",
    """CREATE TABLE IF NOT EXISTS capture_pulls (
        id TEXT NOT NULL, at TEXT NOT NULL, dataset TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (id, dataset))""",
)

#: The registry's schema, one entry per version: entry N holds the statements that take a
#: registry from version N-1 to N. To change the schema, append an entry (a new table is one
#: line: `("CREATE TABLE name (…)",),`); never edit a released one, registries have run it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    SCHEMA,  # 1: the tables of the registries made before the schema had a version
    CAPTURES,  # 2: captured production cases (`captures.py`)
)
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, migrated_at TEXT NOT NULL)"""

_EVENT_COLUMNS = "seq, at, actor, kind, name, env, old_hash, new_hash, reason, data, prev, hash"


def _event(row) -> Event:
    seq, at, actor, kind, name, env, old, new, reason, data, prev, hash_ = row
    return Event(int(seq), at, actor, kind, name, env, old, new, reason, json.loads(data), prev, hash_,
                 data_text=data)


class Store(ABC):
    """The registry's tables behind one connection. Subclasses supply the connection."""

    backend = "sql"
    #: How a write transaction starts; `head_lock` then locks the head row if needed.
    begin = "BEGIN"
    head_lock = "SELECT seq, hash, at FROM head WHERE id = 1"

    def __init__(self, url: str, readonly: bool = False) -> None:
        self.url = url
        self.readonly = readonly

    # -- the connection, supplied by a backend ---------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: tuple = ()) -> Any:
        """Run one statement (`?` placeholders)."""

    @abstractmethod
    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one query and return all its rows."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the schema -------------------------------------------------------------------------

    @abstractmethod
    def _has_table(self, name: str) -> bool:
        """Whether the database has this table."""

    def has_table(self, name: str) -> bool:
        """Whether the registry has table `name` (one opened read-only is never migrated, so a
        table a later schema version added may be missing)."""
        return self._has_table(name)

    def schema_version(self) -> int:
        """The registry's schema version: 0 for an empty database or a registry made before
        the schema had a version (whose tables are those of version 1)."""
        if not self._has_table("schema_version"):
            return 0
        rows = self._query("SELECT version FROM schema_version WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise RegistryUsageError(
                f"the registry {self.url} has schema version {version}, newer than this promptc "
                f"{__version__} knows (up to {SCHEMA_VERSION}): a newer promptc wrote it; upgrade promptc "
                "(`pip install -U promptc`) to use it")

    def open_schema(self) -> None:
        """On opening: refuse a registry newer than this code; bring an older one up to date
        (unless read-only). An up-to-date registry costs one or two reads, no lock."""
        version = self.schema_version()
        self._refuse_newer(version)
        if version < SCHEMA_VERSION and not self.readonly:
            self.create_schema()

    def create_schema(self) -> None:
        """Apply the migrations the registry lacks and record its version. A backend calls
        this inside a transaction holding its schema lock, so concurrent openers migrate once."""
        version = self.schema_version()
        self._refuse_newer(version)
        if version == SCHEMA_VERSION:
            return
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                self._execute(statement)
        self._execute(VERSION_TABLE)
        self._execute("INSERT INTO schema_version (id, version, migrated_at) VALUES (1, ?, ?) "
                      "ON CONFLICT (id) DO UPDATE SET version = excluded.version, migrated_at = excluded.migrated_at",
                      (SCHEMA_VERSION, utc_now()))

    # -- reads ----------------------------------------------------------------------------

    def bundle(self, hash_: str) -> Optional[dict]:
        text = self.bundle_text(hash_)
        return json.loads(text) if text is not None else None

    def bundle_text(self, hash_: str, version: Optional[str] = None) -> Optional[str]:
        """A stored document with this hash (of `version`, when given). Documents that share
        a hash render the same; they differ only in their version and metadata."""
        if version is not None:
            rows = self._query("SELECT document FROM bundles WHERE hash = ? AND version = ?", (hash_, version))
        else:
            rows = self._query("SELECT document FROM bundles WHERE hash = ? ORDER BY published_at DESC LIMIT 1",
                               (hash_,))
        return rows[0][0] if rows else None

    def find_hashes(self, prefix: str) -> list[str]:
        """Bundle hashes starting with `prefix` (with or without `sha256:`)."""
        digits = prefix.lower().removeprefix("sha256:")
        if not digits or any(c not in "0123456789abcdef" for c in digits):
            return []
        return [r[0] for r in self._query("SELECT DISTINCT hash FROM bundles WHERE hash >= ? AND hash < ? "
                                          "ORDER BY hash LIMIT 10", ("sha256:" + digits, "sha256:" + digits + "g"))]

    def version_hash(self, name: str, version: str) -> Optional[str]:
        rows = self._query("SELECT hash FROM bundles WHERE name = ? AND version = ?", (name, version))
        return rows[0][0] if rows else None

    def versions(self, name: str) -> list[tuple[str, str, str]]:
        """`(version, hash, published_at)` of every bundle of `name`, oldest first."""
        return [tuple(r) for r in self._query(
            "SELECT version, hash, published_at FROM bundles WHERE name = ? ORDER BY published_at, version",
            (name,))]

    def stored_releases(self) -> set[tuple[str, str, str]]:
        """`(name, version, hash)` of every stored bundle."""
        return {tuple(r) for r in self._query("SELECT name, version, hash FROM bundles")}

    def names(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT name FROM bundles ORDER BY name")]

    def all_bundles(self) -> Iterator[tuple[str, str, str, str]]:
        """`(hash, name, version, document)` of every stored bundle."""
        for row in self._query("SELECT hash, name, version, document FROM bundles ORDER BY name, version"):
            yield tuple(row)

    def label(self, name: str, env: str) -> Optional[LabelState]:
        rows = self._query("SELECT state FROM labels WHERE name = ? AND env = ?", (name, env))
        return LabelState.from_json(name, env, json.loads(rows[0][0])) if rows else None

    def labels(self, env: Optional[str] = None) -> list[LabelState]:
        if env is None:
            rows = self._query("SELECT name, env, state FROM labels ORDER BY env, name")
        else:
            rows = self._query("SELECT name, env, state FROM labels WHERE env = ? ORDER BY name", (env,))
        return [LabelState.from_json(n, e, json.loads(s)) for n, e, s in rows]

    def label_rows(self) -> list[tuple[str, str, int, dict]]:
        """Every served label as stored: (name, env, seq of the event that set it, state)."""
        rows = self._query("SELECT name, env, seq, state FROM labels ORDER BY env, name")
        return [(n, e, int(q), json.loads(s)) for n, e, q, s in rows]

    def environments(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT env FROM labels ORDER BY env")]

    def head(self) -> tuple[int, str]:
        seq, hash_ = self._query("SELECT seq, hash FROM head WHERE id = 1")[0]
        return int(seq), hash_

    def events(self, name: Optional[str] = None, env: Optional[str] = None, until: Optional[str] = None,
               limit: Optional[int] = None, newest_first: bool = False, *, since: Optional[str] = None,
               before: Optional[int] = None, from_seq: Optional[int] = None) -> list[Event]:
        """Events of a label (or of the whole log), between the times `since` and `until`
        (stored text), with `seq` from `from_seq` and below `before` (for paging)."""
        where, params = [], []
        for clause, value in (("name = ?", name), ("env = ?", env), ("at >= ?", since), ("at <= ?", until),
                              ("seq >= ?", from_seq), ("seq < ?", before)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = f"SELECT {_EVENT_COLUMNS} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_event(r) for r in self._query(sql, tuple(params))]

    def iter_events(self, batch: int = 5000) -> Iterator[Event]:
        """Every event in `seq` order, read in batches (the chain check walks the whole log)."""
        last = 0
        while True:
            rows = self._query(f"SELECT {_EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT {batch}",
                               (last,))
            if not rows:
                return
            for row in rows:
                event = _event(row)
                last = event.seq
                yield event

    def event_at(self, name: str, env: str, at: str) -> Optional[Event]:
        """The last event of the label at or before `at`: its state is what was live then."""
        rows = self._query(f"SELECT {_EVENT_COLUMNS} FROM events WHERE name = ? AND env = ? AND at <= ? "
                           "ORDER BY at DESC, seq DESC LIMIT 1", (name, env, at))
        return _event(rows[0]) if rows else None

    # -- writes ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """A write transaction holding the registry's writer lock. Everything done through
        the yielded `Transaction` commits together when the block ends, or not at all."""
        if self.readonly:
            raise RegistryError("the registry was opened read-only")
        self._execute(self.begin)
        try:
            seq, hash_, at = self._query(self.head_lock)[0]
            tx = Transaction(self, int(seq), hash_, at)
            yield tx
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")


    @contextmanager
    def write_batch(self) -> Iterator["Store"]:
        """A write transaction for live signals and decision logs. It does not take the
        audit log's writer lock (the `head` row): signal batches never touch the chain, and
        services flushing them must not queue behind label moves. The statements inside
        commit together or not at all."""
        if self.readonly:
            raise RegistryError("the registry was opened read-only")
        self._execute(self.begin)
        try:
            yield self
        except BaseException:
            self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")


class Transaction:
    """Writes inside `Store.transaction()`: label reads here see the locked, current state."""

    def __init__(self, store: Store, seq: int, hash_: str, at: str) -> None:
        self.store = store
        self.seq = seq
        self.hash = hash_
        self.at = at

    def label(self, name: str, env: str) -> LabelState:
        return self.store.label(name, env) or LabelState(name, env)

    def now(self) -> str:
        """The time of the next event: never earlier than the log's last one."""
        return max(utc_now(), self.at)

    def put_bundle(self, hash_: str, name: str, version: str, document: str) -> bool:
        """Store a bundle; True if it was new. A different bundle under a stored `name@version`
        is refused: a version never names two behaviours."""
        existing = self.store._query("SELECT hash FROM bundles WHERE name = ? AND version = ?", (name, version))
        if existing and existing[0][0] == hash_:
            return False
        if existing:
            raise RegistryError(f"{name}@{version} is already registered with a different bundle "
                                f"({existing[0][0][:19]}…); a changed prompt needs a new version "
                                "(`promptc version bump`)")
        self.store._execute("INSERT INTO bundles (hash, name, version, document, published_at) VALUES (?, ?, ?, ?, ?)",
                            (hash_, name, version, document, utc_now()))
        return True

    def append(self, kind: str, name: str, env: str, *, actor: str, reason: str,
               old_hash: Optional[str] = None, new_hash: Optional[str] = None,
               state: Optional[LabelState] = None, data: Optional[dict] = None) -> Event:
        """Append one event (chained to the head) and, with `state`, move the label to it."""
        body = dict(data or {})
        if state is not None:
            body["state"] = state.to_json()
        at = self.now()
        event = Event(self.seq + 1, at, actor, kind, name, env, old_hash, new_hash, reason, body, self.hash).sealed()
        self.store._execute(f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event.seq, event.at, event.actor, event.kind, event.name, event.env, event.old_hash,
                             event.new_hash, event.reason, event.data_text,
                             event.prev, event.hash))
        if state is not None:
            self.store._execute(
                "INSERT INTO labels (name, env, seq, state) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, env) DO UPDATE SET seq = excluded.seq, state = excluded.state",
                (name, env, event.seq, json.dumps(state.to_json(), sort_keys=True)))
        self.store._execute("UPDATE head SET seq = ?, hash = ?, at = ? WHERE id = 1", (event.seq, event.hash, event.at))
        self.seq, self.hash, self.at = event.seq, event.hash, event.at
        return event
