"""Open a registry from its address.

    (none)                         the project's `.promptc/registry.db`
    sqlite:///abs/path.db          a SQLite file (also a plain path ending in .db)
    postgresql://user@host/db      a PostgreSQL database (needs the `postgres` extra)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from .model import RegistryUsageError
from .store import Store

DEFAULT_FILE = Path(".promptc") / "registry.db"


def open_store(url: Optional[str], root: Optional[Path] = None, readonly: bool = False) -> Store:
    """The store at `url`, or the project's default SQLite file under `root`."""
    if not url:
        from .sqlite import SQLiteStore

        return SQLiteStore((root or Path.cwd()) / DEFAULT_FILE, readonly)
    # Not urlsplit: it raises ValueError on a malformed authority such as `[::1`, which the
    # backend should report as a usage error naming the URL.
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    scheme = match.group(1).lower() if match else ""
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        path = url[len("sqlite://"):]
        if not path.startswith("/"):
            raise RegistryUsageError(f"`{url}`: write a SQLite registry as sqlite:///ABSOLUTE/PATH.db "
                                     "(three slashes) or as a plain file path")
        return SQLiteStore(Path(path), readonly)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url, readonly)
    if scheme == "oci":
        raise RegistryUsageError(f"`{url}` is an OCI registry: it distributes bundles (`promptc push`/`pull`) "
                                 "but keeps no labels or audit log; use a SQLite file or PostgreSQL here")
    if scheme:
        raise RegistryUsageError(f"`{url}`: unknown registry scheme `{scheme}`; use a file path, "
                                 "sqlite:///PATH.db or postgresql://USER@HOST/DB")
    from .sqlite import SQLiteStore

    path = Path(url)
    if root is not None and not path.is_absolute():
        path = root / path
    return SQLiteStore(path, readonly)
