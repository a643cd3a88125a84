"""unused-import: an import binding that nothing in the module uses."""

from __future__ import annotations

from typing import Iterable, Iterator

from ...diagnostics import Code, Diagnostic, Severity
from ...modules.resolver import target_name
from ...syntax import ast
from ..references import module_template_names
from ..rule import LintContext, Rule


class UnusedImport(Rule):
    """
    What it does:
        Reports a name an import binds that the module never uses: a module alias
        (`import std.tone` binds `tone`) that no template reads as `tone.fragment`, or a
        from-imported fragment no message or fragment inlines, or a from-imported type no
        declaration (input, type, tool or fragment parameter, inline output) names.
        A from-imported tool always counts as used: importing a tool offers it to the
        model, so it is part of the prompt's tool list whether or not the prose names it
        (unused-tool reports tools the prose never explains).

    Why it matters:
        An unused import makes a module look as if it depends on wording it does not
        include, so a reviewer checks the wrong policy text. It also ties the module's
        version and hash inputs to a module it does not need, and is often the trace of
        a fragment reference that an edit deleted by mistake.

    Example:
        import std.safety.pii
        from shared.tone import friendly, formal
        system \"\"\"{{ friendly }} Answer the question.\"\"\"

    Use instead:
        Use it where it was meant to go (`{{ pii.rules }}`), or delete the import (here
        `import std.safety.pii` and `formal`).

    Options:
        None.
    """

    code = Code("PC510", "unused-import", "An imported name is never used.", Severity.WARNING)

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]:
        module = ctx.module
        syntax = module.syntax
        names = module_template_names(module)
        inputs = {i.name for i in module.inputs}
        local_types = {d.name.text for d in syntax.of(ast.TypeDecl)}
        type_uses = set(_declared_type_names(syntax))
        for decl in syntax.decls:
            if isinstance(decl, ast.Import):
                b = decl.binding
                if b.text not in names:
                    shown = ".".join(decl.module)
                    alias = f" as `{b.text}`" if decl.alias else ""
                    yield self.report(b.span, f"module `{shown}` is imported{alias} but never used",
                                      notes=(f"inline one of its fragments with `{{{{ {b.text}.NAME }}}}`, "
                                             "or remove the import",))
            elif isinstance(decl, ast.FromImport):
                origin = target_name(module.name, decl.level, decl.module) or ".".join(decl.module)
                for item in decl.items:
                    b = item.binding
                    if module.tool_spans.get(b.text) == b.span:
                        continue  # an imported tool is offered to the model: used
                    # An input may share the name of an imported type (types have their
                    # own namespace); a template that reads it reads the input.
                    as_fragment = b.text in names and b.text not in inputs
                    as_type = b.text in type_uses and b.text not in local_types
                    if as_fragment or as_type:
                        continue
                    shown = item.name.text + (f" as {b.text}" if item.alias else "")
                    yield self.report(b.span, f"`{shown}` is imported from `{origin}` but never used",
                                      notes=(f"remove `{b.text}` from the import, or use it",))


def _declared_type_names(syntax: ast.Module) -> Iterator[str]:
    """Every type name written in a declaration of the module."""
    for decl in syntax.decls:
        if isinstance(decl, (ast.TypeDecl, ast.InputDecl)):
            yield from _type_names(decl.type)
        elif isinstance(decl, ast.ToolDecl):
            for p in decl.params:
                yield from _type_names(p.type)
        elif isinstance(decl, ast.FragmentDecl):
            for p in decl.params or ():
                yield from _type_names(p.type)
        elif isinstance(decl, ast.OutputDecl) and decl.schema is not None:
            yield from _type_names(decl.schema)


def _type_names(expr) -> Iterator[str]:
    if isinstance(expr, ast.NamedType):
        yield expr.name.text
    elif isinstance(expr, ast.ListType):
        yield from _type_names(expr.item)
    elif isinstance(expr, ast.MapType):
        yield from _type_names(expr.value)
    elif isinstance(expr, ast.OptionalType):
        yield from _type_names(expr.inner)
    elif isinstance(expr, ast.ObjectType):
        for f in expr.fields:
            yield from _type_names(f.type)
