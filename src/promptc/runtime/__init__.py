"""The promptc runtime: load a bundle, verify its hash, validate inputs and render messages.

It depends only on jsonschema and rfc8785, never on the compiler (lark, jinja2 or any other
part of promptc), so services can ship it alone.

    bundle = load("dist/support.answer.json")
    rendered = bundle.render({"question": "Where is my invoice?"})
    call_model(rendered.messages, tools=rendered.tools, **rendered.model)
    log(rendered.trace)
"""

from .bundle import FORMAT, Bundle, Message, Rendered, bundle_schema, load, load_dir
from .errors import (
    BundleFormatError,
    InputError,
    InputIssue,
    IntegrityError,
    NotServed,
    PromptcRuntimeError,
    RenderError,
)
from .hashing import canonical_json, spec_hash

__all__ = [
    "FORMAT",
    "Bundle",
    "BundleFormatError",
    "InputError",
    "InputIssue",
    "IntegrityError",
    "Message",
    "NotServed",
    "PromptcRuntimeError",
    "RenderError",
    "Rendered",
    "bundle_schema",
    "canonical_json",
    "load",
    "load_dir",
    "spec_hash",
]
