"""A build cache keyed by content hash: one SQLite file, `.promptc/cache/cache.sqlite`.

Entries are immutable values named by the hash of everything that determines them (the
compiler version and the input text), so two builds running at once can only ever write
the same bytes under the same name. Writes are gathered and committed in one transaction
(`flush`, also at exit), not one file each. A damaged cache file is replaced and rebuilt;
a cache that cannot be written only makes the next build slower.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import threading
import weakref
from pathlib import Path
from typing import Any

from functools import lru_cache

from . import __version__
from .resources import grammar_text

@lru_cache(maxsize=1)
def _salt() -> bytes:
    """The compiler's own identity: its version and the bytes of its code and grammar, so
    a cache never outlives a change to the compiler (released or not)."""
    h = hashlib.sha256(f"promptc {__version__} cache/1".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    h.update(grammar_text().encode())
    return h.digest()


def key(*parts: str) -> str:
    h = hashlib.sha256(_salt())
    for p in parts:
        h.update(b"\0" + p.encode("utf-8"))
    return h.hexdigest()


_FILE = "cache.sqlite"
_BATCH = 512  # pending entries written together
_OPEN: "weakref.WeakSet[Cache]" = weakref.WeakSet()


class Cache:
    """With `batch`, entries are written together (`flush`, every 512 entries, and at
    exit): a build writes thousands. Without it each `put` is written at once (a paid
    model reply must survive a crash)."""

    def __init__(self, root: Path, batch: bool = False):
        self.root = root
        self.hits = 0
        self.misses = 0
        self.batch = batch
        self._db = None
        self._pid = 0
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], bytes] = {}
        _OPEN.add(self)

    def _connect(self, create: bool):
        """The connection of this process (a forked worker opens its own), or None."""
        if self._db is not None and self._pid == os.getpid():
            return self._db
        import sqlite3

        path = self.root / _FILE
        if not create and not path.exists():
            return None
        for attempt in (1, 2):
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")
                db.execute("CREATE TABLE IF NOT EXISTS entry (kind TEXT NOT NULL, key TEXT NOT NULL, "
                           "value BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
            except sqlite3.DatabaseError:
                if attempt == 1:  # not a database (damaged or foreign): start a new one
                    for suffix in ("", "-wal", "-shm"):
                        try:
                            os.unlink(f"{path}{suffix}")
                        except OSError:
                            pass
                    continue
                return None
            except OSError:
                return None
            self._db, self._pid = db, os.getpid()
            return db
        return None

    def get(self, kind: str, k: str) -> Any | None:
        data = self._pending.get((kind, k))
        if data is None:
            try:
                db = self._connect(create=False)
                row = db.execute("SELECT value FROM entry WHERE kind = ? AND key = ?", (kind, k)).fetchone() \
                    if db is not None else None
            except Exception:  # a damaged or locked cache: rebuild the entry
                return None
            if row is None:
                return None
            data = row[0]
        try:
            return pickle.loads(data)
        except Exception:  # a damaged or foreign entry: rebuild it
            return None

    def put(self, kind: str, k: str, value: Any) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._pending[(kind, k)] = data
        if not self.batch or len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the pending entries in one transaction."""
        with self._lock:
            if not self._pending:
                return
            rows = [(kind, k, data) for (kind, k), data in self._pending.items()]
            self._pending = {}
            self._write(rows)

    def _write(self, rows: list[tuple[str, str, bytes]]) -> None:
        try:
            db = self._connect(create=True)
            if db is None:
                return
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO entry (kind, key, value) VALUES (?, ?, ?)", rows)
        except Exception:
            pass  # a cache that cannot be written only makes the next build slower


@atexit.register
def _flush_all() -> None:
    for cache in list(_OPEN):
        if cache._pid in (0, os.getpid()):
            cache.flush()
