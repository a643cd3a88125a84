"""References, rename, formatting and quick fixes: plain promptc data, no protocol.

References and rename work on a compilation of the whole project (every module, open
buffers as overlays), so that modules nobody has open are found too. A name is the same
name everywhere when its `Target` has the same kind, defining module and name.
Positions are promptc spans (1-based lines, code-point columns); `server.py` converts.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from ..diagnostics import Diagnostic
from ..driver import CompileResult
from ..modules.loader import STD_PREFIX
from ..source import SourceFile, Span
from ..syntax import ast, parse_module
from .navigation import Target, bindings_of, index_module
from .positions import LineText, lines_of

REFERABLE = frozenset({"input", "fragment", "type", "tool"})
RENAMABLE = frozenset({"input", "fragment"})
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Names a template cannot bind: Jinja's literals and operators, and promptc's own.
RESERVED = frozenset({"true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is",
                      "if", "else", "elif", "endif", "for", "endfor", "loop", "tools", "self", "import",
                      "from", "as", "input", "fragment", "type", "tool", "output", "system", "user",
                      "assistant"})
DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")


class RenameError(Exception):
    """A rename that cannot be done; the message says why."""


def key_of(target: Target) -> tuple[str, str, str] | None:
    if target.kind not in REFERABLE or target.module is None or target.span is None:
        return None
    return target.kind, target.module, target.name


def target_at(result: CompileResult, module: str, line: int, column: int) -> Target | None:
    program = result.program
    checked = program.modules.get(module) if program else None
    if checked is None:
        return None
    occ = index_module(result, checked).at(line, column)
    return occ.target if occ is not None else None


def references(result: CompileResult, target: Target, include_declaration: bool = True) -> list[Span]:
    """Every place the project names `target` (sorted, without duplicates)."""
    key = key_of(target)
    program = result.program
    if key is None or program is None:
        return []
    found: set[Span] = set()
    for checked in program.modules.values():
        for occ in index_module(result, checked).occurrences:
            if key_of(occ.target) != key:
                continue
            if not include_declaration and occ.span == occ.target.span:
                continue
            found.add(occ.span)
    return sorted(found, key=lambda s: (s.file, s.line, s.column, s.end_line, s.end_column))


def text_at(lines: LineText, span: Span) -> str:
    if span.line != span.end_line:
        return ""
    return lines(span.line)[span.column - 1:span.end_column - 1]


@dataclass(frozen=True)
class RenamePlan:
    target: Target
    spans: list[Span]  # every occurrence that spells the old name (aliases are left alone)


def plan_rename(result: CompileResult, target: Target | None, new_name: str, lines_for) -> RenamePlan:
    """What renaming `target` to `new_name` edits; `lines_for(span)` gives a span's lines.

    Raises RenameError when the rename is not possible."""
    if target is None or key_of(target) is None:
        raise RenameError("there is no input or fragment to rename here")
    if target.kind not in RENAMABLE:
        raise RenameError(f"only inputs and fragments can be renamed, not a {target.kind}")
    if target.span.file.startswith(STD_PREFIX):
        raise RenameError(f"`{target.name}` is defined in the standard library ({target.module})")
    if not IDENTIFIER.match(new_name) or keyword.iskeyword(new_name):
        raise RenameError(f"`{new_name}` is not a valid name: use letters, digits and _, not starting with a digit")
    if new_name in RESERVED:
        raise RenameError(f"`{new_name}` is reserved")
    if new_name == target.name:
        raise RenameError(f"`{new_name}` is already the name")
    program = result.program
    spans = [s for s in references(result, target) if text_at(lines_for(s), s) == target.name]
    touched = {s.file for s in spans}
    for checked in program.modules.values() if program else ():
        if checked.syntax.path not in touched and checked.name != target.module:
            continue
        b = bindings_of(result, checked)
        if checked.name == target.module:
            bound = {**b.fragments, **b.aliases, **b.types, **b.inputs, **b.tools}
        else:
            # An importer binds the old name itself only without `as`: then the new one is its.
            if target.name not in b.fragments:
                continue
            bound = {**b.fragments, **b.aliases, **b.inputs}
        if new_name in bound:
            raise RenameError(f"`{new_name}` is already defined in {checked.name}")
        if target.kind == "fragment" and checked.name == target.module:
            for decl in checked.syntax.of(ast.FragmentDecl):
                if decl.name.text == target.name and any(p.name.text == new_name for p in decl.params or ()):
                    raise RenameError(f"`{new_name}` is a parameter of fragment `{target.name}`")
    return RenamePlan(target, spans)


# --- quick fixes ------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    title: str
    span: Span  # what to replace (a point to insert)
    replacement: str
    preferred: bool = False


def actions_for(d: Diagnostic, text: str, path: str = "<input>") -> list[Action]:
    """The quick fixes of one diagnostic in a module's text."""
    out: list[Action] = []
    if d.span is None:
        return out
    lines = lines_of(text)
    if d.fix is not None:
        out.append(Action(d.fix.message, d.fix.span, d.fix.replacement, preferred=True))
    written = text_at(lines, d.span)
    if IDENTIFIER.match(written):
        for note in d.notes:
            m = DID_YOU_MEAN.search(note)
            if m and m.group(1) != written and (d.fix is None or d.fix.replacement != m.group(1)):
                out.append(Action(f"Replace `{written}` with `{m.group(1)}`", d.span, m.group(1),
                                  preferred=d.fix is None))
    if d.code.name == "undeclared-variable" and IDENTIFIER.match(written) and written not in ("loop", "tools"):
        declare = declare_input(text, path, written, d.span)
        if declare is not None:
            out.append(declare)
    return out


def declare_input(text: str, path: str, name: str, used: Span) -> Action | None:
    """`input NAME: str` after the last input (or imports and types, or the front matter)."""
    module, _ = parse_module(SourceFile(path, text))
    for decl in module.of(ast.FragmentDecl):
        s = decl.span
        if (s.line, s.column) <= (used.line, used.column) <= (s.end_line, s.end_column):
            return None  # fragments see only their parameters
    line_count = len(text.split("\n"))
    inputs = module.of(ast.InputDecl)
    if inputs:
        anchor, prefix = inputs[-1].span.end_line, ""
    else:
        heads = [d for d in module.decls if isinstance(d, (ast.Import, ast.FromImport, ast.TypeDecl))]
        anchor, prefix = (heads[-1].span.end_line, "\n") if heads else (_front_end(text), "\n")
    if anchor == 0:
        at, new = Span(path, 1, 1, 1, 1), f"input {name}: str\n\n"
    elif anchor >= line_count:  # the last line of a file with no final newline
        end = len(text.split("\n")[-1]) + 1
        at, new = Span(path, line_count, end, line_count, end), f"\n{prefix}input {name}: str"
    else:
        at, new = Span(path, anchor + 1, 1, anchor + 1, 1), f"{prefix}input {name}: str\n"
    return Action(f"Declare `input {name}: str`", at, new)


def _front_end(text: str) -> int:
    """The line of the front matter's closing `---` (0 without front matter)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return 0
    for i, line in enumerate(lines[1:], 2):
        if line.rstrip() in ("---", "..."):
            return i
    return 0
