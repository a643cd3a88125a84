"""A fresh, empty registry per test on every backend: the `registry_url` fixture.

Tests that take `registry_url` run once on SQLite and once on PostgreSQL, against real
servers only. The PostgreSQL server is, in order:

1. `$PROMPTC_TEST_POSTGRES`, a libpq URL of an admin connection (one that may create
   databases), as `.ci/run` exports it. If it is set but unreachable the tests fail: a
   configured server that does not answer is a broken CI, not a reason to skip;
2. otherwise a throwaway server started once per session from the PostgreSQL binaries
   (`initdb` + `pg_ctl` of Debian's `postgresql` package, or any on PATH), with its data
   directory and unix socket in a temporary directory, listening on 127.0.0.1 and a free
   port, stopped and deleted at the end of the session. As root, the binaries run as the
   `postgres` user (initdb refuses root).

Only when neither is possible do the PostgreSQL cases skip, with the reason.

Each PostgreSQL case gets a database of its own, created through the admin connection and
dropped afterwards, so tests never see each other's events.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import quote, urlencode

import pytest

from tests.needs import missing

POSTGRES_ENV = "PROMPTC_TEST_POSTGRES"
BACKENDS = ("sqlite", "postgresql")


class NoServer(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(admin_url: str, dbname: str) -> str:
    """The `postgresql://` URL of database `dbname` on the server of `admin_url` (a URL or a
    `key=value` conninfo string), with the same credentials and options."""
    from psycopg.conninfo import conninfo_to_dict

    info = {k: str(v) for k, v in conninfo_to_dict(admin_url).items()}
    info.pop("dbname", None)
    user, password = info.pop("user", ""), info.pop("password", "")
    host, port = info.pop("host", ""), info.pop("port", "")
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "") + ("@" if user else "")
    query = {}
    if host.startswith("/"):  # a unix socket directory goes in the query
        query["host"] = host
        host = ""
    query.update(info)
    netloc = auth + host + (f":{port}" if port else "")
    tail = "?" + urlencode(query) if query else ""
    return f"postgresql://{netloc}/{quote(dbname, safe='')}{tail}"


def _admin_connect(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url, autocommit=True, connect_timeout=5)


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """Create an empty database, yield its URL, then drop it (ending its sessions first: a
    test's child process may still be connected)."""
    name = f"promptc_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(admin_url, name)
    finally:
        with _admin_connect(admin_url) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# -- a throwaway server ---------------------------------------------------------------------


def postgres_bindir() -> Optional[Path]:
    """The newest PostgreSQL server binaries installed: Debian keeps them out of PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class ThrowawayServer:
    """A PostgreSQL server in a temporary directory, for one test session."""

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None or not (bindir / "pg_ctl").exists():
            raise NoServer("no PostgreSQL server binaries (initdb, pg_ctl) are installed: install them "
                           f"(apt-get install postgresql) or set {POSTGRES_ENV} to an admin URL of a server")
        self.bindir = bindir
        self.runas: list[str] = []
        if os.geteuid() == 0:
            self.runas = self._drop_root()
        # As root, under /tmp: the postgres user must reach the directory, and the socket path
        # must stay short (unix sockets allow about 100 bytes); $TMPDIR may be neither.
        self.dir = Path(tempfile.mkdtemp(prefix="promptc-pg-", dir="/tmp" if self.runas else None))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        try:
            if self.runas:
                shutil.chown(self.dir, "postgres")
            self._initdb()
            self._start()
        except BaseException:
            self.stop()
            raise

    def _drop_root(self) -> list[str]:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise NoServer("running as root and there is no `postgres` user to run the PostgreSQL server "
                           f"as (initdb refuses root); set {POSTGRES_ENV} to an admin URL of a server") from None
        if shutil.which("runuser"):
            return ["runuser", "-u", "postgres", "--"]
        raise NoServer(f"running as root without `runuser` to start PostgreSQL as the postgres user; "
                       f"set {POSTGRES_ENV}")

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = self.runas + [str(self.bindir / args[0]), *args[1:]]
        done = subprocess.run(command, cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise NoServer(f"`{' '.join(args[:2])}` failed (exit {done.returncode}): "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}\n{log}")

    def _initdb(self) -> None:
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.runas:
            shutil.chown(pwfile, "postgres")
        # Password logins over TCP, as a team's server would have; the socket trusts its owner.
        self._run("initdb", "-D", str(self.data), "-U", "postgres", f"--pwfile={pwfile}", "-E", "UTF8",
                  "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        pwfile.unlink()

    def _start(self) -> None:
        last: Optional[NoServer] = None
        for _ in range(3):  # the free port can be taken before the server binds it
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                       "-c fsync=off -c max_connections=200")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30",
                          "start")
                return
            except NoServer as exc:
                last = exc
        raise last  # type: ignore[misc]

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (NoServer, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server (see the module docstring), or a skip saying why
    there is none."""
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip(missing("python-extra", "the PostgreSQL tests need psycopg"))
    configured = os.environ.get(POSTGRES_ENV, "").strip()
    if configured:
        try:
            _admin_connect(configured).close()
        except Exception as exc:
            pytest.fail(f"{POSTGRES_ENV} is set but its server does not answer: {exc}", pytrace=False)
        yield configured
        return
    try:
        server = ThrowawayServer()
    except NoServer as exc:
        pytest.skip(missing("postgresql", str(exc)))
    try:
        yield server.admin_url
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def registry_url(request, tmp_path) -> Iterator[str]:
    """The address of a fresh, empty registry: a SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    with fresh_database(admin_url) as url:
        yield url
