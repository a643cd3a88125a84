"""`promptc push` and `promptc pull`: built bundles to and from an OCI registry.

A push verifies every bundle before it sends anything, uploads only the blobs the registry
lacks, and refuses to move a version tag to a different bundle (a version names one
behaviour). A pull verifies every blob against its digest and every bundle against its hash
before it writes a file, and writes each file atomically. The layout is in `oci.py` and
docs/oci.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import click

from promptc.atomic import atomic_write
from promptc.clikit import Findings, UsageError, echo_json, guard
from promptc.runtime import BundleFormatError, IntegrityError, load as load_bundle

from . import oci
from .commands import bundle_files, open_registry, registry_errors
from .model import RegistryError

DOCUMENT_KEYS = ("format", "name", "version", "hash", "spec", "meta", "provenance", "tokens")


# -- what to push -----------------------------------------------------------------------------


@dataclass
class Item:
    """One bundle to push, with its tags and, for an environment tag, the rollout."""

    document: dict
    tags: list[str] = field(default_factory=list)
    env_tag: Optional[str] = None
    rollout: Optional[dict] = None
    served: bool = True  # False: the label serves nothing (a first release rolled back)


def _verified(origin: str, source) -> dict:
    try:
        bundle = load_bundle(source)
    except (BundleFormatError, IntegrityError) as exc:
        raise Findings(f"{origin}: refused: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {origin}: {exc}") from None
    return bundle.raw


def items_from_files(files: list[Path]) -> list[Item]:
    seen: dict[str, Item] = {}
    versions: dict[tuple[str, str], str] = {}
    for path in files:
        document = _verified(str(path), path)
        key = (document["name"], document["version"])
        if versions.setdefault(key, document["hash"]) != document["hash"]:
            raise Findings(f"{path}: {key[0]}@{key[1]} is given twice with different hashes; a changed prompt "
                           "needs a new version")
        seen.setdefault(document["hash"], Item(document, [oci.version_tag(document["version"])]))
    return list(seen.values())


def items_from_env(env: str, registry: Optional[str]) -> list[Item]:
    """What `env` serves: each prompt's stable bundle tagged `env` (with its rollout in an
    annotation) and every bundle the rollout's arms need, tagged by version.

    A first release has no stable bundle: its tag holds the candidate, and the annotation's
    `off` arm (no bundle, no manifest) says which keys get nothing. A label that serves
    nothing any more (a first release rolled back) is tagged on the last bundle it named,
    marked `dev.promptc.served: none`, so a tag pushed earlier stops serving."""
    from .ops import check_env

    check_env(env)
    with open_registry(None, registry, readonly=True) as store:
        labels = store.labels(env)
        if not labels:
            known = ", ".join(store.environments()) or "none yet"
            raise RegistryError(f"environment `{env}` serves nothing in {store.url} (environments: {known}); "
                                f"promote a release first: `promptc promote NAME@VERSION --env {env}`")
        items: list[Item] = []
        for state in labels:
            def document(hash_: str, version: str) -> dict:
                text = store.bundle_text(hash_)
                if text is None:
                    raise RegistryError(f"{state.name}@{version} ({hash_}) is labelled in {env} but its bundle is "
                                        f"not in {store.url}; publish it again")
                return _verified(f"{state.name}@{version} in {store.url}", text.encode("utf-8"))

            rollout = None
            tagged = None  # the document the env tag holds
            if state.rollout is not None:
                arms = []
                for arm in state.rollout.arms:
                    if not arm.served:
                        arms.append({**arm.to_json(), "manifest": None})
                        continue
                    arm_doc = document(arm.hash, arm.version)
                    items.append(Item(arm_doc, [oci.version_tag(arm.version)]))
                    arms.append({**arm.to_json(), "manifest": oci.pack(arm_doc).manifest_digest})
                    if arm.variant == "candidate":
                        tagged = arm_doc
                rollout = {**state.rollout.to_json(), "arms": arms}
            if state.stable is not None:
                tagged = document(state.stable.hash, state.stable.version)
            served = tagged is not None
            if tagged is None:
                last = _last_bundle(store, state.name, env)
                if last is None:
                    continue
                tagged = document(last, "?")
            items.append(Item(tagged, [oci.version_tag(tagged["version"])], env, rollout, served))
    return items


def _last_bundle(store, name: str, env: str) -> Optional[str]:
    """The newest bundle hash a label's events name: what its tag last held."""
    for event in store.events(name=name, env=env, newest_first=True, limit=50):
        for hash_ in (event.new_hash, event.old_hash):
            if hash_:
                return hash_
    return None


# -- push -------------------------------------------------------------------------------------


def push_items(dest: oci.Reference, items: list[Item], extra_tags: list[str]) -> list[dict]:
    client = oci.Client(dest)
    client.ping()
    planned = []
    owners: dict[str, str] = {}
    for item in items:
        name = item.document["name"]
        repo = dest.child(name).repo
        if owners.setdefault(repo, name) != name:
            raise RegistryError(f"`{owners[repo]}` and `{name}` would share the repository {repo} (names are "
                                "lower-cased for OCI); rename one of them")
        artifact = oci.pack(item.document)
        for tag in item.tags:  # a version tag never moves to another bundle
            _, current = client.get_manifest(repo, tag)
            held = (current or {}).get("layers", [{}])[0].get("digest") if isinstance(current, dict) else None
            if current is not None and held != artifact.hash:
                raise RegistryError(f"{dest.child(name).with_tag(tag)} already holds another bundle ({held}) as "
                                    f"{name}@{item.document['version']}; a changed prompt needs a new version")
        planned.append((repo, item, artifact))
    results = []
    for repo, item, artifact in planned:
        outcome = client.push(repo, artifact, item.tags + extra_tags)
        tags = item.tags + extra_tags
        entry = {"name": artifact.name, "version": artifact.version, "hash": artifact.hash,
                 "repository": str(dest.child(artifact.name)), "manifest": artifact.manifest_digest,
                 "tags": tags, "blobs_uploaded": outcome["blobs_uploaded"]}
        if item.env_tag:
            env_artifact = oci.pack(item.document, item.rollout, item.served)
            client.push(repo, env_artifact, [item.env_tag])
            entry.update(env=item.env_tag, env_manifest=env_artifact.manifest_digest, rollout=item.rollout)
            if not item.served:
                entry["served"] = False
            tags.append(item.env_tag)
        results.append(entry)
    return _merge(results)


def _merge(results: list[dict]) -> list[dict]:
    """One entry per bundle, even when an environment needs it as an arm and as stable."""
    merged: dict[str, dict] = {}
    for entry in results:
        current = merged.get(entry["hash"])
        if current is None:
            merged[entry["hash"]] = entry
        else:
            current["tags"] = current["tags"] + [t for t in entry["tags"] if t not in current["tags"]]
            current["blobs_uploaded"] += entry["blobs_uploaded"]
            for key in ("env", "env_manifest", "rollout", "served"):
                if key in entry:
                    current[key] = entry[key]
    return list(merged.values())


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.argument("destination")
@click.option("--env", metavar="ENV", help="Push what this registry environment serves, tagging each prompt's bundle with it.")
@click.option("--registry", "registry_url", metavar="URL",
              help="The label registry --env reads [default: [registry] url, else .promptc/registry.db].")
@click.option("--insecure", is_flag=True, help="Use plain http (always used for localhost and 127.0.0.1).")
@click.option("--json", "as_json", is_flag=True, help="Print what was pushed as JSON.")
@guard
@registry_errors
def push(sources: tuple[Path, ...], destination: str, env: Optional[str], registry_url: Optional[str],
         insecure: bool, as_json: bool) -> None:
    """Push built bundles to an OCI registry: DESTINATION is oci://HOST[:PORT]/REPO[:TAG].

    Each prompt goes to REPO/<name> as one artifact whose layer digest is the bundle hash,
    tagged with its version (and TAG, if given). With --env, push what that environment
    serves and tag it with the environment's name; a rollout in flight travels in the
    manifest's dev.promptc.rollout annotation.
    """
    dest = oci.parse_reference(destination, insecure)
    if dest.digest:
        raise UsageError(f"`{destination}`: push to a repository (and optionally a tag), not to a digest")
    if env and sources:
        raise UsageError("--env pushes what the registry environment serves; give either --env or bundle files")
    items = items_from_env(env, registry_url) if env else items_from_files(bundle_files(sources, verb="push"))
    results = push_items(dest.with_tag(), items, [dest.tag] if dest.tag else [])
    if as_json:
        echo_json({"pushed": results})
        return
    for entry in results:
        uploaded = entry["blobs_uploaded"]
        note = f"{uploaded} blob{'s' * (uploaded != 1)} uploaded" if uploaded else "already present"
        rollout = entry.get("rollout")
        flight = f"; rollout {rollout['kind']} in flight" if rollout else ""
        if entry.get("served") is False:
            flight = f"; {entry['env']} serves nothing (not served)"
        elif rollout and any(a.get("hash") is None for a in rollout.get("arms", [])):
            flight = "; first-release canary in flight (the rest not served)"
        click.echo(f"{entry['name']}@{entry['version']} → {entry['repository']}:{','.join(entry['tags'])} "
                   f"({entry['hash'][:19]}…, {note}{flight})")


# -- pull -------------------------------------------------------------------------------------


def bundle_file_bytes(document: dict) -> bytes:
    """The bytes `promptc build` writes for a bundle: one line of compact JSON."""
    ordered = {key: document[key] for key in DOCUMENT_KEYS}
    return (json.dumps(ordered, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _find_by_hash(client: oci.Client, repo: str, bundle_hash: str) -> Optional[str]:
    """The tag whose bundle has this hash: a `@sha256:` that is no manifest digest may be a
    bundle hash (the layer digest), found by reading the repository's tags."""
    for tag in client.tags(repo):
        _, manifest = client.get_manifest(repo, tag)
        layers = (manifest or {}).get("layers") or [{}]
        if isinstance(layers[0], dict) and layers[0].get("digest") == bundle_hash:
            return tag
    return None


def fetch_one(client: oci.Client, ref: oci.Reference) -> list[dict]:
    """The bundle at `ref` and, when it carries a rollout, every arm's bundle. Returns
    entries with the verified document; nothing is written here."""
    reference = ref.digest or ref.tag
    # Asked for a digest that is a blob rather than a manifest, CNCF distribution answers 500.
    _, manifest = client.get_manifest(ref.repo, reference, missing=(404, 500) if ref.digest else (404,))
    if manifest is None and ref.digest:
        tag = _find_by_hash(client, ref.repo, ref.digest)
        if tag is not None:
            reference = tag
    digest, manifest, document = client.fetch(ref.repo, reference)
    entry = {"name": document["name"], "version": document["version"], "hash": document["hash"],
             "repository": str(ref.with_tag()), "manifest": digest, "document": document}
    entries = [entry]
    rollout = oci.rollout_of(manifest)
    if not oci.served_of(manifest):
        entry["served"] = False
    if rollout is not None:
        entry["rollout"] = rollout
        for arm in rollout.get("arms", []):
            if arm.get("hash") and arm["hash"] != document["hash"]:
                arm_digest, _, arm_doc = client.fetch(ref.repo, arm["manifest"])
                entries.append({"name": arm_doc["name"], "version": arm_doc["version"], "hash": arm_doc["hash"],
                                "repository": str(ref.with_tag()), "manifest": arm_digest, "document": arm_doc,
                                "arm": arm["variant"]})
    return entries


def pull_reference(ref: oci.Reference) -> list[dict]:
    """Fetch and verify; the repository may be one prompt's, or the root a push wrote to
    (then every prompt under it that has the tag)."""
    if not ref.tag and not ref.digest:
        raise UsageError(f"`{ref}`: name a tag or digest, such as {ref.with_tag('prod')} or "
                         f"{ref.with_tag('1.0.0')}")
    client = oci.Client(ref)
    client.ping()
    if ref.digest or client.manifest_digest(ref.repo, ref.tag) is not None:
        return fetch_one(client, ref)
    children = client.catalog(ref.repo) or []
    entries = []
    for repo in sorted(children):
        child = oci.Reference(ref.scheme, ref.host, repo, ref.tag)
        if client.manifest_digest(repo, ref.tag) is not None:
            entries += fetch_one(client, child)
    if entries:
        return entries
    tags = client.tags(ref.repo)
    known = f"; it has the tags {', '.join(sorted(tags)[:20])}" if tags else ""
    if not tags and not children:
        raise RegistryError(f"{ref}: the registry has no repository {ref.repo} (and no prompts under it); "
                            "check the name, or push first with `promptc push`")
    raise RegistryError(f"{ref}: no tag `{ref.tag}` here{known}" if tags or not children else
                        f"{ref}: no prompt under {ref.repo} has the tag `{ref.tag}`")


@click.command()
@click.argument("source")
@click.option("--out", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Directory to write the bundle files to.")
@click.option("--insecure", is_flag=True, help="Use plain http (always used for localhost and 127.0.0.1).")
@click.option("--json", "as_json", is_flag=True, help="Print what was pulled as JSON.")
@guard
@registry_errors
def pull(source: str, out: Path, insecure: bool, as_json: bool) -> None:
    """Fetch bundles from an OCI registry and verify them: SOURCE is
    oci://HOST[:PORT]/REPO/NAME:TAG, oci://HOST/REPO/NAME@sha256:DIGEST (a manifest digest or
    a bundle hash), or oci://HOST/REPO:TAG for every prompt under REPO with that tag.

    Every blob is checked against its digest and every bundle against its hash before any
    file is written; a tampered bundle is refused. Files are written as promptc build names
    them (NAME@VERSION.<12 hex>.json), each atomically.
    """
    ref = oci.parse_reference(source, insecure)
    entries = pull_reference(ref)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is not a directory")
    written: dict[str, Path] = {}
    for entry in entries:
        if entry["hash"] in written:
            entry["file"] = str(written[entry["hash"]])
            continue
        data = bundle_file_bytes(entry["document"])
        path = out / f"{entry['name']}@{entry['version']}.{oci.digest_of(data)[7:19]}.json"
        if not (path.is_file() and path.read_bytes() == data):
            atomic_write(path, data)
        written[entry["hash"]] = path
        entry["file"] = str(path)
    for entry in entries:
        del entry["document"]
    if as_json:
        echo_json({"pulled": entries})
        return
    for entry in entries:
        rollout = entry.get("rollout")
        note = ""
        if entry.get("served") is False:
            note = " (not served: the label serves nothing)"
        elif rollout is not None:
            arms = ", ".join(f"{a['variant']} {a['version'] or '(not served)'}={a['weight']}"
                             for a in rollout.get("arms", []))
            note = f" (rollout {rollout.get('status', 'active')}: {arms})"
        elif entry.get("arm"):
            note = f" (rollout arm {entry['arm']})"
        click.echo(f"{entry['name']}@{entry['version']} {entry['hash'][:19]}… → {entry['file']}{note}")


COMMANDS = [push, pull]
