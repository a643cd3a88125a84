"""One prompt: its versions and where they run, its known limitations and captured
production cases, a bundle's content, a diff of two versions, and live signals per version."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from promptc.registry import captures
from promptc.review.render import message_text

from . import diffview, present, queries, signalview
from .app import Missing, known_prompt, store, svg

blueprint = Blueprint("prompt", __name__)
#: Captured cases listed one by one on a prompt's page (all are counted in its table).
RECENT_CASES = 20
#: Days the captured-cases chart spans at most (ending on the last day with a case).
CHART_DAYS = 90


def _live_where(name: str) -> dict[str, list[str]]:
    """hash → what serves it: `prod`, `prod (candidate 10 %)`, …"""
    where: dict[str, list[str]] = {}
    for state in store().labels():
        if state.name != name:
            continue
        if state.stable:
            where.setdefault(state.stable.hash, []).append(state.env)
        if state.rollout is not None:
            for arm in state.rollout.arms:
                if arm.served and (state.stable is None or arm.hash != state.stable.hash):
                    where.setdefault(arm.hash, []).append(
                        f"{state.env} ({arm.variant} {present.percent(arm.weight, state.rollout.arms)})")
    return where


@blueprint.get("/prompts/<name>")
def detail(name: str):
    versions = known_prompt(name)
    s = store()
    latest = s.bundle(versions[-1][1]) or {}
    envs = sorted({l.env for l in s.labels() if l.name == name})
    found = captures.cases(s, name)
    chart = svg(captured_chart(found, versions)) if found else None
    return render_template("prompt.html", name=name, versions=list(reversed(versions)), meta=latest.get("meta") or {},
                           where=_live_where(name), envs=envs, signal_envs=queries.signal_envs(s, name),
                           captured=captures.summary(found), recent=list(reversed(found[-RECENT_CASES:])),
                           captured_total=len(found), captured_pulled=sum(bool(c.pulled) for c in found),
                           captured_chart=chart,
                           default_a=versions[-2][0] if len(versions) > 1 else versions[0][0],
                           default_b=versions[-1][0])


def captured_chart(found, versions) -> str:
    """An SVG chart of `captured_series`."""
    from .charts import line_chart

    series, markers = captured_series(found, versions)
    return line_chart("Captured cases per day, by kind", series, markers, y_label="cases")


def captured_series(found, versions):
    """Captured cases per UTC day and kind over the last `CHART_DAYS` days with cases, and
    the versions published in that time as markers."""
    import datetime as dt
    from collections import Counter

    from promptc.registry.model import instant

    from .charts import Marker, Series

    per_kind: dict[str, Counter] = {}
    for case in found:
        per_kind.setdefault(case.kind, Counter())[case.at[:10]] += 1
    last = max(dt.date.fromisoformat(c.at[:10]) for c in found)
    first = max(min(dt.date.fromisoformat(c.at[:10]) for c in found), last - dt.timedelta(days=CHART_DAYS - 1))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def noon(day: dt.date) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)

    series = [Series(kind, tuple((noon(d), float(counts.get(d.isoformat(), 0))) for d in days))
              for kind, counts in sorted(per_kind.items())]
    start, end = noon(first) - dt.timedelta(hours=12), noon(last) + dt.timedelta(hours=12)
    markers = [Marker(instant(published), f"{version} published", "publish") for version, _, published in versions
               if start <= instant(published) <= end]
    return series, markers


def _bundle_for(name: str, version: str, versions) -> dict:
    for v, h, _ in versions:
        if v == version:
            return store().bundle(h) or {}
    raise Missing(f"{name} has no version `{version}` in this registry. Its versions are:",
                  [(v, url_for("prompt.bundle", hash_=h)) for v, h, _ in reversed(versions)])


@blueprint.get("/prompts/<name>/diff")
def diff(name: str):
    """Two versions side by side: messages, interface, model settings, tokens."""
    versions = known_prompt(name)
    a = request.args.get("a", "").strip() or (versions[-2][0] if len(versions) > 1 else versions[-1][0])
    b = request.args.get("b", "").strip() or versions[-1][0]
    left, right = _bundle_for(name, a, versions), _bundle_for(name, b, versions)
    return render_template("diff.html", name=name, a=a, b=b, versions=list(reversed(versions)),
                           cmp=diffview.compare(left, right))


@blueprint.get("/bundles/<hash_>")
def bundle(hash_: str):
    """One bundle as a reviewer reads it: messages as template text, interface, model."""
    s = store()
    matches = s.find_hashes(hash_) if len(hash_.split(":", 1)[-1]) >= 6 else []
    if len(matches) != 1:
        raise Missing(f"No single bundle has the hash `{hash_}`."
                      + (" It matches several:" if matches else " Give at least 6 hex digits of a stored hash."),
                      [(m, url_for("prompt.bundle", hash_=m)) for m in matches])
    doc = s.bundle(matches[0]) or {}
    spec = doc.get("spec") or {}
    counts = (doc.get("tokens") or {}).get("messages") or []
    messages = [(m.get("role", "?"), message_text(m), counts[i] if i < len(counts) else None)
                for i, m in enumerate(spec.get("messages") or [])]
    return render_template("bundle.html", doc=doc, hash=matches[0], messages=messages,
                           interface=diffview.interface(spec), model=present.pretty_json(spec.get("model") or {}),
                           retrieval=present.pretty_json(spec["retrieval"]) if "retrieval" in spec else None,
                           where=_live_where(doc.get("name", "")), command=present.command("show", matches[0]))


@blueprint.get("/prompts/<name>/signals")
def signals(name: str):
    """Per-version signal charts with the label's release events marked."""
    versions = known_prompt(name)
    s = store()
    envs = queries.signal_envs(s, name)
    env = request.args.get("env", "").strip() or ("prod" if "prod" in envs else envs[0] if envs else "")
    charts, span, width = [], None, 13
    if env in envs:
        span = queries.signal_span(s, name, env)
        buckets, width = queries.signal_buckets(s, name, env, span)
        events = s.events(name, env, since=_event_floor(span[0]), limit=400)
        charts = [(c.metric, svg(c.svg)) for c in signalview.charts(buckets, {h: v for v, h, _ in versions}, events)]
    return render_template("signals.html", name=name, env=env, envs=envs, charts=charts, span=span,
                           bucket="hour" if width == 13 else "day")


def _event_floor(first_minute: str) -> str:
    """Events from the start of the first signal bucket's day, so the chart also marks the
    move that started the traffic it shows."""
    return first_minute[:10]
