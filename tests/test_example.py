"""The bundled example project builds clean against its committed lock, and renders the
reviewed messages in tests/expected/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptc.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "support-desk"
EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("example") / "support-desk"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("dist", ".promptc"))
    return target


def test_example_builds_clean_against_its_lock(project: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--locked", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # no findings at all, not even warnings
    index = json.loads((project / "dist" / "index.json").read_text())
    assert sorted(index["bundles"]) == ["sales.outreach", "support.answer"]


@pytest.mark.parametrize("name, inputs, expected", [
    ("support.answer", "answer.json", "support-desk.answer.json"),
    ("sales.outreach", "outreach.json", "support-desk.outreach.json"),
])
def test_example_renders_the_reviewed_messages(project: Path, name: str, inputs: str, expected: str) -> None:
    result = CliRunner().invoke(main, ["render", name, "--project", str(project), "--inputs",
                                       str(project / "inputs" / inputs), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((EXPECTED / expected).read_text())
