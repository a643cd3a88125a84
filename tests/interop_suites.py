"""Other formats' conformance suites, run through `promptc import`, a build and both promptc
runtimes (tests/test_interop_suites.py).

The suites live in `../shared/suites/` beside the repository (see its README): they are
read where they are, never copied into the project. Each case is imported, all cases of a
suite set are built in one project, rendered by the Python runtime and, in one node process
for all of them, by the JavaScript runtime, and compared with the case's expectation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]


def _suites_dir() -> Path:
    # The repository's parent holds `shared/`; a worktree's parent may not, so also try the
    # main checkout's parent (git's common directory sits in it).
    candidates = [ROOT.parent / "shared" / "suites"]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT,
                                capture_output=True, text=True, check=False, timeout=10).stdout.strip()
        if common:
            candidates.append(Path(common).parent.parent / "shared" / "suites")
    except OSError:
        pass
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


SUITES = _suites_dir()
EXEMPTIONS_FILE = ROOT / "tests" / "interop" / "exemptions.toml"
NODE = shutil.which("node")


def suites_skip_reason(name: str) -> str | None:
    if not (SUITES / name).is_dir():
        return f"{SUITES / name} is absent: the {name} suite is read from ../shared/suites/ beside the repository"
    return None


def js_skip_reason() -> str | None:
    from .test_conformance import JS_SKIP  # one rule for when the JavaScript runtime can run

    return JS_SKIP


def exemptions() -> dict[str, dict[str, str]]:
    """suite set → case id → reason."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads(EXEMPTIONS_FILE.read_text("utf-8"))
    return {suite: {case: entry["reason"] for case, entry in cases.items()} for suite, cases in data.items()}


@dataclass
class Case:
    id: str
    module: str  # the promptc module it is imported as
    inputs: dict
    expect: dict
    convert: Callable[[], Any]  # → interop Conversion (raises InteropError)
    failure: str | None = None  # why it cannot be compared (import or build)
    bundle: dict | None = None
    bundle_path: Path | None = None
    files: dict[str, str] = field(default_factory=dict)


def build_cases(cases: list[Case], root: Path) -> None:
    """Import every case into one project under `root`, build it, keep each case's bundle."""
    from promptc import driver
    from promptc.emit.bundle import bundle_bytes
    from promptc.interop.common import InteropError

    (root / "promptc.toml").write_text('[project]\nname = "suites"\nsources = ["prompts"]\n', "utf-8")
    files: dict[str, Case] = {}  # each file written (module, partials) → its case
    for case in cases:
        try:
            conversion = case.convert()
        except InteropError as exc:
            case.failure = f"import: {exc.message}"
            continue
        module = Path("prompts", *case.module.split(".")).with_suffix(".prompt")
        partials = module.with_name(f"{module.stem}_partials.prompt")
        (root / module).parent.mkdir(parents=True, exist_ok=True)
        (root / module).write_text(conversion.module, "utf-8")
        files[module.as_posix()] = case
        if conversion.partials:
            (root / partials).write_text(conversion.partials, "utf-8")
            files[partials.as_posix()] = case
        for name, text in conversion.files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, "utf-8")
        case.files = conversion.files
    result = driver.compile_project(driver.open_project(root), use_cache=False)
    for d in result.diagnostics:
        case = files.get(Path(d.span.file).as_posix()) if d.is_error and d.span is not None else None
        if case is not None and case.failure is None:
            case.failure = f"build: {d.message}"
    out = root / "bundles"
    out.mkdir(exist_ok=True)
    for case in {id(c): c for c in files.values()}.values():
        if case.failure is None and case.module in result.bundles:
            case.bundle = result.bundles[case.module]
            case.bundle_path = out / f"{case.module}.json"
            case.bundle_path.write_bytes(bundle_bytes(case.bundle))


def render_python(case: Case) -> dict:
    from promptc.runtime import PromptcRuntimeError, load

    assert case.bundle_path is not None
    try:
        rendered = load(case.bundle_path).render(case.inputs)
    except PromptcRuntimeError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"messages": [{"role": m.role, "content": m.content} for m in rendered.messages]}


def render_js(cases: list[Case]) -> dict[str, dict]:
    """Every case with a bundle, rendered by the JavaScript runtime in one node process."""
    jobs = [c for c in cases if c.bundle_path is not None]
    proc = subprocess.run([NODE or "node", str(ROOT / "tests" / "interop" / "render_batch.mjs")],
                          input=json.dumps([{"bundle": str(c.bundle_path), "inputs": c.inputs} for c in jobs]),
                          capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"render_batch.mjs exited {proc.returncode}: {proc.stderr}")
    return {c.id: r for c, r in zip(jobs, json.loads(proc.stdout))}
