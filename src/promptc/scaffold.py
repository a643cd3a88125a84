"""`promptc init`: a small project that builds clean and shows the main features."""

from __future__ import annotations

from pathlib import Path

from .driver import UsageError

FILES = {
    "promptc.toml": """\
[project]
name = "my-prompts"
sources = ["prompts"]
out = "dist"

[registry]
# The environments releases go to, in order; `promptc promote --env` refuses any other name.
environments = ["staging", "prod"]
""",
    "prompts/shared/style.prompt": """\
# A library module: fragments other prompts import. It has no messages and no version.

fragment concise \"\"\"
Answer in at most three short paragraphs. Lead with the answer, then the reason.
\"\"\"
""",
    "prompts/assistant.prompt": """\
---
version: 0.1.0
purpose: Answer a user's question about our product.
owner: you@example.com
risk: low
model: {name: gpt-4o-mini, temperature: 0.2}
---
from shared.style import concise

type Plan = "free" | "pro"

input user_name: str(max_len=80)
input plan: Plan = "free"
input question: str(max_len=2000)

output text

system \"\"\"
You are the product assistant. Greet {{ user_name }} by first name.
{{ concise }}
{% if plan == "pro" %}
Mention that pro users can ask for a call with support.
{% endif %}
\"\"\"

user \"\"\"
{{ question }}
\"\"\"
""",
    ".gitignore": "dist/\n.promptc/\n",
}


def create_project(directory: Path) -> list[Path]:
    directory = Path(directory)
    existing = [directory / rel for rel in FILES if (directory / rel).exists()]
    if existing:
        raise UsageError(f"`{existing[0]}` already exists; run `promptc init` in an empty directory")
    created = []
    for rel, text in FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        created.append(path)
    return created
