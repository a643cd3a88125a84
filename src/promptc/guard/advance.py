"""When may a rollout move to its next step: minimum exposure and minimum dwell.

The sequential test never "passes"; it only fails to breach. Not breaching means something
only once the candidate has had enough traffic that a regression of the size one cares
about would have breached with high probability. `min_exposure` computes that amount.

Derivation (two-sample form; the one-sample form is the same with its own increments).
Let pi be the stable bad-event rate, RR the smallest regression to catch, p the candidate's
share. Per candidate exposure, under that regression, the candidate contributes
lambda_c = RR*pi bad events and stable contributes lambda_s = pi*(1-p)/p. Component k of the
mixture (relative risk R_k) moves by a_k = log R_k - log(1+(R_k-1)p) per candidate bad event
and b_k = -log(1+(R_k-1)p) per stable one, so after n candidate exposures its log-LR has

    drift    n*mu_k,     mu_k      = lambda_c*a_k   + lambda_s*b_k
    variance n*sigma_k^2, sigma_k^2 = lambda_c*a_k^2 + lambda_s*b_k^2   (Poisson counts)

The mixture is at least exp(log-LR_k)/K, so it reaches 1/alpha once log-LR_k reaches
B = log(K/alpha). With a normal approximation, P(log-LR_k(n) >= B) >= power when

    n*mu_k - z*sigma_k*sqrt(n) >= B,   z = Phi^-1(power),
    sqrt(n) = (z*sigma_k + sqrt(z^2*sigma_k^2 + 4*mu_k*B)) / (2*mu_k).

The answer is the smallest such n over the k with mu_k > 0 (an R_k far above RR drifts
down), raised if needed until the candidate has at least MIN_CANDIDATE_EVENTS bad events
with the same probability (exact Poisson tail). It is
conservative twice over: the test breaches if the log-LR crosses B at any time before n,
not only at n, and the mixture's other components add to it. mu_k falls as p grows (a
larger stable arm is a sharper reference), so comparing the exposure accumulated over all
steps with the requirement at the current, largest split errs on the safe side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

from .model import Decision
from .sprt import (MIN_CANDIDATE_EVENTS, RELATIVE_RISKS, check_relative_risks,
                   event_increments, one_sample_components, one_sample_increments)

DEFAULT_POWER = 0.95
DEFAULT_MIN_RELATIVE_RISK = 2.0


def _solve_sqrt_n(mu: float, sigma: float, z: float, bound: float) -> float:
    """The smallest n with n*mu - z*sigma*sqrt(n) >= bound (mu > 0, bound > 0)."""
    root = (z * sigma + math.sqrt(z * z * sigma * sigma + 4.0 * mu * bound)) / (2.0 * mu)
    return root * root


def _poisson_tail(mean: float, at_least: int) -> float:
    """P(Poisson(mean) >= at_least)."""
    if at_least <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for i in range(1, at_least):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def _mean_for_events(at_least: int, power: float) -> float:
    """The smallest Poisson mean giving at least `at_least` events with probability `power`."""
    lo, hi = 0.0, float(max(at_least, 1))
    while _poisson_tail(hi, at_least) < power:
        hi *= 2.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if _poisson_tail(mid, at_least) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def min_exposure(alpha_metric: float, min_relative_risk: float, base_rate: float,
                 split: float, *, power: float = DEFAULT_POWER,
                 relative_risks: Sequence[float] = RELATIVE_RISKS,
                 min_candidate_events: int = MIN_CANDIDATE_EVENTS) -> int:
    """Candidate exposures needed before a quiet metric may count as "continue".

    `alpha_metric` is the metric's share of alpha, `min_relative_risk` the smallest
    regression to catch (e.g. 2.0), `base_rate` the stable bad-event rate, `split` the
    candidate's share (1.0: the one-sample form, for a brand-new prompt or the 100 % step).
    """
    if not 0.0 < alpha_metric < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha_metric!r}")
    if not min_relative_risk > 1.0:
        raise ValueError("the smallest regression to catch must have relative risk > 1")
    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"base rate must be in (0, 1), got {base_rate!r}")
    if not 0.0 < split <= 1.0:
        raise ValueError(f"split must be in (0, 1], got {split!r}")
    if not 0.5 <= power < 1.0:
        raise ValueError(f"power must be in [0.5, 1), got {power!r}")
    z = NormalDist().inv_cdf(power)
    true_rate = min(min_relative_risk * base_rate, 1.0)

    if split >= 1.0:
        rrs = one_sample_components(base_rate, relative_risks)
        moments = []
        for rr in rrs:
            up, down = one_sample_increments(base_rate, rr)
            mu = true_rate * up + (1.0 - true_rate) * down
            sigma = math.sqrt(true_rate * (1.0 - true_rate)) * (up - down)
            moments.append((mu, sigma))
    else:
        rrs = check_relative_risks(relative_risks)
        stable_per_candidate = base_rate * (1.0 - split) / split
        moments = []
        for rr in rrs:
            a, b = event_increments(split, rr)
            mu = true_rate * a + stable_per_candidate * b
            sigma = math.sqrt(true_rate * a * a + stable_per_candidate * b * b)
            moments.append((mu, sigma))

    bound = math.log(len(rrs) / alpha_metric)
    candidates = [_solve_sqrt_n(mu, sigma, z, bound) for mu, sigma in moments if mu > 0]
    if not candidates:
        raise ValueError("no component of the mixture drifts upward under this regression")
    n_lr = min(candidates)
    n_events = _mean_for_events(min_candidate_events, power) / true_rate
    return math.ceil(max(n_lr, n_events))


def dwell_remaining(step_started_at: datetime, now: datetime, min_dwell: timedelta) -> timedelta:
    """How much longer the current step must run; zero once the dwell time is over. A
    minimum dwell covers what exposure counts cannot: daily traffic mixes and late signals
    (corrections, escalations) that arrive minutes after the response."""
    remaining = step_started_at + min_dwell - now
    return max(remaining, timedelta(0))


def dwell_satisfied(step_started_at: datetime, now: datetime, min_dwell: timedelta) -> bool:
    return dwell_remaining(step_started_at, now, min_dwell) == timedelta(0)


@dataclass(frozen=True)
class AdvanceGate:
    """Whether `rollout advance` may move on, and if not, every reason why not."""

    allowed: bool
    reasons: tuple[str, ...]


def advance_gate(decision: Decision, *, step_started_at: datetime, now: datetime,
                 min_dwell: timedelta) -> AdvanceGate:
    """Advance only on a "continue" decision (no breach, every metric past its minimum
    exposure, split consistent) after the minimum dwell time."""
    reasons: list[str] = []
    if decision.decision != "continue":
        reasons.append(f"guard decision is {decision.decision}")
        reasons.extend(decision.reasons)
    remaining = dwell_remaining(step_started_at, now, min_dwell)
    if remaining > timedelta(0):
        reasons.append(f"minimum dwell not reached: {int(remaining.total_seconds())} s to go")
    return AdvanceGate(allowed=not reasons, reasons=tuple(reasons))
