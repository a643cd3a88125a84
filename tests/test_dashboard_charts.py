"""The dashboard's server-side SVG charts against golden files, and the diff view's rows.

The goldens live in tests/golden/dashboard/; `pytest --update-goldens` rewrites them, and
the diff is reviewed like code (open the .svg files in a browser to see them)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from promptc.dashboard import diffview
from promptc.dashboard.charts import Marker, Series, line_chart, nice_ceiling
from promptc.dashboard.queries import SignalBucket
from promptc.dashboard.signalview import charts as signal_charts
from promptc.registry.model import Event

GOLDEN = Path(__file__).parent / "golden" / "dashboard"
T0 = dt.datetime(2026, 3, 15, 0, 0, tzinfo=dt.timezone.utc)
SVG = "{http://www.w3.org/2000/svg}"


def _hours(values: list[float], start: int = 0) -> tuple:
    return tuple((T0 + dt.timedelta(hours=start + i), v) for i, v in enumerate(values))


def _canary() -> str:
    stable = Series("2.0.1", _hours([0.041, 0.038, 0.044, 0.040, 0.039, 0.043, 0.040, 0.042, 0.037, 0.041]))
    candidate = Series("2.0.2", _hours([0.05, 0.09, 0.11, 0.08, 0.10], start=3))
    marks = [Marker(T0 + dt.timedelta(hours=3), "rollout 2.0.2 5 %", "rollout"),
             Marker(T0 + dt.timedelta(hours=7, minutes=30), "guard-breach 2.0.1", "guard-breach")]
    return line_chart("escalation: share of responses", [stable, candidate], marks, y_label="share")


def _empty() -> str:
    return line_chart("latency_ms: mean per response", [Series("2.0.1", ())], [], y_label="mean")


def _single_point_escaped() -> str:
    return line_chart("<script>alert(1)</script> & co", [Series('<img src=x onerror="1">', _hours([1200.0]))],
                      [Marker(T0, "promote </text><script>", "promote")], y_label="a<b")


def _days() -> str:
    stable = Series("1.0.0", tuple((T0 + dt.timedelta(days=d), 700.0 + 20 * (d % 3)) for d in range(30)))
    return line_chart("Responses served per bucket", [stable],
                      [Marker(T0 + dt.timedelta(days=12), "rollback 0.9.0", "rollback")], y_label="responses")


def _signals() -> str:
    h1, h2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    buckets = []
    for hour in range(6):
        bucket = f"2026-03-15T{hour:02d}"
        buckets += [SignalBucket(h1, "stable", bucket, "exposure", 100, 100.0),
                    SignalBucket(h1, "stable", bucket, "escalation", 4 + hour % 2, 4.0 + hour % 2),
                    SignalBucket(h1, "stable", bucket, "latency_ms", 100, 180000.0 + 1000 * hour)]
        if hour >= 2:
            buckets += [SignalBucket(h2, "candidate", bucket, "exposure", 10, 10.0),
                        SignalBucket(h2, "candidate", bucket, "latency_ms", 10, 21000.0)]
            if hour % 2:
                buckets.append(SignalBucket(h2, "candidate", bucket, "escalation", 1, 1.0))
    events = [Event(7, "2026-03-15T02:00:00.000000Z", "maria", "rollout", "p", "prod", h1, h2, "", {"percent": 10})]
    return "".join(c.svg for c in signal_charts(buckets, {h1: "1.0.0", h2: "1.1.0"}, events))


CASES = {"canary": _canary, "empty": _empty, "escaped": _single_point_escaped, "days": _days,
         "signals": _signals}


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_matches_golden(name: str, update_goldens: bool) -> None:
    svg = CASES[name]()
    assert svg == CASES[name](), "charts must be deterministic"
    path = GOLDEN / f"{name}.svg"
    if update_goldens:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run pytest --update-goldens and review it"
    assert svg == path.read_text(encoding="utf-8"), f"{path.name} differs; if intended, run --update-goldens"


@pytest.mark.parametrize("name", ["canary", "empty", "escaped", "days"])
def test_charts_are_well_formed_svg_without_styles_or_scripts(name: str) -> None:
    root = ET.fromstring(CASES[name]())
    assert root.tag == f"{SVG}svg"
    for element in root.iter():
        assert element.tag != f"{SVG}script" and element.tag != f"{SVG}style"
        assert "style" not in element.attrib
        assert not any(k.startswith("on") for k in element.attrib)


def test_chart_text_is_escaped() -> None:
    root = ET.fromstring(_single_point_escaped())
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script> & co" in texts
    assert '<img src=x onerror="1">' in texts and "promote </text><script>" in texts


def test_canary_chart_draws_lines_and_markers() -> None:
    root = ET.fromstring(_canary())
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2 and len(lines[1].attrib["points"].split()) == 5
    dashed = [e for e in root.iter(f"{SVG}line") if "stroke-dasharray" in e.attrib]
    assert len(dashed) == 2 and dashed[1].attrib["stroke"] == "#D55E00"


def test_event_signals_chart_as_a_share_of_exposures() -> None:
    svg = _signals()
    assert "escalation: share of responses" in svg and "latency_ms: mean per response" in svg
    assert "Responses served per bucket" in svg and "exposure: " not in svg


@pytest.mark.parametrize("value, top, step", [(0.034, 0.04, 0.01), (4, 4, 1), (1.0, 1.0, 0.2), (980, 1000, 200),
                                              (0, 1.0, 0.25)])
def test_nice_ceiling(value: float, top: float, step: float) -> None:
    got_top, got_step = nice_ceiling(value)
    assert got_top == pytest.approx(top) and got_step == pytest.approx(step)


def test_side_by_side_folds_unchanged_text_and_aligns_inserted_messages() -> None:
    body = [f"line {i}" for i in range(20)]

    def spec(*messages):
        return {"messages": [{"role": r, "content": [{"kind": "text", "text": "\n".join(t)}]} for r, t in messages]}

    left = spec(("system", body), ("user", ["hi"]))
    right = spec(("system", body[:10] + ["line 10, edited"] + body[11:]), ("assistant", ["example"]), ("user", ["hi"]))
    rows = diffview.side_by_side(diffview.message_lines(left), diffview.message_lines(right))
    kinds = [r.kind for r in rows]
    assert kinds.count("change") == 1 and kinds.count("fold") >= 2
    change = next(r for r in rows if r.kind == "change")
    assert (change.left, change.right) == ("line 10", "line 10, edited")
    inserted = [r.right for r in rows if r.kind == "insert"]
    assert inserted == ["assistant message", "example"]
    assert [r.left for r in rows if r.kind == "heading"] == ["system message", "user message"]


def test_token_rows_and_settings() -> None:
    a = {"spec": {"messages": [{"role": "system"}, {"role": "user"}]}, "tokens": {"messages": [300, 40]}}
    b = {"spec": {"messages": [{"role": "system"}]}, "tokens": {"messages": [320]}}
    rows = diffview.tokens(a, b)
    assert [(r.label, r.delta) for r in rows] == [("message 1 (system)", "+20"), ("message 2 (user)", "—"),
                                                  ("total", "-20")]
    settings = diffview.settings({"temperature": 0.2, "name": "gpt-4o"}, {"temperature": 0.4, "name": "gpt-4o"})
    assert [(s.key, s.changed) for s in settings] == [("name", False), ("temperature", True)]
