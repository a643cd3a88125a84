"""A promptfoo configuration (YAML) from the compiled bundles of a project.

- `prompts`: one per bundle, `{id, label: NAME, raw}` where `raw` is a chat prompt, the
  JSON list of the bundle's messages. promptfoo renders each string of a JSON prompt with
  Nunjucks, so each message's content is its IR written as a Nunjucks template
  (`export/nunjucks.py`: `{{ var }}` placeholders, `{% if %}`, `{% for %}`, defaults).
- `providers`: one per model and settings, named after the model (`openai:chat:…`,
  `anthropic:messages:…`, `google:…`; `echo` for a prompt without a model) with the
  model settings, tools and, for OpenAI, the output schema as `response_format`; each
  provider runs only the prompts that name its model (`prompts:`).
- `tests`: the records of each prompt's front matter `eval:` dataset when it is a JSONL
  file of `{vars, assert}` objects (`description`, `options`, `threshold` and `metadata`
  are kept), each limited to its prompt (`prompts: [NAME]`). List-valued vars set
  `options.disableVarExpansion` (promptfoo would otherwise run one case per item).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..runtime import PromptcRuntimeError, load
from .nunjucks import message_template
from .requests import ANTHROPIC_DEFAULT_MAX_TOKENS, safe_name
from .schema import clean_schema, strict_problem

#: Keys of a dataset record that become keys of the promptfoo test.
TEST_KEYS = ("description", "vars", "assert", "options", "threshold", "metadata")


def chat_prompt(bundle: Mapping) -> str:
    """A bundle's messages as a promptfoo chat prompt: JSON with Nunjucks message texts."""
    inputs = bundle["spec"].get("inputs") or {}
    messages = [{"role": m["role"], "content": message_template(m["content"], inputs)}
                for m in bundle["spec"]["messages"]]
    return json.dumps(messages, indent=2, ensure_ascii=False)


def _reasoning(model: str) -> bool:
    low = model.lower()
    return low.startswith(("o1", "o3", "o4", "gpt-5"))


def provider(bundle: Mapping) -> tuple[str, dict, list[str]]:
    """The promptfoo provider id and config for a bundle's model settings, and notes."""
    spec = bundle["spec"]
    settings = spec.get("model") or {}
    name = settings.get("name")
    notes: list[str] = []
    if not name:
        return "echo", {}, [f"{bundle['name']} names no model: the echo provider returns the rendered prompt"]
    low = name.lower()
    config: dict[str, Any] = {}
    if low.startswith("claude"):
        pid = f"anthropic:messages:{name}"
        for key in ("temperature", "top_p"):
            if key in settings:
                config[key] = settings[key]
        config["max_tokens"] = settings.get("max_tokens", ANTHROPIC_DEFAULT_MAX_TOKENS)
        if spec["tools"]:
            config["tools"] = [{"name": t["name"], "description": t["description"],
                                "input_schema": clean_schema(t["parameters"])} for t in spec["tools"]]
    elif low.startswith("gemini"):
        pid = f"google:{name}"
        generation = {k2: settings[k] for k, k2 in (("temperature", "temperature"), ("top_p", "topP"),
                                                    ("max_tokens", "maxOutputTokens")) if k in settings}
        if generation:
            config["generationConfig"] = generation
        if spec["tools"]:
            notes.append(f"{bundle['name']}: tools are not passed to the Google provider")
    else:
        pid = f"openai:chat:{name}"
        from .. import tokens

        if tokens.model_encoding(name) is None:
            notes.append(f"{bundle['name']}: `{name}` is not an OpenAI model promptc knows; the provider "
                         "assumes an OpenAI-compatible API (set apiBaseUrl, or change the id)")
        for key in ("temperature", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty",
                    "reasoning_effort"):
            if key in settings:
                config[key] = settings[key]
        if "max_tokens" in settings:
            config["max_completion_tokens" if _reasoning(name) else "max_tokens"] = settings["max_tokens"]
        if spec["tools"]:
            config["tools"] = [{"type": "function", "function": {"name": t["name"], "description": t["description"],
                                                                 "parameters": clean_schema(t["parameters"])}}
                               for t in spec["tools"]]
        output = spec["output"]
        if output.get("type") == "json":
            schema = clean_schema(output["schema"])
            config["response_format"] = {"type": "json_schema", "json_schema": {
                "name": safe_name(bundle["name"]), "schema": schema, "strict": strict_problem(schema) is None}}
    return pid, config, notes


def tests_for(bundle: Mapping, root: Path, label: str) -> tuple[list[dict], list[str]]:
    """The promptfoo tests from the bundle's `eval:` dataset, and notes."""
    dataset = (bundle.get("meta") or {}).get("eval")
    name = bundle["name"]
    if not dataset:
        return [], []
    path = (root / dataset)
    if path.suffix != ".jsonl":
        return [], [f"{name}: eval `{dataset}` is not a JSONL file; no tests were taken from it"]
    if not path.is_file():
        return [], [f"{name}: eval dataset `{dataset}` does not exist"]
    tests: list[dict] = []
    notes: list[str] = []
    runtime = load(dict(bundle))
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{dataset}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            notes.append(f"{where}: not JSON ({exc.msg}); skipped")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("vars", {}), dict):
            notes.append(f"{where}: not a {{vars, assert}} object; skipped")
            continue
        test = {key: record[key] for key in TEST_KEYS if key in record}
        test.setdefault("description", f"{name} #{len(tests) + 1}")
        test.setdefault("vars", {})
        test["prompts"] = [label]
        if any(isinstance(v, list) for v in test["vars"].values()):
            test["options"] = {**(test.get("options") or {}), "disableVarExpansion": True}
        ignored = sorted(set(record) - set(TEST_KEYS))
        if ignored:
            notes.append(f"{where}: {', '.join(ignored)} not passed to promptfoo")
        try:
            runtime.render(test["vars"])
        except PromptcRuntimeError as exc:
            notes.append(f"{where}: the vars are not valid inputs of {name}: {exc}")
        tests.append(test)
    return tests, notes


def promptfoo_config(bundles: Mapping[str, Mapping], root: Path, project_name: str | None = None
                     ) -> tuple[str, list[str]]:
    """The YAML text of a promptfoo config for `bundles` (name → bundle dict), and notes."""
    notes: list[str] = []
    prompts, tests = [], []
    groups: dict[tuple[str, str], dict] = {}
    for name in sorted(bundles):
        bundle = bundles[name]
        prompts.append({"id": name, "label": name, "raw": chat_prompt(bundle)})
        pid, config, provider_notes = provider(bundle)
        notes += provider_notes
        key = (pid, json.dumps(config, sort_keys=True))
        groups.setdefault(key, {"id": pid, "config": config, "prompts": []})["prompts"].append(name)
        found, test_notes = tests_for(bundle, root, name)
        tests += found
        notes += test_notes
    providers = []
    per_id: dict[str, int] = {}
    for (pid, _), group in groups.items():
        per_id[pid] = per_id.get(pid, 0) + 1
    for (pid, _), group in groups.items():
        entry: dict[str, Any] = {"id": pid}
        model = pid.split(":")[-1] if pid != "echo" else "echo"
        entry["label"] = model if per_id[pid] == 1 else f"{model} ({', '.join(group['prompts'])})"
        entry["prompts"] = group["prompts"]
        if group["config"]:
            entry["config"] = group["config"]
        providers.append(entry)
    if not tests:
        notes.append("no prompt names a JSONL eval dataset: add tests to the config")
    document = {"description": f"{project_name or root.name}: prompts compiled by promptc",
                "prompts": prompts, "providers": providers, "tests": tests}
    header = [f"# promptfoo config for {project_name or root.name}, written by `promptc export --format promptfoo`.",
              "# Regenerate it when the prompts change instead of editing it. Message texts are",
              "# promptc templates written as Nunjucks, which promptfoo renders with each test's vars.",
              "# Tools are passed to the providers but not run: a reply that calls one ends the case."]
    header += ["# note: " + n.replace("\n", "\n#   ") for n in notes]
    return "\n".join(header) + "\n" + dump_yaml(document), notes


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
