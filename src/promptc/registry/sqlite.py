"""The default backend: one SQLite file (`.promptc/registry.db`), nothing to install or start.

WAL lets readers (a dashboard, a client) run beside a writer; `BEGIN IMMEDIATE` takes the
write lock at the start of a transaction, so concurrent writers queue (up to the busy
timeout) instead of failing half-way, and each command commits whole or not at all, also
when its process is killed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .model import RegistryUnavailable
from .store import Store

BUSY_TIMEOUT_S = 60.0


class SQLiteStore(Store):
    backend = "sqlite"
    begin = "BEGIN IMMEDIATE"

    def __init__(self, path: Path, readonly: bool = False) -> None:
        super().__init__(f"sqlite:///{path}", readonly)
        self.path = path
        try:
            if readonly:
                if not path.is_file():
                    raise RegistryUnavailable(f"no registry at {path}: nothing has been published yet "
                                              "(`promptc publish` creates it)")
                self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                             timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                             check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self.open_schema()
        except sqlite3.Error as exc:
            self._close_quietly()
            raise RegistryUnavailable(f"cannot open the registry {path}: {exc}") from None
        except BaseException:
            self._close_quietly()
            raise

    def _execute(self, sql: str, params: tuple = ()):
        try:
            return self._conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise RegistryUnavailable(f"registry {self.path}: {exc}") from None

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._execute(sql, params).fetchall()

    def close(self) -> None:
        self._conn.close()

    def _close_quietly(self) -> None:
        if getattr(self, "_conn", None) is not None:
            self._conn.close()

    def _has_table(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def create_schema(self) -> None:
        # One transaction holding the write lock, so two processes creating or upgrading the
        # file at once do not interleave: the second finds the schema up to date.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            super().create_schema()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
