"""The `promptc` entry point: answers a no-op `build` or `check` from one small index.

A `build` or `check` whose inputs have not changed since the same command last ran prints
exactly what that run printed and exits with its code, without importing the compiler.
"Inputs" are every file and folder of the project (by size, modification time and inode;
the cache folder and `.git` aside), the compiler's own files, the arguments, the working
folder, the environment variables promptc reads and today's date (lint rules read it).
Anything else (a terminal, where output has colours and progress; other commands or
options) runs the command line as usual. Only runs that end with exit 0 or 1 and change
no file are recorded: a build that writes bundles or the lock is answered from the index
from the run after it.

The index is `.promptc/noop` in the project: a `marshal` of {key: (signature, output)}.
"""

from __future__ import annotations

import datetime as _dt
import io
import marshal
import os
import sys

_INDEX = os.path.join(".promptc", "noop")
_SKIP = {".git", ".promptc"}
_ENV = ("GITHUB_ACTIONS", "NO_COLOR", "PROMPTC_DEBUG", "XDG_CACHE_HOME", "TIKTOKEN_CACHE_DIR",
        "PYTHONIOENCODING", "PYTHONUTF8", "LANG", "LC_ALL", "LC_CTYPE")
_KEEP = 8  # entries kept per project (different arguments, formats, dates)


def main() -> None:
    argv = sys.argv[1:]
    root = _project_root(argv)
    if root is None:
        return _cli()
    key = _key(argv, root)
    index = _load(root)
    entry = index.get(key)
    signature = _signature(root)
    if signature is None:
        return _cli()
    if entry is not None and entry[0] == signature:
        _replay(entry[1])
        return
    _record(root, key, index)


def _cli() -> None:
    from .cli import main as cli_main

    cli_main(prog_name="promptc")


def _project_root(argv: list[str]) -> str | None:
    """The project folder when this is a supported command run outside a terminal."""
    if not argv or argv[0] not in ("build", "check") or sys.stdout is None or sys.stderr is None \
            or sys.stdout.isatty() or sys.stderr.isatty():
        return None
    allowed = {"build": {"-q", "--quiet", "--locked"}, "check": {"-q", "--quiet"}}[argv[0]]
    folder, rest = None, argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg in allowed:
            i += 1
        elif argv[0] == "check" and arg == "--format" and i + 1 < len(rest):
            i += 2  # every format prints to stdout only
        elif not arg.startswith("-") and folder is None:
            folder = arg
            i += 1
        else:
            return None
    root = os.path.abspath(folder or ".")
    return root if os.path.isfile(os.path.join(root, "promptc.toml")) else None


def _key(argv: list[str], root: str) -> str:
    env = "|".join(f"{k}={os.environ.get(k)}" for k in _ENV)
    streams = f"{sys.stdout.encoding}/{sys.stdout.errors}|{sys.stderr.encoding}/{sys.stderr.errors}"
    return "\0".join([*argv, os.getcwd(), root, env, streams, _dt.date.today().isoformat(), sys.version])


def _walk(top: str, rel: str, out: list, skip: set[str]) -> None:
    """Append (path, mtime, inode) for `top` and (path, size, mtime, inode) for each file below."""
    try:
        st = os.stat(top)
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        out.append((rel, -1))
        return
    out.append((rel, st.st_mtime_ns, st.st_ino))
    for e in entries:
        if e.name in skip:
            continue
        path = f"{rel}/{e.name}"
        try:
            if e.is_dir():
                if e.is_symlink():  # could loop, or reach anywhere: no fast path
                    raise _Unsupported(path)
                _walk(e.path, path, out, set())
            else:
                st = e.stat()
                out.append((path, st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            out.append((path, -1))


class _Unsupported(Exception):
    pass


def _signature(root: str) -> tuple | None:
    """Every input's stat, or None when the project cannot be summed up so."""
    try:
        return _stats(root)
    except (_Unsupported, RecursionError):
        return None


def _stats(root: str) -> tuple:
    parts: list = []
    _walk(root, ".", parts, _SKIP)
    package = os.path.dirname(os.path.abspath(__file__))
    _walk(package, "<promptc>", parts, {"__pycache__"})
    checkout = os.path.dirname(os.path.dirname(package))
    for data in ("grammar", "stdlib"):  # a checkout keeps them next to src/
        if os.path.isdir(os.path.join(checkout, data)):
            _walk(os.path.join(checkout, data), f"<{data}>", parts, set())
    return tuple(parts)


def _load(root: str) -> dict:
    try:
        with open(os.path.join(root, _INDEX), "rb") as fh:
            index = marshal.load(fh)
        return index if isinstance(index, dict) else {}
    except (OSError, EOFError, ValueError, TypeError):
        return {}


def _replay(chunks: list) -> None:
    code = chunks[-1]
    try:
        for fd, data in chunks[:-1]:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
    except BrokenPipeError:  # the reader stopped reading (`| head`): nothing left to say
        pass
    sys.exit(code)


class _Tee(io.RawIOBase):
    """A raw stream that writes through to a file descriptor and keeps what it wrote."""

    def __init__(self, fd: int, chunks: list):
        self.fd, self.chunks = fd, chunks

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return False

    def write(self, data) -> int:
        data = bytes(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        self.chunks.append((self.fd, data))
        return len(data)


def _teed(stream, chunks: list):
    stream.flush()
    return io.TextIOWrapper(io.BufferedWriter(_Tee(stream.fileno(), chunks)), encoding=stream.encoding,
                            errors=stream.errors, line_buffering=stream.line_buffering,
                            write_through=stream.write_through)


def _record(root: str, key: str, index: dict) -> None:
    try:
        os.makedirs(os.path.join(root, ".promptc"), exist_ok=True)  # before the signature
    except OSError:
        pass
    before = _signature(root)
    chunks: list = []
    saved = sys.stdout, sys.stderr
    code: object = 0
    try:
        sys.stdout, sys.stderr = _teed(saved[0], chunks), _teed(saved[1], chunks)
        try:
            _cli()
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        sys.stdout, sys.stderr = saved
    code = 0 if code is None else code
    if code in (0, 1):
        after = _signature(root)
        if after == before:  # nothing written (a build that wrote says so), nothing edited
            index[key] = (after, [*chunks, code])
            _save(root, index)
    sys.exit(code)


def _save(root: str, index: dict) -> None:
    from pathlib import Path

    from .atomic import atomic_write

    while len(index) > _KEEP:
        index.pop(next(iter(index)))
    try:
        atomic_write(Path(root, _INDEX), marshal.dumps(index), durable=False)
    except OSError:
        pass  # an index that cannot be written only makes the next run slower


if __name__ == "__main__":
    main()
