"""Access to the grammar and the standard library shipped with the package.

In a wheel, `grammar/` and `stdlib/` are mapped into the package (see pyproject's
force-include).  In an editable install they stay at the repository root, next to `src/`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def _data_dir(name: str) -> Traversable:
    packaged = resources.files("promptc") / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise RuntimeError(f"promptc is installed without its {name}/ directory")


@lru_cache(maxsize=None)
def grammar_text() -> str:
    return (_data_dir("grammar") / "promptc.lark").read_text(encoding="utf-8")


def stdlib_root() -> Traversable:
    return _data_dir("stdlib")
