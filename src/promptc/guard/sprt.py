"""The sequential decision rule: a mixture likelihood ratio over relative risks.

The guard must stay valid however often it is evaluated (cron, `guard watch`, after every
reported signal). A fixed-sample test checked repeatedly inflates its false-alarm rate; a
nonnegative (super)martingale compared against 1/alpha does not, by Ville's inequality. Each
fixed-alternative likelihood ratio below is such a martingale under "the candidate is no
worse than stable", and so is any fixed average of them; that is why the rule averages over
a grid of relative risks instead of maximising over them (Kulldorff et al.'s MaxSPRT needs
simulated critical values; the mixture keeps the threshold at exactly 1/alpha).

Two forms:

* two-sample: given a window's exposure split, a bad event came from the candidate with
  probability p (the candidate's exposure share) under H0 and with
  q = RR*p / (RR*p + 1 - p) when the candidate's bad-event rate is RR times stable's;
* one-sample: the candidate alone against a reference base rate p0 (brand-new prompts, the
  100 % stage), a binomial likelihood ratio of rate RR*p0 against p0.

Everything is in log space: the ratios overflow floats within a few hundred events.
Pure Python and `math` only, so the runtime guard carries no numeric dependencies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .model import Window

RELATIVE_RISKS: tuple[float, ...] = (1.5, 2.0, 3.0, 5.0)
"""The alternatives mixed with equal weight: from a mild to a gross regression."""

MIN_CANDIDATE_EVENTS = 4
"""A breach also needs this many candidate bad events, so that one or two unlucky early
events at a 1 % split cannot freeze a rollout on their own (it only makes breaches rarer,
so the false-alarm bound still holds)."""


def check_relative_risks(relative_risks: Sequence[float]) -> tuple[float, ...]:
    """The grid as a tuple; every alternative must be a regression (RR > 1): that is what
    makes a stable-arm event lower every component, and the bound hold for all candidates
    no worse than stable."""
    rrs = tuple(float(rr) for rr in relative_risks)
    if not rrs:
        raise ValueError("at least one relative risk is needed")
    for rr in rrs:
        if not (rr > 1.0 and math.isfinite(rr)):
            raise ValueError(f"relative risks must be finite and > 1, got {rr!r}")
    return rrs


def logsumexp(values: Sequence[float]) -> float:
    """log(sum(exp(v))) without overflow: shift by the largest term."""
    if not values:
        return -math.inf
    top = max(values)
    if top == -math.inf:
        return -math.inf
    return top + math.log(sum(math.exp(v - top) for v in values))


def mixture_log_lr(log_lrs: Sequence[float]) -> float:
    """log of the equal-weight average of the component likelihood ratios."""
    return logsumexp(log_lrs) - math.log(len(log_lrs))


def split_alpha(alpha: float, n_metrics: int) -> float:
    """Bonferroni: each of `n_metrics` guarded metrics gets alpha / n_metrics, so the chance
    that any of them ever falsely breaches stays at most alpha."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if n_metrics < 1:
        raise ValueError("at least one guarded metric is needed")
    return alpha / n_metrics


def log_threshold(alpha_metric: float) -> float:
    """log(1/alpha): Ville's inequality makes P(sup LR >= 1/alpha) <= alpha under H0."""
    if not 0.0 < alpha_metric < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha_metric!r}")
    return -math.log(alpha_metric)


def candidate_probability(share: float, relative_risk: float) -> float:
    """q = RR*p / (RR*p + 1 - p): the chance a bad event came from the candidate when its
    exposure share is p and its bad-event rate is RR times stable's."""
    return relative_risk * share / (relative_risk * share + 1.0 - share)


def event_increments(share: float, relative_risk: float) -> tuple[float, float]:
    """(log q/p, log (1-q)/(1-p)): what one candidate bad event and one stable bad event add
    to the log-LR of alternative RR in a window where the candidate's share is p.

    Closed forms log(RR) - log(1 + (RR-1)p) and -log(1 + (RR-1)p) avoid dividing by p or
    1 - p, so windows where one arm got no traffic (p = 0 or 1) just add nothing."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share!r}")
    denom = math.log1p((relative_risk - 1.0) * share)
    return math.log(relative_risk) - denom, -denom


def window_log_lr(window: Window, relative_risk: float) -> float:
    """The window's contribution c*log(RR) - (c + s)*log(1 + (RR-1)p): the product over its
    bad events of q/p or (1-q)/(1-p), in log space."""
    share = window.candidate_share
    if share is None:
        return 0.0
    cand, stable = event_increments(share, relative_risk)
    return window.candidate_bad * cand + window.stable_bad * stable


def two_sample_log_lrs(windows: Iterable[Window],
                       relative_risks: Sequence[float] = RELATIVE_RISKS) -> tuple[float, ...]:
    """Per alternative, the log-LR summed over windows (the product over all bad events)."""
    rrs = check_relative_risks(relative_risks)
    totals = [0.0] * len(rrs)
    for window in windows:
        for i, rr in enumerate(rrs):
            totals[i] += window_log_lr(window, rr)
    return tuple(totals)


def one_sample_components(base_rate: float,
                          relative_risks: Sequence[float] = RELATIVE_RISKS) -> tuple[float, ...]:
    """The relative risks usable against base rate p0: those with RR*p0 < 1. The set depends
    only on p0, fixed before any data, so the mixture over it stays a martingale (a cost
    metric with p0 = 0.25 mixes 1.5, 2 and 3 only)."""
    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"base rate must be in (0, 1), got {base_rate!r}")
    usable = tuple(rr for rr in check_relative_risks(relative_risks) if rr * base_rate < 1.0)
    if not usable:
        raise ValueError(f"no relative risk keeps RR*p0 < 1 at base rate {base_rate!r}")
    return usable


def one_sample_increments(base_rate: float, relative_risk: float) -> tuple[float, float]:
    """(log p1/p0, log (1-p1)/(1-p0)) with p1 = RR*p0: what one bad and one good exposure
    add to the binomial log-LR."""
    p1 = relative_risk * base_rate
    return math.log(relative_risk), math.log1p(-p1) - math.log1p(-base_rate)


def one_sample_log_lrs(exposures: int, bad: int, base_rate: float,
                       relative_risks: Sequence[float] = RELATIVE_RISKS) -> tuple[float, ...]:
    """Per usable alternative, x*log(p1/p0) + (n-x)*log((1-p1)/(1-p0)) for x bad events in
    n candidate exposures."""
    if not 0 <= bad <= exposures:
        raise ValueError(f"need 0 <= bad <= exposures, got bad={bad}, exposures={exposures}")
    out = []
    for rr in one_sample_components(base_rate, relative_risks):
        up, down = one_sample_increments(base_rate, rr)
        out.append(bad * up + (exposures - bad) * down)
    return tuple(out)


def is_breach(log_lr: float, alpha_metric: float, candidate_bad: int,
              min_candidate_events: int = MIN_CANDIDATE_EVENTS) -> bool:
    """The breach rule: mixture LR >= 1/alpha_metric and enough candidate bad events."""
    return log_lr >= log_threshold(alpha_metric) and candidate_bad >= min_candidate_events


class TwoSampleSPRT:
    """The two-sample statistic kept up to date event by event or window by window, for a
    watcher that should not re-read history; equal to `two_sample_log_lrs` over the same
    data. Evaluate closed windows only: a window's share must be final when its events are
    counted, or the factors are not the ones the martingale argument is about."""

    __slots__ = ("relative_risks", "log_lrs", "candidate_bad", "stable_bad")

    def __init__(self, relative_risks: Sequence[float] = RELATIVE_RISKS) -> None:
        self.relative_risks = check_relative_risks(relative_risks)
        self.log_lrs = [0.0] * len(self.relative_risks)
        self.candidate_bad = 0
        self.stable_bad = 0

    def add(self, share: float, candidate_bad: int = 0, stable_bad: int = 0) -> float:
        """Count bad events seen at candidate share `share`; returns the mixture log-LR."""
        if candidate_bad < 0 or stable_bad < 0:
            raise ValueError("bad-event counts must be nonnegative")
        for i, rr in enumerate(self.relative_risks):
            cand, stable = event_increments(share, rr)
            self.log_lrs[i] += candidate_bad * cand + stable_bad * stable
        self.candidate_bad += candidate_bad
        self.stable_bad += stable_bad
        return self.log_lr

    def add_window(self, window: Window) -> float:
        share = window.candidate_share
        if share is None:
            return self.log_lr
        return self.add(share, window.candidate_bad, window.stable_bad)

    @property
    def log_lr(self) -> float:
        return mixture_log_lr(self.log_lrs)

    def breached(self, alpha_metric: float,
                 min_candidate_events: int = MIN_CANDIDATE_EVENTS) -> bool:
        return is_breach(self.log_lr, alpha_metric, self.candidate_bad, min_candidate_events)
