"""Differential tests of the importers against the real template engines: random templates
(seeded, so a failure reproduces) rendered by Dotprompt's reference implementation (npm
`dotprompt`, Handlebars) and by Jinja2 as Prompty runs it, against `promptc import`, a build
and the Python runtime. Handlebars' whitespace rules (`~`, standalone lines) and Prompty's
significant whitespace are where a port goes wrong; these tests aim there."""

from __future__ import annotations

import random

import pytest

from . import interop_suites as suites
from .interop_suites import Case
from .test_interop_reference import _dotprompt_render, _dotprompt_skip
from .test_interop_suites import _as_dotprompt, prompty_parse

TEXTS = ["a", "b c", " ", "  ", "\n", "\n\n", " \n", "\t", "x\n  ", "\n  y", "z "]


def _ws(rng: random.Random) -> tuple[str, str]:
    return ("~" if rng.random() < 0.2 else ""), ("~" if rng.random() < 0.2 else "")


def _handlebars(rng: random.Random, depth: int, loop: bool) -> str:
    out = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        lo, ro = _ws(rng)
        if roll < 0.4:
            out.append(rng.choice(TEXTS))
        elif roll < 0.55:
            out.append(f"{{{{{lo}{rng.choice(['this', '../name']) if loop else 'name'}{ro}}}}}")
        elif roll < 0.65:
            out.append(rng.choice(["{{! note }}", "{{!-- long note --}}", "\n{{! own line }}\n"]))
        elif depth < 2 and roll < 0.8:
            helper = rng.choice(["if", "unless"])
            cond = ("@last" if rng.random() < 0.3 else "../flag") if loop else "flag"
            lc, rc = _ws(rng)
            body = _handlebars(rng, depth + 1, loop)
            other = f"{{{{{lc}else{rc}}}}}" + _handlebars(rng, depth + 1, loop) if rng.random() < 0.4 else ""
            sep = rng.choice(["", "\n"])
            out.append(f"{{{{{lo}#{helper} {cond}{ro}}}}}{sep}{body}{other}{sep}{{{{{lc}/{helper}{rc}}}}}")
        elif depth < 2 and not loop:
            lc, rc = _ws(rng)
            sep = rng.choice(["", "\n"])
            out.append(f"{{{{{lo}#each items{ro}}}}}{sep}{_handlebars(rng, depth + 1, True)}{sep}"
                       f"{{{{{lc}/each{rc}}}}}")
        else:
            out.append(rng.choice(TEXTS))
    return "".join(out)


def handlebars_template(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "M " + _handlebars(rng, 0, False)
    parts = []
    for role in rng.sample(["system", "user", "model"], rng.randint(1, 3)):
        parts.append(f'{{{{role "{role}"}}}}M ' + _handlebars(rng, 0, False))
    return "".join(parts)


def _data(rng: random.Random) -> dict:
    return {"flag": rng.random() < 0.5, "name": rng.choice(["Ann", " Bo ", "C\nD", ""]),
            "items": rng.sample(["i", "j k", " l "], rng.randint(0, 3))}


def _declared_only(cases: list[Case]) -> None:
    """Keep only the inputs a case's module declares: the engines ignore unused data, promptc
    refuses an input it does not declare."""
    for case in cases:
        if case.bundle is not None:
            declared = case.bundle["spec"]["inputs"].get("properties") or {}
            case.inputs = {k: v for k, v in case.inputs.items() if k in declared}


def test_dotprompt_import_renders_what_handlebars_renders(tmp_path):
    reason = _dotprompt_skip()
    if reason:
        pytest.skip(reason)
    from promptc.interop import dotprompt

    rng = random.Random(19)
    cases = []
    for n in range(150):
        template, data = handlebars_template(rng), _data(rng)
        module = f"diff.hb{n}"
        cases.append(Case(template, module, data, {}, lambda t=template, m=module, d=data: dotprompt.convert(
            t, module_name=m, samples=[d])))
    suites.build_cases(cases, tmp_path)
    failed = [(c.id, c.failure) for c in cases if c.failure]
    assert not failed, failed[:3]
    _declared_only(cases)
    theirs = _dotprompt_render([{"source": c.id, "input": c.inputs} for c in cases])
    for case, reference in zip(cases, theirs):
        ours = _as_dotprompt(suites.render_python(case)["messages"])
        assert reference == {"messages": ours}, (case.id, case.inputs)


JINJA_TEXTS = ["a", "b c", " ", "\n", "\n\n", "  x", "y  ", "\t"]


def _jinja(rng: random.Random, depth: int, loop: bool) -> str:
    out = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        lo = "-" if rng.random() < 0.2 else ""
        ro = "-" if rng.random() < 0.2 else ""
        if roll < 0.4:
            out.append(rng.choice(JINJA_TEXTS))
        elif roll < 0.55:
            var = rng.choice(["item", "loop.index"]) if loop and rng.random() < 0.5 else \
                rng.choice(["name", "name | upper", "items | length", "items | join(\", \")", "name | trim"])
            out.append(f"{{{{{lo} {var} {ro}}}}}")
        elif roll < 0.62:
            out.append(f"{{#{lo} note {ro}#}}")
        elif depth < 2 and roll < 0.8:
            cond = rng.choice(["flag", "not flag", "name == \"Ann\""] + (["loop.last"] if loop else []))
            sep = rng.choice(["", "\n"])
            other = ("{% else %}" + _jinja(rng, depth + 1, loop)) if rng.random() < 0.4 else ""
            out.append(f"{{%{lo} if {cond} {ro}%}}{sep}{_jinja(rng, depth + 1, loop)}{other}{sep}{{% endif %}}")
        elif depth < 2 and not loop:
            sep = rng.choice(["", "\n"])
            out.append(f"{{%{lo} for item in items {ro}%}}{sep}{_jinja(rng, depth + 1, True)}{sep}{{% endfor %}}")
        else:
            out.append(rng.choice(JINJA_TEXTS))
    return "".join(out)


def prompty_template(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return "M " + _jinja(rng, 0, False)
    return "\n".join(f"{role}:\nM " + _jinja(rng, 0, False)
                     for role in rng.sample(["system", "user", "assistant"], rng.randint(1, 3)))


def test_prompty_import_renders_what_jinja_renders(tmp_path):
    from jinja2 import Environment

    from promptc.interop import prompty

    rng = random.Random(19)
    env = Environment(keep_trailing_newline=True)  # as Prompty's Jinja2 renderer configures it
    cases = []
    for n in range(150):
        template, data = prompty_template(rng), _data(rng)
        data["name"] = data["name"] or "Ann"
        module = f"diff.jj{n}"
        expect = prompty_parse(env.from_string(template).render(**data))
        cases.append(Case(template, module, data, {"messages": expect}, lambda t=template, m=module, d=data:
                          prompty.convert(t, module_name=m, samples=[d])))
    suites.build_cases(cases, tmp_path)
    # The importer may refuse a message whose edge line break comes from inside a loop, and a
    # role marker that `-` joins to its neighbours (it says so); it must refuse nothing else,
    # and import most of them.
    refused = [c for c in cases if c.failure and ("with a line break that comes from" in c.failure
                                                  or "next to the role marker" in c.failure)]
    failed = [(c.id, c.failure) for c in cases if c.failure and c not in refused]
    assert not failed, failed[:3]
    assert len(refused) <= len(cases) // 2
    cases = [c for c in cases if not c.failure]
    _declared_only(cases)
    mismatched = []
    for case in cases:
        rendered = suites.render_python(case)
        assert "messages" in rendered, (case.id, case.inputs, rendered)
        ours = rendered["messages"]
        if ours != case.expect["messages"]:
            mismatched.append((case.id, case.inputs, ours, case.expect["messages"]))
    assert not mismatched, mismatched[:2]
