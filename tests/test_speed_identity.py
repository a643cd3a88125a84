"""Speed work must not change a byte: the example project, a generated realistic project and
the peer workload (each clean, and each with errors planted) are checked, built cold, built
again with a warm cache, and rendered; every output, bundle and lock hash is compared with
`tests/expected/speed-identity.json`, recorded from the compiler before the speed work.

`pytest tests/test_speed_identity.py --update-goldens` rewrites the record (only do that for
a deliberate change of output)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = Path(__file__).parent / "expected" / "speed-identity.json"
sys.path.insert(0, str(ROOT / "bench"))
import generate as bench_generate  # noqa: E402
import peer as bench_peer  # noqa: E402

sys.path.pop(0)


def _run(project: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("GITHUB_ACTIONS", None)
    r = subprocess.run([sys.executable, "-m", "promptc", *args], cwd=project, env=env,
                       capture_output=True, text=True, timeout=600)
    return {"args": list(args), "exit": r.returncode,
            "stdout": r.stdout.replace(str(project), "<project>"),
            "stderr": r.stderr.replace(str(project), "<project>")}


def _tree(project: Path) -> dict[str, str]:
    out = {}
    for sub in ("dist",):
        for path in sorted((project / sub).rglob("*")):
            if path.is_file():
                out[path.relative_to(project).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    lock = project / "promptc.lock"
    if lock.exists():
        out["promptc.lock"] = hashlib.sha256(lock.read_bytes()).hexdigest()
    return out


def _plant_errors(project: Path) -> None:
    """An unknown name in one prompt and a syntax error in one library-like module."""
    prompts = sorted((project / "prompts").rglob("*.prompt"))
    first, last = prompts[0], prompts[-1]
    first.write_text(first.read_text() + "\nfragment broken(x: int) \"\"\"\n{{ y }}\n\"\"\"\n")
    last.write_text(last.read_text() + "\ninput oops: = \n")


def _record(project: Path, renders: list[tuple[str, str]] = ()) -> list:
    steps = []
    steps.append(_run(project, "check", "--format", "json", "."))
    steps.append(_run(project, "check", "."))
    steps.append({**_run(project, "build", "."), "tree": _tree(project)})
    steps.append({**_run(project, "build", "."), "tree": _tree(project)})  # warm cache, no-op
    shutil.rmtree(project / ".promptc", ignore_errors=True)
    steps.append({**_run(project, "build", "."), "tree": _tree(project)})  # cold again, outputs exist
    steps.append(_run(project, "check", "--format", "json", "."))  # warm cache
    # Answered from the no-op index (`promptc.fast`): the same bytes again.
    for _ in range(2):
        replays = [_run(project, "check", "--format", "json", "."), _run(project, "check", "."),
                   {**_run(project, "build", "."), "tree": _tree(project)}]
        assert replays == [steps[0], steps[1], steps[3]]
    for name, inputs in renders:
        steps.append(_run(project, "render", name, "--project", ".", "--inputs", inputs, "--format", "json"))
    return steps


def _projects(tmp: Path) -> dict[str, tuple[Path, list]]:
    example = tmp / "support-desk"
    shutil.copytree(ROOT / "examples" / "support-desk", example, ignore=shutil.ignore_patterns("dist", ".promptc"))
    generated = tmp / "generated"
    bench_generate.generate(generated, 120, 0)
    peer = tmp / "peer"
    bench_peer.generate(peer, 80, 12)
    broken = tmp / "generated-broken"
    shutil.copytree(generated, broken)
    _plant_errors(broken)
    broken_peer = tmp / "peer-broken"
    shutil.copytree(peer, broken_peer)
    _plant_errors(broken_peer)
    return {
        "example": (example, [("support.answer", "inputs/answer.json"), ("sales.outreach", "inputs/outreach.json")]),
        "generated": (generated, []),
        "peer": (peer, []),
        "generated-broken": (broken, []),
        "peer-broken": (broken_peer, []),
    }


def test_outputs_are_byte_identical_to_the_record(tmp_path: Path, update_goldens: bool) -> None:
    actual = {name: _record(path, renders) for name, (path, renders) in _projects(tmp_path).items()}
    if update_goldens or not EXPECTED.exists():
        EXPECTED.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        pytest.skip("record written")
    expected = json.loads(EXPECTED.read_text())
    for name in expected:
        for i, (want, got) in enumerate(zip(expected[name], actual[name])):
            assert got == want, f"{name} step {i} ({' '.join(want['args'])}) differs"
        assert len(expected[name]) == len(actual[name])


def test_the_no_op_index_notices_every_kind_of_change(tmp_path: Path) -> None:
    project = tmp_path / "support-desk"
    shutil.copytree(ROOT / "examples" / "support-desk", project, ignore=shutil.ignore_patterns("dist", ".promptc"))
    first = _run(project, "check", ".")
    assert _run(project, "check", ".") == first and (project / ".promptc" / "noop").is_file()
    # A new module in a sub-folder, an edit of the same size, a removed file: each is seen.
    module = next((project / "prompts").rglob("*.prompt"))
    new = module.parent / "zz_extra.prompt"
    new.write_text('fragment extra """\n{{ nope }}\n"""\n')
    added = _run(project, "check", ".")
    assert "nope" in added["stdout"] and added != first
    new.write_text('fragment extra """\n{{ nopf }}\n"""\n')
    assert "nopf" in _run(project, "check", ".")["stdout"]
    new.unlink()
    assert _run(project, "check", ".") == first
    # Another format or option is another entry, never the recorded one.
    json.loads(_run(project, "check", "--format", "json", ".")["stdout"])
    assert _run(project, "check", "-q", ".") != first


def test_a_symlinked_folder_turns_the_no_op_index_off(tmp_path: Path) -> None:
    project = tmp_path / "support-desk"
    shutil.copytree(ROOT / "examples" / "support-desk", project, ignore=shutil.ignore_patterns("dist", ".promptc"))
    (tmp_path / "elsewhere").mkdir()
    (project / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    first = _run(project, "check", ".")
    assert _run(project, "check", ".") == first
    assert not (project / ".promptc" / "noop").exists()
