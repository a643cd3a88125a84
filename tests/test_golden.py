"""Golden cases: each `tests/golden/*.txtar` holds a project and the expected CLI output.

Sections: `args` (the promptc command line, run in the project directory), input files
(any path; a name ending in ` [base64]` is decoded from base64), and the expectations
`expect.exit`, `expect.stdout`, and `expect.bundle NAME` (a built bundle, JSON, with the
compiler version normalised). Run pytest with `--update-goldens` to rewrite the
expectations, then review the diff like code.
"""

from __future__ import annotations

import base64
import json
import shlex
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from click.testing import CliRunner

from promptc import __version__
from promptc.cli import main
from promptc.runtime import bundle_schema, spec_hash

from . import txtar

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.txtar"))


def _materialise(archive: txtar.Archive, root: Path) -> None:
    for name, text in archive.files.items():
        if name.startswith("expect") or name == "args":
            continue
        if name.endswith(" [base64]"):
            path = root / name[: -len(" [base64]")]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(text))
        else:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def _bundle_text(root: Path, name: str) -> str:
    """The built bundle (checked against the published schema and its hash), indented."""
    index = json.loads((root / "dist" / "index.json").read_text())
    bundle = json.loads((root / "dist" / index["bundles"][name]["file"]).read_text())
    Draft202012Validator(bundle_schema()).validate(bundle)
    assert bundle["hash"] == spec_hash(bundle["spec"])
    bundle["provenance"]["compiler"] = bundle["provenance"]["compiler"].replace(__version__, "X.Y.Z")
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path, tmp_path: Path, monkeypatch, update_goldens: bool) -> None:
    archive = txtar.loads(case.read_text(encoding="utf-8"))
    _materialise(archive, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    args = shlex.split(archive.files["args"])
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    actual = {"expect.exit": f"{result.exit_code}\n", "expect.stdout": result.stdout}
    for key in archive.files:
        if key.startswith("expect.bundle "):
            actual[key] = _bundle_text(tmp_path, key.split(" ", 1)[1])
    if update_goldens:
        for key, value in actual.items():
            if key in archive.files or key in ("expect.exit", "expect.stdout"):
                archive.files[key] = value
        case.write_text(archive.dumps(), encoding="utf-8")
        return
    assert "Traceback" not in result.output
    for key, value in actual.items():
        if key in archive.files:
            assert value == archive.files[key], f"{case.name}: {key} differs (stderr: {result.stderr})"
    assert "expect.exit" in archive.files, f"{case.name} has no expect.exit"
