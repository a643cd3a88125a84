"""The worked GitHub Actions workflow and docs/review.md only use commands and options
that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from promptc.cli import main
from promptc.review.commands import COMMANDS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = main
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"no command `promptc {' '.join(words)}`"
        command, rest = sub, rest[1:]
    return command, rest


def _options(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in getattr(p, "opts", [])}


def invocations(text: str) -> list[list[str]]:
    text = text.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        for match in re.finditer(r"(?:^|[;&|]\s*|\s)promptc\s+([^|;&>#]*)", line):
            found.append(shlex.split(match.group(1).replace("$", "")))
    return found


def test_workflow_runs_existing_commands_and_options():
    workflow = yaml.safe_load((DOCS / "github-actions" / "prompt-review.yml").read_text())
    steps = workflow["jobs"]["review"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    calls = invocations(runs)
    assert {c[0] for c in calls} >= {"check", "build", "report", "gate"}
    for words in calls:
        command, rest = _command(words)
        for word in rest:
            if word.startswith("--"):
                assert word in _options(command), f"`promptc {' '.join(words)}`: no option {word}"
    assert any("upload-sarif" in step.get("uses", "") for step in steps)
    assert workflow["permissions"]["pull-requests"] == "write"


def test_review_page_covers_every_command_and_its_options():
    text = (DOCS / "review.md").read_text()
    for command in COMMANDS:
        assert f"promptc {command.name}" in text
    for words in invocations(text):
        if not words or words[0] not in {c.name for c in COMMANDS} | {"build", "export"}:
            continue
        command, rest = _command(words)
        for word in rest:
            if word.startswith("--"):
                assert word in _options(command), f"`promptc {' '.join(words)}`: no option {word}"
