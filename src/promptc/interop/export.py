"""`promptc export NAME --format dotprompt|prompty|github-models`: a bundle as the file a
team on that tool would use.

Each writer maps the bundle's IR onto the target's template language so that the target's
reference implementation renders the same messages promptc renders; what the target cannot
say exactly raises ExportError naming the construct (never a silent change), and what it
says slightly differently for unusual values is returned as notes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from ..export import ExportError
from ..export.budget import schema_alternatives, schema_types
from ..export.promptfoo import dump_yaml

MODEL_TO_CONFIG = {"temperature": "temperature", "max_tokens": "maxOutputTokens", "top_p": "topP", "stop": "stopSequences",
                   "seed": "seed", "frequency_penalty": "frequencyPenalty", "presence_penalty": "presencePenalty"}


def input_defaults(spec: Mapping) -> dict:
    return {name: prop["default"] for name, prop in (spec["inputs"].get("properties") or {}).items()
            if isinstance(prop, dict) and "default" in prop}


def front_matter(document: dict) -> str:
    return "---\n" + dump_yaml(document) + "---\n"


def var_schema(props: Mapping, env: Mapping, path: list[str]) -> dict:
    """The schema of the value at `path` (an input, or a loop variable in `env`); a field the
    object does not require may be missing, which the schema then admits as null."""
    head, *rest = path
    schema = env.get(head, props.get(head, {}))
    for name in rest:
        schema = field_schema(schema, name)
    return schema if isinstance(schema, dict) else {}


def field_schema(schema: Mapping, name: str) -> dict:
    for alt in schema_alternatives(dict(schema)):
        if isinstance(alt.get("properties"), dict) and name in alt["properties"]:
            sub = alt["properties"][name]
            if name not in (alt.get("required") or []):
                return {"anyOf": [*schema_alternatives(sub), {"type": "null"}]}
            return sub
    return {}


def describe(expr: Mapping) -> str:
    kind = expr["kind"]
    if kind == "var":
        return ".".join(expr["path"])
    if kind == "const":
        return json.dumps(expr["value"])
    if kind == "filter":
        args = ", ".join(describe(a) for a in expr.get("args", []))
        return f"{describe(expr['arg'])} | {expr['name']}" + (f"({args})" if args else "")
    if kind == "compare":
        return f"{describe(expr['left'])} {expr['op']} {describe(expr['right'])}"
    if kind == "not":
        return f"not {describe(expr['arg'])}"
    return f" {kind} ".join(describe(a) for a in expr["args"])


# --- GitHub Models ---------------------------------------------------------------------------

def github_models_file(bundle: Mapping, root: Path) -> tuple[str, list[str]]:
    """A `.prompt.yml` for `gh models eval`: messages with `{{name}}` placeholders, model
    parameters, and `testData` from the prompt's `eval:` dataset."""
    from ..export.promptfoo import tests_for

    spec = bundle["spec"]
    name = bundle["name"]
    doc: dict[str, Any] = {"name": name}
    if (bundle.get("meta") or {}).get("purpose"):
        doc["description"] = bundle["meta"]["purpose"]
    model = spec.get("model") or {}
    notes: list[str] = []
    if not model.get("name"):
        raise ExportError(f"{name}: GitHub Models needs a model; add `model: {{name: openai/gpt-4o}}`")
    doc["model"] = model["name"] if "/" in model["name"] else f"openai/{model['name']}"
    if "/" not in model["name"]:
        notes.append(f"{name}: model `{model['name']}` written as `{doc['model']}` (GitHub Models names the publisher)")
    params = {k2: model[k] for k, k2 in (("max_tokens", "maxTokens"), ("temperature", "temperature"), ("top_p", "topP"))
              if k in model}
    if params:
        doc["modelParameters"] = params
    if spec["output"].get("type") == "json":
        doc["responseFormat"] = "json_schema"
        doc["jsonSchema"] = json.dumps({"name": name.replace(".", "_"), "strict": False,
                                        "schema": spec["output"]["schema"]}, ensure_ascii=False)
    props = spec["inputs"].get("properties") or {}
    messages = []
    for message in spec["messages"]:
        out = []
        for n in message["content"]:
            if n["kind"] == "text":
                if "{{" in n["text"]:
                    raise ExportError(f"{name}: literal `{{{{` in the text would read as a GitHub Models placeholder")
                out.append(n["text"])
            elif n["kind"] == "expr" and n["expr"]["kind"] == "var" and len(n["expr"]["path"]) == 1:
                var = n["expr"]["path"][0]
                if schema_types(props.get(var, {})) & {"array", "object", "any"}:
                    raise ExportError(f"{name}: `{var}` is a list or object; GitHub Models substitutes text only")
                out.append("{{" + var + "}}")
            else:
                what = n["kind"] if n["kind"] != "expr" else f"the expression `{describe(n['expr'])}`"
                raise ExportError(f"{name}: {what} has no GitHub Models form: its prompts substitute `{{{{name}}}}` "
                                  "only (no conditions, loops, fields or filters)")
        messages.append({"role": message["role"], "content": "".join(out)})
    doc["messages"] = messages
    tests, test_notes = tests_for(bundle, root, name)
    notes += test_notes
    defaults = input_defaults(spec)
    if tests:
        doc["testData"] = []
        for test in tests:
            item = {**defaults, **test.get("vars", {})}
            missing = [v for v in props if v not in item]
            if missing:
                notes.append(f"{name}: test `{test.get('description')}` gives no {', '.join(missing)}; "
                             "`gh models eval` leaves those placeholders as written")
            doc["testData"].append(item)
        evaluators = _evaluators(tests, notes, name)
        if evaluators:
            doc["evaluators"] = evaluators
    else:
        notes.append(f"{name}: no `eval:` JSONL dataset, so no testData; add test rows before `gh models eval`")
    return dump_yaml(doc), notes


def _evaluators(tests: list[dict], notes: list[str], name: str) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for test in tests:
        for check in test.get("assert") or []:
            kind, value = check.get("type"), check.get("value")
            mapped = {"contains": "contains", "equals": "equals", "starts-with": "startsWith"}.get(kind or "")
            if mapped and isinstance(value, str):
                key = f"{mapped}:{value}"
                if key not in seen:
                    seen.add(key)
                    out.append({"name": f"{mapped} {value[:40]}", "string": {mapped: value}})
            elif kind:
                seen_key = f"skip:{kind}"
                if seen_key not in seen:
                    seen.add(seen_key)
                    notes.append(f"{name}: promptfoo assertion `{kind}` has no GitHub Models string evaluator; "
                                 "not exported")
    return out


def export_file(bundle: Mapping, fmt: str, root: Path) -> tuple[str, list[str]]:
    """(the file's text, notes) for `fmt`: dotprompt, prompty or github-models."""
    if fmt == "dotprompt":
        from .to_dotprompt import dotprompt_file

        return dotprompt_file(bundle)
    if fmt == "prompty":
        from .to_prompty import prompty_file

        return prompty_file(bundle)
    return github_models_file(bundle, root)
