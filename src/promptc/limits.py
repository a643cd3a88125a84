"""Every limit the compiler enforces on its sources, in one table.

Each is reported as `limit-exceeded` (PC006) at the place that crosses it, saying the limit;
docs/limits.md lists them with the runtimes' own (`runtime/limits.py`).
"""

from __future__ import annotations

from .runtime.limits import MAX_IR_DEPTH, MAX_SAFE_INTEGER

#: A module or schema file is read only if it is a regular file of at most this many bytes.
MAX_FILE_BYTES = 1024 * 1024
#: Front matter expands (aliases included) to at most this many YAML values.
MAX_FRONT_MATTER_VALUES = 10_000
#: Brackets `(`, `[` and `{` nest at most this deep, in declarations and in template expressions.
MAX_BRACKET_DEPTH = 32
#: `{% if %}` and `{% for %}` blocks nest at most this deep in one text block.
MAX_BLOCK_DEPTH = 32
#: One template tag holds at most this many operators (`and`, `or`, `not`, `|`, comparisons, `.` …).
MAX_OPERATORS = 100
#: Fragments include fragments at most this deep; imports chain at most this deep.
MAX_INCLUDE_DEPTH = 32
MAX_IMPORT_DEPTH = 64
#: A message, with its fragments inlined, is at most this big: characters of text plus one per
#: template part (expression, `if`, `for`, fragment call).
MAX_MESSAGE_SIZE = 1024 * 1024
#: A version string is at most this many characters.
MAX_VERSION_LENGTH = 64

SAFE_RANGE = "±(2^53−1) = ±9007199254740991"

__all__ = ["MAX_BLOCK_DEPTH", "MAX_BRACKET_DEPTH", "MAX_FILE_BYTES", "MAX_FRONT_MATTER_VALUES",
           "MAX_IMPORT_DEPTH", "MAX_INCLUDE_DEPTH", "MAX_IR_DEPTH", "MAX_MESSAGE_SIZE",
           "MAX_OPERATORS", "MAX_SAFE_INTEGER", "MAX_VERSION_LENGTH",
           "SAFE_RANGE", "number_problem"]


def number_problem(text: str) -> tuple[str, str] | None:
    """Why a number literal cannot stand in a bundle, as (message, help), or None if it can.

    Reads the text itself, so a literal of any length costs no more than its reading
    (Python refuses to convert integers of more than 4,300 digits)."""
    body = text.replace("_", "").lstrip("+-")
    is_int = body.isdigit()
    shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
    if is_int:
        digits = body.lstrip("0")
        if len(digits) > 16 or (digits and int(digits) > MAX_SAFE_INTEGER):
            return (f"integer {shown} is outside the portable range {SAFE_RANGE}",
                    "bundles carry integers within ±(2^53−1) so that every runtime reads them exactly; "
                    "write a smaller number, or a string")
        return None
    if len(body) > 400:
        return (f"number {shown} has more than 400 characters",
                "write the number with fewer digits")
    try:
        value = float(body)
    except ValueError:
        return None
    if value in (float("inf"), float("-inf")):
        return (f"number {shown} is beyond the range of a 64-bit float (about ±1.8e308)",
                "canonical JSON has no infinity: write a finite number")
    return None
