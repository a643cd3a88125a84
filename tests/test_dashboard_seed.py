"""The demo history `promptc dashboard --seed-demo` writes, and the registries the dashboard
tests share: the demo, plus a prompt whose text and metadata are hostile HTML."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from promptc import driver
from promptc.registry import ops
from promptc.registry.backends import open_store
from promptc.registry.model import verify_chain

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "support-desk"
#: The demo's two weeks end here in every test, so times and ids are the same each run.
END = dt.datetime(2026, 3, 16, 12, 0, tzinfo=dt.timezone.utc)

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_PROMPT = f'''---
version: 1.0.0
purpose: Prompt text is data <b>not markup</b>.
owner: "<img src=x onerror=window.__pwned=2>"
risk: low
---
input name: str(max_len=80)

system """
Hello {{{{ name }}}}. {SCRIPT} and {IMG}
"""
'''

_cache: dict[str, Path] = {}


def demo_registry(tmp_path_factory) -> Path:
    """A registry file with the demo history (seeded once per session; copy it to modify)."""
    if "demo" not in _cache:
        from promptc.dashboard.demo import seed

        path = tmp_path_factory.mktemp("demo-registry") / "registry.db"
        with open_store(str(path)) as store:
            seed(store, EXAMPLE, end=END)
        _cache["demo"] = path
    return _cache["demo"]


def hostile_registry(tmp_path_factory) -> Path:
    """The demo registry plus `evil` in prod, its text, owner, actor and reason all HTML."""
    if "hostile" not in _cache:
        base = demo_registry(tmp_path_factory)
        root = tmp_path_factory.mktemp("hostile")
        path = root / "registry.db"
        shutil.copy(base, path)
        project = root / "project"
        (project / "prompts").mkdir(parents=True)
        (project / "promptc.toml").write_text('[project]\nname = "hostile"\nsources = ["prompts"]\n')
        (project / "prompts" / "evil.prompt").write_text(HOSTILE_PROMPT)
        first = driver.build(driver.open_project(project))
        assert first.ok, [d.message for d in first.diagnostics]
        bundles = [p.read_bytes() for p in first.written]
        # A second version that changes the line holding the markup, for the diff page.
        prompt = project / "prompts" / "evil.prompt"
        prompt.write_text(HOSTILE_PROMPT.replace("Hello", "Hello again"))
        assert driver.version_bump(driver.open_project(project)).bumped
        second = driver.build(driver.open_project(project))
        assert second.ok, [d.message for d in second.diagnostics]
        bundles += [p.read_bytes() for p in second.written]
        actor = "<img src=x onerror=window.__pwned=3>"
        with open_store(str(path)) as store:
            ops.publish(store, [("evil", data) for data in bundles], actor)
            ops.promote(store, "evil", "1.0.0", "prod", actor, reason=f"ship it {SCRIPT}")
        _cache["hostile"] = path
    return _cache["hostile"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return demo_registry(tmp_path_factory)


def test_demo_history_tells_the_release_story(demo: Path) -> None:
    with open_store(str(demo), readonly=True) as store:
        events = list(store.iter_events())
        assert verify_chain(events, store.head()) == []
        kinds = [e.kind for e in events]
        for kind in ("publish", "promote", "rollout", "rollout-complete", "guard-breach", "rollback", "freeze"):
            assert kind in kinds, kind
        assert events[0].at.startswith("2026-03-02") and events[-1].at < "2026-03-16T12:00:01"
        answer = store.label("support.answer", "prod")
        assert answer.stable.version == "2.0.1"
        assert answer.rollout.kind == "canary" and answer.rollout.step == 10
        assert answer.rollout.arm("candidate").version == "2.0.3"
        outreach = store.label("sales.outreach", "prod")
        assert outreach.rollout.kind == "split" and {a.version for a in outreach.rollout.arms} == {"0.4.0", "0.4.1"}
        assert store.label("sales.outreach", "staging").frozen
        breach = next(e for e in events if e.kind == "guard-breach")
        assert breach.actor == "promptc-guard" and breach.data["evidence"]["decision"] == "breach"
        # The guard decided on the data: the breach comes after its rollout started, before the rollback.
        start = next(e for e in events if e.data.get("rollout") == breach.data["rollout"])
        assert start.at < breach.at < next(e for e in events if e.kind == "rollback").at


def test_demo_writes_signals_and_decisions_in_their_tables(demo: Path) -> None:
    with open_store(str(demo), readonly=True) as store:
        rows = store._query("SELECT env, name, metric, count, total FROM signals")
        assert len(rows) > 1000
        assert {r[2] for r in rows} >= {"exposure", "escalation", "latency_ms"}
        assert all(r[0] == "prod" and r[3] >= 0 for r in rows)
        decisions = store._query("SELECT rollout, seq, decision FROM decisions ORDER BY rollout, seq")
        docs = [json.loads(d) for _, _, d in decisions]
        assert {d["decision"] for d in docs} >= {"breach", "insufficient-data"}
        for doc in docs:
            assert {"rollout", "evaluated_at", "alpha", "metrics", "srm", "reasons"} <= set(doc)
            assert all(m["candidate_bad"] <= m["candidate_exposures"] for m in doc["metrics"])


def test_demo_refuses_a_registry_with_history(demo: Path, tmp_path: Path) -> None:
    from promptc.dashboard.demo import seed
    from promptc.dashboard.demo_build import DemoError

    copy = tmp_path / "r.db"
    shutil.copy(demo, copy)
    with open_store(str(copy)) as store, pytest.raises(DemoError, match="already has events"):
        seed(store, EXAMPLE, end=END)


def test_demo_needs_the_support_desk_example(tmp_path: Path) -> None:
    from promptc.dashboard.demo_build import DemoError, build_versions

    (tmp_path / "prompts").mkdir()
    (tmp_path / "promptc.toml").write_text('[project]\nname = "x"\nsources = ["prompts"]\n')
    (tmp_path / "prompts" / "hi.prompt").write_text('---\nversion: 1.0.0\n---\nsystem """\nHi.\n"""\n')
    with pytest.raises(DemoError, match="support-desk"):
        build_versions(tmp_path)


def test_demo_leaves_the_example_untouched(demo: Path) -> None:
    assert "version: 2.0.0" in (EXAMPLE / "prompts" / "support" / "answer.prompt").read_text()
    assert "2.0.1" not in (EXAMPLE / "promptc.lock").read_text()
