"""Turning continuous metrics (latency, cost) into bad events.

The sequential test counts bad events, so a latency or cost regression has to become one:
a response is bad when it exceeds a high percentile of the stable version's pre-rollout
sample (p90 for latency, p75 for cost). The threshold is fixed before the rollout starts
and applied to both arms alike; a candidate that is slower shows up as a larger share of
the responses above it. Fixing it in advance matters: a threshold re-estimated from data
that includes the candidate would move with the regression it is meant to detect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

LATENCY_QUANTILE = 0.90
COST_QUANTILE = 0.75


def percentile(sample: Iterable[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (the common
    default, numpy's "linear"): position q*(n-1) in the sorted sample."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {q!r}")
    values = sorted(float(v) for v in sample)
    if not values:
        raise ValueError("cannot take a percentile of an empty sample")
    if any(math.isnan(v) for v in values):
        raise ValueError("sample contains NaN")
    pos = q * (len(values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def latency_threshold(stable_latencies: Iterable[float]) -> float:
    """Bad-latency threshold: the stable version's pre-rollout p90."""
    return percentile(stable_latencies, LATENCY_QUANTILE)


def cost_threshold(stable_costs: Iterable[float]) -> float:
    """Bad-cost threshold: the stable version's pre-rollout p75."""
    return percentile(stable_costs, COST_QUANTILE)


def is_bad(value: float, threshold: float) -> bool:
    """Strictly above: ties with the threshold are not bad, so a metric with many equal
    values (tokens, rounded costs) does not count the stable version's own mode as bad."""
    return value > threshold


def count_bad(values: Sequence[float] | Iterable[float], threshold: float) -> int:
    return sum(1 for v in values if is_bad(v, threshold))
