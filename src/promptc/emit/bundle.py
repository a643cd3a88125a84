"""Assemble bundles (format `promptc.bundle/v1`) and write them, content-addressed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import __version__, tokens
from ..atomic import atomic_write
from ..diagnostics import DiagnosticSink
from ..runtime.hashing import spec_hash
from ..semantic.checker import CheckedModule
from .lower import Lowerer

FORMAT = "promptc.bundle/v1"


def build_spec(module: CheckedModule, sink: DiagnosticSink) -> dict:
    lowerer = Lowerer(sink)
    front = module.front
    model = front.model.model_dump(exclude_none=True) if front and front.model else {}
    tools = sorted(({"name": t.name, "description": t.description, "parameters": t.parameters_schema(),
                     "requires_approval": t.requires_approval} for t in module.tools.values()),
                   key=lambda t: t["name"])
    messages = [{"role": m.role, "content": lowerer.message(m.body, m.span)} for m in module.messages]
    spec = {"model": model, "inputs": module.inputs_schema(), "messages": messages, "tools": tools,
            "output": module.output}
    retrieval = front.retrieval_spec() if front else None
    if retrieval is not None:
        spec["retrieval"] = retrieval
    return spec


def build_bundle(module: CheckedModule, spec: dict, module_digests: dict[str, str], encoding: str) -> dict:
    front = module.front
    return {
        "format": FORMAT,
        "name": module.name,
        "version": front.version if front and front.version else "0.0.0",
        "hash": spec_hash(spec),
        "spec": spec,
        "meta": front.meta() if front else {},
        "provenance": {"modules": dict(sorted(module_digests.items())), "compiler": f"promptc {__version__}"},
        "tokens": tokens.bundle_tokens(spec, encoding),
    }


def bundle_bytes(bundle: dict) -> bytes:
    """One line of compact JSON: bundles are artifacts, and compact output is 10x faster
    to write (`jq .` or `promptc render` show them to people)."""
    return (json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def bundle_filename(bundle: dict, data: bytes) -> str:
    """`name@version.<12 hex of the file's sha256>.json`: a name that fixes the content."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{bundle['name']}@{bundle['version']}.{digest}.json"


class BundleConflict(Exception):
    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


def write_bundle(out_dir: Path, bundle: dict, known: tuple[str, int] | None = None) -> Path:
    """Write one bundle. An existing file with the same name must hold the same bytes.

    `known` is the (file name, size) an earlier build wrote for this very bundle: when that
    file is still there with that size, nothing is serialised or read again.
    """
    if known is not None:
        path = out_dir / known[0]
        try:
            if path.stat().st_size == known[1]:
                return path
        except OSError:
            pass
    data = bundle_bytes(bundle)
    path = out_dir / bundle_filename(bundle, data)
    if path.exists():
        if path.read_bytes() != data:
            raise BundleConflict(path)
        return path
    atomic_write(path, data)
    return path


def write_index(out_dir: Path, entries: dict[str, dict]) -> None:
    """`index.json`: each prompt's current version, hash and bundle file."""
    index = {"format": "promptc.index/v1", "bundles": dict(sorted(entries.items()))}
    data = (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    path = out_dir / "index.json"
    if not path.exists() or path.read_bytes() != data:
        atomic_write(path, data)
