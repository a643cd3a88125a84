"""The promptc runtime: load a bundle, verify its hash, validate inputs and render messages.

It depends only on jsonschema and rfc8785, never on the compiler (lark, jinja2 or any other
part of promptc), so services can ship it alone.

    bundle = load("dist/support.answer.json")
    rendered = bundle.render({"question": "Where is my invoice?"})
    call_model(rendered.messages, tools=rendered.tools, **rendered.model)
    log(rendered.trace)
"""

from typing import TYPE_CHECKING

# Names are imported on first use (PEP 562): `promptc.runtime.hashing` or the errors alone do
# not pull in jsonschema, which keeps `promptc history` and other registry reads quick.
_SOURCES = {
    "bundle": ("FORMAT", "Bundle", "Message", "Rendered", "bundle_schema", "load", "load_dir"),
    "errors": ("BundleFormatError", "InputError", "InputIssue", "IntegrityError", "NotServed",
               "PromptcRuntimeError", "RenderError"),
    "hashing": ("canonical_json", "spec_hash"),
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from .bundle import FORMAT, Bundle, Message, Rendered, bundle_schema, load, load_dir
    from .errors import (BundleFormatError, InputError, InputIssue, IntegrityError, NotServed,
                         PromptcRuntimeError, RenderError)
    from .hashing import canonical_json, spec_hash
