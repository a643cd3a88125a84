"""`promptc tokens`: what one call of each prompt needs, in tokens and in money.

Everything comes from the compiled bundle: the static counts of its `tokens` field, and a
walk over each message's IR for the largest text it can render:

- text counts as tiktoken counts it (exact for the bundle's encoding);
- of each `if`, the largest branch; a loop body once per item the list may hold
  (`max_items`);
- each `{{ expr }}` at the largest value its input type allows: a `str` counts its
  `max_tokens` when declared (a bound), else `max_len / 3` tokens rounded up, or the length
  an anchored `pattern` allows (estimates: about three characters a token); an enum its
  longest member; numbers a few tokens; a list `max_items` items; an object its fields as
  JSON. A value with no bound (a `str` without one, a list without `max_items`, a map)
  makes the message unbounded: its count is then a lower bound, and the paths are named.

Not counted: tool definitions, the output schema and the chat format's few tokens a message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from .. import tokens
from ..pricing import PRICES_AS_OF, price_for
from ..runtime.values import stringify, tojson

#: A number rendered as text: a few tokens at most (20 digits are 7 tokens).
SCALAR_TOKENS = 8

#: `exact` counts only text; `bound` adds declared bounds; `estimate` uses max_len, a
#: pattern's length or a proxy encoding; `unbounded` leaves some value out (a lower bound).
KINDS = ("exact", "bound", "estimate", "unbounded")

LOOP_SCHEMA = {"type": "object", "properties": {"index": {"type": "integer"}, "first": {"type": "boolean"},
                                                "last": {"type": "boolean"}}}


@dataclass
class Size:
    tokens: int = 0
    inputs: bool = False  # some part depends on the inputs
    estimated: bool = False
    unbounded: list[str] = field(default_factory=list)

    def add(self, other: "Size", times: int = 1) -> "Size":
        self.tokens += other.tokens * times
        self.inputs |= other.inputs
        self.estimated |= other.estimated
        for p in other.unbounded:
            if p not in self.unbounded:
                self.unbounded.append(p)
        return self

    @property
    def kind(self) -> str:
        if self.unbounded:
            return "unbounded"
        if self.estimated:
            return "estimate"
        return "bound" if self.inputs else "exact"


def _worse(a: str, b: str) -> str:
    return max(a, b, key=KINDS.index)


# --- schemas ------------------------------------------------------------------------------

def schema_alternatives(schema: dict) -> list[dict]:
    """The alternatives of a schema, with `anyOf`/`oneOf` flattened (a non-dict has none)."""
    if not isinstance(schema, dict):
        return [{}]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return [alt for s in schema[key] for alt in schema_alternatives(s)]
    return [schema]


def schema_types(schema: dict) -> set[str]:
    """The JSON types a schema admits; \"any\" when it does not say."""
    out: set[str] = set()
    for alt in schema_alternatives(schema):
        t = alt.get("type")
        if isinstance(t, list):
            out.update(t)
        elif isinstance(t, str):
            out.add(t)
        elif "enum" in alt or "const" in alt:
            values = alt.get("enum", [alt.get("const")])
            out.update(json_type(v) for v in values)
        else:
            out.add("any")
    return out


def json_type(v: Any) -> str:
    """A JSON value's type name as JSON Schema's `type` spells it (numbers as `number`)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _field(schema: dict, name: str) -> dict:
    found = [alt["properties"][name] for alt in schema_alternatives(schema)
             if isinstance(alt.get("properties"), dict) and name in alt["properties"]]
    if not found:
        return {"type": "null"}
    return found[0] if len(found) == 1 else {"anyOf": found}


def _items(schema: dict) -> tuple[dict, int | None]:
    """The item schema of a list and the most items it may hold (None: no bound)."""
    items, most = [], 0
    for alt in schema_alternatives(schema):
        if alt.get("type") == "array":
            items.append(alt.get("items", {}))
            n = alt.get("maxItems")
            most = None if n is None or most is None else max(most, n)
    if not items:
        return {}, 0
    return (items[0] if len(items) == 1 else {"anyOf": items}), most


def pattern_length(pattern: str) -> int | None:
    """The most characters a string matching an anchored `^…$` pattern can have, if finite."""
    try:  # Python 3.11+
        import re._constants as constants
        import re._parser as parser
    except ImportError:  # pragma: no cover
        import sre_constants as constants  # type: ignore[no-redef]
        import sre_parse as parser  # type: ignore[no-redef]
    AT, AT_BEGINNING, AT_END, MAXREPEAT = constants.AT, constants.AT_BEGINNING, constants.AT_END, constants.MAXREPEAT
    try:
        parsed = parser.parse(pattern)
    except Exception:
        return None
    items = list(parsed)
    if not items or items[0] != (AT, AT_BEGINNING) or items[-1] != (AT, AT_END):
        return None
    low, high = parsed.getwidth()
    return high if high < MAXREPEAT - 1 and high < 1_000_000 else None


class _Sizer:
    def __init__(self, inputs: dict, encoding: str):
        self.inputs = inputs.get("properties", {}) if isinstance(inputs, dict) else {}
        self.encoding = encoding

    def count(self, text: str) -> int:
        return tokens.count(text, self.encoding)

    # A value of a schema, rendered as text ({{ x }}) or inside JSON (tojson, or a list or
    # object rendered as text).

    def value(self, schema: dict, path: str, as_json: bool = False) -> Size:
        alts = schema_alternatives(schema)
        if len(alts) > 1:
            best = Size(inputs=True)
            for alt in alts:
                s = self.value(alt, path, as_json)
                best.tokens = max(best.tokens, s.tokens)
                best.add(Size(0, s.inputs, s.estimated, s.unbounded))
            return best
        s = alts[0]
        out = Size(inputs=True)
        if "enum" in s or "const" in s:
            values = s.get("enum", [s.get("const")])
            render = tojson if as_json else stringify  # as the renderer writes them (2.0 as 2)
            out.tokens = max((self.count(render(v)) for v in values), default=0)
            return out
        t = s.get("type")
        if t == "null":
            out.tokens = 1 if as_json else 0
        elif t == "boolean":
            out.tokens = 1
        elif t == "integer":
            out.tokens = SCALAR_TOKENS
        elif t == "number":
            out.tokens = SCALAR_TOKENS
            out.estimated = True
        elif t == "string":
            self._string(s, path, out)
            if as_json:
                out.tokens += 2  # the quotes; escapes may add more
                out.estimated = True
        elif t == "array" or (t is None and "items" in s):
            item, most = _items({**s, "type": "array"})
            if most is None:
                out.unbounded.append(path)
            else:
                out.add(self.value(item, f"{path}[]", as_json=True), times=most)
                out.tokens += 2 + max(most - 1, 0)  # brackets and separators
        elif t == "object" or (t is None and "properties" in s):
            extra = s.get("additionalProperties", True)
            if isinstance(extra, dict) and extra is not False:
                out.unbounded.append(f"{path}.*")
            for key, sub in (s.get("properties") or {}).items():
                out.add(self.value(sub, f"{path}.{key}", as_json=True))
                out.tokens += self.count(json.dumps(key)) + 2  # ": " and ", "
            out.tokens += 2
        else:  # no type: any value
            out.unbounded.append(path)
        return out

    def _string(self, s: dict, path: str, out: Size) -> None:
        if isinstance(s.get("x-max-tokens"), int):
            out.tokens = s["x-max-tokens"]
            return
        length = s.get("maxLength")
        if not isinstance(length, int) and isinstance(s.get("pattern"), str):
            length = pattern_length(s["pattern"])
        if isinstance(length, int):
            out.tokens = math.ceil(length / 3)
            out.estimated = True
            return
        out.unbounded.append(path)

    # Expressions and nodes.

    def schema_of(self, expr: dict, env: dict) -> tuple[dict, str]:
        """The schema of an expression's value, and a path naming it."""
        kind = expr["kind"]
        if kind == "var":
            head, *rest = expr["path"]
            if head in env:
                schema, path = env[head]
            else:
                schema, path = self.inputs.get(head, {}), head
            for name in rest:
                schema, path = _field(schema, name), f"{path}.{name}"
            return schema, path
        if kind == "const":
            return {"const": expr["value"]}, "const"
        if kind == "filter":
            name = expr["name"]
            if name in ("upper", "lower", "trim", "title"):
                return self.schema_of(expr["arg"], env)
            if name == "default":
                schema, path = self.schema_of(expr["arg"], env)
                fallback, _ = self.schema_of(expr["args"][0], env) if expr.get("args") else ({}, "")
                return {"anyOf": [schema, fallback]}, path
            if name == "length":
                return {"type": "integer"}, "length"
            return {"type": "string"}, name
        return {"type": "boolean"}, kind

    def expr(self, expr: dict, env: dict) -> Size:
        kind = expr["kind"]
        if kind == "const":
            return Size(self.count(stringify(expr["value"])))
        if kind in ("compare", "and", "or", "not"):
            return Size(1, inputs=True)
        if kind == "var":
            schema, path = self.schema_of(expr, env)
            return self.value(schema, path)
        name = expr["name"]
        if name == "trim":
            return self.expr(expr["arg"], env)
        if name in ("upper", "lower", "title"):
            size = self.expr(expr["arg"], env)
            size.estimated |= size.inputs  # a change of case changes the count
            return size
        if name == "default":
            size = self.expr(expr["arg"], env)
            if expr.get("args"):
                other = self.expr(expr["args"][0], env)
                size.add(Size(0, other.inputs, other.estimated, other.unbounded))
                size.tokens = max(size.tokens, other.tokens)
            return size
        if name == "length":
            return Size(SCALAR_TOKENS, inputs=True)
        if name == "join":
            schema, path = self.schema_of(expr["arg"], env)
            item, most = _items(schema)
            sep = expr["args"][0]["value"] if expr.get("args") and expr["args"][0]["kind"] == "const" else ""
            out = Size(inputs=True)
            if most is None:
                out.unbounded.append(path)
                return out
            out.add(self.value(item, f"{path}[]"), times=most)
            out.tokens += max(most - 1, 0) * self.count(stringify(sep))
            return out
        if name == "tojson":
            schema, path = self.schema_of(expr["arg"], env)
            return self.value(schema, path, as_json=True)
        size = self.expr(expr["arg"], env)
        size.estimated = True
        return size

    def nodes(self, nodes: list[dict], env: dict) -> Size:
        total = Size()
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                total.tokens += self.count("".join(buffer))
                buffer.clear()

        for node in nodes:
            kind = node["kind"]
            if kind == "text":
                buffer.append(node["text"])
                continue
            flush()
            if kind == "expr":
                total.add(self.expr(node["expr"], env))
            elif kind == "if":
                options = [self.nodes(b["body"], env) for b in node["branches"]] + [self.nodes(node["else"], env)]
                largest = max(o.tokens for o in options)
                merged = Size()
                for o in options:
                    merged.add(Size(0, o.inputs, o.estimated, o.unbounded))
                merged.tokens = largest
                total.add(merged)
            elif kind == "for":
                schema, path = self.schema_of(node["iter"], env)
                item, most = _items(schema)
                body = self.nodes(node["body"], {**env, node["var"]: (item, f"{path}[]"),
                                                 node.get("loop", "loop"): (LOOP_SCHEMA, "loop")})
                if most is None:
                    total.add(body)
                    total.add(Size(0, True, False, [path]))
                else:
                    total.add(body, times=most)
                    total.inputs = True
        flush()
        return total


# --- reports --------------------------------------------------------------------------------

@dataclass
class MessageReport:
    index: int
    role: str
    static: int
    largest: Size

    def to_json(self, exact: bool) -> dict:
        return {"index": self.index, "role": self.role, "static_tokens": self.static,
                "largest_tokens": self.largest.tokens, "largest_kind": _kind(self.largest.kind, exact),
                **({"unbounded": self.largest.unbounded} if self.largest.unbounded else {})}


@dataclass
class PromptReport:
    name: str
    version: str
    model: str | None
    counting: tokens.Counting
    messages: list[MessageReport]
    max_tokens: int | None
    context_window: int | None
    price: Any = None  # config.Price
    price_source: str | None = None  # "promptc.toml" or "list prices of DATE"

    @property
    def static(self) -> int:
        return sum(m.static for m in self.messages)

    @property
    def largest(self) -> Size:
        total = Size()
        for m in self.messages:
            total.add(m.largest)
        return total

    @property
    def kind(self) -> str:
        return _kind(self.largest.kind, self.counting.exact)

    def cost(self) -> dict | None:
        if self.price is None:
            return None
        per_in, per_out = self.price.input_per_mtok, self.price.output_per_mtok
        out = {"currency": "USD", "input_per_mtok": per_in, "output_per_mtok": per_out, "price_source": self.price_source,
               "static_input": round(self.static * per_in / 1e6, 6),
               "largest_input": round(self.largest.tokens * per_in / 1e6, 6),
               "largest_input_kind": self.kind}
        if self.max_tokens:
            out["largest_output"] = round(self.max_tokens * per_out / 1e6, 6)
            out["largest_call"] = round(out["largest_input"] + out["largest_output"], 6)
        return out

    def to_json(self) -> dict:
        largest = self.largest
        total = largest.tokens + (self.max_tokens or 0)
        return {
            "name": self.name, "version": self.version, "model": self.model,
            **self.counting.to_json(),
            "messages": [m.to_json(self.counting.exact) for m in self.messages],
            "static_tokens": self.static,
            "largest_input_tokens": largest.tokens,
            "largest_input_kind": self.kind,
            "unbounded": largest.unbounded,
            "max_tokens": self.max_tokens,
            "context_window": self.context_window,
            "fits_context_window": (None if not self.context_window or not self.max_tokens
                                    else (total <= self.context_window if not largest.unbounded
                                          else (False if total > self.context_window else None))),
            "cost": self.cost(),
            "not_counted": ["tool definitions", "output schema", "chat-format overhead per message"],
        }


def _kind(kind: str, exact: bool) -> str:
    return kind if exact else _worse(kind, "estimate")


def report(bundle: dict, prices: dict | None = None) -> PromptReport:
    """The token report of one compiled bundle (a dict, as `compile_project` makes it)."""
    spec = bundle["spec"]
    recorded = bundle.get("tokens") or {}
    model = (spec.get("model") or {}).get("name")
    encoding = recorded.get("encoding") or "cl100k_base"
    if "exact" in recorded:
        counting = tokens.Counting(encoding, bool(recorded["exact"]), recorded.get("method"))
    else:  # a bundle from before `exact` was recorded
        counting = tokens.for_model(model, encoding)
    sizer = _Sizer(spec.get("inputs") or {}, counting.encoding)
    statics = recorded.get("messages") or [tokens.count(tokens.static_text(m["content"]), counting.encoding)
                                           for m in spec["messages"]]
    messages = [MessageReport(i + 1, m["role"], statics[i], sizer.nodes(m["content"], {}))
                for i, m in enumerate(spec["messages"])]
    settings = spec.get("model") or {}
    price, source = price_for(model, prices)
    return PromptReport(bundle["name"], bundle["version"], model, counting, messages,
                        settings.get("max_tokens"), settings.get("context_window"), price, source)


# --- text ---------------------------------------------------------------------------------

MARKS = {"exact": "", "bound": "≤", "estimate": "~", "unbounded": "≥"}


def _n(value: int) -> str:
    return f"{value:,}"


def _usd(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def _price(value: float) -> str:
    return f"${value:,.2f}" if round(value, 2) == value else f"${value:g}"


def _source(source: str) -> str:
    return "from promptc.toml" if source == "promptc.toml" else f"promptc's {source}; [prices] in promptc.toml overrides"


def render_text(reports: list[PromptReport]) -> str:
    lines: list[str] = []
    for r in reports:
        if lines:
            lines.append("")
        how = "exact" if r.counting.exact else "estimate"
        lines.append(f"{r.name} {r.version}  model {r.model or '(none)'}  encoding {r.counting.encoding} ({how})")
        if r.counting.method:
            lines.append(f"  {r.counting.method}")
        lines.append(f"  {'#':>2}  {'role':<9}  {'static':>8}  {'largest':>10}")
        for m in r.messages:
            kind = _kind(m.largest.kind, r.counting.exact)
            lines.append(f"  {m.index:>2}  {m.role:<9}  {_n(m.static):>8}  {MARKS[kind] + _n(m.largest.tokens):>10}")
        largest = r.largest
        lines.append(f"  {'':>2}  {'total':<9}  {_n(r.static):>8}  {MARKS[r.kind] + _n(largest.tokens):>10}")
        if largest.unbounded:
            lines.append("  unbounded, not counted: " + ", ".join(largest.unbounded))
        if r.max_tokens:
            call = largest.tokens + r.max_tokens
            reply = f"  reply: max_tokens {_n(r.max_tokens)}; a largest call {MARKS[r.kind]}{_n(call)} tokens"
            if r.context_window:
                verdict = ("fits" if call <= r.context_window and not largest.unbounded
                           else "may not fit" if not largest.unbounded or call > r.context_window
                           else "may not fit (unbounded inputs)")
                reply += f"; context window {_n(r.context_window)}: {verdict}"
            lines.append(reply)
        else:
            lines.append("  reply: no max_tokens in the model settings, so the reply is not bounded")
        cost = r.cost()
        if cost is None:
            lines.append(f"  cost: no price for {r.model}: promptc's list prices of {PRICES_AS_OF} do not have it; "
                         f"add [prices.\"{r.model}\"] to promptc.toml" if r.model else "  cost: the prompt names no model")
        else:
            head = (f"  cost ({_price(cost['input_per_mtok'])} in, {_price(cost['output_per_mtok'])} out per "
                    f"million tokens, {_source(cost['price_source'])}): ")
            parts = [f"static text {_usd(cost['static_input'])}"]
            if "largest_call" in cost:
                parts.append(f"a largest call {MARKS[r.kind]}{_usd(cost['largest_call'])} "
                             f"(input {MARKS[r.kind]}{_usd(cost['largest_input'])}, reply ≤{_usd(cost['largest_output'])})")
            else:
                parts.append(f"largest input {MARKS[r.kind]}{_usd(cost['largest_input'])}, reply not bounded")
            lines.append(head + "; ".join(parts))
    if reports:
        lines += ["", "static: the message text, every branch once (the bundle's `tokens`); largest: the largest "
                      "text a call can render.",
                  "≤ an upper bound from declared bounds; ~ an estimate (max_len/3 tokens a string, or a proxy "
                  "encoding); ≥ at least: some input has no size bound.",
                  "Not counted: tool definitions, the output schema, the chat format's few tokens a message."]
    return "\n".join(lines)
