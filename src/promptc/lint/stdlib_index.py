"""Paragraphs of the standard library's fragments, keyed by a hash of their normalised
text, so a rule can recognise stdlib wording pasted into a prompt.

A paragraph is a run of non-blank lines; a Markdown heading line or a line holding only an
XML-style tag also ends one, since prompts put those right above pasted text. Paragraphs
are compared after collapsing whitespace and lowercasing. Stdlib paragraphs that hold
template syntax (`{{ tag }}`) are left out: a copy would have the value filled in.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Iterator

from ..resources import stdlib_root
from ..source import SourceFile, decode_source
from ..syntax import ast
from ..syntax.parser import parse_module

#: Shorter paragraphs ("Be concise.") repeat by coincidence; only longer ones count.
MIN_WORDS = 12

_BOUNDARY_RE = re.compile(r"^\s*$|^\s{0,3}#{1,6}\s|^\s*</?[A-Za-z_][\w.-]*(\s[^<>]*)?>\s*$")
_COMMENT_RE = re.compile(r"\{#.*?#\}", re.S)
_WORD_RE = re.compile(r"\w+")


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def paragraph_key(text: str) -> str:
    """The key of a paragraph in the index: sha256 of its normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of each paragraph of `text`, without its line break."""
    start = None
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if _BOUNDARY_RE.match(line):
            if start is not None:
                yield start, pos - 1
            start = None
        elif start is None:
            start = pos
        pos = end + 1
    if start is not None:
        yield start, len(text)


def stdlib_paragraph_index() -> dict[str, tuple[str, str]]:
    """paragraph_key → (stdlib module, fragment) for every long, template-free paragraph
    of a stdlib fragment. Parsed once per process; each call returns a fresh dict."""
    return dict(_build_index())


@lru_cache(maxsize=1)
def _build_index() -> tuple[tuple[str, tuple[str, str]], ...]:
    index: dict[str, tuple[str, str]] = {}
    for name, node in sorted(_stdlib_files(stdlib_root(), []), key=lambda x: x[0]):
        src = SourceFile(f"<stdlib>/{name.replace('.', '/')}.prompt", decode_source(node.read_bytes()), name)
        module, _ = parse_module(src)
        for decl in module.of(ast.FragmentDecl):
            text = _COMMENT_RE.sub("", decl.body.text)
            for start, end in paragraphs(text):
                para = text[start:end]
                if "{{" in para or "{%" in para or word_count(para) < MIN_WORDS:
                    continue
                index.setdefault(paragraph_key(para), (name, decl.name.text))
    return tuple(index.items())


def _stdlib_files(node: Traversable, prefix: list[str]) -> Iterator[tuple[str, Traversable]]:
    for child in node.iterdir():
        if child.is_dir():
            yield from _stdlib_files(child, prefix + [child.name])
        elif child.name.endswith(".prompt"):
            yield ".".join(prefix + [child.name[: -len(".prompt")]]), child
