"""What to write instead of template syntax outside the portable subset."""

from __future__ import annotations

from jinja2 import nodes

ALLOWED_FILTERS = ("upper", "lower", "trim", "title", "join", "default", "length", "tojson")

_TAG_HINTS = {
    "set": "declare an `input` (or a fragment parameter) and pass the value in from the caller",
    "macro": "declare a `fragment name(param: type) \"\"\"…\"\"\"` and use `{{ name(param=…) }}`",
    "call": "declare a fragment with parameters and call it with `{{ name(param=…) }}`",
    "include": "`import` the module and inline its fragment with `{{ module.fragment }}`",
    "import": "use a module-level `import a.b` and `{{ b.fragment }}`",
    "from": "use a module-level `from a.b import fragment` and `{{ fragment }}`",
    "extends": "compose prompts from fragments: `import` the module and inline `{{ module.fragment }}`",
    "block": "compose prompts from fragments instead of template inheritance",
    "filter": "apply the filter to an expression: `{{ value | upper }}`",
    "with": "pass values to a fragment as arguments: `{{ fragment(name=value) }}`",
    "autoescape": "prompt text is never escaped; remove the autoescape block",
    "do": "templates cannot run statements; compute the value in the caller and pass it as an input",
    "break": "filter the list in the caller; loops always run over every item",
    "continue": "wrap the loop body in `{% if … %}` instead",
    "trans": "pass translated text in as an input",
    "raw": "",
}


def unknown_tag_hint(tag: str, expected: list[str]) -> str:
    if tag in _TAG_HINTS:
        return _TAG_HINTS[tag]
    return "the portable subset has `{% if %}`/`{% elif %}`/`{% else %}`/`{% endif %}` and `{% for x in xs %}`/`{% endfor %}`"


def statement_hint(node: nodes.Node) -> tuple[str, str]:
    """(what the construct is, what to write instead) for a non-portable statement node."""
    table = {
        nodes.Assign: ("`{% set %}`", _TAG_HINTS["set"]),
        nodes.AssignBlock: ("`{% set %}` block", _TAG_HINTS["set"]),
        nodes.Macro: ("`{% macro %}`", _TAG_HINTS["macro"]),
        nodes.CallBlock: ("`{% call %}`", _TAG_HINTS["call"]),
        nodes.Include: ("`{% include %}`", _TAG_HINTS["include"]),
        nodes.Import: ("`{% import %}`", _TAG_HINTS["import"]),
        nodes.FromImport: ("`{% from … import %}`", _TAG_HINTS["from"]),
        nodes.Extends: ("`{% extends %}`", _TAG_HINTS["extends"]),
        nodes.Block: ("`{% block %}`", _TAG_HINTS["block"]),
        nodes.FilterBlock: ("`{% filter %}`", _TAG_HINTS["filter"]),
        nodes.With: ("`{% with %}`", _TAG_HINTS["with"]),
        nodes.ScopedEvalContextModifier: ("`{% autoescape %}`", _TAG_HINTS["autoescape"]),
    }
    for kind, answer in table.items():
        if isinstance(node, kind):
            return answer
    return (f"`{type(node).__name__}`", "use only `{{ … }}`, `{% if %}` and `{% for %}`")


def expression_hint(node: nodes.Node) -> tuple[str, str]:
    """(what the expression is, what to write instead) for a non-portable expression."""
    if isinstance(node, nodes.CondExpr):
        return "an inline `if … else …` expression", "write `{% if cond %}…{% else %}…{% endif %}`"
    if isinstance(node, nodes.Test):
        if node.name in ("defined", "undefined", "none"):
            return f"the test `is {node.name}`", "write `{% if x %}` (null and missing values are false)"
        return f"the test `is {node.name}`", "compare with `==` or test truthiness with `{% if x %}`"
    if isinstance(node, nodes.Concat):
        return "string concatenation with `~`", "write the parts side by side: `{{ a }}{{ b }}`"
    if isinstance(node, (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod,
                         nodes.Pow, nodes.Neg, nodes.Pos)):
        return "arithmetic", "compute the value in the caller and pass it as an input"
    if isinstance(node, nodes.Getitem):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return "subscript access", f"write `.{node.arg.value}`"
        return "indexing", "loop over the list with `{% for x in xs %}` or pass the item as its own input"
    if isinstance(node, nodes.Slice):
        return "slicing", "pass the part you need as its own input"
    if isinstance(node, (nodes.Tuple, nodes.Dict)):
        return "a tuple or dict literal", "use inputs or fragment arguments"
    if isinstance(node, nodes.Call):
        return "a function or method call", "use a filter such as `{{ x | upper }}`, or call a fragment with named arguments"
    return f"`{type(node).__name__}`", "use names, fields, literals, filters and comparisons"
