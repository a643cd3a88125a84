"""Sample-ratio mismatch: is the candidate getting the share of traffic it was configured for?

When it is not, bucketing or reporting is broken, and every comparison between the arms is
suspect (a candidate whose failures go unreported looks both healthier and smaller). The
check is a sequential Bayes factor so that, like the metric guard, it may be evaluated after
every window: under H0 each exposure goes to the candidate with probability w, and a
Beta(k*w, k*(1-w)) mixture over the alternative share gives the closed form

    BF = B(k*w + x, k*(1-w) + y) / B(k*w, k*(1-w)) / (w^x * (1-w)^y)

for x candidate and y stable exposures: a nonnegative martingale under H0, so
P(ever BF >= 1/alpha) <= alpha (Lindon and Malek, "Anytime-Valid Inference for Multinomial
Count Data", NeurIPS 2022, use the Dirichlet form of the same test for SRM). Rollout steps
change w; each step is its own segment, and the product of the per-segment factors is still
a martingale, so one alpha covers the whole rollout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .model import SRMDecision, SRMEvidence

SRM_ALPHA = 0.001
"""Strict: a mismatch freezes the rollout, and a broken split is usually gross."""

SRM_MIN_EXPOSURES = 1000
SRM_CONCENTRATION = 1000.0
"""k of the Beta mixture: the prior share has standard deviation sqrt(w(1-w)/(k+1)), about
a tenth of w at w = 10 %, which is the scale of breakage worth catching."""


@dataclass(frozen=True)
class SplitSegment:
    """Exposures seen while the configured candidate weight was `weight` (one rollout step)."""

    weight: float
    candidate_exposures: int
    stable_exposures: int

    def __post_init__(self) -> None:
        if not 0.0 < self.weight < 1.0:
            raise ValueError(f"a split to check needs 0 < weight < 1, got {self.weight!r}")
        if self.candidate_exposures < 0 or self.stable_exposures < 0:
            raise ValueError("exposure counts must be nonnegative")


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def segment_log_bf(segment: SplitSegment, concentration: float = SRM_CONCENTRATION) -> float:
    """log of the Beta-binomial Bayes factor of one segment against its configured weight."""
    w, x, y = segment.weight, segment.candidate_exposures, segment.stable_exposures
    a, b = concentration * w, concentration * (1.0 - w)
    return (_log_beta(a + x, b + y) - _log_beta(a, b)
            - x * math.log(w) - y * math.log1p(-w))


def srm_check(segments: Sequence[SplitSegment], *, alpha: float = SRM_ALPHA,
              min_exposures: int = SRM_MIN_EXPOSURES,
              concentration: float = SRM_CONCENTRATION) -> SRMEvidence:
    """"mismatch" when the Bayes factor reaches 1/alpha after at least `min_exposures`
    exposures, "insufficient-data" before that, "ok" otherwise."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if concentration <= 0:
        raise ValueError("concentration must be positive")
    log_bf = sum(segment_log_bf(s, concentration) for s in segments)
    observed = sum(s.candidate_exposures for s in segments)
    total = sum(s.candidate_exposures + s.stable_exposures for s in segments)
    expected = sum(s.weight * (s.candidate_exposures + s.stable_exposures) for s in segments)
    variance = sum(s.weight * (1.0 - s.weight) * (s.candidate_exposures + s.stable_exposures)
                   for s in segments)
    chi_square = (observed - expected) ** 2 / variance if variance > 0 else 0.0
    # One degree of freedom: P(chi2_1 >= c) = erfc(sqrt(c / 2)).
    p_value = math.erfc(math.sqrt(chi_square / 2.0))
    decision: SRMDecision
    if total < min_exposures:
        decision = "insufficient-data"
    elif log_bf >= -math.log(alpha):
        decision = "mismatch"
    else:
        decision = "ok"
    return SRMEvidence(
        candidate_exposures=observed,
        total_exposures=total,
        expected_share=expected / total if total else (segments[-1].weight if segments else 0.0),
        observed_share=observed / total if total else None,
        log_bf=log_bf,
        threshold=1.0 / alpha,
        chi_square=chi_square,
        p_value=p_value,
        decision=decision,
    )
