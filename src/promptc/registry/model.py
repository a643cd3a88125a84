"""What a registry holds: events of the audit log and the state of each label.

A label is `(prompt, environment)`. Its state says what the environment serves: the stable
bundle, whether the label is frozen, the bundles it may roll back to, and a rollout in flight
(a canary or an A/B split). Every event stores the state it left behind, so "what was live at
T" is one indexed lookup of the last event at or before T, however long the log is.

This module knows nothing of SQL; `store.py` persists these shapes and `ops.py` computes the
transitions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Optional

from promptc.runtime.hashing import canonical_json

#: How many earlier stable bundles a label remembers for `rollback`.
PRIOR_DEPTH = 50


class RegistryError(Exception):
    """A request the registry refuses (unknown prompt, frozen label, …): exit 1."""


class RegistryUsageError(RegistryError):
    """A malformed request or registry address: exit 2."""


class RegistryUnavailable(RegistryError):
    """The registry cannot be reached or opened."""


def utc_now() -> str:
    return format_time(dt.datetime.now(dt.timezone.utc))


def format_time(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with microseconds: fixed width, so text order is time order."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def instant(text: str) -> dt.datetime:
    """An ISO 8601 instant (`2026-03-15T14:47Z`, `…:00+01:00`, a date) as an aware UTC
    datetime; a time without a zone is taken as UTC. Raises ValueError for anything else."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        return moment.astimezone(dt.timezone.utc)
    except OverflowError:  # `0001-01-01T00:00:00+01:00` is before year 1 in UTC
        raise OutOfRange(f"`{text}` is outside the times promptc can store (years 1 to 9999, in UTC)") from None


class OutOfRange(ValueError):
    """An instant that is valid ISO 8601 but falls outside years 1 to 9999 once in UTC."""


def parse_time(text: str) -> str:
    """Normalise a user-given instant to the stored form."""
    try:
        return format_time(instant(text))
    except OutOfRange as exc:
        raise RegistryUsageError(str(exc)) from None
    except ValueError:
        raise RegistryUsageError(f"`{text}` is not a time; write it as ISO 8601 in UTC, such as "
                                 "2026-03-15T14:47:00Z") from None


#: The variant of a first-release canary's other share: keys bucketed into it are not
#: served at all, so the caller keeps the path it had before the prompt existed.
OFF = "off"


@dataclass(frozen=True)
class Arm:
    """One way a rollout can serve: a bundle and its integer weight.

    The `off` arm of a first-release canary has no bundle (`version` and `hash` are None):
    its share of keys gets nothing, because there is no earlier version to fall back on."""

    variant: str
    version: Optional[str]
    hash: Optional[str]
    weight: int

    @staticmethod
    def off(weight: int) -> "Arm":
        return Arm(OFF, None, None, weight)

    @property
    def served(self) -> bool:
        return self.hash is not None

    def to_json(self) -> dict:
        return {"variant": self.variant, "version": self.version, "hash": self.hash, "weight": self.weight}

    @staticmethod
    def from_json(data: dict) -> "Arm":
        return Arm(data["variant"], data.get("version"), data.get("hash"), int(data["weight"]))


@dataclass(frozen=True)
class Rollout:
    """A canary (`stable` + `candidate`) or an A/B split, sticky by `salt`.

    `status` is `active` while it serves its arms and `frozen` once the guard (or a person)
    stopped it: a frozen rollout serves the stable bundle only and keeps its arms for the
    record until it is resumed, aborted or replaced.

    A *first-release* canary (a prompt with no stable version yet in the environment) pairs
    the candidate with an `off` arm instead of `stable`: keys in the off share are not
    served, and once frozen no key is."""

    id: str
    kind: str  # "canary" | "split"
    salt: str
    arms: tuple[Arm, ...]
    started: str
    status: str = "active"
    step: Optional[float] = None  # the canary's percentage

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "salt": self.salt, "arms": [a.to_json() for a in self.arms],
                "started": self.started, "status": self.status, "step": self.step}

    @staticmethod
    def from_json(data: dict) -> "Rollout":
        return Rollout(data["id"], data["kind"], data["salt"], tuple(Arm.from_json(a) for a in data["arms"]),
                       data["started"], data.get("status", "active"), data.get("step"))

    def arm(self, variant: str) -> Optional[Arm]:
        return next((a for a in self.arms if a.variant == variant), None)

    @property
    def first_release(self) -> bool:
        """A canary of a prompt the environment has never served: its other arm is `off`."""
        return any(not a.served for a in self.arms)


@dataclass(frozen=True)
class Release:
    """A stable bundle a label pointed at."""

    version: str
    hash: str

    def to_json(self) -> dict:
        return {"version": self.version, "hash": self.hash}


@dataclass(frozen=True)
class LabelState:
    """What `(name, env)` serves after an event."""

    name: str
    env: str
    stable: Optional[Release] = None
    frozen: bool = False
    rollout: Optional[Rollout] = None
    prior: tuple[Release, ...] = ()

    def to_json(self) -> dict:
        return {
            "stable": self.stable.to_json() if self.stable else None,
            "frozen": self.frozen,
            "rollout": self.rollout.to_json() if self.rollout else None,
            "prior": [p.to_json() for p in self.prior],
        }

    @staticmethod
    def from_json(name: str, env: str, data: dict) -> "LabelState":
        stable = data.get("stable")
        rollout = data.get("rollout")
        return LabelState(
            name, env,
            Release(stable["version"], stable["hash"]) if stable else None,
            bool(data.get("frozen")),
            Rollout.from_json(rollout) if rollout else None,
            tuple(Release(p["version"], p["hash"]) for p in data.get("prior", ())),
        )

    def serving(self) -> tuple[Arm, ...]:
        """The arms traffic goes to now: the rollout's while it is active, else the stable.

        The arms may include an `off` arm (no bundle), which takes part in bucketing but
        serves nothing; with no stable version and no active rollout, nothing is served."""
        if self.rollout is not None and self.rollout.status == "active":
            return tuple(a for a in self.rollout.arms if a.weight > 0)
        if self.stable is None:
            return ()
        return (Arm("stable", self.stable.version, self.stable.hash, 1),)

    def with_stable(self, release: Release) -> "LabelState":
        """Move the stable label, remembering the old one for `rollback`."""
        prior = self.prior
        if self.stable is not None and self.stable.hash != release.hash:
            prior = ((self.stable,) + prior)[:PRIOR_DEPTH]
        return replace(self, stable=release, prior=prior)


def _flat_canonical(body: dict) -> bytes:
    """RFC 8785 bytes of a flat object of ASCII keys and string, integer or null values (an
    event's hashed body): there the C encoder's output is canonical already, so the general
    check `canonical_json` makes first is skipped. A lone surrogate still goes the long way."""
    try:
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        return canonical_json(body)


def encode_data(data: dict) -> str:
    """An event's `data` as stored: compact JSON with sorted keys."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Event:
    """One entry of the append-only audit log.

    `hash` is the sha256 of the canonical JSON of every other field, `prev` included, with
    `data` (the label state the event left behind, which can be large) standing in as the
    sha256 of its stored JSON text. Editing, removing or reordering any event breaks the
    chain from there on, and checking 100,000 events hashes small documents only."""

    seq: int
    at: str
    actor: str
    kind: str
    name: str
    env: str
    old_hash: Optional[str]
    new_hash: Optional[str]
    reason: str
    data: dict = field(default_factory=dict)
    prev: str = ""
    hash: str = ""
    #: `data` exactly as stored (set when read from or written to a store).
    data_text: str = field(default="", compare=False, repr=False)

    def body(self) -> dict:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "kind": self.kind, "name": self.name,
                "env": self.env, "old_hash": self.old_hash, "new_hash": self.new_hash, "reason": self.reason,
                "data": self.data, "prev": self.prev}

    def stored_data(self) -> str:
        return self.data_text or encode_data(self.data)

    def computed_hash(self) -> str:
        digest = hashlib.sha256(self.stored_data().encode("utf-8")).hexdigest()
        return "sha256:" + hashlib.sha256(_flat_canonical({**self.body(), "data": "sha256:" + digest})).hexdigest()

    def sealed(self) -> "Event":
        stored = replace(self, data_text=self.stored_data())
        return replace(stored, hash=stored.computed_hash())

    def state(self) -> Optional[LabelState]:
        """The label state this event left behind (None for events without a label)."""
        data = self.data.get("state")
        return LabelState.from_json(self.name, self.env, data) if data is not None else None

    def to_json(self) -> dict:
        return {**self.body(), "hash": self.hash}


GENESIS = "sha256:" + "0" * 64


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify_chain(events: list[Event], head: Optional[tuple[int, str]]) -> list[ChainProblem]:
    """Check that `events` (in stored order) form one unbroken chain ending at `head`.

    Detects an edited event (its hash no longer matches its fields), a removed one (a gap in
    `seq`, or a `prev` that names a different event), reordering, and a truncated tail (the
    chain ends before the recorded head)."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            problems.append(ChainProblem(event.seq, f"expected event #{expected_seq} here, found #{event.seq}: "
                                         "events were removed or reordered"))
        if event.prev != prev_hash:
            problems.append(ChainProblem(event.seq, "does not follow the event before it (its `prev` hash "
                                         "differs): an earlier event was edited, removed or reordered"))
        if event.computed_hash() != event.hash:
            problems.append(ChainProblem(event.seq, "its contents do not match its hash: the event was edited"))
        prev_hash = event.hash
        expected_seq = event.seq + 1
    last = (events[-1].seq, events[-1].hash) if events else (0, GENESIS)
    if head is not None and head != last:
        problems.append(ChainProblem(head[0], f"the log ends at event #{last[0]} but the registry recorded "
                                     f"#{head[0]} as its last: events were removed from the end"))
    return problems
