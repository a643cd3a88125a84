"""A small prompt project in a real git repository, for the review workflow tests.

`support.answer` (risk high) and `sales.pitch` (risk low) import the shared fragment
`shared.tone.friendly`; `ops.summary` (risk medium) imports nothing. Commands run through
the real CLI with `--project`, and git runs with a fixed identity and no user config.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from click.testing import CliRunner

from promptc.cli import main

ANN = ("Ann Author", "ann@acme.example")
LEE = ("Lee Reviewer", "lee@acme.example")

CONFIG = '''[project]
name = "acme"
sources = ["prompts"]

[prices."gpt-4o"]
input_per_mtok = 2.5
output_per_mtok = 10.0
'''

TONE = '''fragment friendly """
Be warm, plain and brief.
"""
'''

ANSWER = '''---
version: {version}
purpose: Answer a customer's question about their account.
owner: maria@acme.example
tech_owner: platform-team
risk: high
model: {{name: gpt-4o, temperature: 0.2, max_tokens: 400}}
eval: evals/answer.jsonl
---
from shared.tone import friendly

type Tier = "free" | "pro"

input question: str(max_len=2000)
{tier_input}
output text

system """
You are Acme's support assistant.
{{{{ friendly }}}}
{tier_text}"""

user """
{{{{ question }}}}
"""
'''
TIER_INPUT = 'input tier: Tier = "free"\n'
TIER_TEXT = '{% if tier == "pro" %}Offer a call with the account team.{% endif %}\n'

PITCH = '''---
version: {version}
purpose: Write a two-sentence product pitch.
owner: sam@acme.example
tech_owner: growth
risk: low
model: {{name: gpt-4o, temperature: 0.7, max_tokens: 200}}
eval: evals/pitch.jsonl
---
from shared.tone import friendly

input product: str(max_len=100)

output text

system """
You write short product pitches.
{{{{ friendly }}}}
{extra}"""

user """
Pitch {{{{ product }}}}.
"""
'''

SUMMARY = '''---
version: 1.0.0
purpose: Summarise an incident for the status page.
owner: ops@acme.example
risk: medium
model: {name: gpt-4o, max_tokens: 300}
eval: evals/summary.jsonl
---
input notes: str(max_len=4000)

output text

system """
Summarise the incident notes in three sentences for customers.
"""

user """
{{ notes }}
"""
'''


def answer(version: str = "1.0.0", tier: bool = True) -> str:
    return ANSWER.format(version=version, tier_input=TIER_INPUT if tier else "", tier_text=TIER_TEXT if tier else "")


def pitch(version: str = "1.0.0", extra: str = "") -> str:
    return PITCH.format(version=version, extra=extra)


def git_env(author: tuple[str, str] = ANN) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
                "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    return env


class Repo:
    """A git repository whose root is the project root."""

    def __init__(self, root: Path):
        self.root = root

    def git(self, *args: str, author: tuple[str, str] = ANN) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, env=git_env(author), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def cli(self, *args: str, project: bool = True):
        extra = ["--project", str(self.root)] if project else []
        result = CliRunner().invoke(main, [*args, *extra], catch_exceptions=False, env={"NO_COLOR": "1"})
        assert "Traceback" not in result.output
        return result

    def build(self) -> None:
        result = CliRunner().invoke(main, ["build", str(self.root), "-q"], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    def commit(self, message: str, author: tuple[str, str] = ANN) -> str:
        self.git("add", "-A", author=author)
        self.git("commit", "-q", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")

    def checkout(self, commit: str) -> None:
        self.git("checkout", "-q", "--detach", commit)

    def hashes(self) -> dict[str, str]:
        index = json.loads((self.root / "dist" / "index.json").read_text())
        return {name: entry["hash"] for name, entry in index["bundles"].items()}

    def record(self, name: str, score: float, **extra) -> dict:
        return {"prompt": name, "hash": self.hashes()[name], "score": score, **extra}

    def import_records(self, records: list[dict], tmp: Path) -> None:
        path = tmp / f"evals-{len(list(tmp.glob('evals-*.json')))}.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        result = self.cli("eval", "import", str(path))
        assert result.exit_code == 0, result.output


def init(root: Path) -> Repo:
    """The base project, built, with eval records for every prompt, as the first commit."""
    repo = Repo(root)
    root.mkdir(parents=True, exist_ok=True)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", ANN[0])
    repo.git("config", "user.email", ANN[1])
    repo.write("promptc.toml", CONFIG)
    repo.write(".gitignore", "dist/\n.promptc/\n")
    repo.write("prompts/shared/tone.prompt", TONE)
    repo.write("prompts/support/answer.prompt", answer())
    repo.write("prompts/sales/pitch.prompt", pitch())
    repo.write("prompts/ops/summary.prompt", SUMMARY)
    repo.write("evals/answer.jsonl", '{"vars": {"question": "How do I reset my password?"}}\n')
    repo.write("evals/pitch.jsonl", '{"vars": {"product": "Acme Books"}}\n')
    repo.write("evals/summary.jsonl", '{"vars": {"notes": "API down 10 minutes"}}\n')
    repo.build()
    return repo
