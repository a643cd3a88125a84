"""A seeded release history for the support-desk example, so the dashboard has something
to show from a fresh clone: `promptc dashboard --project examples/support-desk --seed-demo`.

Two weeks of releases, written in a few seconds: the registry's clock is replaced while
seeding, and every move goes through the real release operations (`registry.ops`), so the
audit chain, label states and rollbacks are exactly what the commands would leave. The
story: both prompts reach staging and prod; support.answer ramps 2.0.1 1 % → 10 % → 50 % →
100 %; 2.0.2 loosens grounding, escalations rise, the guard freezes its canary and it is
rolled back; 2.0.3 is in a 10 % canary now, while sales.outreach runs an A/B split and its
staging label is frozen.

Run it on its own with `python -m promptc.dashboard.demo [PROJECT] [--registry URL]`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from promptc.registry import model as registry_model, ops, signals, store as registry_store
from promptc.registry.model import format_time
from promptc.registry.store import Store

from . import demo_traffic as traffic
from .demo_build import Built, DemoError, build_versions

TICK = dt.timedelta(minutes=30)
EVALUATE_EVERY = 4  # ticks: the guard checks every two hours
HISTORY = dt.timedelta(days=14)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


class Clock:
    """The time the registry sees while seeding."""

    def __init__(self, start: dt.datetime) -> None:
        self.moment = start

    def now(self) -> str:
        return format_time(self.moment)


@contextlib.contextmanager
def simulated_time(clock: Clock) -> Iterator[None]:
    """Make the registry stamp events and bundles with `clock`'s time."""
    saved = [(module, module.utc_now) for module in (registry_model, registry_store) if hasattr(module, "utc_now")]
    for module, _ in saved:
        module.utc_now = clock.now
    try:
        yield
    finally:
        for module, original in saved:
            module.utc_now = original


@dataclass
class Seeded:
    events: int = 0
    responses: int = 0
    decisions: int = 0
    breach: Optional[str] = None
    versions: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """What the simulation accumulates between the scheduled moves."""

    store: Store
    clock: Clock
    rng: random.Random
    bad_hash: str
    exposures: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)
    decisions: int = 0
    tallies: dict = field(default_factory=dict)
    evaluations: dict = field(default_factory=dict)
    breach: Optional[str] = None


def _schedule(a: list[Built], o: list[Built]) -> list[tuple[dt.timedelta, Callable[["_Run"], None]]]:
    """The demo's moves, as offsets from the start of its two weeks."""
    A, O = a[0].name, o[0].name

    def publish(*bundles: Built, actor: str = "ci-pipeline"):
        return lambda r: ops.publish(r.store, [(f"{b.name}@{b.version}", b.data) for b in bundles], actor)

    def promote(b: Built, env: str, actor: str, reason: str = ""):
        return lambda r: ops.promote(r.store, b.name, b.version, env, actor, reason)

    def ramp(b: Built, percent: int, actor: str, reason: str = ""):
        return lambda r: ops.rollout(r.store, b.name, "prod", b.version, percent * 100, actor, reason)

    def rollback(r: _Run) -> None:
        reason = ("escalations up on 2.0.2 after the guard froze it; reverting to stable" if r.breach
                  else "escalations up on the canary; reverting to stable")
        ops.rollback(r.store, A, "prod", "maria.lopez", reason)

    return [
        (0 * H, publish(a[0], o[0])),
        (1 * H, promote(a[0], "staging", "ci-pipeline", "main is green")),
        (2 * H, promote(o[0], "staging", "ci-pipeline", "main is green")),
        (1 * D, promote(a[0], "prod", "maria.lopez", "launch of the support assistant")),
        (1 * D + 2 * H, promote(o[0], "prod", "sam.okafor", "launch of outreach drafts")),
        (5 * D, publish(a[1])),
        (5 * D + H, promote(a[1], "staging", "ci-pipeline")),
        (6 * D, ramp(a[1], 1, "maria.lopez", "friendlier opening, canary")),
        (6 * D + 8 * H, ramp(a[1], 10, "maria.lopez")),
        (7 * D, ramp(a[1], 50, "maria.lopez")),
        (7 * D + 12 * H, ramp(a[1], 100, "maria.lopez", "no regression at 50 %")),
        (9 * D, publish(a[2])),
        (9 * D + H, promote(a[2], "staging", "ci-pipeline")),
        (10 * D, ramp(a[2], 10, "support-platform", "let the assistant use judgement where the help center is silent")),
        (11 * D + 12 * H, rollback),
        (11 * D + 14 * H, publish(a[3], o[1])),
        (11 * D + 15 * H, promote(a[3], "staging", "ci-pipeline", "grounding restored and tightened")),
        (12 * D, ramp(a[3], 1, "maria.lopez", "grounding restored and tightened")),
        (12 * D + H, lambda r: ops.split(r.store, O, "prod", [(o[0].version, 50), (o[1].version, 50)],
                                          "sam.okafor", "A/B: shorter first-touch emails")),
        (13 * D, ramp(a[3], 10, "maria.lopez")),
        (13 * D + 2 * H, lambda r: ops.set_frozen(r.store, O, "staging", True, "sam.okafor",
                                                  "quarter-end: hold staging until the campaign ships")),
    ]


def _tick(run: _Run, minute: str, evaluate: bool) -> None:
    """One window of prod traffic, and the guard's check when it is due."""
    for name, volume in traffic.TRAFFIC.items():
        state = run.store.label(name, "prod")
        if state is None:
            continue
        counts = {}
        for arm, n in traffic.split(run.rng, volume, state.serving()):
            exposures, outcomes, bad = traffic.responses(run.rng, len(run.exposures), "prod", name, minute, arm, n,
                                                         arm.hash == run.bad_hash)
            run.exposures.extend(exposures)
            run.outcomes.extend(outcomes)
            counts[arm.variant] = (n, bad)
        rollout = state.rollout
        if rollout is None or rollout.kind != "canary" or rollout.status != "active":
            continue
        tallies = run.tallies.setdefault(rollout.id, {m: traffic.MetricTally() for m in traffic.GUARDED})
        (cn, cbad), (sn, sbad) = counts.get("candidate", (0, {})), counts.get("stable", (0, {}))
        share = rollout.arm("candidate").weight / (sum(a.weight for a in rollout.arms) or 1)
        for metric in traffic.GUARDED:
            tallies[metric].add_window(cn, sn, cbad.get(metric, 0), sbad.get(metric, 0), share)
        if evaluate:
            _evaluate(run, state, tallies)


def _evaluate(run: _Run, state, tallies) -> None:
    rollout = state.rollout
    doc = traffic.evaluate(rollout.id, run.clock.now(), tallies)
    seq = run.evaluations.get(rollout.id, 0) + 1
    run.evaluations[rollout.id] = seq
    signals.append_decision(run.store, rollout.id, name=state.name, env=state.env, at=run.clock.now(),
                            step=rollout.step, verdict=doc["decision"], decision_json=json.dumps(doc, sort_keys=True),
                            context={"source": "demo", "evaluation": seq})
    run.decisions += 1
    if doc["decision"] == "breach":
        breached = [m for m in doc["metrics"] if m["decision"] == "breach"]
        ops.freeze_rollout(run.store, state.name, state.env, rollout.id, "promptc-guard",
                           "guard: " + "; ".join(doc["reasons"]),
                           {"decision": "breach", "reasons": doc["reasons"], "metrics": breached})
        run.breach = run.clock.now()


def seed(store: Store, example: Path, *, end: Optional[dt.datetime] = None, rng_seed: int = 7) -> Seeded:
    """Write the demo history into an empty registry; refuse one that has events."""
    if store.head()[0] != 0:
        raise DemoError("the registry already has events; the demo history is written only into an empty one")
    built = build_versions(example)
    answers = [b for b in built if b.name == "support.answer"]
    outreach = [b for b in built if b.name == "sales.outreach"]
    if len(answers) < 4 or len(outreach) < 2:
        raise DemoError("the demo history is made from examples/support-desk (support.answer and sales.outreach)")
    end = (end or dt.datetime.now(dt.timezone.utc)).replace(second=0, microsecond=0)
    start = end - HISTORY
    clock = Clock(start)
    run = _Run(store, clock, random.Random(rng_seed), bad_hash=answers[2].hash)
    moves = sorted(_schedule(answers, outreach), key=lambda m: m[0])
    with simulated_time(clock):
        tick = 0
        moment = start
        while moment <= end:
            while moves and start + moves[0][0] <= moment:
                offset, move = moves.pop(0)
                clock.moment = start + offset
                move(run)
            clock.moment = moment
            _tick(run, signals.minute_of(moment), tick % EVALUATE_EVERY == EVALUATE_EVERY - 1)
            tick += 1
            moment += TICK
        signals.record(store, run.exposures, run.outcomes)
    return Seeded(store.head()[0], len(run.exposures), run.decisions, run.breach,
                  [f"{b.name}@{b.version}" for b in built])


def main(argv: Optional[list[str]] = None) -> int:
    import argparse

    from promptc import driver
    from promptc.registry.backends import open_store

    parser = argparse.ArgumentParser(prog="python -m promptc.dashboard.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("project", nargs="?", default="examples/support-desk", type=Path)
    parser.add_argument("--registry", help="registry URL or path [default: the project's .promptc/registry.db]")
    args = parser.parse_args(argv)
    try:
        project = driver.open_project(args.project)
        with open_store(args.registry or project.config.registry.url, project.root) as store:
            done = seed(store, project.root)
    except (DemoError, registry_model.RegistryError, driver.UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"seeded {done.events} events, {done.responses} responses with signals and {done.decisions} guard decisions",
          file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
