"""JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines…).

One `<testsuite name="promptc">`; one `<testcase>` per file checked, named by its path as
diagnostics show it (with `file=` relative to the repository). Each error or warning is a
`<failure>` of its file's test case; infos go to the test case's `<system-out>` and do not
fail it. `tests` counts files and `failures` counts failed files (test cases), as JUnit
consumers expect; the numbers of findings by severity are suite properties.
Findings without a location belong to a test case named `(project)`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, Severity, render_text
from ..source import SourceFile
from .paths import PathMapper

PROJECT_CASE = "(project)"
# Characters XML 1.0 cannot hold, not even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def to_xml(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile],
           project_root: Path | str) -> ET.Element:
    paths = PathMapper.for_project(Path(project_root))
    by_file: dict[str, list[Diagnostic]] = {f: [] for f in sources if not paths.is_stdlib(f)}
    for d in diagnostics:
        by_file.setdefault(d.span.file if d.span else PROJECT_CASE, []).append(d)
    counts = {s: sum(d.severity is s for d in diagnostics) for s in Severity}
    failed = sum(any(d.severity is not Severity.INFO for d in ds) for ds in by_file.values())

    suites = ET.Element("testsuites", name="promptc", tests=str(len(by_file)), failures=str(failed), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="promptc", tests=str(len(by_file)), failures=str(failed),
                          errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    for severity in Severity:
        ET.SubElement(props, "property", name=f"findings.{severity.value}", value=str(counts[severity]))
    for name in sorted(by_file):
        case = ET.SubElement(suite, "testcase", classname="promptc", name=_clean(name))
        if name != PROJECT_CASE:
            case.set("file", _clean(paths.repo_path(name)))
        infos = []
        for d in by_file[name]:
            text = _clean(render_text(d, sources))
            if d.severity is Severity.INFO:
                infos.append(text)
                continue
            failure = ET.SubElement(case, "failure", type=d.severity.value,
                                    message=_clean(f"{d.code.id} {d.code.name}: {d.message}"))
            failure.text = text
        if infos:
            ET.SubElement(case, "system-out").text = "\n\n".join(infos)
    return suites


def write(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], project_root: Path | str) -> str:
    root = to_xml(diagnostics, sources, project_root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
