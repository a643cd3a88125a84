"""Shared test helpers: write a project to disk and compile it through the driver."""

from __future__ import annotations

from pathlib import Path

from promptc import driver

CONFIG = '[project]\nname = "t"\nsources = ["prompts"]\n'


def write_project(root: Path, files: dict[str, str]) -> Path:
    (root / "promptc.toml").write_text(CONFIG, encoding="utf-8")
    for rel, text in files.items():
        path = root / "prompts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def compile_files(root: Path, files: dict[str, str]) -> driver.CompileResult:
    write_project(root, files)
    return driver.compile_project(driver.open_project(root), use_cache=False)


def codes(result) -> list[str]:
    return [d.code.name for d in result.diagnostics]


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "support-desk"


def example_releases(root: Path) -> tuple[Path, dict[str, Path]]:
    """Copy the example project to `root/project` and build two releases of it: the example
    as it is (support.answer 2.0.0) and a text edit of the shared tone module bumped to the
    next patch versions. Returns the project and, per release, a folder of its bundles."""
    import shutil

    project = root / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", ".promptc"))
    first = driver.build(driver.open_project(project), out=root / "release-1")
    assert first.ok, [d.message for d in first.diagnostics]
    tone = project / "prompts" / "shared" / "tone.prompt"
    tone.write_text(tone.read_text(encoding="utf-8").replace("Ledgerly's voice on top of that:",
                                                             "Ledgerly's voice, always:"), encoding="utf-8")
    bumped = driver.version_bump(driver.open_project(project), None)
    assert bumped.bumped, "the tone edit should need a version bump"
    second = driver.build(driver.open_project(project), out=root / "release-2")
    assert second.ok, [d.message for d in second.diagnostics]
    return project, {"1": root / "release-1", "2": root / "release-2"}


def run_cli(*args: str, expect: int = 0) -> str:
    """Run `promptc ARGS…` in-process; assert its exit code and that no traceback leaked."""
    from click.testing import CliRunner

    from promptc.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == expect, (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    return result.output
