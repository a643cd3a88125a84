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
