"""Generate the runtime conformance vectors in this directory: `python tests/conformance/make_vectors.py`.

Each vector is one JSON file that every promptc runtime must agree on (see
docs/bundle-format.md, "Conformance vectors"):

    {"name", "description",
     "bundle": {…a whole bundle…}  or  "bundle_text": "…the bundle file's exact text…",
     "inputs": {…},
     "expect": {"messages": [{"role", "content"}, …]}
            or {"error": "input", "paths": [every input path reported, sorted]}
            or {"error": "integrity" | "format" | "render"}}

Vectors in pending/ (same layout plus a "pending" key saying why) are known disagreements:
the JavaScript runtime already meets them and the Python runtime does not yet, so the test
suite expects the Python half to fail until it is fixed, then asks for the vector to move up.

The bundles are built here and hashed with promptc.runtime.hashing.spec_hash, so the
vectors are reproducible. The expected messages are written by hand from the format's
definition, never produced by a runtime: tests/test_conformance.py then holds the Python
runtime and the JavaScript runtime (runtimes/js) to them, byte for byte.

`--check` compares the files on disk with what this script generates and lists the
differences instead of writing (tests/test_conformance.py does the same).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from promptc.runtime.hashing import spec_hash

HERE = Path(__file__).resolve().parent
FORMAT = "promptc.bundle/v1"

# --- IR builders ---------------------------------------------------------------------------


def T(text):
    return {"kind": "text", "text": text}


def X(expr):
    return {"kind": "expr", "expr": expr}


def V(*path):
    return {"kind": "var", "path": list(path)}


def C(value):
    return {"kind": "const", "value": value}


def F(name, arg, *args):
    return {"kind": "filter", "name": name, "arg": arg, "args": list(args)}


def CMP(op, left, right):
    return {"kind": "compare", "op": op, "left": left, "right": right}


def AND(*args):
    return {"kind": "and", "args": list(args)}


def OR(*args):
    return {"kind": "or", "args": list(args)}


def NOT(arg):
    return {"kind": "not", "arg": arg}


def IF(*branches, else_=()):
    return {"kind": "if", "branches": [{"cond": c, "body": list(b)} for c, b in branches], "else": list(else_)}


def FOR(var, iter_, *body):
    return {"kind": "for", "var": var, "iter": iter_, "body": list(body)}


def system(*nodes):
    return {"role": "system", "content": list(nodes)}


def user(*nodes):
    return {"role": "user", "content": list(nodes)}


def assistant(*nodes):
    return {"role": "assistant", "content": list(nodes)}


def lines(*exprs, sep="\n"):
    """One `expr` node per expression, separated by text nodes: a message that shows many
    values at once, one per line."""
    nodes = []
    for i, expr in enumerate(exprs):
        if i:
            nodes.append(T(sep))
        nodes.append(X(expr))
    return nodes


# --- input schemas, as the compiler lowers types ---------------------------------------------

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ANY = {}


def opt(schema):
    return {"anyOf": [schema, {"type": "null"}]}


def list_of(schema, **bounds):
    return {"type": "array", "items": schema, **bounds}


def map_of(schema):
    return {"type": "object", "additionalProperties": schema}


def obj(required=(), **fields):
    return {"type": "object", "properties": fields, "required": sorted(required), "additionalProperties": False}


def with_default(schema, value):
    return {**schema, "default": value}


def inputs(required=(), **props):
    return obj(required, **props)


# --- bundles --------------------------------------------------------------------------------


def make_spec(messages, input_schema=None, *, model=None, tools=None, output=None):
    return {
        "model": model if model is not None else {},
        "inputs": input_schema if input_schema is not None else inputs(),
        "messages": list(messages),
        "tools": list(tools or []),
        "output": output or {"type": "text"},
    }


def make_bundle(name, spec, *, version="1.0.0", hash_=None, meta=None):
    return {
        "format": FORMAT,
        "name": f"conformance.{name}",
        "version": version,
        "hash": hash_ if hash_ is not None else spec_hash(spec),
        "spec": spec,
        "meta": meta if meta is not None else {"purpose": "A runtime conformance vector.", "owner": "runtime@promptc.dev"},
        "provenance": {"modules": {}, "compiler": "promptc 0.1.0"},
        "tokens": {"encoding": "cl100k_base", "messages": [0] * len(spec["messages"]) if isinstance(spec.get("messages"), list) else []},
    }


VECTORS: list[dict] = []
PENDING: list[dict] = []


def vector(name, description, *, expect, bundle=None, bundle_text=None, inputs=None, messages=None,
           input_schema=None, pending=None, **spec_args):
    """Add one vector. Give `messages` (and `input_schema`, spec arguments) to build the bundle
    here, or a finished `bundle` dict, or the exact `bundle_text` of the file."""
    if messages is not None:
        bundle = make_bundle(name, make_spec(messages, input_schema, **spec_args))
    assert (bundle is None) != (bundle_text is None), name
    doc = {"name": name, "description": description}
    if bundle is not None:
        doc["bundle"] = bundle
    else:
        doc["bundle_text"] = bundle_text
    doc["inputs"] = inputs if inputs is not None else {}
    doc["expect"] = expect
    if pending is not None:
        doc["pending"] = pending
    (VECTORS if pending is None else PENDING).append(doc)


def out(*messages):
    """Expected messages: pairs of (role, content)."""
    return {"messages": [{"role": role, "content": content} for role, content in messages]}


def sys_out(content):
    return out(("system", content))


def user_out(content):
    return out(("user", content))


def input_error(*paths):
    return {"error": "input", "paths": sorted(paths)}


# =============================================================================================
# Text and messages
# =============================================================================================

vector(
    "text-messages-in-order",
    "Literal text only; system, user and assistant messages keep their order and roles, "
    "and repeated roles stay separate messages.",
    messages=[
        system(T("You are a helpful assistant.")),
        user(T("Hi")),
        assistant(T("Hello! How can I help?")),
        user(T("Tell me a joke."), T(" Please.")),
    ],
    expect=out(("system", "You are a helpful assistant."), ("user", "Hi"),
               ("assistant", "Hello! How can I help?"), ("user", "Tell me a joke. Please.")),
)

vector(
    "text-looks-like-template-syntax",
    "Text nodes are final text: Jinja, mustache, shell and printf syntax in them is not "
    "interpreted.",
    messages=[system(T("{{ name }} {% if x %}yes{% endif %} {# note #} ${HOME} %s {0} {{{raw}}} \\{{ x }}"))],
    inputs={},
    expect=sys_out("{{ name }} {% if x %}yes{% endif %} {# note #} ${HOME} %s {0} {{{raw}}} \\{{ x }}"),
)

vector(
    "text-whitespace-and-controls",
    "Text keeps CR LF, tabs, trailing spaces, NUL and other control characters exactly.",
    messages=[user(T("a\r\nb\tc  \n\n\u0000\u0007\u007f\u0085end "))],
    expect=user_out("a\r\nb\tc  \n\n\u0000\u0007\u007f\u0085end "),
)

vector(
    "empty-messages",
    "A message with no content renders as the empty string; a spec with one such message "
    "gives one message.",
    messages=[system()],
    expect=sys_out(""),
)

vector(
    "unicode-passthrough",
    "CJK, right-to-left scripts with bidi marks, combining marks, emoji ZWJ sequences, flags "
    "and astral characters pass through text and variables unchanged.",
    messages=[user(T("漢字かなカナ | שָׁלוֹם \u200f| مرحبا \u202eabc\u202c | e\u0301 | 👩\u200d👩\u200d👧 🇯🇵 𝔘𝔫𝔦 | "),
                   X(V("s")))],
    input_schema=inputs(["s"], s=STR),
    inputs={"s": "한국어 עברית ﷺ 👨🏽\u200d💻 \U0001d11e"},
    expect=user_out("漢字かなカナ | שָׁלוֹם \u200f| مرحبا \u202eabc\u202c | e\u0301 | 👩\u200d👩\u200d👧 🇯🇵 𝔘𝔫𝔦 | "
                    "한국어 עברית ﷺ 👨🏽\u200d💻 \U0001d11e"),
)

vector(
    "variable-value-looks-like-template",
    "A variable's value is inserted as is: template syntax inside it is not rendered again.",
    messages=[user(T("Q: "), X(V("q")))],
    input_schema=inputs(["q"], q=STR),
    inputs={"q": "{{ secret }} {% for x in y %}{{ x }}{% endfor %}"},
    expect=user_out("Q: {{ secret }} {% for x in y %}{{ x }}{% endfor %}"),
)

# =============================================================================================
# Variables, paths, nulls and defaults
# =============================================================================================

vector(
    "variable-paths",
    "A path looks up the input, then each field; a missing field, a field of a non-object "
    "(string, list, number) and a field of null give null, which renders as \"\".",
    messages=[user(*lines(
        V("user", "name"), V("user", "address", "city"), V("user", "address", "zip"),
        V("user", "name", "first"), V("user", "tags", "0"), V("user", "age", "x"),
        V("user", "nothing", "deeper"), V("user", "address"),
    ), T("|"))],
    input_schema=inputs(["user"], user=ANY),
    inputs={"user": {"name": "Ada", "address": {"city": "London"}, "tags": ["a"], "age": 36, "nothing": None}},
    expect=user_out('Ada\nLondon\n\n\n\n\n\n{"city": "London"}|'),
)

vector(
    "optional-inputs-missing",
    "Optional inputs that are not given are null: they render as \"\", are false in a "
    "condition, give 0 for length and nothing for a loop.",
    messages=[user(
        T("["), X(V("nick")), T("]["), X(V("nick", "field")), T("]"),
        IF((V("nick"), [T(" has nick")]), else_=[T(" no nick")]),
        T(" n="), X(F("length", V("tags"))),
        FOR("t", V("tags"), X(V("t"))),
        T(" j="), X(F("join", V("tags"), C(","))),
    )],
    input_schema=inputs(nick=opt(STR), tags=opt(list_of(STR))),
    inputs={},
    expect=user_out("[][] no nick n=0 j="),
)

vector(
    "optional-inputs-explicit-null",
    "An optional input given as null behaves as one not given, and `default` replaces it.",
    messages=[user(X(V("nick")), T("|"), X(F("default", V("nick"), C("friend"))), T("|"),
                   X(F("length", V("tags"))))],
    input_schema=inputs(nick=opt(STR), tags=opt(list_of(STR))),
    inputs={"nick": None, "tags": None},
    expect=user_out("|friend|0"),
)

vector(
    "defaults-applied",
    "Defaults of top-level inputs apply when the input is not given; a given value wins; "
    "defaults may be lists and objects.",
    messages=[user(*lines(V("tier"), V("limit"), F("join", V("langs"), C("+")), V("opts", "mode"), V("given")))],
    input_schema=inputs(
        tier=with_default({"type": "string", "enum": ["free", "pro"]}, "free"),
        limit=with_default(INT, 5),
        langs=with_default(list_of(STR), ["en", "fr"]),
        opts=with_default(obj(mode=STR), {"mode": "fast"}),
        given=with_default(STR, "unused"),
    ),
    inputs={"given": "used"},
    expect=user_out("free\n5\nen+fr\nfast\nused"),
)

vector(
    "defaults-applied-after-validation",
    "Defaults are applied after validation and are not validated themselves: a default "
    "that its own schema would reject still renders.",
    messages=[user(X(V("code")), T("|"), X(V("n")))],
    input_schema=inputs(code=with_default({"type": "string", "maxLength": 2}, "toolong"),
                        n=with_default({"type": "integer", "minimum": 10}, 1)),
    inputs={},
    expect=user_out("toolong|1"),
)

vector(
    "defaults-integral-float",
    "A float default written 2.0 in the bundle renders as \"2\", like the integer default 2: "
    "the hash cannot tell 2.0 from 2, so neither may the rendering. A float default 1e16 keeps "
    "its float text.",
    messages=[user(X(V("t")), T(" "), X(V("n")), T(" "), X(V("big")))],
    input_schema=inputs(t=with_default(NUM, 2.0), n=with_default(NUM, 2), big=with_default(NUM, 1e16)),
    expect=user_out("2 2 1e+16"),
)

vector(
    "names-like-object-prototype",
    "Names are plain keys: an input named __proto__ or constructor, a field named toString "
    "and a loop variable named __proto__ are looked up like any other, and names that were "
    "never given are null.",
    messages=[user(
        X(V("__proto__")), T("|"), X(V("constructor")), T("|"), X(V("m", "toString")), T("|"),
        X(V("m", "constructor")), T("|"), X(V("hasOwnProperty")), T("|"), X(F("tojson", V("m"))), T("|"),
        FOR("__proto__", C(["x", "y"]), X(V("__proto__"))), T("|"), X(V("__proto__")),
    )],
    input_schema=inputs(["__proto__"], __proto__=STR, constructor=opt(STR), m=map_of(ANY)),
    inputs={"__proto__": "P", "m": {"toString": "T", "__proto__": {"a": 1}}},
    expect=user_out('P||T|||{"__proto__": {"a": 1}, "toString": "T"}|xy|P'),
)

# =============================================================================================
# Stringify
# =============================================================================================

vector(
    "stringify-scalars",
    "Strings as is, null as \"\", booleans as true/false, integers in decimal.",
    messages=[user(*lines(V("s"), V("n"), V("t"), V("f"), V("i"), V("neg"), V("zero"), V("e")))],
    input_schema=inputs(s=STR, n=ANY, t=BOOL, f=BOOL, i=INT, neg=INT, zero=INT, e=STR),
    inputs={"s": "text", "n": None, "t": True, "f": False, "i": 42, "neg": -7, "zero": 0, "e": ""},
    expect=user_out("text\n\ntrue\nfalse\n42\n-7\n0\n"),
)

FLOATS = [1.0, 0.1, 1e16, 1e-05, -0.0, 0.0, 1e-04, 1.5, -2.5, 123456789.0, 9999999999999998.0, 1e22,
          1.7976931348623157e308, 5e-324, 0.30000000000000004, 2.5e-07, 1e100, 1.2345678901234567e-20,
          100.0, 1e15, 12345678901234567890.0, -3.0, -9999999999999998.0, -1e16, 9007199254740994.0]
FLOAT_TEXTS = ["1", "0.1", "1e+16", "1e-05", "0", "0", "0.0001", "1.5", "-2.5", "123456789",
               "9999999999999998", "1e+22", "1.7976931348623157e+308", "5e-324", "0.30000000000000004",
               "2.5e-07", "1e+100", "1.2345678901234567e-20", "100", "1000000000000000",
               "1.2345678901234567e+19", "-3", "-9999999999999998", "-1e+16", "9007199254740994"]
assert len(FLOATS) == len(FLOAT_TEXTS)

vector(
    "stringify-float-inputs",
    "An integral float below 1e16 in magnitude renders as the integer (1.0 as 1, -0.0 as 0, "
    "9999999999999998.0 as 9999999999999998); other floats as Python's repr: shortest "
    "round-trip digits, exponent form below 1e-4 and from 1e16 on (sign and at least two digits).",
    messages=[user(X(F("join", V("xs"), C("\n"))))],
    input_schema=inputs(["xs"], xs=list_of(NUM)),
    inputs={"xs": FLOATS},
    expect=user_out("\n".join(FLOAT_TEXTS)),
)

vector(
    "stringify-float-consts",
    "The same float rules for constants in the bundle, one expr node each.",
    messages=[user(*lines(*(C(x) for x in FLOATS)))],
    expect=user_out("\n".join(FLOAT_TEXTS)),
)

vector(
    "stringify-float-vs-integer-input",
    "A JSON number written with a fraction or exponent is a float, even when integral "
    "(1.0, 1e2, -0.0), and an integer input accepts 1.0; below 1e16 an integral float renders "
    "as the integer of its value. From 1e16 on the two differ: the float 1e16 renders "
    "1e+16, the integer 10000000000000000 every digit.",
    messages=[user(*lines(V("a"), V("b"), V("c"), V("d"), V("e"), V("f"), V("g"), V("h")))],
    input_schema=inputs(a=INT, b=INT, c=NUM, d=NUM, e=NUM, f=INT, g=NUM, h=INT),
    inputs={"a": 1, "b": 1.0, "c": 100.0, "d": -0.0, "e": 0, "f": 0, "g": 1e16, "h": 10000000000000000},
    expect=user_out("1\n1\n100\n0\n0\n0\n1e+16\n10000000000000000"),
)

vector(
    "stringify-big-integers",
    "Integers are exact at any size: 2**53 + 1 and 20-digit integers keep every digit, in "
    "stringify and in tojson.",
    messages=[user(X(V("a")), T(" "), X(V("b")), T(" "), X(V("c")), T(" "), X(F("tojson", V("xs"))))],
    input_schema=inputs(a=INT, b=INT, c=INT, xs=list_of(INT)),
    inputs={"a": 9007199254740993, "b": 12345678901234567890, "c": -98765432109876543210,
            "xs": [9007199254740993, 1]},
    expect=user_out("9007199254740993 12345678901234567890 -98765432109876543210 [9007199254740993, 1]"),
)

vector(
    "stringify-lists-and-objects",
    "Lists and objects render as tojson: keys sorted, \", \" and \": \" separators.",
    messages=[user(*lines(V("l"), V("o"), V("e"), V("eo")))],
    input_schema=inputs(l=ANY, o=ANY, e=ANY, eo=ANY),
    inputs={"l": [1, "two", None, True, 2.0], "o": {"b": 1, "a": [], "c": {}}, "e": [], "eo": {}},
    expect=user_out('[1, "two", null, true, 2]\n{"a": [], "b": 1, "c": {}}\n[]\n{}'),
)

# =============================================================================================
# tojson
# =============================================================================================

vector(
    "tojson-floats",
    "tojson writes numbers as stringify does, at any depth: integral floats below 1e16 as "
    "integers (1.0 as 1, -0.0 as 0), other floats as Python does (0.1, 1e+16, 1e-05).",
    messages=[user(X(F("tojson", V("xs"))), T(" "), X(F("tojson", C({"f": 1.0, "g": [1e16, 1e-05, {"h": [-2.0]}]}))))],
    input_schema=inputs(xs=list_of(NUM)),
    inputs={"xs": [1.0, 0.1, 1e16, 1e-05, -0.0, 3, 1e22, 2.5e-07]},
    expect=user_out('[1, 0.1, 1e+16, 1e-05, 0, 3, 1e+22, 2.5e-07] {"f": 1, "g": [1e+16, 1e-05, {"h": [-2]}]}'),
)

vector(
    "tojson-key-order-code-points",
    "Keys sort by code point, not by UTF-16 unit: U+FF61 comes before U+1F600 (whose "
    "surrogates are smaller); the empty key first; upper case before lower case.",
    messages=[user(X(F("tojson", V("m"))))],
    input_schema=inputs(m=map_of(INT)),
    inputs={"m": {"😀": 1, "｡": 2, "b": 3, "a": 4, "B": 5, "": 6, "é": 7, "e\u0301": 8, "\U00010000": 9, "\uffff": 10}},
    expect=user_out('{"": 6, "B": 5, "a": 4, "b": 3, "e\u0301": 8, "é": 7, "｡": 2, "\uffff": 10, "\U00010000": 9, "😀": 1}'),
)

vector(
    "tojson-string-escapes",
    "tojson escapes \" and \\, writes \\n \\r \\t \\b \\f, other control characters below "
    "U+0020 as \\u00XX in lower-case hex, and keeps DEL, U+0085, U+2028, U+2029, non-ASCII and "
    "emoji as they are; '/' is not escaped.",
    messages=[user(X(F("tojson", V("s"))), T(" "), X(F("tojson", V("m"))))],
    input_schema=inputs(s=STR, m=map_of(STR)),
    inputs={"s": "q\"b\\n\nr\rt\tb\bf\f\u0000\u001f\u001b\u007f\u0085\u2028\u2029/é😀",
            "m": {"k\"ey\n": "v"}},
    expect=user_out('"q\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0000\\u001f\\u001b\u007f\u0085\u2028\u2029/é😀" '
                    '{"k\\"ey\\n": "v"}'),
)

vector(
    "tojson-scalars",
    "tojson of each scalar, and of nested empty containers.",
    messages=[user(*lines(*(F("tojson", V(k)) for k in ("s", "n", "t", "i", "f", "l", "o"))))],
    input_schema=inputs(s=STR, n=ANY, t=BOOL, i=INT, f=NUM, l=ANY, o=ANY),
    inputs={"s": "", "n": None, "t": False, "i": -3, "f": 0.5, "l": [[], {}, [[]]], "o": {"x": {"y": {}}}},
    expect=user_out('""\nnull\nfalse\n-3\n0.5\n[[], {}, [[]]]\n{"x": {"y": {}}}'),
)

# =============================================================================================
# Filters
# =============================================================================================

vector(
    "filter-upper",
    "upper is Unicode's full upper-case mapping: ß→SS, ŉ→ʼN, ﬁ→FI, ΐ→Ϊ́, և→ԵՒ, ǆ→Ǆ; "
    "astral letters (Deseret, Adlam) too; combining marks, CJK, emoji and digits unchanged. "
    "Non-strings are stringified first.",
    messages=[user(X(F("upper", V("s"))), T("|"), X(F("upper", V("b"))), T("|"), X(F("upper", V("f"))))],
    input_schema=inputs(s=STR, b=BOOL, f=NUM),
    inputs={"s": "straße ŉ ﬁ ΐ և ǆ ǅ e\u0301 ñ i ı 𐐨 𞤢 漢 😀 ω 1a", "b": True, "f": 1e-05},
    expect=user_out("STRASSE ʼN FI \u0399\u0308\u0301 ԵՒ Ǆ Ǆ E\u0301 Ñ I I 𐐀 𞤀 漢 😀 Ω 1A|TRUE|1E-05"),
)

vector(
    "filter-lower",
    "lower is Unicode's full lower-case mapping: İ→i̇ (two code points), final sigma at the "
    "end of a word (ΟΔΟΣ→οδος) but not inside one, Ǆ→ǆ, astral letters too.",
    messages=[user(X(F("lower", V("s"))), T("|"), X(F("lower", V("l"))))],
    input_schema=inputs(s=STR, l=ANY),
    inputs={"s": "HELLO \u0130 \u039f\u0394\u039f\u03a3 \u03a3\u039f\u03a6\u039f\u03a3. \u03a3 ǅ Ǆ 𐐀 𞤀 \u00c0 \u00c9", "l": ["A", {"K": "V"}]},
    expect=user_out("hello i\u0307 \u03bf\u03b4\u03bf\u03c2 \u03c3\u03bf\u03c6\u03bf\u03c2. \u03c3 ǆ ǆ 𐐨 𞤢 à é|[\"a\", {\"k\": \"v\"}]"),
)

vector(
    "filter-title",
    "title splits on Unicode White_Space only (not on apostrophes, hyphens or digits), upper-"
    "cases the first code point of each word with the full mapping (ß→SS, ǆ→Ǆ, not titlecase "
    "ǅ) and lower-cases the rest (final sigma included); separators are kept.",
    messages=[user(X(F("title", V("s"))))],
    input_schema=inputs(s=STR),
    inputs={"s": "hello wORLD  o'neil mc-donald 1st ßen ǆemal \u03a3\u0391\u03a3 \u00e9\u0301COLE \te\u0301cole\u00a0x\u3000y\u200bz 😀smile 𐐨𐐨 𐐨"},
    expect=user_out("Hello World  O'neil Mc-donald 1st SSen Ǆemal \u03a3\u03b1\u03c2 \u00c9\u0301cole \tE\u0301cole\u00a0X\u3000Y\u200bz 😀smile 𐐀𐐨 𐐀"),
)

vector(
    "filter-case-pinned-unicode",
    "Case mapping follows Unicode 14.0.0, not the host: letters that gained mappings later "
    "(U+019B ƛ, U+A7CB, U+1C89) are kept; U+0295 ʕ is a cased letter for Final_Sigma; a "
    "letter that is both cased and case-ignorable (U+02B0 ʰ) is skipped, not taken as cased. "
    "title lower-cases the rest of a word as its own string, so the first letter is no context.",
    messages=[user(X(F("upper", V("s"))), T("|"), X(F("lower", V("s"))), T("|"), X(F("title", V("s"))))],
    input_schema=inputs(s=STR),
    inputs={"s": "\u019b\ua7cb\u1c89 \u0295\u03a3 \u0391\u03a3\u0295 \u02b0\u03a3 A\u02b0\u03a3"},
    expect=user_out("\u019b\ua7cb\u1c89 \u0295\u03a3 \u0391\u03a3\u0295 \u02b0\u03a3 A\u02b0\u03a3"
                    "|\u019b\ua7cb\u1c89 \u0295\u03c2 \u03b1\u03c3\u0295 \u02b0\u03c3 a\u02b0\u03c2"
                    "|\u019b\ua7cb\u1c89 \u0295\u03c3 \u0391\u03c3\u0295 \u02b0\u03c3 A\u02b0\u03c3"),
)

WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"

vector(
    "filter-trim-exact-characters",
    "trim strips exactly the 25 Unicode White_Space characters at both ends, and nothing "
    "else: not ZERO WIDTH SPACE, not the BOM (which String#trim strips), not U+001C..U+001F "
    "(which str.strip() strips), not U+180E.",
    messages=[user(T("["), X(F("trim", V("a"))), T("]["), X(F("trim", V("b"))), T("]["), X(F("trim", V("c"))), T("]"))],
    input_schema=inputs(a=STR, b=STR, c=STR),
    inputs={"a": WHITESPACE + "mid dle" + WHITESPACE,
            "b": "\ufeff x \u200b",
            "c": "\x1c\x1d\x1e\x1f y \u180e"},
    expect=user_out("[mid dle][\ufeff x \u200b][\x1c\x1d\x1e\x1f y \u180e]"),
)

vector(
    "filter-trim-non-strings",
    "trim stringifies first: null gives \"\", a number its text, a list its JSON.",
    messages=[user(T("["), X(F("trim", V("n"))), T("]["), X(F("trim", C(2.0))), T("]["), X(F("trim", C([" a "]))), T("]"))],
    input_schema=inputs(n=opt(STR)),
    expect=user_out('[][2][[" a "]]'),
)

vector(
    "filter-join",
    "join stringifies each item (integers, floats, booleans, null as \"\", nested JSON) and "
    "the separator; an empty list gives \"\", null gives \"\".",
    messages=[user(*lines(
        F("join", V("xs"), C(", ")), F("join", V("mixed"), C("|")), F("join", V("empty"), C("-")),
        F("join", V("none"), C("-")), F("join", V("xs"), C(0)), F("join", V("xs"), C("")),
    ))],
    input_schema=inputs(xs=list_of(STR), mixed=list_of(ANY), empty=list_of(STR), none=opt(list_of(STR))),
    inputs={"xs": ["a", "b", "c"], "mixed": [1, 1.0, True, None, [1, 2], {"b": 1, "a": 0}, "s", 1e-05], "empty": []},
    expect=user_out('a, b, c\n1|1|true||[1, 2]|{"a": 0, "b": 1}|s|1e-05\n\n\na0b0c\nabc'),
)

vector(
    "filter-default",
    "default replaces null only: \"\", false, 0 and [] are kept; a missing input and a missing "
    "field are null.",
    messages=[user(*lines(*(F("default", V(k), C("D")) for k in ("missing", "nul", "empty", "f", "zero", "lst")),
                          F("default", V("obj", "nope"), C(["x"])), F("join", F("default", V("missing"), C(["p", "q"])), C("+"))))],
    input_schema=inputs(missing=opt(STR), nul=opt(STR), empty=STR, f=BOOL, zero=INT, lst=list_of(INT), obj=ANY),
    inputs={"nul": None, "empty": "", "f": False, "zero": 0, "lst": [], "obj": {}},
    expect=user_out('D\nD\n\nfalse\n0\n[]\n["x"]\np+q'),
)

vector(
    "filter-length",
    "length counts code points of a string (an astral emoji is 1, a ZWJ family 5, a flag 2, "
    "e + combining acute 2), items of a list, keys of an object; null is 0.",
    messages=[user(*lines(*(F("length", V(k)) for k in ("ascii", "emoji", "family", "flag", "comb", "cjk", "rtl", "l", "o", "n", "e"))))],
    input_schema=inputs(ascii=STR, emoji=STR, family=STR, flag=STR, comb=STR, cjk=STR, rtl=STR, l=ANY, o=ANY, n=ANY, e=STR),
    inputs={"ascii": "hello", "emoji": "😀", "family": "👩\u200d👩\u200d👧", "flag": "🇯🇵", "comb": "e\u0301",
            "cjk": "漢字", "rtl": "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd", "l": [1, [2, 3], None], "o": {"a": 1, "b": None}, "n": None, "e": ""},
    expect=user_out("5\n1\n5\n2\n2\n2\n7\n3\n2\n0\n0"),
)

vector(
    "filter-chains",
    "Filters compose: the result of one is the argument of the next (trim then title, "
    "length then compare, default then upper, tojson then length).",
    messages=[user(
        X(F("title", F("trim", V("name")))), T("|"),
        IF((CMP(">", F("length", V("xs")), C(2)), [T("many")]), else_=[T("few")]), T("|"),
        X(F("upper", F("default", V("nick"), C("anon")))), T("|"),
        X(F("length", F("tojson", V("xs")))), T("|"),
        X(F("join", F("default", V("xs"), C([])), F("upper", C("-x-")))),
    )],
    input_schema=inputs(name=STR, xs=list_of(INT), nick=opt(STR)),
    inputs={"name": "  ada lovelace\n", "xs": [1, 2, 3]},
    expect=user_out("Ada Lovelace|many|ANON|9|1-X-2-X-3"),
)

# =============================================================================================
# Comparisons and logic
# =============================================================================================


def truth_table(name, description, cases, input_schema=None, inputs_=None):
    """One line per case: `expr` renders as true/false."""
    exprs = [case for case, _ in cases]
    expected = "\n".join("true" if want else "false" for _, want in cases)
    vector(name, description, messages=[user(*lines(*exprs))], input_schema=input_schema,
           inputs=inputs_, expect=user_out(expected))


truth_table(
    "compare-equality",
    "== and != are JSON deep equality: 1 == 1.0, lists and objects element-wise (key order "
    "ignored), but true != 1, \"1\" != 1, 0 != false, \"\" != null, and a missing value is null.",
    [
        (CMP("==", C(1), C(1.0)), True), (CMP("==", V("one"), V("onef")), True),
        (CMP("==", C("1"), C(1)), False), (CMP("==", C(True), C(1)), False), (CMP("==", C(0), C(False)), False),
        (CMP("==", C(""), C(None)), False), (CMP("==", C(None), C(None)), True), (CMP("==", V("missing"), C(None)), True),
        (CMP("==", C([1, 2]), C([1.0, 2])), True), (CMP("==", C([1, 2]), C([2, 1])), False), (CMP("==", C([1]), C([1, 1])), False),
        (CMP("==", C({"a": 1, "b": [True]}), C({"b": [True], "a": 1.0})), True), (CMP("==", C({"a": 1}), C({"a": 1, "b": 2})), False),
        (CMP("==", C({"a": None}), C({})), False), (CMP("==", C([]), C({})), False), (CMP("==", C("é"), C("e\u0301")), False),
        (CMP("!=", C(1), C(1.0)), False), (CMP("!=", C("a"), C("b")), True), (CMP("!=", C(True), C(1)), True),
        (CMP("==", C(-0.0), C(0)), True), (CMP("==", V("big"), V("bigf")), False), (CMP("==", V("big"), V("big")), True),
    ],
    input_schema=inputs(one=INT, onef=NUM, missing=opt(STR), big=INT, bigf=NUM),
    inputs_={"one": 1, "onef": 1.0, "big": 9007199254740993, "bigf": 9007199254740992.0},
)

truth_table(
    "compare-order",
    "< <= > >= compare two numbers (integers and floats mixed, exactly) or two strings by "
    "code point: U+FF61 < U+1F600 although its UTF-16 unit is larger; \"B\" < \"a\"; a prefix "
    "sorts first.",
    [
        (CMP("<", C(1), C(2)), True), (CMP("<=", C(2), C(2.0)), True), (CMP(">", C(1.5), C(1)), True),
        (CMP(">=", C(-0.0), C(0)), True), (CMP("<", C(-1e-05), C(0)), True), (CMP(">", C(2), C(10)), False),
        (CMP("<", C("a"), C("b")), True), (CMP("<", C("B"), C("a")), True), (CMP("<", C("ab"), C("abc")), True),
        (CMP("<", C(""), C("a")), True), (CMP(">", C("b"), C("abc")), True), (CMP("<", C("10"), C("9")), True),
        (CMP("<", C("｡"), C("😀")), True), (CMP(">", C("😀"), C("\uffff")), True), (CMP("<", C("\ue000"), C("\U00010000")), True),
        (CMP("<=", C("é"), C("e\u0301")), False), (CMP(">=", C("abc"), C("abc")), True),
        (CMP("<", V("big"), V("bigf")), False), (CMP(">", V("big"), V("bigf")), True),
    ],
    input_schema=inputs(big=INT, bigf=NUM),
    inputs_={"big": 9007199254740993, "bigf": 9007199254740992.0},
)

truth_table(
    "compare-in",
    "`in` and `not-in`: membership in a list by JSON equality, substring of a string (by "
    "code points; the empty string is in every string), and nothing is in null.",
    [
        (CMP("in", C("b"), C(["a", "b"])), True), (CMP("in", C(1.0), C([1, 2])), True), (CMP("in", C(True), C([1])), False),
        (CMP("in", C({"a": 1}), C([{"a": 1.0}])), True), (CMP("in", C([1]), C([[1], 2])), True), (CMP("in", C(None), C([None])), True),
        (CMP("in", C("ell"), C("hello")), True), (CMP("in", C("Ell"), C("hello")), False), (CMP("in", C(""), C("x")), True),
        (CMP("in", C("😀"), C("a😀b")), True), (CMP("in", C("x"), V("missing")), False), (CMP("in", C("pro"), V("tiers")), True),
        (CMP("not-in", C("x"), C(["a"])), True), (CMP("not-in", C("a"), C(["a"])), False), (CMP("not-in", C("x"), V("missing")), True),
        (CMP("not-in", C("ll"), C("hello")), False), (CMP("in", C("a"), C([])), False),
    ],
    input_schema=inputs(missing=opt(list_of(STR)), tiers=list_of(STR)),
    inputs_={"tiers": ["free", "pro"]},
)

truth_table(
    "truthiness",
    "null, false, 0, 0.0, -0.0, \"\", [] and {} are false; \"0\", \" \", \"false\", [0], "
    "[null], {\"a\": null}, -1 and 0.1 are true (shown through not).",
    [(NOT(C(v)), not want) for v, want in [
        (None, False), (False, False), (0, False), (0.0, False), (-0.0, False), ("", False), ([], False), ({}, False),
        ("0", True), (" ", True), ("false", True), ([0], True), ([None], True), ({"a": None}, True), (-1, True), (0.1, True), (True, True),
    ]],
)

vector(
    "logic-and-or-not",
    "and/or/not work on truthiness and give booleans (rendered true/false), whatever the "
    "operands' types; and/or take two or more operands.",
    messages=[user(*lines(
        AND(C(1), C("x")), AND(C(1), C("")), OR(C(0), C([])), OR(C(0), C("y")), NOT(C("")), NOT(NOT(C([1]))),
        AND(C(True), C(True), C(False)), OR(C(False), C(None), C({}), C(0.5)), AND(V("a"), OR(V("b"), NOT(V("c")))),
        OR(C("only")),
    ))],
    input_schema=inputs(a=BOOL, b=BOOL, c=BOOL),
    inputs={"a": True, "b": False, "c": False},
    expect=user_out("true\nfalse\nfalse\ntrue\ntrue\ntrue\nfalse\ntrue\ntrue\ntrue"),
)

vector(
    "logic-short-circuit",
    "and stops at the first false operand and or at the first true one: the operands after "
    "it are not evaluated, so one that would be a render error is harmless.",
    messages=[user(X(AND(C(False), CMP("<", C(1), C("a")))), T(" "), X(OR(C(True), CMP("in", C(1), C(2)))))],
    expect=user_out("false true"),
)

# =============================================================================================
# if / elif / else
# =============================================================================================

vector(
    "if-elif-else",
    "The first branch whose condition is truthy renders; else when none is; an if without "
    "else renders nothing when false.",
    messages=[user(*[node for tier in ("free", "pro", "enterprise", "other") for node in (
        IF((CMP("==", C(tier), C("enterprise")), [T("E")]),
           (CMP("in", C(tier), C(["pro", "enterprise"])), [T("P")]),
           (CMP("==", C(tier), C("free")), [T("F")]), else_=[T("?")]),
        IF((CMP("==", C(tier), C("free")), [T("!")])),
        T(";"),
    )])],
    expect=user_out("F!;P;E;?;"),
)

vector(
    "if-truthiness-of-inputs",
    "Conditions use truthiness: an empty list, an empty string, 0 and a missing optional are "
    "false; a non-empty list and \"0\" are true.",
    messages=[user(*[IF((V(k), [T(k + "+")]), else_=[T(k + "-")]) for k in ("empty", "blank", "zero", "absent", "items", "zstr", "fzero")])],
    input_schema=inputs(empty=list_of(STR), blank=STR, zero=INT, absent=opt(STR), items=list_of(STR), zstr=STR, fzero=NUM),
    inputs={"empty": [], "blank": "", "zero": 0, "items": ["a"], "zstr": "0", "fzero": 0.0},
    expect=user_out("empty-blank-zero-absent-items+zstr+fzero-"),
)

vector(
    "if-nested-in-for",
    "Conditions inside a loop see the loop variable and loop fields.",
    messages=[user(FOR("x", V("xs"),
                       IF((V("loop", "first"), [T("[")])),
                       IF((CMP(">", V("x"), C(1)), [X(V("x"))]), else_=[T("small")]),
                       IF((NOT(V("loop", "last")), [T(", ")]), else_=[T("]")])))],
    input_schema=inputs(xs=list_of(INT)),
    inputs={"xs": [1, 2, 3]},
    expect=user_out("[small, 2, 3]"),
)

# =============================================================================================
# for and loop fields
# =============================================================================================

vector(
    "for-loop-fields",
    "loop.index is 1-based; loop.first and loop.last are booleans; a one-item list is both "
    "first and last; an empty list renders nothing.",
    messages=[user(
        FOR("x", V("xs"), X(V("loop", "index")), T(":"), X(V("x")), T(":"), X(V("loop", "first")), T(":"), X(V("loop", "last")), T("\n")),
        T("--\n"),
        FOR("x", V("one"), X(V("loop", "index")), T(":"), X(V("loop", "first")), T(":"), X(V("loop", "last"))),
        T("\n--"),
        FOR("x", V("none"), T("never")),
        T("--"),
    )],
    input_schema=inputs(xs=list_of(STR), one=list_of(STR), none=list_of(STR)),
    inputs={"xs": ["a", "b", "c"], "one": ["z"], "none": []},
    expect=user_out("1:a:true:false\n2:b:false:false\n3:c:false:true\n--\n1:true:true\n----"),
)

vector(
    "for-nested-loops",
    "In nested loops the inner `loop` shadows the outer one, the outer variable stays visible "
    "inside, and the loop over a field of the outer item works.",
    messages=[user(FOR("g", V("groups"),
                       X(V("loop", "index")), T(". "), X(V("g", "name")), T(":"),
                       FOR("m", V("g", "members"),
                           T(" "), X(V("g", "name")), T("/"), X(V("m")), T("#"), X(V("loop", "index")),
                           IF((V("loop", "last"), [T(".")]), else_=[T(",")])),
                       T(" ("), X(V("loop", "index")), T(")\n")))],
    input_schema=inputs(groups=list_of(obj(["name", "members"], name=STR, members=list_of(STR)))),
    inputs={"groups": [{"name": "A", "members": ["x", "y"]}, {"name": "B", "members": []}, {"name": "C", "members": ["z"]}]},
    expect=user_out("1. A: A/x#1, A/y#2. (1)\n2. B: (2)\n3. C: C/z#1. (3)\n"),
)

vector(
    "for-shadowing",
    "A loop variable shadows an input of the same name inside the loop only; `loop` is "
    "unbound (null) outside any loop.",
    messages=[user(X(V("x")), T("|"), FOR("x", V("xs"), X(V("x"))), T("|"), X(V("x")), T("|"), X(V("loop", "index")), T("|"),
                   FOR("x", V("xs"), FOR("x", C(["i"]), X(V("x"))), X(V("x"))))],
    input_schema=inputs(x=STR, xs=list_of(STR)),
    inputs={"x": "outer", "xs": ["a", "b"]},
    expect=user_out("outer|ab|outer||iaib"),
)

vector(
    "for-var-named-loop",
    "A loop variable named `loop` is replaced by the loop fields: the frame binds the "
    "variable first and `loop` second.",
    messages=[user(FOR("loop", C(["a", "b"]), X(V("loop")), T(";")))],
    expect=user_out('{"first": true, "index": 1, "last": false};{"first": false, "index": 2, "last": true};'),
)

vector(
    "for-loop-fields-renamed",
    "A `for` node with a `loop` key binds its loop fields under that name, so an outer "
    "loop's `loop` stays visible inside it (the compiler writes this for a fragment whose own "
    "loop must not hide the caller's); the name `loop` then means the outer fields.",
    messages=[user(FOR("r", V("rows"),
                       {**FOR("t", V("r"), X(V("loop", "index")), X(V("t")), T("/"), X(V("loop_", "index")),
                              X(V("loop_", "last")), T(" ")), "loop": "loop_"},
                       X(V("loop_")), T("\n")))],
    input_schema=inputs(rows=list_of(list_of(STR))),
    inputs={"rows": [["a", "b"], ["c"]]},
    expect=user_out("1a/1false 1b/2true \n2c/1true \n"),
)

vector(
    "for-over-objects",
    "A loop over a list of objects, with fields of each item, as in a chat transcript.",
    messages=[system(T("Transcript:\n"), FOR("turn", V("history"), X(V("turn", "role")), T(": "), X(V("turn", "text")), T("\n")), T("End."))],
    input_schema=inputs(history=with_default(list_of(obj(["role", "text"], role={"type": "string", "enum": ["customer", "agent"]}, text=STR)), [])),
    inputs={"history": [{"role": "customer", "text": "Hi 👋"}, {"role": "agent", "text": "Hello!\nHow can I help?"}]},
    expect=sys_out("Transcript:\ncustomer: Hi 👋\nagent: Hello!\nHow can I help?\nEnd."),
)

vector(
    "realistic-support-prompt",
    "A prompt as the compiler writes it: defaults, an optional input, a literal union, "
    "if/elif/else, a loop over turns and filters, over several messages.",
    messages=[
        system(T("You are Acme's support assistant.\nGreet "), X(F("title", V("customer_name"))), T(" by first name.\n"),
               IF((CMP("==", V("tier"), C("enterprise")), [T("Offer a call with the account team.\n")]),
                  (CMP("==", V("tier"), C("pro")), [T("Reply within one business day.\n")]), else_=[T("Point to the help center.\n")]),
               IF((V("nickname"), [T("They like to be called "), X(V("nickname")), T(".\n")])),
               T("Tags: "), X(F("join", V("tags"), C(", "))), T(" ("), X(F("length", V("tags"))), T(")")),
        user(FOR("turn", V("history"), X(V("turn", "role")), T(": "), X(V("turn", "text")), T("\n")), X(F("trim", V("question")))),
    ],
    input_schema=inputs(
        ["customer_name", "question"],
        customer_name={"type": "string", "maxLength": 80},
        tier=with_default({"type": "string", "enum": ["free", "pro", "enterprise"]}, "free"),
        nickname=opt(STR),
        tags=with_default(list_of(STR, maxItems=5), []),
        history=with_default(list_of(obj(["role", "text"], role={"type": "string", "enum": ["customer", "agent"]},
                                         text={"type": "string", "maxLength": 2000})), []),
        question=STR,
    ),
    model={"name": "gpt-4o", "temperature": 0.2},
    tools=[{"name": "search_kb", "description": "Search help-center articles.", "requires_approval": False,
            "parameters": obj(["query"], query=STR, limit=with_default(INT, 5))}],
    output={"type": "json", "schema": obj(["answer"], answer=STR)},
    inputs={"customer_name": "josé álvarez", "tier": "pro", "tags": ["billing", "vip"],
            "history": [{"role": "customer", "text": "My invoice is wrong."}, {"role": "agent", "text": "Which one?"}],
            "question": "  INV-0042, issued 2026-03-01.\n"},
    expect=out(("system", "You are Acme's support assistant.\nGreet José Álvarez by first name.\n"
                          "Reply within one business day.\nTags: billing, vip (2)"),
               ("user", "customer: My invoice is wrong.\nagent: Which one?\nINV-0042, issued 2026-03-01.")),
)

vector(
    "maxlength-counts-code-points",
    "maxLength counts code points, so three astral emoji fit max_len 3 (a UTF-16 count "
    "would be 6).",
    messages=[user(X(V("s")), T(" "), X(F("length", V("s"))))],
    input_schema=inputs(["s"], s={"type": "string", "maxLength": 3, "minLength": 3}),
    inputs={"s": "😀🎉𝔘"},
    expect=user_out("😀🎉𝔘 3"),
)

# =============================================================================================
# Hash
# =============================================================================================

HASH_FLOATS = [0.1, 1e21, 1e20, 1e-07, 5e-324, 1.7976931348623157e308, 123.456, -0.0, 1.0, 2.5e-05, 1e16, 333333333.33333329]
vector(
    "hash-float-serialization",
    "The hash covers floats in RFC 8785 form (ECMAScript Number#toString: 1e+21, "
    "100000000000000000000, 1e-7, 5e-324, -0 as 0); the same values render as stringify says "
    "(-0.0 and 1.0 as 0 and 1, the others in Python's form).",
    messages=[user(X(F("join", C(HASH_FLOATS), C(" "))))],
    model={"temperature": 0.7, "top_p": 1e-07, "penalty": 1e21},
    expect=user_out("0.1 1e+21 1e+20 1e-07 5e-324 1.7976931348623157e+308 123.456 0 1 2.5e-05 1e+16 333333333.3333333"),
)

_UNICODE_SPEC = make_spec(
    [user(T("ключ 鍵 🔑 "), X(F("tojson", C({"😀": 1, "｡": 2, "\u00e9": 3, "e\u0301": 4, "\u2028": 5, "\x7f": 6, "\x1f": 7}))))],
    model={"name": "模型", "😀": True, "\ufb01": None},
)
vector(
    "hash-unicode-keys",
    "The hash sorts keys by UTF-16 code units (RFC 8785) and writes non-ASCII as UTF-8, "
    "while tojson sorts the same keys by code point.",
    bundle=make_bundle("hash-unicode-keys", _UNICODE_SPEC),
    expect=user_out('ключ 鍵 🔑 {"\\u001f": 7, "e\u0301": 4, "\x7f": 6, "é": 3, "\u2028": 5, "｡": 2, "😀": 1}'),
)

_KEY_ORDER_BUNDLE = make_bundle("hash-ignores-key-order-and-layout", make_spec([user(T("Hi "), X(V("name")))], inputs(["name"], name=STR)))
vector(
    "hash-ignores-key-order-and-layout",
    "Key order, indentation, escapes written as \\uXXXX and fields outside spec do not change "
    "the hash: this file's keys are reversed and it is spread over lines.",
    bundle_text="{\n  \"tokens\": {\"messages\": [0], \"encoding\": \"cl100k_base\"},\n"
                "  \"provenance\": {\"compiler\": \"promptc 9.9.9\", \"modules\": {}},\n"
                "  \"meta\": {\"note\": \"edited \\u2014 outside the spec\"},\n"
                "  \"spec\": {\"output\": {\"type\": \"text\"}, \"tools\": [], \"messages\": [{\"content\": "
                "[{\"text\": \"\\u0048i \", \"kind\": \"text\"}, {\"expr\": {\"path\": [\"name\"], \"kind\": \"var\"}, "
                "\"kind\": \"expr\"}], \"role\": \"user\"}],\n    \"inputs\": {\"additionalProperties\": false, "
                "\"required\": [\"name\"], \"properties\": {\"name\": {\"type\": \"string\"}}, \"type\": \"object\"}, "
                "\"model\": {}},\n"
                f"  \"hash\": \"{_KEY_ORDER_BUNDLE['hash']}\",\n"
                "  \"version\": \"1.0.0\", \"name\": \"conformance.hash-ignores-key-order-and-layout\",\n"
                "  \"format\": \"promptc.bundle/v1\"\n}\n",
    inputs={"name": "Ada"},
    expect=user_out("Hi Ada"),
)

vector(
    "bundle-with-bom",
    "A bundle file may start with a UTF-8 byte order mark.",
    bundle_text="\ufeff" + json.dumps(make_bundle("bundle-with-bom", make_spec([user(T("ok"))]))),
    expect=user_out("ok"),
)

_ONE = make_spec([user(X(C(1)))])
_ONE_FLOAT = make_spec([user(X(C(1.0)))])
assert spec_hash(_ONE) == spec_hash(_ONE_FLOAT)
vector(
    "const-integer-1",
    "The constant 1 renders \"1\". Its spec hashes like const-float-1.0's, because RFC 8785 "
    "writes 1.0 as 1: the hash does not tell the two spellings apart.",
    bundle=make_bundle("const-number", _ONE),
    expect=user_out("1"),
)
vector(
    "const-float-1.0",
    "The constant 1.0 renders \"1\", as const-integer-1 does, with the same hash: the hash "
    "cannot tell 1.0 from 1, so neither may the rendering.",
    bundle=make_bundle("const-number", _ONE_FLOAT),
    expect=user_out("1"),
)


def _two_spec(two, zero):
    """2.0 or 2 (and -0.0 or 0) wherever a number can sit in spec: a constant, an input's
    default (`t: float = 2.0` lowers to `"default": 2.0`), inside tojson, join and
    comparisons."""
    return make_spec(
        [user(X(C(two)), T(" "), X(V("t")), T(" "), X(F("tojson", C({"a": [two, zero], "b": {"c": two}}))), T(" "),
              X(F("join", C([two, zero, "x"]), C("|"))), T(" "), X(F("upper", C(two))), T(" "), X(F("tojson", V("t"))),
              IF((CMP("==", V("t"), C(two)), [T(" eq")])))],
        inputs(t=with_default(NUM, two)),
        model={"temperature": two},
    )


_TWO_INT, _TWO_FLOAT = _two_spec(2, 0), _two_spec(2.0, -0.0)
assert spec_hash(_TWO_INT) == spec_hash(_TWO_FLOAT)
_TWO_TEXT = '2 2 {"a": [2, 0], "b": {"c": 2}} 2|0|x 2 2 eq'
vector(
    "same-hash-integer-2",
    "A bundle whose spec holds the integers 2 and 0 (a constant, a default, inside tojson and "
    "join). It has the same hash as same-hash-float-2.0 and renders the same bytes.",
    bundle=make_bundle("same-hash-2", _TWO_INT),
    expect=user_out(_TWO_TEXT),
)
vector(
    "same-hash-float-2.0",
    "The same bundle with 2.0 and -0.0 where same-hash-integer-2 has 2 and 0, as a hand edit "
    "could change them: RFC 8785 writes both as 2 and 0, so the hash is the same, and the "
    "rendered text is the same bytes.",
    bundle=make_bundle("same-hash-2", _TWO_FLOAT),
    expect=user_out(_TWO_TEXT),
)

# =============================================================================================
# Invalid inputs
# =============================================================================================

_TYPED = inputs(["name", "age", "ratio", "ok", "tags", "profile"], name=STR, age=INT, ratio=NUM, ok=BOOL, tags=list_of(STR),
                profile=obj(["city"], city=STR))
_TYPED_MSG = [user(X(V("name")))]

vector(
    "input-wrong-types",
    "Every input of the wrong type is reported: a number for a string, a float for an "
    "integer, a boolean for a number (booleans are not numbers), a string for a boolean, an "
    "object for a list, a list for an object.",
    messages=_TYPED_MSG, input_schema=_TYPED,
    inputs={"name": 5, "age": 1.5, "ratio": True, "ok": "yes", "tags": {"a": "b"}, "profile": ["London"]},
    expect=input_error("name", "age", "ratio", "ok", "tags", "profile"),
)

vector(
    "input-valid-types",
    "The same schema accepts well-typed inputs (an integer is a number; 3.0 is an integer).",
    messages=[user(*lines(V("name"), V("age"), V("ratio"), V("ok"), F("join", V("tags"), C(",")), V("profile", "city")))],
    input_schema=_TYPED,
    inputs={"name": "Ada", "age": 3.0, "ratio": 2, "ok": False, "tags": [], "profile": {"city": "London"}},
    expect=user_out("Ada\n3\n2\nfalse\n\nLondon"),
)

vector(
    "input-enum",
    "A value outside a literal union is refused, case-sensitively.",
    messages=[user(X(V("tier")))],
    input_schema=inputs(["tier"], tier={"type": "string", "enum": ["free", "pro"]}),
    inputs={"tier": "Pro"},
    expect=input_error("tier"),
)

vector(
    "input-bounds",
    "String length (in code points), integer range and list size bounds; each violation is "
    "reported at its path.",
    messages=[user(X(V("code")))],
    input_schema=inputs(code={"type": "string", "maxLength": 3}, pin={"type": "string", "minLength": 4},
                        n={"type": "integer", "minimum": 0, "maximum": 10}, m={"type": "integer", "minimum": 0, "maximum": 10},
                        xs=list_of(INT, maxItems=2), f={"type": "number", "maximum": 1}),
    inputs={"code": "😀😀😀😀", "pin": "12", "n": -1, "m": 11, "xs": [1, 2, 3], "f": 1.0000001},
    expect=input_error("code", "pin", "n", "m", "xs", "f"),
)

vector(
    "input-bounds-inclusive",
    "minimum and maximum are inclusive: the bounds themselves are accepted.",
    messages=[user(X(V("n")), T(" "), X(V("m")), T(" "), X(V("f")))],
    input_schema=inputs(n={"type": "integer", "minimum": 0, "maximum": 10}, m={"type": "integer", "minimum": 0, "maximum": 10},
                        f={"type": "number", "maximum": 1}),
    inputs={"n": 0, "m": 10, "f": 1.0},
    expect=user_out("0 10 1"),
)

vector(
    "input-unknown-keys",
    "Inputs that are not declared are refused, each one reported; so are unknown fields of "
    "an object input.",
    messages=[user(X(V("name")))],
    input_schema=inputs(["name"], name=STR, profile=obj(city=STR)),
    inputs={"name": "Ada", "nmae": "typo", "extra field": 1, "profile": {"city": "L", "zip": "1"}},
    expect=input_error("nmae", '["extra field"]', "profile.zip"),
)

vector(
    "input-missing-required",
    "Each missing required input is reported, including required fields of nested objects; "
    "optional inputs and inputs with defaults may be left out.",
    messages=[user(X(V("a")))],
    input_schema=inputs(["a", "b", "obj"], a=STR, b=STR, c=opt(STR), d=with_default(STR, "x"), obj=obj(["x"], x=STR)),
    inputs={"obj": {}},
    expect=input_error("a", "b", "obj.x"),
)

vector(
    "input-many-problems-nested",
    "All problems are reported at once, with paths into lists and objects: a wrong literal "
    "in one item, a text too long in another, an unknown field, a missing field.",
    messages=[user(FOR("t", V("history"), X(V("t", "text"))))],
    input_schema=inputs(["history", "question"], question=STR,
                        history=list_of(obj(["role", "text"], role={"type": "string", "enum": ["customer", "agent"]},
                                            text={"type": "string", "maxLength": 5}))),
    inputs={"history": [{"role": "customer", "text": "far too long"}, {"role": "bot", "text": "ok", "mood": "?"}, {"role": "agent"}],
            "tier": "pro"},
    expect=input_error("history[0].text", "history[1].role", "history[1].mood", "history[2].text", "question", "tier"),
)

vector(
    "input-optional-wrong-type",
    "An optional input (T or null) given a value of another type is one problem at its path.",
    messages=[user(X(V("nick")))],
    input_schema=inputs(nick=opt({"type": "string", "maxLength": 3}), n=opt(INT)),
    inputs={"nick": "toolong", "n": "1"},
    expect=input_error("nick", "n"),
)

vector(
    "input-not-an-object",
    "The inputs themselves must be an object: a list is refused at the root (<inputs>).",
    messages=[user(T("x"))],
    inputs=["a"],
    expect=input_error("<inputs>"),
)

vector(
    "input-pattern",
    "A string pattern is searched for (not anchored unless it says so).",
    messages=[user(X(V("sku")))],
    input_schema=inputs(sku={"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"}, word={"type": "string", "pattern": "b"}),
    inputs={"sku": "abc-12", "word": "xyz"},
    expect=input_error("sku", "word"),
)

vector(
    "input-pattern-search",
    "An unanchored pattern matches anywhere in the string.",
    messages=[user(X(V("sku")), T(" "), X(V("word")))],
    input_schema=inputs(sku={"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"}, word={"type": "string", "pattern": "b"}),
    inputs={"sku": "ABC-12", "word": "abc"},
    expect=user_out("ABC-12 abc"),
)

# =============================================================================================
# Refused bundles
# =============================================================================================

_TAMPERED = make_bundle("tampered-text", make_spec([system(T("Never reveal the discount code."))]))
_TAMPERED["spec"]["messages"][0]["content"][0]["text"] = "Always reveal the discount code."
vector(
    "integrity-tampered-text",
    "A message's text edited after the hash was computed: the bundle is refused.",
    bundle=_TAMPERED,
    expect={"error": "integrity"},
)

_TAMPERED_SCHEMA = make_bundle("tampered-schema", make_spec([user(X(V("n")))], inputs(n={"type": "integer", "maximum": 10})))
_TAMPERED_SCHEMA["spec"]["inputs"]["properties"]["n"]["maximum"] = 1000
vector(
    "integrity-tampered-input-schema",
    "An input bound loosened by hand: the bundle is refused before any input is checked.",
    bundle=_TAMPERED_SCHEMA,
    inputs={"n": 500},
    expect={"error": "integrity"},
)

_TAMPERED_FLOAT = make_bundle("tampered-model", make_spec([user(T("x"))], model={"temperature": 0.2}))
_TAMPERED_FLOAT["spec"]["model"]["temperature"] = 0.20000000000000004
vector(
    "integrity-tampered-model-float",
    "A model setting changed in its last digit (0.2 to 0.20000000000000004): refused.",
    bundle=_TAMPERED_FLOAT,
    expect={"error": "integrity"},
)

_WRONG_HASH = make_bundle("wrong-hash", make_spec([user(T("x"))]))
_WRONG_HASH["hash"] = _WRONG_HASH["hash"][:-1] + ("0" if _WRONG_HASH["hash"][-1] != "0" else "1")
vector(
    "integrity-hash-edited",
    "The recorded hash changed in one digit: refused.",
    bundle=_WRONG_HASH,
    expect={"error": "integrity"},
)

_BAD_HASH_SYNTAX = make_bundle("bad-hash-syntax", make_spec([user(T("x"))]), hash_="md5:d41d8cd98f00b204e9800998ecf8427e")
vector(
    "integrity-before-schema",
    "The hash is checked before the schema: a hash that is not even sha256 is an integrity "
    "error, not a format error.",
    bundle=_BAD_HASH_SYNTAX,
    expect={"error": "integrity"},
)

_WRONG_FORMAT = make_bundle("wrong-format", make_spec([user(T("x"))]))
_WRONG_FORMAT["format"] = "promptc.bundle/v2"
vector(
    "format-wrong-version",
    "A bundle of another format version is refused as such.",
    bundle=_WRONG_FORMAT,
    expect={"error": "format"},
)

_FORMAT_AND_TAMPERED = make_bundle("format-first", make_spec([user(T("x"))]))
_FORMAT_AND_TAMPERED["format"] = "promptc.bundle/v0"
_FORMAT_AND_TAMPERED["spec"]["messages"][0]["content"][0]["text"] = "y"
vector(
    "format-checked-before-hash",
    "The format is checked before the hash: a tampered bundle of the wrong format is a "
    "format error.",
    bundle=_FORMAT_AND_TAMPERED,
    expect={"error": "format"},
)

_NO_FORMAT = make_bundle("no-format", make_spec([user(T("x"))]))
del _NO_FORMAT["format"]
vector("format-missing", "A document without a format key is refused.", bundle=_NO_FORMAT, expect={"error": "format"})

_NO_TOKENS = make_bundle("missing-key", make_spec([user(T("x"))]))
del _NO_TOKENS["tokens"]
vector("format-missing-key", "A bundle without one of its eight keys (tokens) is refused.", bundle=_NO_TOKENS, expect={"error": "format"})

vector(
    "format-not-an-object",
    "A JSON document that is not an object is refused.",
    bundle_text='["promptc.bundle/v1"]\n',
    expect={"error": "format"},
)

_RETRIEVAL_SPEC = make_spec([user(T("Answer from the articles."))])
_RETRIEVAL_SPEC["retrieval"] = {"index": "help-center", "top_k": 5, "filters": {"lang": "en", "product": ["books", 2]},
                                "reranker": "bge-reranker-v2",
                                "chunking": {"strategy": "paragraph", "size": 512, "overlap": 64, "unit": "tokens"}}
vector(
    "spec-retrieval",
    "An optional `spec.retrieval` (front matter `retrieval:`) is hashed with the spec and "
    "changes nothing in the rendered messages.",
    bundle=make_bundle("spec-retrieval", _RETRIEVAL_SPEC),
    expect=user_out("Answer from the articles."),
)

_BAD_RETRIEVAL = make_spec([user(T("x"))])
_BAD_RETRIEVAL["retrieval"] = {"index": "help-center", "top_k": 0}
vector(
    "format-retrieval-out-of-range",
    "`spec.retrieval.top_k` below 1, with a correct hash, fails the bundle schema.",
    bundle=make_bundle("retrieval-out-of-range", _BAD_RETRIEVAL),
    expect={"error": "format"},
)

vector(
    "format-unknown-node-kind",
    "A node kind the format does not define, with a correct hash, fails the bundle schema.",
    messages=[user(T("a"), {"kind": "macro", "name": "m"})],
    expect={"error": "format"},
)

vector(
    "format-filter-arity",
    "upper takes no argument: a filter with the wrong number of arguments fails the bundle "
    "schema even with a correct hash.",
    messages=[user(X(F("upper", C("a"), C("b"))))],
    expect={"error": "format"},
)

vector(
    "format-unknown-filter",
    "A filter the format does not define fails the bundle schema.",
    messages=[user(X(F("capitalize", C("a"))))],
    expect={"error": "format"},
)

_EXTRA_KEY = make_bundle("extra-key", make_spec([user(T("x"))]))
_EXTRA_KEY["signature"] = "abc"
vector("format-extra-top-level-key", "A top-level key the format does not define is refused.", bundle=_EXTRA_KEY, expect={"error": "format"})

_INVALID_INPUT_SCHEMA = make_bundle("invalid-input-schema", make_spec([user(T("x"))], {"type": "object", "properties": {"a": {"type": "strng"}},
                                                                                      "additionalProperties": False}))
vector(
    "format-input-schema-not-json-schema",
    "spec.inputs must itself be valid JSON Schema 2020-12: an unknown type name is refused.",
    bundle=_INVALID_INPUT_SCHEMA,
    expect={"error": "format"},
)

_DUP_TEXT = json.dumps(make_bundle("duplicate-key", make_spec([user(T("x"))])))
vector(
    "format-duplicate-key",
    "A key repeated in one object is refused: parsers disagree on which one wins.",
    bundle_text=_DUP_TEXT[:-1] + ', "name": "conformance.other"}',
    expect={"error": "format"},
)

vector(
    "format-nan",
    "NaN is not JSON: a bundle containing it is refused.",
    bundle_text=json.dumps(make_bundle("nan", make_spec([user(T("x"))]))).replace('"meta": {', '"meta": {"x": NaN, ', 1),
    expect={"error": "format"},
)

vector(
    "format-invalid-json",
    "A truncated file is refused.",
    bundle_text=json.dumps(make_bundle("truncated", make_spec([user(T("x"))])))[:-10],
    expect={"error": "format"},
)

_BIG = make_spec([user(X(C(0)))])
_BIG_TEXT = json.dumps(make_bundle("big-int", _BIG)).replace('"value": 0', '"value": 9007199254740993', 1)
vector(
    "format-integer-beyond-json-range",
    "An integer beyond ±(2**53 - 1) in the spec cannot be canonicalized (RFC 8785 numbers are "
    "IEEE doubles): refused as a format error whatever its recorded hash.",
    bundle_text=_BIG_TEXT,
    expect={"error": "format"},
)

vector(
    "format-lone-surrogate",
    "A string in the spec with a lone surrogate cannot be canonicalized: refused.",
    bundle_text=json.dumps(make_bundle("lone-surrogate", make_spec([user(T("x"))]))).replace('"text": "x"', '"text": "\\ud800x"', 1),
    expect={"error": "format"},
)

# =============================================================================================
# Render errors: IR the compiler never writes, but the schema allows
# =============================================================================================

for _name, _expr, _desc in [
    ("render-error-order-mixed-types", CMP("<", C(1), C("2")), "`<` between a number and a string."),
    ("render-error-order-booleans", CMP(">", C(True), C(False)), "`>` between booleans (they are not numbers)."),
    ("render-error-in-number", CMP("in", C(1), C(12)), "`in` with a number on the right."),
    ("render-error-in-non-string-in-string", CMP("in", C(1), C("123")), "`in` of a number in a string."),
    ("render-error-join-string", F("join", C("abc"), C(",")), "`join` of a string."),
    ("render-error-length-number", F("length", C(5)), "`length` of a number."),
]:
    vector(_name, f"{_desc} The bundle is valid, the render fails.", messages=[user(T("before "), X(_expr))],
           expect={"error": "render"})

vector(
    "render-error-for-over-string",
    "`for` over a string (not a list). The bundle is valid, the render fails.",
    messages=[user(FOR("c", C("abc"), X(V("c"))))],
    expect={"error": "render"},
)

# =============================================================================================
# Patterns are ECMA-262 regular expressions (JSON Schema 2020-12 validation, 6.3.3)
# =============================================================================================

vector(
    "pattern-dollar-before-final-newline",
    "`$` matches only at the end of the string: \"abc\\n\" does not match ^[a-z]+$, so the input is refused.",
    messages=[user(X(V("code")))],
    input_schema=inputs(["code"], code={"type": "string", "pattern": "^[a-z]+$"}),
    inputs={"code": "abc\n"},
    expect=input_error("code"),
)

vector(
    "pattern-digit-class-is-ascii",
    "`\\d` is [0-9]: ARABIC-INDIC DIGIT THREE does not match ^\\d+$, so the input is refused.",
    messages=[user(X(V("n")))],
    input_schema=inputs(["n"], n={"type": "string", "pattern": "^\\d+$"}),
    inputs={"n": "\u0663"},
    expect=input_error("n"),
)

vector(
    "pattern-outside-subset-unicode-property",
    "`\\p{Lu}` (a Unicode property escape) is outside the linear-time pattern subset: the bundle is refused at load.",
    messages=[user(X(V("name")))],
    input_schema=inputs(["name"], name={"type": "string", "pattern": "^\\p{Lu}"}),
    inputs={"name": "Ab"},
    expect={"error": "format"},
)

vector(
    "pattern-outside-subset-backreference",
    "A backreference is outside the linear-time pattern subset: the bundle is refused at load.",
    messages=[user(X(V("w")))],
    input_schema=inputs(["w"], w={"type": "string", "pattern": "^(a)\\1$"}),
    inputs={"w": "aa"},
    expect={"error": "format"},
)

vector(
    "pattern-nested-quantifier-is-linear",
    "^(a+)+$ against 40 `a`s and a `!` is answered at once (no match) instead of backtracking for hours.",
    messages=[user(X(V("w")))],
    input_schema=inputs(["w"], w={"type": "string", "pattern": "^(a+)+$"}),
    inputs={"w": "a" * 40 + "!"},
    expect=input_error("w"),
)

vector(
    "pattern-counted-groups-match",
    "^(.*a){3}$ matches xaxaxa; `.` is any code point but a line terminator.",
    messages=[user(X(V("w")))],
    input_schema=inputs(["w"], w={"type": "string", "pattern": "^(.*a){3}$"}),
    inputs={"w": "xa\u00e9a\U0001F600a"},
    expect=user_out("xa\u00e9a\U0001F600a"),
)

# =============================================================================================


def render_file(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def generate() -> dict[str, str]:
    """Relative path → file text of every vector, pending ones under pending/."""
    names = [doc["name"] for doc in VECTORS + PENDING]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate vector names: {duplicates}"
    files = {f"{doc['name']}.json": render_file(doc) for doc in VECTORS}
    files.update({f"pending/{doc['name']}.json": render_file(doc) for doc in PENDING})
    return files


def on_disk() -> dict[str, str]:
    paths = [*HERE.glob("*.json"), *HERE.glob("pending/*.json")]
    return {p.relative_to(HERE).as_posix(): p.read_text("utf-8") for p in paths}


def main(argv: list[str]) -> int:
    files = generate()
    on_disk_now = on_disk()
    if "--check" in argv:
        stale = sorted(n for n in files if on_disk_now.get(n) != files[n])
        extra = sorted(set(on_disk_now) - set(files))
        for n in stale:
            print(f"out of date: {n}")
        for n in extra:
            print(f"not generated: {n}")
        return 1 if stale or extra else 0
    for name in set(on_disk_now) - set(files):
        (HERE / name).unlink()
    (HERE / "pending").mkdir(exist_ok=True)
    for name, text in files.items():
        (HERE / name).write_text(text, "utf-8")
    print(f"wrote {len(VECTORS)} vectors and {len(PENDING)} pending ones to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
