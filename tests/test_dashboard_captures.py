"""The dashboard's prompt page shows captured production cases by kind and version (and
which are in the eval set) and the prompt's known limitations; a bundle page shows its
limitations and retrieval settings."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("flask", reason="the dashboard extra (flask, waitress) is not installed")

from promptc.dashboard.app import create_app  # noqa: E402
from promptc.registry import captures, ops  # noqa: E402
from promptc.registry.backends import open_store  # noqa: E402
from promptc.runtime.hashing import spec_hash  # noqa: E402

from .test_dashboard_seed import SCRIPT, demo_registry  # noqa: E402


def _text(response) -> str:
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("captured") / "registry.db"
    shutil.copy(demo_registry(tmp_path_factory), path)
    with open_store(str(path)) as store:
        latest = store.bundle(store.versions("support.answer")[-1][1])
        doc = json.loads(json.dumps(latest))
        doc["version"] = "3.0.0"
        doc["meta"]["limitations"] = ["Cannot issue refunds", f"Hostile {SCRIPT}"]
        doc["spec"]["retrieval"] = {"index": "help-center", "top_k": 5}
        doc["hash"] = spec_hash(doc["spec"])
        ops.publish(store, [("answer.json", json.dumps(doc).encode())], "test")
        made = []
        for version, hash_ in ((latest["version"], latest["hash"]), ("3.0.0", doc["hash"])):
            trace = {"name": "support.answer", "version": version, "hash": hash_, "env": "prod", "variant": "stable"}
            for kind in ("unexpected-refusal", "unexpected-refusal", "format-error"):
                inputs = {"q": f"{kind} {version} {len(made)}"}
                made.append(captures.record(store, captures.prepare(
                    trace, kind=kind, output="no", note=f"note {SCRIPT}", inputs=inputs)))
        captures.mark_pulled(store, [made[0].id], "evals/support_answer.jsonl", "lee")
    return create_app(str(path)).test_client()


def test_prompt_page_counts_captured_cases_by_kind_and_version(client) -> None:
    response = client.get("/prompts/support.answer")
    page, text = response.get_data(as_text=True), _text(response)
    assert "6 in all, 1 pulled into the eval set, 5 not yet" in text
    assert "unexpected-refusal 3.0.0 prod 2 0 of 2" in text
    assert re.search(r"unexpected-refusal 2\.\d+\.\d+ prod 2 1 of 2", text)
    assert "format-error 3.0.0 prod 1 0 of 1" in text
    assert "pulled into evals/support_answer.jsonl" in text and "promptc eval pull support.answer" in text
    assert "Known limitations Cannot issue refunds" in text
    chart = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert "Captured cases per day, by kind" in chart and "unexpected-refusal" in chart and "format-error" in chart
    assert "<script>" not in page and f"note {SCRIPT}" in text and f"Hostile {SCRIPT}" in text


def test_bundle_page_shows_limitations_and_retrieval(client) -> None:
    page = client.get("/prompts/support.answer").get_data(as_text=True)
    link = re.search(r'<td>3\.0\.0</td><td><a class="hash" href="([^"]+)"', page).group(1)
    text = _text(client.get(link))
    assert "Known limitations Cannot issue refunds" in text
    assert 'Retrieval settings { "index": "help-center", "top_k": 5 }' in text


def test_a_prompt_without_captures_says_how_to_record_one(client) -> None:
    text = _text(client.get("/prompts/sales.outreach"))
    assert "No captured cases: a service records one with client.capture" in text


def test_the_chart_counts_each_day_and_marks_versions_published_then() -> None:
    from promptc.dashboard import views_prompt

    trace = {"name": "p", "version": "1.0.0", "hash": "sha256:" + "0" * 64, "env": "prod"}
    found = [captures.prepare(trace, kind=k, output="", at=at) for k, at in (
        ("verbosity", "2026-03-01T08:00:00.000000Z"), ("verbosity", "2026-03-03T09:00:00.000000Z"),
        ("verbosity", "2026-03-03T10:00:00.000000Z"), ("format-error", "2026-03-02T23:59:00.000000Z"))]
    versions = [("1.0.0", "h1", "2026-02-01T00:00:00.000000Z"), ("1.1.0", "h2", "2026-03-02T10:00:00.000000Z")]
    series, markers = views_prompt.captured_series(found, versions)
    counts = {s.label: [v for _, v in s.points] for s in series}
    assert counts == {"format-error": [0.0, 1.0, 0.0], "verbosity": [1.0, 0.0, 2.0]}
    assert [m.label for m in markers] == ["1.1.0 published"]
