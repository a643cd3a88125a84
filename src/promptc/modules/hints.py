"""Point an undeclared name at the import it is missing.

`{{ concise }}` in a module that imports nothing is most likely a fragment of another module
(`from shared.style import concise`), and `{{ safety }}` after a misspelled `import
shared.saftey` the module `shared.safety`; the checker alone would say "declare it:
`input concise: str`", which points the wrong way. This runs once per compilation over its
diagnostics (not inside a module's cached results, which see only their import closure),
and reads module files only when some name is undeclared.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..diagnostics import Diagnostic
from .loader import ModuleIndex

_UNDECLARED = re.compile(r"`([A-Za-z_]\w*)` is not declared")
_DECLARE = "declare it: `input "
_FRAGMENT = re.compile(r"^[ \t]*fragment[ \t]+([A-Za-z_]\w*)", re.M)
#: At most this many imports are offered for one name.
MAX_OFFERS = 3


def _undeclared_name(d: Diagnostic) -> str | None:
    if d.code.name != "undeclared-variable" or not d.notes or not d.notes[0].startswith(_DECLARE):
        return None
    match = _UNDECLARED.fullmatch(d.message)
    return match.group(1) if match else None


def _offers(index: ModuleIndex, wanted: set[str]) -> dict[str, list[str]]:
    """name → the imports that would bind it: project modules first, then the stdlib."""
    offers: dict[str, list[str]] = {}
    names = index.project_names()
    names += [n for n in index.known_names() if n not in set(names)]
    for module in names:
        last = module.rsplit(".", 1)[-1]
        if last in wanted:
            offers.setdefault(last, []).append(f"`{last}` is the module `{module}`: write `import {module}`")
        location = index.find(module)
        if location is None:
            continue
        try:
            text = location.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        for fragment in _FRAGMENT.findall(text):
            if fragment in wanted:
                offers.setdefault(fragment, []).append(
                    f"`{module}` defines the fragment `{fragment}`: write `from {module} import {fragment}`")
    return offers


def with_import_hints(diagnostics: list[Diagnostic], index: ModuleIndex) -> list[Diagnostic]:
    wanted = {name for d in diagnostics if (name := _undeclared_name(d))}
    if not wanted:
        return diagnostics
    offers = _offers(index, wanted)
    out = []
    for d in diagnostics:
        name = _undeclared_name(d)
        found = offers.get(name or "")
        out.append(replace(d, notes=tuple(found[:MAX_OFFERS])) if found else d)
    return out
