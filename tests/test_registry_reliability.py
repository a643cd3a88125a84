"""Reliability of the registry on every backend (SQLite and PostgreSQL, real ones):

- eight processes promoting, ramping, rolling back and aborting one label for ten seconds
  leave one unbroken chain with every acknowledged move in it and nothing else, and the
  label equal to its last event;
- a process killed (SIGKILL) at a random moment of `publish` or `promote` leaves the
  registry as it was before or after that command, never between;
- processes opening a new registry at once all succeed (schema creation is serialised);
- unreachable servers, refused logins, missing databases and malformed addresses raise the
  registry's own errors, naming what was wrong and never the password.

Child processes come from a forkserver: fast to start, and never sharing the parent's
database connections.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from dataclasses import replace
from typing import Optional

import pytest

from promptc.registry import ops
from promptc.registry.backends import open_store
from promptc.registry.model import (
    Event,
    LabelState,
    RegistryError,
    RegistryUnavailable,
    RegistryUsageError,
    verify_chain,
)
from promptc.runtime import spec_hash

from .helpers import compile_files
from .registry_backends import database_url, free_port

NAME = "answer"
ENV = "prod"
WORKERS = 8
CHURN_SECONDS = 10.0
#: The canary steps a ramping worker walks through, in percent.
STEPS = (1, 5, 10, 25, 50, 100)
#: Bundles per `publish` in the kill test: one transaction holds them all.
BATCH = 20
KILL_ROUNDS = 12
STATEMENT_DELAY_S = 0.001
SECRET = "pw-that-must-not-leak-3141"

PROMPT = '''---
version: 1.0.0
owner: team@example.com
purpose: Answer questions.
---
input question: str
system """
Answer briefly.
"""
user """
{{ question }}
"""
'''

CONTEXT = multiprocessing.get_context("forkserver")
# Children import these once in the forkserver instead of once each (when this module is the
# first to start the forkserver in the session).
CONTEXT.set_forkserver_preload(["promptc.registry.ops", "promptc.registry.sqlite", "psycopg", __name__])


@pytest.fixture(scope="module")
def base_bundle(tmp_path_factory) -> dict:
    """A bundle document from the compiler; `variant` derives more versions from it."""
    result = compile_files(tmp_path_factory.mktemp("project"), {"answer.prompt": PROMPT})
    assert result.ok, [d.message for d in result.diagnostics]
    return result.bundles[NAME]


def variant(base: dict, version: str) -> bytes:
    """A valid bundle of `version` whose spec (so hash) differs from every other version's."""
    document = copy.deepcopy(base)
    document["version"] = version
    document["spec"]["messages"][0]["content"][0]["text"] += f" (variant {version})"
    document["hash"] = spec_hash(document["spec"])
    return json.dumps(document).encode("utf-8")


# -- invariants -----------------------------------------------------------------------------


def check_chain(store) -> list[Event]:
    """The whole log forms one chain ending at the head, with gapless `seq`; returns it."""
    events = list(store.iter_events())
    assert verify_chain(events, store.head()) == []
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    return events


def check_label(store, name: str = NAME, env: str = ENV) -> Optional[Event]:
    """The label row equals the state its last event recorded, and points at that event."""
    last = store.events(name=name, env=env, newest_first=True, limit=1)
    label = store.label(name, env)
    if not last:
        assert label is None
        return None
    assert label == last[0].state()
    assert [tuple(r) for r in store._query("SELECT seq FROM labels WHERE name = ? AND env = ?", (name, env))] \
        == [(last[0].seq,)]
    return last[0]


def check_transitions(events: list[Event], name: str = NAME, env: str = ENV) -> None:
    """Each move of the label was computed from the state the move before it left: no writer
    worked from a stale state (a lost update would break one of these)."""
    previous: Optional[LabelState] = None
    for event in (e for e in events if e.name == name and e.env == env):
        state = event.state()
        stable = previous.stable.hash if previous and previous.stable else None
        if event.kind in ("promote", "rollout", "rollout-complete"):
            assert event.old_hash == stable, event
        if event.kind == "rollout":
            assert (state.stable, state.prior) == (previous.stable, previous.prior), event
            if previous.rollout is not None and previous.rollout.id == state.rollout.id:
                assert state.rollout.salt == previous.rollout.salt  # ramping keeps assignment sticky
        elif event.kind == "rollout-abort" or (event.kind == "rollback" and previous.rollout is not None):
            assert state == replace(previous, rollout=None), event
        elif event.kind == "rollback":
            assert (state.stable, state.prior) == (previous.prior[0], previous.prior[1:]), event
        elif event.kind == "rollout-complete":
            assert state.rollout is None and state.stable.hash == event.new_hash, event
        previous = state


# -- eight writers at once ------------------------------------------------------------------


def _promote(store, rng, actor, versions):
    return ops.promote(store, NAME, rng.choice(versions), ENV, actor)


def _ramp(store, rng, actor, versions):
    """Ramp the canary in flight one step, or start one at the first step."""
    state = store.label(NAME, ENV)
    current = state.rollout if state else None
    if current is not None and current.kind == "canary" and current.status == "active":
        candidate = current.arm("candidate").version
        percent = next((p for p in STEPS if p > current.step), STEPS[-1])
    else:
        stable = state.stable.version if state and state.stable else None
        candidate = rng.choice([v for v in versions if v != stable])
        percent = STEPS[0]
    return ops.rollout(store, NAME, ENV, candidate, percent * 100, actor)


def _rollback(store, rng, actor, versions):
    return ops.rollback(store, NAME, ENV, actor)


def _abort(store, rng, actor, versions):
    return ops.abort(store, NAME, ENV, actor)


ACTIONS = {"promote": (_promote, 2), "ramp": (_ramp, 4), "rollback": (_rollback, 2), "abort": (_abort, 1)}


def churn(url: str, worker: int, versions: list[str], seconds: float, barrier, results) -> None:
    """One writer: random release moves for `seconds`, reporting every acknowledged event.
    Refusals (a rollout already in flight, nothing to roll back…) are the registry doing its
    job; anything else is a failure."""
    actor = f"worker-{worker}"
    rng = random.Random(worker)
    ok: list[tuple[int, str, str]] = []
    refused: Counter = Counter()
    failures: list[str] = []
    try:
        store = open_store(url)
        barrier.wait(60)
    except Exception as exc:  # report instead of leaving the parent waiting
        barrier.abort()
        results.put({"worker": worker, "ok": [], "refused": {}, "failures": [f"start: {exc!r}"]})
        return
    end = time.monotonic() + seconds
    names = list(ACTIONS)
    weights = [ACTIONS[n][1] for n in names]
    while time.monotonic() < end:
        action = rng.choices(names, weights)[0]
        try:
            event = ACTIONS[action][0](store, rng, actor, versions)
        except RegistryUnavailable as exc:
            failures.append(f"{action}: {exc}")
        except RegistryError:
            refused[action] += 1
        except Exception as exc:  # a bug: report it rather than die silently
            failures.append(f"{action}: {exc!r}")
        else:
            ok.append((event.seq, event.hash, actor))
    store.close()
    results.put({"worker": worker, "ok": ok, "refused": dict(refused), "failures": failures[:20]})


def test_concurrent_writers_keep_one_chain(registry_url, base_bundle):
    versions = ["1.0.0", "1.1.0", "1.2.0"]
    with open_store(registry_url) as store:
        ops.publish(store, [(v, variant(base_bundle, v)) for v in versions], "setup")
        ops.promote(store, NAME, versions[0], ENV, "setup")
        before = store.head()[0]

    barrier = CONTEXT.Barrier(WORKERS)
    results = CONTEXT.Queue()
    workers = [CONTEXT.Process(target=churn, args=(registry_url, i, versions, CHURN_SECONDS, barrier, results))
               for i in range(WORKERS)]
    for process in workers:
        process.start()
    try:
        reports = [results.get(timeout=CHURN_SECONDS + 90) for _ in workers]
    finally:
        for process in workers:
            process.join(30)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in workers] == [0] * WORKERS

    failures = [f for r in reports for f in r["failures"]]
    assert failures == []
    acknowledged = sorted(item for r in reports for item in r["ok"])
    refused = sum(sum(r["refused"].values()) for r in reports)
    assert len(acknowledged) >= 50, f"only {len(acknowledged)} moves succeeded ({refused} refused)"

    with open_store(registry_url, readonly=True) as store:
        events = check_chain(store)
        # No event lost, none invented: the log after setup is exactly what the workers were told.
        assert [(e.seq, e.hash, e.actor) for e in events if e.seq > before] == acknowledged
        check_label(store)
        check_transitions(events)
        kinds = Counter(e.kind for e in events if e.seq > before)
    assert {"promote", "rollout", "rollback"} <= set(kinds), kinds


# -- killed in the middle -------------------------------------------------------------------


def slow_store(url: str):
    """A store whose every statement takes a millisecond longer, as over a slow disk or
    network. Checking the bundles before `publish` opens its transaction costs more than the
    transaction's own statements on a local database, so without this most random kills
    would land outside it; the backend's statements and transactions are unchanged."""
    store = open_store(url)
    execute = store._execute

    def slowed(sql: str, params: tuple = ()):
        result = execute(sql, params)
        time.sleep(STATEMENT_DELAY_S)
        return result

    store._execute = slowed
    return store


def publish_until_killed(url: str, base: dict, round_: int, conn) -> None:
    """Publish batches of BATCH new bundles (one transaction each) until killed, reporting
    each batch once it is committed."""
    store = slow_store(url)
    conn.send("ready")
    batch = 0
    while True:
        documents = [(f"{round_}.{batch}.{i}", variant(base, f"{round_}.{batch}.{i}")) for i in range(BATCH)]
        ops.publish(store, documents, "publisher")
        conn.send(batch)
        batch += 1


def promote_until_killed(url: str, versions: list[str], conn) -> None:
    """Move the label back and forth between two versions until killed, reporting each
    committed event."""
    store = slow_store(url)
    conn.send("ready")
    while True:
        serving = store.label(NAME, ENV).stable.version
        target = versions[1] if serving == versions[0] else versions[0]
        conn.send(ops.promote(store, NAME, target, ENV, "promoter").seq)


def kill_at_random(target, args: tuple, delay: float) -> list:
    """Run `target(*args, conn)` in a child, SIGKILL it `delay` seconds after it is ready,
    and return what it reported before dying."""
    receiver, sender = CONTEXT.Pipe(duplex=False)
    process = CONTEXT.Process(target=target, args=(*args, sender))
    process.start()
    sender.close()
    try:
        assert receiver.poll(60) and receiver.recv() == "ready"
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.join(30)
        assert process.exitcode == -signal.SIGKILL, "the child ended before it was killed"
        reported = []
        while receiver.poll():
            try:
                reported.append(receiver.recv())
            except EOFError:
                break
        return reported
    finally:
        if process.is_alive():
            process.kill()
        receiver.close()


def test_killed_publish_is_all_or_nothing(registry_url, base_bundle):
    rng = random.Random(6)
    progressed = 0
    for round_ in range(KILL_ROUNDS):
        reported = kill_at_random(publish_until_killed, (registry_url, base_bundle, round_), rng.uniform(0.0, 0.9))
        assert reported == list(range(len(reported)))
        with open_store(registry_url, readonly=True) as store:
            events = check_chain(store)
            batches = Counter(v.rsplit(".", 1)[0] for v, _, _ in store.versions(NAME) if v.startswith(f"{round_}."))
            # Whole batches only: the reported ones, and at most the one in flight (committed
            # before its report was sent).
            assert set(batches.values()) <= {BATCH}, batches
            present = sorted(int(b.split(".")[1]) for b in batches)
            assert present in (list(range(len(reported))), list(range(len(reported) + 1))), (present, reported)
            progressed += bool(present)
            # Every stored bundle has exactly one publish event, appended in its batch's transaction.
            publish_events = [e for e in events if e.kind == "publish"]
            assert sorted((e.data["version"], e.new_hash) for e in publish_events) == \
                sorted((v, h) for v, h, _ in store.versions(NAME))
            for batch in present:
                seqs = [e.seq for e in publish_events if e.data["version"].startswith(f"{round_}.{batch}.")]
                assert seqs == list(range(seqs[0], seqs[0] + BATCH))
    # Not every kill came before the first commit: the kills spread over the publishing.
    assert progressed >= 1


def test_killed_promote_is_all_or_nothing(registry_url, base_bundle):
    versions = ["1.0.0", "2.0.0"]
    with open_store(registry_url) as store:
        ops.publish(store, [(v, variant(base_bundle, v)) for v in versions], "setup")
        ops.promote(store, NAME, versions[0], ENV, "setup")
    rng = random.Random(7)
    for _ in range(KILL_ROUNDS):
        with open_store(registry_url, readonly=True) as store:
            before = store.head()[0]
        reported = kill_at_random(promote_until_killed, (registry_url, versions), rng.uniform(0.0, 0.3))
        with open_store(registry_url, readonly=True) as store:
            events = check_chain(store)
            last = check_label(store)
            assert reported == list(range(before + 1, before + 1 + len(reported)))
            # Every reported move is there, plus at most the one committed as the child died.
            assert last.seq - before in (len(reported), len(reported) + 1)
            assert store.head() == (last.seq, last.hash)
            check_transitions(events)


# -- opening a new registry from several processes at once ----------------------------------


def open_and_publish(url: str, base: dict, index: int, barrier, results) -> None:
    try:
        barrier.wait(60)
        with open_store(url) as store:
            ops.publish(store, [(f"o{index}", variant(base, f"5.0.{index}"))], f"opener-{index}")
        results.put((index, "ok"))
    except Exception as exc:
        results.put((index, repr(exc)))


def test_processes_creating_the_registry_at_once(registry_url, base_bundle):
    count = 6
    barrier = CONTEXT.Barrier(count)
    results = CONTEXT.Queue()
    processes = [CONTEXT.Process(target=open_and_publish, args=(registry_url, base_bundle, i, barrier, results))
                 for i in range(count)]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=90) for _ in processes)
    for process in processes:
        process.join(30)
    assert outcomes == [(i, "ok") for i in range(count)]
    with open_store(registry_url, readonly=True) as store:
        assert len(check_chain(store)) == count
        assert sorted(v for v, _, _ in store.versions(NAME)) == [f"5.0.{i}" for i in range(count)]


# -- errors a user can act on ---------------------------------------------------------------


def test_reading_an_empty_registry_says_nothing_was_published(registry_url):
    with pytest.raises(RegistryUnavailable, match="nothing has been published"):
        open_store(registry_url, readonly=True)


def test_unreachable_postgres_names_host_and_database():
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable) as error:
        open_store(f"postgresql://promptc:{SECRET}@127.0.0.1:{port}/registry")
    message = str(error.value)
    assert f"127.0.0.1:{port}" in message and '"registry"' in message and "refused" in message
    assert SECRET not in message
    assert time.monotonic() - started < 5


def test_silent_postgres_times_out_quickly():
    """A server that accepts the connection but never answers (a hung host, a black-holing
    firewall) is reported within the connect timeout instead of hanging the command."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(RegistryUnavailable) as error:
            open_store(f"postgresql://promptc:{SECRET}@127.0.0.1:{port}/registry")
        elapsed = time.monotonic() - started
    message = str(error.value)
    assert f"127.0.0.1:{port}" in message and "did not answer within 5 s" in message and SECRET not in message
    assert 4 <= elapsed < 15


def _login_url(admin_url: str, user: str, password: str, dbname: str) -> str:
    from psycopg.conninfo import make_conninfo

    return database_url(make_conninfo(admin_url, user=user, password=password), dbname)


def test_refused_login_names_the_user_not_the_password(postgres_admin_url):
    url = _login_url(postgres_admin_url, "promptc_nobody", SECRET, "postgres")
    with pytest.raises(RegistryUnavailable) as error:
        open_store(url)
    message = str(error.value)
    assert "cannot log in" in message and '"promptc_nobody"' in message and '"postgres"' in message
    assert SECRET not in message


def test_missing_database_is_named(postgres_admin_url):
    from psycopg.conninfo import conninfo_to_dict

    url = database_url(postgres_admin_url, "promptc_no_such_db")
    with pytest.raises(RegistryUnavailable) as error:
        open_store(url)
    message = str(error.value)
    assert '"promptc_no_such_db"' in message and "does not exist" in message
    password = conninfo_to_dict(postgres_admin_url).get("password")
    assert not password or password not in message


@pytest.mark.parametrize(("url", "fragment"), [
    (f"postgresql://u:{SECRET}@[::1/registry", "IPv6"),
    (f"postgresql://u:{SECRET}@db.example:fivefourthreetwo/registry", "`fivefourthreetwo`"),
    (f"postgresql://u:{SECRET}@127.0.0.1:70000/registry", "`70000`"),
    (f"postgresql://u:{SECRET}@127.0.0.1/registry?colour=blue", '"colour"'),
    (f"postgresql://u@127.0.0.1:1/registry?password={SECRET}&sslmode=sometimes", "sslmode"),
    ("sqlite://relative/registry.db", "three slashes"),
    ("ftp://example.com/registry", "unknown registry scheme `ftp`"),
    ("oci://localhost:5000/prompts", "OCI registry"),
])
def test_malformed_addresses_are_usage_errors(url, fragment):
    with pytest.raises(RegistryUsageError) as error:
        open_store(url)
    message = str(error.value)
    assert fragment in message
    assert SECRET not in message
