"""Evaluating a rollout: per-metric evidence, then one decision for the rollout.

These functions are pure: counts in, evidence out. Reading windows from the registry,
latching a breach, routing traffic and appending `Decision.to_json()` to the decision log
are the caller's; keeping them out of here is what lets the statistics be tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from .advance import DEFAULT_MIN_RELATIVE_RISK, DEFAULT_POWER, min_exposure
from .model import Decision, MetricDecision, MetricEvidence, SRMEvidence, Window
from .sprt import (MIN_CANDIDATE_EVENTS, RELATIVE_RISKS, is_breach, mixture_log_lr,
                   one_sample_log_lrs, two_sample_log_lrs)


def _stable_rate(stable_bad: int, stable_exposures: int) -> float:
    """The stable arm's bad-event rate, shrunk off zero ((x + 1/2) / (n + 1)) so a metric
    that has not fired yet still gets a finite, large, minimum exposure."""
    return (stable_bad + 0.5) / (stable_exposures + 1.0)


def evaluate_two_sample(metric: str, windows: Iterable[Window], *, alpha_metric: float,
                        base_rate: float | None = None, split: float | None = None,
                        min_relative_risk: float = DEFAULT_MIN_RELATIVE_RISK,
                        power: float = DEFAULT_POWER,
                        relative_risks: Sequence[float] = RELATIVE_RISKS,
                        min_candidate_events: int = MIN_CANDIDATE_EVENTS) -> MetricEvidence:
    """The two-sample evidence of one metric over a rollout's closed windows.

    `base_rate` is the stable bad-event rate used for the minimum exposure (from stable's
    history or configuration; default: estimated from the windows' stable arm). `split`
    is the candidate share that minimum is computed at (default: the largest share seen in
    a window where both arms had traffic, the conservative choice)."""
    windows = list(windows)
    log_lr = mixture_log_lr(two_sample_log_lrs(windows, relative_risks))
    cand_exp = sum(w.candidate_exposures for w in windows)
    stable_exp = sum(w.stable_exposures for w in windows)
    cand_bad = sum(w.candidate_bad for w in windows)
    stable_bad = sum(w.stable_bad for w in windows)

    if split is None:
        shares = [w.candidate_exposures / (w.candidate_exposures + w.stable_exposures)
                  for w in windows if w.candidate_exposures and w.stable_exposures]
        split = max(shares) if shares else None
    elif not 0.0 < split < 1.0:
        raise ValueError(f"a two-sample split must be in (0, 1), got {split!r}")
    rate = base_rate
    if rate is None and stable_exp:
        rate = _stable_rate(stable_bad, stable_exp)
    required = None
    if split is not None and rate is not None and 0.0 < rate < 1.0:
        required = min_exposure(alpha_metric, min_relative_risk, rate, split,
                                power=power, relative_risks=relative_risks,
                                min_candidate_events=min_candidate_events)

    decision: MetricDecision
    if is_breach(log_lr, alpha_metric, cand_bad, min_candidate_events):
        decision = "breach"
    elif required is not None and cand_exp >= required:
        decision = "continue"
    else:
        decision = "insufficient-data"
    return MetricEvidence(
        metric=metric, form="two-sample",
        candidate_exposures=cand_exp, stable_exposures=stable_exp,
        candidate_bad=cand_bad, stable_bad=stable_bad,
        log_lr=log_lr, threshold=1.0 / alpha_metric, alpha=alpha_metric,
        base_rate=rate, required_exposures=required, decision=decision)


def evaluate_one_sample(metric: str, exposures: int, bad: int, base_rate: float, *,
                        alpha_metric: float,
                        min_relative_risk: float = DEFAULT_MIN_RELATIVE_RISK,
                        power: float = DEFAULT_POWER,
                        relative_risks: Sequence[float] = RELATIVE_RISKS,
                        min_candidate_events: int = MIN_CANDIDATE_EVENTS) -> MetricEvidence:
    """The one-sample evidence: `bad` of `exposures` candidate responses against the
    reference rate `base_rate`, fixed before the data (stable's history or configuration).
    For a brand-new prompt or the 100 % step, where there is no concurrent stable arm."""
    log_lr = mixture_log_lr(one_sample_log_lrs(exposures, bad, base_rate, relative_risks))
    required = min_exposure(alpha_metric, min_relative_risk, base_rate, 1.0, power=power,
                            relative_risks=relative_risks,
                            min_candidate_events=min_candidate_events)
    decision: MetricDecision
    if is_breach(log_lr, alpha_metric, bad, min_candidate_events):
        decision = "breach"
    elif exposures >= required:
        decision = "continue"
    else:
        decision = "insufficient-data"
    return MetricEvidence(
        metric=metric, form="one-sample",
        candidate_exposures=exposures, stable_exposures=0, candidate_bad=bad, stable_bad=0,
        log_lr=log_lr, threshold=1.0 / alpha_metric, alpha=alpha_metric,
        base_rate=base_rate, required_exposures=required, decision=decision)


#: What the evidence figure means, printed once beside it.
EVIDENCE_LEGEND = ("evidence: how far the counts have gone toward showing the candidate is worse (than stable, or "
                   "the base rate), in % of the level at which the guard freezes it: 100 % freezes; at 0 % or "
                   "below the counts favour the candidate")


def format_evidence(log_value: float, threshold: float) -> str:
    """The test's evidence for people, in one unit: its log likelihood ratio (or Bayes factor)
    as a share of log `threshold`, the level at which the guard acts. 100 % acts."""
    return f"{100.0 * log_value / math.log(threshold):,.0f} %"


def _metric_reason(m: MetricEvidence) -> str | None:
    if m.decision == "breach":
        return (f"{m.metric}: breach, the candidate is worse (evidence {format_evidence(m.log_lr, m.threshold)}, "
                f"freezes at 100 %) with {m.candidate_bad} candidate / {m.stable_bad} stable bad events")
    if m.decision == "insufficient-data":
        if m.required_exposures is None:
            return f"{m.metric}: insufficient data, no base rate or split to size the test"
        return (f"{m.metric}: insufficient data, {m.candidate_exposures} of "
                f"{m.required_exposures} required candidate exposures")
    return None


def _srm_reason(s: SRMEvidence) -> str | None:
    if s.decision == "mismatch":
        share = f"{s.observed_share:.4f}" if s.observed_share is not None else "n/a"
        return (f"sample-ratio mismatch: candidate share {share} vs configured "
                f"{s.expected_share:.4f} (evidence {format_evidence(s.log_bf, s.threshold)}, acts at 100 %): "
                "bucketing or reporting is broken")
    if s.decision == "insufficient-data":
        return f"sample-ratio check: insufficient data, {s.total_exposures} exposures"
    return None


def decide(rollout: str, metrics: Sequence[MetricEvidence], srm: SRMEvidence | None, *,
           alpha: float, evaluated_at: datetime | str) -> Decision:
    """Combine the metrics (each evaluated at its Bonferroni share of `alpha`) and the
    sample-ratio check: any breach or mismatch freezes; anything short of data holds."""
    reasons = [r for r in (_metric_reason(m) for m in metrics) if r]
    if srm is not None and (r := _srm_reason(srm)):
        reasons.append(r)
    decision: MetricDecision
    if (any(m.decision == "breach" for m in metrics)
            or (srm is not None and srm.decision == "mismatch")):
        decision = "breach"
    elif (any(m.decision == "insufficient-data" for m in metrics)
          or (srm is not None and srm.decision == "insufficient-data")):
        decision = "insufficient-data"
    else:
        decision = "continue"
    stamp = evaluated_at.isoformat() if isinstance(evaluated_at, datetime) else evaluated_at
    return Decision(rollout=rollout, evaluated_at=stamp, alpha=alpha, metrics=tuple(metrics),
                    srm=srm, decision=decision, reasons=tuple(reasons))
