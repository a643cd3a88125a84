"""List prices of common models, for `promptc tokens` and the review's cost deltas.

USD per million tokens, input and output, as the providers published them on
`PRICES_AS_OF` (standard tier, no batch or cache discounts; for models priced by prompt
length, the lower tier). Prices change: `[prices."MODEL"]` in promptc.toml overrides any of
them and adds others, and every cost promptc prints says which of the two it used.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .config import Price

PRICES_AS_OF = "2025-08-15"

#: model → (input, output) in USD per million tokens, as of PRICES_AS_OF.
LIST_PRICES: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-2024-05-13": (5.0, 15.0),
    "gpt-4o-mini": (0.15, 0.60),
    "o1": (15.0, 60.0),
    "o3": (2.0, 8.0),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-4-turbo": (10.0, 30.0),
    "gpt-3.5-turbo": (0.50, 1.50),
    # Anthropic
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4-0": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-0": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.80, 4.0),
    "claude-3-opus": (15.0, 75.0),
    "claude-3-haiku": (0.25, 1.25),
    # Google
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-1.5-pro": (1.25, 5.0),
    "gemini-1.5-flash": (0.075, 0.30),
}

# A snapshot or alias of a listed model: `claude-3-5-sonnet-20241022`,
# `gpt-4o-2024-08-06`, `claude-3-5-haiku-latest`.
_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")


def _candidates(model: str) -> list[str]:
    names = [model]
    bare = model.rsplit("/", 1)[-1]  # a provider prefix: openai/gpt-4o
    if bare != model:
        names.append(bare)
    names += [_SUFFIX.sub("", n) for n in list(names) if _SUFFIX.search(n)]
    return names


def price_for(model: Optional[str], configured: Optional[dict[str, Any]] = None) -> tuple[Optional[Price], Optional[str]]:
    """The price of `model` and where it comes from ("promptc.toml", or "list prices of
    DATE"): promptc.toml's `[prices]` first, then the table above."""
    if not model:
        return None, None
    names = _candidates(model)
    for name in names:
        if configured and name in configured:
            return configured[name], "promptc.toml"
    for name in names:
        if name in LIST_PRICES:
            per_in, per_out = LIST_PRICES[name]
            return Price(input_per_mtok=per_in, output_per_mtok=per_out), f"list prices of {PRICES_AS_OF}"
    return None, None
