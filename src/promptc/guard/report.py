"""Decisions for people: the lines `guard check`, `rollout show` and `rollout advance` print."""

from __future__ import annotations

from typing import Optional

from .evaluate import EVIDENCE_LEGEND, format_evidence
from .model import MetricEvidence, SRMEvidence


def metric_line(m: MetricEvidence) -> str:
    """counts, evidence against its threshold, and the decision of one metric."""
    if m.form == "two-sample":
        counts = (f"candidate {m.candidate_bad}/{m.candidate_exposures}  "
                  f"stable {m.stable_bad}/{m.stable_exposures}")
    else:
        counts = f"candidate {m.candidate_bad}/{m.candidate_exposures}  vs base rate " + (
            f"{m.base_rate:.4g}" if m.base_rate is not None else "n/a")
    need = f"  needs {m.required_exposures} candidate exposures" if m.required_exposures else ""
    return (f"{m.metric:<13} {m.form:<10}  {counts}  evidence {format_evidence(m.log_lr, m.threshold)}{need}"
            f"  → {m.decision}")


def pending_line(pending: int, minute: str, counts_at: str) -> str:
    """Why traffic just served is not in the counts yet."""
    served = f"{pending} response{'s' * (pending != 1)} served" if pending else "responses served"
    return (f"note: {served} from {minute[11:]} UTC on are not counted yet: a minute counts once it has ended "
            f"and settled ({minute[11:]} counts from {counts_at} UTC)")


def srm_line(s: Optional[SRMEvidence]) -> Optional[str]:
    if s is None:
        return None
    share = f"{s.observed_share:.4f}" if s.observed_share is not None else "n/a"
    return (f"{'sample ratio':<13} {'':<10}  candidate share {share} of {s.total_exposures} vs "
            f"{s.expected_share:.4f}  evidence {format_evidence(s.log_bf, s.threshold)}  → {s.decision}")


def decision_lines(decision: dict, indent: str = "    ") -> list[str]:
    """The per-metric lines of a logged decision (`Decision.to_dict()` form)."""
    from .model import Decision

    parsed = Decision.from_dict(decision)
    lines = [indent + metric_line(m) for m in parsed.metrics]
    srm = srm_line(parsed.srm)
    if srm:
        lines.append(indent + srm)
    lines.extend(indent + "- " + r for r in parsed.reasons)
    if parsed.metrics or parsed.srm is not None:
        lines.append(indent + EVIDENCE_LEGEND)
    return lines
