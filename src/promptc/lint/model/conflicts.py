"""Conflicts: pairs of passages of one message that cannot both be followed, by kind.

This is a feature of the message model: it reads directives (`clauses`), units and the
message's scoping questions (`MessageModel.always_together`), and the declared output.
Kinds:

- numeric: bounds on the same measured thing that no value satisfies ("no more than two
  paragraphs" / "no fewer than four paragraphs"), and a definite reference to a quantity
  the text set otherwise ("count to 15 seconds … at the end of the 10 seconds");
- polarity: one action on one object required and prohibited, or required "always" and
  "only when needed";
- language: a fixed reply language against another, against its own prohibition, or
  against "the user's language";
- format: lists forbidden and asked for, Markdown (or plain text) against Markdown
  constructs, a construct forbidden and asked for, a JSON-only reply against prose before
  or after it, two containers for the one reply;
- length: brevity against elaboration for the same output;
- example: an example that breaks a stated bound, or a code example whose return type
  differs from the stated one;
- schema: a stated count of categories or fields that the declared output or the listed
  options contradict;
- identifier: one name spelled two ways that differ only in separators;
- context: material said to follow, and the request said to come without any.

What is not a conflict stays silent: different `{% if %}` branches, different situations
(sections such as "## Emails" / "## Reports"), conditions and exceptions in prose,
different objects ("links to the guide" / "links to competitors"), examples, quotes and
transcripts (outside the example kind, which reads them on purpose).
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Iterator

from . import lexicon as L
from typing import TYPE_CHECKING

from .clauses import Directive, Measure, directives_of, number
from .segments import Unit

if TYPE_CHECKING:
    from .message import MessageModel


@dataclass(frozen=True)
class Conflict:
    """A later passage (`at`) that contradicts an earlier one (`first`), with its kind;
    offsets are in the message document."""

    kind: str
    first: tuple[int, int]
    at: tuple[int, int]
    message: str
    label: str


def conflicts(model: MessageModel, output: dict | None = None) -> list[Conflict]:
    """Every conflict of the message, at most one of a kind per later unit, in order."""
    _FEATURES.table = {}  # each directive's stances, read once (the pair loop is quadratic)
    try:
        return _conflicts(model, output)
    finally:
        _FEATURES.table = None


_FEATURES = threading.local()


def _per_directive(fn):
    """`fn(d)` computed once per directive during one `conflicts` call."""
    def memo(d):
        table = getattr(_FEATURES, "table", None)
        if table is None:
            return fn(d)
        k = (fn, id(d))
        if k not in table:
            table[k] = fn(d)
        return table[k]
    return functools.wraps(fn)(memo)


def _conflicts(model: MessageModel, output: dict | None) -> list[Conflict]:
    ds = [d for u in model.units if not u.example for d in directives_of(u)]
    out: list[Conflict] = []
    seen: set[tuple] = set()

    def add(c: Conflict | None, a: Unit, b: Unit) -> None:
        if c is None:
            return
        key = (c.kind, id(b))  # one finding of a kind per later passage
        if key not in seen:
            seen.add(key)
            out.append(c)

    json_declared = (output or {}).get("type") == "json"
    scopes: dict[tuple[int, int], tuple[bool, bool]] = {}  # by pair of units: co-occur, always together
    # Only pairs that some check could report are compared (`_roles`); in the same order.
    live = [(d, r) for d in ds if (r := _roles(d))]
    # Earlier directives indexed by what they could conflict over: a shared role of these
    # kinds, or (polarity, always/need) the same action.
    by_role: dict[int, list[int]] = {bit: [] for bit in (_NUM, _LANG, _FMT, _LEN)}
    by_action: dict[str, list[int]] = {}
    for j, (b, rb) in enumerate(live):
        candidates: set[int] = set()
        for bit, earlier in by_role.items():
            if rb & bit:
                candidates.update(earlier)
                earlier.append(j)
        if rb & _ACTION_ROLES and b.action:
            same = by_action.setdefault(b.action, [])
            candidates.update(same)
            same.append(j)
        for i in sorted(candidates):
            a, ra = live[i]
            if not _may_conflict(ra, rb) or a.unit is b.unit:
                continue
            pair = (id(a.unit), id(b.unit))
            scope = scopes.get(pair)
            if scope is None:
                scope = scopes[pair] = (model.can_co_occur(a.unit, b.unit), model.always_together(a.unit, b.unit))
            if not scope[0]:
                continue
            tog = scope[1] and not a.condition and not b.condition  # both hold for every reply at once
            for check in _PAIR_CHECKS:
                add(check(a, b, tog), a.unit, b.unit)
            add(_always_vs_need(model, a, b), a.unit, b.unit)
    for c in _definite_references(model, ds):
        out.append(c)
    for d in ds:
        c = _json_prose(model, d, json_declared)
        if c:
            out.append(c)
    out.extend(_schema(model, ds, output))
    out.extend(_examples(model, ds))
    out.extend(_identifiers(model))
    out.extend(_context(model, ds))
    return sorted(out, key=lambda c: c.at)


# --- scope --------------------------------------------------------------------------

def _always_vs_need(model: MessageModel, a: Directive, b: Directive) -> Conflict | None:
    """"Always use X" against "use X if required": once the only condition is the need."""
    if not (a.always and a.modality == "require" or b.always and b.modality == "require"):
        return None
    if not (model.can_co_occur(a.unit, b.unit) and a.unit.situation == b.unit.situation):
        return None
    for x, y in ((a, b), (b, a)):
        if x.modality == "require" and x.always and not x.condition and not model.condition(x.unit) \
                and y.modality in ("require", "permit") and y.need and not y.always \
                and x.action and x.action == y.action and x.action not in _GENERIC_ACTIONS \
                and x.object and _same_object(x, y):
            first, later = (x, y) if x.start < y.start else (y, x)
            return Conflict("polarity", _span(first), _span(later),
                            f"one instruction says to {x.action} {x.object} always, another only when needed",
                            "the other instruction")
    return None


_NUM, _LANG, _FMT, _LEN, _POL_REQ, _POL_PRO, _ALWAYS, _NEED = (1 << i for i in range(8))


def _roles(d: Directive) -> int:
    """The pair checks `d` could take part in: each check returns None for a directive
    outside its role, so a pair that shares none is never compared."""
    roles = 0
    if d.measures:
        roles |= _NUM
    if _language(d) and d.modality in ("require", "prohibit"):
        roles |= _LANG
    if not _scoped(d) and not d.need and (_list_stance(d) or _markdown_stance(d) or _container(d)):
        roles |= _FMT
    if _length_stance(d):
        roles |= _LEN
    if d.action and d.action not in _GENERIC_ACTIONS and not d.measures and not _language(d):
        roles |= {"require": _POL_REQ, "prohibit": _POL_PRO}.get(d.modality, 0)
    if d.modality == "require" and d.always:
        roles |= _ALWAYS
    if d.modality in ("require", "permit") and d.need and not d.always:
        roles |= _NEED
    return roles


_ACTION_ROLES = _POL_REQ | _POL_PRO | _ALWAYS | _NEED


def _may_conflict(ra: int, rb: int) -> bool:
    return bool(ra & rb & (_NUM | _LANG | _FMT | _LEN) or ra & _POL_REQ and rb & _POL_PRO
                or ra & _POL_PRO and rb & _POL_REQ or ra & _ALWAYS and rb & _NEED or ra & _NEED and rb & _ALWAYS)


def _span(d: Directive) -> tuple[int, int]:
    return d.start, d.end


# --- numeric ------------------------------------------------------------------------

def _numeric(a: Directive, b: Directive, together: bool) -> Conflict | None:
    if not together:
        return None
    for ma in a.measures:
        for mb in b.measures:
            if ma.definite or mb.definite or ma.unit != mb.unit:
                continue
            if not (_binding(a, ma) and _binding(b, mb)):
                continue
            if ma.per == mb.per and ma.target == mb.target and ma.disjoint(mb):
                return Conflict("numeric", (ma.start, ma.end), (mb.start, mb.end),
                                f"“{mb.text.strip()}”{_about(mb)} cannot be met together with “{ma.text.strip()}”",
                                "the other bound")
            whole, part = (ma, mb) if ma.per is None and mb.per else (mb, ma) if mb.per is None and ma.per else (
                None, None)
            if whole and whole.target is None and part.target is None and whole.high is not None and \
                    part.low is not None and part.low > whole.high:
                return Conflict("numeric", (ma.start, ma.end), (mb.start, mb.end),
                                f"“{part.text.strip()}” for each {part.per} is more than “{whole.text.strip()}” for "
                                f"the whole reply", "the other bound")
    return None


def _binding(d: Directive, m: Measure) -> bool:
    """A bound the directive sets: a comparative, or a bare count that is asked for; a
    statement binds only when it is about the reply ("Replies are under 50 words"), not
    when it describes something ("The input has at least 1000 words")."""
    if m.bare:
        return d.modality == "require"
    if d.modality is None:
        return m.target is None and bool(_REPLY_SUBJECT_RE.search(d.plain))
    return True


_REPLY_SUBJECT_RE = re.compile(r"\b(?:replies|reply|responses?|answers?|outputs?|messages?)\b", re.I)


def _about(m: Measure) -> str:
    if m.per:
        return f" for each {m.per}"
    return f" for the {m.target}" if m.target else ""


def _definite_references(model: MessageModel, ds: list[Directive]) -> Iterator[Conflict]:
    """"the 10 seconds" where the same passage set another number of seconds and nothing
    set ten."""
    for d in ds:
        for m in d.measures:
            if not m.definite:
                continue
            others = [(e, o) for e in ds for o in e.measures if o is not m and o.unit == m.unit]
            if any(o.low == m.low or o.high == m.high for _, o in others):
                continue
            near = [(e, o) for e, o in others if e.unit.line == d.unit.line and not o.definite
                    and o.low is not None and o.low == o.high]
            if near:
                e, o = near[0]
                yield Conflict("numeric", (o.start, o.end), (m.start, m.end),
                               f"“{m.text.strip()}” refers to a quantity the text set as “{o.text.strip()}”",
                               "set here")


# --- polarity -----------------------------------------------------------------------

_GENERIC_ACTIONS = {"be", "do", "have", "get", "make", "keep", "let", "go", "take", "try", "see", "know", "think",
                    "need", "want", "like", "feel", "seem", "stay", "remain", "become", "treat", "handle"}
_FORMAT_OBJECTS = {"item", "list", "markdown", "heading", "table", "json", "emoji", "bold", "formatting", "format",
                   "bullet", "code block", "tone", "language", "style"}


def _polarity(a: Directive, b: Directive, together: bool) -> Conflict | None:
    if not together or {a.modality, b.modality} != {"require", "prohibit"}:
        return None
    if not a.action or a.action != b.action or a.action in _GENERIC_ACTIONS:
        return None
    if _language(a) or _language(b) or a.measures or b.measures:
        return None
    if _REGISTER_RE.search(a.plain) or _REGISTER_RE.search(b.plain):
        return None  # a clash of registers is tone-collision's finding
    if a.object in _FORMAT_OBJECTS or b.object in _FORMAT_OBJECTS:
        return None
    if not _same_object(a, b):
        return None
    req, pro = (a, b) if a.modality == "require" else (b, a)
    if pro.qualifier and pro.qualifier != req.qualifier:
        return None  # "never link to competitors" leaves "link to the guide" allowed
    if req.qualifier and not pro.qualifier and not _universal(pro.object) and req.object != pro.object:
        return None
    verb = "forbids" if b.modality == "prohibit" else "requires"
    other = "requires" if b.modality == "prohibit" else "forbids"
    what = f"{a.action} {req.object}" if req.object else a.action
    return Conflict("polarity", _span(a), _span(b), f"this {verb} what another instruction {other} ({what})",
                    f"this {other} it")


_REGISTER_RE = re.compile(r"\b(?:emojis?|emoticons?|tone|formal|informal|casual|humou?r|jokes?|slang|playful|"
                          r"exclamation)\b", re.I)


def _same_object(a: Directive, b: Directive) -> bool:
    if a.object == b.object:
        return a.target_user == b.target_user or a.action == "ask"
    if a.action == "ask" and (a.target_user or b.target_user):
        return _universal(a.object) or _universal(b.object)
    return False


def _universal(obj: str | None) -> bool:
    return obj is None or obj in L.UNIVERSAL or obj.split()[-1] in L.UNIVERSAL


# --- language -----------------------------------------------------------------------

_REPLY_ACTIONS = {"reply", "write", "give", "use", "explain"}


@_per_directive
def _language(d: Directive) -> tuple[str, str | None] | None:
    """("fixed", language) or ("user", None) when the clause sets the reply's language."""
    text = d.plain
    if d.action in ("translate",) or L.FALLBACK_LANGUAGE_RE.search(text) or d.condition:
        return None
    user = L.USER_LANGUAGE_RE.search(text)
    if user and L.DESPITE_RE.search(text[:user.start()]):
        user = None  # "in English, regardless of the user's language"
    if user and (d.action in _REPLY_ACTIONS or "language" in d.lower):
        return "user", None
    m = L.LANGUAGE_RE.search(text)
    if m and d.action in _REPLY_ACTIONS and (d.action == "reply" or d.object is None or d.object in L.REPLY_NOUNS
                                             or d.object == "reply" or d.object.split()[-1] == "reply"
                                             or d.object.lower() in L.LANGUAGES):
        return "fixed", m.group(1).lower()
    return None


def _language_conflict(a: Directive, b: Directive, together: bool) -> Conflict | None:
    if not together:
        return None
    la, lb = _language(a), _language(b)
    if not la or not lb or a.modality not in ("require", "prohibit") or b.modality not in ("require", "prohibit"):
        return None
    (ka, va), (kb, vb) = la, lb
    msg = None
    if a.modality == b.modality == "require":
        if ka == kb == "fixed" and va != vb:
            msg = f"one instruction fixes the reply language to {va.title()}, another to {vb.title()}"
        elif {ka, kb} == {"fixed", "user"}:
            fixed = va or vb
            msg = f"one instruction fixes the reply language to {fixed.title()}, another says to match the user's"
    elif ka == kb == "fixed" and va == vb:
        msg = f"one instruction requires replies in {va.title()} and another forbids them"
    if msg is None:
        return None
    return Conflict("language", _span(a), _span(b), msg, "the other language instruction")


# --- format -------------------------------------------------------------------------

_SCOPE_RE = re.compile(r"\b(?:in|for|within|inside|on|to)\s+(?:the\s+|your\s+|a\s+|an\s+|any\s+|all\s+)?"
                       r"(?:([a-z][a-z-]+)\s+)?([a-z][a-z-]+)\b", re.I)


@_per_directive
def _scoped(d: Directive) -> bool:
    """The clause names a thing other than the reply it applies to: "no Markdown in commit
    messages", "use headings in the PR description"."""
    for m in _SCOPE_RE.finditer(d.plain):
        if (m.group(2) or "").lower() in L.ARTIFACTS or (m.group(1) or "").lower() in L.ARTIFACTS:
            return True
    return False


@_per_directive
def _list_stance(d: Directive) -> str | None:
    text = d.plain
    if L.PROSE_NOT_LIST_RE.search(text):
        return "forbid"
    if d.modality == "prohibit" and L.LIST_RE.search(text):
        return "forbid"
    if d.modality == "require" and L.LIST_ASK_RE.search(text):
        return "require"
    return None


@_per_directive
def _markdown_stance(d: Directive) -> tuple[str, str] | None:
    """("forbid", "markdown"), ("forbid", construct) or ("require", construct)."""
    text = d.plain
    if d.modality == "prohibit" or L.NO_OPEN_RE.match(text):
        for name, rx in L.CONSTRUCTS.items():
            if rx.search(text):
                if name == "code block" and _JSON_WRAPPER_RE.search(text):
                    return None  # "no text before or after it, no code fences": the JSON's wrapping
                return "forbid", name
        if L.MARKDOWN_RE.search(text):
            return "forbid", "markdown"
    if L.PLAIN_RE.search(text) and d.modality in ("require", None) and not re.search(r"\bnot\b", text, re.I):
        return "forbid", "plain"
    if d.modality == "require" and L.MARKDOWN_RE.search(text) and not L.PLAIN_RE.search(text) \
            and not re.search(r"\bformatting\b", text, re.I):
        return "require", "markdown"
    if d.modality == "require":
        for name, rx in L.CONSTRUCTS.items():
            hit = rx.search(text)
            if hit and not re.search(r"\b(?:not|no|never|without|instead\s+of|rather\s+than)\s+(?:\w+\s+){0,2}$",
                                     text[:hit.start()], re.I):
                if name == "table" and L.CONTAINERS["csv"].search(text):
                    continue
                return "require", name
    return None


_JSON_WRAPPER_RE = re.compile(r"\b(?:json|(?:before|after|around)\s+(?:it|the\s+(?:json|object|reply|output))|"
                              r"wrap(?:ped|ping)?)\b", re.I)


def _format(a: Directive, b: Directive, together: bool) -> Conflict | None:
    if not together or _scoped(a) or _scoped(b) or a.need or b.need:
        return None
    sa, sb = _list_stance(a), _list_stance(b)
    if sa and sb and sa != sb:
        return Conflict("format", _span(a), _span(b), "one instruction forbids lists and another asks for one",
                        "the other list instruction")
    ma, mb = _markdown_stance(a), _markdown_stance(b)
    if ma and mb and ma[0] != mb[0]:
        ban, ask = (ma, mb) if ma[0] == "forbid" else (mb, ma)
        if ban[1] in ("markdown", "plain") or ban[1] == ask[1]:
            what = {"markdown": "forbids Markdown", "plain": "asks for plain text"}.get(ban[1], f"forbids {ban[1]}s")
            asked = "Markdown" if ask[1] == "markdown" else f"{ask[1]}s"
            return Conflict("format", _span(a), _span(b), f"one instruction {what} and another asks for {asked}",
                            "the other instruction")
    ca, cb = _container(a), _container(b)
    if ca and cb and ca != cb:
        return Conflict("format", _span(a), _span(b),
                        f"one instruction asks for the reply as {ca}, another as {cb}", "the other format")
    return None


@_per_directive
def _container(d: Directive) -> str | None:
    if d.modality != "require" or d.condition:
        return None
    m = L.REPLY_AS_RE.search(d.plain)
    if not m:
        return None
    after = d.plain[m.end():m.end() + 30]
    for name, rx in L.CONTAINERS.items():
        hit = rx.match(after) or (name == "markdown table" and rx.match("a " + after))
        if hit:
            return name
    return None


def _json_prose(model: MessageModel, d: Directive, declared: bool) -> Conflict | None:
    """A JSON-only reply (declared, or said) against prose before or after it."""
    if d.modality != "require" or d.condition or model.condition(d.unit) or "`" in d.text:
        return None
    m = L.PREAMBLE_RE.search(d.plain)
    if not m or L.FIELD_WORDS_RE.search(d.plain) or _scoped(d):
        return None
    if declared:
        return Conflict("format", (d.start, d.start), (d.start + m.start(), d.end),
                        "the module declares `output json`, so the reply is JSON alone; this asks for prose around "
                        "it", "")
    for u in model.units:
        if u is d.unit or u.example or not model.always_together(u, d.unit):
            continue
        for e in directives_of(u):
            if e.modality == "require" and L.JSON_ONLY_RE.search(e.plain) and not e.condition:
                return Conflict("format", _span(e), (d.start + m.start(), d.end),
                                "one instruction asks for JSON alone, another for prose around it",
                                "JSON only, here")
    return None


# --- length -------------------------------------------------------------------------

@_per_directive
def _length_stance(d: Directive) -> str | None:
    text = d.plain
    if L.LENGTH_HEDGE_RE.search(text) or d.modality in ("permit",):
        return None
    brief = L.BRIEF_RE.search(text)
    long_ = L.LONG_RE.search(text)
    if brief and long_:
        return None
    if not brief and not long_:
        return None
    if d.modality is None and not re.search(r"\b(?:be|keep|stay|remain|make|answer|respond|reply|write|explain)\b",
                                            text, re.I):
        return None
    stance = "brief" if brief else "long"
    hit = brief or long_
    if d.modality == "prohibit" and not re.match(r"(?:without|no)\b", hit.group(0), re.I):
        stance = "long" if stance == "brief" else "brief"
    return stance


@_per_directive
def _length_target(d: Directive) -> str | None:
    if d.action in ("reply", "be", "stay", "remain", "sound") or d.object is None:
        return None
    head = d.object.split()[-1]
    if head in L.REPLY_NOUNS or head == "reply" or head in L.UNIVERSAL or head in ("question", "point"):
        return None
    return d.object


def _length(a: Directive, b: Directive, together: bool) -> Conflict | None:
    if not together:
        return None
    sa, sb = _length_stance(a), _length_stance(b)
    if not sa or not sb or sa == sb or _length_target(a) != _length_target(b):
        return None
    words = {"brief": "brief", "long": "detailed"}
    return Conflict("length", _span(a), _span(b),
                    f"this asks for a {words[sb]} reply, but another instruction asks for a {words[sa]} one",
                    f"asks for a {words[sa]} reply here")


_PAIR_CHECKS = (_numeric, _polarity, _language_conflict, _format, _length)


# --- schema -------------------------------------------------------------------------

_CLASS_NOUNS = r"(?:categories|classes|labels|options|modes|intents|buckets|groups|classifications|verdicts)"
_CLASSES_RE = re.compile(r"\b(?:one\s+of\s+(?:the\s+|these\s+|following\s+)*|into\s+(?:one\s+of\s+)?(?:the\s+)?|"
                         r"between\s+(?:the\s+)?|among\s+(?:the\s+)?)(?P<n>" + L.NUMBER + r")\s+(?:main\s+|possible\s+|"
                         r"distinct\s+|different\s+|broad\s+|following\s+)?" + _CLASS_NOUNS + r"\b", re.I)
_FIELDS_RE = re.compile(r"\b(?:with|has|have|contain(?:s|ing)?|of)\s+(?:exactly\s+|only\s+)?(?P<n>" + L.NUMBER +
                        r")\s+(?:top-level\s+)?(?:properties|keys|fields|attributes)\b", re.I)
_EACH_CLASS_RE = re.compile(r"\b(?:each|every|per|for\s+each)\s+(?:category|class|label|option|mode|intent|bucket|"
                            r"group)\b", re.I)


def _schema(model: MessageModel, ds: list[Directive], output: dict | None) -> Iterator[Conflict]:
    classes = []
    fields = []
    for u in model.units:
        if u.example:
            continue
        for m in _CLASSES_RE.finditer(u.text):
            n = number(m.group("n"))
            if n is not None and not model.condition(u):
                classes.append((u, n, u.start + m.start(), u.start + m.end()))
        for m in _FIELDS_RE.finditer(u.text):
            n = number(m.group("n"))
            if n is not None and not model.condition(u):
                fields.append((u, n, u.start + m.start(), u.start + m.end()))
    for fu, fn, fs, fe in fields:
        if not _EACH_CLASS_RE.search(fu.text):
            continue
        for cu, cn, cs, ce in classes:
            if cn != fn and model.always_together(cu, fu):
                yield Conflict("schema", (cs, ce), (fs, fe),
                               f"the reply is to have {_n(fn)} fields, one per category, but the prompt names "
                               f"{_n(cn)} categories", "the categories, here")
                break
    keys = _top_keys(output)
    if keys is not None:
        for fu, fn, fs, fe in fields:
            if fn != len(keys) and re.search(r"\bjson\b", fu.text, re.I) and not _EACH_CLASS_RE.search(fu.text):
                yield Conflict("schema", (fs, fs), (fs, fe),
                               f"the prose asks for {_n(fn)} fields, but the declared output has {len(keys)} "
                               f"({', '.join(keys)})", "")
    # "three categories:" followed by a list of another length
    for cu, cn, cs, ce in classes:
        if not cu.text.rstrip().endswith(":"):
            continue
        items = _list_after(model, cu)
        if items and len(items) != cn and len(items) >= 2:
            yield Conflict("schema", (cs, ce), (items[-1].start, items[-1].end),
                           f"the prompt names {_n(cn)} categories but lists {len(items)}", "the count, here")


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _top_keys(output: dict | None) -> list[str] | None:
    if not output or output.get("type") != "json":
        return None
    schema = output.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return list(schema["properties"])
    return None


def _list_after(model: MessageModel, lead: Unit) -> list[Unit]:
    """The bullets right after a lead line (one list, top level only)."""
    after = [u for u in model.units if u.start > lead.end]
    items: list[Unit] = []
    indent = None
    lines = model.doc.text.split("\n")
    for u in after:
        if u.kind == "heading":
            break
        line = lines[u.line]
        if u.kind == "bullet":
            ind = len(line) - len(line.lstrip())
            if indent is None:
                indent = ind
            if ind == indent:
                items.append(u)
            continue
        if items and u.line == items[-1].line:
            continue
        if u.kind == "sentence" and (not items or len(line) - len(line.lstrip()) <= (indent or 0)):
            break
    return items


# --- examples -----------------------------------------------------------------------

_COUNTED = {"item", "topic", "suggestion", "headline", "question", "option", "source", "keyword", "hashtag",
            "variation", "result", "step"}
_RETURN_RE = re.compile(r"\b(?:should|must|shall|will|to)\s+(?:always\s+)?return\s+(?:a|an)\s+(?P<t>string|str|"
                        r"integer|int|float|number|boolean|bool|list|dict|dictionary)\b", re.I)
_ANNOT_RE = re.compile(r"\bdef\s+\w+\s*\([^()]*\)\s*->\s*(?P<t>str|int|float|bool|list|dict|List|Dict)\b")
_TYPES = {"string": "str", "str": "str", "integer": "int", "int": "int", "float": "float", "number": "float",
          "boolean": "bool", "bool": "bool", "list": "list", "dict": "dict", "dictionary": "dict"}


def _example_groups(model: MessageModel) -> list[list[Unit]]:
    groups: list[list[Unit]] = []
    prev: Unit | None = None
    for u in model.units:
        if u.example:
            if prev is not None and prev.example and u.line - prev.line <= 1:
                groups[-1].append(u)
            else:
                groups.append([u])
        prev = u
    return groups


def _examples(model: MessageModel, ds: list[Directive]) -> Iterator[Conflict]:
    groups = _example_groups(model)
    lines = model.doc.text.split("\n")
    for d in ds:
        if d.modality not in ("require", "prohibit") or d.condition or model.condition(d.unit):
            continue
        for m in d.measures:
            if m.high is None or m.bare or m.definite or m.target:
                continue
            for g in groups:
                if g[0].start < d.end or g[0].section[:1] != d.unit.section[:1]:
                    continue
                bullets = _bullet_lines(g, lines)
                if m.unit in _COUNTED and m.per is None and len(bullets) > m.high >= 1 and len(bullets) >= 3:
                    last = bullets[-1]
                    yield Conflict("example", (m.start, m.end), (last.start, last.end),
                                   f"the example lists {len(bullets)} items, more than “{m.text.strip()}”",
                                   "the bound, here")
                    break
                if m.unit == "word" and m.per == "item":
                    long_ = next((u for u in bullets if len(u.text.split()) > m.high), None)
                    if long_:
                        yield Conflict("example", (m.start, m.end), (long_.start, long_.end),
                                       f"this example item has {len(long_.text.split())} words, more than "
                                       f"“{m.text.strip()}”", "the bound, here")
                        break
    said = [(m, u) for u in model.units if not u.example for m in _RETURN_RE.finditer(u.text)]
    if said:
        for u in model.units:
            am = _ANNOT_RE.search(u.text)
            if not am:
                continue
            got = _TYPES[am.group("t").lower()]
            for m, su in said:
                want = _TYPES[m.group("t").lower()]
                if got != want:
                    yield Conflict("example", (su.start + m.start(), su.start + m.end()),
                                   (u.start + am.start(), u.start + am.end()),
                                   f"the example returns `{got}`, but the prompt says to return a {m.group('t')}",
                                   "the stated return type")
                    return


def _bullet_lines(group: list[Unit], lines: list[str]) -> list[Unit]:
    """The first unit of each list line of an example group."""
    out, seen = [], set()
    for u in group:
        if u.line in seen:
            continue
        seen.add(u.line)
        if re.match(r"^\s*(?:[-*•+]|\d+[.)])\s+", lines[u.line]):
            out.append(u)
    return out


# --- identifiers --------------------------------------------------------------------

_IDENT_RE = re.compile(r"(?<![\w/.@#:=-])([A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)+|[A-Za-z]+\d+[A-Za-z0-9]*|"
                       r"\d+[A-Za-z][A-Za-z0-9_-]*)(?![\w/@-]|\.\w)")


def _identifiers(model: MessageModel) -> Iterator[Conflict]:
    text = model.doc.text
    first: dict[str, dict[str, int]] = {}
    for m in _IDENT_RE.finditer(text):
        tok = m.group(1)
        if not re.search(r"\d", tok) or not re.search(r"[A-Za-z]{3}", tok):
            continue
        key = re.sub(r"[_-]", "", tok.lower())
        first.setdefault(key, {}).setdefault(tok, m.start())
    for key, spellings in first.items():
        forms = {re.sub(r"[_-]", "", s.lower()) for s in spellings}
        variants = {s.lower() for s in spellings}
        if len(variants) < 2 or len(forms) != 1:
            continue
        (sa, a), (sb, b) = sorted(spellings.items(), key=lambda kv: kv[1])[:2]
        if sa.lower() == sb.lower():
            continue
        yield Conflict("identifier", (a, a + len(sa)), (b, b + len(sb)),
                       f"`{sb}` and `{sa}` differ only in separators; the model cannot tell which is meant",
                       "spelled differently here")


# --- context ------------------------------------------------------------------------

_GIVEN_RE = re.compile(r"\b(?:below\s+(?:is|are)|here\s+(?:is|are)|the\s+following\s+is|you\s+(?:are|have\s+been|"
                       r"will\s+be)\s+(?:given|provided|shown)(?:\s+with)?)\s+(?:the\s+|a\s+)?(?:full\s+|entire\s+|"
                       r"complete\s+)?(?:content|contents|code|file|text|document|source|transcript|data)\b", re.I)
_NONE_RE = re.compile(r"\b(?:without\s+any\s+(?:additional\s+|further\s+|extra\s+|other\s+)?context|"
                      r"no\s+(?:additional\s+|further\s+|other\s+)?context\s+(?:is|will\s+be|has\s+been)\s+"
                      r"(?:provided|given|available|supplied|attached))\b", re.I)


def _context(model: MessageModel, ds: list[Directive]) -> Iterator[Conflict]:
    given = [(u, m) for u in model.units if not u.example for m in _GIVEN_RE.finditer(u.plain)]
    none = [(u, m) for u in model.units if not u.example for m in _NONE_RE.finditer(u.plain)]
    for gu, gm in given:
        for nu, nm in none:
            if gu is not nu and model.always_together(gu, nu):
                yield Conflict("context", (gu.start + gm.start(), gu.start + gm.end()),
                               (nu.start + nm.start(), nu.start + nm.end()),
                               "the prompt says material is supplied with it, and that the request comes "
                               "without any", "material said to be supplied")
                return
