"""OpenTelemetry attributes for a render, so every traced model call names its prompt.

    from promptc.runtime.otel import attributes
    span.set_attributes(attributes(rendered.trace))

`Client.render` does this itself on the current span when `opentelemetry-api` is installed
(the `otel` extra) and that span is recording; without the package, or without an SDK
configured, nothing happens and nothing is imported beyond a failed lookup.

Attributes: `gen_ai.prompt.name`, `gen_ai.prompt.version` (the GenAI conventions), and
promptc's own `promptc.bundle.hash`, `promptc.variant`, `promptc.env`, `promptc.rollout`,
`promptc.bucket` and `promptc.response_id`, the key that `Client.report` and `promptc
signals ingest` join outcomes on. Attributes whose value is unknown (no rollout, no key)
are left out: OpenTelemetry has no null.
"""

from __future__ import annotations

from typing import Any, Mapping

_FIELDS = (
    ("gen_ai.prompt.name", "name"),
    ("gen_ai.prompt.version", "version"),
    ("promptc.bundle.hash", "hash"),
    ("promptc.variant", "variant"),
    ("promptc.env", "env"),
    ("promptc.rollout", "rollout"),
    ("promptc.bucket", "bucket"),
    ("promptc.response_id", "response_id"),
)

_trace_api: Any = None  # the opentelemetry.trace module, False once known to be missing


def attributes(trace: Mapping[str, Any]) -> dict[str, Any]:
    """The span attributes of a render's trace."""
    out: dict[str, Any] = {}
    for attribute, key in _FIELDS:
        value = trace.get(key)
        if value is None:
            continue
        out[attribute] = value if isinstance(value, (str, bool, int, float)) else str(value)
    if trace.get("stale"):
        out["promptc.stale"] = True
    return out


def _api():
    global _trace_api
    if _trace_api is None:
        try:
            from opentelemetry import trace as api
        except ImportError:
            api = False
        _trace_api = api
    return _trace_api


def annotate_current_span(trace: Mapping[str, Any]) -> bool:
    """Set the render's attributes on the current span; True if a recording span took
    them. Never raises: tracing must not take a render down."""
    api = _api()
    if not api:
        return False
    try:
        span = api.get_current_span()
        if not span.is_recording():
            return False
        span.set_attributes(attributes(trace))
        return True
    except Exception:
        return False
