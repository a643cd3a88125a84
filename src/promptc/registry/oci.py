"""Bundles in an OCI registry: the layout, references, and the distribution HTTP API.

Layout (docs/oci.md): one repository per prompt, `<repo>/<prompt name>`; each bundle is one
OCI image manifest (v1.1) with

    config  application/vnd.promptc.bundle.config.v1+json   canonical JSON of the document
                                                             without `spec`
    layer   application/vnd.promptc.bundle.v1+json          canonical JSON of `spec`

so the layer's digest *is* the bundle hash (the hash is defined as the sha256 of exactly
those bytes), and a registry, a cache or a CDN that addresses blobs by digest addresses
bundles by hash. Every byte promptc sends is canonical JSON (RFC 8785), so pushing the same
bundle twice sends the same manifest, whose digest is therefore reproducible.

Only the standard library talks to the registry: a push is a handful of requests (HEAD a
blob, POST+PUT a monolithic upload, PUT a manifest) and a pull a few GETs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Optional

from promptc.runtime import BundleFormatError, IntegrityError, canonical_json, load as load_bundle

from .model import RegistryError, RegistryUnavailable, RegistryUsageError

BUNDLE_MEDIA_TYPE = "application/vnd.promptc.bundle.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.promptc.bundle.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
ROLLOUT_ANNOTATION = "dev.promptc.rollout"
#: `none` on an environment tag whose label serves nothing (a first release rolled back or
#: aborted): a tag cannot be taken back portably, so it says so instead.
SERVED_ANNOTATION = "dev.promptc.served"
HASH_ANNOTATION = "dev.promptc.bundle.hash"

#: The bundle keys the config blob carries (everything but `spec`), in document order.
CONFIG_KEYS = ("format", "name", "version", "hash", "meta", "provenance", "tokens")

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
_MAX_SAFE = 2**53 - 1
TIMEOUT = float(os.environ.get("PROMPTC_OCI_TIMEOUT", "30"))


# -- references -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """`oci://host[:port]/repo[:tag|@sha256:…]`, parsed."""

    scheme: str  # "http" | "https"
    host: str  # host[:port]
    repo: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def child(self, name: str) -> "Reference":
        """The repository of prompt `name` under this one."""
        return Reference(self.scheme, self.host, f"{self.repo}/{repo_component(name)}")

    def with_tag(self, tag: Optional[str] = None, digest: Optional[str] = None) -> "Reference":
        return Reference(self.scheme, self.host, self.repo, tag, digest)

    def __str__(self) -> str:
        scheme = "oci+http" if self.scheme == "http" and not _is_local(self.host) else "oci"
        ref = f"{scheme}://{self.host}/{self.repo}"
        if self.digest:
            return f"{ref}@{self.digest}"
        return f"{ref}:{self.tag}" if self.tag else ref


def _is_local(host: str) -> bool:
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return hostname in _LOCAL_HOSTS or host.startswith("[::1]")


def parse_reference(text: str, insecure: bool = False) -> Reference:
    """Parse an `oci://` reference. Plain http is used for localhost/127.0.0.1, for
    `oci+http://` and with `insecure`; https otherwise."""
    usage = ("write it as oci://HOST[:PORT]/REPO[:TAG] or oci://HOST/REPO@sha256:DIGEST, "
             "such as oci://127.0.0.1:5000/prompts")
    scheme, sep, rest = text.partition("://")
    schemes = {"oci": None, "oci+http": "http", "oci+https": "https"}
    if not sep or scheme.lower() not in schemes:
        raise RegistryUsageError(f"`{text}` is not an OCI reference; {usage}")
    host, _, path = rest.partition("/")
    if not host or not path or "?" in rest or "#" in rest:
        raise RegistryUsageError(f"`{text}` names no repository; {usage}")
    if not re.match(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$", host):
        raise RegistryUsageError(f"`{text}`: `{host}` is not a host[:port]; {usage}")
    tag = digest = None
    if "@" in path:
        path, _, digest = path.partition("@")
        if not _DIGEST.match(digest):
            raise RegistryUsageError(f"`{text}`: `{digest}` is not a digest; write sha256: and 64 lower-case hex digits")
    else:
        last = path.rsplit("/", 1)[-1]
        if ":" in last:
            path, _, tag = path.rpartition(":")
            if not _TAG.match(tag):
                raise RegistryUsageError(f"`{text}`: `{tag}` is not a tag; tags are letters, digits, `_`, `.` and "
                                         "`-`, at most 128, not starting with `.` or `-`")
    path = path.strip("/")
    if not _REPO.match(path):
        raise RegistryUsageError(f"`{text}`: `{path}` is not a repository name; use lower-case letters, digits "
                                 "and `.`, `_`, `-` between them, with `/` between path components")
    forced = schemes[scheme.lower()]
    transport = forced or ("http" if insecure or _is_local(host) else "https")
    return Reference(transport, host.lower(), path, tag, digest)


def repo_component(name: str) -> str:
    """The repository path component of a prompt name: the name in lower case. Prompt names
    are dotted identifiers, which are repository components once lower-cased, except for
    a few spellings (`_x`, `a-`) that OCI refuses."""
    component = name.lower()
    if not re.fullmatch(_COMPONENT, component):
        raise RegistryError(f"the prompt name `{name}` cannot name an OCI repository (components are lower-case "
                            "letters and digits with single `.`, `_`, `__` or `-` between them); rename the prompt")
    return component


def version_tag(version: str) -> str:
    """A semantic version as a tag: `+` (build metadata) is not allowed in tags, so it
    becomes `_`, which semver never uses."""
    tag = version.replace("+", "_")
    if not _TAG.match(tag):
        raise RegistryError(f"version `{version}` cannot be an OCI tag")
    return tag


# -- layout -----------------------------------------------------------------------------------


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    media_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return digest_of(self.data)

    def descriptor(self, annotations: Optional[dict] = None) -> dict:
        out = {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}
        if annotations:
            out["annotations"] = annotations
        return out


@dataclass(frozen=True)
class Artifact:
    """One bundle as the three documents a registry stores."""

    name: str
    version: str
    hash: str
    config: Blob
    layer: Blob
    manifest: bytes

    @property
    def manifest_digest(self) -> str:
        return digest_of(self.manifest)


def pack(document: dict, rollout: Optional[dict] = None, served: bool = True) -> Artifact:
    """The config, layer and manifest of a verified bundle document. `rollout` (an env
    label's rollout in flight) becomes the `dev.promptc.rollout` annotation; `served=False`
    marks an environment tag whose label serves nothing (`dev.promptc.served: none`)."""
    try:
        layer = Blob(BUNDLE_MEDIA_TYPE, canonical_json(document["spec"]))
        config = Blob(CONFIG_MEDIA_TYPE, canonical_json({k: document[k] for k in CONFIG_KEYS}))
    except Exception as exc:  # rfc8785: an integer beyond 2**53 or a non-finite number in meta
        raise RegistryError(f"{document['name']}@{document['version']}: cannot be written as canonical JSON "
                            f"({exc})") from None
    if layer.digest != document["hash"]:  # the caller verified it; this is the layout's premise
        raise RegistryError(f"{document['name']}@{document['version']}: its spec does not hash to {document['hash']}")
    name, version = document["name"], document["version"]
    annotations = {
        "org.opencontainers.image.title": name,
        "org.opencontainers.image.version": version,
        HASH_ANNOTATION: document["hash"],
    }
    if rollout is not None:
        annotations[ROLLOUT_ANNOTATION] = canonical_json(rollout).decode("utf-8")
    if not served:
        annotations[SERVED_ANNOTATION] = "none"
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": config.descriptor(),
        "layers": [layer.descriptor({"org.opencontainers.image.title": f"{name}@{version}.spec.json"})],
        "annotations": annotations,
    }
    return Artifact(name, version, document["hash"], config, layer, canonical_json(manifest))


def _parse_spec(data: bytes) -> Any:
    """Parse the canonical JSON of a spec. JCS writes every integral double as an integer,
    and cannot write an integer beyond ±(2**53 - 1): a number that large was a float."""
    def number(text: str):
        value = int(text)
        return value if -_MAX_SAFE <= value <= _MAX_SAFE else float(text)

    return json.loads(data.decode("utf-8"), parse_int=number)


def unpack(manifest: dict, config: bytes, layer: bytes, origin: str, verify: bool = True) -> dict:
    """Reassemble and verify a bundle document from its blobs (already checked against
    their digests). Raises RegistryError when the content is not a valid bundle.
    `verify=False` leaves the full check (hash and schema) to a caller that loads the
    document itself, as the runtime client does."""
    try:
        meta = json.loads(config.decode("utf-8"))
        spec = _parse_spec(layer)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RegistryError(f"{origin}: the bundle's config or layer is not JSON ({exc})") from None
    if not isinstance(meta, dict) or set(meta) != set(CONFIG_KEYS):
        raise RegistryError(f"{origin}: the config blob is not a promptc bundle config "
                            f"(expected the keys {', '.join(CONFIG_KEYS)})")
    layer_digest = manifest["layers"][0]["digest"]
    if meta["hash"] != layer_digest:
        raise RegistryError(f"{origin}: refused: the config says the bundle hash is {meta['hash']} but the layer "
                            f"is {layer_digest}; the artifact was altered")
    document = {k: meta[k] for k in CONFIG_KEYS[:4]}
    document["spec"] = spec
    document.update({k: meta[k] for k in CONFIG_KEYS[4:]})
    if not verify:
        return document
    try:
        load_bundle(document)
    except IntegrityError as exc:
        raise RegistryError(f"{origin}: refused: the bundle does not match its hash ({exc})") from None
    except BundleFormatError as exc:
        raise RegistryError(f"{origin}: refused: not a valid bundle ({exc})") from None
    return document


def check_manifest(manifest: Any, origin: str) -> dict:
    """The manifest, if it is one promptc bundle; a clear refusal otherwise."""
    if not isinstance(manifest, dict) or manifest.get("mediaType", MANIFEST_MEDIA_TYPE) != MANIFEST_MEDIA_TYPE:
        raise RegistryError(f"{origin} is not an OCI image manifest (it may be an image index or a Docker image)")
    layers = manifest.get("layers")
    config = manifest.get("config")
    if (not isinstance(config, dict) or config.get("mediaType") != CONFIG_MEDIA_TYPE or not isinstance(layers, list)
            or len(layers) != 1 or not isinstance(layers[0], dict) or layers[0].get("mediaType") != BUNDLE_MEDIA_TYPE):
        raise RegistryError(f"{origin} is not a promptc bundle (expected a {CONFIG_MEDIA_TYPE} config and one "
                            f"{BUNDLE_MEDIA_TYPE} layer)")
    for descriptor in (config, layers[0]):
        if not isinstance(descriptor.get("digest"), str) or not _DIGEST.match(descriptor["digest"]):
            raise RegistryError(f"{origin}: a descriptor has no sha256 digest")
    return manifest


def rollout_of(manifest: dict) -> Optional[dict]:
    """The rollout an environment tag carries, if any."""
    text = (manifest.get("annotations") or {}).get(ROLLOUT_ANNOTATION)
    return json.loads(text) if text else None


def served_of(manifest: dict) -> bool:
    """False when an environment tag says its label serves nothing."""
    return (manifest.get("annotations") or {}).get(SERVED_ANNOTATION) != "none"


# -- the HTTP API ------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes


class Client:
    """The registry at `ref.base`: a few OCI distribution requests with error messages that
    say what to do. Credentials come from a Docker-style config (`$DOCKER_CONFIG/config.json`
    or `~/.docker/config.json`, `auths.<host>.auth`) and serve Basic auth or fetch a Bearer
    token when the registry asks for one."""

    def __init__(self, ref: Reference):
        self.ref = ref
        # Redirects are followed (blob storage often answers with one); the Authorization
        # header is added "unredirected", so it never travels to the other host.
        self.opener = urllib.request.build_opener()
        self.authorization: Optional[str] = None
        self.tokens: dict[str, str] = {}

    # -- requests --------------------------------------------------------------------------

    def request(self, method: str, path: str, *, headers: Optional[dict] = None, data: Optional[bytes] = None,
                ok: tuple[int, ...] = (200,), scope: str = "pull", url: Optional[str] = None) -> Response:
        target = url or self.ref.base + path
        for attempt in range(2):
            req = urllib.request.Request(target, data=data, method=method, headers=dict(headers or {}))
            token = self.tokens.get(scope) or self.authorization
            if token:
                req.add_unredirected_header("Authorization", token)
            try:
                with self.opener.open(req, timeout=TIMEOUT) as resp:
                    response = Response(resp.status, resp.headers, resp.read())
            except urllib.error.HTTPError as exc:
                response = Response(exc.code, exc.headers, exc.read() if method != "HEAD" else b"")
            except (urllib.error.URLError, socket.timeout, ConnectionError, ssl.SSLError, OSError) as exc:
                raise RegistryUnavailable(self._unreachable(exc)) from None
            if response.status == 401 and attempt == 0 and self._authenticate(response, scope):
                continue
            break
        if response.status not in ok:
            raise self._refusal(method, target, response)
        return response

    def _unreachable(self, exc: Exception) -> str:
        reason = getattr(exc, "reason", exc)
        hint = "check the address and that the registry is running"
        if isinstance(reason, ssl.SSLError) or "SSL" in str(reason) or "WRONG_VERSION" in str(reason):
            hint = ("it may serve plain http: use oci+http:// or --insecure" if self.ref.scheme == "https"
                    else "it may serve https: use oci:// without --insecure")
        return f"cannot reach the OCI registry at {self.ref.base}/v2/: {reason}; {hint}"

    def _refusal(self, method: str, url: str, response: Response) -> RegistryError:
        codes = ""
        try:
            errors = json.loads(response.body or b"{}").get("errors") or []
            codes = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict))
        except (ValueError, AttributeError):
            pass
        detail = f" ({codes})" if codes else ""
        if response.status in (401, 403):
            return RegistryError(f"{method} {url}: the registry refused access (HTTP {response.status}){detail}; log in "
                                 "with `docker login " + self.ref.host + "` or check the repository's permissions")
        return RegistryError(f"{method} {url}: HTTP {response.status}{detail}")

    def _credentials(self) -> Optional[str]:
        """`user:password`, base64, from a Docker-style config for this host, if any."""
        folder = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
        try:
            with open(os.path.join(folder, "config.json"), encoding="utf-8") as fh:
                auths = json.load(fh).get("auths") or {}
        except (OSError, ValueError, AttributeError):
            return None
        for key, entry in auths.items():
            host = urllib.parse.urlsplit(key if "://" in key else "//" + key).netloc
            if host == self.ref.host and isinstance(entry, dict) and entry.get("auth"):
                return entry["auth"]
        return None

    def _authenticate(self, response: Response, scope: str) -> bool:
        challenge = response.headers.get("WWW-Authenticate", "") if response.headers else ""
        kind, _, params = challenge.partition(" ")
        basic = self._credentials()
        if kind.lower() == "basic":
            if not basic or self.authorization:
                return False
            self.authorization = f"Basic {basic}"
            return True
        if kind.lower() != "bearer":
            return False
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if "realm" not in fields:
            return False
        query = {k: v for k, v in fields.items() if k in ("service", "scope")}
        query.setdefault("scope", f"repository:{self.ref.repo}:{scope}")
        req = urllib.request.Request(fields["realm"] + "?" + urllib.parse.urlencode(query))
        if basic:
            req.add_header("Authorization", f"Basic {basic}")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                body = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False
        token = body.get("token") or body.get("access_token")
        if not token:
            return False
        self.tokens[scope] = f"Bearer {token}"
        return True

    # -- the distribution API --------------------------------------------------------------

    def ping(self) -> None:
        self.request("GET", "/v2/", ok=(200,))

    def has_blob(self, repo: str, digest: str) -> bool:
        response = self.request("HEAD", f"/v2/{repo}/blobs/{digest}", ok=(200, 404), scope="pull,push")
        return response.status == 200

    def upload_blob(self, repo: str, blob: Blob) -> bool:
        """Upload `blob` unless the repository has it. Returns whether bytes were sent."""
        if self.has_blob(repo, blob.digest):
            return False
        started = self.request("POST", f"/v2/{repo}/blobs/uploads/", ok=(202,), scope="pull,push",
                               headers={"Content-Length": "0"}, data=b"")
        location = started.headers.get("Location")
        if not location:
            raise RegistryError(f"{self.ref.base}: the registry started an upload without a Location")
        url = urllib.parse.urljoin(self.ref.base + "/", location)
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"digest": blob.digest})
        self.request("PUT", "", url=url, data=blob.data, ok=(201, 204), scope="pull,push",
                     headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(blob.data))})
        return True

    def manifest_digest(self, repo: str, reference: str) -> Optional[str]:
        """The digest a tag points at now (None if the tag or repository does not exist)."""
        response = self.request("HEAD", f"/v2/{repo}/manifests/{reference}", ok=(200, 404),
                                headers={"Accept": MANIFEST_MEDIA_TYPE})
        if response.status == 404:
            return None
        return response.headers.get("Docker-Content-Digest") or digest_of(self.get_manifest(repo, reference)[0])

    def get_manifest(self, repo: str, reference: str, missing: tuple[int, ...] = (404,)) -> tuple[bytes, Optional[dict]]:
        """The manifest's bytes and JSON, or (b"", None) when the registry does not know it
        (answers with a status in `missing`)."""
        response = self.request("GET", f"/v2/{repo}/manifests/{reference}", ok=(200, *missing),
                                headers={"Accept": MANIFEST_MEDIA_TYPE})
        if response.status != 200:
            return b"", None
        try:
            return response.body, json.loads(response.body)
        except ValueError:
            raise RegistryError(f"{self.ref.base}/v2/{repo}/manifests/{reference}: the registry returned a "
                                "manifest that is not JSON") from None

    def put_manifest(self, repo: str, tag: str, manifest: bytes) -> str:
        response = self.request("PUT", f"/v2/{repo}/manifests/{tag}", data=manifest, ok=(201, 200),
                                scope="pull,push", headers={"Content-Type": MANIFEST_MEDIA_TYPE})
        digest = response.headers.get("Docker-Content-Digest")
        if digest and digest != digest_of(manifest):
            raise RegistryError(f"{self.ref.base}/v2/{repo}: the registry stored the manifest as {digest}, not "
                                f"{digest_of(manifest)}; it rewrote the bytes")
        return digest_of(manifest)

    def get_blob(self, repo: str, descriptor: dict, origin: str) -> bytes:
        """A blob, checked against its digest: a registry, proxy or disk that altered it is refused."""
        digest = descriptor["digest"]
        response = self.request("GET", f"/v2/{repo}/blobs/{digest}", ok=(200,))
        if digest_of(response.body) != digest:
            raise RegistryError(f"{origin}: refused: the blob {digest} the registry returned does not match its "
                                f"digest (got {digest_of(response.body)}); its content was altered or corrupted")
        return response.body

    def tags(self, repo: str) -> list[str]:
        response = self.request("GET", f"/v2/{repo}/tags/list", ok=(200, 404))
        if response.status == 404:
            return []
        return list(json.loads(response.body).get("tags") or [])

    def catalog(self, prefix: str) -> Optional[list[str]]:
        """Repositories under `prefix/`, or None when the registry keeps its catalog private."""
        names: list[str] = []
        path = "/v2/_catalog?n=1000"
        while path:
            response = self.request("GET", path, ok=(200, 401, 403, 404))
            if response.status != 200:
                return None
            names += [n for n in json.loads(response.body).get("repositories") or [] if n.startswith(prefix + "/")]
            link = response.headers.get("Link", "")
            match = re.match(r"<([^>]+)>", link)
            path = match.group(1) if match else ""
        return names

    # -- bundles ---------------------------------------------------------------------------

    def push(self, repo: str, artifact: Artifact, tags: list[str]) -> dict:
        """Blobs first, then the manifest under each tag, so no tag ever names missing
        content. Skips what the registry already holds: pushing twice sends no blob."""
        sent = [self.upload_blob(repo, blob) for blob in (artifact.config, artifact.layer)]
        moved = []
        for tag in tags:
            if self.manifest_digest(repo, tag) != artifact.manifest_digest:
                self.put_manifest(repo, tag, artifact.manifest)
                moved.append(tag)
        return {"blobs_uploaded": sum(sent), "tags_moved": moved}

    def fetch(self, repo: str, reference: str, verify: bool = True) -> tuple[str, dict, dict]:
        """`(manifest digest, manifest, verified bundle document)` of `repo` at a tag or
        manifest digest. Raises RegistryError with a clear message when it is missing."""
        origin = f"{self.ref.base}/{repo}{'@' if reference.startswith('sha256:') else ':'}{reference}"
        raw, manifest = self.get_manifest(repo, reference)
        if manifest is None:
            raise RegistryError(f"{_display(self.ref, repo, reference)}: no such tag, digest or repository")
        digest = digest_of(raw)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(f"{origin}: refused: the manifest the registry returned hashes to {digest}")
        manifest = check_manifest(manifest, origin)
        config = self.get_blob(repo, manifest["config"], origin)
        layer = self.get_blob(repo, manifest["layers"][0], origin)
        return digest, manifest, unpack(manifest, config, layer, origin, verify)


def _display(ref: Reference, repo: str, reference: str) -> str:
    target = Reference(ref.scheme, ref.host, repo)
    return str(target.with_tag(digest=reference) if reference.startswith("sha256:") else target.with_tag(reference))
