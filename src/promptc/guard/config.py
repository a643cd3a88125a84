"""What a rollout is guarded by: metrics, alpha, the smallest regression, dwell and steps.

The configuration is fixed when a rollout starts (from `[guard]` of promptc.toml, with
`promptc rollout … --guard METRICS` overriding the metric list) and stored in the audit
event that started it. Changing alpha or the metrics in the middle of a rollout would
change the test while it runs; a stored snapshot keeps it the one test that was started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

#: Guarded metric → the stored signals whose presence makes a response bad ("event"), or
#: the stored value compared with a cut-off ("above": bad when above it, "at-most": bad
#: when at or below it).
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "error": ("event", ("error", "format_error", "schema_error")),
    "format_error": ("event", ("format_error",)),
    "schema_error": ("event", ("schema_error",)),
    "fallback": ("event", ("fallback",)),
    "escalation": ("event", ("escalation",)),
    "correction": ("event", ("correction",)),
    "rating": ("at-most", ("rating",)),
    "latency": ("above", ("latency_ms",)),
    "cost": ("above", ("cost",)),
}
#: Quantile of the stable version's pre-rollout sample that becomes the cut-off.
CUTOFF_QUANTILE = {"latency": 0.90, "cost": 0.75}
#: A rating at or below this is bad unless configured (thumbs-down as -1 or 0).
DEFAULT_BAD_RATING = 0.0

DEFAULTS: dict[str, Any] = {
    "alpha": 0.05,
    "metrics": ["error"],
    "min_relative_risk": 2.0,
    "power": 0.95,
    "min_dwell": "30m",
    "steps": [1, 10, 50, 100],
    "srm_alpha": 0.001,
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """Seconds from `90`, `"90s"`, `"30m"`, `"2h"` or `"1d"`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"`{value}` is not a duration; write seconds or a number with s, m, h or d, "
                         "such as 30m")
    return float(match.group(1)) * _UNIT[match.group(2)]


def check_metrics(metrics: Any) -> list[str]:
    names = [m.strip() for m in metrics] if isinstance(metrics, (list, tuple)) else None
    if not names:
        raise ValueError("name at least one guarded metric")
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown guarded metric `{name}`; choose from {', '.join(METRICS)}")
    if len(set(names)) != len(names):
        raise ValueError("a guarded metric is named twice")
    return names


def parse_metric_list(text: str) -> list[str]:
    """`error,escalation` → ["error", "escalation"] (for --guard)."""
    return check_metrics([p for p in (s.strip() for s in text.split(",")) if p])


def check_steps(steps: Any) -> list[float]:
    values = [float(s) for s in steps]
    if not values or any(not 0 < s <= 100 for s in values) or values != sorted(set(values)):
        raise ValueError("steps must be increasing percentages above 0 and at most 100, such as [1, 10, 50, 100]")
    return values


@dataclass(frozen=True)
class MetricOptions:
    """Per-metric settings (`[guard.metric.NAME]`): a fixed cut-off instead of the stable
    version's pre-rollout percentile (for `rating`, bad at or below it), a known base rate
    (sizes the minimum exposure; the reference of the one-sample form), and the smallest
    regression worth catching for this metric."""

    threshold: Optional[float] = None
    base_rate: Optional[float] = None
    min_relative_risk: Optional[float] = None

    def to_json(self) -> dict:
        return {k: v for k, v in (("threshold", self.threshold), ("base_rate", self.base_rate),
                                  ("min_relative_risk", self.min_relative_risk)) if v is not None}


@dataclass(frozen=True)
class GuardConfig:
    alpha: float = DEFAULTS["alpha"]
    metrics: tuple[str, ...] = tuple(DEFAULTS["metrics"])
    min_relative_risk: float = DEFAULTS["min_relative_risk"]
    power: float = DEFAULTS["power"]
    min_dwell_s: float = 1800.0
    steps: tuple[float, ...] = tuple(float(s) for s in DEFAULTS["steps"])
    srm_alpha: float = DEFAULTS["srm_alpha"]
    options: Mapping[str, MetricOptions] = field(default_factory=dict)

    def option(self, metric: str) -> MetricOptions:
        return self.options.get(metric) or MetricOptions()

    def relative_risk(self, metric: str) -> float:
        return self.option(metric).min_relative_risk or self.min_relative_risk

    def to_json(self) -> dict:
        return {"alpha": self.alpha, "metrics": list(self.metrics), "min_relative_risk": self.min_relative_risk,
                "power": self.power, "min_dwell_s": self.min_dwell_s, "steps": list(self.steps),
                "srm_alpha": self.srm_alpha,
                "metric": {k: v.to_json() for k, v in sorted(self.options.items()) if v.to_json()}}

    @staticmethod
    def from_json(data: Mapping) -> "GuardConfig":
        return GuardConfig(
            alpha=float(data.get("alpha", DEFAULTS["alpha"])),
            metrics=tuple(check_metrics(data.get("metrics", DEFAULTS["metrics"]))),
            min_relative_risk=float(data.get("min_relative_risk", DEFAULTS["min_relative_risk"])),
            power=float(data.get("power", DEFAULTS["power"])),
            min_dwell_s=float(data["min_dwell_s"]) if "min_dwell_s" in data
            else parse_duration(data.get("min_dwell", DEFAULTS["min_dwell"])),
            steps=tuple(check_steps(data.get("steps", DEFAULTS["steps"]))),
            srm_alpha=float(data.get("srm_alpha", DEFAULTS["srm_alpha"])),
            options={k: MetricOptions(**{o: v.get(o) for o in ("threshold", "base_rate", "min_relative_risk")})
                     for k, v in (data.get("metric") or {}).items()},
        )

    @staticmethod
    def from_section(section: Any, metrics: Optional[list[str]] = None) -> "GuardConfig":
        """From the `[guard]` section of the project configuration (a pydantic model),
        with `metrics` (from --guard) replacing its list."""
        data = section.model_dump() if hasattr(section, "model_dump") else dict(section or {})
        if metrics:
            data["metrics"] = metrics
        return GuardConfig.from_json(data)


def parse_base_rates(items: Any) -> dict[str, float]:
    """`--base-rate error=0.02` (repeatable) → {"error": 0.02}."""
    rates: dict[str, float] = {}
    for item in items or ():
        metric, sep, value = str(item).partition("=")
        metric = metric.strip()
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not sep or not metric:
            raise ValueError(f"`{item}`: write METRIC=RATE, such as error=0.02")
        if metric not in METRICS:
            raise ValueError(f"`{item}`: unknown guarded metric `{metric}`; choose from {', '.join(METRICS)}")
        if not 0.0 < rate < 1.0:
            raise ValueError(f"`{item}`: a base rate is a fraction of responses above 0 and below 1, "
                             "such as 0.02")
        if metric in rates:
            raise ValueError(f"`{metric}` is given two base rates")
        rates[metric] = rate
    return rates


def with_base_rates(config: GuardConfig, rates: Mapping[str, float]) -> GuardConfig:
    """`config` with these metrics' base rates replaced (from the command line)."""
    if not rates:
        return config
    options = dict(config.options)
    for metric, rate in rates.items():
        current = options.get(metric) or MetricOptions()
        options[metric] = MetricOptions(current.threshold, rate, current.min_relative_risk)
    return GuardConfig.from_json({**config.to_json(), "metric": {k: v.to_json() for k, v in options.items()}})


def first_release_gaps(config: GuardConfig) -> list[str]:
    """What a first-release canary lacks: with no stable version there is no stable rate to
    compare with and no pre-rollout sample to take a latency or cost cut-off from, so each
    guarded metric needs a configured base rate (and those two a fixed threshold). Each gap
    says what to write."""
    gaps = []
    for metric in config.metrics:
        option = config.option(metric)
        if option.base_rate is None:
            gaps.append(f"no base rate for `{metric}`: add `[guard.metric.{metric}]` with `base_rate = 0.02` "
                        f"(your expected rate) to promptc.toml, or pass `--base-rate {metric}=0.02`")
        if METRICS[metric][0] == "above" and option.threshold is None:
            gaps.append(f"no cut-off for `{metric}`: add `threshold = …` under `[guard.metric.{metric}]` "
                        "(there is no stable version to take a percentile from)")
    return gaps


def describe(config: GuardConfig) -> str:
    dwell = config.min_dwell_s
    dwell_text = f"{dwell / 3600:g} h" if dwell >= 3600 and dwell % 3600 == 0 else (
        f"{dwell / 60:g} min" if dwell >= 60 else f"{dwell:g} s")
    return (f"alpha {config.alpha:g} over {', '.join(config.metrics)}; smallest regression "
            f"{config.min_relative_risk:g}x at power {config.power:g}; min dwell {dwell_text}; "
            f"steps {', '.join(f'{s:g}' for s in config.steps)} %; sample-ratio alpha {config.srm_alpha:g}"
            + "".join(f"; {m} base rate {config.option(m).base_rate:g}" for m in config.metrics
                      if config.option(m).base_rate is not None))
