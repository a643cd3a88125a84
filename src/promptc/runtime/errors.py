"""Exceptions raised by the promptc runtime.

Everything derives from `PromptcRuntimeError`, so an application can catch one class around
`load` and `render`. Messages are written for the person who has to fix the problem: they
say what was found, what was expected and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass


class PromptcRuntimeError(Exception):
    """Base class of every error the runtime raises on purpose."""


class NotServed(PromptcRuntimeError):
    """The environment deliberately serves no version of the prompt to this request.

    A first release goes out as a canary against an `off` share: keys bucketed into it, every
    key once the guard froze it, and every key after it was rolled back get nothing, because
    there is no earlier version to fall back on. The caller runs the path it had before the
    prompt existed. `trace` says why: name, env, variant "off", bucket, rollout (version,
    hash and response_id are None, since nothing was rendered)."""

    def __init__(self, message: str, trace: dict) -> None:
        super().__init__(message)
        self.trace = trace


class BundleFormatError(PromptcRuntimeError):
    """The document is not a `promptc.bundle/v1` bundle: not JSON, wrong format or shape."""


class IntegrityError(PromptcRuntimeError):
    """The bundle's `spec` no longer hashes to its recorded `hash`.

    Bundles are content-addressed; a mismatch means someone edited the file after the
    compiler wrote it, so the runtime refuses to use it.
    """

    def __init__(self, name: str, expected: str, actual: str) -> None:
        self.name = name
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"bundle {name!r} failed its integrity check: it records hash {expected} but its "
            f"spec hashes to {actual}. The bundle was modified after it was built; rebuild "
            "it with promptc instead of editing it by hand."
        )


@dataclass(frozen=True)
class InputIssue:
    """One problem with the inputs: where (`history[0].text`, or `<inputs>` for the whole
    object) and what was wrong, including what is allowed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(PromptcRuntimeError):
    """The inputs passed to `Bundle.render` do not match the bundle's input schema.

    `errors` holds every problem found, not only the first, so a caller can fix them all
    in one go.
    """

    def __init__(self, bundle: str, errors: list[InputIssue]) -> None:
        self.bundle = bundle
        self.errors = list(errors)
        lines = "\n".join(f"  - {issue}" for issue in self.errors)
        count = len(self.errors)
        super().__init__(
            f"invalid inputs for {bundle} ({count} problem{'s' if count != 1 else ''}):\n{lines}"
        )


class RenderError(PromptcRuntimeError):
    """An expression met a value its operation does not accept (e.g. `<` between a number
    and a string). The compiler's type checker rules these out, so seeing one means the
    bundle was built by a different tool or its input schema is looser than its template."""
