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
import stat
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
from .limits import MAX_DOCUMENT_BYTES, MAX_NUMBER_LENGTH, MAX_IR_DEPTH, MAX_JSON_DEPTH, MAX_STRING_LENGTH, ir_depth, json_depth
from .schema import PatternError, Validator, compile_pattern, schema_patterns
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
    #: `spec.retrieval`: what to pass to the app's retriever (None when the prompt names none).
    retrieval: dict | None = None

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
            retrieval=copy.deepcopy(self.spec.get("retrieval")),
            trace={"name": self.name, "version": self.version, "hash": self.hash},
        )


def load(source: Source) -> Bundle:
    """Load and verify a bundle from a file path, the file's bytes, or a parsed dict."""
    if isinstance(source, (str, os.PathLike)):
        return Bundle(_parse(_read(Path(source)), os.fspath(source)), os.fspath(source))
    if isinstance(source, (bytes, bytearray)):
        return Bundle(_parse(bytes(source), "<bytes>"))
    if isinstance(source, Mapping):
        if json_depth(source) > MAX_JSON_DEPTH:
            raise BundleFormatError(f"<dict> is not a {FORMAT} bundle: it nests deeper than {MAX_JSON_DEPTH} "
                                    "levels, or contains itself")
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


def _read(path: Path) -> bytes:
    """A bundle file's bytes; BundleFormatError for anything but a regular file, or past
    MAX_DOCUMENT_BYTES (read no further). A missing file is the OSError it always was."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise BundleFormatError(f"{path} is not a regular file")
    with open(path, "rb") as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BundleFormatError(f"{path} is larger than the limit of {MAX_DOCUMENT_BYTES:,} bytes for a bundle")
    return data


def _parse(data: bytes, origin: str) -> Any:
    """The document of a bundle's bytes: UTF-8 with at most one leading byte-order mark
    (a second one is not JSON), within the size, depth and number limits."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BundleFormatError(f"{origin} is larger than the limit of {MAX_DOCUMENT_BYTES:,} bytes for a bundle")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleFormatError(f"{origin} is not a promptc bundle: not UTF-8 text ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                          parse_int=_number(int), parse_float=_number(float))
    except json.JSONDecodeError as exc:
        raise BundleFormatError(
            f"{origin} is not a promptc bundle: invalid JSON at line {exc.lineno} column "
            f"{exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise BundleFormatError(f"{origin} is not a promptc bundle: it nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise BundleFormatError(f"{origin} is not a promptc bundle: {str(exc)[:120]}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    # Parsers disagree on which duplicate wins, so a duplicate could make two runtimes render
    # different text for one verified hash.
    document = dict(pairs)
    if len(document) != len(pairs):
        dupes = sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        raise BundleFormatError(f"bundle JSON repeats the key(s) {', '.join(map(repr, dupes))}")
    return document


def _number(convert):
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_LENGTH:
            raise BundleFormatError(f"bundle JSON has a number of {len(text):,} characters; "
                                    f"the limit is {MAX_NUMBER_LENGTH}")
        return convert(text)
    return parse


def _no_constant(name: str) -> Any:
    raise BundleFormatError(f"bundle JSON contains {name}, which is not valid JSON")


def _verify(document: Any, origin: str) -> None:
    prefix = f"{origin} is not a {FORMAT} bundle"
    if not isinstance(document, dict):
        raise BundleFormatError(f"{prefix}: expected a JSON object, got {type_name(document)}")
    if json_depth(document) > MAX_JSON_DEPTH:
        raise BundleFormatError(f"{prefix}: it nests deeper than {MAX_JSON_DEPTH} levels")
    _check_strings(document, prefix)
    try:
        _verify_document(document, origin, prefix)
    except RecursionError:  # a schema nested within the depth limit but too deep for jsonschema
        raise BundleFormatError(f"{prefix}: its schemas nest too deeply to be validated") from None


def _check_strings(document: Any, prefix: str) -> None:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING_LENGTH:
                raise BundleFormatError(f"{prefix}: it holds a string longer than the limit of "
                                        f"{MAX_STRING_LENGTH:,} characters")
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _verify_document(document: dict, origin: str, prefix: str) -> None:
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
    for pattern in schema_patterns(spec.get("inputs")):
        try:
            compile_pattern(pattern)
        except PatternError as exc:
            raise BundleFormatError(f"{prefix}: its input schema has a pattern outside the supported "
                                    f"subset: {exc}") from None
    for schema in _schemas_with_refs(spec.get("inputs")):
        raise BundleFormatError(f"{prefix}: its input schema uses {schema}; input schemas must be "
                                "self-contained (promptc never writes references)")
    for message in spec["messages"]:
        if ir_depth(message["content"]) > MAX_IR_DEPTH:
            raise BundleFormatError(f"{prefix}: a message nests `if`, `for` and expressions deeper than "
                                    f"{MAX_IR_DEPTH} levels")


_REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")


def _schemas_with_refs(schema: Any):
    """The reference keywords in an input schema: a remote one would be fetched, a
    self-reference never ends; promptc writes neither."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in _REFERENCES:
                if key in node:
                    yield f"`{key}`"
            stack.extend(v for k, v in node.items() if k not in ("const", "default", "enum", "examples"))
        elif isinstance(node, list):
            stack.extend(node)
