"""The audit log: a label's timeline, "what was live at …", and whether the chain verifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask import Blueprint, render_template, request, url_for

from promptc.registry.audit import label_problems
from promptc.registry.model import ChainProblem, Event, RegistryError, parse_time, verify_chain

from . import present
from .app import BadRequest, Missing, known_prompt, store

blueprint = Blueprint("history", __name__)

PAGE = 100


@dataclass(frozen=True)
class ChainStatus:
    events: int
    head: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


#: How long a full check of the chain is reused while the log's head stays the same. Walking
#: 100,000 events takes seconds; an edit to an old event changes nothing cheaper to watch
#: than the events themselves, so the check is redone at least this often, never skipped.
CHAIN_CHECK_TTL_S = 30.0
_checked: dict[str, tuple[float, tuple[int, str], ChainStatus]] = {}


def chain_status() -> ChainStatus:
    """Walk the whole log, check every link and that each served label is the state the log
    left it in, as `promptc audit verify` does (reusing a
    check under `CHAIN_CHECK_TTL_S` old while the head has not moved)."""
    import time

    s = store()
    head = s.head()
    now = time.monotonic()
    cached = _checked.get(s.url)
    if cached is not None and cached[1] == head and now - cached[0] < CHAIN_CHECK_TTL_S:
        return cached[2]
    events = list(s.iter_events())
    status = ChainStatus(len(events), head[0], verify_chain(events, head) + label_problems(events, s.label_rows()))
    _checked[s.url] = (now, head, status)
    return status


def _before() -> Optional[int]:
    text = request.args.get("before", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise BadRequest(f"`before={text}` is not an event number")
    return int(text)


def _instant(text: str) -> str:
    try:
        return parse_time(text)
    except RegistryError as exc:
        raise BadRequest(str(exc)) from None


@dataclass(frozen=True)
class Moment:
    """The answer to "what was live at T": the event in force then, if any."""

    asked: str
    at: str
    event: Optional[Event]

    @property
    def state(self):
        return self.event.state() if self.event else None


@blueprint.get("/history/<name>/<env>")
def label(name: str, env: str):
    """Every move of one label, newest first, and the point-in-time picker."""
    known_prompt(name)
    s = store()
    before = _before()
    events = s.events(name, env, before=before, limit=PAGE + 1, newest_first=True)
    state = s.label(name, env)
    if state is None and not events and before is None:
        envs = [l.env for l in s.labels() if l.name == name]
        raise Missing(f"{name} has never been released to `{env}`."
                      + (" It has a label in:" if envs else " It has no label in any environment yet."),
                      [(e, url_for("history.label", name=name, env=e)) for e in envs],
                      command=present.command("promote", f"{name}@VERSION", "--env", env))
    more = len(events) > PAGE
    events = events[:PAGE]
    asked = request.args.get("at", "").strip()
    moment = None
    if asked:
        at = _instant(asked)
        moment = Moment(asked, at, s.event_at(name, env, at))
    versions = {h: v for v, h, _ in s.versions(name)}
    return render_template(
        "history.html", name=name, env=env, state=state, events=events, moment=moment,
        older=events[-1].seq if more else None, newer=before is not None, versions=versions,
        summary=lambda e: present.event_summary(e, versions), evidence=present.evidence_rows,
        chain=chain_status(), command=present.command, asked=asked)


@blueprint.get("/audit")
def audit():
    """The whole log, newest first, with the chain's verification."""
    s = store()
    before = _before()
    events = s.events(before=before, limit=PAGE + 1, newest_first=True)
    more = len(events) > PAGE
    events = events[:PAGE]
    versions: dict[str, str] = {}
    for name in {e.name for e in events}:
        versions.update({h: v for v, h, _ in s.versions(name)})
    return render_template("audit.html", events=events, chain=chain_status(),
                           older=events[-1].seq if more else None, newer=before is not None,
                           summary=lambda e: present.event_summary(e, versions))
