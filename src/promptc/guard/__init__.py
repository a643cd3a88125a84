"""The rollout guard's statistics: an anytime-valid sequential test on bad events.

`sprt` holds the mixture likelihood ratio (two-sample given each window's split, and
one-sample against a base rate), `srm` the sample-ratio check, `thresholds` the percentile
cut-offs that turn latency and cost into bad events, `advance` the minimum exposure and
dwell time before a step may advance, and `evaluate` the per-metric evidence and the
rollout `Decision` that is appended to the decision log. See docs/guard.md for the math.

Around these pure modules, and imported only when used: `config` (what a rollout is guarded
by), `rollouts` (reading windows from the registry, logging decisions, freezing on a
breach, advancing steps), `ingest` (`promptc signals ingest`), `report` and `commands`.
"""

from .advance import (AdvanceGate, advance_gate, dwell_remaining, dwell_satisfied,
                      min_exposure)
from .evaluate import decide, evaluate_one_sample, evaluate_two_sample, format_evidence
from .model import Decision, MetricEvidence, SRMEvidence, Window
from .sprt import (MIN_CANDIDATE_EVENTS, RELATIVE_RISKS, TwoSampleSPRT, candidate_probability,
                   event_increments, is_breach, log_threshold, logsumexp, mixture_log_lr,
                   one_sample_increments, one_sample_log_lrs, split_alpha, two_sample_log_lrs,
                   window_log_lr)
from .srm import SRM_ALPHA, SplitSegment, srm_check
from .thresholds import (COST_QUANTILE, LATENCY_QUANTILE, cost_threshold, count_bad, is_bad,
                         latency_threshold, percentile)

__all__ = [
    "AdvanceGate", "COST_QUANTILE", "Decision", "LATENCY_QUANTILE", "MIN_CANDIDATE_EVENTS",
    "MetricEvidence", "RELATIVE_RISKS", "SRMEvidence", "SRM_ALPHA", "SplitSegment",
    "TwoSampleSPRT", "Window", "advance_gate", "candidate_probability", "cost_threshold",
    "count_bad", "decide", "dwell_remaining", "dwell_satisfied", "evaluate_one_sample",
    "evaluate_two_sample", "event_increments", "format_evidence", "is_bad", "is_breach",
    "latency_threshold", "log_threshold", "logsumexp", "min_exposure", "mixture_log_lr",
    "one_sample_increments", "one_sample_log_lrs", "percentile", "split_alpha", "srm_check",
    "two_sample_log_lrs", "window_log_lr",
]
