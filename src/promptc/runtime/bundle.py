"""Load, verify and render `promptc.bundle/v1` documents.

Loading is where trust is established: the document must be JSON, declare the v1 format,
hash to its recorded `hash` (else `IntegrityError`) and match bundle.schema.json. After that
a `Bundle` renders without further checks of its own structure, only of the caller's inputs.
"""

from __future__ import annotations

import copy
import json
import marshal
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Union

import rfc8785
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing.jsonschema import DRAFT202012

from .errors import BundleFormatError, InputError, IntegrityError
from .fastcheck import compile_check
from .hashing import spec_hash
from .inputs import prepare_inputs
from .schema import Validator
from .render import render_content
from .semver import semver_key
from .values import type_name

FORMAT = "promptc.bundle/v1"
REQUIRED_KEYS = ("format", "name", "version", "hash", "spec", "meta", "provenance", "tokens")
Source = Union[str, os.PathLike, bytes, bytearray, Mapping]


def bundle_schema() -> dict:
    """Return a fresh copy of the JSON Schema (draft 2020-12) of a whole bundle document."""
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return (resources.files("promptc") / "schemas" / "bundle.schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def _schema_validator() -> Draft202012Validator:
    # jsonschema re-crawls an uncrawled root schema on every $dynamicRef lookup (the embedded
    # JSON Schemas are checked against the 2020-12 metaschema, which uses them); registering
    # the bundle schema and the metaschemas pre-crawled halves the cost of each load.
    schema = bundle_schema()
    registry = SPECIFICATIONS.with_resource(schema["$id"], DRAFT202012.create_resource(schema))
    return Draft202012Validator({"$ref": schema["$id"]}, registry=registry.crawl())


@dataclass(frozen=True)
class Message:
    """One rendered chat message."""

    role: str
    content: str


@dataclass(frozen=True)
class Rendered:
    """What a model call needs from one render, plus the trace to log beside it."""

    messages: tuple[Message, ...]
    tools: list
    model: dict
    output: dict
    trace: dict

    def to_json(self) -> dict:
        """Trace fields and messages as plain JSON, e.g. for logging or golden files."""
        return {
            **{key: self.trace[key] for key in ("name", "version", "hash")},
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
        }


class Bundle:
    """A verified bundle. Build one with `load`; the constructor verifies `document` and
    keeps it without copying, so do not change it afterwards (`load` passes its own copy)."""

    def __init__(self, document: Any, origin: str = "<dict>") -> None:
        _verify(document, origin)
        self._document = document
        self.origin = origin
        self.name: str = document["name"]
        self.version: str = document["version"]
        self.hash: str = document["hash"]
        self.spec: dict = document["spec"]
        self.meta: dict = document["meta"]
        self.provenance: dict = document["provenance"]
        self.tokens: dict = document["tokens"]

    def __repr__(self) -> str:
        return f"Bundle(name={self.name!r}, version={self.version!r}, hash={self.hash!r})"

    @property
    def raw(self) -> dict:
        """The verified document, as a deep copy so edits cannot change what this renders."""
        return copy.deepcopy(self._document)

    @cached_property
    def _input_validator(self) -> Draft202012Validator:
        return Validator(self.spec["inputs"])

    @cached_property
    def _parts(self) -> bytes | None:
        try:
            return marshal.dumps((self.spec["tools"], self.spec["model"], self.spec["output"]))
        except ValueError:  # not plain JSON values: deepcopy them
            return None

    def _fresh_copies(self) -> tuple:
        """Deep copies of the spec's tools, model and output for one render (unmarshalling
        is a third of the cost of `copy.deepcopy`)."""
        if self._parts is not None:
            return marshal.loads(self._parts)
        return copy.deepcopy((self.spec["tools"], self.spec["model"], self.spec["output"]))

    @cached_property
    def _input_check(self):
        return compile_check(self.spec["inputs"])

    def render(self, inputs: Mapping | None = None) -> Rendered:
        """Validate `inputs`, apply defaults and render every message.

        Raises `InputError` listing every problem with the inputs.
        """
        values, issues = prepare_inputs(self._input_validator, inputs, self._input_check)
        if issues:
            raise InputError(f"{self.name}@{self.version}", issues)
        messages = tuple(
            Message(m["role"], render_content(m["content"], values)) for m in self.spec["messages"]
        )
        tools, model, output = self._fresh_copies()
        return Rendered(
            messages=messages,
            tools=tools,
            model=model,
            output=output,
            trace={"name": self.name, "version": self.version, "hash": self.hash},
        )


def load(source: Source) -> Bundle:
    """Load and verify a bundle from a file path, the file's bytes, or a parsed dict."""
    if isinstance(source, (str, os.PathLike)):
        return Bundle(_parse(Path(source).read_bytes(), os.fspath(source)), os.fspath(source))
    if isinstance(source, (bytes, bytearray)):
        return Bundle(_parse(bytes(source), "<bytes>"))
    if isinstance(source, Mapping):
        return Bundle(copy.deepcopy(dict(source)))
    raise TypeError(f"load() takes a path, bytes or a dict, not {type(source).__name__}")


def load_dir(path: str | os.PathLike) -> dict[str, Bundle]:
    """Load every `*.json` bundle under `path` (recursively, skipping `index.json`), keyed by
    name and keeping the highest semantic version of each. Two files with the same name and
    version but different hashes are an error: a version never names two behaviours."""
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory of bundles")
    newest: dict[str, Bundle] = {}
    for file in sorted(root.rglob("*.json")):
        if file.name == "index.json" or not file.is_file():
            continue
        bundle = load(file)
        current = newest.get(bundle.name)
        if current is None or semver_key(bundle.version) > semver_key(current.version):
            newest[bundle.name] = bundle
        elif current.version == bundle.version and current.hash != bundle.hash:
            raise BundleFormatError(
                f"{current.origin} and {bundle.origin} are both {bundle.name}@{bundle.version} "
                f"but differ ({current.hash} vs {bundle.hash}); a changed prompt needs a new version"
            )
    return newest


def _parse(data: bytes, origin: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleFormatError(f"{origin} is not a promptc bundle: not UTF-8 text ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BundleFormatError(
            f"{origin} is not a promptc bundle: invalid JSON at line {exc.lineno} column "
            f"{exc.colno}: {exc.msg}"
        ) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    # Parsers disagree on which duplicate wins, so a duplicate could make two runtimes render
    # different text for one verified hash.
    document = dict(pairs)
    if len(document) != len(pairs):
        dupes = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise BundleFormatError(f"bundle JSON repeats the key(s) {', '.join(map(repr, dupes))}")
    return document


def _no_constant(name: str) -> Any:
    raise BundleFormatError(f"bundle JSON contains {name}, which is not valid JSON")


def _verify(document: Any, origin: str) -> None:
    prefix = f"{origin} is not a {FORMAT} bundle"
    if not isinstance(document, dict):
        raise BundleFormatError(f"{prefix}: expected a JSON object, got {type_name(document)}")
    if document.get("format") != FORMAT:
        found = repr(document["format"]) if "format" in document else "no format key"
        raise BundleFormatError(f"{prefix}: found {found}, expected format {FORMAT!r}")
    missing = [key for key in REQUIRED_KEYS if key not in document]
    if missing:
        raise BundleFormatError(f"{prefix}: missing key(s) {', '.join(missing)}")
    recorded, spec = document["hash"], document["spec"]
    if not isinstance(spec, dict) or not isinstance(recorded, str):
        raise BundleFormatError(f"{prefix}: spec must be an object and hash a string")
    try:
        actual = spec_hash(spec)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise BundleFormatError(f"{prefix}: its spec cannot be canonicalized ({exc})") from None
    if actual != recorded:
        raise IntegrityError(f"{document.get('name')}@{document.get('version')} ({origin})", recorded, actual)
    errors = sorted(_schema_validator().iter_errors(document), key=lambda e: e.json_path)
    if errors:
        details = "\n".join(f"  - {e.json_path}: {e.message}" for e in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise BundleFormatError(f"{origin} does not match the {FORMAT} schema:\n{details}{more}")
