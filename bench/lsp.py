#!/usr/bin/env python3
"""Latency of the language server on a large project, measured by a real client.

    python bench/lsp.py [--modules 1000] [--lines 300] [--samples 40] [--json FILE]

Generates a project with bench/generate.py (in `--workdir`, default bench/work/lsp), grows
the prompt that nothing imports to `--lines` lines (extra fragments with parameters, used
in an extra message), starts `python -m promptc.cli lsp` and drives it over stdio:

- `didChange → publishDiagnostics`: time from sending a change of the big module to
  receiving its diagnostics for that version. Edits alternate between a clean change of
  one line of text and one that adds an undeclared variable, so every second round has a
  PC104 to report. Includes the server's debounce (`--debounce-ms`, default 150 as in an
  editor); the `minus debounce` line subtracts it.
- `library edit → importer`: a change to a library module the big module imports, until
  the big module's diagnostics are republished.
- `hover` and `completion`: request to response, with the analysis up to date, at inputs,
  fragments and tools (hover) and inside `{{ }}` and after `tools.` (completion); and
  `completion after an edit`, sent right after a didChange (the case of typing).

Prints a table (p50, p95, max in milliseconds) and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
MARKER = "Reply in the customer's language."


def generate(workdir: Path, modules: int, seed: int) -> dict:
    project = workdir / f"p{modules}"
    manifest = project / "bench-manifest.json"
    if not manifest.is_file():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(project), "--modules", str(modules),
                        "--seed", str(seed)], check=True)
    return json.loads(manifest.read_text(encoding="utf-8"))


def grow(text: str, lines: int) -> str:
    """Add fragments with parameters and one message that uses them until `text` has `lines` lines."""
    base = text.rstrip("\n").split("\n")
    extra: list[str] = []
    uses: list[str] = []
    i = 0
    # each fragment is 6 lines and one line of use; the message adds 3
    while len(base) + len(extra) + len(uses) + 3 + 7 < lines:
        extra += [f'fragment step_{i}(topic: str = "billing") """',
                  f"Step {i}: check the {{{{ topic }}}} details before you answer.",
                  '{% if topic == "billing" %}Mention the invoice number.{% endif %}',
                  "Keep it short and plain.", '"""', ""]
        uses.append(f'{{{{ step_{i}(topic="step {i}") }}}}')
        i += 1
    body = base + [""] + extra + ['assistant """'] + uses + ['"""']
    while len(body) < lines:
        body.insert(len(body) - 1, f"Checklist item {len(body)}.")
    return "\n".join(body) + "\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
            "max_ms": round(max(ms), 1), "mean_ms": round(statistics.fmean(ms), 1)}


def position_of(text: str, needle: str, after: bool = False) -> t.Position:
    for i, line in enumerate(text.split("\n")):
        at = line.find(needle)
        if at >= 0:
            at += len(needle) if after else 1
            return t.Position(line=i, character=len(line[:at].encode("utf-16-le")) // 2)
    raise ValueError(needle)


class Client:
    def __init__(self) -> None:
        self.lc = LanguageClient("promptc-bench", "1")
        self.published: list[tuple[float, t.PublishDiagnosticsParams]] = []
        self.arrived = asyncio.Event()

        @self.lc.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: t.PublishDiagnosticsParams) -> None:
            self.published.append((time.perf_counter(), params))
            self.arrived.set()

    async def wait(self, uri: str, since: int, version: int | None = None, timeout: float = 120) -> tuple[float, t.PublishDiagnosticsParams]:
        deadline = time.perf_counter() + timeout
        while True:
            for when, p in self.published[since:]:
                if p.uri == uri and (version is None or p.version == version):
                    return when, p
            self.arrived.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no diagnostics for {uri} version {version}")
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def open(self, uri: str, text: str) -> None:
        self.lc.text_document_did_open(t.DidOpenTextDocumentParams(
            t.TextDocumentItem(uri=uri, language_id="promptc", version=1, text=text)))

    def change(self, uri: str, version: int, text: str) -> None:
        self.lc.text_document_did_change(t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [t.TextDocumentContentChangeWholeDocument(text=text)]))


async def run(args: argparse.Namespace) -> dict:
    manifest = generate(args.workdir, args.modules, args.seed)
    project = (args.workdir / f"p{args.modules}").resolve()
    target = manifest["edit_targets"]["prompt"]
    path = project / target["path"]
    original = path.read_text(encoding="utf-8")
    if MARKER not in original:
        raise SystemExit(f"{path} lacks the marker line; regenerate the project")
    text = grow(original, args.lines)
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    prompt_info = next(p for p in manifest["prompts"] if p["module"] == target["module"])
    lib_module = prompt_info["imports"][0]
    lib = next(x for x in manifest["libraries"] if x["module"] == lib_module)
    lib_path = project / lib["path"]
    lib_text = lib_path.read_text(encoding="utf-8")
    lib_uri = lib_path.as_uri()

    c = Client()
    await c.lc.start_io(sys.executable, "-m", "promptc.cli", "lsp")
    started = time.perf_counter()
    await c.lc.initialize_async(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=project.as_uri(),
        initialization_options={"debounceMs": args.debounce_ms}))
    c.lc.initialized(t.InitializedParams())
    results: dict = {}
    try:
        since = len(c.published)
        t0 = time.perf_counter()
        c.open(uri, text)
        when, first = await c.wait(uri, since, 1)
        results["open → first diagnostics"] = {"n": 1, "p50_ms": round((when - t0) * 1000, 1)}
        errors = [d for d in first.diagnostics if d.severity == t.DiagnosticSeverity.Error]
        if errors:
            raise SystemExit(f"the grown module does not compile: {errors[0].message}")

        # didChange → publishDiagnostics
        latencies, version, counts = [], 1, []
        for i in range(args.samples):
            version += 1
            edited = text.replace(MARKER, f"{MARKER} Round {i}." + (" {{ undeclared_thing }}" if i % 2 else ""))
            since = len(c.published)
            t0 = time.perf_counter()
            c.change(uri, version, edited)
            when, p = await c.wait(uri, since, version)
            latencies.append(when - t0)
            counts.append(sum(1 for d in p.diagnostics if d.code == "PC104"))
        if counts[1::2] and not all(counts[1::2]):
            raise SystemExit("an edit with an undeclared variable got no PC104")
        results["didChange → publishDiagnostics"] = summary(latencies)
        results["  minus debounce"] = summary([max(x - args.debounce_ms / 1000, 0) for x in latencies])
        version += 1
        since = len(c.published)
        c.change(uri, version, text)
        await c.wait(uri, since, version)

        # a library edit → the importer's diagnostics
        since = len(c.published)
        c.open(lib_uri, lib_text)
        await c.wait(lib_uri, since, 1)
        cross, lib_version = [], 1
        for i in range(max(args.samples // 4, 5)):
            lib_version += 1
            since = len(c.published)
            t0 = time.perf_counter()
            c.change(lib_uri, lib_version, lib_text + f"\n# edit {i}\n")
            when, _ = await c.wait(uri, since)
            cross.append(when - t0)
        results["library edit → importer diagnostics"] = summary(cross)

        # hover, with the analysis current
        spots = [position_of(text, "customer_name", after=False), position_of(text, "{{ step_3", after=False),
                 position_of(text, "tools.", after=True), position_of(text, "urgency", after=False)]
        spots = [t.Position(line=s.line, character=s.character + 2) for s in spots]
        hovers = []
        for i in range(args.samples):
            spot = spots[i % len(spots)]
            t0 = time.perf_counter()
            h = await c.lc.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri=uri), spot))
            hovers.append(time.perf_counter() - t0)
            if h is None:
                raise SystemExit(f"no hover at {spot}")
        results["hover"] = summary(hovers)

        # completion, with the analysis current, then right after an edit
        line = text.split("\n").index(MARKER)
        completions = []
        for i in range(args.samples):
            where = ["{{ cu", "{{ tools."][i % 2]
            edited_lines = text.split("\n")
            edited_lines[line] = MARKER + " " + where
            version += 1
            since = len(c.published)
            c.change(uri, version, "\n".join(edited_lines))
            await c.wait(uri, since, version)
            pos = t.Position(line=line, character=len(edited_lines[line]))
            t0 = time.perf_counter()
            r = await c.lc.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(uri=uri), pos))
            completions.append(time.perf_counter() - t0)
            if not r.items:
                raise SystemExit(f"no completion after {where!r}")
        results["completion"] = summary(completions)

        typing = []
        for i in range(args.samples):
            edited_lines = text.split("\n")
            edited_lines[line] = MARKER + " {{ cu" + "s" * (i % 3)
            version += 1
            pos = t.Position(line=line, character=len(edited_lines[line]))
            c.change(uri, version, "\n".join(edited_lines))
            t0 = time.perf_counter()
            r = await c.lc.text_document_completion_async(t.CompletionParams(t.TextDocumentIdentifier(uri=uri), pos))
            typing.append(time.perf_counter() - t0)
        results["completion right after an edit"] = summary(typing)
        await asyncio.sleep(args.debounce_ms / 1000 + 0.5)

        await c.lc.shutdown_async(None)
        c.lc.exit(None)
    finally:
        path.write_text(original, encoding="utf-8")
        await c.lc.stop()
    return {"project": str(project), "modules": args.modules, "module_lines": len(text.splitlines()),
            "debounce_ms": args.debounce_ms, "session_s": round(time.perf_counter() - started, 1),
            "results": results,
            "environment": {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": os.cpu_count()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=300, help="length of the edited module")
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--debounce-ms", type=int, default=150)
    ap.add_argument("--workdir", type=Path, default=HERE / "work" / "lsp")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    out = asyncio.run(run(args))
    print(f"{out['modules']} modules; edited module {out['module_lines']} lines; debounce {out['debounce_ms']} ms")
    print(f"{'':40} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for name, r in out["results"].items():
        print(f"{name:40} {r['n']:>4} {r['p50_ms']:>9} {r.get('p95_ms', ''):>9} {r.get('max_ms', ''):>9}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
