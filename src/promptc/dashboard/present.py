"""Shaping registry data for people: short hashes, readable times, label summaries, and the
CLI command that fits each situation (the dashboard shows commands instead of buttons).

Nothing here returns markup: templates escape every value, and prompt text is user content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from promptc.registry.model import Event, LabelState, Rollout

from .queries import parse_instant


def short(hash_: Optional[str]) -> str:
    """The first 12 hex digits: enough to tell bundles apart on a page, and what
    `promptc show` accepts as a prefix."""
    if not hash_:
        return "—"
    return hash_.split(":", 1)[-1][:12]


def when(at: Optional[str]) -> str:
    """A stored instant as `2026-03-15 14:47:05 UTC` (seconds are enough to read a timeline)."""
    moment = parse_instant(at)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else (at or "—")


def percent(weight: int, arms) -> str:
    total = sum(a.weight for a in arms) or 1
    return f"{100 * weight / total:g} %"


def quote(word: str) -> str:
    """A shell word for a command shown to copy: quoted only when it needs it."""
    if word and all(c.isalnum() or c in "._-@/:=,%+" for c in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def command(*words: str) -> str:
    return "promptc " + " ".join(quote(w) for w in words)


@dataclass(frozen=True)
class Cell:
    """One (prompt, environment) of the live matrix."""

    state: LabelState
    badges: tuple[str, ...]
    commands: tuple[str, ...]


def rollout_badge(rollout: Rollout) -> str:
    if rollout.kind == "canary":
        cand = rollout.arm("candidate")
        text = f"canary {cand.version if cand else '?'} at {rollout.step:g} %"
        if rollout.first_release:
            text = "first-release " + text + ", the rest not served"
    else:
        text = "A/B " + " / ".join(f"{a.version} {percent(a.weight, rollout.arms)}" for a in rollout.arms)
    if rollout.status != "active":
        text += " — frozen by the guard" + (": nothing served" if rollout.first_release else "")
    return text


def cell(state: LabelState) -> Cell:
    """Badges for what is unusual about a label and the commands that act on it."""
    badges: list[str] = []
    commands: list[str] = []
    name, env = state.name, state.env
    if state.frozen:
        badges.append("label frozen")
        commands.append(command("unfreeze", name, "--env", env))
    if state.rollout is not None:
        badges.append(rollout_badge(state.rollout))
        if state.rollout.status != "active":
            commands.append(command("rollout", "resume", name, "--env", env, "--ack"))
    if state.rollout is not None or state.prior:
        commands.append(command("rollback", name, "--env", env))
    return Cell(state, tuple(badges), tuple(commands))


def rollout_commands(state: LabelState) -> list[str]:
    """What a person may do next with a rollout in flight."""
    rollout, name, env = state.rollout, state.name, state.env
    out: list[str] = []
    if rollout is None:
        return out
    if rollout.status != "active":
        out.append(command("rollout", "resume", name, "--env", env, "--ack"))
    elif rollout.kind == "canary" and rollout.step is not None:
        cand = rollout.arm("candidate")
        steps = [s for s in (1, 5, 10, 25, 50, 100) if s > rollout.step]
        if cand and steps:
            out.append(command("rollout", name, "--env", env, "--candidate", cand.version,
                               "--percent", f"{steps[0]:g}"))
        out.append(command("rollout", "advance", name, "--env", env))
    out.append(command("rollout", name, "--env", env, "--abort"))
    out.append(command("rollback", name, "--env", env))
    return out


def event_summary(event: Event, versions: dict[str, str]) -> str:
    """`2.0.0 → 2.0.1` for an event that moved something, from the hashes it records."""
    def name(hash_: Optional[str]) -> str:
        return versions.get(hash_, short(hash_)) if hash_ else "—"

    if event.kind == "publish":
        return event.data.get("version") or name(event.new_hash)
    if event.old_hash == event.new_hash:
        return name(event.new_hash)
    move = f"{name(event.old_hash)} → {name(event.new_hash)}"
    if isinstance(event.data.get("percent"), (int, float)):
        move += f" at {event.data['percent']:g} %"
    return move


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def evidence_rows(evidence) -> list[tuple[str, str]]:
    """A breach event's evidence as key/value lines, whatever shape the guard gave it."""
    if isinstance(evidence, dict):
        return [(str(k), v if isinstance(v, str) else json.dumps(v, sort_keys=True, ensure_ascii=False))
                for k, v in sorted(evidence.items())]
    return [("evidence", json.dumps(evidence, sort_keys=True, ensure_ascii=False))] if evidence is not None else []


def evidence_share(log_value, threshold) -> str:
    """A metric's evidence as the guard prints it: % of the level at which it freezes."""
    if not isinstance(log_value, (int, float)) or not isinstance(threshold, (int, float)) or threshold <= 1:
        return "—"
    from promptc.guard.evaluate import format_evidence

    return format_evidence(log_value, threshold)


def number(value, digits: int = 3) -> str:
    """A figure from a decision document; text as is, absent as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"
