"""Synthetic traffic for the demo history: signal rows and guard evaluations.

The traffic follows what the registry serves at each moment (the arms of the label's state
then) and is recorded through `registry.signals.record`, exactly as the runtime client
records it; the bad release escalates to a human more than twice as often. The guard evaluations apply the documented rule in a simple form
(a mixture likelihood ratio over relative risks of "which arm did each bad event come
from", breach at 1/α with at least 4 candidate bad events), so the demo's breach happens
when its own data says so, not at a scripted time. They are demo data in the shape of the
guard's decision log, not the guard itself.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from promptc.guard.evaluate import format_evidence
from promptc.registry.signals import Exposure, Outcome

#: Responses per 30-minute tick, per prompt, in the demo's prod environment.
TRAFFIC = {"support.answer": 60, "sales.outreach": 20}
#: Signal → (base rate or mean, kind). Event signals are reported when they happen; value
#: signals with every response.
METRICS = {"escalation": (0.04, "event"), "schema_error": (0.008, "event"), "latency_ms": (1800.0, "value")}
#: How much worse the bad release behaves, by signal.
REGRESSION = {"escalation": 2.5, "schema_error": 2.0, "latency_ms": 1.12}
GUARDED = ("escalation", "schema_error")
ALPHA = 0.05
RELATIVE_RISKS = (1.5, 2.0, 3.0, 5.0)
MIN_CANDIDATE_BAD = 4


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def split(rng: random.Random, total: int, arms) -> list[tuple[object, int]]:
    """Responses of one tick across the serving arms, by weight (sticky bucketing makes the
    shares close to the weights, not exact)."""
    weight = sum(a.weight for a in arms) or 1
    out, left = [], total
    for i, arm in enumerate(arms):
        n = left if i == len(arms) - 1 else min(left, _binomial(rng, total, arm.weight / weight))
        out.append((arm, n))
        left -= n
    return out


def responses(rng: random.Random, first_id: int, env: str, name: str, minute: str, arm, n: int,
              regressed: bool) -> tuple[list[Exposure], list[Outcome], dict[str, int]]:
    """`n` served responses of one arm in one tick and the signals reported for them, as the
    runtime client would record them; also how many had each event signal."""
    exposures, outcomes = [], []
    bad = {m: 0 for m, (_, kind) in METRICS.items() if kind == "event"}
    for i in range(n):
        exposure = Exposure(f"demo-{first_id + i}", env, name, arm.hash, arm.variant, minute)
        values: dict[str, float] = {}
        for metric, (base, kind) in METRICS.items():
            factor = REGRESSION.get(metric, 1.0) if regressed else 1.0
            if kind == "event":
                if rng.random() < base * factor:
                    values[metric] = 1.0
                    bad[metric] += 1
            else:
                values[metric] = round(max(rng.gauss(base * factor, base * 0.25), 1.0), 1)
        exposures.append(exposure)
        outcomes.append(Outcome(exposure.response_id, values, exposure))
    return exposures, outcomes, bad


@dataclass
class MetricTally:
    """One guarded metric of one rollout: counts and the log-LR per relative risk."""

    candidate_exposures: int = 0
    stable_exposures: int = 0
    candidate_bad: int = 0
    stable_bad: int = 0
    expected_candidate: float = 0.0
    log_lr: list[float] = field(default_factory=lambda: [0.0] * len(RELATIVE_RISKS))

    def add_window(self, cand_n: int, stable_n: int, cand_bad: int, stable_bad: int, weight: float) -> None:
        """Condition on the window's exposures: under no difference a bad event comes from the
        candidate with probability p (its share); under relative risk R with R·p/(R·p+1−p).
        `weight` is the candidate's configured share then, for the sample-ratio check."""
        self.expected_candidate += (cand_n + stable_n) * weight
        self.candidate_exposures += cand_n
        self.stable_exposures += stable_n
        self.candidate_bad += cand_bad
        self.stable_bad += stable_bad
        if cand_n + stable_n == 0:
            return
        p = cand_n / (cand_n + stable_n)
        if p in (0.0, 1.0):
            return
        for k, risk in enumerate(RELATIVE_RISKS):
            p_r = risk * p / (risk * p + 1 - p)
            self.log_lr[k] += cand_bad * math.log(p_r / p) + stable_bad * math.log((1 - p_r) / (1 - p))

    def mixture(self) -> float:
        top = max(self.log_lr)
        return top + math.log(sum(math.exp(v - top) for v in self.log_lr) / len(self.log_lr))


def required_exposures(base_rate: float, alpha: float, risk: float = 2.0, power_factor: float = 2.0) -> int:
    """The demo's minimum exposure: candidate responses for the log-LR to drift to the
    threshold under a `risk`-times regression, doubled for power."""
    drift = base_rate * (risk * math.log(risk) - risk + 1)
    return math.ceil(power_factor * math.log(len(RELATIVE_RISKS) / alpha) / drift)


def evaluate(rollout_id: str, at: str, tallies: dict[str, MetricTally]) -> dict:
    """One guard evaluation in the decision log's shape."""
    alpha = ALPHA / len(GUARDED)
    threshold = 1 / alpha
    metrics = []
    for metric in GUARDED:
        t = tallies[metric]
        base = METRICS[metric][0]
        need = required_exposures(base, alpha)
        log_mix = t.mixture()
        if log_mix >= math.log(threshold) and t.candidate_bad >= MIN_CANDIDATE_BAD:
            decision = "breach"
        elif t.candidate_exposures < need:
            decision = "insufficient-data"
        else:
            decision = "continue"
        metrics.append({"metric": metric, "form": "two-sample", "candidate_exposures": t.candidate_exposures,
                        "stable_exposures": t.stable_exposures, "candidate_bad": t.candidate_bad,
                        "stable_bad": t.stable_bad, "log_lr": round(log_mix, 4), "threshold": threshold,
                        "log_threshold": round(math.log(threshold), 4), "alpha": alpha, "base_rate": base,
                        "required_exposures": need, "decision": decision})
    srm = _srm(tallies[GUARDED[0]])
    reasons = [f"{m['metric']}: breach, the candidate is worse (evidence {format_evidence(m['log_lr'], m['threshold'])}, "
               f"freezes at 100 %) with "
               f"{m['candidate_bad']} candidate bad events" for m in metrics if m["decision"] == "breach"]
    reasons += [f"{m['metric']}: {m['candidate_exposures']} of {m['required_exposures']} candidate exposures "
                "needed before a quiet metric counts" for m in metrics if m["decision"] == "insufficient-data"]
    decisions = {m["decision"] for m in metrics}
    overall = "breach" if "breach" in decisions else "insufficient-data" if "insufficient-data" in decisions \
        else "continue"
    return {"rollout": rollout_id, "evaluated_at": at, "alpha": ALPHA, "decision": overall,
            "reasons": reasons, "metrics": metrics, "srm": srm}


def _srm(t: MetricTally) -> dict:
    """Observed candidate share against the configured one, weighted over the steps so far."""
    total = t.candidate_exposures + t.stable_exposures
    expected = t.expected_candidate / total if total else 0.0
    observed = t.candidate_exposures / total if total else None
    if not total or expected in (0.0, 1.0):
        chi = 0.0
    else:
        want = total * expected
        chi = (t.candidate_exposures - want) ** 2 / want + (t.stable_exposures - (total - want)) ** 2 / (total - want)
    p_value = math.erfc(math.sqrt(chi / 2))
    log_bf = chi / 2 - 0.5 * math.log(max(total, 1))
    return {"candidate_exposures": t.candidate_exposures, "total_exposures": total, "expected_share": round(expected, 5),
            "observed_share": round(observed, 5) if observed is not None else None, "log_bf": round(log_bf, 4),
            "threshold": 1000.0, "chi_square": round(chi, 4), "p_value": round(p_value, 5),
            "decision": "insufficient-data" if total < 100 else "mismatch" if log_bf >= math.log(1000) else "ok"}
