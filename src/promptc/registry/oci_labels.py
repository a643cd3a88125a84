"""Labels read from an OCI registry, for the runtime client (`Client(registry="oci://…")`).

`promptc push --env ENV` tags each prompt's repository with the environment: the tag holds
the stable bundle (or, for a first release, the candidate's) and, with a rollout in flight,
the `dev.promptc.rollout` annotation names every arm with its bundle's manifest digest
(docs/oci.md). This turns that into the same `LabelState` the SQL registries give, so the
client buckets, caches and falls back during an outage the same way whatever it reads.

An OCI registry keeps no signals: a client reading one records none.
"""

from __future__ import annotations

import json
from typing import Optional

from . import oci
from .model import LabelState, Release, Rollout


class OciLabels:
    """Read-only label and bundle lookups over `oci://host/repo`."""

    backend = "oci"

    def __init__(self, url: str) -> None:
        self.url = url
        self.ref = oci.parse_reference(url)
        self.client = oci.Client(self.ref)
        self._where: dict[str, tuple[str, str]] = {}  # bundle hash → (repository, manifest digest)

    def label(self, name: str, env: str) -> Optional[LabelState]:
        repo = self.ref.child(name).repo
        raw, manifest = self.client.get_manifest(repo, env)
        if manifest is None:
            return None
        manifest = oci.check_manifest(manifest, f"{self.ref.base}/{repo}:{env}")
        if not oci.served_of(manifest):
            return LabelState(name, env)
        annotation = oci.rollout_of(manifest)
        rollout = Rollout.from_json(annotation) if annotation else None
        tagged = Release(manifest["annotations"]["org.opencontainers.image.version"], manifest["layers"][0]["digest"])
        self._where[tagged.hash] = (repo, oci.digest_of(raw))
        for arm in (annotation or {}).get("arms", ()):
            if arm.get("hash") and arm.get("manifest"):
                self._where[arm["hash"]] = (repo, arm["manifest"])
        first_release = rollout is not None and rollout.first_release  # the tag holds the candidate
        return LabelState(name, env, None if first_release else tagged, False, rollout)

    def bundle_text(self, hash_: str, version: Optional[str] = None) -> Optional[str]:
        where = self._where.get(hash_)
        if where is None:
            return None
        repo, digest = where
        # Blobs are checked against their digests here; the client loads (verifies) the text.
        _, _, document = self.client.fetch(repo, digest, verify=False)
        return json.dumps(document, ensure_ascii=False)

    def close(self) -> None:
        pass
