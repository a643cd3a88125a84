"""`promptc import FILE…`: read each file, recognise its format, write the module(s)."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .. import driver
from ..diagnostics import diag, render_text
from ..source import DecodeError, SourceFile, decode_source
from .common import InteropError

_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass
class _Target:
    out: Path
    module: str
    root: Path  # the project root (where `schemas/` files go)


def _target(file: Path, kind: str, out: Path | None, name: str | None) -> _Target:
    if name is not None and not _MODULE_NAME.fullmatch(name):
        raise driver.UsageError(f"`{name}` is not a module name; write names such as `support.answer`")
    if out is not None and out.suffix != ".prompt":
        raise driver.UsageError(f"`{out}` must end in .prompt to be a module")
    project = driver.open_project(out.parent if out is not None and out.parent.is_dir() else file)
    roots = [r.resolve() for r in project.source_roots]
    if out is None and name is not None:
        out = roots[0].joinpath(*name.split(".")).with_suffix(".prompt")
    elif out is None and kind == "Dotprompt":  # FILE already ends in .prompt: write it into the sources
        out = roots[0] / f"{_identifier(file.stem)}.prompt"
    elif out is None:
        out = file.with_suffix(".prompt")
    if out.suffix != ".prompt":
        raise driver.UsageError(f"`{out}` must end in .prompt to be a module")
    if out.resolve() == file.resolve():
        raise driver.UsageError(f"the module would replace `{file}` itself: say where it goes with --out PATH "
                                "or --name NAME (a module under the project's first source root)")
    if name is None:
        resolved = out.resolve()
        under = next((r for r in roots if resolved.is_relative_to(r)), None)
        rel = resolved.relative_to(under).with_suffix("") if under else Path(_identifier(out.stem))
        name = ".".join(_identifier(part) for part in rel.parts)
    return _Target(out, name, project.root)


def _identifier(text: str) -> str:
    text = re.sub(r"\W", "_", text)
    return text if re.match(r"[A-Za-z_]", text) else f"_{text}"


def _refuse_existing(paths: list[Path]) -> None:
    for path in paths:
        if path.exists():
            raise driver.UsageError(f"`{path}` already exists; promptc import never overwrites a file "
                                    "(choose another path with --out or --name, or remove it)")


def _write_new(path: Path, text: str) -> None:
    """Create `path` with `text`, atomically, never replacing a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.link(tmp, path)  # fails if `path` appeared meanwhile
    except FileExistsError:
        raise driver.UsageError(f"`{path}` already exists; promptc import never overwrites a file") from None
    except OSError as exc:
        raise driver.UsageError(f"cannot write `{path}`: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def import_files(files: list[Path], out: Path | None, name: str | None) -> bool:
    """Import each file; print what was written. Returns whether any file failed."""
    from ..importer import convert as convert_plain
    from . import foreign_format

    failed = False
    converted = 0
    for file in files:
        if not file.is_file():
            raise driver.UsageError(f"`{file}` does not exist" if not file.exists() else f"`{file}` is not a file")
        try:
            text = decode_source(file.read_bytes())
        except DecodeError as exc:
            raise driver.UsageError(f"{file}:{exc.line}:{exc.column}: {exc.reason}; save the file as UTF-8") from None
        except OSError as exc:
            raise driver.UsageError(f"cannot read `{file}`: {exc.strerror or exc}") from None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        kind = foreign_format(text, str(file))
        if kind is None and file.suffix == ".prompt":
            raise driver.UsageError(f"`{file}` is already a promptc module (it is not a Dotprompt file)")
        target = _target(file, kind or "plain", out, name)
        if kind is None:
            imported = convert_plain(file.read_bytes(), origin=file.name)
            _refuse_existing([target.out])
            _write_new(target.out, imported.source)
            click.echo(f"created {target.out}")
            if imported.inputs:
                click.echo(f"inputs: {', '.join(imported.inputs)}", err=True)
            click.echo("Next: fill in `purpose:` in its front matter, then `promptc check`.", err=True)
            continue
        try:
            conversion = _convert(kind, text, file, target)
        except InteropError as exc:
            failed = True
            _report(file, text, exc)
            continue
        partials_path = target.out.with_name(f"{target.out.stem}_partials.prompt")
        extra = [target.root / rel for rel in conversion.files]
        _refuse_existing([target.out, *([partials_path] if conversion.partials else []), *extra])
        _write_new(target.out, conversion.module)
        written = [target.out]
        if conversion.partials:
            _write_new(partials_path, conversion.partials)
            written.append(partials_path)
        for rel, content in conversion.files.items():
            _write_new(target.root / rel, content)
            written.append(target.root / rel)
        click.echo(f"created {', '.join(map(str, written))} (from {kind} {file})")
        converted += 1
        if conversion.inputs:
            click.echo(f"inputs: {', '.join(conversion.inputs)}", err=True)
    if converted and not failed:
        click.echo("Next: fill in `owner:` in the front matter, then `promptc check`.", err=True)
    return failed


def _convert(kind: str, text: str, file: Path, target: _Target):
    if kind == "Dotprompt":
        from .dotprompt import convert, partial_names

        partials: dict[str, str] = {}
        pending = partial_names(text)
        while pending:
            pname = pending.pop()
            path = file.parent / f"_{pname}.prompt"
            if pname in partials or not path.is_file():
                continue
            partials[pname] = decode_source(path.read_bytes()).replace("\r\n", "\n")
            pending += partial_names(partials[pname])
        return convert(text, module_name=target.module, partials=partials, origin=file.name)
    from .prompty import convert as convert_prompty

    return convert_prompty(text, module_name=target.module, origin=file.name)


def _report(file: Path, text: str, exc: InteropError) -> None:
    src = SourceFile(str(file), text)
    end = min(exc.offset + exc.length, len(text))
    d = diag("not-importable", exc.message, src.span(exc.offset, max(end, exc.offset + 1)), notes=(exc.hint,))
    click.echo(render_text(d, {src.path: src}, color=sys.stdout.isatty()))
    click.echo(f"{file} was not imported.", err=True)
