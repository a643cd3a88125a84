"""Validate render inputs against a bundle's input schema and apply defaults.

jsonschema finds the problems; this module turns each one into an `InputIssue` that names
the input path (`history[0].text`), what was wrong and what is allowed, so a caller sees
every mistake at once instead of a stack of jsonschema internals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import InputIssue
from .limits import MAX_JSON_DEPTH, MAX_STRING_LENGTH, json_depth, show
from .values import type_name

ROOT = "<inputs>"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_path(parts: Iterable[str | int]) -> str:
    """`["history", 0, "text"]` → `history[0].text`; keys that are not identifiers are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out or ROOT


def prepare_inputs(validator: Draft202012Validator, inputs: Any,
                   valid: Callable[[Any], bool] | None = None) -> tuple[dict, list[InputIssue]]:
    """Return (inputs with defaults applied, problems). The inputs are only usable when the
    list of problems is empty; defaults come from the top-level `properties`. `valid` is the
    schema compiled to a predicate (`fastcheck`): when it passes the inputs, jsonschema is
    not run; jsonschema names the problems of inputs it rejects."""
    if inputs is None:
        inputs = {}
    elif isinstance(inputs, Mapping) and not isinstance(inputs, dict):
        inputs = dict(inputs)
    issues = _limit_issues(inputs)
    if issues:
        return {}, issues
    for error in (() if valid is not None and valid(inputs) else validator.iter_errors(inputs)):
        for issue in _describe(error):
            if issue not in issues:
                issues.append(issue)
    if issues:
        return {}, issues
    values = dict(inputs)
    for name, prop in validator.schema.get("properties", {}).items():
        if name not in values and isinstance(prop, dict) and "default" in prop:
            values[name] = prop["default"]  # the renderer never mutates values
    return values, []


def _limit_issues(inputs: Any) -> list[InputIssue]:
    """Inputs nest at most MAX_JSON_DEPTH deep (a value that contains itself never ends) and
    hold no string longer than MAX_STRING_LENGTH: checked first, so they are refused at once."""
    if json_depth(inputs) > MAX_JSON_DEPTH:
        return [InputIssue(ROOT, f"nests deeper than {MAX_JSON_DEPTH} levels, or contains itself")]
    issues = []
    stack: list[tuple[Any, list]] = [(inputs, [])]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str) and len(value) > MAX_STRING_LENGTH:
            issues.append(InputIssue(format_path(where), f"is longer than the limit of {MAX_STRING_LENGTH:,} "
                                                          "characters for any string"))
        elif isinstance(value, dict):
            stack.extend((v, [*where, str(k)]) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, [*where, i]) for i, v in enumerate(value))
    return sorted(issues, key=lambda issue: issue.path)


_show = show


def _describe(error: ValidationError) -> list[InputIssue]:
    where = list(error.absolute_path)
    path = format_path(where)
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "additionalProperties" and isinstance(value, dict):
        known = error.schema.get("properties", {})
        allowed = ", ".join(sorted(known)) or "none"
        what = "a declared input" if not where else "a field of this object"
        return [InputIssue(format_path([*where, key]), f"is not {what}; allowed: {allowed}")
                for key in value if key not in known]
    if keyword == "required" and isinstance(value, dict):
        return [InputIssue(format_path([*where, key]), "is required but was not given")
                for key in expected if key not in value]
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return [InputIssue(path, f"expected {wanted}, got {type_name(value)} {_show(value)}")]
    if keyword == "enum":
        choices = ", ".join(_show(choice) for choice in expected)
        return [InputIssue(path, f"{_show(value)} is not allowed; expected one of: {choices}")]
    if keyword == "const":
        return [InputIssue(path, f"{_show(value)} is not allowed; expected exactly {_show(expected)}")]
    if keyword in ("maxLength", "minLength"):
        bound = "at most" if keyword == "maxLength" else "at least"
        return [InputIssue(path, f"is {len(value)} characters long; {bound} {expected} allowed")]
    if keyword in ("maxItems", "minItems"):
        bound = "at most" if keyword == "maxItems" else "at least"
        return [InputIssue(path, f"has {len(value)} items; {bound} {expected} allowed")]
    if keyword in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        bound = {"maximum": "at most", "minimum": "at least",
                 "exclusiveMaximum": "less than", "exclusiveMinimum": "greater than"}[keyword]
        return [InputIssue(path, f"is {_show(value)}; must be {bound} {_show(expected)}")]
    if keyword == "pattern":
        return [InputIssue(path, f"{_show(value)} does not match the pattern {expected}")]
    message = error.message
    return [InputIssue(path, message if len(message) <= 200 else message[:200] + "…")]
