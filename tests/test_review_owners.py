"""`promptc owners`: the ownership map from front matter, and CODEOWNERS lines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from promptc.cli import main
from promptc.review.owners import handle

from .review_repo import git_env, init


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)
    return init(tmp_path / "acme")


def test_owners_table_and_json(repo):
    result = repo.cli("owners")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["prompt", "owner", "tech", "owner", "risk", "file"]
    assert lines[1].split() == ["ops.summary", "ops@acme.example", "-", "medium", "prompts/ops/summary.prompt"]
    assert lines[3].split() == ["support.answer", "maria@acme.example", "platform-team", "high",
                                "prompts/support/answer.prompt"]
    data = json.loads(repo.cli("owners", "--format", "json").stdout)
    assert data[2] == {"prompt": "support.answer", "file": "prompts/support/answer.prompt",
                       "owner": "maria@acme.example", "tech_owner": "platform-team", "risk": "high",
                       "eval": "evals/answer.jsonl"}


def test_codeowners_lines(tmp_path, monkeypatch):
    """The project sits in a folder of the repository: paths are from the repository root."""
    for key, value in git_env().items():
        if key.startswith("GIT_CONFIG"):
            monkeypatch.setenv(key, value)
    repo = init(tmp_path / "mono")
    project = repo.root / "services" / "prompts-app"
    project.mkdir(parents=True)
    for name in ("promptc.toml", "prompts", "evals"):
        (repo.root / name).rename(project / name)
    (project / "promptc.toml").write_text((project / "promptc.toml").read_text()
                                          + '\n[review.handles]\n"platform-team" = "@acme/platform"\n')
    result = CliRunner().invoke(main, ["owners", "--codeowners", "--project", str(project)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert lines == [
        "/services/prompts-app/prompts/shared/tone.prompt sam@acme.example @growth maria@acme.example @acme/platform",
        "/services/prompts-app/evals/answer.jsonl maria@acme.example @acme/platform",
        "/services/prompts-app/evals/pitch.jsonl sam@acme.example @growth",
        "/services/prompts-app/evals/summary.jsonl ops@acme.example",
        "/services/prompts-app/prompts/ops/summary.prompt ops@acme.example",
        "/services/prompts-app/prompts/sales/pitch.prompt sam@acme.example @growth",
        "/services/prompts-app/prompts/support/answer.prompt maria@acme.example @acme/platform",
    ]
    # prompts come last: in CODEOWNERS the last matching line wins
    assert result.stdout.index("tone.prompt") < result.stdout.index("answer.prompt")
    usage = CliRunner().invoke(main, ["owners", "--codeowners", "--format", "json", "--project", str(project)])
    assert usage.exit_code == 2


def test_prompt_without_owner_is_listed(repo):
    repo.write("prompts/ops/status.prompt", '---\nversion: 0.1.0\n---\noutput text\nsystem """\nUp.\n"""\n')
    text = repo.cli("owners", "--codeowners").stdout
    assert text.rstrip().endswith("# No owner in the front matter: ops.status")
    assert "1 prompt without `owner:`: ops.status" in repo.cli("owners").stdout


@pytest.mark.parametrize("owner, expected", [
    ("maria@acme.example", "maria@acme.example"),
    ("@acme/support", "@acme/support"),
    ("support-platform", "@support-platform"),
    ("team", "@acme/team"),
])
def test_handle(owner, expected):
    assert handle(owner, {"team": "@acme/team"}) == expected
