"""SARIF 2.1.0 for code-scanning services (GitHub code scanning and others).

One run; `tool.driver.rules` describes every compiler code and every lint rule (the lint
rules' help comes from their documented sections). Each result has a stable
`partialFingerprints["promptc/v1"]`: the sha256 of the rule id, the repository-relative
file, the finding's source line and spanned text (whitespace-normalised) and the index of
the finding among those with the same four, so a finding keeps its fingerprint when
unrelated lines are added or removed above it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .. import __version__
from ..diagnostics import CODES, Code, Diagnostic, Severity
from ..source import SourceFile, Span
from .paths import SRCROOT_BASE, STDLIB_BASE, PathMapper

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "promptc/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _text(value: str) -> dict:
    return {"text": value}


def compiler_rule(code: Code) -> dict:
    return {
        "id": code.id,
        "name": code.name,
        "shortDescription": _text(code.description),
        "fullDescription": _text(code.description),
        "help": _text(f"{code.name} ({code.id}): {code.description}"),
        "defaultConfiguration": {"level": LEVELS[code.severity]},
        "properties": {"tags": ["compiler"]},
    }


def lint_rule(rule) -> dict:
    """A reportingDescriptor for a lint rule class, from its docstring sections."""
    code: Code = rule.code
    sections = rule.doc_sections()
    what = sections.get("What it does", code.description)
    why = sections.get("Why it matters")
    full = what + (f"\n\n{why}" if why else "")
    markdown = []
    for title, body in sections.items():
        if not body:
            continue
        markdown.append(f"**{title}**")
        markdown.append(f"```\n{body}\n```" if title == "Example" else body)
    return {
        "id": code.id,
        "name": code.name,
        "shortDescription": _text(code.description),
        "fullDescription": _text(full),
        "help": {"text": rule.describe(), **({"markdown": "\n\n".join(markdown)} if markdown else {})},
        "defaultConfiguration": {"level": LEVELS[code.severity]},
        "properties": {"tags": ["lint"]},
    }


def rule_descriptors() -> list[dict]:
    """Every compiler code, then every lint rule, each once."""
    from ..lint.registry import RULES

    rules = [compiler_rule(c) for c in CODES.values()]
    seen = {r["id"] for r in rules}
    for rule in RULES:
        if rule.code.id not in seen:
            seen.add(rule.code.id)
            rules.append(lint_rule(rule))
    return rules


def _norm(text: str) -> str:
    return " ".join(text.split())


def _span_text(src: SourceFile, span: Span) -> str:
    return src.text[src.offset(span.line, span.column):src.offset(span.end_line, span.end_column)]


def fingerprints(diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile],
                 paths: PathMapper) -> list[str]:
    seen: dict[tuple[str, ...], int] = {}
    out = []
    for d in diagnostics:
        s = d.span
        src = sources.get(s.file) if s else None
        if s is not None and src is not None:
            anchor = (_norm(src.line_text(s.line)), _norm(_span_text(src, s)))
        else:
            anchor = ("", _norm(d.message))
        key = (d.code.id, paths.repo_path(s.file) if s else "", *anchor)
        index = seen.get(key, 0)
        seen[key] = index + 1
        out.append(hashlib.sha256("\x00".join((*key, str(index))).encode("utf-8")).hexdigest())
    return out


def _region(span: Span) -> dict:
    return {"startLine": span.line, "startColumn": span.column,
            "endLine": span.end_line, "endColumn": span.end_column}


def _physical(span: Span, paths: PathMapper, sources: Mapping[str, SourceFile]) -> dict:
    loc: dict = {"artifactLocation": paths.artifact_location(span.file), "region": _region(span)}
    src = sources.get(span.file)
    if src is not None:
        loc["region"]["snippet"] = _text(src.line_text(span.line))
    return loc


def _message(d: Diagnostic) -> str:
    lines = [d.message]
    lines += [f"imported from {step}" for step in d.import_chain]
    lines += [note if note.startswith("note:") else f"help: {note}" for note in d.notes]
    if d.fix:
        lines.append(f"fix: {d.fix.message}")
    return "\n".join(lines)


def to_sarif(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile],
             project_root: Path | str) -> dict:
    paths = PathMapper.for_project(Path(project_root))
    rules = rule_descriptors()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d, fingerprint in zip(diagnostics, fingerprints(diagnostics, sources, paths)):
        if d.code.id not in index:  # a code registered nowhere (should not happen): describe it
            index[d.code.id] = len(rules)
            rules.append(compiler_rule(d.code))
        result: dict = {
            "ruleId": d.code.id,
            "ruleIndex": index[d.code.id],
            "level": LEVELS[d.severity],
            "message": _text(_message(d)),
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
            "properties": {"rule": d.code.name, "severity": d.severity.value},
        }
        if d.span is not None:
            result["locations"] = [{"physicalLocation": _physical(d.span, paths, sources)}]
        if d.labels:
            result["relatedLocations"] = [
                {"id": i, "physicalLocation": _physical(label.span, paths, sources), "message": _text(label.message)}
                for i, label in enumerate(d.labels)]
        if d.fix is not None:
            result["fixes"] = [{
                "description": _text(d.fix.message),
                "artifactChanges": [{
                    "artifactLocation": paths.artifact_location(d.fix.span.file),
                    "replacements": [{"deletedRegion": _region(d.fix.span),
                                      "insertedContent": _text(d.fix.replacement)}],
                }],
            }]
        if d.import_chain:
            result["properties"]["importChain"] = list(d.import_chain)
        results.append(result)

    bases: dict = {SRCROOT_BASE: {"uri": paths.repo_root.as_uri().rstrip("/") + "/",
                                  "description": _text("The root of the repository.")}}
    stdlib = _stdlib_uri()
    if stdlib:
        bases[STDLIB_BASE] = {"uri": stdlib, "description": _text("The standard library shipped with promptc.")}
    run = {
        "tool": {"driver": {
            "name": "promptc",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "originalUriBaseIds": bases,
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": True}],
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _stdlib_uri() -> str | None:
    try:
        from ..resources import stdlib_root

        root = stdlib_root()
    except RuntimeError:
        return None
    return Path(str(root)).resolve().as_uri().rstrip("/") + "/" if isinstance(root, Path) else None


def write(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], project_root: Path | str) -> str:
    return json.dumps(to_sarif(diagnostics, sources, project_root), indent=2, ensure_ascii=False)
