"""What `audit verify` checks beyond the hash chain: that the served labels are the state the
log leaves them in, and that the log still holds a head kept elsewhere (`audit checkpoint`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .model import ChainProblem, Event, RegistryUsageError, utc_now
from .store import Store

CHECKPOINT_FORMAT = "promptc.audit-checkpoint/v1"


def checkpoint_text(store: Store) -> tuple[int, str]:
    """The registry's head as a checkpoint document: (event number, JSON text)."""
    seq, hash_ = store.head()
    events = store.events(from_seq=seq, before=seq + 1) if seq else []
    record = {"format": CHECKPOINT_FORMAT, "seq": seq, "hash": hash_,
              "at": events[0].at if events else "", "written_at": utc_now()}
    return seq, json.dumps(record, indent=2) + "\n"


def read_checkpoint(path: Path) -> dict:
    """A checkpoint file, or RegistryUsageError (exit 2) saying why it is not one."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RegistryUsageError(f"cannot read the checkpoint `{path}`: {exc}") from None
    if not (isinstance(record, dict) and record.get("format") == CHECKPOINT_FORMAT
            and isinstance(record.get("seq"), int) and isinstance(record.get("hash"), str)):
        raise RegistryUsageError(f"`{path}` is not a {CHECKPOINT_FORMAT} file (write one with `promptc audit checkpoint`)")
    return record


def _served_summary(state: Optional[dict]) -> str:
    if state is None:
        return "nothing"
    stable = state.get("stable") or {}
    words = [f"{stable.get('version')} ({str(stable.get('hash'))[:19]}…)" if stable else "no stable version"]
    if state.get("frozen"):
        words.append("frozen")
    if state.get("rollout"):
        words.append("a rollout")
    return ", ".join(words)


def label_problems(events: list[Event], rows: list[tuple[str, str, int, dict]]) -> list[ChainProblem]:
    """Compare the served labels (`rows`: name, env, seq, state) with the state the log
    derives: each label is what its last event with a state left. Names each label that
    differs, which is what `status`, the clients and the dashboard would serve wrongly."""
    derived: dict[tuple[str, str], tuple[int, dict]] = {}
    for event in events:
        if isinstance(event.data, dict) and "state" in event.data:
            derived[(event.name, event.env)] = (event.seq, event.data["state"])
    served = {(name, env): (seq, state) for name, env, seq, state in rows}
    problems = []
    for key in sorted(set(derived) | set(served)):
        name, env = key
        want, have = derived.get(key), served.get(key)
        if want is not None and have is not None and want[1] == have[1] and want[0] == have[0]:
            continue
        seq = want[0] if want else have[0]
        if want is None:
            message = (f"label {name} in {env} serves {_served_summary(have[1])}, but no event in the log "
                       "moved it: the labels table was changed behind the log's back")
        elif have is None:
            message = (f"label {name} in {env} was left at {_served_summary(want[1])} by event #{want[0]}, "
                       "but the registry serves nothing for it")
        else:
            message = (f"label {name} in {env} serves {_served_summary(have[1])}, but the log's last move of it "
                       f"(event #{want[0]}) left {_served_summary(want[1])}: the labels table was changed "
                       "behind the log's back")
        problems.append(ChainProblem(seq, message))
    return problems


def checkpoint_problems(events: list[Event], checkpoint: dict) -> list[ChainProblem]:
    """Compare the log with a head kept elsewhere (`audit checkpoint`): the event the
    checkpoint names must still be in the log, with the same hash. Catches a tail deleted
    back past the checkpoint and any rewrite of the events up to it, even re-sealed ones."""
    seq, hash_ = checkpoint["seq"], checkpoint["hash"]
    if seq == 0:
        return []
    found = next((e for e in events if e.seq == seq), None)
    if found is None:
        last = events[-1].seq if events else 0
        return [ChainProblem(seq, f"the checkpoint of {checkpoint.get('at', '?')} records event #{seq}, but the "
                                  f"log ends at #{last}: events were deleted from the end")]
    if found.hash != hash_:
        return [ChainProblem(seq, f"event #{seq} hashes to {found.hash[:19]}…, but the checkpoint of "
                                  f"{checkpoint.get('at', '?')} recorded {hash_[:19]}…: the log up to it was "
                                  "rewritten (and re-sealed)")]
    return []
