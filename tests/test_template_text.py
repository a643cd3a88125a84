"""IR back to template text (`promptc show`, diffs, identify, the dashboard)."""

from promptc.runtime.template_text import content_text, expr_text


def var(*path):
    return {"kind": "var", "path": list(path)}


def const(value):
    return {"kind": "const", "value": value}


def test_expressions_keep_the_authors_syntax_and_needed_parentheses():
    assert expr_text({"kind": "filter", "name": "join", "arg": var("tags"), "args": [const(", ")]}) == \
        'tags | join(", ")'
    both = {"kind": "and", "args": [var("a"), {"kind": "or", "args": [var("b"), var("c")]}]}
    assert expr_text(both) == "a and (b or c)"
    either = {"kind": "or", "args": [{"kind": "and", "args": [var("a"), var("b")]}, var("c")]}
    assert expr_text(either) == "a and b or c"
    assert expr_text({"kind": "not", "arg": {"kind": "compare", "op": "not-in", "left": var("x"),
                                             "right": const([1, None, True])}}) == "not (x not in [1, null, true])"
    assert expr_text(const(None)) == "none" and expr_text(const(False)) == "false"
    assert expr_text({"kind": "filter", "name": "upper",
                      "arg": {"kind": "or", "args": [var("a"), var("b")]}, "args": []}) == "(a or b) | upper"


def test_nodes_render_as_blocks():
    nodes = [
        {"kind": "text", "text": "Hi "},
        {"kind": "expr", "expr": var("user", "name")},
        {"kind": "if", "branches": [{"cond": {"kind": "compare", "op": "==", "left": var("tier"),
                                              "right": const("pro")}, "body": [{"kind": "text", "text": "P"}]},
                                    {"cond": var("x"), "body": []}],
         "else": [{"kind": "text", "text": "F"}]},
        {"kind": "for", "var": "i", "iter": var("items"), "body": [{"kind": "expr", "expr": var("loop", "index")}]},
        {"kind": "future-node"},
    ]
    assert content_text(nodes) == ('Hi {{ user.name }}{% if tier == "pro" %}P{% elif x %}{% else %}F{% endif %}'
                                   '{% for i in items %}{{ loop.index }}{% endfor %}{# {"kind": "future-node"} #}')


def test_a_loop_with_renamed_fields_says_so():
    loop = {"kind": "for", "var": "t", "loop": "loop_", "iter": var("ts"),
            "body": [{"kind": "expr", "expr": var("loop", "index")}, {"kind": "expr", "expr": var("loop_", "index")}]}
    assert content_text([loop]) == ("{% for t in ts %}{# loop fields as loop_ #}{{ loop.index }}{{ loop_.index }}"
                                    "{% endfor %}")
