"""The guard's data: per-window counts in, evidence and decisions out.

All immutable, and the outputs JSON-serialisable, because every evaluation is appended to a
per-rollout decision log that must read back exactly what was decided and why.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

MetricDecision = Literal["breach", "continue", "insufficient-data"]
SRMDecision = Literal["mismatch", "ok", "insufficient-data"]
Form = Literal["two-sample", "one-sample"]

METRIC_DECISIONS: tuple[str, ...] = ("breach", "continue", "insufficient-data")
SRM_DECISIONS: tuple[str, ...] = ("mismatch", "ok", "insufficient-data")


@dataclass(frozen=True)
class Window:
    """One metric's counts in one closed time window (a minute): exposures per arm and how
    many of them were bad. Conditioning on these exposure counts is what lets the test
    ignore traffic that varies over the day and between rollout steps."""

    candidate_exposures: int
    stable_exposures: int
    candidate_bad: int
    stable_bad: int

    def __post_init__(self) -> None:
        for name in ("candidate_exposures", "stable_exposures", "candidate_bad", "stable_bad"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a nonnegative int, got {value!r}")
        if self.candidate_bad > self.candidate_exposures:
            raise ValueError("candidate_bad exceeds candidate_exposures")
        if self.stable_bad > self.stable_exposures:
            raise ValueError("stable_bad exceeds stable_exposures")

    @property
    def candidate_share(self) -> float | None:
        """p = candidate exposures / all exposures; None for a window without traffic."""
        total = self.candidate_exposures + self.stable_exposures
        return self.candidate_exposures / total if total else None


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"evidence must be finite, got {value!r}")
    return value


@dataclass(frozen=True)
class MetricEvidence:
    """One guarded metric's evidence at one evaluation.

    `log_lr` is the log of the mixture likelihood ratio and `threshold` the likelihood ratio
    it is compared with (1/alpha); logs are kept because the ratio itself overflows.
    `required_exposures` is the candidate exposure at which a regression of the configured
    size would have been caught with the configured power: below it a quiet metric is
    "insufficient-data", never a pass."""

    metric: str
    form: Form
    candidate_exposures: int
    stable_exposures: int
    candidate_bad: int
    stable_bad: int
    log_lr: float
    threshold: float
    alpha: float
    base_rate: float | None
    required_exposures: int | None
    decision: MetricDecision

    def __post_init__(self) -> None:
        if self.decision not in METRIC_DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")
        _finite(self.log_lr)

    @property
    def log_threshold(self) -> float:
        return math.log(self.threshold)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["log_threshold"] = self.log_threshold
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MetricEvidence":
        return cls(**{k: v for k, v in data.items() if k != "log_threshold"})


@dataclass(frozen=True)
class SRMEvidence:
    """The sample-ratio check: candidate exposures observed against the configured weights.

    `log_bf` is the log of the sequential (mixture) Bayes factor that decides; `chi_square`
    and `p_value` are the classical fixed-sample figures, for people reading the log only."""

    candidate_exposures: int
    total_exposures: int
    expected_share: float
    observed_share: float | None
    log_bf: float
    threshold: float
    chi_square: float
    p_value: float
    decision: SRMDecision

    def __post_init__(self) -> None:
        if self.decision not in SRM_DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")
        _finite(self.log_bf)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SRMEvidence":
        return cls(**data)


@dataclass(frozen=True)
class Decision:
    """One evaluation of a whole rollout: every guarded metric plus the sample-ratio check.

    `decision` is "breach" when any metric breached or the split is broken (freeze and route
    to stable), "insufficient-data" when anything has not yet seen enough traffic (do not
    advance), and "continue" otherwise. `reasons` says why, one line each."""

    rollout: str
    evaluated_at: str
    alpha: float
    metrics: tuple[MetricEvidence, ...]
    srm: SRMEvidence | None
    decision: MetricDecision
    reasons: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.decision not in METRIC_DECISIONS:
            raise ValueError(f"unknown decision {self.decision!r}")

    @property
    def freeze(self) -> bool:
        return self.decision == "breach"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "evaluated_at": self.evaluated_at,
            "alpha": self.alpha,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "metrics": [m.to_dict() for m in self.metrics],
            "srm": self.srm.to_dict() if self.srm is not None else None,
        }

    def to_json(self) -> str:
        """One line of the decision log: sorted keys, no NaN or infinity."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Decision":
        return cls(
            rollout=data["rollout"],
            evaluated_at=data["evaluated_at"],
            alpha=data["alpha"],
            metrics=tuple(MetricEvidence.from_dict(m) for m in data["metrics"]),
            srm=SRMEvidence.from_dict(data["srm"]) if data.get("srm") is not None else None,
            decision=data["decision"],
            reasons=tuple(data.get("reasons", ())),
        )

    @classmethod
    def from_json(cls, text: str) -> "Decision":
        return cls.from_dict(json.loads(text))
