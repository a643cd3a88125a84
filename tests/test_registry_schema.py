"""The registry's schema is versioned (`registry/store.py`, `MIGRATIONS`).

A registry written by the code before the schema had a version
(`tests/registry_schema/before-versioning.sql`, see `tests/registry_fixture.py`) opens,
migrates and keeps every bundle, event, label, signal and decision, with its audit chain
intact, on SQLite and on PostgreSQL. A registry newer than the code is refused (exit 2);
a migration appended to the list is applied once, in order, to registries that lack it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from promptc.registry import store as store_module
from promptc.registry.backends import open_store
from promptc.registry.model import RegistryUsageError, verify_chain
from promptc.registry.store import MIGRATIONS, SCHEMA_VERSION

from .helpers import run_cli

FIXTURE = Path(__file__).parent / "registry_schema" / "before-versioning.sql"
#: The tables of a registry made before versioning, with the columns that identify a row.
OLD_TABLES = {"bundles": "name, version", "events": "seq", "labels": "name, env", "head": "id",
              "signals": "env, name, hash, variant, minute, metric, batch", "observations": "response_id, metric",
              "decisions": "rollout, seq"}


def _connect(url: str):
    """A plain DB-API connection to the registry's database, outside promptc."""
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite://"):], isolation_level=None)
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _run(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(_connect(url)) as conn:
        if url.startswith("sqlite:///"):
            cursor = conn.execute(sql, params)
        else:
            cursor = conn.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def _restore(url: str, script: str) -> None:
    """Run a whole SQL script (the fixture) in the registry's database."""
    with closing(_connect(url)) as conn:
        if url.startswith("sqlite:///"):
            conn.executescript(script)
        else:
            conn.execute(script)


def _rows(url: str) -> dict[str, list[tuple]]:
    return {table: [tuple(r) for r in _run(url, f"SELECT * FROM {table} ORDER BY {order}")]
            for table, order in OLD_TABLES.items()}


def _columns(url: str) -> dict[str, list[str]]:
    """Each table's columns, in order: the shape of the schema."""
    if url.startswith("sqlite:///"):
        tables = [r[0] for r in _run(url, "SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [r[1] for r in _run(url, f"PRAGMA table_info({t})")] for t in sorted(tables)}
    out: dict[str, list[str]] = {}
    for table, column in _run(url, "SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"):
        out.setdefault(table, []).append(column)
    return out


def test_a_registry_from_before_versioning_opens_migrates_and_keeps_everything(registry_url, tmp_path) -> None:
    _restore(registry_url, FIXTURE.read_text(encoding="utf-8"))
    before = _rows(registry_url)
    assert len(before["events"]) >= 15 and len(before["bundles"]) >= 4 and len(before["labels"]) >= 3
    assert all(before.values()), "the fixture fills every table"

    with open_store(registry_url) as store:
        assert store.schema_version() == SCHEMA_VERSION
        events = list(store.iter_events())
        assert [e.seq for e in events] == [row[0] for row in before["events"]]
        assert verify_chain(events, store.head()) == []
        assert {(s.name, s.env) for s in store.labels()} == {(r[0], r[1]) for r in before["labels"]}
        assert sorted((n, v, h) for h, n, v, _ in store.all_bundles()) == sorted(
            (r[0], r[1], r[2]) for r in before["bundles"])
    assert _rows(registry_url) == before, "migrating changed stored rows"
    assert _run(registry_url, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]

    # The upgraded registry has the shape of a new one, and the commands work on it.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_store(fresh).close()
    assert _columns(registry_url) == _columns(fresh)
    audit = json.loads(run_cli("audit", "verify", "--registry", registry_url, "--json"))
    assert audit == {"events": len(before["events"]), "ok": True, "problems": [], "labels": []}
    status = json.loads(run_cli("status", "--env", "prod", "--registry", registry_url, "--json"))
    assert [row["version"] for row in status if row["name"] == "support.answer"] == ["2.0.0"]
    run_cli("freeze", "support.answer", "--env", "staging", "--reason", "after the upgrade",
            "--registry", registry_url)
    audit = json.loads(run_cli("audit", "verify", "--registry", registry_url, "--json"))
    assert audit == {"events": len(before["events"]) + 1, "ok": True, "problems": [], "labels": []}

    # Opening again migrates nothing.
    stamped = _run(registry_url, "SELECT version, migrated_at FROM schema_version")
    open_store(registry_url).close()
    assert _run(registry_url, "SELECT version, migrated_at FROM schema_version") == stamped


def test_a_read_only_open_reads_an_old_registry_without_changing_it(registry_url) -> None:
    _restore(registry_url, FIXTURE.read_text(encoding="utf-8"))
    with open_store(registry_url, readonly=True) as store:
        assert store.schema_version() == 0
        assert verify_chain(list(store.iter_events()), store.head()) == []
    assert "schema_version" not in _columns(registry_url)


def test_a_registry_newer_than_the_code_is_refused(registry_url) -> None:
    open_store(registry_url).close()
    _run(registry_url, "UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    for readonly in (False, True):
        with pytest.raises(RegistryUsageError, match=f"schema version {SCHEMA_VERSION + 1}, newer than"):
            open_store(registry_url, readonly=readonly)
    out = run_cli("status", "--registry", registry_url, expect=2)
    assert f"has schema version {SCHEMA_VERSION + 1}, newer than this promptc" in out
    assert "upgrade promptc" in out and "Traceback" not in out
    out = run_cli("promote", "support.answer@2.0.0", "--env", "prod", "--registry", registry_url, expect=2)
    assert "newer than this promptc" in out
    assert _run(registry_url, "SELECT version FROM schema_version") == [(SCHEMA_VERSION + 1,)]


def test_a_new_migration_is_one_entry_applied_once_in_order(registry_url, monkeypatch) -> None:
    _restore(registry_url, FIXTURE.read_text(encoding="utf-8"))
    open_store(registry_url).close()  # now at SCHEMA_VERSION
    before = _rows(registry_url)
    extra = (
        ("CREATE TABLE captured (id TEXT PRIMARY KEY, body TEXT NOT NULL)",),
        ("CREATE INDEX captured_body ON captured (body)",
         "INSERT INTO captured (id, body) VALUES ('first', 'from migration ' || 'two')"),
    )
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS + extra)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + len(extra))
    with open_store(registry_url) as store:
        assert store.schema_version() == SCHEMA_VERSION + 2
    assert _run(registry_url, "SELECT id, body FROM captured") == [("first", "from migration two")]
    assert _rows(registry_url) == before
    open_store(registry_url).close()  # a second open must not run them again (the INSERT would fail)
    assert _run(registry_url, "SELECT count(*) FROM captured") == [(1,)]


def test_the_first_migration_is_the_schema_before_versioning(tmp_path) -> None:
    """Version 1 is what registries made before versioning have: a change to the schema must
    be a new entry in MIGRATIONS, or registries already at version 1 would never get it."""
    def objects(conn) -> set[tuple[str, str, str]]:
        return {(kind, name, " ".join(sql.replace("IF NOT EXISTS ", "").split()))
                for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")}

    with closing(sqlite3.connect(tmp_path / "old.db")) as old, closing(sqlite3.connect(tmp_path / "v1.db")) as v1:
        old.executescript(FIXTURE.read_text(encoding="utf-8"))
        for statement in MIGRATIONS[0]:
            v1.execute(statement)
        assert objects(v1) == objects(old), ("the first migration differs from the schema of registries made "
                                             "before versioning: append a migration to MIGRATIONS instead")


def test_concurrent_openers_upgrade_an_old_registry_once(registry_url, monkeypatch) -> None:
    _restore(registry_url, FIXTURE.read_text(encoding="utf-8"))
    before = _rows(registry_url)
    # A migration that fails when run twice: the openers must queue on the schema lock.
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS + (("CREATE TABLE once_only (id TEXT)",),))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_once() -> None:
        start.wait()
        try:
            open_store(registry_url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _run(registry_url, "SELECT version FROM schema_version") == [(SCHEMA_VERSION + 1,)]
    assert _rows(registry_url) == before
