"""The shared backend: a PostgreSQL database (`postgresql://USER@HOST/DB`) a team uses at once.

It runs the SQL of `store.py` unchanged apart from placeholders, on an autocommit
connection with explicit `BEGIN`/`COMMIT`/`ROLLBACK` as the store issues them. Writers queue
on a row lock of the single `head` row (`SELECT … FOR UPDATE`), taken as the first statement
of every write transaction; under READ COMMITTED each later statement reads what the
previous writer committed, so the chain's `seq` and `prev` are always the current head's.
A client that dies mid-transaction leaves nothing behind: the server rolls back when the
connection drops.

Errors a user can act on (an unreachable host, a refused login, a missing database, a
malformed URL) become `RegistryUnavailable`/`RegistryUsageError` naming the host and the
database, never the password.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .model import RegistryError, RegistryUnavailable, RegistryUsageError
from .store import SCHEMA, Store

try:  # the `postgres` extra
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None

#: Seconds to wait for the server to answer before calling it unreachable.
CONNECT_TIMEOUT_S = 5
#: How long a writer waits for the writer lock, like SQLite's busy timeout.
LOCK_TIMEOUT = "60s"
#: Key of the advisory lock that serialises schema migrations across processes ("promptc").
SCHEMA_LOCK_KEY = 0x70726F6D707463

_NAMES = re.compile(r"CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)")
#: Every table and index of the first schema version: a database without them holds no
#: registry yet.
SCHEMA_OBJECTS = tuple(m.group(1) for statement in SCHEMA for m in [_NAMES.search(statement)] if m)


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """`?` → `%s`, and a literal `%` → `%%`, for psycopg's parameter syntax."""
    return sql.replace("%", "%%").replace("?", "%s")


def redact(url: str) -> str:
    """`url` without its password (in the authority or as `?password=`). Works on text,
    so a malformed URL loses its password too."""
    url = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*):[^@/?#]*@", r"\1@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url)


class PostgresStore(Store):
    backend = "postgresql"
    begin = "BEGIN"
    head_lock = "SELECT seq, hash, at FROM head WHERE id = 1 FOR UPDATE"

    def __init__(self, url: str, readonly: bool = False) -> None:
        # `self.url` may end up in output and logs, so it never carries the password.
        super().__init__(redact(url), readonly)
        if psycopg is None:
            raise RegistryUnavailable(f"{self.url}: a PostgreSQL registry needs the psycopg driver; install it "
                                      "with `pip install 'promptc[postgres]'`")
        self._password = ""
        self.target = self._parse(url)
        self._conn = self._connect(url)
        try:
            # A client stopped (not killed) inside a transaction would hold the writer lock for
            # everyone; the server ends such a session after a minute. Our own transactions never
            # wait on a person, so they are never idle that long.
            self._conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'; "
                               f"SET idle_in_transaction_session_timeout = '{LOCK_TIMEOUT}'")
            if readonly:
                self._conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            if readonly and not self._schema_exists():
                raise RegistryUnavailable(f"no registry in {self.target} yet: nothing has been published "
                                          "(`promptc publish` creates it)")
            self.open_schema()
        except BaseException:
            self._conn.close()
            raise

    # -- opening ----------------------------------------------------------------------------

    def _parse(self, url: str) -> str:
        """Check the URL before connecting; return how messages name the target."""
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise RegistryUsageError(f"`{self.url}` is not a valid PostgreSQL URL: {_parse_problem(exc)}; write it "
                                     "as postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE") from None
        for port in filter(None, str(info.get("port", "")).split(",")):
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise RegistryUsageError(f"`{self.url}`: the port `{port}` is not a number from 1 to 65535")
        self._password = str(info.get("password") or "")
        host = info.get("host") or info.get("hostaddr") or "the local socket"
        where = f"{host}:{info['port']}" if info.get("port") else host
        database = info.get("dbname") or info.get("user") or "(default)"
        user = f' as user "{info["user"]}"' if info.get("user") else ""
        return f'PostgreSQL database "{database}" on {where}{user}'

    def _connect(self, url: str):
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S}
        if "application_name" not in url:
            kwargs["application_name"] = "promptc"
        try:
            return psycopg.connect(url, **kwargs)
        except psycopg.ProgrammingError as exc:
            raise RegistryUsageError(f"`{self.url}` is not a valid PostgreSQL URL: {self._clean(exc)}") from None
        except psycopg.Error as exc:
            raise self._connect_error(exc) from None

    def _connect_error(self, exc: Exception) -> RegistryError:
        text = self._clean(exc)
        low = text.lower()
        if low.startswith("connection is bad: invalid") or "invalid connection option" in low:
            return RegistryUsageError(f"`{self.url}`: {text.split(': ', 1)[-1]}")
        if any(s in low for s in ("password authentication failed", "no password supplied", "authentication failed",
                                  "role \"", "peer authentication", "no pg_hba.conf entry")):
            return RegistryUnavailable(f"cannot log in to the {self.target}: {text}; check the user and password "
                                       "(in the URL, PGPASSWORD or ~/.pgpass)")
        if "database \"" in low and "does not exist" in low:
            return RegistryUnavailable(f"the {self.target} does not exist: create it (`createdb`) or fix the URL")
        if "timeout" in low:
            return RegistryUnavailable(f"the {self.target} did not answer within {CONNECT_TIMEOUT_S} s: {text}")
        return RegistryUnavailable(f"cannot reach the {self.target}: {text}")

    def _clean(self, exc: Exception) -> str:
        """libpq's message without the prefixes the target already says, on one line, and
        never with the password in it."""
        text = "; ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
        text = re.sub(r'^connection failed: (connection to server (at|on) .*? failed: )?', "", text)
        text = re.sub(r"(FATAL|ERROR):\s+", "", text)
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def _schema_exists(self) -> bool:
        rows = self._query("SELECT count(*) FROM unnest(?::text[]) AS n WHERE to_regclass(n) IS NOT NULL",
                           (list(SCHEMA_OBJECTS),))
        return int(rows[0][0]) == len(SCHEMA_OBJECTS)

    def _has_table(self, name: str) -> bool:
        # The catalog read through this statement's snapshot, not `to_regclass`: its cache
        # may not yet show a table another session created while this one waited for the lock.
        return bool(self._query("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
                                "WHERE schemaname = current_schema() AND tablename = ?)", (name,))[0][0])

    def create_schema(self) -> None:
        # `CREATE … IF NOT EXISTS` is not safe against a concurrent creator in PostgreSQL (both
        # may pass the check; one then fails on the catalog's unique index), so creators queue
        # on an advisory lock held to the end of their transaction, and the second finds the
        # schema up to date. An up-to-date registry never gets here (`open_schema`), so opening
        # one takes no table locks that would queue behind writers.
        self._execute("BEGIN")
        try:
            self._execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK_KEY,))
            super().create_schema()
        except BaseException:
            self._rollback_quietly()
            raise
        self._execute("COMMIT")

    # -- the connection -------------------------------------------------------------------

    def _execute(self, sql: str, params: tuple = ()) -> Any:
        try:
            if params:
                return self._conn.execute(_placeholders(sql), params)
            return self._conn.execute(sql)
        except pg_errors.ReadOnlySqlTransaction:
            raise RegistryError(f"the {self.target} was opened read-only") from None
        except pg_errors.UndefinedTable as exc:
            raise RegistryUnavailable(f"the {self.target} holds no promptc registry: {self._clean(exc)}") from None
        except pg_errors.LockNotAvailable:
            raise RegistryUnavailable(f"the {self.target} is busy: another writer held the registry for over "
                                      f"{LOCK_TIMEOUT}") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise RegistryUnavailable(f"lost the {self.target}: {self._clean(exc)}") from None

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._execute(sql, params).fetchall()

    def _rollback_quietly(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error:
            pass

    def close(self) -> None:
        self._conn.close()


def _parse_problem(exc: Exception) -> str:
    """libpq's complaint about a URL, without the URL it quotes (which holds the password)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r'\s+in URI: ".*$', "", text)

