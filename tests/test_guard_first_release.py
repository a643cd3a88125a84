"""A brand-new prompt released by a guarded first-release canary, on every registry backend.

With no stable version to compare with or fall back on, the canary's other share is `off`:
keys bucketed there are not served (the client raises NotServed and the caller keeps its
path without the prompt), and the guard runs the one-sample test against a configured base
rate. A bad first release is frozen and then serves nothing at all; a healthy one advances
through the steps, only past the one-sample minimum exposure, and its completion makes the
candidate the first stable version.

Windows are closed UTC minutes, so evaluations run a few minutes ahead of the wall clock
(`--now`, or `now=` of the Python API) instead of waiting for minutes to end.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests.needs import missing

from promptc.guard import rollouts
from promptc.guard.config import GuardConfig
from promptc.registry import ops, signals
from promptc.registry.backends import open_store
from promptc.registry.model import RegistryError, format_time
from promptc.runtime import NotServed, PromptcRuntimeError, load_dir
from promptc.runtime.bucketing import choose
from promptc.runtime.client import Client

from .helpers import example_releases, run_cli

NAME = "support.answer"
GOOD = json.dumps({"answer": "Refunded the second charge.", "citations": [], "escalate": False})


run = run_cli


def later(at: str, minutes: float) -> str:
    moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) + dt.timedelta(minutes=minutes)
    return format_time(moment)


@pytest.fixture
def published(tmp_path, registry_url, monkeypatch):
    """The example's bundles published; nothing released anywhere yet."""
    monkeypatch.setenv("PROMPTC_ACTOR", "ana@ledgerly.example")
    project, dists = example_releases(tmp_path)
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    return {"url": registry_url, "reg": reg, "project": project, "inputs": inputs,
            "bundle": load_dir(dists["1"])[NAME], "tmp": tmp_path}


def serve(client: Client, inputs: dict, keys: list[str]) -> tuple[dict, dict]:
    """Render for every key: the traces served and the NotServed traces, by key."""
    served, off = {}, {}
    for key in keys:
        try:
            served[key] = client.render(NAME, inputs, key=key).trace
        except NotServed as exc:
            off[key] = exc.trace
    return served, off


def test_a_first_release_needs_a_base_rate_per_guarded_metric(published):
    env = published
    reg = env["reg"]
    refused = run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10", *reg, expect=1)
    assert "first-release canary" in refused and "no base rate for `error`" in refused
    assert "[guard.metric.error]" in refused and "--base-rate error=0.02" in refused
    refused = run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10", "--guard",
                  "error,latency", "--base-rate", "error=0.02", "--base-rate", "latency=0.1", *reg, expect=1)
    assert "no cut-off for `latency`" in refused and "no base rate" not in refused
    assert "a fraction" in run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10",
                               "--base-rate", "error=2", *reg, expect=2)
    assert "unknown guarded metric `eror`" in run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0",
                                                  "--percent", "10", "--base-rate", "eror=0.1", *reg, expect=2)
    with open_store(env["url"]) as store:
        assert store.label(NAME, "prod") is None, "nothing was started"
    # With a configured base rate the same command starts it.
    with (env["project"] / "promptc.toml").open("a") as f:
        f.write('\n[guard.metric.error]\nbase_rate = 0.03\n')
    started = json.loads(run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10", *reg,
                             "--json"))
    assert started["data"]["guard"]["metric"] == {"error": {"base_rate": 0.03}}
    assert started["old_hash"] is None and started["reason"] == f"first release of {NAME}@2.0.0 at 10 %"
    assert "already guarded" in run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "20",
                                    "--base-rate", "error=0.1", *reg, expect=2)


def test_a_bad_first_release_is_frozen_and_then_serves_nothing(published):
    env = published
    reg = env["reg"]
    started = json.loads(run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10",
                             "--guard", "error", "--base-rate", "error=0.02", *reg, "--json"))
    rollout_id = started["data"]["rollout"]
    assert started["data"]["guard"]["metric"] == {"error": {"base_rate": 0.02}}
    with open_store(env["url"]) as store:
        state = store.label(NAME, "prod")
    assert state.stable is None and state.rollout.first_release
    assert [(a.variant, a.version, a.hash, a.weight) for a in state.rollout.arms] == [
        ("off", None, None, 9000), ("candidate", "2.0.0", env["bundle"].hash, 1000)]
    status = run("status", "--env", "prod", *reg)
    assert "not served" in status and "first-release canary 2.0.0 at 10 %" in status

    client = Client(env["url"], "prod", ttl=60)
    keys = [f"user-{i}" for i in range(1000)]
    served, off = serve(client, env["inputs"], keys)
    assert 60 < len(served) < 140, len(served)
    weights = [a.weight for a in state.rollout.arms]
    for key in keys:  # exactly the published bucketing function: index 1 is the candidate
        assert (key in served) == (choose(weights, state.rollout.salt, NAME, key) == 1), key
    for key, trace in off.items():
        assert trace["variant"] == "off" and trace["hash"] is None and trace["version"] is None
        assert (trace["name"], trace["env"], trace["rollout"]) == (NAME, "prod", rollout_id)
        assert 0.0 <= trace["bucket"] < 0.9 and trace["response_id"] is None
    assert {(t["variant"], t["hash"]) for t in served.values()} == {("candidate", env["bundle"].hash)}
    with pytest.raises(NotServed) as unkeyed:  # no key: no stable version to serve instead
        client.render(NAME, env["inputs"])
    assert unkeyed.value.trace["variant"] == "off" and unkeyed.value.trace["bucket"] is None
    assert isinstance(unkeyed.value, PromptcRuntimeError)

    # The served keys break their output format one time in four; a 2 % base rate was promised.
    for n, trace in enumerate(served.values()):
        client.report(trace["response_id"], output="Sorry, I can't help" if n % 4 == 0 else GOOD)
    client.flush()
    summary = json.loads(run("signals", "summary", NAME, "--env", "prod", *reg, "--json"))
    assert [(r["variant"], r["signals"]["exposure"]["count"]) for r in summary] == [("candidate", len(served))], \
        "keys that were not served record nothing"

    now = later(started["at"], 2)
    out = run("guard", "check", "--env", "prod", "--now", now, *reg, expect=1)
    assert "breach" in out and "one-sample" in out and "nothing served (a first release)" in out

    fresh = Client(env["url"], "prod", ttl=0)
    after_served, after_off = serve(fresh, env["inputs"], keys)
    assert not after_served and len(after_off) == len(keys), "frozen: no key is served"
    assert {(t["variant"], t["rollout"], t["bucket"]) for t in after_off.values()} == {("off", rollout_id, None)}

    events = json.loads(run("history", NAME, "--env", "prod", *reg, "--json"))
    breach = next(e for e in events if e["kind"] == "guard-breach")
    assert breach["data"]["rollout"] == rollout_id and breach["actor"] == "promptc-guard"
    assert breach["old_hash"] == env["bundle"].hash and breach["new_hash"] is None
    (metric,) = breach["data"]["evidence"]["metrics"]
    assert metric["form"] == "one-sample" and metric["decision"] == "breach" and metric["base_rate"] == 0.02
    assert metric["candidate_exposures"] == len(served) and metric["candidate_bad"] == (len(served) + 3) // 4
    assert metric["log_lr"] >= metric["log_threshold"] and breach["data"]["evidence"]["srm"] is None
    history = run("history", NAME, "--env", "prod", *reg)
    assert "error: breach, the candidate is worse (evidence " in next(line for line in history.splitlines() if "guard-breach" in line)
    live = run("history", NAME, "--env", "prod", "--at", later(breach["at"], 0.01), *reg)
    assert "nothing: not served" in live and "None" not in live
    shown = run("rollout", "show", NAME, "--env", "prod", *reg)
    assert "off (not served) weight 9000" in shown and "(frozen)" in shown and "one-sample" in shown
    assert "not served" in run("status", "--env", "prod", *reg)

    # Nothing advances a frozen first release; rollback ends it and the label serves nothing.
    assert "frozen" in run("rollout", "advance", NAME, "--env", "prod", *reg, expect=1)
    ended = json.loads(run("rollback", NAME, "--env", "prod", *reg, "--json"))
    assert ended["reason"] == "rollback: first release ended, nothing served" and ended["new_hash"] is None
    last = Client(env["url"], "prod", ttl=0, signals=False)
    with pytest.raises(NotServed) as gone:
        last.render(NAME, env["inputs"], key="user-1")
    assert gone.value.trace["rollout"] is None and gone.value.trace["variant"] == "off"
    for c in (client, fresh, last):
        c.close()


def test_a_healthy_first_release_advances_only_past_its_minimum_exposure_and_completes(published):
    env = published
    with (env["project"] / "promptc.toml").open("a") as f:
        f.write('\n[guard]\nmetrics = ["error"]\nmin_dwell = "0s"\nsteps = [10, 50, 100]\n'
                '[guard.metric.error]\nbase_rate = 0.1\n')
    started = json.loads(run("rollout", NAME, "--env", "prod", "--candidate", "2.0.0", "--percent", "10",
                             *env["reg"], "--json"))
    config = GuardConfig()  # ignored: the rollout carries its own settings
    store = open_store(env["url"])
    client = Client(env["url"], "prod", ttl=0)
    keys = [f"user-{i}" for i in range(1000)]
    served, _ = serve(client, env["inputs"], keys)
    for trace in served.values():
        client.report(trace["response_id"], output=GOOD)
    client.flush()

    # ~100 clean responses are short of the one-sample minimum (264 at a 10 % base rate).
    early = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(started["at"], 2)))
    (metric,) = early.evaluation.decision.metrics
    assert not early.gate.allowed and metric.decision == "insufficient-data"
    assert metric.form == "one-sample" and metric.required_exposures == 264
    assert metric.candidate_exposures == len(served) and metric.candidate_bad == 0

    batch, outcomes = [], []
    for i in range(400):  # 4 % errors against a promised 10 %
        exp = signals.Exposure(uuid.uuid4().hex, "prod", NAME, env["bundle"].hash, "candidate",
                               signals.minute_of(started["at"]))
        batch.append(exp)
        if i % 25 == 0:
            outcomes.append(signals.Outcome(exp.response_id, {"schema_error": 1.0}, exp))
    signals.record(store, batch, outcomes)

    step = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(started["at"], 2)))
    assert step.gate.allowed and step.to == 50, step.gate.reasons
    wider, _ = serve(client, env["inputs"], keys)
    assert set(served) <= set(wider) and 400 < len(wider) < 600, "sticky: the first 10 % stay served"
    assert step.evaluation.decision.srm is None, "no sample-ratio check without exposures of the off share"
    step = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(started["at"], 3)))
    assert step.gate.allowed and step.to == 100
    held = store.label(NAME, "prod")
    assert held.stable is None and held.rollout.step == 100 and [a.variant for a in held.serving()] == ["candidate"]
    everyone, nobody = serve(client, env["inputs"], keys)
    assert len(everyone) == len(keys) and not nobody
    done = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(started["at"], 4)))
    assert done.gate.allowed and done.to is None and done.event.kind == "rollout-complete"
    assert done.event.old_hash is None and done.event.new_hash == env["bundle"].hash
    after = store.label(NAME, "prod")
    assert after.rollout is None and (after.stable.version, after.stable.hash) == ("2.0.0", env["bundle"].hash)
    trace = client.render(NAME, env["inputs"]).trace
    assert (trace["variant"], trace["version"], trace["rollout"]) == ("stable", "2.0.0", None)
    kinds = [e["kind"] for e in json.loads(run("history", NAME, "--env", "prod", *env["reg"], "--json"))]
    assert kinds == ["rollout", "rollout", "rollout", "rollout-complete"]
    client.close()
    store.close()


def test_abort_ends_a_first_release_and_a_frozen_one_resumes_only_by_resume(published):
    env = published
    with open_store(env["url"]) as store:
        ops.rollout(store, NAME, "staging", "2.0.0", 500, "test")
        ended = ops.abort(store, NAME, "staging", "test")
        state = store.label(NAME, "staging")
        assert ended.kind == "rollout-abort" and state.rollout is None and state.stable is None
        assert state.serving() == ()
        first = ops.rollout(store, NAME, "staging", "2.0.0", 500, "test")
        ops.freeze_rollout(store, NAME, "staging", first.data["rollout"], "test", "by hand", {"why": "test"})
        assert store.label(NAME, "staging").serving() == ()
        with pytest.raises(RegistryError, match="frozen; resume it"):
            ops.rollout(store, NAME, "staging", "2.0.0", 1000, "test")
        ops.resume(store, NAME, "staging", "test")
        assert [a.variant for a in store.label(NAME, "staging").serving()] == ["off", "candidate"]
        with pytest.raises(RegistryError, match="in flight"):
            ops.promote(store, NAME, "2.0.0", "staging", "test")


def test_the_dashboard_shows_a_first_release_and_says_not_served(published):
    pytest.importorskip("flask", reason=missing("python-extra", "the dashboard's tests need flask and waitress"))
    import html
    import re
    from urllib.parse import quote

    from promptc.dashboard.app import create_app

    env = published
    with open_store(env["url"]) as store:
        started = ops.rollout(store, NAME, "prod", "2.0.0", 1000, "test")
        rollout_id = started.data["rollout"]
        live = create_app(env["url"]).test_client()

        def text(path: str) -> str:
            response = live.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())

        matrix = text("/")
        assert "not served" in matrix and "first-release canary 2.0.0 at 10 %, the rest not served" in matrix
        flights = text("/rollouts")
        assert "off not served — 90 %" in flights and "candidate 2.0.0" in flights and "None" not in flights
        ops.freeze_rollout(store, NAME, "prod", rollout_id, "promptc-guard", "guard: breach", {"decision": "breach"})
        assert "frozen: nothing served (a first release)" in text("/rollouts")
        assert "frozen by the guard: nothing served" in text(f"/rollouts/{quote(rollout_id, safe='@')}")
        assert "frozen by the guard: nothing served" in text("/")
        moment = text(f"/history/{NAME}/prod?at={quote(later(started.at, 0.001))}")
        assert "not served (no stable version)" in moment and "None" not in moment
