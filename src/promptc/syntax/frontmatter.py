"""YAML front matter: split it off, parse it, and validate it with a pydantic model."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Mapping

import yaml
from yaml.constructor import SafeConstructor
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..diagnostics import Diagnostic, diag, suggestion_note
from ..limits import (MAX_BRACKET_DEPTH, MAX_FRONT_MATTER_VALUES, MAX_SAFE_INTEGER, MAX_VERSION_LENGTH, SAFE_RANGE,
                      number_problem)
from ..source import SourceFile, Span

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


#: Integers in the hashed spec stay within ±(2**53 - 1), as canonical JSON requires.
SAFE_INT = 2**53 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSettings(_Strict):
    """Model settings: the only front-matter key that reaches the hashed spec."""

    name: str | None = None
    provider: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0, le=SAFE_INT)
    context_window: int | None = Field(default=None, gt=0, le=SAFE_INT)
    stop: list[str] | None = None
    seed: int | None = Field(default=None, ge=-SAFE_INT, le=SAFE_INT)
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None


class LintSettings(_Strict):
    ignore: list[str] = []


class ChunkingSettings(_Strict):
    strategy: str | None = None
    size: int | None = Field(default=None, gt=0, le=SAFE_INT)
    overlap: int | None = Field(default=None, ge=0, le=SAFE_INT)
    unit: Literal["tokens", "characters", "words", "sentences"] | None = None


class RetrievalSettings(_Strict):
    """What the app passes to its retriever. Part of the hashed spec (as `spec.retrieval`):
    another index, `top_k` or reranker changes what the model sees."""

    index: str | None = None
    source: str | None = None
    top_k: int | None = Field(default=None, gt=0, le=10_000)
    filters: dict[str, Any] | None = None
    reranker: str | None = None
    chunking: ChunkingSettings | None = None

    @field_validator("filters")
    @classmethod
    def _filter_values(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # A value is a scalar, or a list of scalars (a membership filter).
        def scalar(v: Any) -> bool:
            return (isinstance(v, (str, bool)) or (isinstance(v, int) and abs(v) <= SAFE_INT)
                    or (isinstance(v, float) and math.isfinite(v)))

        for key, v in (value or {}).items():
            if not (scalar(v) or (isinstance(v, list) and all(scalar(x) for x in v))):
                raise ValueError(f"filter `{key}` must be text, a number (whole numbers within ±(2**53 - 1)), "
                                 "true/false or a list of those; write a larger id as text")
        return value


class CaptureSettings(_Strict):
    """What `client.capture` may store for this prompt: inputs only when `inputs: true`."""

    inputs: bool = False


class FrontMatter(_Strict):
    version: str | None = None
    purpose: str | None = None
    owner: str | None = None
    tech_owner: str | None = None
    risk: Literal["low", "medium", "high"] | None = None
    model: ModelSettings | None = None
    eval: str | None = None
    evaluated: dt.date | None = None
    tags: list[str] = []
    lint: LintSettings | None = None
    retrieval: RetrievalSettings | None = None
    limitations: list[Annotated[str, Field(min_length=1)]] = []
    capture: CaptureSettings | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, v: Any) -> Any:
        # YAML reads `version: 1.4` as a number; keep the text so the semver check names it.
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    def meta(self) -> dict:
        """The descriptive fields that go to a bundle's `meta` (outside the hash)."""
        out = self.model_dump(mode="json", exclude={"version", "model", "retrieval"}, exclude_none=True)
        for key in ("tags", "limitations"):
            if not out.get(key):
                out.pop(key, None)
        return out

    def retrieval_spec(self) -> dict | None:
        """`spec.retrieval`, or None when the front matter names no retrieval (so specs
        without it hash as they always did)."""
        return self.retrieval.model_dump(mode="json", exclude_none=True) if self.retrieval is not None else None


FIELD_NAMES = {
    (): set(FrontMatter.model_fields),
    ("model",): set(ModelSettings.model_fields),
    ("lint",): set(LintSettings.model_fields),
    ("retrieval",): set(RetrievalSettings.model_fields),
    ("retrieval", "chunking"): set(ChunkingSettings.model_fields),
    ("capture",): set(CaptureSettings.model_fields),
}


@dataclass(frozen=True)
class FrontMatterResult:
    front: FrontMatter | None
    spans: Mapping[tuple, Span]
    body_start: int  # offset where the module body begins
    diagnostics: tuple[Diagnostic, ...]


def split_front_matter(text: str) -> tuple[int, int, int] | None:
    """Locate `---\\n … \\n---`: (yaml_start, yaml_end, body_start) or None."""
    if not (text.startswith("---\n") or text == "---"):
        return None
    pos = 4
    while True:
        end = text.find("\n", pos)
        line = text[pos:] if end == -1 else text[pos:end]
        if line.rstrip() == "---":
            return 4, pos, (len(text) if end == -1 else end + 1)
        if end == -1:
            return 4, len(text), -1
        pos = end + 1


def _collect_spans(src: SourceFile, node: yaml.Node, path: tuple, spans: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            key_span = _mark_span(src, key)
            spans[path + (k,)] = key_span
            spans[path + (k, "$value")] = _mark_span(src, value)
            _collect_spans(src, value, path + (k,), spans)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            spans[path + (i, "$value")] = _mark_span(src, item)
            _collect_spans(src, item, path + (i,), spans)


def _mark_span(src: SourceFile, node: yaml.Node) -> Span:
    start = src.offset(node.start_mark.line + 1, node.start_mark.column + 1)
    end = src.offset(node.end_mark.line + 1, node.end_mark.column + 1)
    return src.span(start, end)


class _Constructor(SafeConstructor):
    """SafeConstructor whose impossible dates and unreadable numbers (an integer of more than
    Python's 4,300 digits) are located errors, not ValueErrors."""

    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"`{node.value}` is not a date ({exc})", node.start_mark) from None

    def construct_yaml_int(self, node):  # type: ignore[override]
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # more than 4,300 digits
            value = None
        if value is None or abs(value) > MAX_SAFE_INTEGER:
            text = str(node.value)
            shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
            raise _LimitError(None, None, f"integer {shown} is outside the portable range {SAFE_RANGE}",
                              node.start_mark, "bundles carry integers within ±(2^53−1) so that every runtime "
                                               "reads them exactly; write a smaller number, or a string")
        return value


class _LimitError(yaml.constructor.ConstructorError):
    def __init__(self, context, context_mark, problem, problem_mark, help_: str) -> None:
        super().__init__(context, context_mark, problem, problem_mark)
        self.help = help_


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)
_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)


def load_bounded(text: str) -> Any:
    """A YAML document read as front matter is: the same bounds on alias expansion and
    nesting, the same refusal of impossible dates and unreadable numbers. Raises
    yaml.YAMLError for anything it refuses, never ValueError or MemoryError: for readers of
    other formats' front matter (`promptc import`, content detection)."""
    node = yaml.compose(text, Loader=_LOADER)
    if node is None:
        return None
    problem = _expansion_problem(SourceFile("<yaml>", text), node)
    if problem is not None:
        raise yaml.YAMLError(problem.message)
    return _Constructor().construct_document(node)


def _expansion_problem(src: SourceFile, root: yaml.Node) -> Diagnostic | None:
    """Aliases may repeat a value but not contain it, and everything expands to at most
    MAX_FRONT_MATTER_VALUES values nested at most MAX_BRACKET_DEPTH deep. The walk stops
    at the first value past a limit, so a bomb costs no more than the limit."""
    count = 0
    path: list[int] = []  # ids of the collections open around the current value
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            path.pop()
            continue
        count += 1
        at = _mark_span(src, node)
        if count > MAX_FRONT_MATTER_VALUES:
            return diag("limit-exceeded", f"front matter expands to more than {MAX_FRONT_MATTER_VALUES:,} values",
                        at, notes=("aliases (`*name`) repeat what their anchor holds, each time: "
                                   "write the values out, or use fewer aliases",))
        if not isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            continue
        if id(node) in path:
            return diag("invalid-front-matter", "this alias refers to a value that contains it",
                        at, notes=("an anchored value cannot include its own alias: write the value out",))
        if len(path) >= MAX_BRACKET_DEPTH:
            return diag("limit-exceeded", f"front matter nests deeper than {MAX_BRACKET_DEPTH} levels here",
                        at, notes=(f"front matter nests at most {MAX_BRACKET_DEPTH} lists and mappings",))
        path.append(id(node))
        stack.append((node, True))
        children = node.value if isinstance(node, yaml.SequenceNode) else [c for pair in node.value for c in pair]
        stack.extend((child, False) for child in reversed(children))
    return None


def _number_problems(data: Any, spans: Mapping, whole: Span) -> list[Diagnostic]:
    out = []
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, loc + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, loc + (i,)) for i, v in enumerate(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = repr(value) if isinstance(value, float) else str(value)  # ints: at most 16 digits here
            problem = number_problem(text if value not in (float("inf"), float("-inf")) else "1e400")
            if problem is None and value != value:
                problem = ("NaN is not a number JSON can carry", "write a number")
            if problem is not None:
                out.append(diag("limit-exceeded", f"front-matter key `{'.'.join(map(str, loc))}`: {problem[0]}",
                                spans.get(loc + ("$value",), whole), notes=(problem[1],)))
    return out


def parse_front_matter(src: SourceFile) -> FrontMatterResult:
    located = split_front_matter(src.text)
    if located is None:
        return FrontMatterResult(None, {}, 0, ())
    start, end, body = located
    if body == -1:
        span = src.span(0, 3)
        d = diag("invalid-front-matter", "front matter opened with `---` is never closed",
                 span, notes=("add a line `---` after the last front-matter key",))
        return FrontMatterResult(None, {}, len(src.text), (d,))
    # Parse the YAML with the file's own positions: blank out everything before it.
    yaml_text = "\n" * src.text.count("\n", 0, start) + src.text[start:end]
    try:
        node = yaml.compose(yaml_text, Loader=_LOADER)
        expansion = _expansion_problem(src, node) if node is not None else None
        if expansion is not None:
            return FrontMatterResult(None, {}, body, (expansion,))
        data = _Constructor().construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        if isinstance(exc, _LimitError):
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (2, 1)
            return FrontMatterResult(None, {}, body, (diag("limit-exceeded", exc.problem or str(exc),
                                                           Span.point(src.path, line, col), notes=(exc.help,)),))
        line, col, problem, note = _yaml_problem(exc)
        d = diag("invalid-front-matter", f"front matter is not valid YAML: {problem}",
                 Span.point(src.path, line, col), notes=(note,))
        return FrontMatterResult(None, {}, body, (d,))
    if data is None:
        return FrontMatterResult(FrontMatter(), {}, body, ())
    spans: dict = {}
    if node is not None:
        _collect_spans(src, node, (), spans)
    whole = src.span(start, end)
    numbers = _number_problems(data, spans, whole)
    if numbers:
        return FrontMatterResult(None, spans, body, tuple(numbers))
    if not isinstance(data, dict):
        d = diag("invalid-front-matter", "front matter must be a mapping of keys to values",
                 whole, notes=("write `version: 1.0.0` and similar keys, one per line",))
        return FrontMatterResult(None, spans, body, (d,))
    try:
        front = FrontMatter.model_validate(data)
    except ValidationError as exc:
        # Keep the keys that are fine (the version above all), so that one wrong value is
        # one error: `risk: critical` must not also read as "no version".
        wrong = {err["loc"][0] for err in exc.errors() if err["loc"]}
        try:
            partial = FrontMatter.model_validate({k: v for k, v in data.items() if k not in wrong})
        except ValidationError:
            partial = None
        diags = list(_validation_diags(src, exc, spans, whole))
        if partial is not None:
            partial = _checked_version(partial, spans, whole, diags)
        return FrontMatterResult(partial, spans, body, tuple(diags))
    diags = []
    front = _checked_version(front, spans, whole, diags)
    return FrontMatterResult(front, spans, body, tuple(diags))


def _checked_version(front: FrontMatter, spans: Mapping, whole: Span, diags: list) -> FrontMatter:
    """`front`, without a version that is too long or not semver (reported in `diags`)."""
    if front.version is not None and len(front.version) > MAX_VERSION_LENGTH:
        diags.append(diag("limit-exceeded", f"the version has {len(front.version)} characters; "
                          f"the limit is {MAX_VERSION_LENGTH}", spans.get(("version", "$value"), whole),
                          notes=("write MAJOR.MINOR.PATCH with short numbers, for example `1.0.0`",)))
        front = front.model_copy(update={"version": None})
    elif front.version is not None and not SEMVER.match(front.version):
        diags.append(diag("invalid-semver", f"`{front.version}` is not a semantic version",
                          spans.get(("version", "$value"), whole),
                          notes=("write MAJOR.MINOR.PATCH, for example `1.0.0` or `2.1.0-rc.1`",)))
        front = front.model_copy(update={"version": None})
    return front


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int, int, str, str]:
    """Where a YAML error is and what to write instead. PyYAML notices an unclosed `{` or a
    line without its colon only on the next line (its `problem_mark`); the construct that is
    wrong is where its `context_mark` points: the opening bracket, the start of the key."""
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    mark = getattr(exc, "problem_mark", None)
    note = "write `key: value` pairs, one per line, between the two `---` lines"
    opened = getattr(exc, "context_mark", None)
    if opened is not None and context.startswith(("while parsing a flow", "while scanning a simple key")):
        mark = opened
        if context.startswith("while parsing a flow mapping"):
            problem = f"this `{{` is never closed ({problem})"
            note = "close it on the same line: `model: {name: gpt-4o, temperature: 0.2}`"
        elif context.startswith("while parsing a flow sequence"):
            problem = f"this `[` is never closed ({problem})"
            note = "close it on the same line: `tags: [support, billing]`"
        else:
            problem = "this line has no `:` after its key"
            note = "write `key: value`, such as `owner: pm@acme.example`"
    line, col = (mark.line + 1, mark.column + 1) if mark else (2, 1)
    return line, col, problem, note


def _validation_diags(src: SourceFile, exc: ValidationError, spans: Mapping, whole: Span):
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            parent, key = loc[:-1], loc[-1]
            known = FIELD_NAMES.get(tuple(p for p in parent if isinstance(p, str)), set())
            where = ".".join(str(p) for p in parent)
            span = spans.get(loc, whole)
            notes = suggestion_note(str(key), known) or (
                f"known keys{' of `' + where + '`' if where else ''}: {', '.join(sorted(known))}",)
            yield diag("unknown-front-matter-key",
                       f"unknown front-matter key `{'.'.join(str(p) for p in loc)}`", span, notes=notes)
            continue
        span = spans.get(loc + ("$value",), spans.get(loc, whole))
        name = ".".join(str(p) for p in loc)
        if loc and loc[0] == "version":
            yield diag("invalid-semver", f"`version` {err['msg'].lower()}", span,
                       notes=("write MAJOR.MINOR.PATCH, for example `version: 1.0.0`",))
            continue
        yield diag("invalid-front-matter-value", f"front-matter key `{name}`: {err['msg']}", span,
                   notes=(_hint(loc, err),))


def _hint(loc: tuple, err: Mapping) -> str:
    key = loc[-1] if loc else ""
    hints = {
        "risk": "write `risk: low`, `risk: medium` or `risk: high`",
        "evaluated": "write a date such as `evaluated: 2026-03-15`",
        "tags": "write a list such as `tags: [support, billing]`",
        "model": "write `model: {name: gpt-4o, temperature: 0.2}`",
        "temperature": "write a number between 0 and 2",
        "retrieval": "write `retrieval: {index: help-center, top_k: 5, reranker: bge-reranker}`",
        "top_k": "write a whole number from 1 to 10000",
        "filters": "write a mapping of field to a value or a list of values, such as `filters: {lang: en}`",
        "chunking": "write `chunking: {strategy: paragraph, size: 512, overlap: 64, unit: tokens}`",
        "limitations": "write a list of plain sentences, such as `limitations: [\"No refunds over 500 USD\"]`",
        "capture": "write `capture: {inputs: true}` to let `client.capture` store a case's inputs",
        "inputs": "write `true` or `false`",
    }
    return hints.get(str(key), f"expected {err['type'].replace('_', ' ')}")
