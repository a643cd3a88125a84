"""Golden cases: each `tests/golden/STAGE/*.txtar` holds a project and the expected CLI
output; the folder names the stage of the pipeline the case pins down (`tests/goldens.py`).

Sections: `args` (the promptc command line, run in the project directory), input files
(any path; a name ending in ` [base64]` is decoded from base64), and the expectations
`expect.exit`, `expect.stdout`, and `expect.bundle NAME` (a built bundle, JSON, with the
compiler version normalised). Run pytest with `--update-goldens` to rewrite the
expectations, then review the diff like code.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from click.testing import CliRunner

from promptc import __version__
from promptc.cli import main
from promptc.runtime import bundle_schema, spec_hash

from . import goldens, txtar

CASES = goldens.cases()


def _bundle_text(root: Path, name: str) -> str:
    """The built bundle (checked against the published schema and its hash), indented."""
    index = json.loads((root / "dist" / "index.json").read_text())
    bundle = json.loads((root / "dist" / index["bundles"][name]["file"]).read_text())
    Draft202012Validator(bundle_schema()).validate(bundle)
    assert bundle["hash"] == spec_hash(bundle["spec"])
    bundle["provenance"]["compiler"] = bundle["provenance"]["compiler"].replace(__version__, "X.Y.Z")
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[goldens.case_id(c) for c in CASES])
def test_golden(case: Path, tmp_path: Path, monkeypatch, update_goldens: bool) -> None:
    archive = txtar.loads(case.read_text(encoding="utf-8"))
    goldens.materialise(archive, tmp_path)
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


def test_every_golden_is_filed_under_its_stage() -> None:
    """No case outside a stage folder, and each case's folder is the stage it pins down: the
    stage of most of its findings (the earlier one on a tie), `lint` for the lint rules'
    cases, `emit` for cases that build."""
    loose = sorted(p.name for p in goldens.GOLDEN.glob("*.txtar"))
    assert not loose, f"golden cases outside a stage folder ({', '.join(goldens.STAGES)}): {loose}"
    folders = {p.name for p in goldens.GOLDEN.iterdir() if p.is_dir()} - {"dashboard"}
    assert folders == set(goldens.STAGES)
    for case in CASES:
        archive = txtar.loads(case.read_text(encoding="utf-8"))
        stage = case.parent.name
        if archive.files["args"].split()[0] == "build":
            assert stage == "emit", f"{goldens.case_id(case)} builds: it belongs under emit/"
            continue
        stdout = archive.files["expect.stdout"]
        codes = [m.group("id") for m in goldens.FINDING.finditer(stdout)] + re.findall(r'"code": "(PC\d{3})"', stdout)
        # limit-exceeded (PC006) is reported by whichever stage meets the limit: the case's
        # folder says which (the inlined size of a message is met by the checker)
        found = [stage if code == "PC006" and stage in ("parse", "check") else goldens.stage_of(code)
                 for code in codes]
        if stage == "lint":
            assert case.stem.endswith(("_fires", "_traps")) or "lint" in found, goldens.case_id(case)
            continue
        main = min(found, key=lambda s: (-found.count(s), goldens.STAGES.index(s))) if found else None
        assert main == stage, f"{goldens.case_id(case)}: most of its findings are of the {main} stage"
