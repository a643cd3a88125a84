"""A build cache keyed by content hash, under `.promptc/cache`.

Entries are immutable files named by the hash of everything that determines them (the
compiler version and the input text), written atomically, so two builds running at once
can only ever write the same bytes to the same name. A damaged entry is ignored and
rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
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


class Cache:
    def __init__(self, root: Path):
        self.root = root
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, k: str) -> Path:
        return self.root / kind / k[:2] / f"{k}.pickle"

    def get(self, kind: str, k: str) -> Any | None:
        try:
            data = self._path(kind, k).read_bytes()
            value = pickle.loads(data)
        except FileNotFoundError:
            return None
        except Exception:  # a damaged or foreign entry: rebuild it
            return None
        return value

    def put(self, kind: str, k: str, value: Any) -> None:
        path = self._path(kind, k)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only makes the next build slower
