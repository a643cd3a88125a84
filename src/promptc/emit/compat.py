"""Classify the change between two bundle specs as a semver level (DESIGN §5).

The version rules of the lockfile need to know how much a prompt changed: a change that
can break a caller needs a major bump, a compatible change to the interface a minor one,
and a change to what the model sees (text, model settings, descriptions) a patch. The
interface is what a caller depends on: the inputs it passes, the output it parses and the
tools it implements.

Directions, which are the whole point:

- Inputs are written by callers. The new input schema must accept every value the old one
  accepted (`accepts_all(new, old)`), or some existing caller breaks (major). An input that
  accepts more than before (enum member added, longer `maxLength`, now optional) is minor.
- Output values and tool calls are produced by the model and consumed by the caller's code.
  Every value valid under the new schema must be valid under the old one
  (`accepts_all(old, new)`), or a consumer written against the old schema breaks (major).
  This includes adding a field to an object with `additionalProperties: false`: a consumer
  validating strictly against the old schema rejects the new field, so that is major. A
  schema that only became narrower (a field removed that was optional, a tighter bound) is
  minor.
- A change to `default`, `description` or similar annotations changes no accepted value but
  does change what the model sees or what a missing input means, so it is a patch.

`accepts_all` errs on the safe side: whenever it cannot prove containment (a changed
`pattern`, a keyword it does not model) it answers False, which classifies as breaking.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from promptc.runtime.hashing import canonical_json

from .versions import level_rank, max_level

__all__ = [
    "Change",
    "Reason",
    "accepts_all",
    "classify",
    "classify_interface",
    "interface",
    "interface_hash",
    "retrieval_reasons",
]

#: Keywords that annotate a schema without constraining the values it accepts.
_ANNOTATIONS = frozenset({"default", "description", "title", "examples", "$comment"})

_EMPTY_INPUTS: dict = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
_TEXT_OUTPUT: dict = {"type": "text"}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Reason:
    """One observed difference and the level it requires on its own."""

    level: str
    text: str


@dataclass(frozen=True)
class Change:
    """The classified difference between two specs.

    `level` is "major", "minor", "patch" or None (identical); `reasons` are human-readable
    sentences, strongest first; `details` carries the level of each reason.
    """

    level: Optional[str]
    reasons: list[str] = field(default_factory=list)
    details: tuple[Reason, ...] = ()

    def reasons_at(self, level: Optional[str]) -> list[str]:
        """The reasons that on their own require exactly `level`."""
        return [r.text for r in self.details if r.level == level]


def _change(items: Iterable[Reason]) -> Change:
    ordered = sorted(items, key=lambda r: -level_rank(r.level))  # stable: source order kept
    return Change(
        level=max_level(*(r.level for r in ordered)),
        reasons=[r.text for r in ordered],
        details=tuple(ordered),
    )


# --------------------------------------------------------------------------- JSON helpers


def _json_eq(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1 (unlike Python's ==)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_eq(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------- normalising

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = (
    "items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
    "unevaluatedProperties", "unevaluatedItems", "additionalItems",
)


def _normalize(schema: Any) -> Any:
    """Drop annotation keywords at every schema position (never inside enum/const data)."""
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            value = {k: _normalize(v) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            value = [_normalize(v) for v in value]
        elif key in _SCHEMA_ONE:
            value = _normalize(value)
        out[key] = value
    return out


# --------------------------------------------------------------------------- instance check


def _is_type(v: Any, t: Any) -> bool:
    if isinstance(t, list):
        return any(_is_type(v, x) for x in t)
    return {
        "string": lambda: isinstance(v, str),
        "integer": lambda: (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer()),
        "number": lambda: _is_number(v),
        "boolean": lambda: isinstance(v, bool),
        "null": lambda: v is None,
        "array": lambda: isinstance(v, list),
        "object": lambda: isinstance(v, dict),
    }.get(t, lambda: False)()


def _valid(schema: Any, v: Any) -> bool:
    """True only when `v` is certainly valid under `schema` (unknown keywords: False)."""
    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    for key, arg in schema.items():
        if key in _ANNOTATIONS:
            continue
        check = _KEYWORD_CHECKS.get(key)
        try:
            if check is None or not check(arg, v, schema):
                return False
        except (TypeError, KeyError, AttributeError):
            return False  # a keyword value of an unexpected form: unsure
    return True


def _check_pattern(arg: Any, v: Any, _s: dict) -> bool:
    if not isinstance(v, str):
        return True
    try:
        return re.search(arg, v) is not None
    except (re.error, TypeError):
        return False


def _check_max_tokens(arg: Any, v: Any, _s: dict) -> bool:
    # Every token covers at least one UTF-8 byte, so a string of at most `arg` bytes is
    # certainly within the budget; a longer one may or may not be (unknown: False).
    return not isinstance(v, str) or (_is_number(arg) and len(v.encode("utf-8")) <= arg)


def _check_unique(arg: Any, v: Any, _s: dict) -> bool:
    if arg is False or not isinstance(v, list):
        return arg is False or arg is True
    if arg is not True:
        return False
    return all(not _json_eq(v[i], v[j]) for i in range(len(v)) for j in range(i))


def _check_additional(arg: Any, v: Any, s: dict) -> bool:
    if not isinstance(v, dict):
        return True
    props = s.get("properties", {})
    return all(_valid(arg, v[k]) for k in v if k not in props)


def _bound(test):
    """A numeric bound keyword check: `test(value, bound)`; non-numbers pass."""

    def check(arg: Any, v: Any, _s: dict) -> bool:
        return not _is_number(v) or (_is_number(arg) and test(v, arg))

    return check


_KEYWORD_CHECKS = {
    "type": lambda arg, v, _s: _is_type(v, arg),
    "enum": lambda arg, v, _s: isinstance(arg, list) and any(_json_eq(v, e) for e in arg),
    "const": lambda arg, v, _s: _json_eq(v, arg),
    "minLength": lambda arg, v, _s: not isinstance(v, str) or len(v) >= arg,
    "maxLength": lambda arg, v, _s: not isinstance(v, str) or len(v) <= arg,
    "pattern": _check_pattern,
    "x-max-tokens": _check_max_tokens,
    "minimum": _bound(lambda v, a: v >= a),
    "maximum": _bound(lambda v, a: v <= a),
    "exclusiveMinimum": _bound(lambda v, a: v > a),
    "exclusiveMaximum": _bound(lambda v, a: v < a),
    "items": lambda arg, v, _s: not isinstance(v, list)
    or (not isinstance(arg, list) and all(_valid(arg, x) for x in v)),
    "minItems": lambda arg, v, _s: not isinstance(v, list) or len(v) >= arg,
    "maxItems": lambda arg, v, _s: not isinstance(v, list) or len(v) <= arg,
    "uniqueItems": _check_unique,
    "properties": lambda arg, v, _s: not isinstance(v, dict)
    or all(_valid(arg[k], v[k]) for k in v if k in arg),
    "required": lambda arg, v, _s: not isinstance(v, dict) or all(k in v for k in arg),
    "additionalProperties": _check_additional,
    "anyOf": lambda arg, v, _s: any(_valid(a, v) for a in arg),
}


# --------------------------------------------------------------------------- containment


def accepts_all(wide: Any, narrow: Any) -> bool:
    """True when every instance valid under `narrow` is certainly valid under `wide`.

    Covers the shapes the compiler emits (typed strings, numbers, booleans, arrays,
    objects, enums and `anyOf [S, {"type": "null"}]` for optional values). Annotations
    (`default`, `description`, …) are ignored. A changed `pattern` or any keyword this
    function does not model gives False: when in doubt the answer is "not contained".
    """
    return _accepts(_normalize(wide), _normalize(narrow))


def _alternatives(s: dict) -> Optional[list]:
    """`s` as a union of simpler schemas, or None when it is not one."""
    if set(s) == {"anyOf"} and isinstance(s["anyOf"], list):
        return s["anyOf"]
    t = s.get("type")
    if isinstance(t, list):
        return [{**s, "type": x} for x in t]
    return None


def _finite_values(s: dict) -> Optional[list]:
    """A finite list that contains every instance of `s`, when there is one."""
    if "enum" in s and isinstance(s["enum"], list):
        return s["enum"]
    if "const" in s:
        return [s["const"]]
    if set(s) == {"type"} and s["type"] == "boolean":
        return [False, True]
    if set(s) == {"type"} and s["type"] == "null":
        return [None]
    return None


def _accepts(w: Any, n: Any) -> bool:
    if w is True or (isinstance(w, dict) and not w) or n is False:
        return True
    if _json_eq(w, n):
        return True
    if not isinstance(w, dict) or not isinstance(n, dict) or not n:
        return False
    alts = _alternatives(n)
    if alts is not None:
        return all(_accepts(w, a) for a in alts)
    values = _finite_values(n)
    if values is not None:
        return all(_valid(w, v) for v in values)
    alts = _alternatives(w)
    if alts is not None:
        return any(_accepts(a, n) for a in alts)
    return _accepts_single(w, n)


_STRING_KEYS = frozenset({"type", "minLength", "maxLength", "pattern", "x-max-tokens"})
_NUMBER_KEYS = frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems", "uniqueItems"})
_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties"})


class _Unsure(Exception):
    """A schema value has a form the containment check does not model."""


def _num(s: dict, key: str, absent: float) -> float:
    """`s[key]` as a number (`absent` when missing); other forms are `_Unsure`."""
    v = s.get(key, absent)
    if not _is_number(v):
        raise _Unsure
    return v


def _accepts_single(w: dict, n: dict) -> bool:
    wt, nt = w.get("type"), n.get("type")
    if not isinstance(wt, str) or not isinstance(nt, str):
        return False
    if not (wt == nt or (wt == "number" and nt == "integer")):
        return False
    known = {"string": _STRING_KEYS, "integer": _NUMBER_KEYS, "number": _NUMBER_KEYS,
             "array": _ARRAY_KEYS, "object": _OBJECT_KEYS}.get(wt)
    if known is None or not set(w) <= known or not set(n) <= known:
        return False
    try:
        if wt == "string":
            return _accepts_string(w, n)
        if wt in ("integer", "number"):
            return _lower_ok(w, n) and _upper_ok(w, n)
        if wt == "array":
            return _accepts_array(w, n)
        return _accepts_object(w, n)
    except _Unsure:
        return False


def _accepts_string(w: dict, n: dict) -> bool:
    if _num(w, "minLength", 0) > _num(n, "minLength", 0):
        return False
    if _num(w, "maxLength", math.inf) < _num(n, "maxLength", math.inf):
        return False
    if "pattern" in w and n.get("pattern") != w["pattern"]:
        return False
    if "x-max-tokens" in w:
        budget = _num(w, "x-max-tokens", math.inf)
        # tokens <= UTF-8 bytes <= 4 * code points
        bound = min(_num(n, "x-max-tokens", math.inf), 4 * _num(n, "maxLength", math.inf))
        if bound > budget:
            return False
    return True


def _tightest(s: dict, inclusive: str, exclusive: str, lower: bool) -> Optional[tuple[float, bool]]:
    """The effective bound of `s` as (value, strict), or None when unbounded."""
    bounds = []
    if inclusive in s:
        bounds.append((_num(s, inclusive, 0), False))
    if exclusive in s:
        bounds.append((_num(s, exclusive, 0), True))
    if not bounds:
        return None
    # the tightest: largest lower bound / smallest upper bound; strict wins a tie
    key = (lambda b: (b[0], b[1])) if lower else (lambda b: (-b[0], b[1]))
    return max(bounds, key=key)


def _lower_ok(w: dict, n: dict) -> bool:
    wb = _tightest(w, "minimum", "exclusiveMinimum", lower=True)
    nb = _tightest(n, "minimum", "exclusiveMinimum", lower=True)
    if wb is None:
        return True
    if nb is None:
        return False
    return nb[0] > wb[0] or (nb[0] == wb[0] and (nb[1] or not wb[1]))


def _upper_ok(w: dict, n: dict) -> bool:
    wb = _tightest(w, "maximum", "exclusiveMaximum", lower=False)
    nb = _tightest(n, "maximum", "exclusiveMaximum", lower=False)
    if wb is None:
        return True
    if nb is None:
        return False
    return nb[0] < wb[0] or (nb[0] == wb[0] and (nb[1] or not wb[1]))


def _accepts_array(w: dict, n: dict) -> bool:
    if _num(w, "minItems", 0) > _num(n, "minItems", 0):
        return False
    n_max = _num(n, "maxItems", math.inf)
    if _num(w, "maxItems", math.inf) < n_max:
        return False
    if w.get("uniqueItems", False) is True and n.get("uniqueItems", False) is not True:
        return False
    if n_max == 0:
        return True  # only the empty list: item schemas do not matter
    w_items, n_items = w.get("items", True), n.get("items", True)
    if isinstance(w_items, list) or isinstance(n_items, list):
        return False
    return _accepts(w_items, n_items)


def _accepts_object(w: dict, n: dict) -> bool:
    wp, np_ = w.get("properties", {}), n.get("properties", {})
    wr, nr = w.get("required", []), n.get("required", [])
    wa, na = w.get("additionalProperties", True), n.get("additionalProperties", True)
    if not all(isinstance(x, dict) for x in (wp, np_)) or not all(isinstance(x, list) for x in (wr, nr)):
        return False
    if not set(wr) <= set(nr):
        return False
    for name in sorted(wp.keys() | np_.keys()):
        if not _accepts(wp.get(name, wa), np_.get(name, na)):
            return False
    return _accepts(wa, na)


# --------------------------------------------------------------------------- describing


def _unwrap_nullable(s: Any) -> tuple[Any, bool]:
    """(S, True) for `anyOf [S, {"type": "null"}]` in either order, else (s, False)."""
    if isinstance(s, dict) and set(s) == {"anyOf"} and isinstance(s["anyOf"], list) and len(s["anyOf"]) == 2:
        a, b = s["anyOf"]
        if b == {"type": "null"}:
            return a, True
        if a == {"type": "null"}:
            return b, True
    return s, False


def _describe(old: Any, new: Any) -> str:
    """A short summary of how two normalised schemas differ at their top level."""
    old, old_null = _unwrap_nullable(old)
    new, new_null = _unwrap_nullable(new)
    parts: list[str] = []
    if old_null != new_null:
        parts.append("now nullable" if new_null else "no longer nullable")
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            a, b = old.get(key), new.get(key)
            if key in old and key in new and _json_eq(a, b):
                continue
            if key == "enum" and isinstance(a, list) and isinstance(b, list):
                removed = [x for x in a if not any(_json_eq(x, y) for y in b)]
                added = [y for y in b if not any(_json_eq(x, y) for x in a)]
                if removed:
                    parts.append("values removed: " + ", ".join(_show(x) for x in removed))
                if added:
                    parts.append("values added: " + ", ".join(_show(x) for x in added))
            elif key == "properties" and isinstance(a, dict) and isinstance(b, dict):
                for label, names in (
                    ("fields added", sorted(b.keys() - a.keys())),
                    ("fields removed", sorted(a.keys() - b.keys())),
                    ("fields changed", sorted(k for k in a.keys() & b.keys() if not _json_eq(a[k], b[k]))),
                ):
                    if names:
                        parts.append(f"{label}: " + ", ".join(f"`{x}`" for x in names))
            elif key == "required" and isinstance(a, list) and isinstance(b, list):
                now = sorted(set(b) - set(a))
                no_longer = sorted(set(a) - set(b))
                if now:
                    parts.append("now required: " + ", ".join(f"`{x}`" for x in now))
                if no_longer:
                    parts.append("no longer required: " + ", ".join(f"`{x}`" for x in no_longer))
            elif key not in old:
                parts.append(f"{key} {_short(b)} added")
            elif key not in new:
                parts.append(f"{key} {_short(a)} removed")
            else:
                parts.append(f"{key} {_short(a)} → {_short(b)}")
    return f" ({'; '.join(parts)})" if parts else ""


def _short(v: Any) -> str:
    text = _show(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _annotation_reasons(subject: str, old: Any, new: Any) -> list[Reason]:
    """Patch-level reasons for schemas that accept the same values but read differently."""
    if _json_eq(old, new):
        return []
    o = old if isinstance(old, dict) else {}
    n = new if isinstance(new, dict) else {}
    out = []
    default_changed = ("default" in o) != ("default" in n) or not _json_eq(o.get("default"), n.get("default"))
    if default_changed:
        out.append(Reason("patch", f"{subject} default changed"))
    rest_o = {k: v for k, v in o.items() if k != "default"}
    rest_n = {k: v for k, v in n.items() if k != "default"}
    if not _json_eq(rest_o, rest_n) or not out:
        out.append(Reason("patch", f"{subject} description changed"))
    return out


# --------------------------------------------------------------------------- interface


def interface(spec: dict) -> dict:
    """The part of a spec a caller depends on: inputs, output and tools."""
    return {"inputs": spec["inputs"], "output": spec["output"], "tools": spec["tools"]}


def interface_hash(spec: dict) -> str:
    """`"sha256:" + hex` of the RFC 8785 canonical JSON of `interface(spec)`."""
    return "sha256:" + hashlib.sha256(canonical_json(interface(spec))).hexdigest()


def _input_reasons(old: Any, new: Any) -> list[Reason]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    op, np_ = old.get("properties") or {}, new.get("properties") or {}
    oreq, nreq = set(old.get("required") or []), set(new.get("required") or [])
    out: list[Reason] = []
    for name in sorted(op.keys() - np_.keys()):
        out.append(Reason("major", f"input `{name}` was removed"))
    for name in sorted(np_.keys() - op.keys()):
        if name in nreq:
            out.append(Reason("major", f"required input `{name}` was added"))
        else:
            out.append(Reason("minor", f"optional input `{name}` was added"))
    for name in sorted(op.keys() & np_.keys()):
        subject = f"input `{name}`"
        if name in nreq and name not in oreq:
            out.append(Reason("major", f"{subject} became required"))
        elif name in oreq and name not in nreq:
            out.append(Reason("minor", f"{subject} became optional"))
        a, b = _normalize(op[name]), _normalize(np_[name])
        if not _accepts(b, a):
            out.append(Reason("major", f"{subject} type narrowed: some values it accepted are now rejected{_describe(a, b)}"))
        elif not _json_eq(a, b):
            out.append(Reason("minor", f"{subject} type widened{_describe(a, b)}"))
        else:
            out.extend(_annotation_reasons(subject, op[name], np_[name]))
    # Safety net for everything outside `properties`/`required` (additionalProperties, $defs…).
    if not accepts_all(new, old) and not any(r.level == "major" for r in out):
        out.append(Reason("major", "inputs schema changed incompatibly"))
    elif not _json_eq(_normalize(old), _normalize(new)) and not out:
        out.append(Reason("minor", "inputs schema widened"))
    elif not _json_eq(old, new) and not out:
        out.append(Reason("patch", "inputs schema descriptions changed"))
    return out


def _produced_reasons(subject: str, old: Any, new: Any) -> list[Reason]:
    """Reasons for a schema of values the model produces and the caller consumes."""
    a, b = _normalize(old), _normalize(new)
    if not _accepts(a, b):
        return [Reason("major", f"{subject} changed incompatibly: values valid now may be "
                                f"rejected by code written for the old schema{_describe(a, b)}")]
    if not _json_eq(a, b):
        return [Reason("minor", f"{subject} narrowed{_describe(a, b)}")]
    return _annotation_reasons(subject, old, new)


def _output_reasons(old: Any, new: Any) -> list[Reason]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    if _json_eq(old, new):
        return []
    ot, nt = old.get("type"), new.get("type")
    if ot != nt:
        return [Reason("major", f"output type changed from {ot} to {nt}")]
    if ot == "json":
        out = _produced_reasons("output schema", old.get("schema", True), new.get("schema", True))
        rest_o = {k: v for k, v in old.items() if k != "schema"}
        rest_n = {k: v for k, v in new.items() if k != "schema"}
        if not _json_eq(rest_o, rest_n):
            out.append(Reason("major", "output settings changed"))
        return out
    return [Reason("major", "output settings changed")]


def _tools_by_name(tools: Any) -> dict[str, dict]:
    if not isinstance(tools, list):
        return {}
    return {t["name"]: t for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)}


def _tool_reasons(old: Any, new: Any) -> list[Reason]:
    ot, nt = _tools_by_name(old), _tools_by_name(new)
    out: list[Reason] = []
    for name in sorted(ot.keys() - nt.keys()):
        out.append(Reason("major", f"tool `{name}` was removed"))
    for name in sorted(nt.keys() - ot.keys()):
        out.append(Reason("minor", f"tool `{name}` was added"))
    for name in sorted(ot.keys() & nt.keys()):
        a, b = ot[name], nt[name]
        out.extend(_produced_reasons(f"tool `{name}` parameters", a.get("parameters", True), b.get("parameters", True)))
        ra, rb = bool(a.get("requires_approval", False)), bool(b.get("requires_approval", False))
        if ra != rb:
            text = "now requires approval" if rb else "no longer requires approval"
            out.append(Reason("minor", f"tool `{name}` {text}"))
        if a.get("description") != b.get("description"):
            out.append(Reason("patch", f"tool `{name}` description changed"))
        known = {"name", "parameters", "requires_approval", "description"}
        if not _json_eq({k: v for k, v in a.items() if k not in known}, {k: v for k, v in b.items() if k not in known}):
            out.append(Reason("patch", f"tool `{name}` changed"))
    if not out and not _json_eq(old, new):
        out.append(Reason("patch", "tool order changed"))
    return out


def classify_interface(old: dict, new: dict) -> Change:
    """Classify a change between two interfaces (`{"inputs", "output", "tools"}` dicts).

    This is what the lockfile can check on its own: it stores the interface, not the spec.
    """
    return _change(
        _input_reasons(old.get("inputs", _EMPTY_INPUTS), new.get("inputs", _EMPTY_INPUTS))
        + _output_reasons(old.get("output", _TEXT_OUTPUT), new.get("output", _TEXT_OUTPUT))
        + _tool_reasons(old.get("tools", []), new.get("tools", []))
    )


def _message_reasons(old: Any, new: Any) -> list[Reason]:
    if _json_eq(old, new):
        return []
    old = old if isinstance(old, list) else []
    new = new if isinstance(new, list) else []
    where = []
    for i, (a, b) in enumerate(zip(old, new), start=1):
        if not _json_eq(a, b):
            role = b.get("role", "") if isinstance(b, dict) else ""
            where.append(f"{role} message {i}".strip())
    if len(new) > len(old):
        where.append(f"{len(new) - len(old)} message(s) added")
    elif len(old) > len(new):
        where.append(f"{len(old) - len(new)} message(s) removed")
    return [Reason("patch", "message text changed" + (f" ({', '.join(where)})" if where else ""))]


def _model_reasons(old: Any, new: Any) -> list[Reason]:
    if _json_eq(old, new):
        return []
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    keys = sorted(k for k in old.keys() | new.keys()
                  if (k in old) != (k in new) or not _json_eq(old.get(k), new.get(k)))
    return [Reason("patch", "model settings changed" + (f" ({', '.join(keys)})" if keys else ""))]


def retrieval_reasons(old: Any, new: Any) -> list[Reason]:
    """A change to `spec.retrieval` (what the app's retriever fetches, hence what the model
    sees and what the caller's retriever must honour): minor, like a grown interface, so it
    never ships as a patch release."""
    if _json_eq(old, new):
        return []
    if old is None or new is None:
        return [Reason("minor", "retrieval settings " + ("added" if old is None else "removed"))]
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    keys = sorted(k for k in old.keys() | new.keys()
                  if (k in old) != (k in new) or not _json_eq(old.get(k), new.get(k)))
    return [Reason("minor", "retrieval settings changed" + (f" ({', '.join(keys)})" if keys else ""))]


def classify(old_spec: dict, new_spec: dict) -> Change:
    """Classify the change from `old_spec` to `new_spec` (bundle `spec` dicts, see ir.md).

    major: a caller or a consumer of the output/tool calls may break; minor: the interface
    grew compatibly (or a tool's approval changed, or the retrieval settings); patch: only what the model sees
    changed (messages, model settings, descriptions, defaults); None: identical.
    """
    items = list(classify_interface(old_spec, new_spec).details)
    items += _message_reasons(old_spec.get("messages", []), new_spec.get("messages", []))
    items += _model_reasons(old_spec.get("model", {}), new_spec.get("model", {}))
    items += retrieval_reasons(old_spec.get("retrieval"), new_spec.get("retrieval"))
    known = {"inputs", "output", "tools", "messages", "model", "retrieval"}
    for key in sorted((old_spec.keys() | new_spec.keys()) - known):
        if (key in old_spec) != (key in new_spec) or not _json_eq(old_spec.get(key), new_spec.get(key)):
            items.append(Reason("patch", f"spec `{key}` changed"))
    return _change(items)
