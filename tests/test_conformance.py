"""Runtime conformance: every vector in tests/conformance renders the same bytes, or is
refused for the same reason, in the Python runtime (promptc.runtime) and in the JavaScript
runtime (runtimes/js, through its CLI), and both match the expectation written by hand in
tests/conformance/make_vectors.py. docs/bundle-format.md defines what they implement.

The JavaScript half is skipped, with the reason, only when `node` is missing or
runtimes/js/node_modules is not installed (`cd runtimes/js && npm ci`). The JavaScript
runtime's own unit tests (`node --test runtimes/js/test/`, which also run every vector
in-process through the library API) are run by .ci/run, before pytest.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from promptc.runtime import BundleFormatError, InputError, IntegrityError, RenderError, load

from .js_batch import JS_SKIP

ROOT = Path(__file__).resolve().parents[1]
VECTOR_DIR = ROOT / "tests" / "conformance"
JS_DIR = ROOT / "runtimes" / "js"
CLI = JS_DIR / "bin" / "promptc-render.mjs"
VECTOR_FILES = sorted(VECTOR_DIR.glob("*.json"))
# Known disagreements: the JavaScript runtime meets them, the Python runtime not yet.
PENDING_FILES = sorted(VECTOR_DIR.glob("pending/*.json"))
NODE = shutil.which("node")


def _vector(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _bundle_bytes(vector: dict) -> bytes:
    if "bundle_text" in vector:
        return vector["bundle_text"].encode("utf-8")
    return json.dumps(vector["bundle"], ensure_ascii=False, indent=1).encode("utf-8")


def _write_files(vector: dict, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    bundle_path = directory / "bundle.json"
    inputs_path = directory / "inputs.json"
    bundle_path.write_bytes(_bundle_bytes(vector))
    inputs_path.write_bytes(json.dumps(vector["inputs"], ensure_ascii=False).encode("utf-8"))
    return bundle_path, inputs_path


def _comparable(outcome: dict) -> dict:
    """Messages as (role, UTF-8 bytes) so the comparison is byte for byte; errors as they are."""
    if "messages" in outcome:
        return {"messages": [(m["role"], m["content"].encode("utf-8", "surrogatepass")) for m in outcome["messages"]]}
    return outcome


def python_outcome(bundle_path: Path, inputs) -> dict:
    try:
        rendered = load(bundle_path).render(inputs)
    except InputError as exc:
        return {"error": "input", "paths": sorted({issue.path for issue in exc.errors})}
    except IntegrityError:
        return {"error": "integrity"}
    except BundleFormatError:
        return {"error": "format"}
    except RenderError:
        return {"error": "render"}
    return {"messages": [{"role": m.role, "content": m.content} for m in rendered.messages]}


def js_run(bundle_path: Path, inputs_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, str(CLI), "--json-errors", str(bundle_path), str(inputs_path)],
                          capture_output=True, timeout=120, check=False)


def js_outcome(proc: subprocess.CompletedProcess) -> tuple[dict, str | None]:
    """(outcome, hash printed) from one run of the CLI."""
    stdout = proc.stdout.decode("utf-8")
    if proc.returncode not in (0, 1) or not stdout.strip():
        pytest.fail(f"promptc-render exited {proc.returncode}\nstdout: {stdout}\nstderr: {proc.stderr.decode()}")
    doc = json.loads(stdout)
    if proc.returncode == 0:
        return {"messages": doc["messages"]}, doc["hash"]
    if doc["error"] == "input":
        return {"error": "input", "paths": sorted({issue["path"] for issue in doc["issues"]})}, None
    return {"error": doc["error"]}, None


@pytest.fixture(scope="module")
def js_results(tmp_path_factory) -> dict[str, tuple[dict, str | None]]:
    """Run the CLI once per vector, in parallel (each run is a fresh node process)."""
    if JS_SKIP:
        pytest.skip(JS_SKIP)
    base = tmp_path_factory.mktemp("conformance-js")
    jobs = {}
    for path in VECTOR_FILES + PENDING_FILES:
        jobs[path.stem] = _write_files(_vector(path), base / path.stem)
    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2))) as pool:
        procs = dict(zip(jobs, pool.map(lambda files: js_run(*files), jobs.values())))
    return {name: js_outcome(proc) for name, proc in procs.items()}


def test_there_are_enough_vectors():
    assert len(VECTOR_FILES) >= 40


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_python_runtime(path: Path, tmp_path: Path):
    vector = _vector(path)
    assert vector["name"] == path.stem
    bundle_path, _ = _write_files(vector, tmp_path)
    assert _comparable(python_outcome(bundle_path, vector["inputs"])) == _comparable(vector["expect"])


@pytest.mark.parametrize("path", PENDING_FILES, ids=[p.stem for p in PENDING_FILES])
def test_python_runtime_pending(path: Path, tmp_path: Path):
    """A pending vector records a known Python-runtime bug: this test fails (xfail) until the
    runtime is fixed; then it passes, which fails the suite (strict) so that the vector moves
    from pending/ to the main set (drop its `pending=` in make_vectors.py)."""
    vector = _vector(path)
    bundle_path, _ = _write_files(vector, tmp_path)
    try:
        outcome = python_outcome(bundle_path, vector["inputs"])
    except Exception as exc:  # noqa: BLE001 - a crash is one of the recorded disagreements
        outcome = {"crash": repr(exc)}
    if _comparable(outcome) != _comparable(vector["expect"]):
        pytest.xfail(vector["pending"])
    pytest.fail(f"the Python runtime now meets pending/{path.name}: move it to the main set")


ALL_FILES = VECTOR_FILES + PENDING_FILES


@pytest.mark.parametrize("path", ALL_FILES, ids=[p.stem for p in ALL_FILES])
def test_js_runtime(path: Path, js_results):
    vector = _vector(path)
    outcome, printed_hash = js_results[path.stem]
    assert _comparable(outcome) == _comparable(vector["expect"])
    if printed_hash is not None:
        assert printed_hash == json.loads(_bundle_bytes(vector).decode("utf-8-sig"))["hash"]


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_vectors", VECTOR_DIR / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vectors_are_generated_by_make_vectors():
    """The committed files are exactly what the generator writes: edit make_vectors.py and
    run it, never the JSON files."""
    generated = _load_generator().generate()
    on_disk = {p.relative_to(VECTOR_DIR).as_posix(): p.read_text("utf-8") for p in ALL_FILES}
    assert sorted(on_disk) == sorted(generated), "run python tests/conformance/make_vectors.py"
    stale = [name for name in generated if on_disk[name] != generated[name]]
    assert not stale, f"out of date (run python tests/conformance/make_vectors.py): {stale}"


def test_js_runtime_ships_the_bundle_schema():
    """runtimes/js carries a copy of the bundle schema; it must not drift from the one the
    compiler and the Python runtime use."""
    ours = (ROOT / "src" / "promptc" / "schemas" / "bundle.schema.json").read_bytes()
    assert (JS_DIR / "src" / "bundle.schema.json").read_bytes() == ours, (
        "copy src/promptc/schemas/bundle.schema.json to runtimes/js/src/bundle.schema.json")


@pytest.mark.skipif(JS_SKIP is not None, reason=JS_SKIP or "")
def test_js_cli_errors_are_clear(tmp_path: Path):
    """Without --json-errors the CLI names the error class and the problem on stderr."""
    tampered = _vector(VECTOR_DIR / "integrity-tampered-text.json")
    bundle_path, inputs_path = _write_files(tampered, tmp_path)
    proc = subprocess.run([NODE, str(CLI), str(bundle_path), str(inputs_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("promptc-render: IntegrityError: bundle 'conformance.tampered-text@1.0.0")
    assert "modified after it was built" in proc.stderr
    usage = subprocess.run([NODE, str(CLI)], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage: promptc-render" in usage.stderr
