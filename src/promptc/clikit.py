"""What every `promptc` command shares: exit codes, the error guard and the top-level group.

Commands live next to the stage they drive (`cli.py` for the compiler, `registry/commands.py`
for releases, …); each uses `guard` so that a usage error exits 2 with one line and an
unexpected exception never shows a traceback.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
from types import ModuleType

import click

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
#: Output stopped because its reader closed the pipe (`promptc rules | head -1`): the status
#: of a program stopped by SIGPIPE (128 + 13), as git and terraform report it, and quietly.
EXIT_CLOSED_PIPE = 141


class UsageError(Exception):
    """A mistake in how promptc was called or configured: exit 2 with this message."""


class Findings(Exception):
    """A command ran and found something wrong (drift, a failed gate): exit 1 with this message."""


def color(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


def guard(fn):
    """Turn usage errors into exit 2, findings into exit 1 and unexpected exceptions into a
    polite exit 3."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except Findings as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FINDINGS)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if isinstance(exc, BrokenPipeError) and stdout_gone():
                _quiet_stdout()  # `promptc rules | head -1`: the reader took what it wanted
                sys.exit(EXIT_CLOSED_PIPE)
            if os.environ.get("PROMPTC_DEBUG"):
                raise
            internal_error(exc)  # a bug (a socket's broken pipe too): never a traceback for the user

    return wrapper


def internal_error(exc: BaseException) -> None:
    click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
               "This is a bug in promptc. Please report it with the input that caused it "
               "(set PROMPTC_DEBUG=1 for the traceback).", err=True)
    sys.exit(EXIT_INTERNAL)


def stdout_gone() -> bool:
    """Is stdout a pipe whose reader has closed it? (A BrokenPipeError can come from a socket
    too, and then it is an error like any other.)"""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _quiet_stdout() -> None:
    """The reader of stdout went away (`promptc rules | head -1`): point stdout at /dev/null
    so that nothing more, not even the interpreter's last flush, complains about it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture)
        pass
    finally:
        os.close(devnull)


def _flush_stdout() -> bool:
    """Flush stdout; False if its reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return False
    except (OSError, ValueError):
        pass
    return True


class Group(click.Group):
    def main(self, *args, **kwargs):
        """Run a command. A closed pipe on stdout ends it quietly with EXIT_CLOSED_PIPE, as
        `git log | head -1` does, unless the command had already chosen its exit code."""
        try:
            try:
                result = self._run(*args, **kwargs)
            except SystemExit as exc:
                # click's own answer to a closed pipe (outside a command: --help) is exit 1.
                if isinstance(sys.stdout, click.utils.PacifyFlushWrapper) and stdout_gone():
                    _quiet_stdout()
                    sys.exit(EXIT_CLOSED_PIPE)
                if not _flush_stdout() and not exc.code:
                    sys.exit(EXIT_CLOSED_PIPE)
                raise
            if not _flush_stdout():
                sys.exit(EXIT_CLOSED_PIPE)
            return result
        except BrokenPipeError as exc:
            if not stdout_gone():
                internal_error(exc)
            _quiet_stdout()
            sys.exit(EXIT_CLOSED_PIPE)

    def _run(self, *args, **kwargs):
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(EXIT_USAGE)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_FINDINGS)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


def lazy_module(name: str) -> ModuleType:
    """`name`, imported on first attribute access. The compiler's modules (lark, jinja2, the
    checker) take half a second to import; `promptc status` or `promptc history` need none
    of them and should answer in well under a second."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def read_input(file) -> tuple[str, str]:
    """The text of a FILE argument (`-` for stdin) and how messages name it; an unreadable
    file is a usage error."""
    if str(file) == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return file.read_text(encoding="utf-8"), str(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read `{file}`: {exc}") from None


def write_output(text: str, out) -> None:
    """Print `text`, or with `--out FILE` write it atomically (a crash leaves the old file)."""
    if out is None:
        click.echo(text, nl=False)
        return
    from .atomic import atomic_write

    try:
        atomic_write(out, text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write `{out}`: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}", err=True)
