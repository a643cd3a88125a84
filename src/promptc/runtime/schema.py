"""JSON Schema validation with `pattern` matched in linear time.

JSON Schema 2020-12 defines `pattern` as an ECMA-262 regular expression. Python's `re`
differs on exactly the points prompts hit (`$` before a final newline, Unicode `\\d`) and,
like every backtracking engine, takes exponential time on patterns such as `^(a+)+$`; so
`pattern` is matched by `pattern.py`'s automaton, which the JavaScript runtime shares: the
two runtimes accept the same inputs, in time linear in their length.
"""

from __future__ import annotations

from typing import Any, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from .pattern import PatternError, compile_pattern

__all__ = ["PatternError", "Validator", "compile_pattern", "schema_patterns"]

#: Keywords whose values are data, not schemas: a "pattern" key inside them is not a pattern.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "examples"})


def schema_patterns(schema: Any) -> Iterator[str]:
    """Every `pattern` of a JSON Schema (iteratively; values of const/default/enum skipped)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            stack.extend(v for k, v in node.items() if k not in _DATA_KEYWORDS and isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    if isinstance(schema.get("maxLength"), int) and len(instance) > schema["maxLength"]:
        return  # already refused by maxLength: matching a long string would only cost time
    try:
        regex = compile_pattern(pattern)
    except PatternError as exc:
        yield ValidationError(str(exc))
        return
    if not regex.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 with ECMA-262 `pattern`: use it wherever instances are validated.
Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})
