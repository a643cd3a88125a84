"""The rollout guard end to end, on every registry backend (issue: live signals and guard).

A real client renders from the registry and reports signals; `promptc guard check` freezes a
canary whose error rate is far above stable's; from then on every key is served stable, and
`promptc history` shows the audited breach with its evidence. Around it: resume needs --ack,
advance refuses before the minimum exposure, a skewed split freezes on the sample-ratio
check, late outcomes ingested from a file join the window their response was served in, the
100 % stage is guarded by the one-sample test, and the render's attributes land on a real
OpenTelemetry span.

Windows are closed UTC minutes, so checks run with `--now` a few minutes ahead of the wall
clock (a hidden option for replays) instead of waiting for minutes to end.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from click.testing import CliRunner

from promptc.cli import main
from promptc.guard import rollouts
from promptc.guard.config import GuardConfig
from promptc.registry import signals
from promptc.registry.backends import open_store
from promptc.registry.model import format_time
from promptc.runtime import load_dir
from promptc.runtime.client import Client, UnknownResponse
from promptc.runtime.otel import attributes

from .helpers import example_releases, run_cli

NAME = "support.answer"
GOOD = json.dumps({"answer": "Refunded the second charge.", "citations": [], "escalate": False})


run = run_cli


@pytest.fixture
def released(tmp_path, registry_url, monkeypatch):
    """Both example releases published, 2.0.0 stable in prod; returns what tests need."""
    monkeypatch.setenv("PROMPTC_ACTOR", "ana@ledgerly.example")
    project, dists = example_releases(tmp_path)
    reg = ["--registry", registry_url, "--project", str(project)]
    run("publish", str(dists["1"]), *reg)
    run("publish", str(dists["2"]), *reg)
    run("promote", f"{NAME}@2.0.0", "--env", "prod", *reg)
    inputs = json.loads((project / "inputs" / "answer.json").read_text())
    bundles = {k: load_dir(v)[NAME] for k, v in dists.items()}
    return {"url": registry_url, "reg": reg, "project": project, "inputs": inputs, "v1": bundles["1"],
            "v2": bundles["2"], "tmp": tmp_path}


def later(at: str, minutes: float) -> str:
    moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) + dt.timedelta(minutes=minutes)
    return format_time(moment)


def start(env: released, percent: str, *extra: str) -> dict:
    return json.loads(run("rollout", NAME, "--env", "prod", "--candidate", "2.0.1", "--percent", percent,
                          *extra, *env["reg"], "--json"))


def test_guard_freezes_a_bad_canary_and_routes_every_key_to_stable(released):
    env = released
    reg = env["reg"]
    started = start(env, "50", "--guard", "error")
    rollout_id = started["data"]["rollout"]
    assert started["data"]["guard"]["metrics"] == ["error"], "the guard's settings are kept in the event"

    client = Client(env["url"], "prod", ttl=60)
    served = {"stable": 0, "candidate": 0}
    for i in range(400):
        rendered = client.render(NAME, env["inputs"], key=f"user-{i}")
        trace = rendered.trace
        served[trace["variant"]] += 1
        # The candidate breaks its output format one time in four; stable almost never.
        broken = (trace["variant"] == "candidate" and i % 4 == 0) or (trace["variant"] == "stable" and i % 97 == 0)
        check = client.report(trace["response_id"], output="Sorry, I can't help" if broken else GOOD,
                              latency_ms=800 + i % 50)
        assert check.ok is (not broken) and (check.error == "format_error") is broken
    assert min(served.values()) > 150, served
    with pytest.raises(signals.SignalError, match="did you mean `rating`"):
        client.report(trace["response_id"], ratng=1)
    client.flush()

    now = later(started["at"], 2)
    assert "insufficient" in run("rollout", "advance", NAME, "--env", "prod", *reg, expect=1), \
        "nothing is closed yet: too little data never counts as a pass"
    out = run("guard", "check", "--env", "prod", "--now", now, *reg, expect=1)
    assert "breach" in out and "frozen" in out and "two-sample" in out

    # Latched: every key now gets stable, and stays on it.
    fresh = Client(env["url"], "prod", ttl=0)
    traces = [fresh.render(NAME, env["inputs"], key=f"user-{i}").trace for i in range(1000)]
    assert {(t["variant"], t["hash"], t["rollout"]) for t in traces} == {("stable", env["v1"].hash, None)}
    fresh.close()

    history = run("history", NAME, "--env", "prod", *reg)
    breach_line = next(line for line in history.splitlines() if "guard-breach" in line)
    assert "error: breach, the candidate is worse (evidence " in breach_line and "promptc-guard" in breach_line
    events = json.loads(run("history", NAME, "--env", "prod", *reg, "--json"))
    breach = next(e for e in events if e["kind"] == "guard-breach")
    evidence = breach["data"]["evidence"]
    assert breach["data"]["rollout"] == rollout_id and evidence["decision"] == "breach"
    metric = evidence["metrics"][0]
    assert metric["metric"] == "error" and metric["decision"] == "breach"
    assert metric["candidate_bad"] >= 4 and metric["log_lr"] >= metric["log_threshold"]
    assert metric["candidate_exposures"] == served["candidate"] and metric["stable_exposures"] == served["stable"]

    shown = json.loads(run("rollout", "show", NAME, "--env", "prod", *reg, "--json"))
    assert shown["rollout"]["status"] == "frozen"
    assert [d["verdict"] for d in shown["decisions"]] == ["insufficient-data", "breach"], "advance logged one too"
    text = run("rollout", "show", NAME, "--env", "prod", *reg)
    assert "decision #2" in text and "error" in text and "evidence " in text and "→ breach" in text

    # Nothing resumes without --ack; the frozen rollout is no longer evaluated.
    assert "--ack" in run("rollout", "resume", NAME, "--env", "prod", *reg, expect=2)
    assert "No rollout in flight" in run("guard", "check", "--env", "prod", "--now", now, *reg)
    run("rollout", "resume", NAME, "--env", "prod", "--ack", *reg, "--reason", "format fixed upstream")
    # The resumed test starts afresh: no windows yet, so it cannot pass and advance refuses.
    refused = run("rollout", "advance", NAME, "--env", "prod", *reg, expect=1)
    assert "insufficient data" in refused and "minimum dwell" in refused and "latched" not in refused
    with open_store(env["url"]) as store:
        assert store.label(NAME, "prod").rollout.status == "active", "the old breach does not latch the new test"
    client.close()


def test_sample_ratio_mismatch_freezes(released):
    env = released
    started = start(env, "10")
    at = later(started["at"], 1)  # a minute wholly inside the 10 % step
    lines = []
    for i in range(1500):  # 40 % of the exposures report as candidate where 10 % was configured
        candidate = i % 5 < 2
        lines.append({"response_id": uuid.uuid4().hex, "name": NAME, "env": "prod", "at": at,
                      "hash": (env["v2"] if candidate else env["v1"]).hash,
                      "variant": "candidate" if candidate else "stable"})
    path = env["tmp"] / "exposures.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert "1500 exposure(s)" in CliRunner().invoke(main, ["signals", "ingest", str(path), *env["reg"]]).output
    out = json.loads(run("guard", "check", "--now", later(started["at"], 3), *env["reg"], "--json", expect=1))
    srm = out[0]["decision"]["srm"]
    assert srm["decision"] == "mismatch" and srm["observed_share"] == pytest.approx(0.4)
    assert out[0]["frozen"] is not None
    assert any("sample-ratio mismatch" in r for r in out[0]["decision"]["reasons"])
    with open_store(env["url"]) as store:
        assert store.label(NAME, "prod").rollout.status == "frozen"


def test_late_outcomes_join_the_window_their_response_was_served_in(released):
    env = released
    store = open_store(env["url"])
    start(env, "50", "--guard", "rating")
    client = Client(env["url"], "prod", ttl=60)
    rendered = [client.render(NAME, env["inputs"], key=f"k{i}").trace for i in range(6)]
    client.close()
    # A response served an hour ago by another runtime, known only from its log line.
    old_at = later(format_time(dt.datetime.now(dt.timezone.utc)), -60)
    foreign = {"response_id": "js-" + uuid.uuid4().hex, "name": NAME, "version": "2.0.0", "hash": env["v1"].hash,
               "env": "prod", "variant": "stable", "bucket": 17, "rollout": None, "stale": False}
    first = env["tmp"] / "served.jsonl"
    first.write_text(json.dumps({"trace": foreign, "at": old_at, "latency_ms": 900}) + "\n")
    run("signals", "ingest", str(first), *env["reg"])

    # The thumbs-downs come later, from a file that holds nothing but the response ids.
    late = env["tmp"] / "ratings.jsonl"
    late.write_text("".join(json.dumps({"response_id": t["response_id"], "rating": -1}) + "\n" for t in rendered)
                    + json.dumps({"response_id": foreign["response_id"], "rating": -1, "escalation": True}) + "\n")
    assert "0 exposure(s) and 8 signal(s) recorded" in CliRunner().invoke(main, ["signals", "ingest", str(late), *env["reg"]]).output
    exposures = signals.lookup(store, [t["response_id"] for t in rendered] + [foreign["response_id"]])
    rows = store._query("SELECT response_id, hash, variant, minute FROM observations WHERE metric = 'rating'")
    assert len(rows) == 7
    for response_id, hash_, variant, minute in rows:
        exp = exposures[response_id]
        assert (hash_, variant, minute) == (exp.hash, exp.variant, exp.minute)
    assert exposures[foreign["response_id"]].minute == signals.minute_of(old_at), "an hour back, where it was served"
    for t in rendered:
        assert (exposures[t["response_id"]].hash, exposures[t["response_id"]].variant) == (t["hash"], t["variant"])
    again = CliRunner().invoke(main, ["signals", "ingest", str(late), *env["reg"], "--json"])
    assert json.loads(again.output)["written"] == {"exposures": 0, "observations": 0, "duplicates": 8}

    # A client that never rendered the response still reports on it (joined in the registry).
    other = Client(env["url"], "prod", ttl=60)
    other.report(rendered[0]["response_id"], correction=True)
    assert other.flush().observations == 1
    with pytest.raises(UnknownResponse):
        other.validate_output("never-served", GOOD)
    other.close()

    bad = env["tmp"] / "bad.jsonl"
    bad.write_text(json.dumps({"response_id": rendered[1]["response_id"], "fallback": True}) + "\n"
                   + json.dumps({"response_id": rendered[1]["response_id"], "ratng": 1}) + "\n"
                   + "{not json\n"
                   + json.dumps({"response_id": "nobody", "rating": 1}) + "\n"
                   + json.dumps({"response_id": "x", "name": NAME, "rating": 1}) + "\n")
    result = CliRunner().invoke(main, ["signals", "ingest", str(bad), *env["reg"]])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}:2: unknown signal `ratng` (did you mean `rating`?)" in result.output
    assert f"{bad}:3: not JSON" in result.output
    assert f"{bad}:5: a line with trace fields needs hash, variant, env, at" in result.output
    assert store._query("SELECT COUNT(*) FROM observations WHERE metric = 'fallback'")[0][0] == 0, "all or nothing"
    result = CliRunner().invoke(main, ["signals", "ingest", str(bad.parent / "ratings.jsonl"), "--registry",
                                       env["url"], "--json"])
    assert result.exit_code == 0
    missing = env["tmp"] / "missing.jsonl"
    missing.write_text(json.dumps({"response_id": "nobody", "rating": 1}) + "\n")
    result = CliRunner().invoke(main, ["signals", "ingest", str(missing), *env["reg"]])
    assert result.exit_code == 1 and f"{missing}:1: no response nobody is recorded" in result.output

    summary = json.loads(run("signals", "summary", NAME, "--env", "prod", *env["reg"], "--json"))
    ratings = sum(r["signals"].get("rating", {}).get("count", 0) for r in summary)
    assert ratings == 7
    store.close()


@pytest.mark.parametrize("candidate_errors,completes", [(30, True), (120, False)])
def test_the_100_percent_stage_is_guarded_by_the_one_sample_test(released, candidate_errors, completes):
    """Steps 50 → 100 (held, one-sample against the configured 10 % base rate) → complete;
    a candidate whose errors rise at the 100 % stage is frozen back to stable instead."""
    env = released
    with (env["project"] / "promptc.toml").open("a") as f:
        f.write('\n[guard]\nmetrics = ["error"]\nmin_dwell = "0s"\nsteps = [50, 100]\n'
                '[guard.metric.error]\nbase_rate = 0.1\n')
    started = start(env, "50")
    assert started["data"]["guard"]["metric"] == {"error": {"base_rate": 0.1}}
    store = open_store(env["url"])
    config = GuardConfig()  # ignored: the rollout carries its own

    def exposures(at: str, per_arm: dict[str, int], errors: dict[str, int]) -> None:
        batch, outcomes = [], []
        for variant, count in per_arm.items():
            hash_ = (env["v2"] if variant == "candidate" else env["v1"]).hash
            for i in range(count):
                exp = signals.Exposure(uuid.uuid4().hex, "prod", NAME, hash_, variant, signals.minute_of(at))
                batch.append(exp)
                if i < errors.get(variant, 0):
                    outcomes.append(signals.Outcome(exp.response_id, {"schema_error": 1.0}, exp))
        signals.record(store, batch, outcomes)

    exposures(started["at"], {"candidate": 700, "stable": 700}, {"candidate": 70, "stable": 70})
    step = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(started["at"], 2)))
    assert step.gate.allowed and step.to == 100, step.gate.reasons
    held = store.label(NAME, "prod")
    assert held.rollout.step == 100 and [a.variant for a in held.serving()] == ["candidate"]
    at_100 = store.events(name=NAME, env="prod", newest_first=True, limit=1)[0].at

    exposures(later(at_100, 1), {"candidate": 300}, {"candidate": candidate_errors})
    result = rollouts.advance(store, NAME, "prod", config, now=rollouts.parse_at(later(at_100, 3)))
    forms = {m.form: m for m in result.evaluation.decision.metrics}
    assert set(forms) == {"two-sample", "one-sample"}
    assert forms["one-sample"].base_rate == 0.1 and forms["one-sample"].candidate_exposures >= 300
    after = store.label(NAME, "prod")
    if completes:
        assert result.gate.allowed and result.to is None and result.event.kind == "rollout-complete"
        assert after.rollout is None and after.stable.hash == env["v2"].hash
    else:
        assert not result.gate.allowed and forms["one-sample"].decision == "breach"
        assert result.evaluation.frozen is not None and after.rollout.status == "frozen"
        assert [a.hash for a in after.serving()] == [env["v1"].hash], "traffic back on the previous stable"
    store.close()


def test_render_attributes_land_on_a_real_opentelemetry_span(released):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    env = released
    start(env, "50")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    client = Client(env["url"], "prod", ttl=60, signals=False)
    with tracer.start_as_current_span("chat support.answer"):
        trace = client.render(NAME, env["inputs"], key="user-7").trace
    outside = client.render(NAME, env["inputs"], key="user-8").trace  # no span: nothing to set, nothing breaks
    client.close()
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes)
    assert attrs["gen_ai.prompt.name"] == NAME and attrs["gen_ai.prompt.version"] == trace["version"]
    assert attrs["promptc.bundle.hash"] == trace["hash"] and attrs["promptc.variant"] == trace["variant"]
    assert attrs["promptc.env"] == "prod" and attrs["promptc.rollout"] == trace["rollout"]
    assert attrs["promptc.response_id"] == trace["response_id"] and attrs["promptc.bucket"] == trace["bucket"]
    assert attrs == attributes(trace)
    assert "promptc.rollout" not in attributes({**outside, "rollout": None})
    with open_store(env["url"]) as store:
        assert signals.lookup(store, [trace["response_id"]]) == {}, "signals=False records nothing"


def test_latency_is_bad_above_the_stable_versions_pre_rollout_p90(released):
    """The cut-off comes from stable's latencies before the rollout started, is kept in the
    decision log and reused; a candidate that is slower crosses it far more often."""
    env = released
    store = open_store(env["url"])
    hour_ago = later(format_time(dt.datetime.now(dt.timezone.utc)), -60)
    v1, v2 = env["v1"].hash, env["v2"].hash

    def served(at: str, hash_: str, variant: str, latencies: list[float]) -> None:
        batch = [signals.Exposure(uuid.uuid4().hex, "prod", NAME, hash_, variant, signals.minute_of(at))
                 for _ in latencies]
        signals.record(store, batch, [signals.Outcome(e.response_id, {"latency_ms": ms}, e)
                                      for e, ms in zip(batch, latencies)])

    served(hour_ago, v1, "stable", [float(ms) for ms in range(100, 300)])  # p90 = 279.1
    started = start(env, "50", "--guard", "latency")
    client = Client(env["url"], "prod", ttl=60)
    unkeyed = client.render(NAME, env["inputs"]).trace  # no key during a rollout: outside the experiment
    client.close()
    assert signals.lookup(store, [unkeyed["response_id"]])[unkeyed["response_id"]].variant == signals.UNKEYED
    served(started["at"], v1, "stable", [float(100 + i % 200) for i in range(400)])
    served(started["at"], v2, "candidate", [float(200 + i % 200) for i in range(400)])
    out = json.loads(run("guard", "check", "--now", later(started["at"], 2), *env["reg"], "--json", expect=1))
    (metric,) = out[0]["decision"]["metrics"]
    assert metric["metric"] == "latency" and metric["decision"] == "breach"
    assert metric["stable_exposures"] == 400, "the unkeyed render is not counted"
    assert (metric["candidate_bad"], metric["stable_bad"]) == (240, 40)  # above 279.1: 280..399 / 280..299, twice
    (logged,) = signals.decisions(store, out[0]["rollout"])
    assert logged.context["fixed"] == {"cutoff:latency": pytest.approx(279.1)}
    store.close()
