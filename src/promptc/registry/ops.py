"""Release operations: each moves labels inside one registry transaction and appends one
audited event per move (DESIGN §6).

The rules, in one place:
- a frozen label refuses every move except `rollback` (and `unfreeze`);
- a canary ramps by calling `rollout` again with a larger percentage: its salt is fixed at
  creation, so assignment stays sticky; at 100 % the candidate becomes the stable label and
  the rollout ends;
- a rollout the guard froze serves the stable bundle only, and nothing resumes it but
  `rollout resume --ack` or a new candidate;
- a prompt with no stable version in an environment is released by a *first-release*
  canary: the candidate against an `off` arm that serves nothing; frozen, it serves nothing
  at all, and rolled back or aborted it leaves the label serving nothing;
- `rollback` ends a rollout in flight (traffic back to stable) or, with none, returns the
  stable label to the value it had before its last move.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Optional

from promptc.runtime.errors import BundleFormatError, IntegrityError
from promptc.runtime.hashing import spec_hash

from .model import Arm, Event, LabelState, RegistryError, RegistryUsageError, Release, Rollout
from .store import Store, Transaction

#: Canary weights are basis points: percentages with up to two decimals (0.01 %–100 %).
BASIS = 10_000
_ENV = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def default_actor() -> str:
    """Who is acting: $PROMPTC_ACTOR (CI sets it to the pipeline's identity), else the OS user."""
    actor = os.environ.get("PROMPTC_ACTOR", "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no user name in a minimal container
        return "unknown"


def check_env(env: str) -> str:
    if not _ENV.match(env or ""):
        raise RegistryUsageError(f"`{env}` is not an environment name; use letters, digits, `.`, `_` and `-` "
                                 "(such as staging, prod, tenant-x)")
    return env


def parse_ref(ref: str) -> tuple[str, str]:
    """`NAME@VERSION` → (name, version)."""
    name, sep, version = ref.partition("@")
    if not sep or not name or not version:
        raise RegistryUsageError(f"`{ref}`: name a release as NAME@VERSION, such as support.answer@1.4.0")
    return name, version


def parse_percent(text: str) -> int:
    """A canary percentage → basis points. Accepts `10`, `10%`, `0.5`."""
    try:
        value = Decimal(str(text).strip().rstrip("%"))
    except InvalidOperation:
        raise RegistryUsageError(f"--percent `{text}` is not a number; write a percentage such as 10 or 0.5") from None
    points = value * 100
    if not (0 < value <= 100) or points != points.to_integral_value():
        raise RegistryUsageError(f"--percent {text}: use a percentage above 0 and at most 100, "
                                 "with at most two decimals")
    return int(points)


def parse_split(text: str) -> list[tuple[str, int]]:
    """`1.4.0=50,1.5.0=50` → [(version, weight)]. Weights are non-negative integers."""
    arms: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        version, sep, weight = part.partition("=")
        if not sep or not version.strip() or not weight.strip().isdigit():
            raise RegistryUsageError(f"--split `{text}`: write VERSION=WEIGHT pairs separated by commas, "
                                     "such as 1.4.0=50,1.5.0=50")
        arms.append((version.strip(), int(weight)))
    if len(arms) < 2 or len({v for v, _ in arms}) != len(arms):
        raise RegistryUsageError(f"--split `{text}`: an A/B split needs at least two different versions")
    if sum(w for _, w in arms) <= 0:
        raise RegistryUsageError(f"--split `{text}`: at least one weight must be above 0")
    return arms


@dataclass(frozen=True)
class Published:
    name: str
    version: str
    hash: str
    new: bool


def publish(store: Store, documents: Iterable[tuple[str, bytes]], actor: str,
            progress: Optional[Callable[[str, int, int], None]] = None) -> list[Published]:
    """Store bundle documents `(origin, bytes)`, each verified first. Idempotent: a bundle
    already stored is skipped and adds no event.

    Verification (hash and bundle schema) costs tens of milliseconds a bundle, almost all of
    it JSON Schema validation, so a bundle whose recomputed hash shows it is already stored
    under its name and version is not validated again (nothing of it is written), and many
    new bundles are validated in parallel processes."""
    documents = list(documents)
    stored = store.stored_releases()
    checked: list[Optional[tuple[str, str, str, str]]] = [None] * len(documents)
    fresh: list[int] = []
    for index, (origin, raw) in enumerate(documents):
        claim = _stored_claim(raw, stored)
        if claim is not None:
            checked[index] = (*claim, raw.decode("utf-8"))
        else:
            fresh.append(index)
    for index, outcome in _verify_all([documents[i][1] for i in fresh], progress):
        origin, raw = documents[fresh[index]]
        if isinstance(outcome, str):
            raise RegistryError(f"{origin}: {outcome}")
        checked[fresh[index]] = (*outcome, raw.decode("utf-8"))
    results: list[Published] = []
    with store.transaction() as tx:
        for name, version, hash_, text in checked:
            new = tx.put_bundle(hash_, name, version, text)
            if new:
                tx.append("publish", name, "", actor=actor, reason=f"published {name}@{version}", new_hash=hash_,
                          data={"version": version})
            results.append(Published(name, version, hash_, new))
    return results


def _stored_claim(raw: bytes, stored: set[tuple[str, str, str]]) -> Optional[tuple[str, str, str]]:
    """(name, version, hash) when `raw` is a bundle already stored: its spec hashes to the
    hash it claims, and the registry holds that hash under its name and version."""
    try:
        document = json.loads(raw)
        claim = (document["name"], document["version"], document["hash"])
        if claim in stored and spec_hash(document["spec"]) == claim[2]:
            return claim
    except Exception:  # anything odd gets the full verification and its precise error
        return None
    return None


def _verify_one(raw: bytes):
    from promptc.runtime.bundle import load as load_bundle  # jsonschema: only when publishing

    try:
        bundle = load_bundle(raw)
    except (BundleFormatError, IntegrityError) as exc:
        return str(exc)
    return bundle.name, bundle.version, bundle.hash


def _verify_all(raws: list[bytes], progress) -> Iterable[tuple[int, object]]:
    total = len(raws)
    workers = min(os.cpu_count() or 1, 8)
    if total < 64 or workers < 2:
        for index, raw in enumerate(raws):
            yield index, _verify_one(raw)
            if progress:
                progress("verifying bundles", index + 1, total)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for index, outcome in enumerate(pool.map(_verify_one, raws, chunksize=16)):
            yield index, outcome
            if progress:
                progress("verifying bundles", index + 1, total)


def resolve(tx_or_store, name: str, version: str) -> Release:
    store = tx_or_store.store if isinstance(tx_or_store, Transaction) else tx_or_store
    hash_ = store.version_hash(name, version)
    if hash_ is not None:
        return Release(version, hash_)
    known = [v for v, _, _ in store.versions(name)]
    if not known:
        raise RegistryError(f"no prompt named `{name}` in the registry; `promptc publish` stores built bundles"
                            + _closest(name, store.names()))
    raise RegistryError(f"{name} has no version {version} in the registry; it has {', '.join(known[-8:])}")


def _closest(name: str, names: list[str]) -> str:
    import difflib

    best = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean `{best[0]}`?)" if best else ""


def _refuse_frozen(state: LabelState, what: str) -> None:
    if state.frozen:
        raise RegistryError(f"{state.name} is frozen in {state.env}: {what} is refused until "
                            f"`promptc unfreeze {state.name} --env {state.env}` (rollback still works)")


def _label(tx: Transaction, name: str, env: str, new_env_ok: bool = False) -> LabelState:
    """The label's state, refusing an unknown prompt, and an environment that has never
    served anything unless the operation creates it (promote, a first split)."""
    check_env(env)
    state = tx.label(name, env)
    if not tx.store.versions(name):
        raise RegistryError(f"no prompt named `{name}` in the registry" + _closest(name, tx.store.names()))
    if not new_env_ok and state.stable is None and state.rollout is None:
        require_env(tx.store, env, name)
    return state


def require_env(store: Store, env: str, name: Optional[str] = None) -> None:
    """Refuse an environment no label has ever used: most likely a typo."""
    known = store.environments()
    if env in known:
        if name is not None:
            raise RegistryError(f"{name} has never been released in {env}; promote a version first "
                                f"(`promptc promote {name}@VERSION --env {env}`)")
        return
    hint = _closest(env, known) or (f" (it has {', '.join(known)})" if known else " (it has none yet)")
    raise RegistryError(f"no environment `{env}` in the registry{hint}; `promptc promote` creates one declared in "
                        "promptc.toml ([registry] environments)")


def admit_env(store: Store, env: str, declared: list[str], create: bool = False) -> str:
    """An environment a promote or a rollout may move a label in: one declared in promptc.toml
    (`[registry] environments`), one the registry already has, or a new one created on
    purpose (`create`). Anything else is most likely a typo (`prdo`)."""
    check_env(env)
    known = store.environments()
    if env in declared or env in known or create:
        return env
    names = list(dict.fromkeys([*declared, *known]))
    hint = _closest(env, names) or (f" (the environments are {', '.join(names)})" if names else "")
    raise RegistryUsageError(f"no environment `{env}`{hint}; declare it in promptc.toml "
                             f"([registry] environments = [\"staging\", \"prod\"]), or pass --create-env "
                             f"to create `{env}`")


def breaking_change(store: Store, name: str, env: str, version: str) -> Optional[tuple[str, list[str]]]:
    """If `version` of `name` has an interface that breaks callers of what `env` serves now
    (a new required input, a narrowed input type, a changed output or tool schema: a major
    change by the version rules of promptc.lock), the served version and the reasons."""
    import json

    from ..emit.compat import classify_interface, interface

    state = store.label(name, env)
    new_hash = store.version_hash(name, version)
    if state is None or state.stable is None or new_hash is None or new_hash == state.stable.hash:
        return None
    old_text, new_text = store.bundle_text(state.stable.hash, state.stable.version), store.bundle_text(new_hash, version)
    if old_text is None or new_text is None:
        return None
    change = classify_interface(interface(json.loads(old_text)["spec"]), interface(json.loads(new_text)["spec"]))
    if change.level != "major":
        return None
    return state.stable.version, change.reasons_at("major")


def promote(store: Store, name: str, version: str, env: str, actor: str, reason: str = "") -> Event:
    with store.transaction() as tx:
        state = _label(tx, name, env, new_env_ok=True)
        release = resolve(tx, name, version)
        _refuse_frozen(state, "promote")
        if state.rollout is not None:
            raise RegistryError(f"a rollout of {name} is in flight in {env}; finish it (`--percent 100`) or "
                                f"abort it (`promptc rollout {name} --env {env} --abort`) first")
        old = state.stable.hash if state.stable else None
        if old == release.hash:
            raise RegistryError(f"{env} already serves {name}@{state.stable.version}; nothing to promote")
        return tx.append("promote", name, env, actor=actor, reason=reason or f"promote {name}@{version}",
                         old_hash=old, new_hash=release.hash, state=state.with_stable(release))


def rollout(store: Store, name: str, env: str, candidate: str, percent: int, actor: str, reason: str = "",
            hold: bool = False, data: Optional[dict] = None) -> Event:
    """Start or ramp a canary of `candidate` at `percent` basis points of traffic.

    At 100 % the candidate becomes stable and the rollout ends, unless `hold`: then the
    rollout stays in flight with all traffic on the candidate (the guard's 100 % stage,
    which `rollout advance` completes). `data` is kept in the event that starts a rollout
    (the guard's settings, fixed for the rollout's life).

    Without a stable version in `env` this is a *first-release* canary: the rest of the
    traffic goes to an `off` arm that serves nothing, since there is no earlier version to
    compare with or fall back on; completing it makes the candidate the first stable."""
    with store.transaction() as tx:
        state = _label(tx, name, env, new_env_ok=True)
        release = resolve(tx, name, candidate)
        _refuse_frozen(state, "a rollout")
        if state.stable is not None and state.stable.hash == release.hash:
            raise RegistryError(f"{env} already serves {name}@{candidate} as its stable version")
        current = state.rollout
        if current is not None and current.kind == "canary" and current.arm("candidate").hash == release.hash:
            if current.status != "active":
                raise RegistryError(f"the rollout of {name}@{candidate} in {env} is frozen; resume it with "
                                    f"`promptc rollout resume {name} --env {env} --ack` after reviewing it")
            rollout_ = current
            kind = "rollout"
            data = None
        elif current is not None and current.status == "active":
            raise RegistryError(f"a rollout of {name} is already in flight in {env} "
                                f"({_describe(current)}); abort it first with "
                                f"`promptc rollout {name} --env {env} --abort`")
        else:  # new, or a new candidate replacing a frozen rollout
            rollout_id = f"{name}@{env}#{tx.seq + 1}"
            other = Arm("stable", state.stable.version, state.stable.hash, BASIS) if state.stable is not None \
                else Arm.off(BASIS)
            rollout_ = Rollout(rollout_id, "canary", rollout_id, (other, Arm("candidate", candidate, release.hash, 0)),
                               "")
            kind = "rollout"
        old_hash = state.stable.hash if state.stable is not None else None
        if percent >= BASIS and not hold:
            done = replace(state.with_stable(release), rollout=None)
            first = " (its first stable version)" if old_hash is None else ""
            return tx.append("rollout-complete", name, env, actor=actor,
                             reason=reason or f"{name}@{candidate} at 100 %{first}", old_hash=old_hash,
                             new_hash=release.hash, state=done, data={"rollout": rollout_.id})
        other_arm, cand_arm = rollout_.arms
        ramped = replace(rollout_, arms=(replace(other_arm, weight=BASIS - percent), replace(cand_arm, weight=percent)),
                         step=percent / 100, started=rollout_.started or tx.now())
        what = "first release of " if ramped.first_release else ""
        return tx.append(kind, name, env, actor=actor,
                         reason=reason or f"{what}{name}@{candidate} at {percent / 100:g} %",
                         old_hash=old_hash, new_hash=release.hash, state=replace(state, rollout=ramped),
                         data={"rollout": ramped.id, "percent": percent / 100, **(data or {})})


def split(store: Store, name: str, env: str, arms: list[tuple[str, int]], actor: str, reason: str = "",
          data: Optional[dict] = None) -> Event:
    """Start an A/B split across versions with integer weights."""
    with store.transaction() as tx:
        state = _label(tx, name, env, new_env_ok=True)
        _refuse_frozen(state, "a split")
        if state.rollout is not None and state.rollout.status == "active":
            raise RegistryError(f"a rollout of {name} is already in flight in {env} ({_describe(state.rollout)}); "
                                f"abort it first with `promptc rollout {name} --env {env} --abort`")
        resolved = [Arm(version, version, resolve(tx, name, version).hash, weight) for version, weight in arms]
        rollout_id = f"{name}@{env}#{tx.seq + 1}"
        rollout_ = Rollout(rollout_id, "split", rollout_id, tuple(resolved), tx.now())
        stable = state.stable or Release(resolved[0].version, resolved[0].hash)
        new_state = replace(state, stable=stable, rollout=rollout_)
        text = ", ".join(f"{a.version}={a.weight}" for a in resolved)
        return tx.append("rollout", name, env, actor=actor, reason=reason or f"A/B split {text}",
                         old_hash=state.stable.hash if state.stable else None, new_hash=None, state=new_state,
                         data={"rollout": rollout_id, "split": {a.version: a.weight for a in resolved}, **(data or {})})


def abort(store: Store, name: str, env: str, actor: str, reason: str = "") -> Event:
    with store.transaction() as tx:
        state = _label(tx, name, env)
        if state.rollout is None:
            raise RegistryError(f"no rollout of {name} is in flight in {env}")
        _refuse_frozen(state, "aborting the rollout")
        return tx.append("rollout-abort", name, env, actor=actor, reason=reason or "rollout aborted",
                         old_hash=_candidate_hash(state.rollout), new_hash=state.stable.hash if state.stable else None,
                         state=replace(state, rollout=None), data={"rollout": state.rollout.id})


def rollback(store: Store, name: str, env: str, actor: str, reason: str = "") -> Event:
    """One command back: end a rollout in flight, else restore the previous stable bundle."""
    with store.transaction() as tx:
        state = _label(tx, name, env)
        if state.rollout is not None:
            ended = "rollback: first release ended, nothing served" if state.stable is None else \
                "rollback: rollout ended"
            return tx.append("rollback", name, env, actor=actor, reason=reason or ended,
                             old_hash=_candidate_hash(state.rollout),
                             new_hash=state.stable.hash if state.stable else None,
                             state=replace(state, rollout=None), data={"rollout": state.rollout.id})
        if not state.prior:
            what = f"{state.stable.version}" if state.stable else "nothing"
            raise RegistryError(f"{name} in {env} has no earlier version to roll back to (it serves {what})")
        previous, rest = state.prior[0], state.prior[1:]
        return tx.append("rollback", name, env, actor=actor,
                         reason=reason or f"rollback {state.stable.version} → {previous.version}",
                         old_hash=state.stable.hash, new_hash=previous.hash,
                         state=replace(state, stable=previous, prior=rest))


def set_frozen(store: Store, name: str, env: str, frozen: bool, actor: str, reason: str = "") -> Event:
    with store.transaction() as tx:
        state = _label(tx, name, env)
        if state.frozen == frozen:
            raise RegistryError(f"{name} is already {'frozen' if frozen else 'not frozen'} in {env}")
        hash_ = state.stable.hash if state.stable else None
        return tx.append("freeze" if frozen else "unfreeze", name, env, actor=actor,
                         reason=reason or ("frozen" if frozen else "unfrozen"), old_hash=hash_, new_hash=hash_,
                         state=replace(state, frozen=frozen))


def freeze_rollout(store: Store, name: str, env: str, rollout_id: str, actor: str, reason: str,
                   evidence: dict, kind: str = "guard-breach") -> Optional[Event]:
    """Latch a rollout: it serves stable from now on. Returns None if that rollout is no
    longer in flight (a person moved the label meanwhile)."""
    with store.transaction() as tx:
        state = tx.label(name, env)
        if state.rollout is None or state.rollout.id != rollout_id or state.rollout.status != "active":
            return None
        frozen = replace(state.rollout, status="frozen")
        return tx.append(kind, name, env, actor=actor, reason=reason, old_hash=_candidate_hash(state.rollout),
                         new_hash=state.stable.hash if state.stable else None, state=replace(state, rollout=frozen),
                         data={"rollout": rollout_id, "evidence": evidence})


def resume(store: Store, name: str, env: str, actor: str, reason: str = "") -> Event:
    with store.transaction() as tx:
        state = _label(tx, name, env)
        if state.rollout is None or state.rollout.status != "frozen":
            raise RegistryError(f"no frozen rollout of {name} in {env} to resume")
        _refuse_frozen(state, "resuming the rollout")
        return tx.append("rollout-resume", name, env, actor=actor, reason=reason or "resumed after review",
                         old_hash=state.stable.hash if state.stable else None, new_hash=_candidate_hash(state.rollout),
                         state=replace(state, rollout=replace(state.rollout, status="active")),
                         data={"rollout": state.rollout.id})


def _candidate_hash(rollout_: Rollout) -> Optional[str]:
    arm = rollout_.arm("candidate")
    return arm.hash if arm else None


def _describe(rollout_: Rollout) -> str:
    if rollout_.kind == "canary":
        cand = rollout_.arm("candidate")
        if rollout_.first_release:
            return f"first-release canary {cand.version} at {rollout_.step:g} % (the rest not served)"
        return f"canary {cand.version} at {rollout_.step:g} %"
    return "split " + ", ".join(f"{a.version}={a.weight}" for a in rollout_.arms)


def describe_rollout(rollout_: Rollout) -> str:
    return _describe(rollout_) + (" (frozen)" if rollout_.status != "active" else "")
