"""A registry with data in it, as portable SQL: the fixtures of the schema upgrade tests.

    PYTHONPATH=src python -m tests.registry_fixture tests/registry_schema/NAME.sql

builds the example project's two releases, runs a release history through the command line
into a fresh SQLite registry (publish, promote, canary ramps, an abort, an A/B split, a
freeze and unfreeze, a rollback, a first release), records live signals and guard
decisions, and writes the registry as SQL that SQLite and PostgreSQL both run: each
table's `CREATE` statement as the code of the time wrote it, then its rows as `INSERT`s.

`tests/registry_schema/before-versioning.sql` was written this way by the code of the last
registry without a schema version (commit 151ba39); `tests/test_registry_schema.py` opens it
with today's.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

#: Tables in an order that a restore can insert them in, with the columns that order rows.
_ORDER = {"bundles": "name, version", "events": "seq", "labels": "name, env", "head": "id",
          "signals": "env, name, hash, variant, minute, metric, batch", "observations": "response_id, metric",
          "decisions": "rollout, seq"}


def literal(value) -> str:
    """`value` as an SQL literal both SQLite and PostgreSQL read back unchanged."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise TypeError("the registry stores no booleans")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def dump(path: Path) -> str:
    """The SQLite registry at `path` as SQL: schema objects in creation order, then rows."""
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
        out = [f"{sql.strip()};" for _, _, sql in objects]
        tables = [name for kind, name, _ in objects if kind == "table"]
        for table in sorted(tables, key=lambda t: list(_ORDER).index(t) if t in _ORDER else len(_ORDER)):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            order = _ORDER.get(table, ", ".join(columns))
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"):
                out.append(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(map(literal, row))});")
        return "\n".join(out) + "\n"
    finally:
        conn.close()


def populate(root: Path) -> Path:
    """A registry file under `root` with a release history in it (see the module docstring)."""
    from promptc.registry import signals
    from promptc.registry.backends import open_store
    from promptc.runtime import load_dir

    from .helpers import example_releases, run_cli as run

    project, dists = example_releases(root)
    db = root / "registry.db"
    reg = ["--registry", str(db), "--project", str(project)]
    run("publish", str(dists["1"]), *reg, "--actor", "ana@ledgerly.example")
    run("publish", str(dists["2"]), *reg, "--actor", "ana@ledgerly.example")
    run("promote", "support.answer@2.0.0", "--env", "staging", *reg, "--reason", "QA passed", "--actor", "ana")
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg, "--actor", "ana")
    run("promote", "support.answer@2.0.1", "--env", "staging", *reg, "--actor", "ana")
    for percent in ("1", "10"):
        run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", percent, *reg,
            "--actor", "ci")
    run("rollout", "support.answer", "--env", "prod", "--abort", *reg, "--reason", "latency", "--actor", "ci")
    run("rollout", "support.answer", "--env", "prod", "--split", "2.0.0=50,2.0.1=50", *reg, "--actor", "ci")
    run("rollout", "support.answer", "--env", "prod", "--abort", *reg, "--actor", "ci")
    run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", "100", *reg,
        "--actor", "ci")
    run("rollback", "support.answer", "--env", "prod", *reg, "--reason", "bad answers — \"quoted\" and 'single'",
        "--actor", "bo")
    run("freeze", "support.answer", "--env", "prod", *reg, "--reason", "incident 42", "--actor", "bo")
    run("unfreeze", "support.answer", "--env", "prod", *reg, "--actor", "bo")
    run("promote", "sales.outreach@" + load_dir(dists["1"])["sales.outreach"].version, "--env", "staging", *reg,
        "--actor", "ana")
    with open_store(str(db)) as store:
        answer = load_dir(dists["1"])["support.answer"]
        exposures = [signals.Exposure(f"r-{i}", "prod", "support.answer", answer.hash, "stable",
                                      "2026-03-15T14:4{}Z".format(i % 3)) for i in range(6)]
        outcomes = [signals.Outcome(f"r-{i}", {"thumbs_down": float(i % 2), "latency_ms": 120.5 + i})
                    for i in range(6)]
        signals.record(store, exposures, outcomes)
        signals.append_decision(store, "r-fixture", name="support.answer", env="prod", at="2026-03-15T14:50:00Z",
                                step=10.0, verdict="pass", decision_json=json.dumps({"action": "hold"}),
                                context={"note": "fixture"})
    return db


def main(argv: list[str]) -> None:
    (out,) = argv
    with tempfile.TemporaryDirectory() as tmp:
        Path(out).write_text(dump(populate(Path(tmp))), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
