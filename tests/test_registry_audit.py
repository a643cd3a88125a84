"""The audit covers what is served: `audit verify` recomputes every label from the log and
names the one that differs, `status` flags it, `audit checkpoint`/`verify --against` catch
a log rewritten and re-sealed or cut back, and out-of-range instants are clean errors."""

from __future__ import annotations

import json

import pytest

from promptc.registry.backends import open_store

from .helpers import example_releases, run_cli
from .registry_backends import registry_url  # noqa: F401  (fixture)

run = run_cli


@pytest.fixture
def released(tmp_path, registry_url):  # noqa: F811
    project, dists = example_releases(tmp_path)
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)  # events 1-2
    run("publish", str(dists["2"]), *reg)  # 3-4
    run("promote", "support.answer@2.0.0", "--env", "staging", *reg)  # 5
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)  # 6
    run("freeze", "support.answer", "--env", "prod", *reg)  # 7
    assert json.loads(run("audit", "verify", *reg, "--json"))["ok"]
    return reg, registry_url, tmp_path


@pytest.mark.parametrize("tamper, served", [
    ("""UPDATE labels SET state = REPLACE(state, '"frozen": true', '"frozen": false') WHERE env = 'prod'""",
     "serves 2.0.0"),
    ("UPDATE labels SET state = REPLACE(state, '2.0.0', '2.0.1') WHERE env = 'prod'", "serves 2.0.1"),
    ("DELETE FROM labels WHERE env = 'staging'", "the registry serves nothing for it"),
])
def test_a_label_changed_behind_the_log_is_named(released, tamper, served):
    reg, url, _ = released
    with open_store(url) as store:
        store._execute(tamper)
    report = json.loads(run("audit", "verify", *reg, "--json", expect=1))
    (problem,) = report["labels"]
    assert "label support.answer in " in problem["message"] and served in problem["message"], problem
    assert "behind the log's back" in problem["message"] or "serves nothing" in problem["message"]
    text = run("audit", "verify", *reg, expect=1)
    assert "label support.answer in" in text
    if "DELETE" not in tamper:
        rows = json.loads(run("status", *reg, "--json"))
        assert {r["env"]: r["audited"] for r in rows} == {"prod": False, "staging": True}
        assert "NOT IN THE AUDIT LOG" in run("status", *reg)


def _reseal_from(store, seq: int, edit) -> None:
    """What an attacker with write access does: edit event `seq`, then recompute every hash
    after it and the head, so the chain verifies again."""
    events = list(store.iter_events())
    prev = events[seq - 2].hash if seq > 1 else "sha256:" + "0" * 64
    for event in events[seq - 1:]:
        if event.seq == seq:
            event = edit(event)
        from dataclasses import replace

        event = replace(event, prev=prev, data_text="").sealed()
        store._execute("UPDATE events SET actor = ?, reason = ?, data = ?, prev = ?, hash = ? WHERE seq = ?",
                       (event.actor, event.reason, event.data_text, event.prev, event.hash, event.seq))
        prev = event.hash
    store._execute("UPDATE head SET hash = ? WHERE id = 1", (prev,))


def test_a_checkpoint_catches_a_resealed_rewrite_and_a_cut_tail(released):
    reg, url, tmp_path = released
    checkpoint = tmp_path / "kept-elsewhere" / "head.json"
    run("audit", "checkpoint", str(checkpoint), *reg)
    record = json.loads(checkpoint.read_text())
    assert record["format"] == "promptc.audit-checkpoint/v1" and record["seq"] == 7
    assert "checkpoint #7 matches" in run("audit", "verify", "--against", str(checkpoint), *reg)

    from dataclasses import replace

    with open_store(url) as store:
        _reseal_from(store, 3, lambda e: replace(e, actor="mallory"))
    assert json.loads(run("audit", "verify", *reg, "--json"))["ok"], "an unkeyed chain cannot see a re-seal"
    report = json.loads(run("audit", "verify", "--against", str(checkpoint), *reg, "--json", expect=1))
    assert any("rewritten (and re-sealed)" in p["message"] for p in report["problems"]), report

    with open_store(url) as store:
        store._execute("DELETE FROM events WHERE seq = 7")
        six = list(store.iter_events())[-1]
        store._execute("UPDATE head SET seq = 6, hash = ? WHERE id = 1", (six.hash,))
    report = json.loads(run("audit", "verify", "--against", str(checkpoint), *reg, "--json", expect=1))
    assert any("deleted from the end" in p["message"] for p in report["problems"]), report


def test_a_checkpoint_file_that_is_not_one_is_a_usage_error(released):
    reg, _, tmp_path = released
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    assert "is not a promptc.audit-checkpoint/v1 file" in run("audit", "verify", "--against", str(bogus), *reg,
                                                              expect=2)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_out_of_range_instants_are_refused_cleanly(released, at):
    reg, _, tmp_path = released
    out = run("history", "support.answer", "--env", "prod", "--at", at, *reg, expect=2)
    assert "outside the times promptc can store" in out
    lines = tmp_path / "outcomes.jsonl"
    for value in (at, 1e20):
        lines.write_text(json.dumps({"response_id": "r1", "rating": 1, "name": "support.answer", "env": "prod",
                                     "hash": "sha256:" + "a" * 64, "variant": "stable", "at": value}) + "\n")
        out = run("signals", "ingest", str(lines), *reg, expect=1)
        assert "outside the times promptc can store" in out, out
