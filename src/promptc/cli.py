"""The `promptc` command line: a thin layer over `driver`.

Exit codes: 0 clean, 1 findings or a failed build, 2 usage errors, 3 an internal error,
141 output cut short because its reader closed the pipe.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import click

from . import __version__
from .clikit import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, Group as _Group, color as _color, guard as _guard
from .clikit import lazy_module, write_output
from .completion import complete_prompt
from .diagnostics import Diagnostic, Severity, render_json, render_text
from .progress import Progress

driver = lazy_module("promptc.driver")


def report(diags: Sequence[Diagnostic], sources, fmt: str = "text", quiet: bool = False) -> None:
    if fmt == "json":
        click.echo(render_json(diags))
        return
    color = _color(sys.stdout)
    for d in diags:
        click.echo(render_text(d, sources, color=color))
        click.echo()
    if quiet:
        return
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = sum(d.severity is Severity.WARNING for d in diags)
    if errors or warnings:
        parts = [f"{errors} error{'s' * (errors != 1)}"] + ([f"{warnings} warning{'s' * (warnings != 1)}"]
                                                             if warnings else [])
        click.echo("Found " + ", ".join(parts) + ".", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="promptc")
def main() -> None:
    """promptc compiles .prompt modules into versioned, hash-addressed prompt bundles."""


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--locked", is_flag=True, help="Fail if promptc.lock would change (for CI).")
@click.option("--out", type=click.Path(path_type=Path), help="Write bundles here instead of [project] out.")
@click.option("-q", "--quiet", is_flag=True, help="Print only diagnostics.")
@_guard
def build(directory: Path | None, locked: bool, out: Path | None, quiet: bool) -> None:
    """Compile every prompt of the project and write bundles and promptc.lock."""
    project = driver.open_project(directory)
    progress = Progress(enabled=None if not quiet else False)
    try:
        result = driver.build(project, locked=locked, out=out, progress=progress)
    finally:
        progress.clear()
    report(result.diagnostics, result.compiled.sources, quiet=quiet)
    if not result.ok:
        if not quiet:
            click.echo("Build failed: nothing was written.", err=True)
        sys.exit(EXIT_FINDINGS)
    if not quiet:
        n = len(result.written)
        where = project.display(out or project.out_dir)
        lock_note = "; promptc.lock updated" if result.lock_changed else ""
        click.echo(f"Built {n} bundle{'s' * (n != 1)} into {where}/{lock_note}.", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "junit"]), default=None,
              help="Output format of the diagnostics [default: github when GITHUB_ACTIONS=true, else text].")
@click.option("-q", "--quiet", is_flag=True, help="Print only diagnostics.")
@_guard
def check(paths: tuple[Path, ...], fmt: str | None, quiet: bool) -> None:
    """Parse, type-check and lint modules without writing anything.

    PATHS are a project directory, or module files and folders inside one. Plain prompt
    files (.txt, .md) are linted as one literal system message each, before migration.
    """
    from .diagnostics import sorted_diagnostics
    from .plain import is_plain, lint_plain
    from .report import default_format, write as write_report

    from .interop import is_foreign_file

    fmt = fmt or default_format()
    first = paths[0] if paths else None
    # Prompt files named on their own (plain text, Dotprompt, Prompty) are checked without a
    # project, as a linter checks a lone file: nothing is written, the defaults apply.
    lone_files = bool(paths) and all(Path(p).is_file() and (is_plain(p) or is_foreign_file(Path(p))) for p in paths)
    project = driver.open_project(first, required=not lone_files)

    foreign = [p for p in paths if is_foreign_file(Path(p))]
    plain = [p for p in paths if is_plain(p)]
    modules = [p for p in paths if not is_plain(p) and p not in foreign]
    diagnostics: list[Diagnostic] = []
    sources: dict = {}
    checked = 0
    if foreign:
        from .interop import foreign_diagnostics

        found, shown = foreign_diagnostics(project, foreign)
        diagnostics.extend(found)
        sources.update(shown)
        checked += len(foreign)
    if modules or not (plain or foreign):
        targets = None
        if modules and not (len(modules) == 1 and Path(modules[0]).resolve() == project.root):
            targets = list(modules)
        progress = Progress(enabled=None if not quiet and fmt == "text" else False)
        try:
            result = driver.compile_project(project, targets, progress=progress)
        finally:
            progress.clear()
        diagnostics.extend(result.diagnostics)
        sources.update(result.sources)
        checked += len(result.graph.sources) if result.graph else 0
    if plain:
        linted = lint_plain(project, plain)
        diagnostics.extend(linted.diagnostics)
        sources.update(linted.sources)
        checked += len(plain)
        diagnostics = sorted_diagnostics(diagnostics)
    if fmt in ("text", "json"):
        report(diagnostics, sources, fmt, quiet)
    else:
        written = write_report(fmt, diagnostics, sources, project.root)
        if written:
            click.echo(written)
        errors = sum(d.severity is Severity.ERROR for d in diagnostics)
        warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
        if not quiet and (errors or warnings):
            click.echo(f"Found {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}.",
                       err=True)
    # `check` is the CI gate: errors and warnings fail it; info findings do not.
    if any(d.severity in (Severity.ERROR, Severity.WARNING) for d in diagnostics):
        sys.exit(EXIT_FINDINGS)
    if fmt == "text" and not quiet and not diagnostics:
        what = "file" if plain and not modules else "module"
        click.echo(f"All checks passed ({checked} {what}{'s' * (checked != 1)}).", err=True)


@main.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing: list the files that would change; exit 1 if any.")
@click.option("--diff", is_flag=True, help="With --check (implied): also print a unified diff of each change.")
@_guard
def fmt_command(paths: tuple[Path, ...], check: bool, diff: bool) -> None:
    """Rewrite modules in the canonical layout (PATHS: .prompt files and folders; default:
    the project's source roots).

    Front matter keys in a fixed order; declarations grouped as imports (sorted), types,
    inputs, tools, output, fragments, messages (in their order); canonical spacing; text
    blocks re-indented without changing their text. A file that does not parse is left
    unchanged and reported (exit 1).
    """
    from .emit.bundle import atomic_write
    from .fmt import FormatterBug, collect_files, format_file, unified_diff

    check = check or diff
    if paths:
        for path in paths:
            if not path.exists():
                raise driver.UsageError(f"`{path}` does not exist")
            if path.is_file() and path.suffix != ".prompt":
                raise driver.UsageError(f"`{path}` is not a .prompt module")
        targets = list(paths)
    else:
        targets = [p for p in driver.open_project(None).source_roots if p.is_dir()]
    cwd = Path.cwd().resolve()
    changed = unchanged = broken = 0
    for path in collect_files(targets):
        try:
            shown = path.resolve().relative_to(cwd).as_posix()
        except ValueError:
            shown = path.as_posix()
        try:
            result = format_file(path, shown)
        except OSError as exc:
            raise driver.UsageError(f"cannot read `{shown}`: {exc.strerror or exc}") from None
        except FormatterBug as exc:
            click.echo(f"internal error: {exc}. This is a bug in promptc; the file was not changed.", err=True)
            sys.exit(EXIT_INTERNAL)
        if result.text is None:
            report(result.diagnostics, {result.source.path: result.source}, quiet=True)
            click.echo(f"error: {shown} does not parse; it was not formatted", err=True)
            broken += 1
        elif not result.changed:
            unchanged += 1
        elif check:
            changed += 1
            click.echo(f"would reformat {shown}")
            if diff:
                click.echo(unified_diff(result), nl=False)
        else:
            changed += 1
            try:
                atomic_write(path, result.text.encode("utf-8"))
            except OSError as exc:
                raise driver.UsageError(f"cannot write `{shown}`: {exc.strerror or exc}") from None
            click.echo(f"reformatted {shown}")

    def files(n: int) -> str:
        return f"{n} file{'s' * (n != 1)}"

    parts = [f"{files(changed)} {'would be reformatted' if check else 'reformatted'}",
             f"{files(unchanged)} already formatted"] + ([f"{files(broken)} not parsed"] if broken else [])
    click.echo(", ".join(parts) + ".", err=True)
    if broken or (check and changed):
        sys.exit(EXIT_FINDINGS)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Where to write the module (one FILE only) [default: FILE with the suffix .prompt; for a "
                   "Dotprompt file, its name under the project's first source root].")
@click.option("--name", help="The module name, such as support.answer (one FILE only); it places the file under "
                             "the project's first source root.")
@_guard
def import_command(files: tuple[Path, ...], out: Path | None, name: str | None) -> None:
    """Turn prompt files into .prompt modules: Dotprompt, Prompty or plain text.

    The format is recognised by content. A Dotprompt file (Genkit's .prompt) or a Prompty
    file (.prompty) keeps its model settings, typed inputs, output schema, tools and
    messages; its partials (`_name.prompt` beside it) become fragments of a sibling module.
    Anything the file says that promptc cannot express exactly is an error at its line.
    A plain file (.txt, .md): placeholders {x}, {{x}}, ${x} and <X_Y> become inputs and the
    rest is one system message that renders exactly the original text. An existing file is
    never overwritten.
    """
    from .interop.files import import_files

    if len(files) > 1 and (out is not None or name is not None):
        raise driver.UsageError("--out and --name name one module: give one FILE with them")
    failed = import_files(list(files), out, name)
    if failed:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("name", shell_complete=complete_prompt)
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="The project directory.")
@click.option("--inputs", "inputs_file", type=click.Path(path_type=Path, allow_dash=True),
              help="A JSON file with the inputs (an object), or - for stdin; omit for none.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_guard
def render(name: str, project_dir: Path | None, inputs_file: Path | None, fmt: str) -> None:
    """Compile the prompt NAME and render its messages for the given inputs."""
    from .runtime import PromptcRuntimeError, load

    project = driver.open_project(project_dir)
    inputs = _read_inputs(inputs_file)
    compiled = driver.compile_project(project)
    if not compiled.ok:
        report(compiled.diagnostics, compiled.sources)
        sys.exit(EXIT_FINDINGS)
    bundle = driver.find_bundle(compiled, name)
    try:
        rendered = load(bundle).render(inputs)
    except PromptcRuntimeError as exc:
        where = f"{inputs_file}: " if inputs_file else ""
        click.echo(f"error: {where}{exc}", err=True)
        sys.exit(EXIT_FINDINGS)
    if fmt == "json":
        click.echo(json.dumps(rendered.to_json(), indent=2, ensure_ascii=False))
        return
    for i, m in enumerate(rendered.messages):
        if i:
            click.echo()
        click.echo(f"── {m.role} ──")
        click.echo(m.content)


def _read_inputs(path: Path | None) -> dict:
    from .runtime.limits import MAX_DOCUMENT_BYTES, MAX_JSON_DEPTH
    from .source import read_limited

    if path is None:
        return {}
    try:
        if str(path) == "-":
            path = "<stdin>"
            raw = click.get_binary_stream("stdin").read(MAX_DOCUMENT_BYTES + 1)
            if len(raw) > MAX_DOCUMENT_BYTES:
                raise driver.UsageError(f"the inputs on stdin are over the limit of {MAX_DOCUMENT_BYTES} bytes")
            data = json.loads(raw.decode("utf-8"))
        else:
            data = json.loads(read_limited(Path(path), MAX_DOCUMENT_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise driver.UsageError(f"inputs file `{path}` does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        col = getattr(exc, "colno", 1)
        raise driver.UsageError(f"{path}:{line}:{col}: inputs are not valid JSON: "
                                f"{getattr(exc, 'msg', exc)}") from None
    except RecursionError:
        raise driver.UsageError(f"{path}: inputs nest too deeply (the limit is {MAX_JSON_DEPTH} levels)") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise driver.UsageError(f"{path}: inputs hold a number beyond the limits: {str(exc)[:120]}") from None
    except OSError as exc:
        raise driver.UsageError(f"cannot read inputs file `{path}`: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise driver.UsageError(f"{path}: inputs must be a JSON object such as {{\"question\": \"…\"}}")
    return data


@main.command("rules")
@_guard
def rules_command() -> None:
    """List the lint rules with their codes and default severities."""
    from .lint.registry import RULES

    width = max(len(r.code.name) for r in RULES)
    for rule in RULES:
        click.echo(f"{rule.code.id}  {rule.code.name.ljust(width)}  {rule.code.severity.value:<7}  "
                   f"{rule.code.description}")


@main.command("rule")
@click.argument("name")
@_guard
def rule_command(name: str) -> None:
    """Explain one lint rule: what it does, why, an example and what to write instead."""
    from .diagnostics import did_you_mean
    from .lint.registry import RULES, rule_by_name

    rule = rule_by_name(name)
    if rule is None:
        names = [r.code.name for r in RULES]
        prefixed = [n for n in names if n.startswith(name)]
        best = prefixed[0] if len(prefixed) == 1 else did_you_mean(name, names)
        raise driver.UsageError(f"no rule named `{name}`" + (f"; did you mean `{best}`?" if best else
                                                                "; `promptc rules` lists them"))
    click.echo(rule.describe(), nl=False)


@main.group()
def version() -> None:
    """Versions of prompts."""


@version.command("bump")
@click.argument("names", nargs=-1)
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="The project directory.")
@_guard
def version_bump(names: tuple[str, ...], project_dir: Path | None) -> None:
    """Set each changed prompt's version to the smallest correct bump over promptc.lock."""
    project = driver.open_project(project_dir)
    result = driver.version_bump(project, list(names) or None)
    if not result.compiled.ok:
        report(result.compiled.diagnostics, result.compiled.sources)
        sys.exit(EXIT_FINDINGS)
    if not result.bumped:
        click.echo("Nothing to bump: every prompt's version already fits its changes.", err=True)
    for name, old, new in result.bumped:
        click.echo(f"{name}: {old} → {new}")


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path), default=Path("."))
@_guard
def init(directory: Path) -> None:
    """Create a starter project in DIRECTORY (default: the current directory)."""
    from .scaffold import create_project

    created = create_project(directory)
    for path in created:
        click.echo(f"created {path}")
    click.echo(f"\nNext: promptc build {directory}", err=True)


def _compiled_or_exit(project):
    compiled = driver.compile_project(project)
    if not compiled.ok:
        report(compiled.diagnostics, compiled.sources)
        sys.exit(EXIT_FINDINGS)
    return compiled


@main.command("tokens")
@click.argument("name", required=False, shell_complete=complete_prompt)
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="The project directory.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_guard
def tokens_command(name: str | None, project_dir: Path | None, fmt: str) -> None:
    """Count the tokens of each prompt (or of NAME): per message, the static text and the
    largest text a call can render, the reply's max_tokens, and the cost of a call at
    promptc's dated list prices of common models, or at promptc.toml's [prices."MODEL"]
    (input_per_mtok, output_per_mtok), which override them.

    Counts are tiktoken's, offline, with the encoding of the prompt's model; for a model
    whose tokenizer promptc does not have they are estimates, and say so.
    """
    from .export import budget

    project = driver.open_project(project_dir)
    compiled = _compiled_or_exit(project)
    names = [name] if name else sorted(compiled.bundles)
    reports = [budget.report(driver.find_bundle(compiled, n), project.config.prices) for n in names]
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
        return
    if not reports:
        click.echo("The project defines no prompts.", err=True)
        return
    click.echo(budget.render_text(reports))


@main.command("export")
@click.argument("name", required=False, shell_complete=complete_prompt)
@click.option("--format", "fmt", type=click.Choice(["openai", "anthropic", "promptfoo", "dotprompt", "prompty",
                                                   "github-models"]), required=True,
              help="openai: a Chat Completions request body; anthropic: a Messages request body; "
                   "promptfoo: a promptfoo config (YAML) for the project's prompts; dotprompt, prompty, "
                   "github-models: the prompt NAME as a Dotprompt .prompt, a .prompty or a GitHub Models "
                   ".prompt.yml file (with testData from its eval dataset).")
@click.option("--inputs", "inputs_file", type=click.Path(path_type=Path, allow_dash=True),
              help="openai, anthropic: a JSON file with the inputs (an object), or - for stdin; omit for none.")
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="The project directory.")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@_guard
def export_command(name: str | None, fmt: str, inputs_file: Path | None, project_dir: Path | None,
                   out: Path | None) -> None:
    """Export the prompt NAME as the request body an API expects (--format openai or
    anthropic, rendered with --inputs), or the project's prompts as a promptfoo config
    (--format promptfoo; NAME limits it to one prompt), with tests from each prompt's
    `eval:` JSONL dataset, or as another tool's prompt file (--format dotprompt, prompty,
    github-models), which renders the same messages in that tool. What a format cannot
    express exactly is an error; notes on what it says differently go to stderr.
    """
    from .export import ExportError, anthropic_body, openai_body
    from .runtime import PromptcRuntimeError

    project = driver.open_project(project_dir)
    if fmt == "promptfoo":
        from .export.promptfoo import promptfoo_config

        if inputs_file is not None:
            raise driver.UsageError("--inputs applies to --format openai and anthropic; promptfoo takes its "
                                    "vars from each prompt's eval dataset")
        compiled = _compiled_or_exit(project)
        bundles = {name: driver.find_bundle(compiled, name)} if name else compiled.bundles
        if not bundles:
            raise driver.UsageError("the project defines no prompts")
        text, notes = promptfoo_config(bundles, project.root, project.config.project.name)
    elif fmt in ("dotprompt", "prompty", "github-models"):
        from .interop.export import export_file

        if not name:
            raise driver.UsageError(f"--format {fmt} needs the NAME of a prompt")
        if inputs_file is not None:
            raise driver.UsageError(f"--inputs does not apply to --format {fmt}: the file keeps its placeholders")
        bundle = driver.find_bundle(_compiled_or_exit(project), name)
        try:
            text, notes = export_file(bundle, fmt, project.root)
        except ExportError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FINDINGS)
    else:
        if not name:
            raise driver.UsageError(f"--format {fmt} needs the NAME of a prompt")
        inputs = _read_inputs(inputs_file)
        compiled = _compiled_or_exit(project)
        bundle = driver.find_bundle(compiled, name)
        try:
            body, notes = (openai_body if fmt == "openai" else anthropic_body)(bundle, inputs)
        except PromptcRuntimeError as exc:
            where = f"{inputs_file}: " if inputs_file else ""
            click.echo(f"error: {where}{exc}", err=True)
            sys.exit(EXIT_FINDINGS)
        except ExportError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FINDINGS)
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    for note in notes:
        click.echo(f"note: {note}", err=True)
    write_output(text, out)


@main.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin and stdout (the default and only transport).")
@_guard
def lsp_command(stdio: bool) -> None:
    """Run the language server for editors (Language Server Protocol over stdio).

    Diagnostics as you type, hover, go to definition, document symbols and completion.
    Needs the `lsp` extra: pip install 'promptc[lsp]'.
    """
    try:
        from .lsp.server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        click.echo("error: `promptc lsp` needs the language-server dependencies, which are not installed "
                   f"({exc.name} is missing). Install them with: pip install 'promptc[lsp]'", err=True)
        sys.exit(EXIT_USAGE)
    serve()


# Commands defined next to the stage they drive, imported only when one of them runs (or for
# --help): `promptc history` should not pay for the review, OCI and dashboard modules.
# tests/test_cli_commands.py checks this table against each module's COMMANDS.
LAZY_COMMANDS = {
    "promptc.registry.commands": ("publish", "promote", "rollout", "rollback", "freeze", "unfreeze", "status",
                                  "history", "show", "verify", "identify", "audit"),
    "promptc.guard.commands": ("guard", "signals"),
    "promptc.review.commands": ("diff", "report", "eval", "gate", "approve", "owners"),
    "promptc.registry.distribute": ("push", "pull"),
    "promptc.dashboard.commands": ("dashboard",),
    "promptc.advisor.commands": ("review-lint",),
}
_LAZY_MODULE = {name: module for module, names in LAZY_COMMANDS.items() for name in names}


def _lazy_command(name: str) -> click.Command | None:
    module_name = _LAZY_MODULE.get(name)
    if module_name is None:
        return None
    import importlib

    module = importlib.import_module(module_name)
    command = next((c for c in module.COMMANDS if c.name == name), None)
    if name == "rollout" and command is not None:  # the guard's `rollout show` and `rollout advance`
        from .guard.commands import ROLLOUT_COMMANDS

        for sub in ROLLOUT_COMMANDS:
            command.add_command(sub)
    if command is not None:
        main.add_command(command)
    return command


def _list_commands(ctx) -> list[str]:
    return sorted(set(click.Group.list_commands(main, ctx)) | set(_LAZY_MODULE))


def _get_command(ctx, name: str):
    return click.Group.get_command(main, ctx, name) or _lazy_command(name)


main.list_commands = _list_commands
main.get_command = _get_command


if __name__ == "__main__":  # pragma: no cover
    main()
