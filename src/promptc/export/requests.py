"""Request bodies for the OpenAI Chat Completions and Anthropic Messages APIs.

Both render the prompt with `promptc.runtime` (so the inputs are validated and defaults
applied exactly as at run time) and map the front matter `model` settings to the API's own
names; settings an API does not have are left out and named in the notes.

OpenAI (`POST /v1/chat/completions`):
- `messages` in order with their roles; `tools` as `{"type": "function", "function":
  {name, description, parameters}}`, with `"strict": true` only for parameter schemas
  that meet strict mode's rules;
- `output json` becomes `response_format` `{"type": "json_schema", "json_schema": {name,
  schema, strict}}`; `strict` is true only when the schema meets strict mode's rules (every
  object has `additionalProperties: false` and requires all its properties; no `oneOf`,
  `allOf`, `not`, `if`): otherwise the schema is sent as a guide with `strict: false`;
- `max_tokens` is sent as `max_completion_tokens` (OpenAI's current name; `max_tokens` is
  deprecated and o-series models reject it).

Anthropic (`POST /v1/messages`):
- `system` is the system messages joined by a blank line (their position among the other
  messages is not kept); `messages` holds the user and assistant messages in order;
- `max_tokens` (required by the API) comes from the model settings, else
  `ANTHROPIC_DEFAULT_MAX_TOKENS` (4096);
- `tools` as `{name, description, input_schema}`;
- `output json` becomes a tool that takes the output as its input, named
  `<prompt>_output` (dots as underscores): `tool_choice` forces it (`{"type": "tool"}`) when it
  is the only tool, and `{"type": "any"}` when the prompt declares tools of its own (the
  model may call those first, and can only finish through a tool). The reply's
  `tool_use` block of that tool holds the JSON in `input`. A schema whose root is not an
  object is wrapped as `{"value": …}`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ..runtime import load
from .schema import clean_schema, strict_problem

ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

#: Front matter model settings → OpenAI Chat Completions parameters.
OPENAI_SETTINGS = {"temperature": "temperature", "top_p": "top_p", "max_tokens": "max_completion_tokens",
                   "stop": "stop", "seed": "seed", "frequency_penalty": "frequency_penalty",
                   "presence_penalty": "presence_penalty", "reasoning_effort": "reasoning_effort"}

#: Front matter model settings → Anthropic Messages parameters.
ANTHROPIC_SETTINGS = {"temperature": "temperature", "top_p": "top_p", "stop": "stop_sequences"}

#: Settings that describe the model rather than the request.
_NOT_SENT = {"name", "provider", "context_window"}


class ExportError(ValueError):
    """The bundle cannot become a request body (e.g. it names no model)."""


def safe_name(name: str, limit: int = 64) -> str:
    """A name APIs accept for schemas and tools: `[A-Za-z0-9_-]`, at most `limit` long."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:limit] or "output"


def _model_name(bundle: Mapping) -> str:
    name = (bundle["spec"].get("model") or {}).get("name")
    if not name:
        raise ExportError(f"`{bundle['name']}` names no model: add `model: {{name: …}}` to its front matter")
    return name


def _render(bundle: Mapping, inputs: Mapping | None):
    return load(dict(bundle)).render(inputs or {})


def openai_body(bundle: Mapping, inputs: Mapping | None = None) -> tuple[dict, list[str]]:
    """The Chat Completions request body for a bundle and inputs, and notes on what was
    left out or approximated. Raises `ExportError`, or the runtime's `InputError`."""
    notes: list[str] = []
    model = _model_name(bundle)
    rendered = _render(bundle, inputs)
    spec = bundle["spec"]
    body: dict[str, Any] = {"model": model,
                            "messages": [{"role": m.role, "content": m.content} for m in rendered.messages]}
    if spec["tools"]:
        body["tools"] = []
        for tool in spec["tools"]:
            parameters = clean_schema(tool["parameters"])
            function: dict[str, Any] = {"name": tool["name"], "description": tool["description"],
                                        "parameters": parameters}
            if strict_problem(parameters) is None:
                function["strict"] = True
            body["tools"].append({"type": "function", "function": function})
        notes += _approval_notes(spec)
    output = spec["output"]
    if output.get("type") == "json":
        schema = clean_schema(output["schema"])
        problem = strict_problem(schema)
        if problem:
            notes.append(f"response_format is not strict: {problem}")
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": safe_name(bundle["name"]), "schema": schema,
                                                   "strict": problem is None}}
    body.update(_settings(spec.get("model") or {}, OPENAI_SETTINGS, "OpenAI", notes))
    return body, notes


def anthropic_body(bundle: Mapping, inputs: Mapping | None = None) -> tuple[dict, list[str]]:
    """The Messages API request body for a bundle and inputs, and notes."""
    notes: list[str] = []
    model = _model_name(bundle)
    rendered = _render(bundle, inputs)
    spec = bundle["spec"]
    settings = spec.get("model") or {}
    body: dict[str, Any] = {"model": model}
    if settings.get("max_tokens"):
        body["max_tokens"] = settings["max_tokens"]
    else:
        body["max_tokens"] = ANTHROPIC_DEFAULT_MAX_TOKENS
        notes.append(f"max_tokens is {ANTHROPIC_DEFAULT_MAX_TOKENS}, promptc's default: the model settings "
                     "set none and the API requires it")
    system = [m.content for m in rendered.messages if m.role == "system"]
    if system:
        body["system"] = "\n\n".join(system)
    roles = [m.role for m in rendered.messages]
    if "system" in roles and any(r != "system" for r in roles[:max(i for i, r in enumerate(roles) if r == "system")]):
        notes.append("a system message follows other messages: Anthropic takes one system prompt, so it "
                     "was moved to `system`")
    body["messages"] = [{"role": m.role, "content": m.content} for m in rendered.messages if m.role != "system"]
    if not body["messages"]:
        notes.append("the prompt has no user message: the Messages API needs at least one")
    elif body["messages"][0]["role"] != "user":
        notes.append("the first message is not a user message, which the Messages API expects")
    tools = [{"name": t["name"], "description": t["description"], "input_schema": clean_schema(t["parameters"])}
             for t in spec["tools"]]
    notes += _approval_notes(spec)
    output = spec["output"]
    if output.get("type") == "json":
        schema = clean_schema(output["schema"])
        if schema.get("type") != "object":
            schema = {"type": "object", "properties": {"value": schema}, "required": ["value"],
                      "additionalProperties": False}
            notes.append("the output schema is not an object, so the output tool takes it as `value`")
        name = _unique(f"{safe_name(bundle['name'], 58)}_output", {t["name"] for t in tools})
        description = "Give your final reply by calling this tool, once, as your last step: its input is the reply."
        if isinstance(output["schema"].get("description"), str):
            description += " " + output["schema"]["description"]
        tools.append({"name": name, "description": description, "input_schema": schema})
        body["tools"] = tools
        body["tool_choice"] = {"type": "tool", "name": name} if len(tools) == 1 else {"type": "any"}
    elif tools:
        body["tools"] = tools
    body.update(_settings(settings, ANTHROPIC_SETTINGS, "Anthropic", notes, sent={"max_tokens"}))
    if isinstance(body.get("temperature"), (int, float)) and body["temperature"] > 1:
        notes.append(f"temperature {body['temperature']} is above 1, the Messages API's maximum")
    return body, notes


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _settings(settings: Mapping, mapping: Mapping[str, str], api: str, notes: list[str],
              sent: set[str] = frozenset()) -> dict:
    out = {}
    for key, value in settings.items():
        if key in mapping:
            out[mapping[key]] = value
        elif key not in _NOT_SENT and key not in sent:
            notes.append(f"`{key}` has no {api} equivalent and was left out")
    return out


def _approval_notes(spec: Mapping) -> list[str]:
    gated = [t["name"] for t in spec["tools"] if t.get("requires_approval")]
    if not gated:
        return []
    return [f"`{', '.join(gated)}` require{'s' * (len(gated) == 1)} approval: the API does not know it, "
            "so the caller must ask before running the call"]
