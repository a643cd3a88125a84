"""token-budget: the prompt at its largest, plus the reply, may not fit the context window."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from ... import tokens
from ...diagnostics import Code, Diagnostic, Severity
from ...semantic import types as T
from ...semantic.checker import CheckedModule
from ..front import value_span
from ..references import used_inputs
from ..rule import LintContext, Rule

#: A number or a boolean rendered as text: a few tokens at most.
SCALAR_TOKENS = 8


@dataclass
class _Estimate:
    tokens: int = 0
    by_len: bool = False  # some part was estimated from max_len
    unbounded: list[str] = field(default_factory=list)  # paths with no size bound


class TokenBudget(Rule):
    """
    What it does:
        Adds up what one call may need and compares it with the model's `context_window`:
        the static text of every message (fragments inlined; of each `if`, its longest
        branch; each loop body once), the largest value of every input a message uses, and
        the reply's `max_tokens`. A `str` input counts `max_tokens` when declared, else
        `max_len / 3` tokens rounded up (about three characters per token); a list counts
        `max_items` items; numbers and booleans count a few tokens. Inputs without a bound
        (a `str` with neither, a list without `max_items`, a map) cannot be estimated: they
        are left out and named in the finding, so the total is a lower bound. Tool
        definitions and the output schema are not counted either. Modules whose `model`
        lacks `max_tokens` or `context_window` are skipped. Tokens are counted with the
        model's encoding (see `promptc tokens`), or cl100k_base as a proxy for other models.

    Why it matters:
        When the prompt and the reply do not fit, the provider rejects the call or cuts the
        reply short, and it happens only for the largest inputs: in production, not in the
        demo. Bounds on inputs are what let the compiler check this before release.

    Example:
        model: {name: gpt-4o-mini, max_tokens: 4000, context_window: 8192}
        input document: str(max_len=20000)

    Use instead:
        Lower `max_tokens`, tighten the input bounds (`str(max_tokens=2000)`), or choose a
        model with a larger context window.

    Options:
        None.
    """

    code = Code("PC517", "token-budget", "The prompt and the reply may not fit the context window.",
                Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        settings = module.front.model if module.front else None
        if not module.is_prompt or settings is None or not settings.max_tokens or not settings.context_window:
            return
        encoding = tokens.for_model(settings.name).encoding
        static = sum(tokens.count(_largest_text(m.body), encoding) for m in module.messages)
        inputs = _input_estimates(module, encoding)
        from_inputs = sum(e.tokens for e in inputs.values())
        total = static + from_inputs + settings.max_tokens
        window = settings.context_window
        if total <= window:
            return
        message = (f"a call may need {total} tokens, more than the context window of {window}: {static} for "
                   f"message text, {from_inputs} for inputs at their largest, {settings.max_tokens} for the reply")
        notes = []
        largest = sorted(((e.tokens, n) for n, e in inputs.items() if e.tokens), reverse=True)[:3]
        if largest:
            notes.append("largest inputs: " + ", ".join(f"`{n}` ~{t}" for t, n in largest))
        if any(e.by_len for e in inputs.values()):
            notes.append("a `str` with only `max_len` is estimated at max_len/3 tokens; "
                         "declare `max_tokens` for an exact bound")
        unbounded = [p for e in inputs.values() for p in e.unbounded]
        if unbounded:
            notes.append("not counted, no size bound: " + ", ".join(f"`{p}`" for p in unbounded))
        notes.append("lower `max_tokens`, bound the inputs more tightly, or use a model with a larger window")
        yield self.report(value_span(module, "model", "context_window"), message, notes=notes)


def _largest_text(body: list[dict], stack: tuple = ()) -> str:
    """The literal text of a body with fragments inlined, taking the longest branch of
    each `if` (in tokens) and each loop body once."""
    parts: list[str] = []
    for node in body:
        kind = node["kind"]
        if kind == "text":
            parts.append(node["text"])
        elif kind == "if":
            options = [_largest_text(b["body"], stack) for b in node["branches"]]
            options.append(_largest_text(node["else"], stack))
            parts.append(max(options, key=tokens.count))
        elif kind == "for":
            parts.append(_largest_text(node["body"], stack))
        elif kind == "call":
            frag = node["fragment"]
            if frag.body is not None and id(frag) not in stack:
                parts.append(_largest_text(frag.body, stack + (id(frag),)))
    return "".join(parts)


def _input_estimates(module: CheckedModule, encoding: str) -> dict[str, _Estimate]:
    used: set[str] = set()
    for message in module.messages:
        used |= used_inputs(message.body)
    out: dict[str, _Estimate] = {}
    for sym in module.inputs:
        if sym.name in used:
            est = _Estimate()
            _estimate(sym.type, sym.name, est, 1, encoding)
            out[sym.name] = est
    return out


def _estimate(ty: T.Type, path: str, est: _Estimate, times: int, encoding: str) -> None:
    """Add the largest size of a value of type `ty` (`times` copies of it) to `est`."""
    if isinstance(ty, T.Optional):
        _estimate(ty.inner, path, est, times, encoding)
    elif isinstance(ty, T.Str):
        if ty.max_tokens is not None:
            est.tokens += times * ty.max_tokens
        elif ty.max_len is not None:
            est.tokens += times * math.ceil(ty.max_len / 3)
            est.by_len = True
        else:
            est.unbounded.append(path)
    elif isinstance(ty, T.Literal):
        est.tokens += times * max((tokens.count(v, encoding) for v in ty.values), default=0)
    elif isinstance(ty, (T.Int, T.Float, T.Bool)):
        est.tokens += times * SCALAR_TOKENS
    elif isinstance(ty, T.List):
        if ty.max_items is None:
            est.unbounded.append(path)
        else:
            _estimate(ty.item, f"{path}[]", est, times * ty.max_items, encoding)
    elif isinstance(ty, T.Object):
        for name, field_ty in ty.fields:
            _estimate(field_ty, f"{path}.{name}", est, times, encoding)
    else:  # maps (keys have no bound) and unknown types
        est.unbounded.append(path)
