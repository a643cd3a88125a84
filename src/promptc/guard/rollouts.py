"""The guard over a registry: read a rollout's closed windows, decide, log, latch.

The statistics (`evaluate.py`) are pure; this module feeds them from the registry and acts
on the answer:

- **Windows.** One per closed UTC minute since the test started (the rollout's start, or
  its last `rollout resume --ack`): exposures per arm from the signal aggregates, bad
  events per arm from the observations. A minute counts once it ended at least `SETTLE_S`
  seconds ago, so clients have flushed its exposures. Every evaluation recomputes from the
  stored rows, so a late outcome lands in its response's window however late it comes.
- **Forms.** While stable takes part of the traffic, the two-sample test; at the 100 %
  stage (the rollout held with all traffic on the candidate) also the one-sample test of
  the candidate's windows since that stage began, against a base rate fixed before it
  (configured, else the stable arm's rate during the rollout). A first-release canary has
  no stable arm, only keys that are not served: it runs the one-sample test alone, over
  every window since its test started and at every step, against the configured base
  rates, and without a sample-ratio check (unserved keys leave no exposures to count).
- **Cut-offs.** Latency and cost are bad above the stable version's p90 / p75 over its
  observations before the rollout started (or a configured threshold). Cut-offs and
  one-sample base rates are fixed the first time they are computed and kept in the
  decision log's context; later evaluations reuse them.
- **Latch.** A breach freezes the rollout (an audited `guard-breach` event carrying the
  decision): traffic goes back to stable. A breach already in the log since the test
  started stays a breach, whatever later evidence says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Optional

from promptc.registry import ops, signals
from promptc.registry.model import LabelState, RegistryError, Rollout, format_time, instant
from promptc.registry.store import Store

from .advance import AdvanceGate, advance_gate
from .config import CUTOFF_QUANTILE, DEFAULT_BAD_RATING, METRICS, GuardConfig
from .evaluate import decide, evaluate_one_sample, evaluate_two_sample
from .model import Decision, MetricEvidence, Window
from .srm import SplitSegment, srm_check
from .sprt import split_alpha
from .thresholds import percentile

#: A minute is evaluated once it ended this many seconds ago (clients flush every 5 s).
SETTLE_S = 15
#: Fewest pre-rollout values a percentile cut-off is computed from.
MIN_CUTOFF_SAMPLE = 30
GUARD_ACTOR = "promptc-guard"


parse_at = instant  # a stored time as an aware UTC datetime


@dataclass(frozen=True)
class Period:
    """A stretch of a rollout with one configuration: from `start` (an event time) on, the
    candidate had share `weight` and the rollout was `active` (else it served stable)."""

    start: str
    weight: float
    active: bool


@dataclass
class Plan:
    """What the guard tests for one rollout in flight."""

    name: str
    env: str
    rollout: Rollout
    config: GuardConfig
    config_source: str  # "rollout" (stored when it started) or "project" (promptc.toml now)
    stable_hash: str = ""
    candidate_hash: str = ""
    started: str = ""
    segment_start: str = ""  # the test's start: the rollout's, or its last resume
    since_minute: str = ""  # its first window
    step_started: str = ""
    periods: list[Period] = field(default_factory=list)
    weight: float = 0.0
    first_release: bool = False  # no stable arm: one-sample only, against configured base rates
    problem: Optional[str] = None  # why it cannot be guarded


def plan(store: Store, state: LabelState, project_config: GuardConfig) -> Plan:
    rollout = state.rollout
    assert rollout is not None
    events = signals.rollout_events(store, state.name, state.env, rollout.id)
    stored = next((e.data["guard"] for e in events if isinstance(e.data.get("guard"), dict)), None)
    config = GuardConfig.from_json(stored) if stored is not None else project_config
    p = Plan(state.name, state.env, rollout, config, "rollout" if stored is not None else "project")
    p.started = rollout.started or (events[0].at if events else "")
    p.segment_start = p.started
    p.step_started = p.started
    if rollout.kind == "canary" and rollout.first_release:
        p.first_release = True
        stable, candidate = None, rollout.arm("candidate")
    elif rollout.kind == "canary":
        stable, candidate = rollout.arm("stable"), rollout.arm("candidate")
    else:
        stable = next((a for a in rollout.arms if state.stable and a.hash == state.stable.hash), None)
        others = [a for a in rollout.arms if a is not stable]
        candidate = others[0] if stable is not None and len(others) == 1 else None
    if candidate is None or (stable is None and not p.first_release):
        p.problem = "an A/B split of more than two arms, or without the stable version, has no candidate to guard"
        return p
    p.stable_hash, p.candidate_hash = (stable.hash if stable is not None else ""), candidate.hash
    last_weight = None
    for event in events:
        after = event.state()
        current = after.rollout if after is not None and after.rollout is not None \
            and after.rollout.id == rollout.id else None
        if current is None:
            p.periods.append(Period(event.at, 0.0, False))
            continue
        weights = {a.hash: a.weight for a in current.arms}
        total = sum(weights.values())
        weight = weights.get(candidate.hash, 0) / total if total else 0.0
        p.periods.append(Period(event.at, weight, current.status == "active"))
        if event.kind == "rollout-resume":
            p.segment_start = event.at
            p.step_started = event.at
        elif weight != last_weight and current.status == "active":
            p.step_started = event.at
        last_weight = weight
    p.step_started = max(p.step_started, p.segment_start)
    # A rollout's first minute holds stable traffic only before it started, which the
    # split-conditioned test handles; the minute of a resume holds the breached test's own
    # events, so a resumed test starts at the next minute.
    since = parse_at(p.segment_start)
    if p.segment_start != p.started:
        since += dt.timedelta(minutes=1)
    p.since_minute = signals.minute_of(since)
    total = sum(a.weight for a in rollout.arms)
    p.weight = candidate.weight / total if total else 0.0
    return p


def _period_of(p: Plan, minute: str) -> Optional[Period]:
    """The period covering the whole of `minute`, or None when one starts inside it."""
    start = signals.minute_start(minute)
    end = start + dt.timedelta(minutes=1)
    found = None
    for period in p.periods:
        at = parse_at(period.start)
        if at <= start:
            found = period
        elif at < end:
            return None
    return found


def _insufficient(metric: str, form: str, alpha: float, cand_exp: int, stable_exp: int) -> MetricEvidence:
    return MetricEvidence(metric=metric, form=form, candidate_exposures=cand_exp, stable_exposures=stable_exp,
                          candidate_bad=0, stable_bad=0, log_lr=0.0, threshold=1.0 / alpha, alpha=alpha,
                          base_rate=None, required_exposures=None, decision="insufficient-data")


@dataclass
class Evaluation:
    plan: Plan
    decision: Decision
    context: dict
    seq: Optional[int] = None
    frozen: Optional[object] = None  # the guard-breach event, when this evaluation froze the rollout
    latched_from: Optional[int] = None


def evaluate(store: Store, p: Plan, now: dt.datetime, fixed: Optional[dict] = None) -> Evaluation:
    """Evaluate one rollout at `now` (without logging or acting)."""
    cfg = p.config
    fixed = dict(fixed or {})
    notes: list[str] = []
    hashes = [p.candidate_hash] if p.first_release else [p.stable_hash, p.candidate_hash]
    since = p.since_minute
    until = signals.minute_of(now - dt.timedelta(seconds=SETTLE_S))
    exposures = signals.exposure_counts(store, p.env, p.name, hashes, since, until)
    minutes = sorted({m for m, _ in exposures})
    alpha_metric = split_alpha(cfg.alpha, len(cfg.metrics))
    hundred = next((per for per in reversed(p.periods) if per.active and per.weight >= 1.0
                    and per.start >= p.segment_start), None) if p.weight >= 1.0 else None
    shares = [per.weight for per in p.periods if per.active and 0.0 < per.weight < 1.0]
    two_sample_split = p.weight if 0.0 < p.weight < 1.0 else (shares[-1] if shares else None)
    # Where the one-sample test starts counting: the 100 % stage, or for a first release
    # the whole test (there is no stable arm at any step).
    one_sample_from: Optional[str] = None
    if p.first_release:
        two_sample_split, one_sample_from = None, since
    elif hundred is not None:
        one_sample_from = signals.minute_of(parse_at(hundred.start))
    before_rollout = signals.minute_of(parse_at(p.started))

    metrics: list[MetricEvidence] = []
    for metric in cfg.metrics:
        kind, stored = METRICS[metric]
        option = cfg.option(metric)
        above = at_most = None
        if kind == "above":
            key = f"cutoff:{metric}"
            if option.threshold is not None:
                above = option.threshold
            elif key in fixed:
                above = fixed[key]
            else:
                sample = signals.values_before(store, p.env, p.name, p.stable_hash, stored[0], before_rollout)
                if len(sample) >= MIN_CUTOFF_SAMPLE:
                    above = fixed[key] = percentile(sample, CUTOFF_QUANTILE[metric])
                else:
                    notes.append(f"{metric}: no cut-off: {len(sample)} pre-rollout values of {stored[0]} for the "
                                 f"stable version (at least {MIN_CUTOFF_SAMPLE} needed); set "
                                 f"[guard.metric.{metric}] threshold")
        elif kind == "at-most":
            at_most = option.threshold if option.threshold is not None else DEFAULT_BAD_RATING
        cand_total = sum(n for (m, h), n in exposures.items() if h == p.candidate_hash)
        stable_total = sum(n for (m, h), n in exposures.items() if h == p.stable_hash)
        if kind == "above" and above is None:
            if two_sample_split is not None:
                metrics.append(_insufficient(metric, "two-sample", alpha_metric, cand_total, stable_total))
            if one_sample_from is not None:
                metrics.append(_insufficient(metric, "one-sample", alpha_metric, cand_total, 0))
            continue
        bad = signals.bad_counts(store, p.env, p.name, hashes, stored, since, until, above=above, at_most=at_most)
        windows = []
        for minute in minutes:
            ce, se = exposures.get((minute, p.candidate_hash), 0), exposures.get((minute, p.stable_hash), 0)
            windows.append((minute, Window(ce, se, min(bad.get((minute, p.candidate_hash), 0), ce),
                                           min(bad.get((minute, p.stable_hash), 0), se))))
        rr = cfg.relative_risk(metric)
        if two_sample_split is not None:
            metrics.append(evaluate_two_sample(metric, [w for _, w in windows], alpha_metric=alpha_metric,
                                               base_rate=option.base_rate, split=two_sample_split,
                                               min_relative_risk=rr, power=cfg.power))
        if one_sample_from is not None:
            start = one_sample_from
            key = f"base_rate:{metric}"
            base = option.base_rate or fixed.get(key)
            if base is None and not p.first_release:
                se = sum(w.stable_exposures for m, w in windows if m < start)
                sb = sum(w.stable_bad for m, w in windows if m < start)
                if se:
                    base = fixed[key] = (sb + 0.5) / (se + 1.0)
            n = sum(w.candidate_exposures for m, w in windows if m >= start)
            x = sum(w.candidate_bad for m, w in windows if m >= start)
            try:
                if base is None:
                    raise ValueError("a first release has no stable version to take a base rate from"
                                     if p.first_release else "no stable traffic during the rollout to take a "
                                     "base rate from")
                metrics.append(evaluate_one_sample(metric, n, x, base, alpha_metric=alpha_metric,
                                                   min_relative_risk=rr, power=cfg.power))
            except ValueError as exc:
                stage = "first release" if p.first_release else "100 % stage"
                notes.append(f"{metric} ({stage}): {exc}; set [guard.metric.{metric}] base_rate")
                metrics.append(_insufficient(metric, "one-sample", alpha_metric, n, 0))

    segments: dict[int, list[int]] = {}
    for minute in minutes if not p.first_release else ():
        period = _period_of(p, minute)
        if period is None or not period.active or not 0.0 < period.weight < 1.0:
            continue
        counts = segments.setdefault(id(period), [period.weight, 0, 0])
        counts[1] += exposures.get((minute, p.candidate_hash), 0)
        counts[2] += exposures.get((minute, p.stable_hash), 0)
    srm = None
    if segments:
        srm = srm_check([SplitSegment(w, c, s) for w, c, s in segments.values()], alpha=cfg.srm_alpha)
    decision = decide(p.rollout.id, metrics, srm, alpha=cfg.alpha, evaluated_at=format_time(now))
    if notes:
        decision = replace(decision, reasons=decision.reasons + tuple(notes))
    context = {
        "name": p.name, "env": p.env, "kind": p.rollout.kind, "step": p.rollout.step,
        "weight": p.weight, "stable": p.stable_hash or None, "candidate": p.candidate_hash,
        "first_release": p.first_release,
        "test_started": p.segment_start, "step_started": p.step_started,
        "windows": [minutes[0], minutes[-1]] if minutes else None, "closed_until": until,
        "fixed": fixed, "config": cfg.to_json(), "config_source": p.config_source,
    }
    return Evaluation(p, decision, context)


def _short_reason(decision: Decision) -> str:
    breaches = [r for r in decision.reasons if "breach" in r or "mismatch" in r or "latched" in r]
    return "guard: " + "; ".join(breaches or decision.reasons or (decision.decision,))


def run(store: Store, state: LabelState, project_config: GuardConfig, now: dt.datetime,
        actor: str = GUARD_ACTOR) -> Evaluation:
    """Evaluate one active rollout, append the decision to its log, and freeze it on a
    breach (or a breach already logged since its test started)."""
    p = plan(store, state, project_config)
    if p.problem:
        raise RegistryError(f"{state.name} in {state.env}: {p.problem}")
    log = signals.decisions(store, p.rollout.id)
    fixed = log[-1].context.get("fixed", {}) if log else {}
    result = evaluate(store, p, now, fixed)
    earlier = next((d for d in log if d.verdict == "breach" and d.context.get("test_started") == p.segment_start),
                   None)
    if earlier is not None and result.decision.decision != "breach":
        result.latched_from = earlier.seq
        result.decision = replace(result.decision, decision="breach", reasons=result.decision.reasons + (
            f"latched: the guard breached at decision #{earlier.seq} ({earlier.at}); a breach stands until "
            "`promptc rollout resume --ack` or a new candidate",))
    result.seq = signals.append_decision(store, p.rollout.id, name=p.name, env=p.env, at=result.decision.evaluated_at,
                                         step=p.rollout.step, verdict=result.decision.decision,
                                         decision_json=result.decision.to_json(), context=result.context)
    if result.decision.freeze:
        evidence = {**result.decision.to_dict(), "decision_seq": result.seq,
                    "windows": result.context["windows"], "fixed": result.context["fixed"]}
        result.frozen = ops.freeze_rollout(store, p.name, p.env, p.rollout.id, actor, _short_reason(result.decision),
                                           evidence)
    return result


def not_yet_counted(store: Store, e: Evaluation) -> tuple[int, str, str]:
    """Responses served from the first minute this evaluation did not count on (the current
    minute, and the last one until it settles): (how many, that minute, the UTC time at which
    it will count)."""
    p = e.plan
    hashes = [p.candidate_hash] if p.first_release else [p.stable_hash, p.candidate_hash]
    until = e.context.get("closed_until") or ""
    pending = sum(signals.exposure_counts(store, p.env, p.name, hashes, until, "9999").values())
    counts_at = signals.minute_start(until) + dt.timedelta(minutes=1, seconds=SETTLE_S)
    return pending, until, counts_at.strftime("%H:%M:%S")


@dataclass
class Checked:
    name: str
    env: str
    rollout: str
    evaluation: Optional[Evaluation] = None
    skipped: Optional[str] = None


def check(store: Store, project_config: GuardConfig, env: Optional[str] = None,
          now: Optional[dt.datetime] = None, actor: str = GUARD_ACTOR) -> list[Checked]:
    """Evaluate every rollout in flight (in `env`, or everywhere) once."""
    now = now or dt.datetime.now(dt.timezone.utc)
    out = []
    for state in store.labels(env):
        rollout = state.rollout
        if rollout is None or rollout.status != "active":
            continue
        try:
            out.append(Checked(state.name, state.env, rollout.id, run(store, state, project_config, now, actor)))
        except RegistryError as exc:
            out.append(Checked(state.name, state.env, rollout.id, skipped=str(exc)))
    return out


@dataclass
class Advance:
    evaluation: Evaluation
    gate: AdvanceGate
    event: Optional[object] = None
    to: Optional[float] = None  # the new step in percent; None when the rollout completed


def next_step(config: GuardConfig, current: float) -> Optional[float]:
    """The step after `current` percent: the next configured one, else 100; None at 100."""
    if current >= 100:
        return None
    return min([s for s in config.steps if s > current] or [100.0])


def advance(store: Store, name: str, env: str, project_config: GuardConfig, now: Optional[dt.datetime] = None,
            actor: str = "") -> Advance:
    """Evaluate the rollout now and, if the guard says continue and the step has run its
    minimum dwell, move it to its next step (at 100 %: complete it)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    state = store.label(name, env)
    if state is None or state.rollout is None:
        raise RegistryError(f"no rollout of {name} is in flight in {env}")
    if state.rollout.status != "active":
        raise RegistryError(f"the rollout of {name} in {env} is frozen; review its decision log "
                            f"(`promptc rollout show {name} --env {env}`), then `promptc rollout resume {name} "
                            f"--env {env} --ack`")
    if state.rollout.kind != "canary":
        raise RegistryError(f"{name} in {env} runs an A/B split, which has no steps to advance")
    evaluation = run(store, state, project_config, now)
    p = evaluation.plan
    gate = advance_gate(evaluation.decision, step_started_at=parse_at(p.step_started), now=now,
                        min_dwell=dt.timedelta(seconds=p.config.min_dwell_s))
    result = Advance(evaluation, gate)
    if not gate.allowed:
        return result
    current = float(state.rollout.step or 0.0)
    target = next_step(p.config, current)
    candidate = state.rollout.arm("candidate")
    who = actor or ops.default_actor()
    if target is None:
        result.event = ops.rollout(store, name, env, candidate.version, ops.BASIS, who,
                                   f"{name}@{candidate.version} completed: guard decision #{evaluation.seq} continue "
                                   "at the 100 % stage")
    else:
        result.to = target
        result.event = ops.rollout(store, name, env, candidate.version, round(target * 100), who,
                                   f"{name}@{candidate.version} advanced to {target:g} %: guard decision "
                                   f"#{evaluation.seq} continue", hold=True)
    return result
