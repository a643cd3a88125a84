"""The release lifecycle end to end, once per registry backend (issue: releases, acceptance).

build → publish → promote to staging → canary 1 % → 10 % → 50 % → 100 % in prod (a bad
release) → one-command rollback → `history --at` during the canary → `verify` → `audit
verify` after tampering. Everything goes through the command line, as an operator would.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from promptc.registry.backends import open_store
from promptc.runtime import load_dir
from promptc.runtime.client import Client

from .helpers import example_releases, run_cli


run = run_cli


@pytest.fixture
def releases(tmp_path):
    return example_releases(tmp_path)


def test_release_lifecycle(registry_url, releases, tmp_path, monkeypatch):
    project, dists = releases
    monkeypatch.setenv("PROMPTC_ACTOR", "ana@ledgerly.example")
    reg = ["--registry", registry_url, "--project", str(project)]
    v1 = load_dir(dists["1"])["support.answer"]
    v2 = load_dir(dists["2"])["support.answer"]
    assert (v1.version, v2.version) == ("2.0.0", "2.0.1") and v1.hash != v2.hash

    published = json.loads(run("publish", str(dists["1"]), *reg, "--json"))
    assert {(p["name"], p["new"]) for p in published} == {("support.answer", True), ("sales.outreach", True)}
    run("publish", str(dists["2"]), *reg)
    again = json.loads(run("publish", str(dists["2"]), *reg, "--json"))
    assert not any(p["new"] for p in again), "publishing twice stores nothing new"

    run("promote", "support.answer@2.0.0", "--env", "staging", *reg, "--reason", "first release")
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run("promote", "support.answer@2.0.1", "--env", "staging", *reg)

    canary_events = {}
    for percent in ("1", "10", "50"):
        out = run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", percent, *reg,
                  "--json")
        canary_events[percent] = json.loads(out)
    rollout_id = canary_events["1"]["data"]["rollout"]
    assert {e["data"]["rollout"] for e in canary_events.values()} == {rollout_id}, "ramping keeps the rollout"

    status = json.loads(run("status", "--env", "prod", *reg, "--json"))
    (answer,) = [row for row in status if row["name"] == "support.answer"]
    assert answer["version"] == "2.0.0"
    assert {a["variant"]: a["weight"] for a in answer["serving"]} == {"stable": 5000, "candidate": 5000}

    # The client buckets keys stickily: everyone in the 10 % stays in at 50 %.
    store = open_store(registry_url)
    client = Client(store, "prod", ttl=0)
    at_50 = {k: client.resolve("support.answer", key=f"user-{k}")[1]["variant"] for k in range(2000)}
    share = Counter(at_50.values())["candidate"] / len(at_50)
    assert 0.45 < share < 0.55

    # The bad release: 100 % moves the label, then one command rolls it back.
    done = json.loads(run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", "100",
                          *reg, "--json"))
    assert done["kind"] == "rollout-complete" and done["new_hash"] == v2.hash
    assert client.resolve("support.answer", key="user-1")[1]["hash"] == v2.hash
    rolled = json.loads(run("rollback", "support.answer", "--env", "prod", *reg, "--reason", "bad answers",
                            "--json"))
    assert (rolled["kind"], rolled["old_hash"], rolled["new_hash"]) == ("rollback", v2.hash, v1.hash)
    assert rolled["actor"] == "ana@ledgerly.example" and rolled["reason"] == "bad answers"
    assert {client.resolve("support.answer", key=f"user-{k}")[1]["hash"] for k in range(200)} == {v1.hash}

    # What was live during the canary, at the instant of the 10 % step.
    at = canary_events["10"]["at"]
    live = json.loads(run("history", "support.answer", "--env", "prod", "--at", at, *reg, "--json"))
    assert {a["version"]: a["weight"] for a in live["live"]["serving"]} == {"2.0.0": 9000, "2.0.1": 1000}
    text = run("history", "support.answer", "--env", "prod", "--at", at, *reg)
    assert "90 % (stable)" in text and "10 % (candidate)" in text and "promptc show" in text
    shown = run("show", v2.hash, *reg)
    assert "support.answer@2.0.1" in shown and "Ledgerly's voice, always:" in shown
    before = run("history", "support.answer", "--env", "prod", "--at", "2000-01-01T00:00:00Z", *reg, expect=1)
    assert "Nothing of support.answer was live" in before
    moves = json.loads(run("history", "support.answer", "--env", "prod", *reg, "--json"))
    assert [e["kind"] for e in moves] == ["promote", "rollout", "rollout", "rollout", "rollout-complete", "rollback"]

    # Drift: the lock records release 2; prod serves release 1 after the rollback.
    drift = json.loads(run("verify", "--env", "prod", *reg, "--json", expect=1))
    kinds = {(i["name"], i["kind"]) for i in drift["items"]}
    assert ("support.answer", "differs") in kinds and ("sales.outreach", "not-deployed") in kinds
    run("promote", "support.answer@2.0.1", "--env", "prod", *reg)
    run("promote", "sales.outreach@0.4.1", "--env", "prod", *reg)
    assert "No drift" in run("verify", "--env", "prod", *reg)
    deployed = tmp_path / "deployed"
    shutil.copytree(dists["1"], deployed)
    drift = json.loads(run("verify", "--env", "prod", "--dir", str(deployed), *reg, "--json", expect=1))
    assert {i["kind"] for i in drift["items"]} == {"file-differs"}

    # The audit log verifies, and any tampering is found.
    assert "intact" in run("audit", "verify", *reg)
    store._execute("UPDATE events SET reason = ? WHERE kind = ?", ("nothing to see", "rollback"))
    report = json.loads(run("audit", "verify", *reg, "--json", expect=1))
    assert report["problems"] and "edited" in report["problems"][0]["message"]
    store.close()


def test_frozen_label_refuses_moves_but_not_rollback(registry_url, releases):
    project, dists = releases
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    run("publish", str(dists["2"]), *reg)
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run("promote", "support.answer@2.0.1", "--env", "prod", *reg)
    run("freeze", "support.answer", "--env", "prod", *reg, "--reason", "incident 42")
    refused = run("promote", "support.answer@2.0.0", "--env", "prod", *reg, expect=1)
    assert "frozen" in refused and "unfreeze" in refused
    run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.0", "--percent", "5", *reg, expect=1)
    rolled = json.loads(run("rollback", "support.answer", "--env", "prod", *reg, "--json"))
    assert rolled["data"]["state"]["stable"]["version"] == "2.0.0" and rolled["data"]["state"]["frozen"]
    run("unfreeze", "support.answer", "--env", "prod", *reg)
    run("rollback", "support.answer", "--env", "prod", *reg, expect=1)  # nothing older than 2.0.0


def test_split_and_abort(registry_url, releases):
    project, dists = releases
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    run("publish", str(dists["2"]), *reg)
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run("rollout", "support.answer", "--env", "prod", "--split", "2.0.0=30,2.0.1=70", *reg)
    run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", "5", *reg, expect=1)
    store = open_store(registry_url)
    client = Client(store, "prod", ttl=0)
    variants = Counter(client.resolve("support.answer", key=str(k))[1]["variant"] for k in range(3000))
    assert set(variants) == {"2.0.0", "2.0.1"} and 0.65 < variants["2.0.1"] / 3000 < 0.75
    run("rollout", "support.answer", "--env", "prod", "--abort", *reg)
    assert {client.resolve("support.answer", key=str(k))[1]["version"] for k in range(100)} == {"2.0.0"}
    store.close()


@pytest.mark.parametrize("args, code, words", [
    (["promote", "support.answer@9.9.9", "--env", "prod"], 1, "has no version 9.9.9"),
    (["promote", "support.answr@2.0.0", "--env", "prod"], 1, "did you mean `support.answer`"),
    (["promote", "support.answer", "--env", "prod"], 2, "NAME@VERSION"),
    (["promote", "support.answer@2.0.0", "--env", "pr od"], 2, "not an environment name"),
    (["rollout", "support.answer", "--env", "prod", "--candidate", "2.0.0", "--percent", "abc"], 2, "not a number"),
    (["rollout", "support.answer", "--env", "prod", "--candidate", "2.0.0", "--percent", "150"], 2, "at most 100"),
    (["rollout", "support.answer", "--env", "prod", "--split", "2.0.0"], 2, "VERSION=WEIGHT"),
    (["history", "support.answer", "--env", "prod", "--at", "yesterday"], 2, "ISO 8601"),
    (["show", "zz"], 2, "neither NAME@VERSION nor a bundle hash"),
    (["show", "sha256:" + "ab" * 32], 1, "no bundle with hash"),
])
def test_clear_errors(tmp_path, releases, args, code, words):
    project, dists = releases
    reg = ["--registry", str(tmp_path / "r.db"), "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    out = run(*args, *reg, expect=code)
    assert words in out


@pytest.mark.parametrize("url, code, words", [
    ("foo://x", 2, "unknown registry scheme"),
    ("sqlite://relative.db", 2, "three slashes"),
    ("oci://127.0.0.1:1/prompts", 2, "OCI registry"),
])
def test_bad_registry_addresses(tmp_path, url, code, words):
    out = run("status", "--registry", url, "--project", str(tmp_path), expect=code)
    assert words in out


def test_identify_names_the_version_that_renders_a_text(tmp_path, releases):
    project, dists = releases
    reg = ["--registry", str(tmp_path / "r.db"), "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    run("publish", str(dists["2"]), *reg)
    run("promote", "support.answer@2.0.1", "--env", "prod", *reg)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    rendered = load_dir(dists["2"])["support.answer"].render(inputs)
    observed = tmp_path / "observed.txt"
    observed.write_text("\n" + rendered.messages[0].content.strip() + "\n\n")  # as a log trims and pads it
    found = json.loads(run("identify", str(observed), *reg, "--json"))
    assert [(m["name"], m["version"], m["live_in"]) for m in found["matches"]] == [
        ("support.answer", "2.0.1", ["prod"])]
    edited = rendered.messages[0].content.replace("# Policies", "# Our policies")
    observed.write_text(edited)
    nearest = json.loads(run("identify", str(observed), *reg, "--json", expect=1))
    assert not nearest["matches"]
    assert nearest["nearest"]["version"] == "2.0.1" and "+# Our policies" in nearest["nearest"]["diff"]


def test_unknown_environment_is_named(tmp_path, releases):
    project, dists = releases
    reg = ["--registry", str(tmp_path / "r.db"), "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    for args in (["status", "--env", "prdo"], ["rollback", "support.answer", "--env", "prdo"],
                 ["history", "support.answer", "--env", "prdo"], ["verify", "--env", "prdo"],
                 ["freeze", "support.answer", "--env", "prdo"]):
        out = run(*args, *reg, expect=1)
        assert "no environment `prdo`" in out and "did you mean `prod`" in out, (args, out)
    out = run("rollout", "sales.outreach", "--env", "prod", "--candidate", "0.4.0", "--percent", "5", *reg, expect=1)
    assert "sales.outreach has never been released in prod" in out


def test_release_lifecycle_distributed_over_oci(releases, tmp_path, oci_registry):
    """The same lifecycle with bundles distributed through a real OCI registry: after each
    label move `push --env` re-tags the environment, and what a deployment pulls follows."""
    import uuid

    project, dists = releases
    reg = ["--registry", str(tmp_path / "labels.db"), "--project", str(project)]
    dest = f"{oci_registry.url}/t{uuid.uuid4().hex[:12]}/prompts"
    v1, v2 = (load_dir(dists[k])["support.answer"] for k in ("1", "2"))

    def pulled(env: str) -> dict[str, set[str]]:
        out = tmp_path / f"pull-{uuid.uuid4().hex[:6]}"
        run("pull", f"{dest}:{env}", "--out", str(out))
        found: dict[str, set[str]] = {}
        for bundle in (json.loads(p.read_text()) for p in out.glob("*.json")):
            found.setdefault(bundle["name"], set()).add(bundle["version"])
        return found

    run("publish", str(dists["1"]), *reg)
    run("publish", str(dists["2"]), *reg)
    run("push", str(dists["1"]), str(dists["2"]), dest)
    run("promote", "support.answer@2.0.0", "--env", "staging", *reg)
    run("push", "--env", "staging", *reg[:2], dest)
    assert pulled("staging") == {"support.answer": {"2.0.0"}}
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)
    run("promote", "sales.outreach@0.4.0", "--env", "prod", *reg)
    for percent in ("1", "10", "50"):
        run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", percent, *reg)
        run("push", "--env", "prod", *reg[:2], dest)
        assert pulled("prod")["support.answer"] == {"2.0.0", "2.0.1"}, "a canary ships both arms"
    run("rollout", "support.answer", "--env", "prod", "--candidate", "2.0.1", "--percent", "100", *reg)
    run("push", "--env", "prod", *reg[:2], dest)
    assert pulled("prod")["support.answer"] == {"2.0.1"}
    run("rollback", "support.answer", "--env", "prod", *reg)
    run("push", "--env", "prod", *reg[:2], dest)
    deployed = tmp_path / "deployed"
    run("pull", f"{dest}:prod", "--out", str(deployed))
    assert {load_dir(deployed)["support.answer"].hash} == {v1.hash} != {v2.hash}
    # The lock (release 2) against what prod's deployment pulled (release 1 after the rollback).
    drift = json.loads(run("verify", "--env", "prod", "--dir", str(deployed), *reg, "--json", expect=1))
    assert ("support.answer", "file-differs") in {(i["name"], i["kind"]) for i in drift["items"]}


@pytest.mark.parametrize("tamper, words", [
    (["UPDATE events SET data = REPLACE(data, '2.0.0', '2.0.1') WHERE seq = 4"], "was edited"),
    (["UPDATE events SET actor = 'mallory' WHERE seq = 3"], "was edited"),
    (["DELETE FROM events WHERE seq = 3"], "removed or reordered"),
    (["UPDATE events SET seq = -1 WHERE seq = 3", "UPDATE events SET seq = 3 WHERE seq = 4",
      "UPDATE events SET seq = 4 WHERE seq = -1"], "reordered"),
    (["DELETE FROM events WHERE seq = 5"], "removed from the end"),
])
def test_audit_verify_finds_each_kind_of_tampering(registry_url, releases, tamper, words):
    project, dists = releases
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)  # events 1-2
    run("promote", "support.answer@2.0.0", "--env", "staging", *reg)  # 3
    run("promote", "support.answer@2.0.0", "--env", "prod", *reg)  # 4
    run("freeze", "support.answer", "--env", "prod", *reg)  # 5
    assert json.loads(run("audit", "verify", *reg, "--json"))["ok"]
    with open_store(registry_url) as store:
        for statement in tamper:
            store._execute(statement)
    report = json.loads(run("audit", "verify", *reg, "--json", expect=1))
    assert any(words in p["message"] for p in report["problems"]), report


def test_only_publish_creates_the_default_registry(tmp_path, releases):
    project, dists = releases
    default = project / ".promptc" / "registry.db"
    for args in (["status"], ["promote", "support.answer@2.0.0", "--env", "prod"], ["guard", "check"],
                 ["audit", "verify"]):
        out = run(*args, "--project", str(project), expect=1)
        assert "nothing has been published yet" in out and not default.exists(), args
    run("publish", str(dists["2"]), "--project", str(project))
    assert default.is_file()
    run("promote", "support.answer@2.0.1", "--env", "prod", "--project", str(project))
