"""The rule base: a code, a kebab name, a default severity, typed options and a
docstring in fixed sections. Rules yield diagnostics; the runner walks once and shares the
instruction models between them."""

from __future__ import annotations

import abc
import inspect
import textwrap
import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar, Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from ..diagnostics import Code, Diagnostic, Fix, Label, Severity
from ..semantic.checker import CheckedModule
from ..source import Span
from .model import MessageModel

SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "Options")


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class ProjectFacts:
    """Project-wide knowledge a module-level rule may consult."""

    today: dt.date
    stdlib_paragraphs: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # hash → (module, fragment)


@dataclass
class LintContext:
    """What a rule sees of one module."""

    module: CheckedModule
    models: list[MessageModel]
    project: ProjectFacts
    today: dt.date
    bundle: dict | None = None  # the module's compiled bundle, when it has one

    def system_models(self) -> list[MessageModel]:
        return [m for m in self.models if m.role == "system"]


class Rule(abc.ABC):
    code: ClassVar[Code]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None):
        self.options = options or self.Options()

    @property
    def name(self) -> str:
        return self.code.name

    @abc.abstractmethod
    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        """Yield this rule's findings for one module."""

    def report(self, span: Span | None, message: str, *, notes: Iterable[str] = (),
               labels: Iterable[Label] = (), fix: Fix | None = None, severity: Severity | None = None,
               kind: str | None = None) -> Diagnostic:
        return Diagnostic(self.code, message, span, severity or self.code.severity, tuple(labels), tuple(notes), fix,
                          kind=kind)

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The docstring split into its fixed sections (missing sections are absent)."""
        lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
        sections: dict[str, list[str]] = {}
        current = None
        for line in lines:
            title = line.strip().rstrip(":")
            if title in SECTIONS and line.strip().endswith(":"):
                current = title
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return {k: textwrap.dedent("\n".join(v)).strip() for k, v in sections.items()}

    @classmethod
    def describe(cls) -> str:
        parts = [f"{cls.code.name} ({cls.code.id}, default severity: {cls.code.severity.value})", ""]
        for title, body in cls.doc_sections().items():
            parts += [f"{title}:", *("  " + line if line else "" for line in body.splitlines()), ""]
        return "\n".join(parts).rstrip() + "\n"
