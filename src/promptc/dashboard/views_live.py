"""What runs now: the environment × prompt matrix, rollouts in flight, a rollout's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask import Blueprint, render_template, url_for

from promptc.registry.model import Event, LabelState

from . import present, queries
from .app import Missing, store

blueprint = Blueprint("live", __name__)

#: Environments in the order releases travel; others follow alphabetically.
PIPELINE = ("dev", "development", "test", "qa", "staging", "stage", "canary", "prod", "production")


def env_rank(env: str) -> tuple[int, str]:
    return (PIPELINE.index(env) if env in PIPELINE else len(PIPELINE), env)


def env_order(envs: list[str]) -> list[str]:
    return sorted(envs, key=env_rank)


@dataclass(frozen=True)
class PromptRow:
    name: str
    meta: dict
    latest: str
    cells: dict


def _meta(name: str, hash_: str) -> dict:
    bundle = store().bundle(hash_) or {}
    meta = bundle.get("meta")
    return meta if isinstance(meta, dict) else {}


@blueprint.get("/")
def matrix():
    """Every prompt against every environment: what each serves now."""
    s = store()
    labels = s.labels()
    envs = env_order(sorted({l.env for l in labels}))
    by_name: dict[str, dict[str, present.Cell]] = {}
    for state in labels:
        by_name.setdefault(state.name, {})[state.env] = present.cell(state)
    rows = []
    for name in sorted(set(s.names()) | set(by_name)):
        versions = s.versions(name)
        latest = versions[-1] if versions else None
        rows.append(PromptRow(name, _meta(name, latest[1]) if latest else {}, latest[0] if latest else "—",
                              by_name.get(name, {})))
    in_flight = sum(1 for l in labels if l.rollout is not None)
    return render_template("matrix.html", envs=envs, rows=rows, in_flight=in_flight)


@dataclass(frozen=True)
class Flight:
    """A rollout in flight with what the guard last said about it."""

    state: LabelState
    latest: Optional[queries.DecisionRow]
    evaluations: int
    responses: dict
    commands: list

    @property
    def rollout(self):
        return self.state.rollout

    def exposure(self) -> tuple[Optional[int], Optional[int]]:
        """Candidate exposure and the minimum the guard requires before advancing (the
        largest over guarded metrics), from the latest decision."""
        metrics = self.latest.metrics if self.latest else []
        have = [m.get("candidate_exposures") for m in metrics if isinstance(m.get("candidate_exposures"), int)]
        need = [m.get("required_exposures") for m in metrics if isinstance(m.get("required_exposures"), int)]
        return (max(have) if have else None, max(need) if need else None)


def flights() -> list[Flight]:
    s = store()
    out = []
    for state in s.labels():
        rollout = state.rollout
        if rollout is None:
            continue
        responses = {a.variant: queries.arm_responses(s, state.name, state.env, a.hash, rollout.started)
                     for a in rollout.arms if a.served}
        out.append(Flight(state, queries.latest_decision(s, rollout.id), queries.decision_count(s, rollout.id),
                          responses, present.rollout_commands(state)))
    return sorted(out, key=lambda f: (env_rank(f.state.env), f.state.name))


@blueprint.get("/rollouts")
def rollouts():
    return render_template("rollouts.html", flights=flights())


@blueprint.get("/rollouts/<path:rollout_id>")
def decision_log(rollout_id: str):
    """One rollout: its events (start, ramps, breach) and every guard evaluation."""
    s = store()
    events = queries.rollout_events(s, rollout_id)
    log = queries.decisions(s, rollout_id)
    if not events and not log:
        active = [l.rollout.id for l in s.labels() if l.rollout is not None]
        raise Missing(f"No rollout `{rollout_id}` is recorded in this registry."
                      + (" Rollouts in flight:" if active else " No rollout is in flight."),
                      [(r, url_for("live.decision_log", rollout_id=r)) for r in active])
    parsed = queries.parse_rollout_id(rollout_id)
    state = s.label(parsed[0], parsed[1]) if parsed else None
    current = state if state is not None and state.rollout is not None and state.rollout.id == rollout_id else None
    versions = {h: v for v, h, _ in s.versions(parsed[0])} if parsed else {}
    return render_template("decision_log.html", rollout_id=rollout_id, name=parsed[0] if parsed else None,
                           env=parsed[1] if parsed else None, current=current, events=events, log=log,
                           versions=versions, summary=lambda e: present.event_summary(e, versions),
                           evidence=present.evidence_rows,
                           commands=present.rollout_commands(current) if current else [],
                           ended=_ended(events, current))


def _ended(events: list[Event], current: Optional[LabelState]) -> Optional[Event]:
    """The last event of a rollout no longer in flight: it completed, was aborted, rolled
    back, or replaced by a new candidate."""
    return events[-1] if current is None and events else None
