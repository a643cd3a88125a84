"""Read-side answers over a store: status, point-in-time history, bundles, drift.

Each answer is plain JSON data first (what `--json` prints and the dashboard reads) and a
text rendering second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from .model import Event, LabelState, RegistryError, RegistryUsageError
from .ops import describe_rollout
from .store import Store


def _short(hash_: Optional[str]) -> str:
    return hash_[7:19] if hash_ else "-"


def label_json(state: LabelState) -> dict:
    serving = state.serving()
    return {
        "name": state.name,
        "env": state.env,
        "version": state.stable.version if state.stable else None,
        "hash": state.stable.hash if state.stable else None,
        "frozen": state.frozen,
        "rollout": state.rollout.to_json() if state.rollout else None,
        "serving": [a.to_json() for a in serving],
    }


def status(store: Store, env: Optional[str] = None, order: Sequence[str] = ()) -> list[dict]:
    """Every label (of `env`), environments in `order` (promptc.toml's, staging before prod)
    and then the others by name, each with `audited`: whether the audit log supports the
    state served."""
    rank = {name: i for i, name in enumerate(order)}
    states = sorted(store.labels(env), key=lambda s: (rank.get(s.env, len(rank)), s.env, s.name))
    return [{**label_json(state), "audited": label_supported(store, state)} for state in states]


def label_supported(store: Store, state: LabelState) -> bool:
    """True if the label's stored state is what the log's last move of it left (two reads)."""
    rows = store._query("SELECT seq, state FROM labels WHERE name = ? AND env = ?", (state.name, state.env))
    if not rows:
        return False
    seq, text = int(rows[0][0]), rows[0][1]
    setting = store.events(from_seq=seq, before=seq + 1)
    if not setting or (setting[0].name, setting[0].env) != (state.name, state.env) \
            or setting[0].data.get("state") != json.loads(text):
        return False
    later = store.events(name=state.name, env=state.env, from_seq=seq + 1)
    return not any("state" in e.data for e in later)


def status_text(rows: list[dict]) -> str:
    lines = []
    width = max(len(r["name"]) for r in rows)
    current_env = None
    for row in rows:
        if row["env"] != current_env:
            current_env = row["env"]
            lines.append(("" if not lines else "\n") + f"{current_env}")
        flags = " [frozen]" if row["frozen"] else ""
        if not row.get("audited", True):
            flags += " [NOT IN THE AUDIT LOG: run `promptc audit verify`]"
        version = row["version"] or "not served"
        line = f"  {row['name']:<{width}}  {version:<10} {_short(row['hash'])}{flags}"
        if row["rollout"]:
            from .model import Rollout

            line += f"   rollout: {describe_rollout(Rollout.from_json(row['rollout']))}"
        lines.append(line)
    unsupported = [r for r in rows if not r.get("audited", True)]
    if unsupported:
        lines.append(f"\nwarning: {len(unsupported)} label(s) serve a state the audit log does not support; "
                     "`promptc audit verify` names what differs")
    return "\n".join(lines)


def live_at(store: Store, name: str, env: str, at: str) -> dict:
    """Exactly what `(name, env)` served at instant `at`: the stable bundle and any split."""
    event = store.event_at(name, env, at)
    if event is None:
        if not store.versions(name):
            raise RegistryError(f"no prompt named `{name}` in the registry")
        return {"name": name, "env": env, "at": at, "live": None, "event": None}
    state = event.state()
    return {"name": name, "env": env, "at": at, "live": label_json(state), "event": event.to_json()}


def live_at_text(answer: dict) -> str:
    if answer["live"] is None:
        return f"Nothing of {answer['name']} was live in {answer['env']} at {answer['at']}."
    live, event = answer["live"], answer["event"]
    lines = [f"At {answer['at']}, {answer['env']} served {answer['name']}:"]
    for arm in live["serving"]:
        share = ""
        if len(live["serving"]) > 1:
            total = sum(a["weight"] for a in live["serving"])
            share = f"  {100 * arm['weight'] / total:g} % ({arm['variant']})"
        lines.append(f"  {arm['version']}  {arm['hash']}{share}" if arm["hash"] else f"  not served{share}")
    if not live["serving"]:
        lines.append("  nothing: not served (no stable version)")
    if live["frozen"]:
        lines.append("  (the label was frozen)")
    lines.append(f"since event #{event['seq']} at {event['at']}: {event['kind']} by {event['actor']}"
                 + (f" — {event['reason']}" if event["reason"] else ""))
    shown = next((a["hash"] for a in live["serving"] if a["hash"]), None)
    if shown:
        lines.append(f"Its text: promptc show {shown}")
    return "\n".join(lines)


def release_names(store: Store, name: str) -> dict[str, str]:
    """hash → the version(s) of `name` stored with it (`2.0.0`, or `2.0.0/2.0.1` when two
    versions render the same)."""
    names: dict[str, list[str]] = {}
    for version, hash_, _ in store.versions(name):
        names.setdefault(hash_, []).append(version)
    return {hash_: "/".join(versions) for hash_, versions in names.items()}


def _release(hash_: Optional[str], names: dict[str, str]) -> str:
    if not hash_:
        return "-"
    return f"{names[hash_]} ({_short(hash_)})" if hash_ in names else _short(hash_)


def event_line(store: Store, event: Event, names: Optional[dict[str, str]] = None) -> str:
    """One event as `history` prints it: each side of a move as its version and short hash."""
    names = release_names(store, event.name) if names is None else names
    move = f"{_release(event.old_hash, names)} → {_release(event.new_hash, names)}"
    return f"#{event.seq:<6} {event.at}  {event.kind:<16} {move:<45} {event.actor:<12} {event.reason}"


def find_bundle(store: Store, ref: str) -> dict:
    """A stored bundle by hash, hash prefix (12+ hex digits) or NAME@VERSION."""
    if "@" in ref:
        name, _, version = ref.partition("@")
        hash_ = store.version_hash(name, version)
        if hash_ is None:
            raise RegistryError(f"no bundle {ref} in the registry")
        return json.loads(store.bundle_text(hash_, version))
    digits = ref.removeprefix("sha256:")
    if len(digits) < 12 or any(c not in "0123456789abcdef" for c in digits):
        raise RegistryUsageError(f"`{ref}` is neither NAME@VERSION nor a bundle hash (sha256:… or at least "
                                 "12 hex digits)")
    found = store.find_hashes(digits)
    if not found:
        raise RegistryError(f"no bundle with hash {ref} in the registry")
    if len(found) > 1:
        raise RegistryError(f"`{ref}` matches {len(found)} bundles; give more digits")
    return json.loads(store.bundle_text(found[0]))


def bundle_text(document: dict) -> str:
    from promptc.runtime.template_text import content_text

    meta = document.get("meta", {})
    lines = [f"{document['name']}@{document['version']}  {document['hash']}"]
    for key in ("purpose", "owner", "tech_owner", "risk"):
        if meta.get(key):
            lines.append(f"{key}: {meta[key]}")
    model = document["spec"].get("model") or {}
    if model:
        lines.append("model: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(model.items())))
    retrieval = document["spec"].get("retrieval") or {}
    if retrieval:
        lines.append("retrieval: " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                               for k, v in sorted(retrieval.items())))
    limitations = meta.get("limitations") or []
    if limitations:
        lines.append("known limitations:")
        lines += [f"  - {text}" for text in limitations]
    for message in document["spec"]["messages"]:
        lines.append(f"\n--- {message['role']} ---")
        lines.append(content_text(message["content"]))
    return "\n".join(lines)


def drift(store: Store, lock, env: str, deployed: Optional[Path]) -> dict:
    """Compare the lock with what `env` serves and with a folder of deployed bundles."""
    items = []
    served = {state.name: state for state in store.labels(env)}
    files: dict[str, list[tuple[str, str]]] = {}
    if deployed is not None:
        from promptc.runtime import PromptcRuntimeError, load

        if not deployed.is_dir():
            raise RegistryError(f"--dir {deployed} is not a directory")
        for path in sorted(deployed.rglob("*.json")):
            if path.name == "index.json":
                continue
            try:
                bundle = load(path)
            except PromptcRuntimeError as exc:
                items.append({"name": path.name, "kind": "bad-file", "detail": str(exc)})
                continue
            files.setdefault(bundle.name, []).append((bundle.version, bundle.hash))
    for name, entry in sorted(lock.entries.items()):
        state = served.get(name)
        if state is None or state.stable is None:
            # Not released there (yet): a fact to know, not a difference from what was released.
            items.append({"name": name, "kind": "not-deployed", "locked": entry.hash,
                          "detail": f"not deployed in {env}; the lock has {entry.version}", "drift": False})
        elif state.stable.hash != entry.hash:
            items.append({"name": name, "kind": "differs", "locked": entry.hash, "served": state.stable.hash,
                          "detail": f"{env} serves {state.stable.version} ({_short(state.stable.hash)}), the lock "
                                    f"has {entry.version} ({_short(entry.hash)})"})
        if state is not None and state.rollout is not None and state.rollout.status == "active":
            items.append({"name": name, "kind": "rollout", "locked": entry.hash,
                          "detail": f"a rollout is in flight: {describe_rollout(state.rollout)}", "drift": False})
        if deployed is not None:
            hashes = {h for _, h in files.get(name, [])}
            if entry.hash not in hashes:
                found = ", ".join(f"{v} ({_short(h)})" for v, h in files.get(name, [])) or "none"
                items.append({"name": name, "kind": "file-differs", "locked": entry.hash,
                              "detail": f"{deployed} has no bundle of {name}@{entry.version} "
                                        f"({_short(entry.hash)}); it has {found}"})
    for name in sorted(set(served) - set(lock.entries)):
        items.append({"name": name, "kind": "not-locked", "served": served[name].stable.hash if served[name].stable
                      else None, "detail": f"{env} serves {name}, which promptc.lock does not record"})
    for item in items:
        item.setdefault("drift", True)
    drifted = [i for i in items if i["drift"]]
    return {"env": env, "dir": str(deployed) if deployed else None, "drift": bool(drifted), "items": items}


def drift_text(report: dict) -> str:
    lines = []
    for item in report["items"]:
        mark = "drift" if item.get("drift", True) else "info" if item["kind"] == "not-deployed" else "note"
        lines.append(f"{mark}: {item['name']}: {item['detail']}")
    if report["drift"]:
        lines.append(f"{sum(i.get('drift', True) for i in report['items'])} difference(s) between promptc.lock "
                     f"and {report['env']}.")
    else:
        where = f" and {report['dir']}" if report["dir"] else ""
        undeployed = sum(i["kind"] == "not-deployed" for i in report["items"])
        lines.append(f"No drift: {report['env']}{where} match promptc.lock"
                     + (f" ({undeployed} prompt{'s' * (undeployed != 1)} not deployed there)." if undeployed else "."))
    return "\n".join(lines)
