"""The rollout guard's statistics: hand-checked formulas and seeded simulations.

The simulations are the acceptance tests of the guard: with no regression, at most alpha of
500 staged rollouts may ever freeze although the rule is checked after every bad event; a
2x regression at a 2 % base rate must be caught in at least 95 % of runs before the 50 % step.

Traffic model (one window = one minute):
* 1,000 exposures a minute in total; the candidate's per-minute exposures are drawn around
  the configured weight (normal approximation to Binomial(1000, w), rounded). The guard
  conditions on each window's exposures, so how they vary does not affect its validity;
* bad events per arm are exact Binomial(exposures, rate) draws, their order inside the
  minute a uniformly random interleaving, and the guard is checked after every one of them;
* steps: 1 % for 60 minutes (about 600 candidate and 59,400 stable exposures); 10 % for at
  least 10 minutes and until the candidate's exposures since the start reach the guard's
  own minimum exposure (alpha, RR 2, base rate 2 %, split 10 %, power 95 %: 1,724, so
  about 11-12 minutes, 1,100-1,200 candidate exposures); then 50 % for 30 minutes (about
  15,000 candidate exposures).
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone

import pytest

from promptc.guard import (RELATIVE_RISKS, Decision, SplitSegment, TwoSampleSPRT, Window,
                           advance_gate, candidate_probability, cost_threshold, count_bad,
                           decide, dwell_remaining, evaluate_one_sample, evaluate_two_sample,
                           event_increments, is_breach, latency_threshold, log_threshold,
                           logsumexp, min_exposure, mixture_log_lr, one_sample_increments,
                           one_sample_log_lrs, percentile, split_alpha, srm_check,
                           two_sample_log_lrs)
from promptc.guard.srm import segment_log_bf

ALPHA = 0.05
BASE_RATE = 0.02
RUNS = 500
PER_MINUTE = 1000


# --- sampling -------------------------------------------------------------------------------

def binomial(rng: random.Random, n: int, p: float) -> int:
    """An exact Binomial(n, p) draw by skipping geometric gaps between successes: cost is
    proportional to the number of successes, which is small for bad events."""
    if p <= 0.0 or n <= 0:
        return 0
    if p >= 1.0:
        return n
    log_q = math.log1p(-p)
    count, trial = 0, 0
    while True:
        trial += int(math.log(1.0 - rng.random()) / log_q) + 1
        if trial > n:
            return count
        count += 1


def candidate_exposures(rng: random.Random, weight: float) -> int:
    mean = PER_MINUTE * weight
    draw = round(rng.gauss(mean, math.sqrt(mean * (1.0 - weight))))
    return min(max(draw, 0), PER_MINUTE)


class Rollout:
    """One simulated rollout, checked after every bad event. The log-LR of each alternative
    is updated incrementally with the guard's own per-event increments; the breach decision
    is the guard's own `is_breach` on the guard's own mixture."""

    def __init__(self, rng: random.Random, candidate_rate: float, stable_rate: float,
                 alpha_metric: float) -> None:
        self.rng = rng
        self.candidate_rate = candidate_rate
        self.stable_rate = stable_rate
        self.alpha = alpha_metric
        self.bound = log_threshold(alpha_metric)
        self.log_lrs = [0.0] * len(RELATIVE_RISKS)
        self.candidate_exposures = 0
        self.candidate_bad = 0
        self.minutes = 0
        self.breached = False

    def minute(self, weight: float) -> bool:
        """Simulate one minute at candidate weight `weight`; True once breached."""
        return self.observe(candidate_exposures(self.rng, weight))

    def observe(self, n_c: int) -> bool:
        """One minute in which the candidate served `n_c` of PER_MINUTE responses."""
        rng = self.rng
        n_s = PER_MINUTE - n_c
        self.candidate_exposures += n_c
        self.minutes += 1
        c = binomial(rng, n_c, self.candidate_rate)
        s = binomial(rng, n_s, self.stable_rate)
        share = n_c / PER_MINUTE
        incs = [event_increments(share, rr) for rr in RELATIVE_RISKS]
        lrs = self.log_lrs
        k = len(lrs)
        # A stable bad event lowers every component (RR > 1), so the mixture can only cross
        # the threshold on a candidate event: checking right after each candidate event is
        # checking after every event. Stable events are applied in their interleaved order.
        applied = 0
        for j, pos in enumerate(sorted(rng.sample(range(c + s), c))):
            before = pos - j
            for i in range(k):
                lrs[i] += (before - applied) * incs[i][1] + incs[i][0]
            applied = before
            self.candidate_bad += 1
            if max(lrs) >= self.bound and is_breach(mixture_log_lr(lrs), self.alpha,
                                                     self.candidate_bad):
                self.breached = True
                return True
        for i in range(k):
            lrs[i] += (s - applied) * incs[i][1]
        return False


def staged_rollout(seed: int, candidate_rate: float) -> tuple[bool, bool]:
    """(breached before the 50 % step, breached at all) for one rollout 1 % -> 10 % -> 50 %."""
    rollout = Rollout(random.Random(seed), candidate_rate, BASE_RATE, ALPHA)
    required = min_exposure(ALPHA, 2.0, BASE_RATE, 0.10, power=0.95)
    for _ in range(60):
        if rollout.minute(0.01):
            return True, True
    step_minutes = 0
    while step_minutes < 10 or rollout.candidate_exposures < required:
        step_minutes += 1
        if rollout.minute(0.10):
            return True, True
    for _ in range(30):
        if rollout.minute(0.50):
            return False, True
    return False, False


# --- acceptance: staged rollouts ------------------------------------------------------------

def test_no_regression_false_freeze_rate_at_most_alpha():
    # Ville's inequality bounds P(ever LR >= 1/alpha) by alpha; in practice a finite rollout
    # uses only part of that budget, so the observed rate is asserted to be <= alpha itself.
    freezes = sum(staged_rollout(1_000_000 + run, BASE_RATE)[1] for run in range(RUNS))
    assert freezes / RUNS <= ALPHA


def test_two_fold_regression_caught_before_the_50_percent_step():
    caught = sum(staged_rollout(2_000_000 + run, 2 * BASE_RATE)[0] for run in range(RUNS))
    assert caught / RUNS >= 0.95


def test_alpha_split_over_metrics_bounds_the_family_false_freeze_rate():
    """Three guarded metrics at different base rates, each tested at alpha/3 (Bonferroni)
    on the same traffic, no regression: a rollout freezes when any metric breaches, and that
    happens in at most alpha of the rollouts."""
    rates = (0.02, 0.05, 0.01)
    alpha_metric = split_alpha(ALPHA, len(rates))
    runs = 300
    freezes = 0
    for run in range(runs):
        traffic = random.Random(4_000_000 + run)
        metrics = [Rollout(random.Random(5_000_000 + 10 * run + i), rate, rate, alpha_metric)
                   for i, rate in enumerate(rates)]
        schedule = [0.01] * 60 + [0.10] * 30 + [0.50] * 30
        breached = False
        for weight in schedule:
            n_c = candidate_exposures(traffic, weight)
            if any([m.observe(n_c) for m in metrics]):  # every metric sees the minute
                breached = True
                break
        freezes += breached
    assert freezes / runs <= ALPHA


def test_gross_regression_caught_at_the_1_percent_step():
    # 5x at 2 %: about 60 candidate bad events in the first hour against 12 expected.
    caught = 0
    for run in range(100):
        rollout = Rollout(random.Random(3_000_000 + run), 5 * BASE_RATE, BASE_RATE, ALPHA)
        caught += any(rollout.minute(0.01) for _ in range(60))
    assert caught >= 95


def test_one_sample_false_alarm_rate_and_power():
    """The one-sample form, checked after every bad event (good exposures only lower every
    component, so those are the only moments a crossing can happen)."""
    required = min_exposure(ALPHA, 2.0, BASE_RATE, 1.0, power=0.95)
    incs = [one_sample_increments(BASE_RATE, rr) for rr in RELATIVE_RISKS]
    bound = log_threshold(ALPHA)

    def run(seed: int, rate: float, horizon: int) -> bool:
        rng = random.Random(seed)
        log_q = math.log1p(-rate)
        lrs = [0.0] * len(incs)
        seen, bad = 0, 0
        while True:
            gap = int(math.log(1.0 - rng.random()) / log_q)  # good exposures before a bad one
            if seen + gap + 1 > horizon:
                return False
            seen += gap + 1
            bad += 1
            for i, (up, down) in enumerate(incs):
                lrs[i] += gap * down + up
            if max(lrs) >= bound and is_breach(mixture_log_lr(lrs), ALPHA, bad):
                return True

    # The one-sample statistic uses more of Ville's budget than the staged two-sample one
    # (about 4 % of runs cross, most within the first 5,000 exposures), so 2,000 runs keep
    # the binomial noise of the estimate (sd about 0.45 points) well inside the margin to 5 %.
    runs = 2000
    false_alarms = sum(run(4_000_000 + i, BASE_RATE, 5_000) for i in range(runs))
    assert false_alarms / runs <= ALPHA
    caught = sum(run(5_000_000 + i, 2 * BASE_RATE, required) for i in range(RUNS))
    assert caught / RUNS >= 0.95


# --- likelihood ratio math ------------------------------------------------------------------

def test_two_sample_log_lr_by_hand():
    # Split 10/90, 3 candidate and 5 stable bad events, RR = 2:
    # q = 0.2 / 1.1 = 2/11, LR = (q/p)^3 * ((1-q)/(1-p))^5 = (20/11)^3 * (10/11)^5 = 2^3 / 1.1^8.
    window = Window(candidate_exposures=10, stable_exposures=90, candidate_bad=3, stable_bad=5)
    lrs = two_sample_log_lrs([window])
    assert candidate_probability(0.1, 2.0) == pytest.approx(2 / 11)
    assert math.exp(lrs[1]) == pytest.approx(8 / 1.1 ** 8)
    # Every component: RR^3 / (1 + (RR-1)*0.1)^8.
    by_hand = [rr ** 3 / (1 + (rr - 1) * 0.1) ** 8 for rr in RELATIVE_RISKS]
    assert [math.exp(v) for v in lrs] == pytest.approx(by_hand)
    assert math.exp(mixture_log_lr(lrs)) == pytest.approx(sum(by_hand) / 4)
    assert math.exp(mixture_log_lr(lrs)) == pytest.approx(5.19146, rel=1e-5)


def test_windows_multiply_and_ignore_one_armed_windows():
    a = Window(10, 90, 3, 5)
    b = Window(50, 50, 4, 1)
    only_stable = Window(0, 100, 0, 7)
    only_candidate = Window(100, 0, 6, 0)
    combined = two_sample_log_lrs([a, b, only_stable, only_candidate])
    separate = [x + y for x, y in zip(two_sample_log_lrs([a]), two_sample_log_lrs([b]))]
    assert combined == pytest.approx(separate)


def test_incremental_matches_batch():
    rng = random.Random(7)
    windows = []
    for _ in range(200):
        n_c, n_s = rng.randint(0, 60), rng.randint(0, 600)
        windows.append(Window(n_c, n_s, binomial(rng, n_c, 0.05), binomial(rng, n_s, 0.03)))
    sprt = TwoSampleSPRT()
    for w in windows:
        sprt.add_window(w)
    assert sprt.log_lrs == pytest.approx(list(two_sample_log_lrs(windows)))
    assert sprt.log_lr == pytest.approx(mixture_log_lr(two_sample_log_lrs(windows)))
    assert sprt.candidate_bad == sum(w.candidate_bad for w in windows)


def test_logsumexp_is_stable():
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2))
    assert logsumexp([-1000.0, -1000.0]) == pytest.approx(-1000.0 + math.log(2))
    assert mixture_log_lr([5000.0, 0.0, 0.0, 0.0]) == pytest.approx(5000.0 - math.log(4))


def test_one_sample_log_lr_by_hand():
    # 5 bad of 100 at p0 = 2 %, RR = 2: 2^5 * (0.96/0.98)^95.
    lrs = one_sample_log_lrs(100, 5, 0.02)
    assert math.exp(lrs[1]) == pytest.approx(2 ** 5 * (0.96 / 0.98) ** 95)
    by_hand = [rr ** 5 * ((1 - rr * 0.02) / 0.98) ** 95 for rr in RELATIVE_RISKS]
    assert math.exp(mixture_log_lr(lrs)) == pytest.approx(sum(by_hand) / 4)


def test_one_sample_drops_impossible_alternatives():
    # At p0 = 25 % (a p75 cost threshold) RR = 5 would mean a rate of 125 %.
    assert len(one_sample_log_lrs(10, 3, 0.25)) == 3
    with pytest.raises(ValueError):
        one_sample_log_lrs(10, 3, 0.7)


def test_alpha_split_and_threshold():
    assert split_alpha(0.05, 4) == pytest.approx(0.0125)
    assert math.exp(log_threshold(split_alpha(0.05, 2))) == pytest.approx(40.0)
    with pytest.raises(ValueError):
        split_alpha(0.05, 0)


def test_breach_needs_four_candidate_events():
    # Three candidate bad events at a 1 % split: mixture LR about 37 >= 20, but only three.
    few = Window(candidate_exposures=10, stable_exposures=990, candidate_bad=3, stable_bad=0)
    ev = evaluate_two_sample("errors", [few], alpha_metric=ALPHA, base_rate=BASE_RATE)
    assert math.exp(ev.log_lr) > 20.0
    assert ev.decision == "insufficient-data"
    more = Window(candidate_exposures=10, stable_exposures=990, candidate_bad=4, stable_bad=0)
    assert evaluate_two_sample("errors", [more], alpha_metric=ALPHA,
                               base_rate=BASE_RATE).decision == "breach"


def test_quiet_metric_is_insufficient_until_minimum_exposure():
    required = min_exposure(ALPHA, 2.0, BASE_RATE, 0.10)
    per_window = Window(candidate_exposures=100, stable_exposures=900, candidate_bad=2,
                        stable_bad=18)
    early = evaluate_two_sample("errors", [per_window] * 5, alpha_metric=ALPHA,
                                base_rate=BASE_RATE)
    assert early.decision == "insufficient-data"
    assert early.required_exposures == required
    enough = [per_window] * math.ceil(required / 100)
    late = evaluate_two_sample("errors", enough, alpha_metric=ALPHA, base_rate=BASE_RATE)
    assert late.decision == "continue"
    assert late.log_lr < 0


def test_base_rate_defaults_to_the_stable_arm():
    windows = [Window(100, 900, 2, 45)] * 3
    ev = evaluate_two_sample("errors", windows, alpha_metric=ALPHA)
    assert ev.base_rate == pytest.approx((135 + 0.5) / (2700 + 1))
    assert ev.required_exposures == min_exposure(ALPHA, 2.0, ev.base_rate, 0.1)


def test_one_sample_evaluation():
    ev = evaluate_one_sample("errors", 400, 30, BASE_RATE, alpha_metric=ALPHA)
    assert ev.form == "one-sample" and ev.decision == "breach"
    calm = evaluate_one_sample("errors", 5000, 95, BASE_RATE, alpha_metric=ALPHA)
    assert calm.decision == "continue"
    early = evaluate_one_sample("errors", 100, 2, BASE_RATE, alpha_metric=ALPHA)
    assert early.decision == "insufficient-data"


def test_window_validation():
    with pytest.raises(ValueError):
        Window(5, 10, 6, 0)
    with pytest.raises(ValueError):
        Window(-1, 10, 0, 0)
    assert Window(0, 0, 0, 0).candidate_share is None


# --- sample-ratio mismatch ------------------------------------------------------------------

def test_srm_fires_on_a_broken_split_and_not_on_a_fair_one():
    broken = srm_check([SplitSegment(0.10, 2400, 17600)])
    assert broken.decision == "mismatch"
    assert broken.observed_share == pytest.approx(0.12)
    assert broken.p_value < 1e-15
    fair = srm_check([SplitSegment(0.10, 2030, 17970)])
    assert fair.decision == "ok"
    starved = srm_check([SplitSegment(0.10, 0, 500)])
    assert starved.decision == "insufficient-data"


def test_srm_segments_multiply():
    a, b = SplitSegment(0.01, 700, 59300), SplitSegment(0.10, 1200, 10800)
    ev = srm_check([a, b])
    assert ev.log_bf == pytest.approx(segment_log_bf(a) + segment_log_bf(b))
    assert ev.expected_share == pytest.approx((600 + 1200) / 72000)


def test_srm_is_sequentially_valid_on_fair_traffic():
    # Checked after every window of 200 exposures for 100 windows, at alpha = 5 % so that a
    # few hundred runs can tell a valid test from an invalid one.
    alarms = 0
    for run in range(200):
        rng = random.Random(6_000_000 + run)
        cand = total = 0
        for _ in range(100):
            cand += binomial(rng, 200, 0.10)
            total += 200
            ev = srm_check([SplitSegment(0.10, cand, total - cand)], alpha=ALPHA,
                           min_exposures=0)
            if ev.decision == "mismatch":
                alarms += 1
                break
    assert alarms / 200 <= ALPHA


# --- minimum exposure and dwell -------------------------------------------------------------

def test_min_exposure_by_formula():
    # Split 10 %, base rate 2 %, RR_min 2: per candidate exposure lambda_c = 0.04 candidate
    # and lambda_s = 0.02 * 9 = 0.18 stable bad events. Component R moves by
    # a = log(R / (1 + 0.1 )) per candidate and b = -log(1 + 0.1) per stable one.
    z, bound = 1.6448536269514722, math.log(4 / ALPHA)
    ns = []
    for rr in RELATIVE_RISKS:
        a, b = math.log(rr / (1 + 0.1 * (rr - 1))), -math.log(1 + 0.1 * (rr - 1))
        mu = 0.04 * a + 0.18 * b
        if mu <= 0:  # R = 5 overshoots a 2x regression: its log-LR drifts down
            continue
        sigma = math.sqrt(0.04 * a * a + 0.18 * b * b)
        root = (z * sigma + math.sqrt(z * z * sigma * sigma + 4 * mu * bound)) / (2 * mu)
        ns.append(root * root)
    # The four-event floor (Poisson mean 7.75 / 0.04 = 194 exposures) does not bind here.
    assert len(ns) == 3
    assert min_exposure(ALPHA, 2.0, BASE_RATE, 0.10, power=0.95) == math.ceil(min(ns)) == 1724


def test_min_exposure_monotonic():
    rrs = [1.5, 2.0, 3.0, 5.0]
    by_rr = [min_exposure(ALPHA, rr, BASE_RATE, 0.10) for rr in rrs]
    assert by_rr == sorted(by_rr, reverse=True) and len(set(by_rr)) == len(by_rr)
    rates = [0.005, 0.01, 0.02, 0.05, 0.1]
    by_rate = [min_exposure(ALPHA, 2.0, r, 0.10) for r in rates]
    assert by_rate == sorted(by_rate, reverse=True) and len(set(by_rate)) == len(by_rate)
    splits = [0.01, 0.05, 0.1, 0.25, 0.5]
    by_split = [min_exposure(ALPHA, 2.0, BASE_RATE, s) for s in splits]
    assert by_split == sorted(by_split)
    assert min_exposure(ALPHA, 2.0, BASE_RATE, 0.1, power=0.8) < min_exposure(
        ALPHA, 2.0, BASE_RATE, 0.1, power=0.95)
    assert min_exposure(0.01, 2.0, BASE_RATE, 0.1) > min_exposure(0.05, 2.0, BASE_RATE, 0.1)


def test_min_exposure_covers_the_event_floor():
    # At a 50 % base rate with RR 1.5 the LR bound is met quickly; four candidate events with
    # 95 % probability need a Poisson mean of about 7.75, i.e. 11 exposures at rate 0.75.
    assert min_exposure(ALPHA, 1.5, 0.5, 0.5) >= 4
    assert min_exposure(ALPHA, 5.0, 0.15, 0.01, relative_risks=(5.0,)) >= math.ceil(7.75 / 0.75)


def test_dwell_and_advance_gate():
    start = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    now = start + timedelta(minutes=20)
    assert dwell_remaining(start, now, timedelta(minutes=30)) == timedelta(minutes=10)
    assert dwell_remaining(start, now, timedelta(minutes=5)) == timedelta(0)
    ok_metric = evaluate_two_sample("errors", [Window(100, 900, 2, 18)] * 20,
                                    alpha_metric=ALPHA, base_rate=BASE_RATE)
    srm = srm_check([SplitSegment(0.10, 2000, 18000)])
    decision = decide("r1", [ok_metric], srm, alpha=ALPHA, evaluated_at=now)
    assert decision.decision == "continue"
    assert advance_gate(decision, step_started_at=start, now=now,
                        min_dwell=timedelta(minutes=15)).allowed
    held = advance_gate(decision, step_started_at=start, now=now,
                        min_dwell=timedelta(minutes=30))
    assert not held.allowed and "dwell" in held.reasons[0]


# --- the decision ---------------------------------------------------------------------------

def test_decision_combines_metrics_and_srm_and_round_trips_json():
    alpha_metric = split_alpha(ALPHA, 2)
    bad = evaluate_two_sample("schema_error", [Window(100, 900, 9, 10)] * 3,
                              alpha_metric=alpha_metric, base_rate=BASE_RATE)
    quiet = evaluate_two_sample("latency", [Window(100, 900, 10, 90)] * 3,
                                alpha_metric=alpha_metric, base_rate=0.10)
    assert bad.decision == "breach"
    srm = srm_check([SplitSegment(0.10, 300, 2700)])
    decision = decide("support.answer@2", [bad, quiet], srm, alpha=ALPHA,
                      evaluated_at="2025-01-01T12:00:00+00:00")
    assert decision.decision == "breach" and decision.freeze
    assert any(r.startswith("schema_error: breach") for r in decision.reasons)
    line = decision.to_json()
    assert "\n" not in line
    data = json.loads(line)
    assert data["metrics"][0]["decision"] == "breach"
    assert data["metrics"][0]["threshold"] == pytest.approx(40.0)
    assert Decision.from_json(line) == decision


def test_srm_mismatch_alone_freezes():
    ok_metric = evaluate_two_sample("errors", [Window(100, 900, 2, 18)] * 20,
                                    alpha_metric=ALPHA, base_rate=BASE_RATE)
    srm = srm_check([SplitSegment(0.10, 2600, 17400)])
    decision = decide("r1", [ok_metric], srm, alpha=ALPHA, evaluated_at="t")
    assert decision.decision == "breach"
    assert any("bucketing or reporting is broken" in r for r in decision.reasons)


def test_insufficient_data_is_never_continue():
    young = evaluate_two_sample("errors", [Window(10, 990, 0, 20)], alpha_metric=ALPHA,
                                base_rate=BASE_RATE)
    decision = decide("r1", [young], None, alpha=ALPHA, evaluated_at="t")
    assert decision.decision == "insufficient-data"
    no_traffic = evaluate_two_sample("errors", [], alpha_metric=ALPHA)
    assert no_traffic.decision == "insufficient-data" and no_traffic.required_exposures is None


# --- thresholds -----------------------------------------------------------------------------

def test_percentile_thresholds():
    sample = list(range(1, 11))  # 1..10
    # Linear interpolation at position q*(n-1): p90 -> 9.1, p75 -> 7.75, p50 -> 5.5.
    assert latency_threshold(sample) == pytest.approx(9.1)
    assert cost_threshold(sample) == pytest.approx(7.75)
    assert percentile(sample, 0.5) == pytest.approx(5.5)
    assert percentile([3.0], 0.9) == 3.0
    assert count_bad([9.0, 9.1, 9.2, 10.0], 9.1) == 2
    rng = random.Random(11)
    latencies = [rng.lognormvariate(6.0, 0.5) for _ in range(20_000)]
    cut = latency_threshold(latencies)
    assert count_bad(latencies, cut) / len(latencies) == pytest.approx(0.10, abs=0.001)
    with pytest.raises(ValueError):
        percentile([], 0.9)
