"""JSON Schema validation with ECMA-262 regular expressions.

JSON Schema 2020-12 defines `pattern` as an ECMA-262 regular expression. Python's `re`
differs on exactly the points prompts hit (`$` before a final newline, Unicode `\\d`, no
`\\p{…}`), so `pattern` is checked with `regress`, a binding of an ECMA-262 engine: the
Python and JavaScript runtimes then accept the same inputs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

import regress
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError


class PatternError(ValueError):
    """A `pattern` that is not an ECMA-262 regular expression."""


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> regress.Regex:
    try:
        return regress.Regex(pattern, "u")
    except regress.RegressError as exc:
        raise PatternError(f"{pattern!r} is not an ECMA-262 regular expression: {exc}") from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        regex = compile_pattern(pattern)
    except PatternError as exc:
        yield ValidationError(str(exc))
        return
    if regex.find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 with ECMA-262 `pattern`: use it wherever instances are validated.
Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})
