"""Signal aggregates turned into chart series: one line per version of the prompt.

A signal row sums, for a window, how many responses had the signal (`count`) and the sum
of its values (`total`); `exposure` counts the responses served. So an event signal (an
escalation, a schema error) charts as its count over the exposures of the same bucket, the
share of responses that had it, and a value signal (latency, cost, rating) as `total /
count`, its mean. Metrics this module does not know are classed by their data: values that
are all 1 are events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from promptc.registry import signals
from promptc.registry.model import Event

from .charts import Marker, Series, line_chart
from .present import short
from .queries import SignalBucket, parse_instant

EXPOSURE = "exposure"
EVENT_SIGNALS = frozenset(signals.EVENT_SIGNALS)
#: Wide enough for two weeks of hourly points to stay readable.
WIDTH = 960


@dataclass(frozen=True)
class Chart:
    metric: str
    svg: str


def _label(hash_: str, versions: dict[str, str]) -> str:
    return versions.get(hash_) or short(hash_)


def markers(events: list[Event], versions: dict[str, str]) -> list[Marker]:
    """Release events as chart markers: what moved, to which version, at what share."""
    out = []
    for event in events:
        moment = parse_instant(event.at)
        if moment is None:
            continue
        target = _label(event.new_hash, versions) if event.new_hash else ""
        text = event.kind + (f" {target}" if target else "")
        if isinstance(event.data.get("percent"), (int, float)):
            text += f" {event.data['percent']:g} %"
        out.append(Marker(moment, text, event.kind))
    return out


Points = dict[str, dict[dt.datetime, tuple[int, float]]]  # hash → bucket → (count, total)


def _is_event(metric: str, lines: Points) -> bool:
    if metric in EVENT_SIGNALS:
        return True
    return all(total == count for points in lines.values() for count, total in points.values())


def charts(buckets: list[SignalBucket], versions: dict[str, str], events: list[Event]) -> list[Chart]:
    """A traffic chart, then one chart per signal (share of responses or mean, per version)."""
    if not buckets:
        return []
    marks = markers(events, versions)
    by_metric: dict[str, Points] = defaultdict(lambda: defaultdict(dict))
    for b in buckets:
        moment = parse_instant(b.bucket)
        if moment is not None:
            count, total = by_metric[b.metric][b.hash].get(moment, (0, 0.0))
            by_metric[b.metric][b.hash][moment] = (count + b.count, total + b.total)
    exposures = by_metric.get(EXPOSURE, {})
    first: dict[str, dt.datetime] = {}
    for lines in by_metric.values():
        for hash_, points in lines.items():
            first[hash_] = min(min(points), first.get(hash_, max(points)))
    order = sorted(first, key=lambda h: (first[h], _label(h, versions)))  # versions in order of release
    out = []
    if exposures:
        traffic = [Series(_label(h, versions), tuple((t, float(c)) for t, (c, _) in sorted(exposures[h].items())))
                   for h in order if h in exposures]
        out.append(Chart(EXPOSURE, line_chart("Responses served per bucket", traffic, marks, y_label="responses",
                                              width=WIDTH)))
    for metric in sorted(m for m in by_metric if m != EXPOSURE):
        lines = by_metric[metric]
        if _is_event(metric, lines):
            if not exposures:
                continue
            series = [Series(_label(h, versions), tuple(
                (t, lines.get(h, {}).get(t, (0, 0.0))[0] / served) for t, (served, _) in sorted(exposures[h].items())
                if served)) for h in order if h in exposures]
            title, y_label = f"{metric}: share of responses", "share"
        else:
            series = [Series(_label(h, versions), tuple((t, total / count) for t, (count, total)
                                                        in sorted(lines[h].items()) if count))
                      for h in order if h in lines]
            title, y_label = f"{metric}: mean per response", "mean"
        out.append(Chart(metric, line_chart(title, series, marks, y_label=y_label, width=WIDTH)))
    return out
