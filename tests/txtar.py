"""A tiny txtar reader/writer: a comment, then `-- name --` sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MARKER = re.compile(r"^-- (.+?) --$", re.M)


@dataclass
class Archive:
    comment: str
    files: dict[str, str] = field(default_factory=dict)

    def dumps(self) -> str:
        out = [self.comment.rstrip("\n") + "\n" if self.comment.strip() else ""]
        for name, text in self.files.items():
            out.append(f"-- {name} --\n")
            out.append(text if text.endswith("\n") or not text else text + "\n")
        return "".join(out)


def loads(text: str) -> Archive:
    parts = _MARKER.split(text)
    archive = Archive(parts[0])
    for i in range(1, len(parts), 2):
        body = parts[i + 1]
        archive.files[parts[i]] = body[1:] if body.startswith("\n") else body
    return archive
