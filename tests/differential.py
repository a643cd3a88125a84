"""Differential testing of templates: promptc's two runtimes against Jinja2 itself.

`cases()` is a hypothesis strategy of (module, inputs) pairs inside the documented template
subset: nested if/elif/else and for, every filter, `and`/`or`/`not`, comparisons and
membership, fragments with parameters called inside loops (their arguments reading the
caller's loop variable and `loop`), whitespace around block tags and comments (own lines,
indentation, `-` and `+` markers), text-block margins and blank lines, and text with combining marks,
emoji, right-to-left scripts and Σ; integers up to ±(2^53 − 1), floats, null, missing
optional inputs, empty lists and nested objects.

`check(case, js)` compiles the module with promptc, renders it with the Python runtime and
the JavaScript runtime, and renders the same template text with Jinja2 (trim_blocks,
lstrip_blocks, keep_trailing_newline; fragments as macros) where the deviations that
docs/bundle-format.md lists (section 16) are written here as Jinja2's own extension points: a
`finalize` function, filters that replace Jinja2's, and an undefined type. So the oracle is
Jinja2 plus the written deviations, not promptc's code. Any difference raises with the
module, the inputs and the three outputs.

tests/test_jinja_differential.py runs a few hundred cases; `python bench/differential.py N`
runs N.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from hypothesis import strategies as st
from jinja2.runtime import Macro

from promptc import driver

HEAD = "---\nversion: 1.0.0\nowner: qa@example.com\npurpose: Differential test.\n---\n"
DECLARATIONS = '''type Place { city: str, zip: str? }
type Item { name: str, n: int, tags: list[str], note: str?, place: Place }
input s: str
input t: str?
input k: int
input x: float
input b: bool
input tier: "free" | "pro" | "enterprise" = "free"
input xs: list[str]
input ns: list[int] = []
input items: list[Item]
input maybe: list[str]?
input obj: Item?
'''
DEFAULTS = {"tier": "free", "ns": []}
TIERS = ["free", "pro", "enterprise"]
SAFE = 2**53 - 1

# --- the deviations from Jinja2, as Jinja2 extension points (docs/bundle-format.md §16) ------

# Unicode White_Space: what `trim` strips and what separates `title`'s words.
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")


def _json_value(v):
    """A JSON value with Jinja2's undefined as null and integral floats below 1e16 as ints."""
    if isinstance(v, jinja2.Undefined) or v is None:
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return int(v)
    if isinstance(v, list):
        return [_json_value(i) for i in v]
    if isinstance(v, dict):
        return {k: _json_value(i) for k, i in v.items()}
    return v


def text_of(v) -> str:
    """Deviation: what `{{ v }}` prints. null and undefined print nothing, booleans `true` and
    `false`, integral floats below 1e16 as integers, other floats as Python's repr, lists and
    objects as `tojson`; a fragment named without arguments is inlined."""
    if isinstance(v, Macro):
        return str(v())
    if isinstance(v, jinja2.Undefined) or v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)
    if isinstance(v, (list, dict)):
        return tojson(v)
    return str(v)


def tojson(v) -> str:
    """Deviation: sorted keys, `", "`/`": "`, non-ASCII as is, no HTML escaping."""
    return json.dumps(_json_value(v), ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def title(v) -> str:
    """Deviation: each run of non-White_Space: its first code point upper-cased, the rest
    lower-cased (Jinja2's `title` splits words differently)."""
    return re.sub(f"[^{re.escape(WHITE_SPACE)}]+", lambda m: m[0][0].upper() + m[0][1:].lower(), text_of(v))


class NullUndefined(jinja2.ChainableUndefined):
    """Deviation: null and a missing value are one value: undefined equals null (and itself)."""

    def __eq__(self, other):
        return other is None or isinstance(other, jinja2.Undefined)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = jinja2.ChainableUndefined.__hash__


class NullIsUndefined(jinja2.Environment):
    """Deviation: a field that holds null reads as a missing one (`tojson` still shows it)."""

    def getattr(self, obj, attribute):
        value = super().getattr(obj, attribute)
        return self.undefined(obj=obj, name=attribute) if value is None else value

    def getitem(self, obj, argument):
        value = super().getitem(obj, argument)
        return self.undefined(obj=obj, name=argument) if value is None else value


def oracle_environment() -> jinja2.Environment:
    env = NullIsUndefined(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                             undefined=NullUndefined, finalize=text_of)
    env.filters.update({
        "upper": lambda v: text_of(v).upper(),
        "lower": lambda v: text_of(v).lower(),
        "trim": lambda v: text_of(v).strip(WHITE_SPACE),
        "title": title,
        "join": lambda v, sep="": "" if v is None or isinstance(v, jinja2.Undefined)
        else text_of(sep).join(text_of(i) for i in v),
        "default": lambda v, d: d if v is None or isinstance(v, jinja2.Undefined) else v,
        "length": lambda v: 0 if v is None or isinstance(v, jinja2.Undefined) else len(v),
        "tojson": tojson,
    })
    return env


def without_nulls(values: dict) -> dict:
    """Deviation: an input given as null is the same as one not given."""
    return {k: v for k, v in values.items() if v is not None}


def clean_text_block(raw: str) -> str:
    """The text-block rules as the README and docs/bundle-format.md §16 state them."""
    lines = raw.split("\n")
    lines[0] = lines[0].lstrip(" \t")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines[1:] if line.lstrip(" \t")]
    margin = min(indents) if indents else 0
    lines[1:] = [line[min(margin, len(line) - len(line.lstrip(" \t"))):] for line in lines[1:]]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


# --- the generator ------------------------------------------------------------------------

# Prose: letters, punctuation and spaces; combining marks, emoji (with ZWJ), Hebrew and Arabic
# with a right-to-left mark, Greek with Σ in every position, ß, İ, ligatures, CJK, Unicode
# spaces. Case mappings of all of them are the same in every Unicode version since 6.
PIECES = ["a", "b", "Z", "q", " ", " ", "  ", ".", ",", "!", "?", "-", "'", ":", "%", "#", "0", "7",
          "e\u0301", "\u00e9", "\u00f1", "\u00df", "\u0130", "\ufb01", "\u01c5", "\u0149",
          "\U0001F600", "\U0001F469\u200d\U0001F469\u200d\U0001F467", "\U0001F1EF\U0001F1F5",
          "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u200f",
          "\u03a3", "\u039f\u0394\u039f\u03a3", "\u03a3\u0391\u03a3", "\u03c3\u03c2", "\u0391\u03a3\u0345",
          "\u6f22\u5b57", "\u00a0", "\u3000", "\u2003", "\U00010428", "\u1f88"]
words = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
literal_words = st.lists(st.sampled_from([p for p in PIECES if p not in ("'",)]), max_size=4).map("".join)


def q(text: str) -> str:
    return '"' + text + '"'


int_values = st.one_of(st.integers(-1000, 1000), st.sampled_from([0, 1, -1, SAFE, -SAFE, SAFE - 1, 2**31]),
                       st.integers(-SAFE, SAFE))
float_values = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64),
                         st.sampled_from([0.0, -0.0, 0.5, 2.0, -3.0, 1e16, 1e-05, 0.1, 9999999999999998.0,
                                          123456789012345.67, 1.5e300, 5e-324, 1e15]))


@dataclass
class Scope:
    """Names visible where an expression is written, by type: "str", "ostr", "int", "float",
    "bool", "tier", "lit" (an item of a literal list), "lstr", "olstr", "lint", "item",
    "oitem", "loop"."""

    names: dict[str, str]
    depth: int = 0

    def of(self, *types: str) -> list[str]:
        return sorted(n for n, t in self.names.items() if t in types)

    def with_(self, **names: str) -> "Scope":
        return Scope({**self.names, **names}, self.depth + 1)


@dataclass
class Fragment:
    name: str
    params: list[tuple[str, str, str | None]]  # (name, type, default literal)
    body: str  # raw text-block content

    def signature(self) -> str:
        ty = {"str": "str", "int": "int", "bool": "bool", "lstr": "list[str]"}
        return ", ".join(f"{n}: {ty[t]}" + (f" = {d}" if d is not None else "") for n, t, d in self.params)


@dataclass
class Case:
    fragments: list[Fragment]
    message: str  # raw text-block content
    inputs: dict = field(default_factory=dict)

    def module(self) -> str:
        out = [HEAD, DECLARATIONS]
        for f in self.fragments:
            params = f"({f.signature()})" if f.params else ""
            out.append(f'fragment {f.name}{params} """{f.body}"""\n')
        out.append(f'user """{self.message}"""\n')
        return "".join(out)

    def jinja_source(self) -> str:
        macros = []
        for f in self.fragments:
            params = ", ".join(n + (f"={d}" if d is not None else "") for n, _, d in f.params)
            # Each tag's newline is taken by trim_blocks: the body and the message start a line,
            # as they do when promptc parses each text block on its own.
            macros.append("{% macro " + f.name + "(" + params + ") %}\n" + clean_text_block(f.body)
                          + "{% endmacro %}\n")
        return "".join(macros) + clean_text_block(self.message)


class Gen:
    """Draws well-typed template text for one module."""

    def __init__(self, draw, fragments: list[Fragment]):
        self.draw = draw
        self.fragments = fragments

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    # expressions by type

    def int_expr(self, sc: Scope) -> str:
        options = ["lit", "len"] + (["var"] if sc.of("int") else []) + (["index"] if sc.of("loop") else [])
        kind = self.pick(options)
        if kind == "var":
            return self.pick(sc.of("int"))
        if kind == "index":
            return "loop.index"
        if kind == "len":
            return self.list_expr(sc) + " | length" if self.draw(st.booleans()) else self.str_atom(sc) + " | length"
        return str(abs(self.draw(int_values)))

    def str_atom(self, sc: Scope) -> str:
        """A str value without a filter chain."""
        options = ["lit"] + (["var"] if sc.of("str", "tier", "lit") else [])
        if self.pick(options) == "var":
            return self.pick(sc.of("str", "tier", "lit"))
        return q(self.draw(literal_words))

    def str_expr(self, sc: Scope) -> str:
        kind = self.pick(["atom", "atom", "case", "join", "default"] + (["paren-or"] if sc.depth < 3 else []))
        if kind == "case":
            return self.str_atom(sc) + " | " + self.pick(["upper", "lower", "title", "trim"])
        if kind == "join":
            sep = self.pick(["", '(", ")', '("|")', '("\u03a3")', '(" ")'])
            return self.list_expr(sc, scalars=True) + " | join" + sep
        if kind == "default" and sc.of("ostr", "olstr"):
            name = self.pick(sc.of("ostr", "olstr"))
            if sc.names[name] == "olstr":
                return name + " | default([]) | join(" + q(self.draw(literal_words)) + ")"
            return name + " | default(" + q(self.draw(literal_words)) + ")"
        return self.str_atom(sc)

    def list_expr(self, sc: Scope, scalars: bool = False) -> str:
        types = ("lstr", "lint") if scalars else ("lstr", "lint", "litem")
        options = sc.of(*types) + ['["a", "\u03a3"]', "[]", "[1, 2]"]
        return self.pick(options)

    def cond(self, sc: Scope) -> str:
        kinds = ["bool", "cmp-int", "cmp-str", "in", "truthy", "float"]
        if sc.depth < 3:
            kinds += ["not", "and", "or"]
        kind = self.pick(kinds)
        inner = sc.with_()
        if kind == "bool":
            return self.pick(sc.of("bool") + (["loop.first", "loop.last"] if sc.of("loop") else []) + ["true"])
        if kind == "cmp-int":
            return f"{self.int_expr(sc)} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {self.int_expr(sc)}"
        if kind == "float" and sc.of("float"):
            other = self.pick([repr(abs(self.draw(float_values))), self.int_expr(sc)])
            return f"{self.pick(sc.of('float'))} {self.pick(['==', '<', '>=', '!='])} {other}"
        if kind == "cmp-str":
            if sc.of("tier") and self.draw(st.booleans()):
                return f"{self.pick(sc.of('tier'))} {self.pick(['==', '!='])} {q(self.pick(TIERS))}"
            if sc.of("str"):  # two literals are refused: such a comparison is constant
                left, right = self.pick(sc.of("str")), self.str_atom(sc)
                if self.draw(st.booleans()):
                    left, right = right, left
                return f"{left} {self.pick(['==', '!=', '<', '>='])} {right}"
            return self.pick(sc.of("bool") or ["true"])
        if kind == "in":
            choice = self.pick(["str-in-list", "str-in-str", "int-in-list", "tier-in"])
            if choice == "str-in-list" and sc.of("lstr", "olstr"):
                return f"{self.str_atom(sc)} {self.pick(['in', 'not in'])} {self.pick(sc.of('lstr', 'olstr'))}"
            if choice == "int-in-list" and sc.of("lint"):
                return f"{self.int_expr(sc)} {self.pick(['in', 'not in'])} {self.pick(sc.of('lint'))}"
            if choice == "tier-in" and sc.of("tier"):
                return f"{self.pick(sc.of('tier'))} in [{q(self.pick(TIERS))}, {q(self.pick(TIERS))}]"
            return f"{self.str_atom(sc)} in {self.str_atom(sc)}"
        if kind == "truthy":
            return self.pick(sc.of("str", "ostr", "lstr", "olstr", "int", "lint", "litem", "oitem", "float")
                             or ["true"])
        if kind == "not":
            return "not " + self.paren(self.cond(inner))
        if kind in ("and", "or"):
            return f"{self.paren(self.cond(inner))} {kind} {self.paren(self.cond(inner))}"
        return self.pick(sc.of("bool") or ["false"])

    @staticmethod
    def paren(text: str) -> str:
        return f"({text})" if " " in text else text

    def output(self, sc: Scope) -> str:
        """An expression to print: any type that renders as text."""
        kind = self.pick(["str", "str", "int", "float", "bool", "cond", "tojson", "len", "opt", "or", "and",
                          "field", "var", "var", "var"])
        scalars = sc.of("str", "ostr", "int", "float", "bool", "tier", "lit")
        if kind == "var" and scalars:  # a plain variable, the most common output
            return self.pick(scalars)
        if kind == "int":
            return self.int_expr(sc)
        if kind == "float" and sc.of("float"):
            return self.pick(sc.of("float"))
        if kind == "bool" and sc.of("bool"):
            return self.pick(sc.of("bool"))
        if kind == "cond":  # a boolean (a bare list in a condition is fine, but not printed)
            return "not " + self.paren(self.cond(sc.with_()))
        if kind == "tojson":
            names = [n if n != "loop" else "loop.index" for n in sorted(sc.names)]
            return self.pick(names or ['"x"']) + " | tojson"
        if kind == "len":
            return self.list_expr(sc) + " | length"
        if kind == "opt" and sc.of("ostr"):
            return self.pick(sc.of("ostr"))
        if kind == "or" and sc.of("ostr", "str"):
            return f"{self.pick(sc.of('ostr', 'str'))} or {self.str_expr(sc.with_())}"
        if kind == "and" and sc.of("ostr", "str", "int", "bool"):
            return f"{self.pick(sc.of('ostr', 'str', 'int', 'bool'))} and {self.str_expr(sc.with_())}"
        if kind == "field" and sc.of("item"):
            item = self.pick(sc.of("item"))
            return item + self.pick([".name", ".n", ".note", ".place.city", ".place.zip", ".tags | join(\"/\")",
                                     ".note | default(\"-\") | upper", ".place | tojson"])
        return self.str_expr(sc)

    # statements

    def tag(self, body: str) -> str:
        left = self.pick(["{%", "{%", "{%", "{%-", "{%+"])
        right = self.pick(["%}", "%}", "%}", "-%}", "+%}"])
        return f"{left} {body} {right}"

    def around(self, tag: str) -> str:
        """A block tag inline, or on a line of its own (maybe indented)."""
        layout = self.pick(["inline", "inline", "line", "indented"])
        if layout == "line":
            return "\n" + tag + "\n"
        if layout == "indented":
            return "\n" + self.pick(["  ", "    ", "\t"]) + tag + "\n"
        return tag

    def block(self, sc: Scope, size: int) -> str:
        parts = []
        for _ in range(self.draw(st.integers(0, size))):
            parts.append(self.statement(sc))
        return "".join(parts)

    def statement(self, sc: Scope) -> str:
        kinds = ["text", "text", "expr", "expr", "newline", "comment"]
        if sc.depth < 3:
            kinds += ["if", "for"]
        if self.fragments:  # calls inside loops most of all: arguments read `loop` and loop variables
            kinds += ["call", "call"] + (["call"] * 4 if sc.of("loop") else [])
        if sc.of("lstr") and sc.depth < 3:  # a fragment looping over its list parameter
            kinds += ["for", "for"]
        kind = self.pick(kinds)
        if kind == "text":
            return self.draw(words)
        if kind == "newline":
            return "\n" + self.pick(["", " ", "  "])
        if kind == "comment":
            return self.around(self.pick(["{# ", "{#- "]) + self.draw(words) + self.pick([" #}", " -#}"]))
        if kind == "expr":
            left = self.pick(["{{ ", "{{ ", "{{- "])
            right = self.pick([" }}", " }}", " -}}"])
            return left + self.output(sc) + right
        if kind == "if":
            return self.if_block(sc)
        if kind == "for":
            return self.for_block(sc)
        return self.call(sc)

    def if_block(self, sc: Scope) -> str:
        optional = sc.of("ostr", "oitem", "olstr")
        if optional and self.draw(st.booleans()):  # `{% if t %}` narrows t to a value
            name = self.pick(optional)
            test, narrowed = name, sc.with_(**{name: {"ostr": "str", "oitem": "item", "olstr": "lstr"}[sc.names[name]]})
        else:
            test, narrowed = self.cond(sc.with_()), sc.with_()
        out = [self.around(self.tag("if " + test)), self.block(narrowed, 3)]
        for _ in range(self.draw(st.integers(0, 2))):
            out += [self.around(self.tag("elif " + self.cond(sc.with_()))), self.block(sc.with_(), 2)]
        if self.draw(st.booleans()):
            out += [self.around(self.tag("else")), self.block(sc.with_(), 2)]
        out.append(self.around(self.tag("endif")))
        return "".join(out)

    def for_block(self, sc: Scope) -> str:
        lists = sc.of("lstr", "olstr", "lint", "litem") + (
            [f"{i}.tags" for i in sc.of("item")]) + ['["x", "\u03a3y"]']
        source = self.pick(lists)
        # Items of a literal list have a literal type: compared with other strings they would
        # be refused as never equal, so they are only printed ("lit").
        item_type = {"lstr": "str", "olstr": "str", "lint": "int", "litem": "item"}.get(
            sc.names.get(source, ""), "str" if source.endswith(".tags") else "lit")
        var = self.pick(["r", "t", "p", "i", "item", "x2"])
        inner = sc.with_(**{var: item_type, "loop": "loop"})
        return "".join([self.around(self.tag(f"for {var} in {source}")), self.block(inner, 3),
                        self.around(self.tag("endfor"))])

    def call(self, sc: Scope) -> str:
        frag = self.pick(self.fragments)
        if not frag.params:
            return "{{ " + frag.name + self.pick(["", "()"]) + " }}"
        args = []
        for name, ty, default in frag.params:
            if default is not None and self.draw(st.booleans()):
                continue
            if ty == "str":  # often the caller's loop variable, which a fragment's loop may shadow
                loop_vars = [n for n in sc.of("str", "lit") if n in ("r", "t", "p", "i", "item", "x2")]
                value = self.pick(loop_vars) if loop_vars and self.draw(st.booleans()) else self.str_expr(sc)
            elif ty == "int":
                value = "loop.index" if sc.of("loop") and self.draw(st.booleans()) else self.int_expr(sc)
            elif ty == "bool":
                value = self.pick(sc.of("bool") + (["loop.first", "loop.last"] if sc.of("loop") else []) + ["true"])
            else:
                value = self.pick(sc.of("lstr") + (["maybe | default([])"] if sc.of("olstr") else [])
                                  + [f"{i}.tags" for i in sc.of("item")] + ['["p", "q"]'])
            args.append(f"{name}={value}")
        return "{{ " + frag.name + "(" + ", ".join(args) + ") }}"

    def text_block(self, sc: Scope, size: int) -> str:
        """Raw text-block content: a margin, blank or white-space lines around, sometimes text
        right after the opening quotes."""
        body = self.block(sc, size)
        margin = self.pick(["", "", "  ", "    ", "\t"])
        lines = [margin + line if line else line for line in body.split("\n")]
        lead = self.pick(["\n", "\n", "\n\n", "\n \n", "\n\u00a0\n", ""])
        tail = self.pick(["\n", "\n\n", "\n  \n", "\n\u3000\n"])
        return lead + "\n".join(lines) + tail


TYPES = {"i": "int", "t": "str", "p_": "str", "ts": "lstr", "flag": "bool", "loop_": "int", "n": "int"}


@st.composite
def cases(draw) -> Case:
    fragments: list[Fragment] = []
    for index in range(draw(st.integers(0, 2))):
        names = draw(st.lists(st.sampled_from(sorted(TYPES)), max_size=3, unique=True))
        params = [(n, TYPES[n], "false" if TYPES[n] == "bool" and draw(st.booleans()) else None) for n in names]
        params.sort(key=lambda p: p[2] is not None)  # parameters with a default come last
        scope = Scope({n: t for n, t, _ in params})
        body = Gen(draw, fragments[:]).text_block(scope, 4)
        fragments.append(Fragment(f"frag{index}", params, body))
    universe = {"s": "str", "t": "ostr", "k": "int", "x": "float", "b": "bool", "tier": "tier", "xs": "lstr",
                "ns": "lint", "items": "litem", "maybe": "olstr", "obj": "oitem"}
    message = Gen(draw, fragments).text_block(Scope(universe), 6)
    return Case(fragments, message, draw(inputs()))


def _item(draw) -> dict:
    item = {"name": draw(words), "n": draw(int_values), "tags": draw(st.lists(words, max_size=3)),
            "place": {"city": draw(words)}}
    for key, where in (("note", item), ("zip", item["place"])):
        choice = draw(st.sampled_from(["missing", "null", "value"]))
        if choice != "missing":
            where[key] = None if choice == "null" else draw(words)
    return item


@st.composite
def inputs(draw) -> dict:
    values = {"s": draw(words), "k": draw(int_values), "x": draw(float_values), "b": draw(st.booleans()),
              "xs": draw(st.lists(words, max_size=4)),
              "items": [_item(draw) for _ in range(draw(st.integers(0, 3)))]}
    optional = {"t": lambda: draw(words), "maybe": lambda: draw(st.lists(words, max_size=3)),
                "obj": lambda: _item(draw), "tier": lambda: draw(st.sampled_from(TIERS)),
                "ns": lambda: draw(st.lists(int_values, max_size=4))}
    for name, make in optional.items():
        choice = draw(st.sampled_from(["missing", "null", "value"] if name in ("t", "maybe", "obj")
                                      else ["missing", "value"]))
        if choice != "missing":
            values[name] = None if choice == "null" else make()
    return values


# --- running a case -------------------------------------------------------------------------

class Mismatch(AssertionError):
    pass


class Renderer:
    """Compiles and renders cases: one scratch project, one Jinja2 environment, and the
    JavaScript runtime through `js` (a tests.js_batch.JsSession, or None to leave it out)."""

    def __init__(self, js=None):
        self.js = js
        self.env = oracle_environment()
        self._dir = tempfile.TemporaryDirectory(prefix="promptc-differential-")
        self.root = Path(self._dir.name)
        (self.root / "promptc.toml").write_text('[project]\nname = "d"\nsources = ["prompts"]\n', "utf-8")
        (self.root / "prompts").mkdir()

    def close(self) -> None:
        self._dir.cleanup()

    def compile(self, case: Case) -> dict:
        (self.root / "prompts" / "d.prompt").write_text(case.module(), "utf-8")
        result = driver.compile_project(driver.open_project(self.root), use_cache=False)
        errors = [f"{d.span.line if d.span else '?'}:{d.span.column if d.span else '?'} {d.code.name}: {d.message}"
                  for d in result.diagnostics if d.is_error]
        if errors:
            raise Mismatch("promptc refused a module inside the documented subset:\n" + "\n".join(errors)
                           + "\n--- module ---\n" + case.module())
        return result.bundles["d"]

    def jinja(self, case: Case) -> str:
        values = {**DEFAULTS, **case.inputs}
        return self.env.from_string(case.jinja_source()).render(**without_nulls(values))

    def check(self, case: Case) -> None:
        from promptc.runtime import load

        bundle = self.compile(case)
        expected = self.jinja(case)
        python = load(bundle).render(case.inputs).messages[0].content
        js = None
        if self.js is not None:
            answer = self.js.ask({"bundle": json.dumps(bundle), "inputs": json.dumps(case.inputs)})
            js = (answer["messages"][0]["content"] if "messages" in answer
                  else f"<{answer['error']} error: {answer['message']}>")
        if python != expected or (js is not None and js != expected):
            raise Mismatch("\n".join([
                "promptc and Jinja2 differ", "--- module ---", case.module(),
                "--- inputs ---", json.dumps(case.inputs, ensure_ascii=False),
                "--- Jinja2 template ---", case.jinja_source(),
                "--- Jinja2 ---", repr(expected), "--- Python runtime ---", repr(python),
                "--- JavaScript runtime ---", repr(js) if js is not None else "(not run)"]))

